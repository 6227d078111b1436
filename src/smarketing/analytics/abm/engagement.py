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
from collections import defaultdict
from collections.abc import Iterable
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


def engagement_scores(
    rows: Iterable[TouchCount], doc: IcpDocument, *, as_of: dt.date
) -> dict[int, AccountEngagement]:
    """Engagement per account from touch counts (only the ICP's window counts).

    >>> from smarketing.analytics.abm.icp import default_icp_text, load_icp
    >>> doc = load_icp(default_icp_text())
    >>> day = dt.date(2026, 3, 1)
    >>> rows = [TouchCount(1, 10, "Finance Fred", "demo", day, 1),
    ...         TouchCount(1, 11, None, "page_view", day - dt.timedelta(days=30), 4)]
    >>> e = engagement_scores(rows, doc, as_of=day)[1]
    >>> e.points, round(e.score, 1), e.people, sorted(e.engaged_personas)
    (17.0, 24.7, 2, ['Finance Fred'])
    """
    start = as_of - dt.timedelta(days=doc.window_days)
    engaged_from = as_of - dt.timedelta(days=doc.engaged_days)
    out: dict[int, AccountEngagement] = {}
    people: dict[int, set] = defaultdict(set)
    decay = math.log(2) / doc.half_life_days
    for r in rows:
        if r.day < start or r.day > as_of:
            continue
        e = out.get(r.account_id)
        if e is None:
            e = out[r.account_id] = AccountEngagement(r.account_id)
        weight = doc.kind_weights.get(r.kind, 0.0)
        multiplier = doc.persona_weights.get(r.persona or "", 1.0)
        e.points += r.n * weight * multiplier * math.exp(-decay * (as_of - r.day).days)
        e.touches += r.n
        e.by_kind[r.kind] = e.by_kind.get(r.kind, 0) + r.n
        if r.contact_id is not None:
            people[r.account_id].add(r.contact_id)
        if e.last_touch is None or r.day > e.last_touch:
            e.last_touch = r.day
        if r.persona and r.day >= engaged_from:
            e.engaged_personas.add(r.persona)
    for account_id, e in out.items():
        e.people = len(people[account_id])
        e.points = round(e.points, 4)
        e.score = 100.0 * (1.0 - math.exp(-max(e.points, 0.0) / doc.scale))
    return out
