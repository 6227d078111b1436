"""Planning API: the reverse-funnel plan (what-if) and the shared goals per period."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from smarketing.analytics.planning import PlanningError, parse_period
from smarketing.config.auth import read_auth, write_auth
from smarketing.core.audit import acting_as
from smarketing.core.bounds import money_field
from smarketing.core.permissions import require
from smarketing.planning import selectors
from smarketing.planning.actions import do_save_goal
from smarketing.planning.models import Goal

router = Router(tags=["planning"])


class PlanQuery(Schema):
    revenue: float
    deal_size: float | None = None
    lead_to_customer: float | None = None
    lead_to_mql: float | None = None
    mql_to_sql: float | None = None
    sql_to_opportunity: float | None = None
    opportunity_to_customer: float | None = None
    period: str | None = None


#: The range of ``Goal.revenue`` / ``deal_size`` (``DecimalField(max_digits=14, decimal_places=2)``).
Money = money_field(14, 2, gt=Decimal(0))


class GoalIn(Schema):
    revenue: Money
    deal_size: Money | None = None
    lead_to_customer: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    rates: dict[str, float] = {}
    note: str = Field("", max_length=300)


class GoalOut(Schema):
    period: str
    period_start: str
    period_end: str
    revenue: Decimal
    deal_size: Decimal | None
    lead_to_customer: float | None
    rates: dict
    note: str

    @staticmethod
    def resolve_period_start(obj):
        return obj.period_start.isoformat()

    @staticmethod
    def resolve_period_end(obj):
        return obj.period_end.isoformat()


@router.get("/planning/plan", auth=read_auth())
def plan(request, q: Query[PlanQuery]):
    """Work a revenue goal back to customers ... leads; inputs not given are measured."""
    rates = {
        k: v
        for k, v in q.dict().items()
        if k in ("lead_to_mql", "mql_to_sql", "sql_to_opportunity", "opportunity_to_customer")
        and v is not None
    }
    try:
        result = selectors.make_plan(
            revenue=q.revenue,
            deal_size=q.deal_size,
            lead_to_customer=q.lead_to_customer,
            rates=rates,
            period=q.period,
        )
    except PlanningError as exc:
        raise HttpError(422, str(exc)) from None
    return result.to_dict()


@router.get("/planning/goals", response=list[GoalOut], auth=read_auth())
def list_goals(request):
    """Every saved goal, newest period first."""
    return list(Goal.objects.all())


def _goal(period: str) -> Goal:
    try:
        label = parse_period(period).label
    except PlanningError as exc:
        raise HttpError(422, f"period: {exc}") from None
    return get_object_or_404(Goal, period=label)


@router.get("/planning/goals/{period}", auth=read_auth())
def get_goal(request, period: str):
    """A goal with its plan and pacing (each team's metrics)."""
    goal = _goal(period)
    gp = selectors.goal_pacing(goal)
    return {
        "goal": GoalOut.from_orm(goal).dict(),
        "plan": gp.plan.to_dict(),
        "pacing": {k: p.to_dict() for k, p in gp.metrics.items()},
    }


@router.put("/planning/goals/{period}", response=GoalOut, auth=write_auth())
def put_goal(request, period: str, body: GoalIn):
    """Create or update the period's shared goal (idempotent)."""
    user = request.user if getattr(request.user, "is_authenticated", False) else None
    require(user, "planning.set_goal")
    with acting_as(user):  # ValidationError -> 422 naming the field (config/api.py)
        return do_save_goal(period=period, by=user, **body.dict())
