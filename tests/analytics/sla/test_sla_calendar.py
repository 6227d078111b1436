"""Business-hours arithmetic against hand-computed cases (weekends, holidays, DST, pauses)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.analytics.sla.calendar import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    add_business_days,
    add_business_hours,
    business_hours_between,
    is_open,
    parse_hours,
)

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
BERLIN = BusinessCalendar.from_spec(
    timezone="Europe/Berlin",
    hours=dict.fromkeys(WORKDAYS, "09:00-17:00"),
    country="DE",
    subdivision="BE",
)
NEW_YORK = BusinessCalendar.from_spec(
    timezone="America/New_York",
    hours=dict.fromkeys(WORKDAYS, "09:00-17:00"),
    country="US",
)
ALWAYS_BERLIN = BusinessCalendar.from_spec(
    timezone="Europe/Berlin", hours=dict.fromkeys(WEEKDAYS, "00:00-24:00")
)


def z(*args):
    return datetime(*args, tzinfo=UTC)


def test_same_day():
    # Monday 2026-01-05 10:00 Berlin (09:00Z) + 3h = 13:00 Berlin
    assert add_business_hours(z(2026, 1, 5, 9), 3, BERLIN) == z(2026, 1, 5, 12)


def test_ends_exactly_at_close_returns_close():
    assert add_business_hours(z(2026, 1, 5, 15), 1, BERLIN) == z(2026, 1, 5, 16)


def test_overnight_span():
    # Monday 16:30 Berlin + 1h = Tuesday 09:30 Berlin
    assert add_business_hours(z(2026, 1, 5, 15, 30), 1, BERLIN) == z(2026, 1, 6, 8, 30)


def test_weekend():
    # Friday 2026-01-09 16:00 Berlin + 2h = Monday 10:00 Berlin
    assert add_business_hours(z(2026, 1, 9, 15), 2, BERLIN) == z(2026, 1, 12, 9)
    assert business_hours_between(z(2026, 1, 9, 15), z(2026, 1, 12, 9), BERLIN) == 2.0


def test_start_outside_hours():
    # Monday 07:00 Berlin + 1h = 10:00; Saturday + 1h = Monday 10:00
    assert add_business_hours(z(2026, 1, 5, 6), 1, BERLIN) == z(2026, 1, 5, 9)
    assert add_business_hours(z(2026, 1, 10, 12), 1, BERLIN) == z(2026, 1, 12, 9)
    assert add_business_hours(z(2026, 1, 10, 12), 0, BERLIN) == z(2026, 1, 10, 12)


def test_christmas_friday_holiday():
    # Thu 2026-12-24 16:00 Berlin (CET, 15:00Z) + 2h: 1h Thursday, Fri 25 is Christmas,
    # weekend, Monday 28 10:00 Berlin = 09:00Z.
    assert date(2026, 12, 25).weekday() == 4
    assert add_business_hours(z(2026, 12, 24, 15), 2, BERLIN) == z(2026, 12, 28, 9)


def test_labour_day_friday_holiday():
    # Thu 2026-04-30 16:00 CEST (14:00Z) + 2h -> Mon 2026-05-04 10:00 CEST (08:00Z)
    assert date(2026, 5, 1).weekday() == 4
    assert add_business_hours(z(2026, 4, 30, 14), 2, BERLIN) == z(2026, 5, 4, 8)
    assert business_hours_between(z(2026, 4, 30, 14), z(2026, 5, 4, 8), BERLIN) == 2.0


def test_extra_closed_date():
    cal = BusinessCalendar.from_spec(
        timezone="Europe/Berlin",
        hours=dict.fromkeys(WORKDAYS, "09:00-17:00"),
        closed=[date(2026, 1, 6)],
    )
    assert add_business_hours(z(2026, 1, 5, 15), 2, cal) == z(2026, 1, 7, 9)


def test_berlin_spring_forward_weekend():
    # Fri 2026-03-27 16:00 CET (15:00Z) + 2h -> Mon 2026-03-30 10:00 CEST (08:00Z)
    assert add_business_hours(z(2026, 3, 27, 15), 2, BERLIN) == z(2026, 3, 30, 8)


def test_berlin_dst_day_lengths():
    # 2026-03-29 has 23 hours in Berlin; 2026-10-25 has 25.
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)  # 2026-03-29 00:00 CET
    assert business_hours_between(start, z(2026, 3, 29, 22), ALWAYS_BERLIN) == 23.0
    assert add_business_hours(start, 24, ALWAYS_BERLIN) == start + timedelta(hours=24)
    autumn = datetime(2026, 10, 24, 22, tzinfo=UTC)  # 2026-10-25 00:00 CEST
    assert business_hours_between(autumn, z(2026, 10, 25, 23), ALWAYS_BERLIN) == 25.0


def test_hours_inside_the_gap_on_spring_day():
    # Sunday-only calendar 01:00-04:00: 01:00 CET = 00:00Z, 04:00 CEST = 02:00Z -> 2 hours.
    cal = BusinessCalendar.from_spec(timezone="Europe/Berlin", hours={"sun": "01:00-04:00"})
    assert business_hours_between(z(2026, 3, 28), z(2026, 3, 30), cal) == 2.0
    assert add_business_hours(z(2026, 3, 28), 2, cal) == z(2026, 3, 29, 2)


def test_new_york_fall_back():
    # Sunday 2026-11-01: 01:00-03:00 is 3 real hours (01:00 EDT = 05:00Z, 03:00 EST = 08:00Z).
    cal = BusinessCalendar.from_spec(timezone="America/New_York", hours={"sun": "01:00-03:00"})
    assert business_hours_between(z(2026, 10, 31), z(2026, 11, 2), cal) == 3.0
    # Fri 2026-10-30 16:00 EDT (20:00Z) + 2h -> Mon 2026-11-02 10:00 EST (15:00Z)
    assert add_business_hours(z(2026, 10, 30, 20), 2, NEW_YORK) == z(2026, 11, 2, 15)


def test_new_york_thanksgiving():
    # Wed 2026-11-25 16:00 EST (21:00Z) + 2h: Thu 26 Thanksgiving -> Fri 27 10:00 EST (15:00Z)
    assert add_business_hours(z(2026, 11, 25, 21), 2, NEW_YORK) == z(2026, 11, 27, 15)


def test_lunch_break():
    cal = BusinessCalendar.from_spec(hours={"mon": "09:00-12:00, 13:00-17:00"})
    assert add_business_hours(z(2026, 1, 5, 11), 2, cal) == z(2026, 1, 5, 14)
    assert not is_open(z(2026, 1, 5, 12, 30), cal)


def test_pauses_stop_the_clock():
    # Out of office Tue 00:00 to Wed 12:00 Berlin: Mon 16:00 + 2h -> Wed 13:00 Berlin.
    pause = (z(2026, 1, 5, 23), z(2026, 1, 7, 11))
    assert add_business_hours(z(2026, 1, 5, 15), 2, BERLIN, pauses=[pause]) == z(2026, 1, 7, 12)
    assert business_hours_between(z(2026, 1, 5, 15), z(2026, 1, 7, 12), BERLIN, pauses=[pause]) == 2
    assert not is_open(z(2026, 1, 6, 10), BERLIN, pauses=[pause])
    assert is_open(z(2026, 1, 7, 11), BERLIN, pauses=[pause])


def test_between_is_signed():
    assert business_hours_between(z(2026, 1, 12, 9), z(2026, 1, 9, 15), BERLIN) == -2.0


def test_add_business_days():
    monday = z(2026, 1, 5, 9)  # 10:00 Berlin
    assert add_business_days(monday, 5, BERLIN) == z(2026, 1, 9, 16)  # Fri 17:00
    assert add_business_days(monday, 1, BERLIN) == z(2026, 1, 5, 16)
    after_close = z(2026, 1, 5, 17)  # Monday 18:00 Berlin: Monday no longer counts
    assert add_business_days(after_close, 5, BERLIN) == z(2026, 1, 12, 16)
    # Mon 2026-12-21 + 5: 21, 22, 23, 24, (25 holiday, weekend) 28 -> Mon 28 17:00 CET
    assert add_business_days(z(2026, 12, 21, 9), 5, BERLIN) == z(2026, 12, 28, 16)
    # A whole day out of office does not count.
    pause = (z(2026, 12, 21, 23), z(2026, 12, 22, 23))
    assert add_business_days(z(2026, 12, 21, 9), 5, BERLIN, pauses=[pause]) == z(2026, 12, 29, 16)


def test_is_open_boundaries():
    assert is_open(z(2026, 1, 5, 8), BERLIN)  # 09:00 opens
    assert not is_open(z(2026, 1, 5, 16), BERLIN)  # 17:00 closed
    assert not is_open(z(2026, 12, 25, 10), BERLIN)  # Christmas


def test_parse_hours_errors():
    with pytest.raises(CalendarError, match="25:00"):
        parse_hours("09:00-25:00")
    with pytest.raises(CalendarError, match="end must be after start"):
        parse_hours("17:00-09:00")
    with pytest.raises(CalendarError, match="overlap"):
        parse_hours("09:00-12:00, 11:00-13:00")
    with pytest.raises(CalendarError, match="not a time range"):
        parse_hours("nine to five")
    assert parse_hours(["13:00-17:00", "09:00-12:00"]) == ((540, 720), (780, 1020))


def test_bad_calendars_and_arguments():
    with pytest.raises(CalendarError, match="unknown timezone"):
        BusinessCalendar.from_spec(timezone="Mars/Olympus")
    with pytest.raises(CalendarError, match="unknown holiday country"):
        BusinessCalendar.from_spec(country="XX")
    with pytest.raises(CalendarError, match="subdivision"):
        BusinessCalendar.from_spec(country="DE", subdivision="ZZ")
    with pytest.raises(CalendarError, match="weekday"):
        BusinessCalendar.from_spec(hours={"monday": "09:00-17:00"})
    with pytest.raises(CalendarError, match="timezone-aware"):
        add_business_hours(datetime(2026, 1, 5, 9), 1, BERLIN)
    with pytest.raises(CalendarError, match=">= 0"):
        add_business_hours(z(2026, 1, 5, 9), -1, BERLIN)
    with pytest.raises(CalendarError, match="no open business time"):
        add_business_hours(z(2026, 1, 5, 9), 1, BusinessCalendar())
    with pytest.raises(CalendarError, match="days must be"):
        add_business_days(z(2026, 1, 5, 9), 0, BERLIN)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
    hours=st.floats(min_value=0, max_value=60),
)
def test_add_then_between_round_trips(start, hours):
    start = start.replace(tzinfo=UTC)
    due = add_business_hours(start, hours, NEW_YORK)
    assert due >= start
    assert business_hours_between(start, due, NEW_YORK) == pytest.approx(hours, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
    hours=st.floats(min_value=0, max_value=200),
)
def test_always_open_calendar_is_real_time(start, hours):
    start = start.replace(tzinfo=UTC)
    due = add_business_hours(start, hours, ALWAYS_BERLIN)
    assert abs((due - (start + timedelta(hours=hours))).total_seconds()) < 1e-3
