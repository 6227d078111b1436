"""SLA document parsing: the shipped example loads; bad documents give located errors."""

from datetime import date

import pytest

from smarketing.analytics.sla.document import SlaError, default_sla_text, load_sla

GOOD = """\
version: 3
name: "Acme smarketing SLA"
effective: 2026-01-01
calendar:
  timezone: Europe/Berlin
  country: DE
  subdivision: BE
  hours: {mon: "09:00-17:00", tue: "09:00-17:00", fri: "09:00-16:00"}
  closed: [2026-12-24]
marketing: {mqls_per_month: 400, mqls_per_rep_per_month: null, min_mql_to_sql_rate: 0.25}
sales:
  first_touch: {hand_raiser: 1, default: 8}
  attempts: {min_attempts: 4, within_business_days: 5}
  decision_within_hours: 16
  rejection_reason_required: true
enforcement: {escalate_after_hours: 4, reassign_after_hours: 16, notify_owner: true}
teams:
  sales-us: {timezone: America/New_York, country: US}
"""


def errors(text):
    with pytest.raises(SlaError) as info:
        load_sla(text)
    return [str(e) for e in info.value.errors]


def test_good_document():
    doc = load_sla(GOOD)
    assert doc.version == 3 and doc.effective == date(2026, 1, 1)
    assert doc.sales.first_touch_hours("hand_raiser") == 1.0
    assert doc.sales.first_touch_hours(None) == 8.0
    assert doc.sales.min_attempts == 4 and doc.sales.attempts_within_business_days == 5
    assert doc.marketing.mqls_committed() == 400
    assert doc.marketing.pipeline_per_quarter is None
    cal = doc.calendar_for()
    assert cal.hours[4] == ((540, 960),) and cal.hours[2] == ()
    assert date(2026, 12, 24) in cal.closed
    us = doc.calendar_for(team="sales-us")
    assert (us.timezone, us.country, us.subdivision) == ("America/New_York", "US", None)
    assert us.hours == cal.hours  # inherited
    assert doc.to_dict()["sales"]["attempts"] == {"min_attempts": 4, "within_business_days": 5}


def test_shipped_default_loads_and_round_trips():
    doc = load_sla(default_sla_text())
    assert doc.name and doc.calendar.timezone == "Europe/Berlin"
    assert doc.to_dict()["effective"] == "2026-01-01"


def test_negative_count_is_located():
    text = GOOD.replace("default: 8", "default: -1")
    assert errors(text) == ["line 12, field 'sales.first_touch.default': must be >= 0, got -1"]


def test_unknown_field():
    text = GOOD.replace("  decision_within_hours: 16", "  decision_within_hours: 16\n  colour: red")
    assert errors(text) == [
        "line 15, field 'sales.colour': unknown field (allowed: first_touch, attempts, "
        "decision_within_hours, rejection_reason_required, rejection_outcomes)"
    ]


def test_impossible_hours():
    text = GOOD.replace('mon: "09:00-17:00"', 'mon: "09:00-25:00"').replace(
        'tue: "09:00-17:00"', 'tue: "17:00-09:00"'
    )
    got = errors(text)
    assert (
        got[0] == "line 8, field 'calendar.hours.mon': 25:00 is not a time of day (00:00 to 24:00)"
    )
    assert got[1].startswith("line 8, field 'calendar.hours.tue': '17:00-09:00': end must be after")


def test_bad_timezone_and_country():
    assert errors(GOOD.replace("timezone: Europe/Berlin", "timezone: Europe/Atlantis")) == [
        "line 5, field 'calendar.timezone': unknown timezone 'Europe/Atlantis'"
    ]
    got = errors(GOOD.replace("country: DE", "country: XX"))
    assert got == ["line 6, field 'calendar.country': unknown holiday country 'XX'"]
    got = errors(GOOD.replace("country: US}", "country: ZZ}"))
    assert got == ["line 18, field 'teams.sales-us.country': unknown holiday country 'ZZ'"]


def test_several_errors_at_once_and_types():
    text = (
        GOOD.replace("version: 3", "version: 0")
        .replace("min_attempts: 4", "min_attempts: 2.5")
        .replace("min_mql_to_sql_rate: 0.25", "min_mql_to_sql_rate: 1.5")
        .replace("notify_owner: true", "notify_owner: maybe")
        .replace("closed: [2026-12-24]", "closed: [christmas]")
    )
    assert errors(text) == [
        "line 1, field 'version': must be >= 1, got 0",
        "line 9, field 'calendar.closed[0]': must be a date like 2026-01-01, got 'christmas'",
        "line 10, field 'marketing.min_mql_to_sql_rate': must be <= 1, got 1.5",
        "line 13, field 'sales.attempts.min_attempts': must be an integer, got 2.5",
        "line 16, field 'enforcement.notify_owner': must be true or false, got str 'maybe'",
    ]


def test_missing_required_fields():
    text = GOOD.replace("  first_touch: {hand_raiser: 1, default: 8}\n", "  first_touch: {a: 1}\n")
    assert errors(text) == ["line 12, field 'sales.first_touch': missing required field 'default'"]
    got = errors("version: 1\nname: x\n")
    assert got == [
        "line 1, missing required field 'effective'",
        "line 1, missing required field 'calendar'",
        "line 1, missing required field 'sales'",
    ]


def test_duplicate_keys_and_bad_yaml():
    text = GOOD.replace(
        "decision_within_hours: 16", "decision_within_hours: 16\n  decision_within_hours: 8"
    )
    assert errors(text) == ["line 15, field 'sales.decision_within_hours': duplicate key"]
    got = errors("version: [1\nname: x")
    assert len(got) == 1 and got[0].startswith("line 2, not valid YAML")
    assert errors("") == ["line 1, the document is empty"]
    assert errors("- a\n- b\n") == ["line 1, must be a mapping, got a list"]
    got = errors(GOOD.replace("subdivision: BE", "subdivision: ZZ"))
    assert got == [
        "line 7, field 'calendar.subdivision': unknown subdivision 'ZZ' of holiday country 'DE'"
    ]
