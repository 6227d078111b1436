"""Where the funnel reads lead scores: a small hook, so the funnel works without scoring.

The scoring app (or a test) registers a provider with :func:`register_score_provider`; it
receives contact ids and returns ``{contact_id: LeadScores}``. Without a provider the funnel
tries ``smarketing.scoring.models.LeadScore`` (fields ``contact``, ``fit`` / ``fit_score``,
``engagement`` / ``engagement_score``) and otherwise knows no scores: score thresholds of the
MQL rule are then simply not met, and hand-raisers still qualify.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class LeadScores:
    """Fit and engagement score of a lead (``None`` when unknown)."""

    fit: float | None = None
    engagement: float | None = None

    @property
    def total(self) -> float:
        return (self.fit or 0.0) + (self.engagement or 0.0)


Provider = Callable[[list[int]], dict[int, LeadScores]]
_provider: Provider | None = None


def register_score_provider(provider: Provider | None) -> None:
    """Use ``provider`` for score lookups (``None`` restores the default lookup)."""
    global _provider
    _provider = provider


def _field(model, *names: str) -> str | None:
    fields = {f.name for f in model._meta.get_fields()}
    return next((n for n in names if n in fields), None)


_tables: dict[tuple[str, str], bool] = {}


def _table_ready(model) -> bool:
    """True when the scoring table exists (scoring may be installed but not migrated yet)."""
    from django.db import connection

    key = (str(connection.settings_dict.get("NAME")), model._meta.db_table)
    if key not in _tables:
        _tables[key] = model._meta.db_table in connection.introspection.table_names()
    return _tables[key]


def _default_provider(ids: list[int]) -> dict[int, LeadScores]:
    try:
        from smarketing.scoring.models import LeadScore  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return {}
    fit = _field(LeadScore, "fit", "fit_score")
    eng = _field(LeadScore, "engagement", "engagement_score")
    if _field(LeadScore, "contact") is None or not (fit or eng) or not _table_ready(LeadScore):
        return {}
    rows = LeadScore.objects.filter(contact_id__in=ids).values_list(
        "contact_id", fit or "contact_id", eng or "contact_id"
    )
    return {
        cid: LeadScores(
            fit=float(f) if fit and f is not None else None,
            engagement=float(e) if eng and e is not None else None,
        )
        for cid, f, e in rows
    }


def scores_for(contact_ids: Iterable[int]) -> dict[int, LeadScores]:
    """Scores of the given contacts; contacts without scores are missing from the dict."""
    ids = list(contact_ids)
    if not ids:
        return {}
    return (_provider or _default_provider)(ids)


def score_of(contact_id: int) -> LeadScores | None:
    """Scores of one contact, or ``None`` when scoring knows nothing about it."""
    return scores_for([contact_id]).get(contact_id)
