"""SLA maths: business calendar, the SLA document, per-lead clocks and compliance figures.

Pure (no Django). Modules:

- :mod:`.calendar` -- :class:`BusinessCalendar` and scalar business-time arithmetic;
- :mod:`.vectorised` -- :class:`BusinessClock`, the same arithmetic over numpy arrays;
- :mod:`.document` -- the versioned YAML SLA document (:func:`load_sla`, :class:`SlaDocument`);
- :mod:`.clocks` -- a lead's first-touch / attempts / decision clocks (:func:`clock_state`,
  :func:`evaluate_clocks`);
- :mod:`.compliance` -- compliance per rep / team / month and marketing's commitments.
"""

from smarketing.analytics.sla.calendar import (
    BusinessCalendar,
    CalendarError,
    add_business_days,
    add_business_hours,
    business_hours_between,
    is_open,
    parse_hours,
)
from smarketing.analytics.sla.clocks import (
    ClockArrays,
    ClockStatus,
    LeadClocks,
    clock_state,
    evaluate_clocks,
    kth_attempt,
)
from smarketing.analytics.sla.compliance import (
    ComplianceError,
    ComplianceReport,
    ComplianceRow,
    LeadRecord,
    MarketingMonth,
    MqlRecord,
    OpportunityRecord,
    compute_compliance,
    marketing_compliance,
)
from smarketing.analytics.sla.document import (
    SlaDocument,
    SlaError,
    SlaIssue,
    default_sla_text,
    load_sla,
    load_sla_file,
)
from smarketing.analytics.sla.vectorised import BusinessClock, to_epoch

__all__ = [
    "BusinessCalendar",
    "BusinessClock",
    "CalendarError",
    "ClockArrays",
    "ClockStatus",
    "ComplianceError",
    "ComplianceReport",
    "ComplianceRow",
    "LeadClocks",
    "LeadRecord",
    "MarketingMonth",
    "MqlRecord",
    "OpportunityRecord",
    "SlaDocument",
    "SlaError",
    "SlaIssue",
    "add_business_days",
    "add_business_hours",
    "business_hours_between",
    "clock_state",
    "compute_compliance",
    "default_sla_text",
    "evaluate_clocks",
    "is_open",
    "kth_attempt",
    "load_sla",
    "load_sla_file",
    "marketing_compliance",
    "parse_hours",
    "to_epoch",
]
