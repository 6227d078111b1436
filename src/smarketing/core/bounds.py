"""Bounds on everything that enters from outside: integers, times, text, JSON shape, money.

One module so every door (the API, the collect endpoint, web forms, the middleware) refuses
the same values with the same words. A value outside these bounds would otherwise reach the
database and fail there with a 500 (SQLite: "Python int too large to convert to SQLite
INTEGER"; PostgreSQL: "bigint out of range", "cannot contain NUL (0x00) characters"), or be
stored and break every report that later reads it ("date value out of range").
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

import pydantic

#: The range of a 64-bit signed integer (``BigIntegerField``/``BigAutoField`` on every database).
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: A JSON body nested deeper than this is refused (400); our deepest document needs 6.
MAX_JSON_DEPTH = 32
#: Digits a JSON number may have: more is never data, and Python refuses over 4,300 anyway.
MAX_NUMBER_DIGITS = 40
#: The earliest time a tracked or ingested event may carry; imports of history use 1900.
EVENT_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
HISTORY_EPOCH = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
#: How far in the future an event time may lie (clock skew of the sender).
MAX_FUTURE = dt.timedelta(minutes=10)

#: Control characters no text field keeps: C0 except tab, newline, carriage return; DEL; C1.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")

#: A pydantic integer that fits the database's 64-bit columns.
Int64 = Annotated[int, pydantic.Field(ge=INT64_MIN, le=INT64_MAX)]
#: A positive id (primary keys start at 1).
Id = Annotated[int, pydantic.Field(ge=1, le=INT64_MAX)]


class BoundsError(ValueError):
    """A value lies outside what smarketing accepts; ``field`` names where it was found."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def int64_out_of_range(text: str) -> bool:
    """True when ``text`` is a whole number that does not fit 64 bits (``"1" * 25``)."""
    if not _INT_RE.match(text):
        return False
    digits = text.strip().lstrip("+-").lstrip("0")
    if len(digits) > 19:
        return True
    return not (INT64_MIN <= int(text) <= INT64_MAX)


def has_control(text: str) -> bool:
    """True when ``text`` holds NUL or another control character a text column must not keep."""
    return bool(_CONTROL_RE.search(text))


def strip_control(value: Any) -> Any:
    """``value`` with control characters removed from every string in it (dicts, lists too)."""
    if isinstance(value, str):
        return _CONTROL_RE.sub("", value) if _CONTROL_RE.search(value) else value
    if isinstance(value, dict):
        return {strip_control(k): strip_control(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_control(v) for v in value]
    return value


def check_json(value: Any, *, control: bool = True, ints: bool = True) -> None:
    """Raise :class:`BoundsError` for a parsed JSON document smarketing does not take.

    Refused: nesting deeper than :data:`MAX_JSON_DEPTH`, (when ``ints``) integers outside 64
    bits, and (when ``control``) strings with NUL or control characters. Walks without recursion, so a
    hostile document cannot exhaust the stack here either.
    """
    stack: list[tuple[Any, str, int]] = [(value, "$", 1)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BoundsError(where, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                if control and has_control(key):
                    raise BoundsError(where, "a key contains a NUL or control character")
                stack.append((child, f"{where}.{key}", depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, bool):
            continue
        elif ints and isinstance(item, int) and not INT64_MIN <= item <= INT64_MAX:
            raise BoundsError(where, "integer does not fit 64 bits")
        elif control and isinstance(item, str) and has_control(item):
            raise BoundsError(where, "contains a NUL or control character")


def parse_int_bounded(text: str) -> int:
    """``json.loads(parse_int=...)``: refuse absurdly long numbers before Python converts them."""
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise BoundsError("$", f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def event_time(value: dt.datetime, *, now: dt.datetime, earliest: dt.datetime = EVENT_EPOCH) -> str:
    """The reason ``value`` is not an acceptable event time, or ``""`` when it is."""
    if value < earliest:
        return f"{value.isoformat()} is before {earliest.year}; events start in {earliest.year}"
    if value > now + MAX_FUTURE:
        return f"{value.isoformat()} lies in the future"
    return ""


def money_field(max_digits: int = 14, decimal_places: int = 2, *, gt: Decimal | None = None):
    """A pydantic ``Decimal`` type matching a ``DecimalField(max_digits, decimal_places)``."""
    return Annotated[
        Decimal,
        pydantic.Field(
            max_digits=max_digits,
            decimal_places=decimal_places,
            gt=gt,
            allow_inf_nan=False,
        ),
    ]
