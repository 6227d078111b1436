"""Scoring background work (huey): bulk rescores, prediction refreshes, weekly retraining,
the daily drift check. Tasks are thin and safe to re-run; locks keep two bulk runs apart."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from smarketing.analytics.scoring import ModelInputError

log = logging.getLogger(__name__)


@db_task()
@lock_task("scoring-rescore-all")
def rescore_all_task():
    """Rescore every contact with the active definition (queued when one is activated)."""
    from smarketing.scoring.actions import do_rescore_all

    return do_rescore_all().to_dict()


@db_task()
def rescore_contacts_task(contact_ids: list[int]):
    """Rescore the contacts whose touchpoints were written in bulk (ingest, import)."""
    from smarketing.scoring.actions import do_rescore_contacts

    return do_rescore_contacts(contact_ids, reason="bulk touchpoints")


@db_periodic_task(crontab(minute="*/5"))
@lock_task("scoring-refresh-stale")
def refresh_stale_predictions():
    """Refresh the probability of leads whose rule score changed since it was computed."""
    from smarketing.scoring.predictive import do_refresh_stale_predictions

    return do_refresh_stale_predictions()


@db_periodic_task(crontab(day_of_week="1", hour="3", minute="17"))
@lock_task("scoring-retrain")
def retrain_weekly():
    """Train a new model version on the closed loop; it goes live only if not worse."""
    from smarketing.scoring.predictive import do_refresh_predictions, do_train_model

    try:
        result = do_train_model()
    except ModelInputError as exc:
        log.info("weekly retraining skipped: %s", exc)
        return {"trained": False, "reason": str(exc)}
    if result["activated"]:
        do_refresh_predictions()
    return {k: result[k] for k in ("version", "activated", "decision", "auc")}


@db_periodic_task(crontab(hour="4", minute="7"))
@lock_task("scoring-drift")
def drift_daily():
    """Compare new leads' probabilities with the training distribution (PSI)."""
    from smarketing.scoring.predictive import do_check_drift

    return do_check_drift()
