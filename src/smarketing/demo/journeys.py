"""Journeys of the demo company: people, their touches, the handoff, deals, in bulk rows.

One pass per contact draws its persona, journey, funnel progress, sales follow-up and deal
from the shared ``random.Random``, and buffers rows in a :class:`Sink` that writes them in
large batches with :func:`smarketing.demo.bulk.bulk_insert`.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from django.db import connection

from smarketing.crm.models import (
    Contact,
    Deal,
    DealContact,
    DealStageChange,
    SalesInsight,
    Touchpoint,
)
from smarketing.demo.bulk import bulk_insert
from smarketing.demo.catalogue import (
    CHANNEL_KINDS,
    CHANNEL_LIFT,
    CHANNELS,
    FIRST_TOUCH_WEIGHTS,
    INSIGHTS,
    KEYWORDS,
    LOSS_REASONS,
    PAGES,
    PERSONAS,
    REJECT_REASONS,
    SOURCE_MEDIUM,
    SUBJECTS,
    TITLES,
)
from smarketing.funnel.models import LeadReview, StageChange


def weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class Ids:
    """Hands out explicit primary keys so related rows can be written in one pass."""

    def __init__(self, *models):
        self.next = {
            m: (m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
            for m in models
        }

    def take(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class Sink:
    """Buffers generated rows per table and flushes them in large batches."""

    COLUMNS = {
        Contact: [
            "id",
            "email",
            "first_name",
            "last_name",
            "title",
            "seniority",
            "phone",
            "country",
            "account_id",
            "persona_id",
            "owner_id",
            "lifecycle_stage",
            "stage_changed_at",
            "status",
            "original_source",
            "original_channel",
            "original_campaign_id",
            "email_consent",
            "do_not_contact",
            "created_at",
            "updated_at",
        ],
        Touchpoint: [
            "occurred_at",
            "contact_id",
            "anonymous_id",
            "account_id",
            "kind",
            "team",
            "user_id",
            "channel",
            "source",
            "medium",
            "campaign_id",
            "content_id",
            "keyword",
            "email_subject",
            "url",
            "referrer",
            "outcome",
            "properties",
            "external_id",
        ],
        StageChange: [
            "contact_id",
            "from_stage",
            "to_stage",
            "changed_at",
            "changed_by_id",
            "rule",
            "reason",
        ],
        LeadReview: [
            "contact_id",
            "decision",
            "reason_code",
            "quality_rating",
            "note",
            "by_id",
            "at",
        ],
        Deal: [
            "id",
            "name",
            "account_id",
            "primary_contact_id",
            "owner_id",
            "amount",
            "currency",
            "stage",
            "created_at",
            "close_date",
            "closed_at",
            "is_closed",
            "is_won",
            "loss_reason",
            "source_campaign_id",
        ],
        DealContact: ["deal_id", "contact_id", "role"],
        DealStageChange: ["deal_id", "from_stage", "to_stage", "changed_at", "changed_by_id"],
        SalesInsight: [
            "kind",
            "text",
            "persona_id",
            "stage",
            "topic",
            "contact_id",
            "deal_id",
            "by_id",
            "at",
        ],
    }
    ORDER = [
        Contact,
        Deal,
        Touchpoint,
        StageChange,
        LeadReview,
        DealContact,
        DealStageChange,
        SalesInsight,
    ]

    def __init__(self, limit: int = 200_000):
        self.rows = {m: [] for m in self.ORDER}
        self.limit = limit
        self.counts = dict.fromkeys(self.ORDER, 0)

    def add(self, model, row) -> None:
        self.rows[model].append(row)

    def maybe_flush(self) -> None:
        if len(self.rows[Touchpoint]) >= self.limit:
            self.flush()

    def flush(self) -> None:
        for model in self.ORDER:
            if self.rows[model]:
                self.counts[model] += bulk_insert(model, self.COLUMNS[model], self.rows[model])
                self.rows[model] = []


def make_people_and_journeys(
    rng,
    *,
    n_contacts,
    touches_per_contact,
    start,
    now,
    accounts,
    personas,
    campaigns,
    content,
    reps,
    users,
    progress,
    summary,
):
    from faker import Faker

    fake = Faker()
    fake.seed_instance(rng.randint(0, 2**31))
    first_names = list({fake.first_name() for _ in range(600)})
    last_names = list({fake.last_name() for _ in range(900)})
    ids = Ids(Contact, Deal)
    sink = Sink()
    persona_list = list(PERSONAS)
    persona_fit = {p[1]: p[6] for p in PERSONAS}
    span = (now - start).total_seconds()
    # Marketing touches per contact are geometric-ish around the target; sales touches are extra.
    mean_marketing = max(2.0, touches_per_contact * 0.8)
    progress.start("people and journeys", n_contacts)
    rep_load = {r.pk: 0 for r in reps}
    ext_seq = 0
    for i in range(n_contacts):
        cid = ids.take(Contact)
        account = accounts[rng.randrange(len(accounts))]
        pslug = weighted(rng, [p[1] for p in persona_list], [3, 3, 2, 2])
        persona = personas[pslug]
        title, seniority = rng.choice(TITLES[pslug])
        first, last = rng.choice(first_names), rng.choice(last_names)
        email = f"{first.lower()}.{last.lower()}.{cid}@{account['domain']}".replace(
            " ", ""
        ).replace("'", "")
        # Leads arrive faster over time (a growing company).
        created_at = start + dt.timedelta(seconds=span * math.sqrt(rng.random()))
        first_channel = weighted(rng, CHANNELS, FIRST_TOUCH_WEIGHTS)
        n_touch = max(1, int(rng.expovariate(1 / mean_marketing)) + 1)
        anon = f"v{cid:09d}"
        # Journey: a few anonymous visits before the form fill, the rest afterwards.
        times = sorted(
            created_at + dt.timedelta(days=rng.uniform(-30, 150)) for _ in range(n_touch)
        )
        times = [t for t in times if t <= now] or [created_at]
        times[0] = min(times[0], created_at)
        channels_seen = set()
        high_intent = 0
        touches = []
        for k, t in enumerate(times):
            channel = (
                first_channel
                if k == 0
                else weighted(
                    rng,
                    CHANNELS,
                    [
                        w + (15 if c in ("Email", "Direct") else 0)
                        for c, w in zip(CHANNELS, FIRST_TOUCH_WEIGHTS)
                    ],
                )
            )
            kinds = CHANNEL_KINDS[channel]
            kind = weighted(rng, [kk for kk, _ in kinds], [w for _, w in kinds])
            channels_seen.add(channel)
            source, medium = rng.choice(SOURCE_MEDIUM[channel])
            camp = (
                rng.choice(campaigns[channel])
                if channel in campaigns and rng.random() < 0.85
                else None
            )
            url = "https://demo.smarketing.local" + rng.choice(PAGES)
            asset = None
            if kind in ("content_view", "content_share", "webinar"):
                asset = rng.choice(content)
                high_intent += 1
            if url.endswith("/pricing"):
                high_intent += 1
            keyword = rng.choice(KEYWORDS) if channel in ("Paid Search", "Organic Search") else ""
            subject = rng.choice(SUBJECTS) if channel == "Email" else ""
            touches.append((t, kind, channel, source, medium, camp, asset, keyword, subject, url))
        # The form fill that created the lead.
        form_t = created_at
        hand_raiser = rng.random() < 0.06
        touches.append(
            (
                form_t,
                "form_submit",
                touches[0][2],
                touches[0][3],
                touches[0][4],
                touches[0][5],
                None,
                "",
                "",
                "https://demo.smarketing.local/"
                + ("demo-request" if hand_raiser else "ebook-download"),
            )
        )
        touches.sort(key=lambda x: x[0])
        original_campaign = touches[0][5]
        fit = (
            persona_fit[pslug]
            + {"enterprise": 0.5, "mid_market": 0.3, "smb": -0.2}[account["segment"]]
            + (0.3 if seniority in ("vp", "c_level", "director") else 0)
        )
        # Mean lift of the channels in the journey: the channel mix, not journey length, matters.
        lift = sum(CHANNEL_LIFT[c] for c in channels_seen) / len(channels_seen)
        engagement = 0.15 * min(high_intent, 6) + 0.02 * min(len(touches), 40)
        stage_log = []
        stage = "subscriber" if rng.random() < 0.12 else "lead"
        stage_log.append(("", stage, created_at, None, "form"))
        owner = None
        status = "new"
        review = None
        deal = None
        sales_touches = []
        t_cursor = created_at
        p_mql = 1.0 if hand_raiser else sigmoid(-3.0 + fit * 0.6 + lift * 1.5 + engagement)
        if stage == "subscriber" and rng.random() < 0.5:
            t_cursor += dt.timedelta(days=rng.uniform(2, 40))
            if t_cursor < now:
                stage_log.append(("subscriber", "lead", t_cursor, None, "form"))
                stage = "lead"
        if stage == "lead" and rng.random() < p_mql:
            t_cursor += (
                dt.timedelta(hours=0.5) if hand_raiser else dt.timedelta(days=rng.uniform(1, 45))
            )
            if t_cursor < now:
                stage_log.append(
                    (
                        "lead",
                        "mql",
                        t_cursor,
                        None,
                        "hand-raiser" if hand_raiser else "score threshold",
                    )
                )
                stage = "mql"
                # Routing: account owner first, then territory, then the less loaded rep.
                owner = account["owner"] or (
                    reps[0]
                    if account["country"] in ("US", "CA")
                    else reps[1]
                    if account["country"] in ("GB", "DE", "FR", "NL")
                    else min(reps, key=lambda r: rep_load[r.pk])
                )
                rep_load[owner.pk] += 1
                status = "open"
                # Sales follow-up: attempts, then a decision.
                first_touch_delay = dt.timedelta(
                    hours=rng.uniform(0.2, 6) if hand_raiser else rng.uniform(1, 40)
                )
                n_attempts = rng.choice([1, 2, 3, 3, 4, 4, 5, 6])
                at = t_cursor + first_touch_delay
                for a in range(n_attempts):
                    if at >= now:
                        break
                    kind = "sales_call" if a % 2 == 0 else "sales_email"
                    outcome = (
                        rng.choice(["no_answer", "voicemail", "connected", "replied"])
                        if kind == "sales_call"
                        else rng.choice(["replied", "bounced", ""])
                    )
                    sales_touches.append((at, kind, "Sales outreach", outcome, owner))
                    at += dt.timedelta(hours=rng.uniform(8, 60))
                decided = t_cursor + dt.timedelta(hours=rng.uniform(2, 72))
                if decided < now:
                    p_accept = sigmoid(0.2 + fit * 0.9 + (2 if hand_raiser else 0))
                    if rng.random() < p_accept:
                        review = ("accept", "", rng.choice([3, 4, 4, 5]), decided)
                        stage_log.append(("mql", "sal", decided, owner, "accepted"))
                        stage = "sal"
                        status = "in_progress"
                    else:
                        reason = weighted(
                            rng, [r for r, _ in REJECT_REASONS], [w for _, w in REJECT_REASONS]
                        )
                        review = ("reject", reason, rng.choice([1, 2, 2, 3]), decided)
                        to = (
                            "disqualified"
                            if reason in ("bad_fit", "bad_data", "duplicate", "competitor")
                            else "recycled"
                        )
                        stage_log.append(("mql", to, decided, owner, f"rejected: {reason}"))
                        stage = to
                        status = "unqualified" if to == "disqualified" else "nurture"
                    t_cursor = decided
        if stage == "sal":
            t_cursor += dt.timedelta(days=rng.uniform(2, 20))
            if t_cursor < now and rng.random() < sigmoid(-0.4 + lift * 2.0 + fit * 0.5):
                meet_t = t_cursor - dt.timedelta(days=rng.uniform(0.5, 3))
                sales_touches.append((meet_t, "meeting", "Sales meeting", "", owner))
                stage_log.append(("sal", "sql", t_cursor, owner, "discovery call held"))
                stage = "sql"
        if stage == "sql":
            t_cursor += dt.timedelta(days=rng.uniform(3, 25))
            if t_cursor < now and rng.random() < 0.75:
                demo_t = t_cursor - dt.timedelta(days=rng.uniform(0.5, 4))
                had_demo = rng.random() < 0.8
                if had_demo:
                    sales_touches.append((demo_t, "demo", "Sales meeting", "", owner))
                stage_log.append(("sql", "opportunity", t_cursor, owner, "opportunity created"))
                stage = "opportunity"
                deal_id = ids.take(Deal)
                base = {"enterprise": 42000, "mid_market": 16000, "smb": 5500}[account["segment"]]
                amount = Decimal(base * rng.lognormvariate(0, 0.45)).quantize(Decimal("1"))
                cycle = dt.timedelta(
                    days=rng.uniform(20, 110) * (1.5 if account["segment"] == "enterprise" else 1)
                )
                close_t = t_cursor + cycle
                p_win = sigmoid(
                    -2.1
                    + lift * 1.5
                    + fit * 0.5
                    + (0.6 if had_demo else -0.4)
                    + (0.4 if hand_raiser else 0)
                )
                deal_stages = [("", "qualification", t_cursor)]
                pipeline = ["discovery", "demo", "proposal", "negotiation"]
                steps = rng.randint(1, 4)
                for s_i, s in enumerate(pipeline[:steps]):
                    deal_stages.append(
                        (deal_stages[-1][1], s, t_cursor + cycle * (s_i + 1) / (steps + 1))
                    )
                if close_t < now:
                    won = rng.random() < p_win
                    deal_stages.append(
                        (deal_stages[-1][1], "closed_won" if won else "closed_lost", close_t)
                    )
                    deal = (
                        deal_id,
                        amount,
                        "closed_won" if won else "closed_lost",
                        close_t,
                        won,
                        "" if won else rng.choice(LOSS_REASONS),
                    )
                    if won:
                        stage_log.append(("opportunity", "customer", close_t, owner, "deal won"))
                        stage = "customer"
                        if rng.random() < 0.08 and close_t + dt.timedelta(days=60) < now:
                            stage_log.append(
                                (
                                    "customer",
                                    "evangelist",
                                    close_t + dt.timedelta(days=60),
                                    None,
                                    "referenceable",
                                )
                            )
                            stage = "evangelist"
                else:
                    deal_stages = [d for d in deal_stages if d[2] < now]
                    deal = (deal_id, amount, deal_stages[-1][1], None, False, "")
                sink.add(
                    Deal,
                    (
                        deal_id,
                        f"{account['domain'].split('.')[0].title()} – {persona.name.split()[0]} deal",
                        account["id"],
                        cid,
                        owner.pk,
                        amount,
                        "USD",
                        deal[2],
                        t_cursor,
                        (close_t.date() if close_t < now else (close_t.date())),
                        deal[3],
                        deal[3] is not None,
                        deal[4],
                        deal[5],
                        original_campaign.pk if original_campaign else None,
                    ),
                )
                sink.add(DealContact, (deal_id, cid, "champion"))
                for frm, to, when in deal_stages:
                    sink.add(DealStageChange, (deal_id, frm, to, when, owner.pk))
        stage_changed_at = stage_log[-1][2]
        sink.add(
            Contact,
            (
                cid,
                email,
                first,
                last,
                title,
                seniority,
                f"+1 555 {cid % 10_000_000:07d}",
                account["country"],
                account["id"],
                persona.pk,
                owner.pk if owner else None,
                stage,
                stage_changed_at,
                status,
                touches[0][3],
                touches[0][2],
                original_campaign.pk if original_campaign else None,
                rng.random() < 0.7,
                rng.random() < 0.02,
                created_at,
                stage_changed_at,
            ),
        )
        for frm, to, when, by, why in stage_log:
            sink.add(
                StageChange,
                (cid, frm, to, when, by.pk if by else None, "" if by else why, why if by else ""),
            )
        if review:
            decision, reason, rating, at = review
            sink.add(LeadReview, (cid, decision, reason, rating, "", owner.pk, at))
        for t, kind, channel, source, medium, camp, asset, keyword, subject, url in touches:
            ext_seq += 1
            sink.add(
                Touchpoint,
                (
                    t,
                    cid,
                    anon,
                    account["id"],
                    kind,
                    "marketing",
                    None,
                    channel,
                    source,
                    medium,
                    camp.pk if camp else None,
                    asset.pk if asset else None,
                    keyword,
                    subject,
                    url,
                    "",
                    "",
                    {},
                    f"demo-{ext_seq}",
                ),
            )
        for t, kind, channel, outcome, rep in sales_touches:
            ext_seq += 1
            sink.add(
                Touchpoint,
                (
                    t,
                    cid,
                    "",
                    account["id"],
                    kind,
                    "sales",
                    rep.pk,
                    channel,
                    "sales",
                    kind,
                    None,
                    None,
                    "",
                    "Following up" if kind == "sales_email" else "",
                    "",
                    "",
                    outcome,
                    {},
                    f"demo-{ext_seq}",
                ),
            )
        if owner and rng.random() < 0.05:
            kind, text = rng.choice(INSIGHTS[pslug])
            sink.add(
                SalesInsight,
                (
                    kind,
                    text,
                    persona.pk,
                    stage if stage in ("mql", "sal", "sql", "opportunity", "customer") else "sal",
                    "",
                    cid,
                    None,
                    owner.pk,
                    stage_log[-1][2],
                ),
            )
        sink.maybe_flush()
        if i % 1000 == 999:
            progress.advance(1000)
    # Purely anonymous traffic: visitors who never filled a form (marketing's traffic numbers).
    for v in range(n_contacts):
        t = start + dt.timedelta(seconds=rng.random() * span)
        channel = weighted(rng, CHANNELS, FIRST_TOUCH_WEIGHTS)
        source, medium = rng.choice(SOURCE_MEDIUM[channel])
        ext_seq += 1
        sink.add(
            Touchpoint,
            (
                t,
                None,
                f"a{v:09d}",
                None,
                "page_view",
                "marketing",
                None,
                channel,
                source,
                medium,
                None,
                None,
                "",
                "",
                "https://demo.smarketing.local" + rng.choice(PAGES),
                "",
                "",
                {},
                f"demo-{ext_seq}",
            ),
        )
        if v % 50_000 == 0:
            sink.maybe_flush()
    progress.advance(n_contacts % 1000)
    sink.flush()
    for model, n in sink.counts.items():
        summary.counts[model._meta.verbose_name_plural] = n
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
