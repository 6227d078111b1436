"""Scoring writes: definition versions, rescoring (one contact, some, all), model versions.

- :func:`do_save_definition` / :func:`do_activate_definition`: a definition is stored only when
  it loads without errors, so the active one is never replaced by an invalid one;
- :func:`do_rescore_contacts`: the incremental path (a touchpoint arrived; ingest batches call
  it with the contacts they touched);
- :func:`do_rescore_all`: the bulk path (after a definition change), bulk read
  (:mod:`smarketing.scoring.bulkread`) → vectorised ``score_contacts`` → one upsert statement
  setting only the columns that moved;
- :func:`do_refresh_predictions`, :func:`do_train_model`, :func:`do_check_drift`: the
  predictive score (in :mod:`smarketing.scoring.predictive`, re-exported here);
- :func:`score_all`: what the demo generator calls at the end.

The caller owns the transaction; every function here is safe to re-run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from smarketing.analytics.scoring import (
    DefinitionError,
    ModelInputError,
    default_definition_text,
    load_definition,
    score_contact,
    score_contacts,
)
from smarketing.scoring import bulkread, data
from smarketing.scoring.models import LeadScore, PredictiveModel, ScoreHistory, ScoringDefinition
from smarketing.scoring.selectors import active_definition, parsed_definition
from smarketing.scoring.signals import announce_rescored
from smarketing.scoring.store import (
    HISTORY_COLUMNS,
    append_history,
    bulk_write,
    compared_scores,
    history_key,
    history_keys,
    upsert_scores,
)

log = logging.getLogger(__name__)

#: Above this many contacts the incremental path switches to the bulk reader.
BULK_FROM = 200


def definition_errors(text: str) -> list[dict]:
    """The problems of a definition text as ``{line, field, message, text}`` (empty: valid)."""
    try:
        load_definition(text)
    except DefinitionError as exc:
        return [
            {"line": e.line, "field": e.field, "message": e.reason, "text": str(e)}
            for e in exc.errors
        ]
    return []


def do_save_definition(
    *, text: str, author=None, activate: bool = False, note: str = "", rescore: bool = True
) -> ScoringDefinition:
    """Store a new definition version; raise ``ValidationError`` (by line) when it is invalid.

    With ``activate`` it is put in force at once (see :func:`do_activate_definition`).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": ["the scoring definition is empty"]})
    try:
        parsed = load_definition(text)
    except DefinitionError as exc:
        raise ValidationError({"text": [str(e) for e in exc.errors]}) from None
    row = ScoringDefinition.objects.create(
        version=parsed.version, name=parsed.name[:200], text=text, author=author, note=note[:300]
    )
    if activate:
        do_activate_definition(definition=row, rescore=rescore)
    return row


def do_activate_definition(*, definition: ScoringDefinition, rescore: bool = True) -> None:
    """Put a stored definition in force; the bulk rescore runs (huey) once this commits.

    The text is validated again, so a row edited behind the app's back cannot go live.
    """
    errors = definition_errors(definition.text)
    if errors:
        raise ValidationError({"text": [e["text"] for e in errors]})
    with transaction.atomic():
        ScoringDefinition.objects.filter(active=True).exclude(pk=definition.pk).update(active=False)
        definition.active = True
        definition.activated_at = timezone.now()
        definition.save(update_fields=["active", "activated_at"])
    if rescore:
        from smarketing.scoring.tasks import rescore_all_task

        transaction.on_commit(lambda: rescore_all_task())


# --------------------------------------------------------------------------- rescoring


@dataclass
class RescoreSummary:
    """What a rescore did: contacts scored, rows written, history rows appended, timings."""

    contacts: int = 0
    written: int = 0
    history: int = 0
    mqls: int = 0
    hand_raisers: int = 0
    definition: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


def _now(as_of: dt.datetime | None) -> dt.datetime:
    return as_of or timezone.now()


def _rule_frame(defn, row, ids, as_of) -> pd.DataFrame:
    contacts = bulkread.contacts(data.fields_needed(defn), ids=ids)
    touches = bulkread.touchpoints(
        attributes=data.touch_attributes(defn), kinds=data.touch_kinds(defn), until=as_of, ids=ids
    )
    if "url" in touches.columns:
        touches["url"] = data.url_paths(touches["url"])
    return score_contacts(defn, contacts=contacts, touchpoints=touches, as_of=as_of)


