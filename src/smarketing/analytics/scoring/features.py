"""The predictive feature table: one row per contact from contact, account and touch history.

:func:`build_features` counts each contact's touchpoints per kind, recent activity, recency,
distinct channels and campaigns, a few URL signals (pricing page, demo requests), and carries
the fit fields (seniority, industry, company size…). Give it a per-contact ``as_of`` (for
example the moment each contact's outcome was decided) when building *training* data, so
the model never learns from touchpoints that happened after the outcome (sales calls and
meetings that follow qualification would otherwise leak the answer).

:func:`describe` turns a feature and its value into words a sales rep understands.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from smarketing.analytics.scoring.definition import (
    DEFAULT_FREE_EMAIL_DOMAINS,
    EVENT_KINDS,
    email_domain,
    normalise_text,
)
from smarketing.analytics.scoring.errors import ScoringInputError
from smarketing.analytics.scoring.rules import _NS_PER_DAY, _column_ns, as_frame, to_ns

__all__ = ["DEFAULT_URL_FEATURES", "FIT_FEATURES", "build_features", "describe"]

#: Counted URL signals: feature name -> (touch kind, glob on the URL).
DEFAULT_URL_FEATURES: dict[str, tuple[str, str]] = {
    "n_pricing_views": ("page_view", "*pricing*"),
    "n_demo_requests": ("form_submit", "*demo*"),
    "n_contact_requests": ("form_submit", "*contact*"),
}
#: Contact / account columns carried into the feature table when present.
FIT_FEATURES: tuple[str, ...] = (
    "persona", "seniority", "industry", "employees", "country", "region", "segment", "tier",
    "target_account", "original_channel",
)  # fmt: skip

_PHRASES: dict[str, str] = {
    "n_page_view": "Viewed {v:.0f} pages",
    "n_form_submit": "Submitted {v:.0f} forms",
    "n_email_open": "Opened {v:.0f} emails",
    "n_email_click": "Clicked {v:.0f} emails",
    "n_ad_click": "Clicked {v:.0f} ads",
    "n_webinar": "Attended {v:.0f} webinars",
    "n_event": "Attended {v:.0f} events",
    "n_content_view": "Viewed {v:.0f} pieces of content",
    "n_content_share": "Shared content {v:.0f} times",
    "n_sales_call": "Had {v:.0f} sales calls",
    "n_sales_email": "Received {v:.0f} sales emails",
    "n_meeting": "Had {v:.0f} meetings",
    "n_demo": "Had {v:.0f} demos",
    "n_chat": "Started {v:.0f} chats",
    "n_touches": "{v:.0f} interactions in total",
    "n_touches_30d": "{v:.0f} interactions in the last 30 days",
    "days_since_last_touch": "Last active {v:.0f} days ago",
    "days_since_first_touch": "First seen {v:.0f} days ago",
    "n_channels": "Engaged through {v:.0f} channels",
    "n_campaigns": "Touched by {v:.0f} campaigns",
    "n_pricing_views": "Visited the pricing page {v:.0f} times",
    "n_demo_requests": "Requested a demo {v:.0f} times",
    "n_contact_requests": "Asked to be contacted {v:.0f} times",
    "employees": "Company of {v:,.0f} employees",
    "tier": "Account tier {v:.0f}",
    "industry": "Industry: {v}",
    "seniority": "Seniority: {v}",
    "persona": "Persona: {v}",
    "country": "Based in {v}",
    "region": "Region: {v}",
    "segment": "Segment: {v}",
    "original_channel": "Came in through {v}",
}
_YES_NO = {
    "free_email": ("Uses a free-mail address", "Uses a company email address"),
    "target_account": ("Works at a target account", "Not on the target account list"),
}


def describe(feature: str, value: Any) -> str:
    """A feature's value in plain words.

    Examples
    --------
    >>> describe("n_pricing_views", 3.0), describe("free_email", 1.0)
    ('Visited the pricing page 3 times', 'Uses a free-mail address')
    >>> describe("annual_budget", 12000.0), describe("industry", None)
    ('Annual budget: 12,000', 'Industry: unknown')
    """
    missing = (
        value is None or (isinstance(value, float) and np.isnan(value)) or value == "(missing)"
    )
    if feature in _YES_NO and not missing:
        yes, no = _YES_NO[feature]
        return yes if value in (1, 1.0, True) or str(value).casefold() in {"true", "yes"} else no
    label = feature.replace("_", " ").strip().capitalize()
    if missing:
        phrase = _PHRASES.get(feature, "")
        return f"{phrase.split(':')[0]}: unknown" if ":" in phrase else f"{label}: unknown"
    if feature in _PHRASES:
        try:
            return _PHRASES[feature].format(v=value)
        except (ValueError, TypeError):
            pass
    if isinstance(value, float):
        return f"{label}: {value:,.4g}" if abs(value) < 1000 else f"{label}: {value:,.0f}"
    return f"{label}: {value}"


def _cutoffs(as_of: Any, index: pd.Index) -> np.ndarray:
    if isinstance(as_of, datetime | str):
        return np.full(len(index), to_ns(as_of, what="as_of"), dtype=np.int64)
    if isinstance(as_of, pd.Series | Mapping):
        series = pd.Series(as_of)
        times = pd.Series(
            _column_ns(pd.Series(series.to_numpy()), "as_of"), index=series.index
        ).reindex(index)
        if times.isna().any():
            missing = index[times.isna().to_numpy()][0]
            raise ScoringInputError(f"as_of has no cut-off time for contact_id {missing}")
        return times.to_numpy(dtype=np.int64)
    raise ScoringInputError("as_of must be a datetime or a contact_id -> datetime mapping")


def build_features(
    contacts: Any,
    touchpoints: Any,
    *,
    as_of: datetime | Mapping[Any, datetime] | pd.Series,
    url_features: Mapping[str, tuple[str, str]] = DEFAULT_URL_FEATURES,
    free_email_domains: frozenset[str] = DEFAULT_FREE_EMAIL_DOMAINS,
) -> pd.DataFrame:
    """One feature row per contact, for :func:`~smarketing.analytics.scoring.predictive.train`.

    Parameters
    ----------
    contacts
        ``contact_id`` plus any of the fit fields (account fields joined in) and ``email``.
    touchpoints
        ``contact_id``, ``occurred_at``, ``kind``; ``channel``, ``campaign`` and ``url`` are
        used when present.
    as_of
        Only touchpoints at or before this moment count; a mapping or Series gives each
        contact its own cut-off (use the outcome time for training data).
    url_features
        Extra counts: name -> (kind, URL glob).

    Returns
    -------
    pandas.DataFrame
        ``contact_id``, ``n_<kind>`` for every touch kind, ``n_touches``, ``n_touches_30d``,
        ``days_since_last_touch`` / ``days_since_first_touch`` (NaN without touches),
        ``n_channels``, ``n_campaigns``, the URL counts, ``free_email`` (1/0, NaN without an
        email) and the fit fields present in ``contacts``.

    Examples
    --------
    >>> contacts = pd.DataFrame({"contact_id": [1, 2], "email": ["a@gmail.com", "b@acme.io"],
    ...                          "industry": ["saas", None]})
    >>> touches = pd.DataFrame({"contact_id": [1, 1, 2], "kind": ["page_view"] * 3,
    ...     "url": ["/pricing", "/blog", "/pricing"], "channel": ["seo", "email", "seo"],
    ...     "occurred_at": pd.to_datetime(["2026-01-01", "2026-01-20", "2026-02-01"], utc=True)})
    >>> f = build_features(contacts, touches, as_of=datetime(2026, 1, 31))
    >>> f[["contact_id", "n_page_view", "n_pricing_views", "days_since_last_touch"]]
       contact_id  n_page_view  n_pricing_views  days_since_last_touch
    0           1          2.0              1.0                   11.0
    1           2          0.0              0.0                    NaN
    >>> f[["n_channels", "free_email", "industry"]]
       n_channels  free_email industry
    0           2         1.0     saas
    1           0         0.0      NaN
    """
    contacts = as_frame(contacts, "contacts")
    touchpoints = as_frame(touchpoints, "touchpoints")
    if "contact_id" not in contacts.columns:
        raise ScoringInputError("contacts have no column 'contact_id'")
    missing = sorted({"contact_id", "occurred_at", "kind"} - set(touchpoints.columns))
    if missing:
        raise ScoringInputError(f"touchpoints have no column(s) {', '.join(missing)}")
    index = pd.Index(contacts["contact_id"])
    if not index.is_unique:
        raise ScoringInputError("contacts: contact_id values must be unique")
    n = len(index)
    cutoff = _cutoffs(as_of, index)
    contact = index.get_indexer(touchpoints["contact_id"])
    t_ns = _column_ns(touchpoints["occurred_at"], "touchpoints.occurred_at")
    keep = contact >= 0
    keep[keep] = t_ns[keep] <= cutoff[contact[keep]]
    contact, t_ns = contact[keep], t_ns[keep]
    tp = touchpoints.loc[keep]
    kind = tp["kind"].map(normalise_text).str.casefold().to_numpy(dtype=object)

    out: dict[str, Any] = {"contact_id": contacts["contact_id"].to_numpy()}
    for name in EVENT_KINDS:
        out[f"n_{name}"] = np.bincount(contact[kind == name], minlength=n).astype(float)
    out["n_touches"] = np.bincount(contact, minlength=n).astype(float)
    recent = t_ns >= cutoff[contact] - 30 * _NS_PER_DAY
    out["n_touches_30d"] = np.bincount(contact[recent], minlength=n).astype(float)
    last = np.full(n, np.iinfo(np.int64).min)
    first = np.full(n, np.iinfo(np.int64).max)
    np.maximum.at(last, contact, t_ns)
    np.minimum.at(first, contact, t_ns)
    seen = out["n_touches"] > 0
    out["days_since_last_touch"] = np.where(seen, (cutoff - last) / _NS_PER_DAY, np.nan)
    out["days_since_first_touch"] = np.where(seen, (cutoff - first) / _NS_PER_DAY, np.nan)
    for column, feature in (("channel", "n_channels"), ("campaign", "n_campaigns")):
        if column in tp.columns:
            values = tp[column].map(normalise_text)
            pairs = pd.DataFrame({"c": contact, "v": values.to_numpy(dtype=object)}).dropna()
            distinct = pairs.drop_duplicates()["c"].to_numpy(dtype=np.int64)
            out[feature] = np.bincount(distinct, minlength=n)
    if "url" in tp.columns:
        urls = tp["url"].map(normalise_text)
        for feature, (wanted_kind, glob) in url_features.items():
            pattern = re.compile(fnmatch.translate(glob), re.IGNORECASE)
            codes, uniques = pd.factorize(urls, use_na_sentinel=True)
            ok = np.array([pattern.match(u) is not None for u in uniques] + [False], dtype=bool)
            hits = ok[codes] & (kind == wanted_kind)
            out[feature] = np.bincount(contact[hits], minlength=n).astype(float)
    if "email" in contacts.columns:
        domains = contacts["email"].map(lambda v: email_domain(normalise_text(v)))
        free = domains.map(
            lambda d: float(d in free_email_domains) if isinstance(d, str) else np.nan
        )
        out["free_email"] = free.to_numpy(dtype=float)
    for column in FIT_FEATURES:
        if column in contacts.columns:
            out[column] = contacts[column].to_numpy()
    return pd.DataFrame(out)
