"""Account engagement: every touch of every contact of an account, weighted, decayed, explained.

Input rows are touch counts per (account, contact, persona, kind, day) — the database groups
them, so an account with 5,000 touches is a few hundred rows. Each touch earns its kind's
weight times its persona's multiplier, halved every ``half_life_days``; the raw points become a
0-100 score with ``100 * (1 - exp(-points / scale))`` (diminishing returns: the hundredth
page view adds less than the first demo).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from smarketing.analytics.abm.icp import IcpDocument

__all__ = ["AccountEngagement", "TouchCount", "engagement_scores"]


@dataclass(frozen=True)
class TouchCount:
    """``n`` touches of ``kind`` on ``day`` by one contact (with its persona) of an account."""

    account_id: int
    contact_id: int | None
    persona: str | None
    kind: str
    day: dt.date
    n: int = 1


@dataclass
class AccountEngagement:
    """One account's engagement score (0-100) and what made it, in words."""

    account_id: int
    score: float = 0.0
    points: float = 0.0
    touches: int = 0
    people: int = 0
    last_touch: dt.date | None = None
    engaged_personas: set[str] = field(default_factory=set)
    by_kind: dict[str, int] = field(default_factory=dict)

    def words(self, labels: dict[str, str] | None = None) -> str:
        """E.g. "34 touches from 5 people in the last 90 days: 2 demos, 6 email clicks …"."""
        if not self.touches:
            return "No touches in the window."
        labels = labels or {}
        top = sorted(self.by_kind.items(), key=lambda kv: -kv[1])[:4]
        parts = ", ".join(f"{n} {labels.get(k, k.replace('_', ' ')).lower()}" for k, n in top)
        people = f"{self.people} {'person' if self.people == 1 else 'people'}"
        return f"{self.touches:,} touches from {people}: {parts}."


COLUMNS = ("account_id", "contact_id", "persona", "kind", "day", "n")


def engagement_scores(rows, doc: IcpDocument, *, as_of: dt.date) -> dict[int, AccountEngagement]:
    """Engagement per account from touch counts (only the ICP's window counts).

    ``rows``: :class:`TouchCount` items, or a pandas DataFrame with the columns of
    :data:`COLUMNS` (``day`` as dates) — the fast path for every account of a company.

    >>> from smarketing.analytics.abm.icp import default_icp_text, load_icp
    >>> doc = load_icp(default_icp_text())
    >>> day = dt.date(2026, 3, 1)
    >>> rows = [TouchCount(1, 10, "Finance Fred", "demo", day, 1),
    ...         TouchCount(1, 11, None, "page_view", day - dt.timedelta(days=30), 4)]
    >>> e = engagement_scores(rows, doc, as_of=day)[1]
    >>> e.points, round(e.score, 1), e.people, sorted(e.engaged_personas)
    (17.0, 24.7, 2, ['Finance Fred'])
    """
    import numpy as np
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        df = rows
    else:
        df = pd.DataFrame([tuple(getattr(r, c) for c in COLUMNS) for r in rows], columns=list(COLUMNS))
    if df.empty:
        return {}
    age = (pd.Timestamp(as_of) - pd.to_datetime(df["day"])).dt.days.to_numpy()
    keep = (age >= 0) & (age <= doc.window_days)
    df = df.loc[keep].copy()
    if df.empty:
        return {}
    age = age[keep]
    weight = df["kind"].map(doc.kind_weights).fillna(0.0).to_numpy(dtype=float)
    multiplier = df["persona"].map(doc.persona_weights).fillna(1.0).to_numpy(dtype=float)
    n = df["n"].to_numpy(dtype=float)
    df["points"] = n * weight * multiplier * np.exp(-math.log(2) / doc.half_life_days * age)
    grouped = df.groupby("account_id")
    totals = grouped.agg(points=("points", "sum"), touches=("n", "sum"), last=("day", "max"),
                         people=("contact_id", "nunique"))  # fmt: skip
    kinds = df.groupby(["account_id", "kind"])["n"].sum()
    recent = df.loc[(age <= doc.engaged_days) & df["persona"].notna(), ["account_id", "persona"]]
    personas = recent.drop_duplicates().groupby("account_id")["persona"].agg(set)
    out: dict[int, AccountEngagement] = {}
    by_kind: dict[int, dict[str, int]] = {}
    for (account_id, kind), count in kinds.items():
        by_kind.setdefault(int(account_id), {})[kind] = int(count)
    for account_id, row in totals.iterrows():
        aid = int(account_id)
        points = round(float(row["points"]), 4)
        last = row["last"]
        out[aid] = AccountEngagement(
            account_id=aid,
            score=100.0 * (1.0 - math.exp(-max(points, 0.0) / doc.scale)),
            points=points,
            touches=int(row["touches"]),
            people=int(row["people"]),
            last_touch=last if isinstance(last, dt.date) else pd.Timestamp(last).date(),
            engaged_personas=set(personas.get(account_id, set())),
            by_kind=by_kind.get(aid, {}),
        )
    return out
