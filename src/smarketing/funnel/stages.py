"""Which lifecycle transitions are allowed: forward freely, backward only explicitly.

Pure rules (no database), so the action layer, the importers and the demo generator agree.
Forward moves may skip stages (a demo request makes a lead an MQL at once; an import may
know only that someone is a customer). Moving backwards is never silent: the only ways back
are an explicit *recycle* (to nurture) or *disqualify*, and re-engaging a recycled or
disqualified person as a lead or MQL.
"""

from __future__ import annotations

from smarketing.crm.choices import FUNNEL_ORDER

RECYCLED = "recycled"
DISQUALIFIED = "disqualified"
ALL_STAGES = (*FUNNEL_ORDER, RECYCLED, DISQUALIFIED)
_RANK = {stage: i for i, stage in enumerate(FUNNEL_ORDER)}
_REENTRY = frozenset({"lead", "mql"})
_TERMINAL_FOR_RECYCLE = frozenset({"customer", "evangelist"})


class TransitionError(ValueError):
    """A lifecycle transition is not allowed; the message says why and what to do instead."""


def check_transition(from_stage: str | None, to_stage: str) -> None:
    """Raise :class:`TransitionError` unless moving ``from_stage`` → ``to_stage`` is allowed.

    >>> check_transition("lead", "mql")
    >>> check_transition("sql", "lead")
    Traceback (most recent call last):
    ...
    smarketing.funnel.stages.TransitionError: cannot move backwards from sql to lead; recycle or disqualify the lead explicitly
    """
    if to_stage not in ALL_STAGES:
        raise TransitionError(f"unknown lifecycle stage {to_stage!r}")
    if from_stage is None or from_stage == "":
        return
    if from_stage not in ALL_STAGES:
        raise TransitionError(f"unknown lifecycle stage {from_stage!r}")
    if from_stage == to_stage:
        raise TransitionError(f"contact is already in stage {to_stage}")
    if to_stage in (RECYCLED, DISQUALIFIED):
        if from_stage in _TERMINAL_FOR_RECYCLE:
            raise TransitionError(f"a {from_stage} cannot be {to_stage}")
        return
    if from_stage in (RECYCLED, DISQUALIFIED):
        if to_stage not in _REENTRY:
            raise TransitionError(
                f"a {from_stage} contact re-enters the funnel as lead or mql, not {to_stage}"
            )
        return
    if _RANK[to_stage] < _RANK[from_stage]:
        raise TransitionError(
            f"cannot move backwards from {from_stage} to {to_stage}; "
            "recycle or disqualify the lead explicitly"
        )
