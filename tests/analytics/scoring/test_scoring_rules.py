"""Rule scoring: hand-computed fit / engagement (caps, decay), bulk and single agreement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smarketing.analytics.scoring import (
    ScoringInputError,
    load_definition,
    score_contact,
    score_contacts,
)

AS_OF = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)

DEFINITION = load_definition("""\
version: 1
mql: {fit: 20, engagement: 10, total: 50, hand_raiser_min_fit: -20}
decay: {half_life_days: 10}
fit:
  - {name: Senior, field: seniority, op: in, value: [vp, c_level], points: 20}
  - {name: Size, field: employees, op: between, value: [50, 500], points: 10}
  - {name: Free mail, field: email, op: is_free_email, value: true, points: -15}
engagement:
  - {name: Pricing, kind: page_view, url: "*/pricing*", points: 4, cap_per_day: 6, cap_total: 10}
  - {name: Demo, kind: form_submit, url: "*/demo*", points: 30, hand_raiser: true}
  - {name: Careers, kind: page_view, url: "*/careers*", points: -2.5, cap_total: 4}
  - {name: Email, kind: [email_open, email_click], campaign: [spring], points: 0.1, cap_per_day: 0.25}
""")

CONTACTS = pd.DataFrame(
    {
        "contact_id": [1, 2, 3],
        "email": ["ann@acme.com", "bob@GMAIL.com", None],
        "seniority": ["VP", "", "manager"],
        "employees": [100, 1000, None],
    }
)


def touch(contact_id, days_ago, kind, url=None, campaign=None):
    return {
        "contact_id": contact_id,
        "occurred_at": AS_OF - timedelta(days=days_ago),
        "kind": kind,
        "url": url,
        "campaign": campaign,
        "channel": None,
    }


TOUCHES = [
    # Ann: 3 pricing views 10 days ago (4 + 2 under the 6/day cap + 0), 2 today (cap_total 10
    # leaves 4, then 0): 6 * 0.5 + 4 * 1 = 7.
    touch(1, 10, "page_view", "https://acme.io/pricing"),
    touch(1, 10, "page_view", "https://acme.io/pricing?plan=pro"),
    touch(1, 10, "page_view", "https://acme.io/PRICING"),
    touch(1, 0, "page_view", "https://acme.io/pricing"),
    touch(1, 0, "page_view", "https://acme.io/pricing"),
    touch(1, 0, "page_view", "https://acme.io/blog"),  # matches no rule
    touch(1, -1, "form_submit", "https://acme.io/demo"),  # after as_of: ignored
    # Bob: a demo request 20 days ago: 30 * 0.25 = 7.5, a hand-raiser; careers twice 10 days
    # ago (-2.5, -1.5 under cap_total 4) = -4 * 0.5 = -2.
    touch(2, 20, "form_submit", "https://acme.io/demo"),
    touch(2, 10, "page_view", "https://acme.io/careers"),
    touch(2, 10, "page_view", "https://acme.io/careers/eng"),
    # Carol: three spring email events on one day: 0.1 + 0.1 + 0.05 (day cap 0.25), no decay.
    touch(3, 0, "email_open", campaign="Spring"),
    touch(3, 0, "email_click", campaign="spring"),
    touch(3, 0, "email_open", campaign="spring"),
    touch(3, 0, "email_open", campaign="summer"),
]


def bulk():
    frame = score_contacts(
        DEFINITION, contacts=CONTACTS, touchpoints=pd.DataFrame(TOUCHES), as_of=AS_OF
    )
    return frame.set_index("contact_id")


def test_hand_computed_fit_scores_including_negative_free_mail():
    scores = bulk()
    assert scores.loc[1, "fit"] == 30.0  # VP + size
    assert scores.loc[2, "fit"] == -15.0  # free mail; 1000 employees is outside the range
    assert scores.loc[3, "fit"] == 0.0  # manager, unknown size, no email


def test_hand_computed_engagement_with_caps_and_decay():
    scores = bulk()
    assert scores.loc[1, "engagement"] == pytest.approx(7.0)
    assert scores.loc[2, "engagement"] == pytest.approx(7.5 - 2.0)
    assert scores.loc[3, "engagement"] == pytest.approx(0.25)
    assert scores["total"].tolist() == pytest.approx([37.0, -9.5, 0.25])


def test_hand_raiser_and_mql_decisions():
    scores = bulk()
    assert scores["hand_raiser"].tolist() == [False, True, False]
    # Ann: fit 30 >= 20 but engagement 7 < 10 and total 37 < 50. Bob: hand-raiser with
    # fit -15 >= -20.
    assert scores["is_mql"].tolist() == [False, True, False]


def test_single_contact_matches_hand_computed_values_and_breakdown():
    own = [t for t in TOUCHES if t["contact_id"] == 1]
    score = score_contact(
        DEFINITION, contact=CONTACTS.iloc[0].to_dict(), touchpoints=own, as_of=AS_OF
    )
    assert (score.fit, score.engagement, score.hand_raiser, score.is_mql) == (
        30.0,
        7.0,
        False,
        False,
    )
    assert score.breakdown == {"Senior": 20.0, "Size": 10.0, "Pricing": 7.0}
    assert score.to_dict()["total"] == 37.0


def test_no_decay_and_no_touches():
    d = load_definition("version: 1\nmql: {engagement: 3}\nengagement: [{name: Any, points: 1}]\n")
    touches = pd.DataFrame([touch(1, 400, "chat"), touch(1, 1, "webinar")])
    contacts = pd.DataFrame({"contact_id": [1, 2]})
    scores = score_contacts(d, contacts=contacts, touchpoints=touches, as_of=AS_OF)
    assert scores["engagement"].tolist() == [2.0, 0.0]
    assert scores["is_mql"].tolist() == [False, False]


def test_touches_of_unknown_contacts_are_ignored_and_naive_times_are_utc():
    touches = pd.DataFrame(
        [touch(99, 0, "form_submit", "/demo"), touch(1, 0, "page_view", "/pricing")]
    )
    touches["occurred_at"] = touches["occurred_at"].dt.tz_localize(None)
    scores = score_contacts(
        DEFINITION, contacts=CONTACTS, touchpoints=touches, as_of=AS_OF.replace(tzinfo=None)
    )
    assert scores["engagement"].tolist() == [4.0, 0.0, 0.0]


def test_bad_inputs_raise_clear_errors():
    touches = pd.DataFrame(TOUCHES)
    with pytest.raises(ScoringInputError, match="no column 'seniority'"):
        score_contacts(
            DEFINITION,
            contacts=CONTACTS.drop(columns="seniority"),
            touchpoints=touches,
            as_of=AS_OF,
        )
    with pytest.raises(ScoringInputError, match=r"no column\(s\) campaign"):
        score_contacts(
            DEFINITION, contacts=CONTACTS, touchpoints=touches.drop(columns="campaign"), as_of=AS_OF
        )
    with pytest.raises(ScoringInputError, match="contact_id 1 appears more than once"):
        score_contacts(
            DEFINITION, contacts=pd.concat([CONTACTS, CONTACTS]), touchpoints=touches, as_of=AS_OF
        )
    with pytest.raises(ScoringInputError, match="'employees': 'lots' is not a number"):
        score_contacts(
            DEFINITION,
            contacts=CONTACTS.assign(employees=["lots", None, None]),
            touchpoints=touches,
            as_of=AS_OF,
        )
    with pytest.raises(ScoringInputError, match="missing date-time on row 0"):
        score_contacts(
            DEFINITION, contacts=CONTACTS, touchpoints=touches.assign(occurred_at=None), as_of=AS_OF
        )
    with pytest.raises(ScoringInputError, match="contact has no field 'employees'"):
        score_contact(
            DEFINITION, contact={"email": None, "seniority": None}, touchpoints=[], as_of=AS_OF
        )
    with pytest.raises(ScoringInputError, match="as_of: 'soon' is not a date-time"):
        score_contact(DEFINITION, contact={}, touchpoints=[], as_of="soon")


# Fractional points (0.1, 2.5) and partial caps make any difference in evaluation order show
# up in the last bits; the two scorers must still agree exactly.
KIND_URLS = [
    ("page_view", "https://x.io/pricing"),
    ("page_view", "https://x.io/careers"),
    ("page_view", None),
    ("form_submit", "https://x.io/demo"),
    ("form_submit", "https://x.io/contact"),
    ("email_open", None),
    ("email_click", None),
    ("chat", None),
]
touch_strategy = st.tuples(
    st.integers(0, 3),  # contact
    st.integers(-2 * 86_400, 60 * 86_400),  # seconds before AS_OF (negative: in the future)
    st.sampled_from(KIND_URLS),
    st.sampled_from(["spring", "Spring ", "summer", None]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(touch_strategy, max_size=60),
    st.lists(st.sampled_from(["VP", "c_level", "", None, "intern"]), min_size=4, max_size=4),
    st.lists(st.one_of(st.none(), st.integers(0, 1000)), min_size=4, max_size=4),
)
def test_bulk_and_single_scorers_agree_exactly(raw_touches, seniorities, sizes):
    contacts = pd.DataFrame(
        {
            "contact_id": [10, 11, 12, 13],
            "email": ["a@gmail.com", "b@acme.com", None, "d@yahoo.com"],
            "seniority": seniorities,
            "employees": [np.nan if s is None else s for s in sizes],
        }
    )
    touches = [
        {
            "contact_id": 10 + c,
            "occurred_at": AS_OF - timedelta(seconds=s),
            "kind": kind,
            "url": url,
            "campaign": campaign,
        }
        for c, s, (kind, url), campaign in raw_touches
    ]
    frame = pd.DataFrame(touches, columns=["contact_id", "occurred_at", "kind", "url", "campaign"])
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    bulk_scores = score_contacts(
        DEFINITION, contacts=contacts, touchpoints=frame, as_of=AS_OF
    ).set_index("contact_id")
    for row in contacts.to_dict("records"):
        own = [t for t in touches if t["contact_id"] == row["contact_id"]]
        single = score_contact(DEFINITION, contact=row, touchpoints=own, as_of=AS_OF)
        expected = bulk_scores.loc[row["contact_id"]]
        assert single.fit == expected["fit"]
        assert single.engagement == expected["engagement"]
        assert single.total == expected["total"]
        assert single.hand_raiser == bool(expected["hand_raiser"])
        assert single.is_mql == bool(expected["is_mql"])
