"""Writes of event ingest: store validated events in bulk, stitch identities, take form posts.

:func:`do_ingest_events` is the bulk path both the tracking endpoint and the server API use:
it resolves who each event concerns with a handful of ``IN`` queries, groups it into a channel,
inserts all rows with one ``INSERT … ON CONFLICT (external_id) DO NOTHING RETURNING`` per chunk
(a retried event is one row, and the ``RETURNING`` tells which were new), then runs
:func:`do_identify` for events that identify their visitor. The whole batch is one
transaction: a crash leaves nothing half-written, and the retry adds only what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from smarketing.core.bounds import EVENT_EPOCH, MAX_FUTURE
from smarketing.crm.actions import do_create_account, do_create_contact, do_record_touchpoint
from smarketing.crm.models import Account, Campaign, Contact, Touchpoint, VisitorId
from smarketing.crm.normalize import (
    FREE_MAIL_DOMAINS,
    InvalidValue,
    normalize_domain,
    normalize_email,
)
from smarketing.crm.signals import announce_bulk_touchpoints
from smarketing.funnel.actions import do_log_initial_stage
from smarketing.ingest.channels import ChannelRules, classify
from smarketing.ingest.events import ANON_RE, CleanEvent, EventError
from smarketing.ingest.models import InboundForm
from smarketing.ingest.privacy import scrub_url
from smarketing.ingest.selectors import active_channel_rules

#: Rows per INSERT statement: SQLite allows 32,766 parameters, 19 columns × 500 stays below.
CHUNK = 500
COLUMNS = (
    "occurred_at", "contact_id", "anonymous_id", "account_id", "kind", "team", "user_id",
    "channel", "source", "medium", "campaign_id", "content_id", "keyword", "email_subject",
    "url", "referrer", "outcome", "properties", "external_id",
)  # fmt: skip


@dataclass
class BatchResult:
    """What happened to each event of a batch: ``results[i]`` is about event ``i``."""

    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"received": len(self.results), "created": 0, "duplicates": 0, "errors": 0}
        for item in self.results:
            key = {"created": "created", "duplicate": "duplicates"}.get(item["status"], "errors")
            counts[key] += 1
        counts["identified"] = sum(1 for item in self.results if item.get("contact_id"))
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary, "results": self.results}


def _pairs(model, key: str, value: str, wanted: set) -> dict:
    """``{key: value}`` of ``model`` rows whose ``key`` is in ``wanted``: one query.

    On PostgreSQL the set travels as one array parameter (``= ANY(%s)``): Django's ``__in``
    with 1,000 placeholders spent more time building and splitting the SQL than the query took.
    """
    if not wanted:
        return {}
    if connection.vendor != "postgresql":
        return dict(model.objects.filter(**{f"{key}__in": wanted}).values_list(key, value))
    import psycopg

    opts = model._meta
    table = connection.ops.quote_name(opts.db_table)
    k = connection.ops.quote_name(opts.get_field(key).column)
    v = connection.ops.quote_name(opts.get_field(value).column)
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"SELECT {k}, {v} FROM {table} WHERE {k} = ANY(%s)", [list(wanted)])
        return dict(cursor.fetchall())


def _find_or_create_contacts(emails: set[str], profiles: dict[str, dict]) -> dict[str, int]:
    """Contact ids by normalised email; missing people are created as leads (entry logged)."""
    found = _pairs(Contact, "email", "id", emails)
    for email in sorted(emails - set(found)):
        found[email] = _create_contact(email, profiles.get(email) or {}).pk
    return found


def _create_contact(email: str, profile: dict, **fields) -> Contact:
    names = {k: v for k, v in profile.items() if k in ("first_name", "last_name", "title")}
    try:
        with transaction.atomic():
            contact = do_create_contact(email=email, **names, **fields)
            do_log_initial_stage(contact=contact, rule="first seen by ingest")
    except ValidationError:
        # Another request created the same person a moment ago: use that row.
        contact = Contact.objects.filter(email=email).first()
        if contact is None:
            raise
    return contact


def account_for(email: str, company: str = "") -> Account | None:
    """The account a person belongs to: by their email's company domain, else by the company
    name they typed; created when a company name is given and none matches.

    Free-mail domains (gmail.com …) say nothing about the employer: only the name is used then.
    """
    domain = email.rsplit("@", 1)[-1] if "@" in email else ""
    try:
        domain = normalize_domain(domain) if domain else ""
    except InvalidValue:
        domain = ""
    if domain in FREE_MAIL_DOMAINS:
        domain = ""
    company = " ".join(str(company or "").split())[:200]
    if domain:
        account = Account.objects.filter(domain=domain).first()
        if account is not None:
            return account
    if company:
        account = Account.objects.filter(name__iexact=company).order_by("pk").first()
        if account is not None:
            return account
        try:
            with transaction.atomic():
                return do_create_account(name=company, domain=domain or None)
        except ValidationError:  # created by a concurrent request a moment ago
            return Account.objects.filter(Q(name__iexact=company) | Q(domain=domain or None)).first()
    return None


def _country(value: Any) -> str:
    code = str(value or "").strip().upper()
    return code if len(code) == 2 and code.isalpha() else ""


def _resolve(
    events: list[CleanEvent], rules: ChannelRules
) -> tuple[list[tuple[CleanEvent, tuple]], dict[int, dict[str, str]]]:
    """Turn validated events into ``(event, row)`` pairs, one ``IN`` query per reference kind.

    An event whose contact, account or user does not exist lands in the returned errors.
    """
    emails = {e.email for e in events if e.email and not e.identifies}
    profiles = {e.email: e.profile for e in events if e.email and e.profile}
    contacts = _find_or_create_contacts(emails, profiles) if emails else {}
    contact_ids = {e.contact_id for e in events if e.contact_id}
    known_ids = set(_pairs(Contact, "id", "id", contact_ids))
    anon = {e.anonymous_id for e in events if e.anonymous_id}
    visitors = _pairs(VisitorId, "anonymous_id", "contact", anon)
    keys = {e.campaign_key for e in events if e.campaign_key}
    campaigns = _pairs(Campaign, "utm_campaign", "id", keys)
    domains = {}
    for e in events:
        if e.account_domain:
            try:
                domains[e.account_domain] = normalize_domain(e.account_domain)
            except InvalidValue:
                domains[e.account_domain] = None
    accounts = _pairs(Account, "domain", "id", {d for d in domains.values() if d})
    users = _users({e.user_key for e in events if e.user_key})
    account_of = _pairs(
        Contact, "id", "account", known_ids | set(visitors.values()) | set(contacts.values())
    )

    refs = {
        "contacts": contacts,
        "known_ids": known_ids,
        "visitors": visitors,
        "campaigns": campaigns,
        "domains": domains,
        "accounts": accounts,
        "users": users,
        "account_of": account_of,
        "channels": {},
    }
    rows: list[tuple[CleanEvent, tuple]] = []
    errors: dict[int, dict[str, str]] = {}
    for e in events:
        try:
            rows.append((e, _row(e, rules, refs)))
        except EventError as exc:
            errors[e.index] = exc.errors
    return rows, errors


def _row(e: CleanEvent, rules: ChannelRules, refs: dict[str, Any]) -> tuple:
    """One row tuple (in :data:`COLUMNS` order); raises :class:`EventError` for a bad reference."""
    contacts, known_ids, visitors = refs["contacts"], refs["known_ids"], refs["visitors"]
    campaigns, domains, accounts = refs["campaigns"], refs["domains"], refs["accounts"]
    users, account_of = refs["users"], refs["account_of"]
    contact_id = None
    if e.email and e.email in contacts:
        contact_id = contacts[e.email]
    elif e.contact_id:
        if e.contact_id not in known_ids:
            raise EventError({"contact_id": f"no contact with id {e.contact_id}"})
        contact_id = e.contact_id
    elif e.anonymous_id in visitors:
        contact_id = visitors[e.anonymous_id]
    account_id = account_of.get(contact_id) if contact_id else None
    if e.account_domain:
        domain = domains.get(e.account_domain)
        if domain is None:
            raise EventError({"account_domain": f"{e.account_domain!r} is not a domain"})
        if account_id is None:
            account_id = accounts.get(domain)
        if not (contact_id or e.anonymous_id or account_id):
            raise EventError({"account_domain": f"no account with domain {domain}"})
    user_id = None
    if e.user_key:
        user_id = users.get(e.user_key.lower())
        if user_id is None:
            raise EventError({"user": f"no active user {e.user_key!r}"})
    c = e.columns
    channel = e.channel
    if not channel:
        # Events of one batch share few source/medium/referrer combinations: classify each once.
        key = (c.get("source"), c.get("medium"), e.campaign_key, c.get("referrer"))
        channel = refs["channels"].get(key)
        if channel is None:
            channel = refs["channels"][key] = classify(*key, rules=rules)
    if e.kind in ("sales_call", "sales_email", "meeting", "demo") and not e.channel:
        channel = "Sales outreach" if channel in ("Direct", "Other") else channel
    properties = dict(c.get("properties") or {})
    if e.campaign_key and e.campaign_key not in campaigns:
        properties.setdefault("utm_campaign", e.campaign_key)
    return (
        e.occurred_at,
        contact_id,
        e.anonymous_id,
        account_id,
        e.kind,
        c.get("team") or "marketing",
        user_id,
        channel[:50],
        (c.get("source") or "")[:100],
        (c.get("medium") or "")[:100],
        campaigns.get(e.campaign_key),
        None,
        (c.get("keyword") or "")[:200],
        (c.get("email_subject") or "")[:250],
        scrub_url(c.get("url") or "")[:2000],
        scrub_url(c.get("referrer") or "")[:2000],
        c.get("outcome") or "",
        properties,
        e.external_id,
    )


def _users(keys: set[str]) -> dict[str, int]:
    if not keys:
        return {}
    lowered = {k.lower() for k in keys}
    found = {}
    for pk, username, email in (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(username__in=keys | lowered) | Q(email__in=keys | lowered))
        .values_list("pk", "username", "email")
    ):
        found[username.lower()] = pk
        if email:
            found[email.lower()] = pk
    return found


#: PostgreSQL type of each column, for the ``unnest`` arrays of :func:`_insert_pg`.
PG_TYPES = (
    "timestamptz", "bigint", "text", "bigint", "text", "text", "integer", "text", "text",
    "text", "bigint", "bigint", "text", "text", "text", "text", "text", "jsonb", "text",
)  # fmt: skip


def _insert(rows: list[tuple]) -> dict[str, int]:
    """Insert rows, skipping existing external ids; returns ``{external_id: id}`` of new rows."""
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        return _insert_pg(rows)
    table = connection.ops.quote_name(Touchpoint._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    when_field = Touchpoint._meta.get_field("occurred_at")
    created: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params: list[Any] = []
            for row in chunk:
                values = list(row)
                values[0] = when_field.get_db_prep_value(values[0], connection)
                values[17] = json.dumps(values[17], ensure_ascii=False)
                params.extend(values)
            placeholder = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES "
                + ", ".join([placeholder] * len(chunk))
                + " ON CONFLICT (external_id) DO NOTHING RETURNING id, external_id"
            )
            cursor.execute(sql, params)
            for pk, external_id in cursor.fetchall():
                created[external_id] = pk
    return created


def _insert_pg(rows: list[tuple]) -> dict[str, int]:
    """PostgreSQL: one statement per batch with one array parameter per column (``unnest``).

    A multi-row ``VALUES`` list of 19,000 placeholders costs more to build and parse than the
    insert itself; 19 arrays do not.
    """
    table = connection.ops.quote_name(Touchpoint._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    arrays: list[list[Any]] = [list(col) for col in zip(*rows, strict=True)]
    # jsonb travels as text (arrays of jsonb do not adapt from dicts) and is cast in SQL.
    arrays[17] = [json.dumps(v, ensure_ascii=False) for v in arrays[17]]
    selects = ", ".join(f"c{i}::jsonb" if t == "jsonb" else f"c{i}" for i, t in enumerate(PG_TYPES))
    unnest = ", ".join(f"%b::{'text' if t == 'jsonb' else t}[]" for t in PG_TYPES)
    names = ", ".join(f"c{i}" for i in range(len(PG_TYPES)))
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {selects} FROM unnest({unnest}) AS u({names}) "
        "ON CONFLICT (external_id) DO NOTHING RETURNING id, external_id"
    )
    import psycopg

    connection.ensure_connection()
    # A server-side binding cursor: psycopg's C dumpers send the arrays as parameters instead
    # of quoting 19,000 values into the SQL text (Django's own cursors bind client-side).
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, arrays)
        return {external_id: pk for pk, external_id in cursor.fetchall()}


@transaction.atomic
def do_ingest_events(
    *, events: list[CleanEvent], errors: dict[int, dict[str, str]] | None = None
) -> BatchResult:
    """Store validated events in bulk; an event whose references fail gets an error instead.

    ``errors`` carries the validation errors found earlier (by index) so the result lists
    every event of the request in order. Returns a :class:`BatchResult`.
    """
    errors = dict(errors or {})
    pairs, bad = _resolve(events, active_channel_rules())
    errors.update(bad)
    good = [event for event, _ in pairs]
    rows = [row for _, row in pairs]
    created = _insert(rows)
    results: dict[int, dict[str, Any]] = {
        i: {"index": i, "status": "error", "errors": errs} for i, errs in errors.items()
    }
    seen: set[str] = set()
    for event, row in zip(good, rows, strict=True):
        new = event.external_id in created and event.external_id not in seen
        seen.add(event.external_id)
        item: dict[str, Any] = {
            "index": event.index,
            "status": "created" if new else "duplicate",
            "external_id": event.external_id,
        }
        if new:
            item["id"] = created[event.external_id]
        if row[1]:
            item["contact_id"] = row[1]
        results[event.index] = item
    announce_bulk_touchpoints(row[1] for row in rows if row[1])
    for event in good:
        if event.identifies:
            contact, _ = do_identify(
                anonymous_id=event.anonymous_id,
                email=event.email,
                profile=event.profile or {},
                at=event.occurred_at,
            )
            results[event.index]["contact_id"] = contact.pk
    return BatchResult(results=[results[i] for i in sorted(results)])


@transaction.atomic
def do_identify(
    *, anonymous_id: str, email: str, profile: dict | None = None, at: dt.datetime | None = None
) -> tuple[Contact, int]:
    """Tie a browser's anonymous id to the person with ``email``; returns ``(contact, moved)``.

    The contact is found by normalised email or created as a lead (its first touch gives the
    original source and channel; the funnel entry is logged). Every earlier anonymous
    touchpoint of the visitor becomes the contact's in one UPDATE (``moved`` counts them);
    later touches of the visitor are attached at ingest through the VisitorId row.
    """
    try:
        email = normalize_email(email)
    except InvalidValue as exc:
        raise ValidationError({"email": str(exc)}) from None
    if not email:
        raise ValidationError({"email": "identifying a visitor needs an email"})
    if anonymous_id and not ANON_RE.match(anonymous_id):
        raise ValidationError({"anonymous_id": "must be 1-64 letters, digits, '-', '_', '.', ':'"})
    at = at or timezone.now()
    profile = profile or {}
    contact = Contact.objects.filter(email=email).first()
    first = (
        Touchpoint.objects.filter(anonymous_id=anonymous_id, contact__isnull=True)
        .order_by("occurred_at", "id")
        .values("occurred_at", "source", "channel", "campaign_id")
        .first()
        if anonymous_id
        else None
    )
    if contact is None:
        origin = {}
        if first:
            origin = {
                "original_source": first["source"][:100],
                "original_channel": first["channel"][:50],
                "original_campaign": Campaign.objects.filter(pk=first["campaign_id"]).first()
                if first["campaign_id"]
                else None,
            }
        account = account_for(email, profile.get("company", ""))
        if account is not None:
            origin["account"] = account
        if _country(profile.get("country")):
            origin["country"] = _country(profile.get("country"))
        contact = _create_contact(email, profile, created_at=at, **origin)
    else:
        blanks = {
            k: v[:100]
            for k, v in profile.items()
            if k in ("first_name", "last_name") and v and not getattr(contact, k)
        }
        if not contact.country and _country(profile.get("country")):
            blanks["country"] = _country(profile.get("country"))
        if contact.account_id is None:
            account = account_for(email, profile.get("company", ""))
            if account is not None:
                blanks["account_id"] = account.pk
                contact.account_id = account.pk
        if blanks:
            Contact.objects.filter(pk=contact.pk).update(**blanks, updated_at=timezone.now())
    moved = 0
    if anonymous_id:
        visitor, made = VisitorId.objects.get_or_create(
            anonymous_id=anonymous_id,
            defaults={
                "contact": contact,
                "first_seen_at": first["occurred_at"] if first else at,
                "identified_at": at,
            },
        )
        if not made and visitor.contact_id != contact.pk:
            # A shared browser now belongs to someone else: touches from here on are theirs;
            # the earlier ones stay with the person who was identified then.
            VisitorId.objects.filter(pk=visitor.pk).update(contact=contact, identified_at=at)
        moved = Touchpoint.objects.filter(anonymous_id=anonymous_id, contact__isnull=True).update(
            contact=contact, account=contact.account_id
        )
    if moved:
        # The visitor's touches are the contact's now: scoring (and, through it, the MQL rule)
        # and reporting (re-owned days) must see them, as they see a bulk ingest batch.
        announce_bulk_touchpoints([contact.pk], reowned=True)
    return contact, moved


def _path(document: Any, dotted: str) -> Any:
    value = document
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


@transaction.atomic
def do_receive_form(*, form: InboundForm, body: dict) -> dict[str, Any]:
    """Store one inbound form submission: contact created or updated + a form_submit touch.

    Idempotent on the submission id (mapped ``submission_id``): a redelivered submission
    returns ``{"status": "duplicate"}`` and changes nothing.
    """
    mapping = form.field_mapping or {}
    values = {name: _path(body, path) for name, path in mapping.items()}
    for name in ("email", "submission_id", "first_name", "last_name"):
        if name not in mapping and name in body:
            values[name] = body[name]
    errors = {}
    submission_id = values.get("submission_id")
    if submission_id in (None, "") or not isinstance(submission_id, str | int):
        errors["submission_id"] = (
            f"missing: map submission_id to the form tool's submission id "
            f"(path {mapping.get('submission_id', 'submission_id')!r})"
        )
    try:
        email = normalize_email(str(values["email"])) if values.get("email") else None
    except InvalidValue as exc:
        errors["email"] = str(exc)
        email = None
    if not email and "email" not in errors:
        errors["email"] = f"missing: no email at {mapping.get('email', 'email')!r}"
    occurred_at = timezone.now()
    if values.get("occurred_at"):
        parsed = _parse_time(values["occurred_at"])
        if parsed is None:
            errors["occurred_at"] = f"{values['occurred_at']!r} is not an ISO 8601 time with zone"
        else:
            occurred_at = parsed
    clamped = None
    if occurred_at > timezone.now() + MAX_FUTURE:
        # A form tool's clock (or a forged body) far in the future would create the contact
        # in the future: the submission is kept at the time it arrived, and says so.
        clamped, occurred_at = occurred_at, timezone.now()
    elif occurred_at < EVENT_EPOCH:
        errors["occurred_at"] = f"{values['occurred_at']!r} is before 1970"
    if errors:
        raise ValidationError(errors)
    external_id = f"form:{form.pk}:{submission_id}"
    existing = Touchpoint.objects.filter(external_id=external_id).values("id", "contact_id").first()
    if existing:
        return {"status": "duplicate", "touchpoint_id": existing["id"],
                "contact_id": existing["contact_id"]}  # fmt: skip
    profile = {
        k: str(values[k])[:100]
        for k in ("first_name", "last_name", "company", "country")
        if values.get(k)
    }
    anonymous_id = str(values.get("anonymous_id") or "")[:64]
    created = not Contact.objects.filter(email=email).exists()
    contact, _ = do_identify(
        anonymous_id=anonymous_id, email=email, profile=profile, at=occurred_at
    )
    updates = {}
    for name in ("title", "phone"):
        if values.get(name) and not getattr(contact, name):
            updates[name] = str(values[name])[: 50 if name == "phone" else 200]
    if "email_consent" in values and values["email_consent"] in (True, "true", "yes", "1", 1):
        updates["email_consent"] = True
    if updates:
        Contact.objects.filter(pk=contact.pk).update(**updates, updated_at=timezone.now())
    source = str(values.get("utm_source") or "")[:100]
    medium = str(values.get("utm_medium") or "")[:100]
    campaign = form.default_campaign
    if values.get("utm_campaign"):
        campaign = Campaign.objects.filter(utm_campaign=str(values["utm_campaign"])).first() or (
            campaign
        )
    channel = form.default_channel or classify(
        source, medium, str(values.get("utm_campaign") or ""), None, rules=active_channel_rules()
    )
    touch, _ = do_record_touchpoint(
        kind="form_submit",
        occurred_at=occurred_at,
        contact=contact,
        anonymous_id=anonymous_id,
        channel=channel[:50],
        source=source,
        medium=medium,
        campaign=campaign,
        url=scrub_url(str(values.get("url") or ""))[:2000],
        properties={
            "form": form.name,
            "inbound_form_id": form.pk,
            "submission_id": str(submission_id),
            **({"submitted_at_clamped_from": clamped.isoformat()} if clamped else {}),
        },  # fmt: skip
        external_id=external_id,
    )
    return {"status": "created", "touchpoint_id": touch.pk, "contact_id": contact.pk,
            "contact_created": created}  # fmt: skip




def _parse_time(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
