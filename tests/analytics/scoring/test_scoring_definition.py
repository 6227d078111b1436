"""The scoring definition: schema, validation errors with line numbers, the shipped default."""

from __future__ import annotations

import pytest

from smarketing.analytics.scoring import (
    EVENT_KINDS,
    DefinitionError,
    load_default_definition,
    load_definition,
)

VALID = """\
version: 4
name: Test
mql: {fit: 20, engagement: 10, total: 50, hand_raiser_min_fit: 0}
decay:
  half_life_days: 14
free_email_domains: [Gmail.com, example.org]
fit:
  - {name: Senior, field: seniority, op: in, value: [vp, c_level], points: 20}
  - {name: Size, field: employees, op: between, value: [50, 500], points: 10}
  - {name: Tier, field: tier, op: in, value: [1, 2], points: 5}
  - {name: ABM, field: target_account, op: eq, value: true, points: 15}
  - {name: Free, field: email, op: is_free_email, value: true, points: -15}
engagement:
  - name: Pricing
    kind: page_view
    url: "*/pricing*"
    points: 4
    cap_per_day: 6
    cap_total: 10
  - {name: Demo, kind: [form_submit, chat], url_regex: "demo|trial", points: 30, hand_raiser: true}
  - {name: Spring campaign, campaign: [Spring-24], channel: email, points: 2}
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load_definition(text)
    return [str(e) for e in info.value.errors]


def test_valid_definition_is_parsed_into_typed_rules():
    d = load_definition(VALID)
    assert (d.version, d.name, d.half_life_days) == (4, "Test", 14.0)
    assert (d.mql.fit, d.mql.engagement, d.mql.total, d.mql.hand_raiser_min_fit) == (
        20.0,
        10.0,
        50.0,
        0.0,
    )
    assert d.free_email_domains == frozenset({"gmail.com", "example.org"})
    assert [r.name for r in d.fit] == ["Senior", "Size", "Tier", "ABM", "Free"]
    assert d.fit[1].value == (50.0, 500.0)
    assert d.fit[2].value == (1.0, 2.0)
    pricing, demo, spring = d.engagement
    assert pricing.kinds == frozenset({"page_view"})
    assert (pricing.cap_per_day, pricing.cap_total, pricing.line) == (6.0, 10.0, 14)
    assert demo.kinds == frozenset({"form_submit", "chat"}) and demo.hand_raiser
    assert spring.kinds is None and spring.campaign == frozenset({"spring-24"})
    assert d.source == VALID


def test_fit_predicates_follow_documented_semantics():
    d = load_definition(VALID)
    senior, size, tier, abm, free = d.fit
    assert senior.matches(senior.normalise(" VP ")) and not senior.matches(None)
    assert size.matches(50.0) and size.matches(500.0) and not size.matches(501.0)
    assert tier.matches(tier.normalise("2")) and not tier.matches(3.0)
    assert abm.matches(abm.normalise("yes")) and not abm.matches(abm.normalise(0))
    assert free.matches("x@GMAIL.com") and not free.matches("x@acme.com")
    assert not free.matches("no-at-sign-but-domain.com")


def test_engagement_predicates_glob_regex_and_lists():
    pricing, demo, spring = load_definition(VALID).engagement
    assert pricing.matches_text("url", "https://x.io/Pricing/enterprise")
    assert not pricing.matches_text("url", "https://x.io/blog/about-pricing")
    assert not pricing.matches_text("url", None)
    assert demo.matches_text("url", "/start-TRIAL") and demo.matches_kind("chat")
    assert not demo.matches_kind("page_view")
    assert spring.matches_text("campaign", "spring-24") and spring.matches_kind("email_open")
    assert spring.matches_text("url", None)  # unconstrained attributes always match


def test_every_error_is_reported_with_its_line_and_field():
    text = """\
version: 1
mql: {fit: 10}
decay: {half_life_days: -7}
fit:
  - {name: A, field: industri, op: eq, value: x, points: 1}
  - {name: B, field: title, op: like, value: x, points: 1}
  - {name: C, field: employees, op: gte, value: many, points: 1}
engagement:
  - name: Views
    kind: page_veiw
    points: 1
    cap_per_day: -1
  - name: Clicks
    kind: email_click
    points: 2
    colour: blue
