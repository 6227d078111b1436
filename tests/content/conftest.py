"""Fixtures of the content tests: a small library written through the content actions."""

from __future__ import annotations

import pytest


@pytest.fixture
def personas(db):
    from smarketing.crm.models import Persona

    return {
        slug: Persona.objects.create(name=name, slug=slug)
        for slug, name in [("finance-fred", "Finance Fred"), ("ops-olivia", "Ops Olivia")]
    }


@pytest.fixture
def marketer(make_user):
    return make_user("maria", team="Marketing", kind="marketing", role="manager")


@pytest.fixture
def rep(make_user):
    return make_user("sam", team="Sales", kind="sales", role="member")


@pytest.fixture
def library(personas, marketer):
    """Four assets in four formats, tagged for personas and stages."""
    from smarketing.content.actions import do_create_asset
    from smarketing.demo.content_library import make_docx, make_pdf, make_pptx

    fred, olivia = personas["finance-fred"], personas["ops-olivia"]
    specs = [
        (
            "Pricing sheet 2026",
            "pricing_sheet",
            [fred],
            ["opportunity"],
            ["pricing"],
            "p.pdf",
            make_pdf(
                [
                    "Plans are priced per seat per month, billed annually.",
                    "Multi-year terms earn a ten percent discount. CAC payback in five months.",
                ]
            ),
        ),
        (
            "Security overview",
            "whitepaper",
            [olivia],
            ["opportunity", "sql"],
            ["security"],
            "s.docx",
            make_docx(
                "Security overview",
                [
                    "Passwords are hashed with PBKDF2 and sessions are secure.",
                    "Single sign-on through SAML is on the Enterprise plan.",
                ],
            ),
        ),
        (
            "Product deck",
            "deck",
            [fred, olivia],
            ["sql"],
            ["product"],
            "d.pptx",
            make_pptx(
                "Product deck",
                [
                    "One shared funnel for sales and marketing.",
                    "Routing by territory and capacity.",
                ],
            ),
        ),
        (
            "Attribution notes",
            "blog",
            [olivia],
            ["lead"],
            ["attribution"],
            "a.md",
            b"# Attribution notes\n\nMarkov removal effects and **Shapley** values split credit fairly.",
        ),
    ]
    out = {}
    for title, kind, ps, stages, topics, fn, data in specs:
        out[title] = do_create_asset(
            title=title,
            kind=kind,
            owner=marketer,
            personas=ps,
            stages=stages,
            topics=topics,
            filename=fn,
            data=data,
            by=marketer,
        )
    return out


@pytest.fixture
def contact(db, personas):
    from smarketing.crm.actions import do_create_account, do_create_contact

    account = do_create_account(name="Globex", domain="globex.example")
    return do_create_contact(
        email="ana@globex.example",
        first_name="Ana",
        last_name="Lopez",
        account=account,
        persona=personas["finance-fred"],
        lifecycle_stage="sql",
    )
