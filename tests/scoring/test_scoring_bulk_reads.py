"""The fast bulk path: its reader gives the Ibis readers' values, its sort and email reduction
give the same scores, and the narrowed upsert still writes what changed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smarketing.analytics.scoring import load_definition, score_contacts
from smarketing.analytics.scoring.rules import _contact_time_order, _domains
from smarketing.scoring import bulkread, data
from smarketing.scoring.actions import do_rescore_all, do_rescore_contacts, do_save_definition
from smarketing.scoring.models import LeadScore

ALL_FIELDS = sorted(bulkread.FIT_SQL)


def _same(a: pd.Series, b: pd.Series) -> bool:
    """Equal values with every kind of missing (None, NaN, NaT) equal to each other."""
    a = a.astype(object).where(a.notna(), None).tolist()
    b = b.astype(object).where(b.notna(), None).tolist()
    return [None if v is None else bool(v) if isinstance(v, np.bool_) else v for v in a] == [
        None if v is None else bool(v) if isinstance(v, np.bool_) else v for v in b
    ]


@pytest.mark.django_db
def test_bulk_contacts_equal_the_ibis_reader(scoring_world):
    fast = bulkread.contacts(ALL_FIELDS)
    ibis = data.contacts_frame(ALL_FIELDS)
    assert list(fast.columns) == list(ibis.columns)
    for column in ALL_FIELDS:
        if column in ("employees", "tier"):
            assert np.array_equal(
                fast[column].to_numpy(float), ibis[column].to_numpy(float), equal_nan=True
            )
        elif column != "target_account":
            assert _same(fast[column], ibis[column]), column
    # A contact without an account has an unknown ABM flag, not False (as the ORM reads it).
    eve = scoring_world["people"][4].pk
    assert fast.loc[fast["contact_id"] == eve, "target_account"].tolist() == [None]
    assert set(fast["target_account"].dropna()) == {True, False}
    some = [p.pk for p in scoring_world["people"][:2]]
    assert bulkread.contacts(["email"], ids=some)["contact_id"].tolist() == sorted(some)


@pytest.mark.django_db
def test_bulk_touchpoints_equal_the_ibis_reader(scoring_world):
    attributes = ["url", "campaign", "content", "channel"]
    kinds = ["page_view", "form_submit", "email_open", "content_view", "ad_click"]
    until = scoring_world["T0"]
    for ids in (None, [scoring_world["people"][0].pk, scoring_world["people"][1].pk]):
        fast = bulkread.touchpoints(attributes=attributes, kinds=kinds, until=until, ids=ids)
        ibis = data.touchpoints_frame(attributes=attributes, kinds=kinds, until=until, ids=ids)
        fast["url"] = data.url_paths(fast["url"])
        key = ["contact_id", "occurred_at", "kind", "url", "campaign", "content"]
        fast = fast.assign(occurred_at=pd.to_datetime(fast["occurred_at"], utc=True))
        ibis = ibis.assign(occurred_at=pd.to_datetime(ibis["occurred_at"], utc=True))
        fast = fast.sort_values(key, na_position="first").reset_index(drop=True)
        ibis = ibis.sort_values(key, na_position="first").reset_index(drop=True)
        assert len(fast) == len(ibis) > 0
        for column in ["contact_id", "occurred_at", *attributes, "kind"]:
            assert _same(fast[column], ibis[column]), column
    assert bulkread.touchpoints(kinds=[]).empty


def test_contact_time_order_sorts_like_lexsort():
    rng = np.random.default_rng(3)
    for n_contacts in (5, 70_000, 3_000_000):  # one, two and three radix passes
        contact = rng.integers(0, n_contacts, 5_000)
        t_ns = rng.integers(0, 50, 5_000) * 10**9  # many ties
        order = _contact_time_order(contact, t_ns)
        assert sorted(order.tolist()) == list(range(5_000))
        keys = list(zip(contact[order].tolist(), t_ns[order].tolist(), strict=True))
        assert keys == sorted(keys)
    assert len(_contact_time_order(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))) == 0


def test_free_email_rules_see_the_same_domain_after_the_reduction():
    definition = load_definition(
        "version: 1\nmql: {total: 1}\nfit:\n"
        "  - {name: Free, field: email, op: is_free_email, value: true, points: -5}\n"
        "  - {name: Work, field: email_domain, op: is_free_email, value: false, points: 3}\n"
        "  - {name: Ann, field: email, op: regex, value: '^ann@', points: 1}\n"
    )
    emails = ["ann@gmail.com", " bob@GMAIL.com ", "x\ny@gmail.com", "a@b@yahoo.com", "c@work.io",
              "gmail.com", "@", "   ", None, 5, "ann@work.io"]  # fmt: skip
    contacts = pd.DataFrame({"contact_id": range(len(emails)), "email": emails})
    touches = pd.DataFrame(columns=["contact_id", "occurred_at", "kind"])
    as_of = pd.Timestamp("2026-01-01", tz="UTC").to_pydatetime()
    mixed = score_contacts(definition, contacts=contacts, touchpoints=touches, as_of=as_of)
    text = contacts.iloc[:-2].assign(email=lambda f: f["email"].astype("str"))
    assert _domains(text["email"]).iloc[3] == "yahoo.com"
    reduced = score_contacts(definition, contacts=text, touchpoints=touches, as_of=as_of)
    assert mixed["fit"].tolist() == [-4, -5, -5, -5, 3, -5, 0, 0, 0, 3, 4]
    assert reduced["fit"].tolist() == mixed["fit"].tolist()[:-2]


@pytest.mark.django_db
def test_narrowed_update_still_writes_definition_and_stale_flag(scoring_world, definition_text):
    t0 = scoring_world["T0"]
    first = do_save_definition(text=definition_text, activate=True, rescore=False)
    do_rescore_all(as_of=t0)
    LeadScore.objects.filter(contact=scoring_world["people"][0]).update(prediction_stale=True)
    again = do_rescore_all(as_of=t0)
    assert again.written == 1  # only the stale flag differed
    assert not LeadScore.objects.filter(prediction_stale=True).exists()
    second = do_save_definition(
        text=definition_text.replace("version: 2", "version: 3"), activate=True, rescore=False
    )
    summary = do_rescore_all(as_of=t0)
    assert summary.written == 5
    assert set(LeadScore.objects.values_list("definition_id", flat=True)) == {second.pk}
    assert second.pk != first.pk
    # The incremental path and the bulk one still agree after the narrowed writes.
    stored = {s.contact_id: (s.fit, s.engagement, s.total) for s in LeadScore.objects.all()}
    do_rescore_contacts(list(stored), as_of=t0)
    assert {s.contact_id: (s.fit, s.engagement, s.total) for s in LeadScore.objects.all()} == (
        stored
    )