"""
    assert errors_of(text) == [
        "line 3: field 'decay.half_life_days': must be > 0, got -7",
        "line 5: field 'fit[0].field': unknown field 'industri' (did you mean 'industry'?)",
        "line 6: field 'fit[1].op': unknown operator 'like'; use eq, in, not_in, contains, "
        "regex, gt, gte, lt, lte, between, is_free_email",
        "line 7: field 'fit[2].value': must be a number, got 'many'",
        "line 10: field 'engagement[0].kind': unknown event kind 'page_veiw' "
        "(did you mean 'page_view'?)",
        "line 12: field 'engagement[0].cap_per_day': must be >= 0, got -1",
        "line 16: field 'engagement[1].colour': unknown field; allowed: name, kind, url, "
        "url_regex, campaign, content, channel, points, cap_per_day, cap_total, hand_raiser",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\nmql: {total: 5}\ndecay: {half_life_days: 0}\n", "line 3: field 'decay"),
        (
            "version: 1\nmql: {total: 5}\nengagement:\n  - {name: a, points: 1, cap_total: -2}\n",
            "line 4: field 'engagement[0].cap_total': must be >= 0, got -2",
        ),
        ("version: one\nmql: {total: 5}\n", "line 1: field 'version': must be a whole number"),
        ("version: 1\n", "line 1: field 'mql': is required"),
        ("version: 1\nmql: {hand_raiser_min_fit: 5}\n", "field 'mql': needs fit and/or"),
        ("version: 1\nmql: {total: 5}\nfit: {name: x}\n", "line 3: field 'fit': must be a list"),
        (
            "version: 1\nmql: {total: 5}\nfit:\n  - {name: x, field: title, op: eq, points: 1}\n",
            "line 4: field 'fit[0].value': is required",
        ),
        ("version: 1\nmql: {total: true}\n", "line 2: field 'mql.total': must be a number"),
        (
            "version: 1\nmql: {total: 5}\nfit:\n"
            "  - {name: x, field: title, op: regex, value: '(', points: 1}\n",
            "line 4: field 'fit[0].value': invalid regular expression",
        ),
        (
            "version: 1\nmql: {total: 5}\nfit:\n"
            "  - {name: x, field: employees, op: between, value: [9, 1], points: 1}\n",
            "line 4: field 'fit[0].value': low 9 is above high 1",
        ),
        (
            "version: 1\nmql: {total: 5}\nfit:\n"
            "  - {name: x, field: title, op: is_free_email, value: true, points: 1}\n",
            "is_free_email applies only to email or email_domain",
        ),
        (
            "version: 1\nmql: {total: 5}\nfit:\n"
            "  - {name: x, field: country, op: in, value: [NO, SE], points: 1}\n",
            "line 4: field 'fit[0].value': must be text, got False (quote it: 'NO')",
        ),
        (
            "version: 1\nmql: {total: 5}\nengagement:\n  - {name: a, points: 1}\n"
            "  - {name: a, points: 2}\n",
            "line 5: field 'engagement[1].name': duplicate rule",
        ),
        (
            "version: 1\nmql: {total: 5}\nengagement:\n"
            "  - {name: a, points: 1, url: '*', url_regex: x}\n",
            "give either url (glob) or",
        ),
        ("version: 1\nversion: 2\nmql: {total: 5}\n", "line 2: field 'version': appears twice"),
        ("version: 1\nmql: {total: 5\n", "not valid YAML"),
        ("", "the definition is empty"),
        ("- 1\n- 2\n", "line 1: must be a mapping"),
    ],
)
def test_invalid_definitions_are_rejected_with_a_located_reason(text, expected):
    assert any(expected in message for message in errors_of(text)), errors_of(text)


def test_definition_error_message_lists_every_error():
    with pytest.raises(DefinitionError) as info:
        load_definition("version: 0\nmql: {total: -1, fitt: 1}\n")
    message = str(info.value)
    assert message.startswith("invalid scoring definition (2 errors):")
    assert "line 1: field 'version'" in message and "line 2: field 'mql.fitt'" in message
    assert isinstance(info.value, ValueError)


def test_no_decay_when_half_life_is_null_or_absent():
    assert load_definition("version: 1\nmql: {total: 1}\n").half_life_days is None
    text = "version: 1\nmql: {total: 1}\ndecay: {half_life_days: null}\n"
    assert load_definition(text).half_life_days is None


def test_default_definition_is_valid_and_uses_known_kinds():
    d = load_default_definition()
    assert d.version >= 1 and d.half_life_days == 30
    assert {k for r in d.engagement for k in (r.kinds or ())} <= set(EVENT_KINDS)
    assert {r.name for r in d.engagement if r.hand_raiser} == {"Demo request", "Contact sales"}
    assert any(r.op == "is_free_email" and r.points < 0 for r in d.fit)
