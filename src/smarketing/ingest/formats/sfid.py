"""Salesforce record ids: 15- and 18-character forms of one record, and the empty placeholder.

A Salesforce id is 15 case-sensitive characters; the API and Data Loader add a 3-character
suffix that encodes which of the 15 are upper case, giving an 18-character id that survives
case-insensitive tools (Excel, some databases). Report exports and the UI show 15 characters.
Both forms (and an 18-character id whose case a tool folded) are one record, so every id is
stored in its canonical 18-character form. An all-zero id (``000000000000000AAA``,
``000000000000000``)
is what Salesforce exports write for an empty lookup: it means "none".
"""

from __future__ import annotations

import re

__all__ = ["is_placeholder_id", "salesforce_id"]

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-5]{3})?$")


def is_placeholder_id(value: str) -> bool:
    """``True`` for Salesforce's empty-lookup ids (fifteen zeros, with or without a suffix).

    >>> is_placeholder_id("000000000000000AAA"), is_placeholder_id("0015g00000ABCDE")
    (True, False)
    """
    return len(value) in (15, 18) and value[:15] == "0" * 15


def _suffix(id15: str) -> str:
    out = []
    for start in range(0, 15, 5):
        bits = sum(1 << i for i, ch in enumerate(id15[start : start + 5]) if "A" <= ch <= "Z")
        out.append(_SUFFIX_ALPHABET[bits])
    return "".join(out)


def salesforce_id(value: str | None) -> str | None:
    """Return the canonical 18-character id, ``None`` for blank or placeholder ids.

    An 18-character id whose first 15 characters are all of one case (a spreadsheet folded
    them) gets its case back from the suffix. A value that is not shaped like a Salesforce id (an external system's key in a custom
    field, a report's row label) is returned trimmed and unchanged.

    >>> salesforce_id("001A0000006Vm9r")
    '001A0000006Vm9rIAC'
    >>> salesforce_id("001a0000006vm9riac")  # case folded by a spreadsheet: restored
    '001A0000006Vm9rIAC'
    >>> salesforce_id("000000000000000AAA") is None
    True
    """
    if value is None:
        return None
    value = value.strip()
    if not value or is_placeholder_id(value):
        return None
    if not _ID_RE.match(value):
        return value
    if len(value) == 15:
        return value + _suffix(value)
    suffix = value[15:].upper()
    head = value[:15]
    if _suffix(head) == suffix:
        return head + suffix
    if head != head.upper() and head != head.lower():
        return value  # mixed case that its suffix does not describe: not ours to "repair"
    flags = 0
    for i, ch in enumerate(suffix):
        flags |= _SUFFIX_ALPHABET.index(ch) << (5 * i)
    id15 = "".join(
        (ch.upper() if flags >> i & 1 else ch.lower()) if ch.isalpha() else ch
        for i, ch in enumerate(value[:15])
    )
    return id15 + _suffix(id15)
