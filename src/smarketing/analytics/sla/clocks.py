"""SLA clocks of a lead: first touch, attempts and decision, in business time.

Three clocks start when a lead is assigned to its owner:

- **first touch** is due ``sales.first_touch[priority]`` business hours after assignment and is
  met by the first touch;
- **attempts** is due at close of business on the ``within_business_days``-th business day and is
  met by the ``min_attempts``-th attempt (``min_attempts == 0`` is met at assignment);
- **decision** (accept / reject) is due ``decision_within_hours`` business hours after
  assignment and is met by the decision.

Each clock is ``met`` (done by its due time), ``breached`` (done late, or not done and ``now`` is
past due) or ``pending``; breached clocks carry the business hours overdue (up to the late event,
or up to ``now``), pending ones the business hours remaining. The owner's pauses (out of office)
stop the clocks.

:func:`clock_state` evaluates one lead; :func:`evaluate_clocks` evaluates many leads with numpy
(one :class:`~smarketing.analytics.sla.vectorised.BusinessClock` per owner) and gives the same
answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from smarketing.analytics.sla.calendar import (
    BusinessCalendar,
    CalendarError,
    Pause,
    add_business_days,
    add_business_hours,
    business_hours_between,
)
from smarketing.analytics.sla.document import SalesCommitments, SlaDocument
from smarketing.analytics.sla.vectorised import BusinessClock

__all__ = [
    "STATUS_BREACHED",
    "STATUS_MET",
    "STATUS_PENDING",
    "ClockArrays",
    "ClockStatus",
    "LeadClocks",
    "clock_state",
    "evaluate_clocks",
    "kth_attempt",
]

Status = Literal["met", "pending", "breached"]
STATUS_PENDING, STATUS_MET, STATUS_BREACHED = 0, 1, 2
_STATUS_NAMES: tuple[Status, ...] = ("pending", "met", "breached")


@dataclass(frozen=True)
class ClockStatus:
    """One SLA clock of one lead."""

    kind: str
    due: datetime
    status: Status
    done_at: datetime | None = None
    overdue_hours: float = 0.0
    remaining_hours: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "due": self.due.isoformat(),
            "status": self.status,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "overdue_hours": self.overdue_hours,
            "remaining_hours": self.remaining_hours,
        }


@dataclass(frozen=True)
class LeadClocks:
    """The three SLA clocks of a lead."""

    first_touch: ClockStatus
    attempts: ClockStatus
    decision: ClockStatus

    @property
    def clocks(self) -> tuple[ClockStatus, ClockStatus, ClockStatus]:
        return (self.first_touch, self.attempts, self.decision)

    @property
    def breached(self) -> tuple[str, ...]:
        """Kinds of the breached clocks."""
        return tuple(c.kind for c in self.clocks if c.status == "breached")

    @property
    def settled(self) -> bool:
        """True when no clock is pending (the lead needs no more checking)."""
        return all(c.status != "pending" for c in self.clocks)

    def to_dict(self) -> dict[str, object]:
        return {c.kind: c.to_dict() for c in self.clocks}


def kth_attempt(attempts: Iterable[datetime], k: int) -> datetime | None:
    """The ``k``-th attempt in time order (1-based), or ``None`` when there are fewer.

    Examples
    --------
    >>> t = [datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)]
    >>> kth_attempt(t, 2).day
    2
    """
    ordered = sorted(attempts)
    return ordered[k - 1] if 1 <= k <= len(ordered) else None


def _clock(
    kind: str,
    due: datetime,
    done: datetime | None,
    now: datetime,
    calendar: BusinessCalendar,
    pauses: Sequence[Pause],
) -> ClockStatus:
    if done is not None and done <= due:
        return ClockStatus(kind, due, "met", done)
    if done is not None:
        late = business_hours_between(due, done, calendar, pauses=pauses)
        return ClockStatus(kind, due, "breached", done, overdue_hours=late)
    if now > due:
        late = business_hours_between(due, now, calendar, pauses=pauses)
        return ClockStatus(kind, due, "breached", overdue_hours=late)
    left = business_hours_between(now, due, calendar, pauses=pauses)
    return ClockStatus(kind, due, "pending", remaining_hours=left)


def _sales(sla: SlaDocument | SalesCommitments) -> SalesCommitments:
    return sla.sales if isinstance(sla, SlaDocument) else sla


def clock_state(
    *,
    assigned_at: datetime,
    priority: str | None,
    first_touch_at: datetime | None,
    attempts: Iterable[datetime],
    decided_at: datetime | None,
    now: datetime,
    sla: SlaDocument | SalesCommitments,
    calendar: BusinessCalendar,
    pauses: Iterable[Pause] = (),
) -> LeadClocks:
    """Evaluate a lead's three SLA clocks at ``now``.

    Events after ``now`` are ignored (the clock shows what was known at ``now``).

    Examples
    --------
    >>> from smarketing.analytics.sla.document import default_sla_text, load_sla
    >>> sla = load_sla(default_sla_text())
    >>> cal = sla.calendar_for()
    >>> assigned = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # Monday 09:00 Berlin
    >>> clocks = clock_state(
    ...     assigned_at=assigned, priority="hand_raiser",
    ...     first_touch_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC), attempts=[],
    ...     decided_at=None, now=datetime(2026, 1, 5, 12, 0, tzinfo=UTC), sla=sla, calendar=cal,
    ... )
    >>> clocks.first_touch.status, clocks.first_touch.overdue_hours
    ('breached', 0.5)
    >>> clocks.decision.status, clocks.decision.remaining_hours
    ('pending', 12.0)
    """
    sales = _sales(sla)
    pauses = list(pauses)
    if now.tzinfo is None or assigned_at.tzinfo is None:
        raise CalendarError("assigned_at and now must be timezone-aware")
    visible = [t for t in attempts if t <= now]

    def seen(t: datetime | None) -> datetime | None:
        return t if t is not None and t <= now else None

    ft_due = add_business_hours(
        assigned_at, sales.first_touch_hours(priority), calendar, pauses=pauses
    )
    if sales.min_attempts == 0:
        att_due, att_done = assigned_at, assigned_at
    else:
        att_due = add_business_days(
            assigned_at, sales.attempts_within_business_days, calendar, pauses=pauses
        )
        att_done = kth_attempt(visible, sales.min_attempts)
    dec_due = add_business_hours(assigned_at, sales.decision_within_hours, calendar, pauses=pauses)
    return LeadClocks(
        first_touch=_clock("first_touch", ft_due, seen(first_touch_at), now, calendar, pauses),
        attempts=_clock("attempts", att_due, att_done, now, calendar, pauses),
        decision=_clock("decision", dec_due, seen(decided_at), now, calendar, pauses),
    )


@dataclass(frozen=True)
class ClockArrays:
    """Clocks of many leads: due times (epoch seconds), status codes and hours.

    ``status_*`` hold :data:`STATUS_PENDING` (0), :data:`STATUS_MET` (1) or
    :data:`STATUS_BREACHED` (2); ``overdue_*`` the business hours overdue of breached clocks
    (0 otherwise), ``remaining_*`` the business hours left on pending ones (0 otherwise).
    """

    first_touch_due: np.ndarray
    attempts_due: np.ndarray
    decision_due: np.ndarray
    status_first_touch: np.ndarray
    status_attempts: np.ndarray
    status_decision: np.ndarray
    overdue_first_touch: np.ndarray
    overdue_attempts: np.ndarray
    overdue_decision: np.ndarray
    remaining_first_touch: np.ndarray
    remaining_attempts: np.ndarray
    remaining_decision: np.ndarray

    @staticmethod
    def status_name(code: int) -> Status:
        """``'pending'``, ``'met'`` or ``'breached'`` for a status code."""
        return _STATUS_NAMES[int(code)]


def _status(clock: BusinessClock, due, done, now_arr):
    late_done = ~np.isnan(done) & (done > due)
    met = ~np.isnan(done) & (done <= due)
    late_open = np.isnan(done) & (now_arr > due)
    status = np.full(due.shape, STATUS_PENDING, dtype=np.int8)
    status[met] = STATUS_MET
    status[late_done | late_open] = STATUS_BREACHED
    end = np.where(late_done, done, now_arr)
    overdue = np.where(late_done | late_open, clock.hours_between(due, end), 0.0)
    pending = status == STATUS_PENDING
    remaining = np.where(pending, clock.hours_between(np.where(pending, now_arr, due), due), 0.0)
    return status, overdue, remaining


def evaluate_clocks(
    *,
    assigned_at: np.ndarray,
    first_touch_hours: np.ndarray,
    first_touch_at: np.ndarray,
    kth_attempt_at: np.ndarray,
    decided_at: np.ndarray,
    owner: np.ndarray,
    clocks: Mapping[object, BusinessClock],
    now: datetime,
    sla: SlaDocument | SalesCommitments,
) -> ClockArrays:
    """Evaluate the SLA clocks of many leads at once.

    Parameters
    ----------
    assigned_at, first_touch_at, kth_attempt_at, decided_at
        Epoch seconds (float64, ``NaN`` = not happened). ``kth_attempt_at`` is the time of the
        ``min_attempts``-th attempt (see :func:`kth_attempt`; a SQL window function in the app).
        Events after ``now`` must already be ``NaN`` (or are treated as not happened).
    first_touch_hours
        Hours allowed to first touch per lead (resolve the priority with
        :meth:`SalesCommitments.first_touch_hours`).
    owner
        Key per lead into ``clocks``: one :class:`BusinessClock` per owner (their calendar and
        pauses), with a horizon covering the assignments and ``now`` plus the longest deadline.
    now
        Evaluation instant (aware).

    Returns
    -------
    ClockArrays
        Equal to :func:`clock_state` lead by lead.
    """
    sales = _sales(sla)
    now_e = now.timestamp()
    assigned_at = np.asarray(assigned_at, dtype=np.float64)
    n = assigned_at.shape[0]
    hide = lambda a: np.where(np.asarray(a, dtype=np.float64) <= now_e, a, np.nan)  # noqa: E731
    ft_at, kth_at, dec_at = hide(first_touch_at), hide(kth_attempt_at), hide(decided_at)
    ft_hours = np.asarray(first_touch_hours, dtype=np.float64)
    owner = np.asarray(owner)
    out = {
        name: np.zeros(n, dtype=np.float64)
        for name in (
            "first_touch_due",
            "attempts_due",
            "decision_due",
            "overdue_first_touch",
            "overdue_attempts",
            "overdue_decision",
            "remaining_first_touch",
            "remaining_attempts",
            "remaining_decision",
        )
    }
    for name in ("status_first_touch", "status_attempts", "status_decision"):
        out[name] = np.zeros(n, dtype=np.int8)
    keys, inverse = np.unique(owner, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
    for g, key in enumerate(keys):
        idx = order[bounds[g] : bounds[g + 1]]
        try:
            clock = clocks[key.item() if hasattr(key, "item") else key]
        except KeyError:
            raise CalendarError(f"no BusinessClock for owner {key!r}") from None
        a = assigned_at[idx]
        now_arr = np.full(a.shape, now_e)
        ft_due = clock.add_hours(a, ft_hours[idx])
        dec_due = clock.add_hours(a, np.full(a.shape, sales.decision_within_hours))
        if sales.min_attempts == 0:
            att_due, att_done = a, a
        else:
            att_due = clock.add_business_days(a, sales.attempts_within_business_days)
            att_done = kth_at[idx]
        for kind, due, done in (
            ("first_touch", ft_due, ft_at[idx]),
            ("attempts", att_due, att_done),
            ("decision", dec_due, dec_at[idx]),
        ):
            status, overdue, remaining = _status(clock, due, done, now_arr)
            out[f"{kind}_due"][idx] = due
            out[f"status_{kind}"][idx] = status
            out[f"overdue_{kind}"][idx] = overdue
            out[f"remaining_{kind}"][idx] = remaining
    return ClockArrays(**out)


def utc(epoch: float) -> datetime:
    """Epoch seconds to an aware UTC datetime (handy with :class:`ClockArrays`)."""
    return datetime.fromtimestamp(float(epoch), UTC)
