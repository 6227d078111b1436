"""Background work of ABM (huey): account scores after touches, and the nightly full pass."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task


@db_task()
def recompute_accounts_task(account_ids: list[int] | None):
    """Recompute these accounts' fit, engagement and stage (all when None)."""
    from smarketing.abm.actions import do_recompute_accounts

    return do_recompute_accounts(account_ids=account_ids)


@db_periodic_task(crontab(hour="2", minute="41"))
@lock_task("abm-recompute-all")
def recompute_all_accounts_nightly():
    """Every night: every account again (engagement decays even without new touches)."""
    from smarketing.abm.actions import do_recompute_accounts

    return do_recompute_accounts(account_ids=None)
