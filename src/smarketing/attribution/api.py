"""Attribution API: ``GET /api/attribution`` returns the CLI's ``--json`` document."""

from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema

from smarketing.analytics.attribution import AttributionError
from smarketing.attribution import selectors
from smarketing.attribution.selectors import QueryError

router = Router(tags=["attribution"])


class CreditOut(Schema):
    key: str
    conversions: float
    value: float
    share: float
    cost: float | None = None
    cost_per_conversion: float | None = None
    roi: float | None = None


class IntervalOut(Schema):
    key: str
    conversions_low: float
    conversions_high: float
    share_low: float
    share_high: float


class IntervalsOut(Schema):
    confidence: float
    keys: list[IntervalOut]


class AttributionOut(Schema):
    model: str
    by: str
    total_conversions: float
    total_value: float
    credits: list[CreditOut]
    intervals: IntervalsOut | None = None


class AttributionParams(Schema):
    model: str = "linear"
    by: str = "channel"
    conversion: str = "won"
    since: str | None = None
    until: str | None = None
    account_level: bool = False
    order: int | None = None
    lookback_days: float | None = None
    half_life_days: float | None = None
    weights: str | None = None
    intervals: bool = False
    n_boot: int | None = None


@router.get("/attribution", response=AttributionOut, exclude_unset=True)
def get_attribution(request, params: Query[AttributionParams]):
    """Credit per key under one model: the same JSON as ``smarketing attribution --json``.

    ``model``: first_touch, last_touch, last_non_direct, linear, time_decay, position_based
    (u_shaped), w_shaped, full_path, custom (with ``weights=first=0.4,middle=0.2,last=0.4``),
    markov (``order`` 1-4), shapley. ``by``: channel, source, campaign, content, keyword,
    email_subject, kind, team. ``conversion``: lead, mql, sql, opportunity, won.
    ``since``/``until``: conversion dates (YYYY-MM-DD, ``until`` inclusive). Campaign and
    channel levels add cost, cost per conversion and ROI; ``intervals=true`` (markov,
    shapley) adds bootstrap intervals. Bad parameters: 422 naming the field.
    """
    raw = {k: v for k, v in params.dict().items() if v is not None}
    try:
        query = selectors.parse_query(raw)
    except QueryError as exc:
        raise ValidationError({exc.field: exc.message}) from None
    try:
        return selectors.cached_result(query)
    except AttributionError as exc:
        raise ValidationError({"__all__": str(exc)}) from None
