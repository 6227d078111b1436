"""Rescoring: incremental (a touchpoint arrives) equals bulk; history is appended on change."""

from __future__ import annotations

import datetime as dt

import pytest

from smarketing.scoring.actions import do_rescore_all, do_rescore_contacts, do_save_definition
from smarketing.scoring.models import LeadScore, ScoreHistory
from smarketing.scoring.selectors import sales_ready, score_for, scores_for

FIELDS = ("fit", "engagement", "total", "hand_raiser", "is_mql")


def _stored():
    return {s.contact_id: tuple(getattr(s, f) for f in FIELDS) for s in LeadScore.objects.all()}


@pytest.mark.django_db
def test_incremental_equals_bulk(scoring_world, definition_text):
    do_save_definition(text=definition_text, activate=True, rescore=False)
    t0 = scoring_world["T0"]
    ids = [c.pk for c in scoring_world["people"]]
    assert do_rescore_contacts(ids, as_of=t0) == 5
    incremental = _stored()
    summary = do_rescore_all(as_of=t0)
    assert summary.contacts == 5
    assert summary.written == 0, "bulk found a difference with the incremental scores"
    assert _stored() == incremental
    ann, bob, cy, dee, eve = ids
    # Ann: VP 20 + persona 5 + big 10 + target 7 + DE via account 3 + SaaS 4 = 49.
    assert incremental[ann][0] == 49
    # Demo 30 at 20 days (two half-lives) = 7.5; pricing 5 + 2.5 (day cap 7.5) at 3 days;
    # spring 2.5 and ebook 4 + 4 + 2 (cap 10) at 1 day.
    expected = 7.5 + 7.5 * 0.5**0.3 + (2.5 + 10) * 0.5**0.1
    assert incremental[ann][1] == pytest.approx(expected)
    assert incremental[ann][3] is True and incremental[ann][4] is True
    assert incremental[bob][0] == -15  # free mail, manager not scored, small company
    assert incremental[bob][1] == pytest.approx(1.5 * 0.5**0.5)
    assert incremental[dee][3] is False  # its demo request is after T0
    assert incremental[eve][:3] == (0, 0, 0)


@pytest.mark.django_db
def test_bulk_rescore_in_batches_equals_single(scoring_world, definition_text, monkeypatch):
    from smarketing.scoring import actions

    do_save_definition(text=definition_text, activate=True, rescore=False)
    ids = [c.pk for c in scoring_world["people"]]
    do_rescore_contacts(ids, as_of=scoring_world["T0"])
    single = _stored()
    monkeypatch.setattr(actions, "BULK_FROM", 1)  # the ingest-batch path through Ibis
    LeadScore.objects.all().delete()
    do_rescore_contacts(ids, as_of=scoring_world["T0"])
    assert _stored() == single


@pytest.mark.django_db
def test_touchpoint_save_rescores_and_appends_history(scoring_world, definition_text):
    from smarketing.crm.models import Touchpoint

    do_save_definition(text=definition_text, activate=True, rescore=False)
    do_rescore_all()
    eve = scoring_world["people"][4]
    assert ScoreHistory.objects.filter(contact=eve).count() == 1  # first value
    now = dt.datetime.now(dt.UTC)
    Touchpoint.objects.create(contact=eve, occurred_at=now, kind="form_submit", url="/demo")
    score = LeadScore.objects.get(contact=eve)
    assert score.hand_raiser and score.engagement == pytest.approx(30, abs=0.01)
    history = list(ScoreHistory.objects.filter(contact=eve).order_by("at", "id"))
    assert len(history) == 2 and history[-1].reason == "touchpoint"
    assert history[-1].hand_raiser and history[-1].definition_version == 2
    # A touch no rule counts changes nothing a rep sees: no new history row.
    Touchpoint.objects.create(contact=eve, occurred_at=now, kind="sales_call")
    assert ScoreHistory.objects.filter(contact=eve).count() == 2
    # Bulk rescore after a definition change appends history for the changed contacts only.
    changed = definition_text.replace("version: 2", "version: 5").replace(
        "points: -15", "points: -40"
    )
    do_save_definition(text=changed, activate=True, rescore=False)
    before = ScoreHistory.objects.count()
    summary = do_rescore_all()
    bob = scoring_world["people"][1]
    assert summary.history >= 1
    assert ScoreHistory.objects.count() == before + summary.history
    last = ScoreHistory.objects.filter(contact=bob).order_by("-at", "-id").first()
    assert last.fit == -40 and last.definition_version == 5 and last.reason == "bulk"


@pytest.mark.django_db
def test_no_active_definition_scores_nothing(scoring_world):
    assert do_rescore_all().note == "no active scoring definition"
    assert do_rescore_contacts([scoring_world["people"][0].pk]) == 0
    assert not LeadScore.objects.exists()


@pytest.mark.django_db
def test_selectors_for_the_inbox_and_the_mql_rule(scoring_world, definition_text):
    from smarketing.funnel.scores import score_of

    do_save_definition(text=definition_text, activate=True, rescore=False)
    do_rescore_all(as_of=scoring_world["T0"])
    ann, bob, cy, dee, eve = scoring_world["people"]
    priorities = scores_for([c.pk for c in scoring_world["people"]])
    order = sorted(priorities.values(), key=lambda p: p.sort_key)
    assert order[0].contact_id == ann.pk and order[0].hand_raiser  # hand-raiser first
    assert [p.score for p in order[1:]] == sorted((p.score for p in order[1:]), reverse=True)
    assert all(p.basis == "rule" and p.probability is None for p in order)
    # A probability, where a model gave one, ranks above rule-only leads.
    LeadScore.objects.filter(contact=eve).update(probability=0.4)
    order = sorted(
        scores_for([c.pk for c in scoring_world["people"]]).values(), key=lambda p: p.sort_key
    )
    assert order[1].contact_id == eve.pk and order[1].basis == "probability"
    ready = sales_ready(ann)
    assert ready.hand_raiser and ready.is_mql and ready.fit == 49 and ready.definition_version == 2
    assert sales_ready(ann.pk) == ready
    assert score_for(10**9) is None and sales_ready(10**9) is None
    # The funnel's MQL rule reads the same fit / engagement.
    assert score_of(ann.pk).fit == 49
