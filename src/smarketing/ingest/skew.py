"""Browser clocks that run fast or slow: event times corrected by the batch's ``sent_at``.

The snippet stamps each event with the device's clock and each batch with ``sent_at`` (the same
clock, when sending). The server's clock at arrival minus ``sent_at`` is the device's offset
(plus the network delay, well under the tolerance), so adding it to every event time gives the
time on the server's clock. A device ten minutes fast no longer loses every event. An event time
still in the future after the correction is clamped to the arrival time and reported in the
response (``clamped``), never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from smarketing.core.bounds import MAX_FUTURE

log = logging.getLogger(__name__)

#: Offsets below this are network delay and device jitter: left alone.
TOLERANCE = dt.timedelta(seconds=30)
#: How far ahead of the server an event time may be: the event validation's own bound.
FUTURE_SLACK = MAX_FUTURE


def _parse(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def correct_batch(body: Any, events: list[Any], *, now: dt.datetime) -> dict[str, Any]:
    """Shift the ``occurred_at`` of ``events`` (raw dicts, in place) onto the server's clock.

    Returns what the response reports: ``{"clock_skew_seconds": s, "clamped": [indexes]}``
    (empty when the device clock was right and nothing needed clamping).

    >>> now = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    >>> events = [{"occurred_at": "2026-12-03T12:14:00Z"}]
    >>> correct_batch({"sent_at": "2026-12-03T12:15:00Z"}, events, now=now)
    {'clock_skew_seconds': -900}
    >>> events[0]["occurred_at"]
    '2026-12-03T11:59:00+00:00'
    """
    report: dict[str, Any] = {}
    sent_at = _parse(body.get("sent_at")) if isinstance(body, dict) else None
    offset = dt.timedelta(0)
    if sent_at is not None and abs(now - sent_at) > TOLERANCE:
        offset = now - sent_at
        report["clock_skew_seconds"] = round(offset.total_seconds())
    clamped = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            continue
        when = _parse(event.get("occurred_at"))
        if when is None:
            continue
        when += offset
        if when > now + FUTURE_SLACK:
            clamped.append(index)
            when = now
        event["occurred_at"] = when.isoformat()
    if clamped:
        report["clamped"] = clamped
        log.warning("collect: %s event time(s) in the future clamped to arrival", len(clamped))
    return report
