"""Typed results of the attribution engine: credits, intervals, model comparisons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NO_TOUCH = "(no touch)"
"""Key under which conversions with no touch inside the lookback window are reported."""


@dataclass(frozen=True)
class Credit:
    """Credit one key (a channel, campaign, team, ...) receives under one model.

    ``cost``, ``cost_per_conversion`` and ``roi`` are filled only when costs were given;
    ``cost_per_conversion`` is ``None`` when the key earned no conversion and ``roi``
    (``(value - cost) / cost``) is ``None`` when the cost is zero.
    """

    key: str
    conversions: float
    value: float
    share: float
    cost: float | None = None
    cost_per_conversion: float | None = None
    roi: float | None = None


@dataclass(frozen=True)
class Interval:
    """Bootstrap interval (over journeys) of one key's credited conversions and share."""

    key: str
    conversions_low: float
    conversions_high: float
    share_low: float
    share_high: float


@dataclass(frozen=True)
class AttributionResult:
    """Credit per key under one model; credits sum to the totals.

    ``share`` is the key's fraction of ``total_conversions`` (of ``total_value`` when there
    are no conversions but value exists). ``details`` holds model extras such as the
    Markov removal effects; it is not part of :meth:`to_dict`.
    """

    model: str
    by: str
    total_conversions: float
    total_value: float
    credits: tuple[Credit, ...]
    intervals: tuple[Interval, ...] | None = None
    confidence: float | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def credit(self, key: str) -> Credit:
        """Return the credit of ``key`` (a zero credit when the key earned nothing)."""
        for credit in self.credits:
            if credit.key == key:
                return credit
        return Credit(key=key, conversions=0.0, value=0.0, share=0.0)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form used by the CLI's ``--json`` and the web page.

        Examples
        --------
        >>> r = AttributionResult("linear", "channel", 1.0, 10.0,
        ...                       (Credit("Email", 1.0, 10.0, 1.0),))
        >>> r.to_dict()["credits"]
        [{'key': 'Email', 'conversions': 1.0, 'value': 10.0, 'share': 1.0}]
        """
        credits = []
        for c in self.credits:
            row: dict[str, Any] = {
                "key": c.key,
                "conversions": c.conversions,
                "value": c.value,
                "share": c.share,
            }
            if c.cost is not None:
                row.update(cost=c.cost, cost_per_conversion=c.cost_per_conversion, roi=c.roi)
            credits.append(row)
        out: dict[str, Any] = {
            "model": self.model,
            "by": self.by,
            "total_conversions": self.total_conversions,
            "total_value": self.total_value,
            "credits": credits,
        }
        if self.intervals is not None:
            out["intervals"] = {
                "confidence": self.confidence,
                "keys": [
                    {
                        "key": i.key,
                        "conversions_low": i.conversions_low,
                        "conversions_high": i.conversions_high,
                        "share_low": i.share_low,
                        "share_high": i.share_high,
                    }
                    for i in self.intervals
                ],
            }
        return out

    def to_frame(self):
        """Return the credits as a pandas DataFrame (one row per key)."""
        import pandas as pd

        return pd.DataFrame([c.__dict__ for c in self.credits])


@dataclass(frozen=True)
class ComparisonRow:
    """One key's share under every compared model and the spread (max - min share)."""

    key: str
    shares: dict[str, float]
    spread: float


@dataclass(frozen=True)
class ModelComparison:
    """Shares of every key under several models, sorted by disagreement (largest first)."""

    by: str
    models: tuple[str, ...]
    rows: tuple[ComparisonRow, ...]
    results: dict[str, AttributionResult] = field(compare=False, default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form: models, and per key the shares and the spread."""
        return {
            "by": self.by,
            "models": list(self.models),
            "rows": [
                {"key": r.key, "shares": dict(r.shares), "spread": r.spread} for r in self.rows
            ],
        }
