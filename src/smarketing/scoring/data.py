"""The scoring app's adapter: Django's tables as the frames and dicts the pure scorer takes.

Two readers, one mapping:

- the **bulk** readers (:func:`contacts_frame`, :func:`touchpoints_frame`,
  :func:`stage_history_frame`) build Ibis expressions over Django's own connection and return
  pandas DataFrames, selecting only the columns (and touch kinds) the definition needs (the
  rule rescore reads the same values through :mod:`smarketing.scoring.bulkread`, built for
  millions of rows);
- the **single-contact** readers (:func:`contact_fields`, :func:`contact_touchpoints`) use two
  small ORM queries, because compiling an Ibis expression costs more than the 10 ms a
  touchpoint's rescore may take.

Both give the scorer the same values (the test suite checks that an incremental rescore equals
the bulk one): ``persona`` is the persona's slug, ``country`` the contact's country or else its
account's, ``campaign`` the campaign's UTM name or else its name, ``content`` the asset title,
``target_account`` the account's ABM flag, and ``url`` the page's **path and query without
the scheme and host** (``/pricing?plan=pro``): URL rules such as ``*demo*`` must not match
every page of a site whose host name happens to contain "demo".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import ibis
import numpy as np
import pandas as pd

from smarketing.analytics.scoring import FIT_FIELDS, ScoringDefinition
from smarketing.core.ibis_db import backend
from smarketing.crm.models import Account, Campaign, Contact, ContentAsset, Persona, Touchpoint

#: Fit fields and where they come from: (table, column); ``country`` falls back to the account.
_SOURCES: dict[str, tuple[str, str]] = {
    "persona": ("p", "slug"),
    "title": ("c", "title"),
    "seniority": ("c", "seniority"),
    "country": ("c", "country"),
    "email": ("c", "email"),
    "lifecycle_stage": ("c", "lifecycle_stage"),
    "original_source": ("c", "original_source"),
    "original_channel": ("c", "original_channel"),
    "industry": ("a", "industry"),
    "region": ("a", "region"),
    "segment": ("a", "segment"),
    "account_country": ("a", "country"),
    "account_domain": ("a", "domain"),
    "employees": ("a", "employees"),
    "tier": ("a", "tier"),
    "target_account": ("a", "is_target"),
}
#: The ORM path of every field, for the single-contact reader.
_ORM: dict[str, str] = {
    name: {"c": "", "a": "account__", "p": "persona__"}[table] + column
    for name, (table, column) in _SOURCES.items()
}
if set(_SOURCES) | {"email_domain"} != set(FIT_FIELDS):  # pragma: no cover
    raise ImportError("a fit field of smarketing.analytics.scoring is not mapped in _SOURCES")

#: The columns the predictive features use (see ``build_features``).
FEATURE_FIELDS: tuple[str, ...] = (
    "email", "persona", "seniority", "industry", "employees", "country", "region", "segment",
    "tier", "target_account", "original_channel",
)  # fmt: skip


_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#]*", re.IGNORECASE)


def url_path(url: str | None) -> str | None:
    """A URL without its scheme and host (``https://x.io/demo?a=1`` -> ``/demo?a=1``).

    Examples
    --------
    >>> url_path("https://demo.example.com/pricing?plan=pro"), url_path("/blog"), url_path(None)
    ('/pricing?plan=pro', '/blog', None)
    """
    if url is None or not isinstance(url, str):
        return url
    return _HOST.sub("", url, count=1) or "/" if _HOST.match(url) else url


def url_paths(series: pd.Series) -> pd.Series:
    """:func:`url_path` over a column, once per distinct URL."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([url_path(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=series.index, dtype=object)


def fields_needed(definition: ScoringDefinition) -> list[str]:
    """The contact columns a definition's fit rules read (``email_domain`` reads ``email``)."""
    names = {"email" if r.field == "email_domain" else r.field for r in definition.fit}
    if "country" in names:
        names.add("account_country")  # for the fallback
    return sorted(names)


def touch_attributes(definition: ScoringDefinition) -> list[str]:
    """The touchpoint attributes (url, campaign, content, channel) the rules filter on."""
    return sorted({a for r in definition.engagement for a in r.text_filters})


def touch_kinds(definition: ScoringDefinition) -> list[str] | None:
    """The touch kinds any rule counts, or ``None`` when a rule counts every kind."""
    kinds: set[str] = set()
    for rule in definition.engagement:
        if rule.kinds is None:
            return None
        kinds |= set(rule.kinds)
    return sorted(kinds)


def _country_fallback(frame: pd.DataFrame, drop_account: bool) -> pd.DataFrame:
    if "country" in frame.columns and "account_country" in frame.columns:
        own = frame["country"]
        blank = own.isna() | (own.astype(str).str.strip() == "")
        frame["country"] = own.where(~blank, frame["account_country"])
        if drop_account:
            frame = frame.drop(columns=["account_country"])
    return frame


def contacts_frame(
    fields: Iterable[str], *, ids: Iterable[int] | None = None, con=None
) -> pd.DataFrame:
    """One row per contact: ``contact_id`` plus ``fields`` (fit-field names), via Ibis."""
    con = con or backend()
    wanted = list(dict.fromkeys(fields))
    asked_account_country = "account_country" in wanted
    if "country" in wanted and not asked_account_country:
        wanted.append("account_country")
    c = con.table(Contact._meta.db_table)
    expr = c
    tables = {"c": c}
    if any(_SOURCES[f][0] == "a" for f in wanted):
        a = con.table(Account._meta.db_table)
        expr = expr.left_join(a, c.account_id == a.id)
        tables["a"] = a
    if any(_SOURCES[f][0] == "p" for f in wanted):
        p = con.table(Persona._meta.db_table)
        expr = expr.left_join(p, c.persona_id == p.id)
        tables["p"] = p
    columns = {"contact_id": c.id}
    for name in wanted:
        table, column = _SOURCES[name]
        columns[name] = tables[table][column]
    expr = expr.select(**columns)
    if ids is not None:
        expr = expr.filter(expr.contact_id.isin(list(ids)))
    frame = expr.order_by("contact_id").to_pandas()
    return _country_fallback(frame, drop_account=not asked_account_country)


def touchpoints_frame(
    *,
    attributes: Iterable[str] = (),
    kinds: Iterable[str] | None = None,
    until: dt.datetime | None = None,
    ids: Iterable[int] | None = None,
    con=None,
) -> pd.DataFrame:
    """Touchpoints of known contacts: ``contact_id, occurred_at, kind`` plus ``attributes``.

    ``kinds`` and ``until`` filter in the database, so a bulk rescore reads only what the
    definition can count.
    """
    con = con or backend()
    t = con.table(Touchpoint._meta.db_table)
    attributes = list(attributes)
    expr = t.filter(t.contact_id.notnull())
    if kinds is not None:
        expr = expr.filter(t.kind.isin(list(kinds)))
    if until is not None:
        expr = expr.filter(t.occurred_at <= until.astimezone(dt.UTC).replace(tzinfo=None))
    if ids is not None:
        expr = expr.filter(t.contact_id.isin(list(ids)))
    columns = {"contact_id": t.contact_id, "occurred_at": t.occurred_at, "kind": t.kind}
    if "url" in attributes:
        columns["url"] = t.url
    if "channel" in attributes:
        columns["channel"] = t.channel
    if "campaign" in attributes:
        camp = con.table(Campaign._meta.db_table)
        name = ibis.coalesce(camp.utm_campaign.nullif(""), camp.name)
        expr = expr.left_join(camp, t.campaign_id == camp.id)
        columns["campaign"] = name
    if "content" in attributes:
        asset = con.table(ContentAsset._meta.db_table)
        expr = expr.left_join(asset, t.content_id == asset.id)
        columns["content"] = asset.title
    frame = expr.select(**columns).to_pandas()
    if "url" in frame.columns:
        frame["url"] = url_paths(frame["url"])
    return frame


def stage_history_frame(con=None) -> pd.DataFrame:
    """The lifecycle stage log: ``contact_id, to_stage, changed_at``."""
    from smarketing.funnel.models import StageChange

    con = con or backend()
    s = con.table(StageChange._meta.db_table)
    return s.select("contact_id", "to_stage", "changed_at").to_pandas()


# --------------------------------------------------------------------------- one contact


def contact_fields(contact_id: int, fields: Iterable[str]) -> dict | None:
    """One contact's fit fields as a dict (``None`` when the contact does not exist)."""
    wanted = list(dict.fromkeys(fields))
    # The account's country rides along last, for the contact-country fallback.
    paths = [_ORM[f] for f in wanted] + [_ORM["account_country"]]
    row = Contact.objects.filter(pk=contact_id).values_list(*paths).first()
    if row is None:
        return None
    out = dict(zip(wanted, row, strict=False))
    if "country" in out and not (out["country"] or "").strip():
        out["country"] = row[-1]
    return out


def contact_touchpoints(
    contact_id: int, *, attributes: Iterable[str] = (), kinds: Iterable[str] | None = None
) -> list[dict]:
    """One contact's touchpoints as dicts with ``occurred_at``, ``kind`` and ``attributes``."""
    attributes = set(attributes)
    paths = {"occurred_at": "occurred_at", "kind": "kind"}
    if "url" in attributes:
        paths["url"] = "url"
    if "channel" in attributes:
        paths["channel"] = "channel"
    if "campaign" in attributes:
        paths["campaign_utm"] = "campaign__utm_campaign"
        paths["campaign_name"] = "campaign__name"
    if "content" in attributes:
        paths["content"] = "content__title"
    qs = Touchpoint.objects.filter(contact_id=contact_id)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    rows = [dict(zip(paths, r, strict=True)) for r in qs.values_list(*paths.values())]
    if "url" in attributes:
        for r in rows:
            r["url"] = url_path(r["url"])
    if "campaign" in attributes:
        for r in rows:
            r["campaign"] = r.pop("campaign_utm") or r.pop("campaign_name")
            r.pop("campaign_name", None)
    return rows
