"""Duplicate matching, merge of contacts and accounts, and undo of a merge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from smarketing.crm import dedupe
from smarketing.crm.models import Account, Contact, Deal, DealContact, Touchpoint
from smarketing.funnel.models import StageChange

T0 = dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)


def test_company_key_and_thresholds():
    assert dedupe.company_key("Acme, Inc.") == dedupe.company_key("ACME inc") == "acme"
    assert dedupe.company_key("Café Ångström AB") == "cafe angstrom"
    assert dedupe.company_key("Inc") == "inc"  # a name that is only a suffix stays
    assert dedupe.name_score("Globex Corporation", "Globex") == 100.0
    assert dedupe.match_decision(95) == "same"
    assert dedupe.match_decision(94.9) == "review"
    assert dedupe.match_decision(85) == "review"
    assert dedupe.match_decision(84.9) == "different"


def test_account_index_domain_name_fuzzy_and_rollback():
    index = dedupe.AccountIndex([(1, "Acme, Inc.", "acme.com"), (2, "Globex", None)])
    assert index.match(None, "acme.com").how == "domain"
    assert index.match("ACME", None).account == 1
    assert index.match("ACME", "other.com") is None  # another domain: another company
    near = index.match("Globexx", None)
    assert (near.account, near.how) == (2, "review") and 85 <= near.score < 95
    assert index.match("Umbrella", None) is None
    index.begin()
    index.add(3, "Umbrella", "umbrella.com")
    assert index.match("Umbrella", None).account == 3
    index.rollback()
    assert index.match("Umbrella", None) is None and index.match(None, "umbrella.com") is None


@pytest.mark.django_db
def test_merge_contacts_moves_everything_and_undo_restores(make_user):
    rep = make_user("rep")
    acme = Account.objects.create(name="Acme", domain="acme.com")
    winner = Contact.objects.create(email="ann@acme.com", first_name="Ann", account=acme)
    loser = Contact.objects.create(
        email="a.lee@acme.com", first_name="Ann", last_name="Lee", phone="555", owner=rep,
        lifecycle_stage="sql", stage_changed_at=T0,
    )  # fmt: skip
    loser_pk = loser.pk
    tp = Touchpoint.objects.create(contact=loser, kind="page_view", occurred_at=T0)
    deal = Deal.objects.create(name="Acme deal", amount=Decimal("10"), primary_contact=loser)
    shared = Deal.objects.create(name="Both on it")
    DealContact.objects.create(deal=deal, contact=loser)
    DealContact.objects.create(deal=shared, contact=loser, role="champion")
    DealContact.objects.create(deal=shared, contact=winner, role="user")
    StageChange.objects.create(contact=loser, to_stage="sql", changed_at=T0)

    log = dedupe.do_merge_contacts(winner=winner, loser=loser)

    assert not Contact.objects.filter(pk=loser_pk).exists()
    winner.refresh_from_db()
    assert (winner.last_name, winner.phone, winner.owner, winner.email) == (
        "Lee",
        "555",
        rep,
        "ann@acme.com",
    )
    assert winner.lifecycle_stage == "sql"  # the loser's stage was more recent
    assert Touchpoint.objects.get(pk=tp.pk).contact == winner
    assert Deal.objects.get(pk=deal.pk).primary_contact == winner
    assert StageChange.objects.get().contact == winner
    assert DealContact.objects.filter(deal=shared).count() == 1  # the clash was dropped
    assert log["dropped"] and log["winner_changes"]["last_name"] == ["", "Lee"]

    dedupe.do_undo_merge(log=log)

    loser = Contact.objects.get(pk=loser_pk)
    assert loser.email == "a.lee@acme.com" and loser.owner == rep
    winner.refresh_from_db()
    assert (winner.last_name, winner.phone, winner.owner, winner.lifecycle_stage) == (
        "",
        "",
        None,
        "lead",
    )
    assert Touchpoint.objects.get(pk=tp.pk).contact == loser
    assert Deal.objects.get(pk=deal.pk).primary_contact == loser
    assert StageChange.objects.get().contact == loser
    assert DealContact.objects.get(deal=shared, contact=loser).role == "champion"
    assert DealContact.objects.filter(deal=shared).count() == 2
    with pytest.raises(ValueError, match="undone already"):
        dedupe.do_undo_merge(log=log)


@pytest.mark.django_db
def test_merge_accounts_moves_contacts_and_deals_and_undo():
    a = Account.objects.create(name="Globex")
    b = Account.objects.create(name="Globex Corp", domain="globex.io", industry="Logistics")
    c = Contact.objects.create(email="x@globex.io", account=b)
    d = Deal.objects.create(name="Pilot", account=b)
    b_pk = b.pk
    log = dedupe.do_merge_accounts(winner=a, loser=b)
    a.refresh_from_db()
    assert a.domain == "globex.io" and a.industry == "Logistics"  # filled from the loser
    assert Contact.objects.get(pk=c.pk).account == a and Deal.objects.get(pk=d.pk).account == a
    dedupe.do_undo_merge(log=log)
    a.refresh_from_db()
    assert a.domain is None and Account.objects.get(pk=b_pk).domain == "globex.io"
    assert Contact.objects.get(pk=c.pk).account_id == b_pk


@pytest.mark.parametrize("name", ["smarketing.crm.dedupe", "smarketing.ingest.csvimport.plan"])
def test_doctests(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
