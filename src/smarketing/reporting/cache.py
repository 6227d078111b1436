"""A short result cache for dashboards, keyed by dashboard + filters + data version.

The data version is the primary-key maximum of every table a dashboard reads (one query of
index lookups: new rows change it) plus a generation counter that any save or delete in the
crm, funnel, planning or sla apps bumps (edits change it). A repeated view of unchanged data is
served from Django's cache (LocMem per process by default; configure Redis/Memcached in
production to share it); ``TTL`` bounds what an edit made outside the ORM (raw SQL) can hide.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import zlib

from django.core.cache import cache
from django.db import connection

log = logging.getLogger(__name__)

TTL = 300
GENERATION_KEY = "smarketing:reporting:generation"
WATCHED_APPS = frozenset({"crm", "funnel", "planning", "sla"})
#: Models of those apps that hold figures derived for the dashboards, not reported data: saving
#: them (which a dashboard view itself may do) must not make the dashboards stale.
DERIVED_MODELS = frozenset({"sla.compliancesnapshot", "planning.measuredfunnelsnapshot"})

_TABLES = {
    "sc": "funnel_stagechange",
    "contact": "crm_contact",
    "tp": "crm_touchpoint",
    "deal": "crm_deal",
    "review": "funnel_leadreview",
    "cost": "crm_campaigncost",
    "campaign": "crm_campaign",
}


def data_version() -> dict[str, int]:
    """Primary-key maxima of the reported tables, the last fill of any derived table (so a
    page cached while its tables were stale is recomputed once the worker catches up; one
    query) and the edit generation."""
    from smarketing.core.models import FillState

    cols = ", ".join(f"(SELECT MAX(id) FROM {t})" for t in _TABLES.values())
    fills = f"(SELECT MAX(filled_at) FROM {FillState._meta.db_table})"
    with connection.cursor() as cur:
        cur.execute(f"SELECT {cols}, {fills}")
        row = cur.fetchone()
    out = {k: int(v or 0) for k, v in zip(_TABLES, row)}
    out["fill"] = zlib.crc32(str(row[-1]).encode())
    out["gen"] = cache.get(GENERATION_KEY, 0)
    return out


def bump(*args, sender=None, **kwargs) -> None:
    """Signal receiver: a watched model changed, so cached dashboards are stale."""
    if sender is None or sender._meta.app_label not in WATCHED_APPS:
        return
    if sender._meta.label_lower in DERIVED_MODELS:
        return
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet
        cache.add(GENERATION_KEY, 1)


def key(name: str, params: dict, version: dict) -> str:
    raw = repr((name, sorted(params.items()), sorted(version.items()), connection.alias))
    return "smarketing:reporting:" + hashlib.sha1(raw.encode()).hexdigest()


def get(name: str, params: dict, version: dict):
    return cache.get(key(name, params, version))


def put(name: str, params: dict, version: dict, value) -> None:
    try:
        pickle.dumps(value)
    except Exception:  # an unpicklable peer object: skip caching rather than fail the page
        log.debug("dashboard %s not cached (unpicklable)", name)
        return
    cache.set(key(name, params, version), value, TTL)
