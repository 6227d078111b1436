"""Channel grouping: default rules, CRM source vocabularies, editable rule documents."""

from __future__ import annotations

import json

import pytest

from smarketing.ingest.channels import (
    CHANNELS,
    DEFAULT_RULES,
    DEFAULT_RULES_DOCUMENT,
    ChannelRules,
    ChannelRulesError,
    channel_for_source_value,
    classify,
)


@pytest.mark.parametrize(
    ("source", "medium", "campaign", "referrer", "expected"),
    [
        # Direct
        ("(direct)", "(none)", None, None, "Direct"),
        ("", "", None, None, "Direct"),
        (None, None, None, None, "Direct"),
        # Search
        ("google", "cpc", None, None, "Paid Search"),
        ("bing", "ppc", None, None, "Paid Search"),
        ("Google", "paid-search", None, None, "Paid Search"),
        ("google", "organic", None, None, "Organic Search"),
        ("duckduckgo", "", None, None, "Organic Search"),
        ("newsite", "organic", None, None, "Organic Search"),
        (None, None, None, "https://www.google.co.uk/search?q=x", "Organic Search"),
        (None, None, None, "https://www.bing.com/", "Organic Search"),
        # Social
        ("linkedin", "paid_social", None, None, "Paid Social"),
        ("facebook", "cpc", None, None, "Paid Social"),
        ("x.com", "paid", None, None, "Paid Social"),
        ("acme-ads", "paid-social", None, None, "Paid Social"),
        ("linkedin", "social", None, None, "Organic Social"),
        ("newsite", "social-media", None, None, "Organic Social"),
        (None, None, None, "https://t.co/abc", "Organic Social"),
        (None, None, None, "https://www.linkedin.com/feed/", "Organic Social"),
        # Email
        ("newsletter", "email", "march", None, "Email"),
        ("hubspot", "e-mail", None, None, "Email"),
        ("email", "", None, None, "Email"),
        # Display
        ("dv360", "display", None, None, "Display"),
        ("adroll", "cpm", None, None, "Display"),
        ("criteo", "banner", None, None, "Display"),
        # Events
        ("saastr", "event", None, None, "Events"),
        ("zoom", "webinar", None, None, "Events"),
        ("dreamforce", "trade-show", None, None, "Events"),
        # Partners
        ("partnerco", "affiliate", None, None, "Partners"),
        ("resellerx", "partner", None, None, "Partners"),
        # Sales outreach
        ("outreach", "sequence", None, None, "Sales outreach"),
        ("salesloft", "", None, None, "Sales outreach"),
        ("sdr", "cold-email", None, None, "Sales outreach"),
        ("crm", "outbound", None, None, "Sales outreach"),
        # Referral
        ("news.ycombinator.com", "referral", None, None, "Referral"),
        (None, None, None, "https://news.ycombinator.com/item?id=1", "Referral"),
        (None, None, None, "partner-blog.example.org", "Referral"),
        # Unknown
        ("mystery", "carrier-pigeon", None, None, "Other"),
        ("mystery", "", None, None, "Other"),
    ],
)
def test_default_rules(source, medium, campaign, referrer, expected):
    assert classify(source, medium, campaign, referrer) == expected


def test_every_default_channel_is_reachable_and_listed():
    produced = {rule.channel for rule in DEFAULT_RULES.rules} | {DEFAULT_RULES.fallback}
    assert produced == set(CHANNELS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ORGANIC_SEARCH", "Organic Search"),
        ("PAID_SEARCH", "Paid Search"),
        ("EMAIL_MARKETING", "Email"),
        ("SOCIAL_MEDIA", "Organic Social"),
        ("REFERRALS", "Referral"),
        ("OTHER_CAMPAIGNS", "Other"),
        ("DIRECT_TRAFFIC", "Direct"),
        ("OFFLINE", "Other"),
        ("PAID_SOCIAL", "Paid Social"),
        ("Organic Search", "Organic Search"),
        ("Paid Search", "Paid Search"),
        ("Direct Traffic", "Direct"),
        ("Email Marketing", "Email"),
        ("Social Media", "Organic Social"),
        ("Referrals", "Referral"),
        ("Other Campaigns", "Other"),
        ("Offline Sources", "Other"),
        ("Paid Social", "Paid Social"),
        ("organic search", "Organic Search"),
    ],
)
def test_hubspot_original_source(value, expected):
    assert channel_for_source_value("hubspot", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Web", "Direct"),
        ("Phone Inquiry", "Direct"),
        ("Partner Referral", "Partners"),
        ("Purchased List", "Sales outreach"),
        ("Other", "Other"),
        ("Advertisement", "Display"),
        ("Employee Referral", "Referral"),
        ("External Referral", "Referral"),
        ("Trade Show", "Events"),
        ("Word of mouth", "Referral"),
        ("Webinar", "Events"),
        ("Seminar - Internal", "Events"),
        ("Seminar - Partner", "Events"),
        # custom picklist values fall back to the UTM rules
        ("LinkedIn", "Organic Social"),
        ("Google AdWords", "Paid Search"),
        ("Carrier Pigeon", "Other"),
    ],
)
def test_salesforce_lead_source(value, expected):
    assert channel_for_source_value("salesforce", value) == expected


