"""Value parsers for imported cells: emails, domains, dates, amounts, booleans, integers.

Each parser takes the raw cell text and returns a clean Python value, ``None`` for a blank
cell, or raises :class:`InvalidValue` (a :class:`ValueError`) whose message says why. The email
and domain normalisers are the CRM's own (:mod:`smarketing.crm.normalize`, pure), re-exported
here so the importer and the CRM agree on what one person or one company is.

Date rules (see ``docs/import.md``): ISO 8601 in any common shape (``2025-03-04``,
``2025-03-04 10:00``, ``2025-03-04T10:00:00.000+0000``, ``...Z``), epoch milliseconds
(11 to 13 digits, as HubSpot's internal values are), and anything else ``dateutil`` reads
(``03/04/2025`` is read month first unless ``dayfirst=True``). A value without a time zone is
taken as UTC. The result is always a timezone-aware UTC :class:`~datetime.datetime`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from dateutil import parser as _dateutil_parser

from smarketing.crm.normalize import (
    FREE_MAIL_DOMAINS,
    InvalidValue,
    normalize_email,
)
from smarketing.crm.normalize import normalize_domain as _normalize_domain

__all__ = [
    "FREE_MAIL_DOMAINS",
    "InvalidValue",
    "normalize_domain",
    "normalize_email",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_int",
]

_EPOCH_MS_RE = re.compile(r"^-?\d{11,13}$")
_TRUE = frozenset({"true", "t", "yes", "y", "1", "x", "checked"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "unchecked"})
_AMOUNT_RE = re.compile(r"^-?\d+(\.\d+)?$")
_THOUSANDS_RE = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA_RE = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+(,\d+)?$")
_CURRENCY_CHARS = "$€£¥ \u00a0"
_CURRENCY_CODE_RE = re.compile(r"^([A-Z]{3})\s*|\s*([A-Z]{3})$")


@lru_cache(maxsize=65_536)
def normalize_domain(value: str | None) -> str | None:
    """Cached :func:`smarketing.crm.normalize.normalize_domain` (exports repeat domains).

    Examples
    --------
    >>> normalize_domain("https://www.Example.com/about")
    'example.com'
    """
    return _normalize_domain(value)


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def parse_datetime(value: str | None, *, dayfirst: bool = False) -> datetime | None:
    """Parse a date or date-time cell into an aware UTC datetime (``None`` if blank).

    Parameters
    ----------
    value
        The cell text.
    dayfirst
        Read an ambiguous slashed date such as ``03/04/2025`` day first (3 April) instead of
        month first (4 March, the default).

    Raises
    ------
    InvalidValue
        If the text is not a date.

    Examples
    --------
    >>> parse_datetime("2025-03-04 10:00")
    datetime.datetime(2025, 3, 4, 10, 0, tzinfo=datetime.timezone.utc)
    >>> parse_datetime("2025-03-04T10:00:00.000+0100")
    datetime.datetime(2025, 3, 4, 9, 0, tzinfo=datetime.timezone.utc)
    >>> parse_datetime("1741082400000")
    datetime.datetime(2025, 3, 4, 10, 0, tzinfo=datetime.timezone.utc)
    >>> parse_datetime("03/04/2025", dayfirst=True).date()
    datetime.date(2025, 4, 3)
    >>> parse_datetime("") is None
    True
    """
    if _blank(value):
        return None
    return _parse_datetime(value.strip(), dayfirst)


@lru_cache(maxsize=65_536)
def _parse_datetime(text: str, dayfirst: bool) -> datetime:
    # Cached: exports repeat timestamps (minute resolution, shared import dates) a lot.
    if _EPOCH_MS_RE.match(text):
        try:
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidValue(f"epoch milliseconds out of range: {text!r}") from None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = _dateutil_parser.parse(text, dayfirst=dayfirst)
        except (ValueError, OverflowError):
            raise InvalidValue(f"not a date: {text!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: str | None, *, dayfirst: bool = False) -> date | None:
    """Parse a calendar-date cell (a close date); a time part is dropped after UTC conversion.

    Examples
    --------
    >>> parse_date("2025-06-30")
    datetime.date(2025, 6, 30)
    >>> parse_date("1751241600000")
    datetime.date(2025, 6, 30)
    """
    parsed = parse_datetime(value, dayfirst=dayfirst)
    return None if parsed is None else parsed.date()


def parse_decimal(
    value: str | None, *, allow_negative: bool = False, decimal_comma: bool = False
) -> Decimal | None:
    """Parse an amount into a :class:`~decimal.Decimal`; negatives are refused by default.

    Accepted: ``1234.5``, ``1,234.50`` (comma thousands), an optional currency symbol or ISO
    code (``$1,200``, ``EUR 300``); with ``decimal_comma=True``: ``1.234,50``.

    Examples
    --------
    >>> parse_decimal("1,234.50")
    Decimal('1234.50')
    >>> parse_decimal("EUR 300")
    Decimal('300')
    >>> parse_decimal("1.234,5", decimal_comma=True)
    Decimal('1234.5')
    >>> parse_decimal("-5")
    Traceback (most recent call last):
    ...
    smarketing.crm.normalize.InvalidValue: negative amount: '-5'
    """
    if _blank(value):
        return None
    raw = value.strip()
    text = _CURRENCY_CODE_RE.sub("", raw).strip(_CURRENCY_CHARS)
    if text.startswith("-"):
        text = "-" + text[1:].lstrip(_CURRENCY_CHARS)
    if decimal_comma:
        if not _DECIMAL_COMMA_RE.match(text):
            raise InvalidValue(f"not an amount: {raw!r}")
        text = text.replace(".", "").replace(",", ".")
    elif _THOUSANDS_RE.match(text):
        text = text.replace(",", "")
    elif not _AMOUNT_RE.match(text):
        raise InvalidValue(f"not an amount: {raw!r}")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidValue(f"not an amount: {raw!r}") from None
    if amount < 0 and not allow_negative:
        raise InvalidValue(f"negative amount: {raw!r}")
    return amount


def parse_bool(value: str | None) -> bool | None:
    """Parse a checkbox cell (true/false, yes/no, 1/0, t/f, y/n, x).

    Examples
    --------
    >>> parse_bool("TRUE"), parse_bool("no"), parse_bool("")
    (True, False, None)
    """
    if _blank(value):
        return None
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(f"not a yes/no value: {value.strip()!r}")


def parse_int(value: str | None, *, allow_negative: bool = False) -> int | None:
    """Parse a whole number such as an employee count (``1,200`` and ``1200.0`` accepted).

    Examples
    --------
    >>> parse_int("1,200"), parse_int("35.0"), parse_int(" ")
    (1200, 35, None)
    """
    if _blank(value):
        return None
    if value.isascii() and value.isdigit():
        return int(value)
    try:
        number = parse_decimal(value, allow_negative=True)
    except InvalidValue:
        raise InvalidValue(f"not a whole number: {value.strip()!r}") from None
    if number is None or number != number.to_integral_value():
        raise InvalidValue(f"not a whole number: {value.strip()!r}")
    if number < 0 and not allow_negative:
        raise InvalidValue(f"negative number: {value.strip()!r}")
    return int(number)