def store_scores(
    new: pd.DataFrame, *, reason: str, at: dt.datetime, version: int | None, full: bool
) -> tuple[int, int]:
    """Write the rows of ``new`` that differ from the stored ones; append history for changes.

    ``new`` has every LeadScore column; ``full`` means it covers every stored contact (so the
    stored rows are read in one scan instead of by id). Returns (rows written, history rows).
    """
    if "prediction_stale" not in new.columns:
        new = new.assign(prediction_stale=False)
    old = compared_scores(None if full else new["contact_id"].tolist())
    merged = new.merge(old, on="contact_id", how="left", suffixes=("", "_old"), indicator=True)
    is_new = (merged["_merge"] == "left_only").to_numpy()
    differs = is_new.copy()
    changed_columns: set[str] = set()
    for column in ("fit", "engagement", "probability"):
        a = merged[column].astype(float).to_numpy()
        b = merged[f"{column}_old"].astype(float).to_numpy()
        moved = ~(np.isclose(a, b, rtol=0, atol=1e-9) | (np.isnan(a) & np.isnan(b)))
        differs |= moved
        if (moved & ~is_new).any():
            changed_columns.add(column)
    for column in ("hand_raiser", "is_mql", "definition_id", "model_version", "prediction_stale"):
        # Flags and ids as numbers with -1 for "none" (pandas treats None != None as true).
        a = pd.to_numeric(merged[column].astype(object), errors="coerce").fillna(-1)
        b = pd.to_numeric(merged[f"{column}_old"].astype(object), errors="coerce").fillna(-1)
        moved = a.to_numpy(dtype=float) != b.to_numpy(dtype=float)
        differs |= moved
        if (moved & ~is_new).any():
            changed_columns.add(column)
    old_keys = history_keys(
        pd.DataFrame(
            {
                "fit": merged["fit_old"].astype(float).fillna(0.0),
                "engagement": merged["engagement_old"].astype(float).fillna(0.0),
                "hand_raiser": merged["hand_raiser_old"].astype(object).fillna(False).astype(bool),
                "is_mql": merged["is_mql_old"].astype(object).fillna(False).astype(bool),
                "probability": merged["probability_old"].astype(float),
            }
        )
    )
    new_keys = history_keys(merged)
    changed = is_new | (old_keys.to_numpy() != new_keys.to_numpy()).any(axis=1)
    hist = merged.loc[changed, list(HISTORY_COLUMNS[:7])].copy()
    hist["definition_version"] = version
    hist["reason"] = reason
    hist["at"] = at
    differs_new = differs & is_new
    differs_old = differs & ~is_new
    with bulk_write():
        written = upsert_scores(new.loc[differs_new])
        if differs_old.any():
            written += upsert_scores(new.loc[differs_old], update=_update_columns(changed_columns))
        return written, append_history(hist)


def _update_columns(changed: set[str]) -> list[str]:
    """The LeadScore columns an update of existing rows must set, given what moved."""
    columns = ["fit", "engagement", "total", "hand_raiser", "is_mql", "computed_at"]
    if "definition_id" in changed:
        columns.append("definition_id")
    if changed & {"probability", "model_version"}:
        # The model's columns travel together: new factors come with a new probability.
        columns += ["probability", "model_version", "top_factors"]
    if "prediction_stale" in changed:
        columns.append("prediction_stale")
    return columns


def do_rescore_all(*, as_of: dt.datetime | None = None, reason: str = "bulk") -> RescoreSummary:
    """Rescore every contact with the active definition (and model); write what changed."""
    import time

    as_of = _now(as_of)
    row, defn = active_definition()
    summary = RescoreSummary()
    if defn is None:
        summary.note = "no active scoring definition"
        return summary
    summary.definition = str(row)
    t0 = time.perf_counter()
    scores = _rule_frame(defn, row, None, as_of)
    t1 = time.perf_counter()
    frame = _with_predictions(scores, ids=None, as_of=as_of, row=row)
    t2 = time.perf_counter()
    with transaction.atomic():
        summary.written, summary.history = store_scores(
            frame, reason=reason, at=as_of, version=defn.version, full=True
        )
    t3 = time.perf_counter()
    summary.contacts = len(scores)
    summary.mqls = int(scores["is_mql"].sum())
    summary.hand_raisers = int(scores["hand_raiser"].sum())
    summary.seconds = {
        "read_and_score": round(t1 - t0, 3),
        "predict": round(t2 - t1, 3),
        "write": round(t3 - t2, 3),
    }
    return summary


def _with_predictions(scores: pd.DataFrame, *, ids, as_of, row) -> pd.DataFrame:
    """Add definition, probability, model version, top factors and computed_at columns."""
    from smarketing.scoring.predictive import predictions

    frame = scores.drop(columns=[], errors="ignore").copy()
    frame["definition_id"] = row.pk
    frame["computed_at"] = as_of
    pred = predictions(ids=ids, as_of=as_of)
    if pred is None:
        frame["probability"] = np.nan
        frame["model_version"] = None
        frame["top_factors"] = "[]"  # stored JSON text as is: no million empty lists to dump
        return frame
    return frame.merge(pred, on="contact_id", how="left").assign(
        top_factors=lambda f: f["top_factors"].map(lambda v: v if isinstance(v, list) else [])
    )


