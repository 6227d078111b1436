"""Small scoring fixtures: a definition touching every mapped field, a handful of contacts."""

from __future__ import annotations

import datetime as dt

import pytest

DEFINITION = """\
version: 2
name: Test definition
mql: {fit: 20, engagement: 10, total: 60, hand_raiser_min_fit: 5}
decay: {half_life_days: 10}
fit:
  - {name: VP, field: seniority, op: in, value: [vp, c_level], points: 20}
  - {name: Persona, field: persona, op: eq, value: ops-olivia, points: 5}
  - {name: Big, field: employees, op: gte, value: 100, points: 10}
  - {name: Target, field: target_account, op: eq, value: true, points: 7}
  - {name: Core market, field: country, op: in, value: [US, DE], points: 3}
  - {name: Free mail, field: email_domain, op: is_free_email, value: true, points: -15}
  - {name: SaaS, field: industry, op: eq, value: saas, points: 4}
engagement:
  - {name: Demo, kind: form_submit, url: "*demo*", points: 30, cap_total: 60, hand_raiser: true}
  - {name: Pricing, kind: page_view, url_regex: "/pricing", points: 5, cap_per_day: 7.5}
  - {name: Spring, kind: [email_open, email_click], campaign: [spring-26], points: 2.5}
  - {name: Ebook, kind: content_view, content: [Buyer guide], points: 4, cap_total: 10}
  - {name: Social, kind: ad_click, channel: [paid_social], points: 1.5}
"""

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def scoring_world(db):
    """Three accounts, five contacts, a campaign, an asset and a spread of touchpoints.

    Touchpoints are written with ``bulk_create`` (no signal), like an ingest batch.
    """
    from smarketing.crm.models import (
        Account,
        Campaign,
        Contact,
        ContentAsset,
        Persona,
        Touchpoint,
    )

    olivia = Persona.objects.create(name="Ops Olivia", slug="ops-olivia")
    big = Account.objects.create(
        name="Big", domain="big.io", industry="SaaS", employees=500, country="DE", is_target=True
    )
    small = Account.objects.create(name="Small", domain="small.io", employees=8, country="FR")
    spring = Campaign.objects.create(name="Spring", channel="email", utm_campaign="spring-26")
    summer = Campaign.objects.create(name="Summer push", channel="paid_social")
    guide = ContentAsset.objects.create(title="Buyer guide", kind="ebook")
    people = [
        Contact.objects.create(
            email="ann@big.io", seniority="vp", account=big, persona=olivia, country=""
        ),
        Contact.objects.create(email="bob@gmail.com", seniority="manager", account=small),
        Contact.objects.create(email="cy@big.io", seniority="c_level", account=big, country="US"),
        Contact.objects.create(email="dee@small.io", account=small),
        Contact.objects.create(email="eve@nowhere.org"),
    ]
    ann, bob, cy, dee, _ = people
    host = "https://demo.example.com"

    def tp(contact, days, kind, url="", **kw):
        return Touchpoint(
            contact=contact, occurred_at=T0 - dt.timedelta(days=days), kind=kind, url=url, **kw
        )

    Touchpoint.objects.bulk_create(
        [
            tp(ann, 20, "form_submit", f"{host}/demo-request"),
            tp(ann, 3, "page_view", f"{host}/pricing"),
            tp(ann, 3, "page_view", f"{host}/pricing?x=1"),
            tp(ann, 1, "email_open", campaign=spring),
            tp(ann, 1, "content_view", content=guide),
            tp(ann, 1, "content_view", content=guide),
            tp(ann, 1, "content_view", content=guide),
            tp(bob, 5, "ad_click", channel="paid_social", campaign=summer),
            tp(bob, 2, "page_view", f"{host}/blog"),
            tp(cy, 40, "form_submit", f"{host}/ebook"),
            tp(cy, 0.5, "email_click", campaign=spring),
            tp(cy, 60, "page_view", f"{host}/pricing"),
            tp(dee, -2, "form_submit", f"{host}/demo"),  # after T0: ignored at T0
        ]
    )
    return {"people": people, "T0": T0}


@pytest.fixture
def definition_text():
    """A definition exercising every fit-field source and touchpoint attribute."""
    return DEFINITION


@pytest.fixture
def bad_definition_text():
    """The same definition with a negative half-life (line 4) and a misspelt event kind."""
    return DEFINITION.replace("half_life_days: 10", "half_life_days: -3").replace(
        "kind: ad_click", "kind: ad_clik"
    )
