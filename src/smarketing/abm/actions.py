"""Writes of account-based marketing (``do_*``, atomic): the ICP, tiers and target lists, and
the recomputation of account fit, engagement and stage (the account funnel)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from smarketing.abm.models import (
    ACCOUNT_FUNNEL,
    AccountProfile,
    AccountScoreHistory,
    AccountStageChange,
    IcpVersion,
    TargetList,
)
from smarketing.abm.selectors import active_icp
from smarketing.analytics.abm import IcpError, engagement_scores, fit_score, load_icp
from smarketing.crm.models import Account, Contact, Deal
from smarketing.crm.normalize import InvalidValue, normalize_domain

log = logging.getLogger(__name__)


@transaction.atomic
def do_save_icp(*, text: str, by=None, activate: bool = False) -> IcpVersion:
    """Store a new ICP version (validated first); with ``activate`` it is put in force."""
    try:
        load_icp(text)
    except IcpError as exc:
        raise ValidationError([str(e) for e in exc.errors]) from None
    number = (IcpVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    version = IcpVersion.objects.create(number=number, text=text, author=by)
    if activate:
        do_activate_icp(version=version)
    return version


@transaction.atomic
def do_activate_icp(*, version: IcpVersion) -> IcpVersion:
    """Put ``version`` in force (the others stop being active); scores follow on commit."""
    IcpVersion.objects.exclude(pk=version.pk).update(active=False)
    IcpVersion.objects.filter(pk=version.pk).update(active=True)
    version.active = True
    from smarketing.abm.tasks import recompute_accounts_task

    transaction.on_commit(lambda: recompute_accounts_task(None))
    return version


@transaction.atomic
def do_set_tier(
    *, accounts, tier: int | None, target: bool = True, list_name: str = "", by=None
) -> int:
    """Tier ``accounts`` by hand (1-3, or None) and put them on (or off) the target list."""
    if tier not in (None, 1, 2, 3):
        raise ValidationError({"tier": f"a tier is 1, 2 or 3; got {tier!r}"})
    wanted = [a.pk if isinstance(a, Account) else int(a) for a in accounts]
    ids = list(Account.objects.filter(pk__in=wanted).values_list("pk", flat=True))  # known only
    n = Account.objects.filter(pk__in=ids).update(tier=tier, is_target=target)
    if list_name and target:
        target_list, _ = TargetList.objects.get_or_create(
            name=list_name[:200], defaults={"created_by": by}
        )
        target_list.accounts.add(*ids)
    transaction.on_commit(lambda: _recompute_later(ids))
    return n


def _recompute_later(ids) -> None:
    from smarketing.abm.tasks import recompute_accounts_task

    recompute_accounts_task(list(ids))


@transaction.atomic
def do_target_from_csv(*, data: bytes, tier: int | None, list_name: str = "", by=None) -> dict:
    """Tier the accounts listed in a CSV of domains (a ``domain`` / ``website`` column, or the
    first column); returns ``{"tiered": n, "unknown": [domains], "invalid": [values]}``.

    Nothing is written when the file cannot be read; unknown domains are reported, not created.
    """
    text = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise ValidationError({"file": "not a text CSV file"})
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ValidationError({"file": "the file is empty"})
    header = [h.strip().lower() for h in rows[0]]
    column = next(
        (header.index(h) for h in ("domain", "website", "company domain", "url") if h in header),
        None,
    )
    body = rows[1:] if column is not None else rows
    column = column or 0
    domains, invalid = [], []
    for row in body:
        value = row[column].strip() if len(row) > column else ""
        if not value:
            continue
        try:
            domains.append(normalize_domain(value))
        except InvalidValue:
            invalid.append(value[:100])
    found = dict(Account.objects.filter(domain__in=domains).values_list("domain", "pk"))
    unknown = sorted({d for d in domains if d not in found})
    tiered = do_set_tier(accounts=list(found.values()), tier=tier, list_name=list_name, by=by)
    return {"tiered": tiered, "unknown": unknown, "invalid": invalid}


@transaction.atomic
def do_apply_tier_rules(*, by=None) -> int:
    """Tier every account by the ICP's tier rules over its fit score (matching accounts become
    targets; accounts tiered by hand keep their tier). Returns how many were tiered."""
    doc, _ = active_icp()
    do_recompute_accounts(account_ids=None)
    n = 0
    for profile in AccountProfile.objects.filter(account__tier__isnull=True).select_related(
        "account"
    ):
        tier = doc.tier_for(profile.fit)
        if tier is not None:
            Account.objects.filter(pk=profile.account_id).update(tier=tier, is_target=True)
            n += 1
    if n:
        do_recompute_accounts(account_ids=None)
    return n


def _touch_counts(account_ids, start: dt.datetime):
    """Touch counts per (account, contact, kind, day) since ``start`` as a DataFrame: one
    grouped query (the day from the stored UTC time, no per-row date function), personas
    joined in pandas."""
    from django.db import connection

    day = "substr(occurred_at, 1, 10)" if connection.vendor == "sqlite" else "CAST(occurred_at AT TIME ZONE 'UTC' AS date)"
    sql = (
        f"SELECT account_id, contact_id, kind, {day}, COUNT(*) FROM crm_touchpoint "
        "WHERE occurred_at >= %s AND account_id IS NOT NULL"
    )
    params: list = [start]
    if account_ids is not None:
        ids = [int(i) for i in account_ids]
        sql += f" AND account_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    sql += f" GROUP BY account_id, contact_id, kind, {day}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["account_id", "contact_id", "kind", "day", "n"])
    contact_ids = set(frame["contact_id"].dropna().astype(int))
    personas = Contact.objects.filter(persona__isnull=False)
    if len(contact_ids) < 20000:
        personas = personas.filter(pk__in=contact_ids)
    names = dict(personas.values_list("pk", "persona__name"))
    frame["persona"] = frame["contact_id"].map(names)
    frame["day"] = pd.to_datetime(frame["day"].astype(str).str[:10]).dt.date
    return frame


def _stage(
    account: Account, profile_stage: str, engagement, engaged_personas: int, deals, doc
) -> tuple[str, str]:
    won, open_ = deals.get(account.pk, (False, False))
    if won:
        return "customer", "a deal was won"
    if open_:
        return "opportunity", "an open deal"
    if not account.is_target:
        return profile_stage if profile_stage in ("customer", "opportunity") else "", ""
    if engagement >= doc.mqa_min_engagement and engaged_personas >= doc.mqa_min_engaged_personas:
        return "mqa", (f"engagement {engagement:.0f} ≥ {doc.mqa_min_engagement:g} and "
                       f"{engaged_personas} personas engaged")  # fmt: skip
    if engaged_personas or engagement >= 20:
        return "engaged", f"engagement {engagement:.0f}"
    return "target", "on the target list"


def _update_profiles(profiles, fields) -> None:
    """One ``UPDATE ... WHERE id = %s`` executed for many rows (Django's ``bulk_update`` builds a
    CASE per field per row, which is slow for thousands of accounts)."""
    from django.db import connection

    if not profiles:
        return
    table = AccountProfile._meta.db_table
    columns = [AccountProfile._meta.get_field(f) for f in fields]
    sql = f"UPDATE {table} SET " + ", ".join(f"{c.column} = %s" for c in columns) + " WHERE id = %s"
    rows = [
        [c.get_db_prep_save(getattr(p, c.attname), connection) for c in columns] + [p.pk]
        for p in profiles
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])


def do_recompute_accounts(*, account_ids=None, as_of: dt.datetime | None = None) -> int:
    """Recompute fit, engagement, coverage and stage of ``account_ids`` (all when None).

    The account funnel only moves forward (target → engaged → MQA → opportunity → customer),
    each move logged with its rule; scores are kept in history when they move by a point.
    One grouped query reads the touches; the writes are batched.
    """
    as_of = as_of or timezone.now()
    doc, _ = active_icp()
    accounts = Account.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    accounts = list(
        accounts.only("pk", "industry", "employees", "country", "segment", "is_target", "tier")
    )
    if not accounts:
        return 0
    ids = [a.pk for a in accounts]
    start = as_of - dt.timedelta(days=doc.window_days + 1)
    engagement = engagement_scores(
        _touch_counts(None if account_ids is None else ids, start), doc, as_of=as_of.date()
    )
    deals: dict[int, tuple[bool, bool]] = {}
    deal_rows = Deal.objects.filter(account_id__isnull=False)
    if account_ids is not None:
        deal_rows = deal_rows.filter(account_id__in=ids)
    for account_id, won, closed in deal_rows.values_list("account_id", "is_won", "is_closed"):
        w, o = deals.get(account_id, (False, False))
        deals[account_id] = (w or won, o or not closed)
    existing = {p.account_id: p for p in AccountProfile.objects.filter(account_id__in=ids)}
    order = {s: i for i, s in enumerate(("", *ACCOUNT_FUNNEL))}
    new, changed, history, moves = [], [], [], []
    for account in accounts:
        fit, reasons = fit_score(doc, {
            "industry": account.industry, "employees": account.employees,
            "country": account.country, "segment": account.segment,
        })  # fmt: skip
        e = engagement.get(account.pk)
        score = round(e.score, 1) if e else 0.0
        personas = sorted(e.engaged_personas) if e else []
        old = existing.get(account.pk)
        stage, rule = _stage(account, old.stage if old else "", score, len(personas), deals, doc)
        if old is not None and order.get(stage, 0) < order.get(old.stage, 0) and account.is_target:
            stage, rule = old.stage, ""  # the funnel does not move backwards
        values = {
            "fit": fit, "fit_reasons": reasons, "engagement": score,
            "engagement_words": (e.words() if e else "No touches in the window.")[:300],
            "touches": e.touches if e else 0, "people": e.people if e else 0,
            "engaged_personas": personas, "last_touch": e.last_touch if e else None,
            "computed_at": as_of,
        }  # fmt: skip
        if old is None:
            profile = AccountProfile(
                account_id=account.pk,
                stage=stage,
                stage_changed_at=as_of if stage else None,
                **values,
            )
            new.append(profile)
            if stage:
                moves.append(
                    AccountStageChange(
                        account_id=account.pk,
                        from_stage="",
                        to_stage=stage,
                        changed_at=as_of,
                        rule=rule[:200],
                    )
                )
            history.append(
                AccountScoreHistory(account_id=account.pk, at=as_of, fit=fit, engagement=score)
            )
            continue
        if abs(old.fit - fit) >= 1 or abs(old.engagement - score) >= 1:
            history.append(
                AccountScoreHistory(account_id=account.pk, at=as_of, fit=fit, engagement=score)
            )
        stage_moved = stage != old.stage
        if stage_moved:
            moves.append(
                AccountStageChange(
                    account_id=account.pk,
                    from_stage=old.stage,
                    to_stage=stage,
                    changed_at=as_of,
                    rule=rule[:200],
                )
            )
            old.stage, old.stage_changed_at = stage, as_of
        before = {k: getattr(old, k) for k in values if k != "computed_at"}
        for k, v in values.items():
            setattr(old, k, v)
        if stage_moved or any(before[k] != values[k] for k in before):
            changed.append(old)
    fields = ["fit", "fit_reasons", "engagement", "engagement_words", "touches", "people",
              "engaged_personas", "last_touch", "computed_at", "stage", "stage_changed_at"]  # fmt: skip
    with transaction.atomic():
        AccountProfile.objects.bulk_create(new, batch_size=2000)
        _update_profiles(changed, fields)
        stamp = AccountProfile.objects.all() if account_ids is None else AccountProfile.objects.filter(account_id__in=ids)
        stamp.update(computed_at=as_of)
        AccountScoreHistory.objects.bulk_create(history, batch_size=5000)
        AccountStageChange.objects.bulk_create(moves, batch_size=5000)
    return len(accounts)