def do_rescore_contacts(
    contact_ids: Iterable[int], *, as_of: dt.datetime | None = None, reason: str = "touchpoint"
) -> int:
    """Rescore these contacts now (the incremental path). Returns how many were scored.

    Ingest paths that write touchpoints in batches (``bulk_create`` fires no signal) call
    this with the contacts they touched. Rule scores are written at once; when a predictive
    model is active the lead is marked ``prediction_stale`` and its probability is refreshed
    by the next batch (``refresh_stale_predictions``, every 5 minutes), so a touchpoint's
    rescore stays within a few milliseconds.
    """
    ids = sorted({int(i) for i in contact_ids if i is not None})
    if not ids:
        return 0
    as_of = _now(as_of)
    row, defn = active_definition()
    if defn is None:
        return 0
    if len(ids) > BULK_FROM:
        frame = _with_predictions(_rule_frame(defn, row, ids, as_of), ids=ids, as_of=as_of, row=row)
        with transaction.atomic():
            store_scores(frame, reason=reason, at=as_of, version=defn.version, full=False)
            announce_rescored(ids)
        return len(frame)
    fields = data.fields_needed(defn)
    attributes = data.touch_attributes(defn)
    kinds = data.touch_kinds(defn)
    done = 0
    # With a model in force the probability is refreshed in batches (every few minutes, see
    # tasks.refresh_stale_predictions): a touchpoint's rescore must not wait for it.
    stale = PredictiveModel.objects.filter(active=True).exists()
    with transaction.atomic():
        for contact_id in ids:
            contact = data.contact_fields(contact_id, fields)
            if contact is None:
                continue
            touches = data.contact_touchpoints(contact_id, attributes=attributes, kinds=kinds)
            score = score_contact(defn, contact=contact, touchpoints=touches, as_of=as_of)
            _store_one(
                contact_id,
                score,
                row=row,
                version=defn.version,
                at=as_of,
                reason=reason,
                stale=stale,
            )
            done += 1
        announce_rescored(ids)
    return done


def _store_one(contact_id, score, *, row, version, at, reason, stale) -> None:
    old = LeadScore.objects.filter(contact_id=contact_id).first()
    values = {
        "prediction_stale": stale,
        "fit": score.fit,
        "engagement": score.engagement,
        "total": score.total,
        "hand_raiser": score.hand_raiser,
        "is_mql": score.is_mql,
        "definition_id": row.pk,
        "computed_at": at,
    }
    probability = old.probability if old else None
    new_key = history_key(score.fit, score.engagement, score.hand_raiser, score.is_mql, probability)
    if old is None:
        LeadScore.objects.create(contact_id=contact_id, **values)
    else:
        old_key = history_key(old.fit, old.engagement, old.hand_raiser, old.is_mql, probability)
        LeadScore.objects.filter(pk=contact_id).update(**values)
        if old_key == new_key:
            return
    ScoreHistory.objects.create(
        contact_id=contact_id,
        fit=score.fit,
        engagement=score.engagement,
        total=score.total,
        hand_raiser=score.hand_raiser,
        is_mql=score.is_mql,
        probability=probability,
        definition_version=version,
        reason=reason,
        at=at,
    )


def score_all(*, now: dt.datetime | None = None, train_model: bool = True) -> dict:
    """Derive every score for freshly generated data (the demo generator calls this).

    Activates the shipped default definition when none is active, scores every contact,
    trains a predictive model when the closed loop has enough outcomes (and, when it is
    activated, adds probabilities and explanations). Returns what it did.
    """
    from smarketing.scoring.predictive import do_refresh_predictions, do_train_model

    now = _now(now)
    out: dict = {}
    row, _ = active_definition()
    if row is None:
        row = do_save_definition(
            text=default_definition_text(), activate=True, rescore=False, note="shipped default"
        )
        out["activated"] = str(row)
    out["rescore"] = do_rescore_all(as_of=now).to_dict()
    if train_model:
        try:
            result = do_train_model(as_of=now)
        except ModelInputError as exc:
            out["model"] = {"trained": False, "reason": str(exc)}
        else:
            out["model"] = {
                k: result[k] for k in ("version", "activated", "decision", "auc", "note")
            }
            out["model"]["baseline_auc"] = result["baseline"]["auc"]
            if result["activated"]:
                out["predictions"] = do_refresh_predictions(as_of=now)
    return out


__all__ = [
    "RescoreSummary",
    "definition_errors",
    "do_activate_definition",
    "do_rescore_all",
    "do_rescore_contacts",
    "do_save_definition",
    "parsed_definition",
    "score_all",
    "store_scores",
]
