"""Cell parsers: emails, domains, dates, amounts, booleans, integers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.ingest.formats.normalize import (
    InvalidValue,
    normalize_domain,
    normalize_email,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ann.Lee@Acme.COM ", "ann.lee@acme.com"),
        ("mailto:bob@globex.io", "bob@globex.io"),
        ("rene@bäckerei-müller.de", "rene@xn--bckerei-mller-bfb28a.de"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["not-an-email", "oz@@initrode", "a@b", "a b@x.io", "@x.io"])
def test_invalid_emails_are_refused(raw):
    with pytest.raises(InvalidValue, match="invalid email"):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("http://acme.com:8080/", "acme.com"),
        ("WWW.ACME.COM.", "acme.com"),
        ("acme.co.uk", "acme.co.uk"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("sales@acme.io", "acme.io"),
        ("", None),
    ],
)
def test_normalize_domain(raw, expected):
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize("raw", ["n/a", "localhost", "http://"])
def test_invalid_domains_are_refused(raw):
    with pytest.raises(InvalidValue, match="invalid domain"):
        normalize_domain(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # HubSpot label exports (no zone: UTC)
        ("2025-03-04 10:00", utc(2025, 3, 4, 10, 0)),
        ("2025-03-04 10:00:30", utc(2025, 3, 4, 10, 0, 30)),
        # HubSpot internal values: epoch milliseconds (1741082400000 = 2025-03-04T10:00Z)
        ("1741082400000", utc(2025, 3, 4, 10, 0)),
        ("2025-01-10T08:00:00.000Z", utc(2025, 1, 10, 8, 0)),
        # Salesforce date-times, converted to UTC
        ("2025-03-04T10:00:00.000+0000", utc(2025, 3, 4, 10, 0)),
        ("2025-03-06T08:00:00.000+0200", utc(2025, 3, 6, 6, 0)),
        # Salesforce / Mautic dates and date-times
        ("2025-03-04", utc(2025, 3, 4)),
        ("2025-03-04 10:00:00", utc(2025, 3, 4, 10, 0)),
        # anything else dateutil reads; slashed dates month first by default
        ("03/04/2025 10:00", utc(2025, 3, 4, 10, 0)),
        ("4 March 2025", utc(2025, 3, 4)),
        ("", None),
    ],
)
def test_parse_datetime(raw, expected):
    parsed = parse_datetime(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


def test_dayfirst_reads_european_dates():
    assert parse_datetime("03/04/2025", dayfirst=True) == utc(2025, 4, 3)
    assert parse_datetime("04.03.2025 10:00", dayfirst=True) == utc(2025, 3, 4, 10, 0)


@pytest.mark.parametrize("raw", ["yesterday-ish", "not a date", "2025-13-45", "14/03/2025 garbage"])
def test_unparseable_dates_are_refused(raw):
    with pytest.raises(InvalidValue, match="not a date"):
        parse_datetime(raw)


def test_parse_date_drops_the_time_after_utc_conversion():
    assert parse_date("2025-06-30") == date(2025, 6, 30)
    assert parse_date("2025-06-30T23:30:00.000-0200") == date(2025, 7, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12500", Decimal("12500")),
        ("12,500.00", Decimal("12500.00")),
        ("1,234,567.8", Decimal("1234567.8")),
        ("$1,200", Decimal("1200")),
        ("EUR 300.5", Decimal("300.5")),
        ("300 USD", Decimal("300")),
        ("0", Decimal("0")),
        ("", None),
    ],
)
def test_parse_decimal(raw, expected):
    assert parse_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["-300", "-0.01", "$-5", "- 5"])
def test_negative_amounts_are_refused(raw):
    with pytest.raises(InvalidValue, match="negative amount|not an amount"):
        parse_decimal(raw)


def test_negative_amount_message():
    with pytest.raises(InvalidValue, match="negative amount: '-300'"):
        parse_decimal("-300")


@pytest.mark.parametrize("raw", ["abc", "1,23", "12.5.1", "NaN", "Infinity", "1e5"])
def test_non_amounts_are_refused(raw):
    with pytest.raises(InvalidValue, match="not an amount"):
        parse_decimal(raw)


def test_decimal_comma():
    assert parse_decimal("1.234,50", decimal_comma=True) == Decimal("1234.50")
    assert parse_decimal("99,9", decimal_comma=True) == Decimal("99.9")


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_parse_decimal_round_trips_plain_and_grouped(value):
    assert parse_decimal(str(value)) == value
    assert parse_decimal(f"{value:,}") == value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("false", False),
     ("0", False), ("No", False), ("", None)],
)  # fmt: skip
def test_parse_bool(raw, expected):
    assert parse_bool(raw) is expected


def test_parse_bool_refuses_other_text():
    with pytest.raises(InvalidValue, match="not a yes/no value"):
        parse_bool("maybe")


def test_parse_int():
    assert parse_int("1,200") == 1200
    assert parse_int("35.0") == 35
    assert parse_int("-10", allow_negative=True) == -10
    for bad in ("51-200", "3.5", "-10"):
        with pytest.raises(InvalidValue):
            parse_int(bad)


def test_parse_int_refuses_non_ascii_digits():
    with pytest.raises(InvalidValue, match="not a whole number"):
        parse_int("²")
