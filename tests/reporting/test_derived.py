"""The registry of derived tables (``smarketing.core.derived``): one checkpoint model, dirty
marking on updates (identify, merges), reads that never write, stale pages say "as of"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from smarketing.core import derived
from smarketing.core.models import FillState
from smarketing.crm.models import Contact, Touchpoint
from smarketing.ingest.actions import do_identify
from smarketing.reporting import datasets as ds
from smarketing.reporting import facts, traffic
from smarketing.reporting.filters import parse_filters

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DAY = dt.datetime(2026, 1, 12, 9, tzinfo=UTC)


def _visitors(period="2026-01"):
    ctx = ds.Context(parse_filters({"period": period}))
    stored = ds.traffic_totals(ctx)["visitors"]
    live = traffic.traffic_totals_live(start=ctx.filters.period.start, end=ctx.filters.period.end)[
        "visitors"
    ]
    return stored, live


def test_the_registry_holds_every_derived_table():
    names = {e.name for e in derived.registered()}
    assert {"reporting.funnel", "reporting.traffic", "sla.compliance"} <= names
    entry = derived.get("reporting.traffic")
    assert "reporting_contactattempts" in entry.tables and entry.backlog is not None
    with pytest.raises(KeyError, match="registered"):
        derived.get("nope")


def test_identify_that_reowns_old_touches_keeps_visitors_right(
    django_capture_on_commit_callbacks,
):
    """Reproduces the bug: the summaries advanced on touchpoint id only, so an identify that
    re-owned an anonymous visitor's touches left the stored "visitors" at 2 (live: 1)."""
    person = Contact.objects.create(email="ann@x.test")
    Touchpoint.objects.create(kind="page_view", contact=person, occurred_at=DAY)
    Touchpoint.objects.create(kind="page_view", anonymous_id="anon-1", occurred_at=DAY)
    traffic.rebuild_traffic()
    assert _visitors() == (2, 2)
    with django_capture_on_commit_callbacks(execute=True):
        _, moved = do_identify(anonymous_id="anon-1", email="ann@x.test", at=DAY)
    assert moved == 1
    # the write path marked the re-owned days dirty; an old day is left to the worker
    assert traffic.is_stale() and _visitors() == (2, 1)
    derived.refresh_all()
    assert _visitors() == (1, 1)
    assert not traffic.is_stale()
    # and the incremental state equals a rebuild
    traffic.rebuild_traffic()
    assert _visitors() == (1, 1)


def test_identify_of_todays_visitor_is_caught_up_on_commit(django_capture_on_commit_callbacks):
    from django.utils import timezone

    now = timezone.now()
    person = Contact.objects.create(email="cy@x.test")
    Touchpoint.objects.create(kind="page_view", contact=person, occurred_at=now)
    Touchpoint.objects.create(kind="page_view", anonymous_id="anon-3", occurred_at=now)
    traffic.rebuild_traffic()
    period = f"{now:%Y-%m}"
    assert _visitors(period) == (2, 2)
    with django_capture_on_commit_callbacks(execute=True):
        do_identify(anonymous_id="anon-3", email="cy@x.test", at=now)
    assert _visitors(period) == (1, 1) and not traffic.is_stale()


def test_worker_catches_up_dirty_days_without_the_write_path():
    person = Contact.objects.create(email="bob@x.test")
    Touchpoint.objects.create(kind="page_view", contact=person, occurred_at=DAY)
    Touchpoint.objects.create(kind="page_view", anonymous_id="anon-2", occurred_at=DAY)
    traffic.rebuild_traffic()
    Touchpoint.objects.filter(anonymous_id="anon-2").update(contact=person)
    derived.mark_dirty(traffic.NAME, "days", [DAY.date().isoformat()])
    assert traffic.is_stale() and _visitors() == (2, 1)  # stored, as of the last fill
    assert derived.refresh_all()["reporting.traffic"] >= 1
    assert _visitors() == (1, 1)
    fs = FillState.objects.get(name=traffic.NAME)
    assert fs.status == FillState.Status.OK and fs.dirty == {} and fs.filled_at


def test_reads_never_write_and_a_stale_dashboard_says_as_of(tiny, client, make_user):
    facts.rebuild_funnel_facts()
    traffic.rebuild_traffic()
    Touchpoint.objects.create(kind="page_view", anonymous_id="late", occurred_at=DAY)
    client.force_login(make_user("viewer"))
    writes = []

    def spy(execute, sql, params, many, context):
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        html = client.get("/reporting/marketing/?period=2026-01").content.decode()
    assert not writes
    assert "Figures as of" in html
    assert traffic.is_stale()  # the page did not catch it up
    derived.refresh(traffic.NAME)
    html = client.get("/reporting/marketing/?period=2026-01").content.decode()
    assert "Figures as of" not in html


def test_a_failed_fill_is_recorded_and_the_next_one_recovers():
    traffic.rebuild_traffic()

    def boom():
        raise RuntimeError("disk full")

    entry = derived.get(traffic.NAME)
    derived.register(
        entry.name,
        rebuild=entry.rebuild,
        catch_up=boom,
        is_stale=entry.is_stale,
        backlog=entry.backlog,
        tables=entry.tables,
    )
    try:
        assert derived.refresh(traffic.NAME) is None
        fs = FillState.objects.get(name=traffic.NAME)
        assert fs.status == FillState.Status.FAILED and "disk full" in fs.error
    finally:
        derived.register(
            entry.name,
            rebuild=entry.rebuild,
            catch_up=traffic.catch_up_traffic,
            is_stale=entry.is_stale,
            backlog=entry.backlog,
            tables=entry.tables,
        )
    assert derived.refresh(traffic.NAME) == 0
    assert FillState.objects.get(name=traffic.NAME).status == FillState.Status.OK


def test_contact_edits_are_caught_up_once_per_transaction(
    tiny, make_user, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from smarketing.reporting.models import ContactFunnelFact

    facts.rebuild_funnel_facts()
    rep = make_user("rep-edit")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for c in tiny:
            c.owner = rep
            c.save()
    from smarketing.core.derived import _Pending

    # one derived-table catch-up for the three saves (other apps may add their own callbacks)
    assert sum(isinstance(cb, _Pending) for cb in callbacks) == 1
    assert set(ContactFunnelFact.objects.values_list("owner_id", flat=True)) == {rep.pk}
    assert not facts.is_stale() and FillState.objects.get(name=facts.NAME).dirty == {}