def test_blank_source_value_has_no_channel():
    assert channel_for_source_value("hubspot", "  ") is None
    assert channel_for_source_value("hubspot", None) is None


def test_round_trips_through_json_and_yaml():
    assert ChannelRules.from_json(DEFAULT_RULES.to_json()) == DEFAULT_RULES
    assert ChannelRules.from_yaml(DEFAULT_RULES.to_yaml()) == DEFAULT_RULES
    assert ChannelRules.from_dict(DEFAULT_RULES_DOCUMENT) == DEFAULT_RULES
    document = json.loads(DEFAULT_RULES.to_json())
    assert document["rules"][0]["channel"] == "Direct"
    # source value tables keep their readable keys for the admin
    assert document["source_values"]["salesforce"]["Trade Show"] == "Events"


def test_an_admin_edit_takes_effect_in_order():
    document = DEFAULT_RULES.to_dict()
    document["rules"].insert(
        0,
        {
            "name": "G2 reviews are partners",
            "channel": "Partners",
            "when": {"source": {"in": ["g2", "capterra"]}},
        },
    )
    document["source_values"]["salesforce"]["Web"] = "Organic Search"
    document["fallback"] = "Unassigned"
    rules = ChannelRules.from_yaml(ChannelRules.from_dict(document).to_yaml())
    assert classify("G2", "referral", rules=rules) == "Partners"
    assert classify("g2", "referral") == "Referral"
    assert classify("mystery", "pigeon", rules=rules) == "Unassigned"
    assert channel_for_source_value("salesforce", "Web", rules=rules) == "Organic Search"


def test_campaign_and_contains_conditions():
    rules = ChannelRules.from_dict(
        {
            "rules": [
                {"channel": "Events", "when": {"campaign": {"contains": "summit"}}},
                {"channel": "Email", "when": {"medium": {"matches": "^mail"}}},
            ]
        }
    )
    assert rules.classify("x", "y", "Spring-Summit-2025") == "Events"
    assert rules.classify("x", "MAILING") == "Email"
    assert rules.classify("x", "y", None) == "Other"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "needs a 'rules' list"),
        ({"rules": [{"when": {"source": {"in": ["a"]}}}]}, "rule 1: needs a 'channel'"),
        ({"rules": [{"channel": "X"}]}, "needs a non-empty 'when'"),
        ({"rules": [{"channel": "X", "when": {"country": {"in": ["de"]}}}]}, "unknown field"),
        ({"rules": [{"channel": "X", "when": {"source": {"like": "a"}}}]}, "unknown operator"),
        ({"rules": [{"channel": "X", "when": {"source": {"matches": "("}}}]}, "not a valid regex"),
        ({"rules": [{"channel": "X", "when": {"source": {"in": "a"}}}]}, "must be a list"),
        ({"rules": [{"channel": "X", "when": {"source": "a"}}]}, "must map an operator"),
        ({"rules": [{"channel": "X", "when": {"source": {"in": ["a"]}}, "x": 1}]}, "unknown keys"),
        ({"rules": [], "fallback": ""}, "'fallback' must be"),
        ({"rules": [], "extra": 1}, "unknown top-level keys"),
        ({"rules": [], "source_values": {"hubspot": 1}}, "'source_values' must map"),
    ],
)
def test_malformed_rule_documents(document, message):
    with pytest.raises(ChannelRulesError, match=message):
        ChannelRules.from_dict(document)


def test_malformed_json_and_yaml():
    with pytest.raises(ChannelRulesError, match="not valid JSON"):
        ChannelRules.from_json("{")
    with pytest.raises(ChannelRulesError, match="not valid YAML"):
        ChannelRules.from_yaml("rules: [")
