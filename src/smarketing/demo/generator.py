"""Generate a realistic, seeded demo company: the data both teams would have after a year.

The generator simulates a B2B company's last twelve months: accounts in a few industries and
countries, people in four personas, campaigns with daily costs, anonymous visits that turn
into leads, multi-month journeys of marketing touches, the handoff to sales (review, attempts,
meetings, demos), deals won and lost with amounts and reasons, and the questions sales heard.

Channel effects are built in on purpose so that attribution, scoring and closed-loop reports
find signal: events, partners and referrals convert better than display ads; webinars and
pricing-page visits raise the chance of becoming an MQL; meetings and demos raise the win rate.

Everything is drawn from one ``random.Random(seed)``; the same seed on the same day gives the
same company. Rows are written with :func:`smarketing.demo.bulk.bulk_insert`.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from smarketing.core.actions import do_create_user
from smarketing.core.models import Team
from smarketing.crm.models import (
    Account,
    Campaign,
    CampaignCost,
    Contact,
    ContentAsset,
    Deal,
    DealContact,
    DealStageChange,
    Persona,
    SalesInsight,
    Touchpoint,
)
from smarketing.demo.bulk import bulk_insert, reset_sequences
from smarketing.demo.signals import demo_generated
from smarketing.funnel.models import LeadReview, StageChange

SIZES: dict[str, tuple[int, int]] = {
    # name: (contacts, target touchpoints)
    "small": (2_000, 20_000),
    "medium": (50_000, 1_000_000),
    "large": (500_000, 10_000_000),
}

DEMO_PASSWORD = "smarketing-demo"

#: (username, first, last, team, role, timezone, territory)
DEMO_USERS = [
    ("admin", "Ada", "Admin", None, "admin", "UTC", ""),
    ("maria", "Maria", "Marketing", "Marketing", "manager", "Europe/Berlin", ""),
    ("mike", "Mike", "Manager", "Sales", "manager", "America/New_York", ""),
    ("sam", "Sam", "Seller", "Sales", "member", "America/New_York", "US,CA"),
    ("sara", "Sara", "Seller", "Sales", "member", "Europe/London", "GB,DE,FR,NL"),
]

CHANNELS = [
    "Organic Search",
    "Paid Search",
    "Email",
    "Organic Social",
    "Paid Social",
    "Referral",
    "Display",
    "Events",
    "Partners",
    "Direct",
]
#: How likely a first touch comes from each channel.
FIRST_TOUCH_WEIGHTS = [24, 18, 4, 8, 12, 7, 9, 6, 4, 8]
#: Lift of a channel on the odds of a lead progressing (the signal attribution should find).
CHANNEL_LIFT = {
    "Organic Search": 0.35,
    "Paid Search": 0.25,
    "Email": 0.3,
    "Organic Social": 0.05,
    "Paid Social": 0.0,
    "Referral": 0.45,
    "Display": -0.2,
    "Events": 0.7,
    "Partners": 0.55,
    "Direct": 0.15,
}
CHANNEL_KINDS = {
    "Organic Search": (("page_view", 8), ("content_view", 2)),
    "Paid Search": (("ad_click", 6), ("page_view", 4)),
    "Email": (("email_open", 6), ("email_click", 3)),
    "Organic Social": (("page_view", 6), ("content_share", 1)),
    "Paid Social": (("ad_click", 7), ("page_view", 3)),
    "Referral": (("page_view", 9), ("content_view", 1)),
    "Display": (("ad_click", 9), ("page_view", 1)),
    "Events": (("event", 5), ("webinar", 5)),
    "Partners": (("page_view", 5), ("webinar", 3), ("content_view", 2)),
    "Direct": (("page_view", 9), ("chat", 1)),
}
SOURCE_MEDIUM = {
    "Organic Search": [("google", "organic"), ("bing", "organic")],
    "Paid Search": [("google", "cpc"), ("bing", "cpc")],
    "Email": [("newsletter", "email"), ("nurture", "email")],
    "Organic Social": [("linkedin.com", "social"), ("twitter.com", "social")],
    "Paid Social": [("linkedin", "paid_social"), ("facebook", "paid_social")],
    "Referral": [("g2.com", "referral"), ("capterra.com", "referral")],
    "Display": [("doubleclick", "display")],
    "Events": [("saastr", "event"), ("webinar", "webinar")],
    "Partners": [("partner-portal", "partner")],
    "Direct": [("(direct)", "(none)")],
}
PAGES = [
    "/",
    "/product",
    "/pricing",
    "/customers",
    "/blog/sales-marketing-alignment",
    "/blog/lead-scoring-101",
    "/blog/what-is-an-sla",
    "/integrations",
    "/about",
    "/careers",
]
KEYWORDS = [
    "lead scoring software",
    "marketing attribution",
    "sales marketing alignment",
    "crm for b2b",
    "revops platform",
    "funnel analytics",
]
SUBJECTS = [
    "Your funnel has a leak",
    "3 ways to align sales and marketing",
    "Webinar: the SLA that works",
    "New: closed-loop reports",
    "Case study: 2x pipeline in 6 months",
    "Last call: RevOps summit",
]

PERSONAS = [
    (
        "Marketing Mary",
        "marketing-mary",
        "VP or head of marketing",
        "Can't prove marketing's impact on revenue",
        "Show pipeline and revenue by campaign",
        ["marketing", "demand", "growth"],
        1.0,
    ),
    (
        "Sales Sam",
        "sales-sam",
        "Head of sales or sales manager",
        "Reps waste time on bad leads",
        "More qualified pipeline, faster follow-up",
        ["sales", "account executive", "revenue"],
        0.8,
    ),
    (
        "Ops Olivia",
        "ops-olivia",
        "RevOps / marketing ops analyst",
        "Data scattered over tools",
        "One clean funnel and trustworthy reports",
        ["operations", "revops", "analyst"],
        1.2,
    ),
    (
        "Finance Fred",
        "finance-fred",
        "CFO or finance lead",
        "Unclear ROI of spend",
        "Predictable growth and CAC payback",
        ["finance", "cfo", "controller"],
        -0.4,
    ),
]
TITLES = {
    "marketing-mary": [
        ("VP Marketing", "vp"),
        ("Head of Demand Generation", "director"),
        ("Marketing Manager", "manager"),
        ("CMO", "c_level"),
    ],
    "sales-sam": [
        ("VP Sales", "vp"),
        ("Sales Director", "director"),
        ("Sales Manager", "manager"),
        ("Account Executive", "individual"),
    ],
    "ops-olivia": [
        ("Head of RevOps", "director"),
        ("Marketing Operations Manager", "manager"),
        ("Sales Ops Analyst", "individual"),
    ],
    "finance-fred": [
        ("CFO", "c_level"),
        ("Finance Director", "director"),
        ("Controller", "manager"),
    ],
}
INDUSTRIES = [
    "Software",
    "Financial Services",
    "Manufacturing",
    "Healthcare",
    "Retail",
    "Professional Services",
    "Education",
]
COUNTRIES = [
    ("US", "North America", 40),
    ("CA", "North America", 6),
    ("GB", "EMEA", 14),
    ("DE", "EMEA", 14),
    ("FR", "EMEA", 8),
    ("NL", "EMEA", 6),
    ("AU", "APAC", 6),
    ("SG", "APAC", 6),
]
LOSS_REASONS = [
    "Price",
    "Chose competitor",
    "No decision",
    "Timing",
    "Missing feature",
    "Budget cut",
]
REJECT_REASONS = [
    ("bad_fit", 30),
    ("not_decision_maker", 20),
    ("too_early", 20),
    ("no_budget", 12),
    ("bad_data", 8),
    ("duplicate", 5),
    ("competitor", 3),
    ("other", 2),
]
INSIGHTS = {
    "marketing-mary": [
        ("question", "How do you attribute revenue to webinars?"),
        ("pain_point", "Board asks for marketing ROI every quarter"),
        ("question", "Can we see which campaigns produce SQLs, not just leads?"),
    ],
    "sales-sam": [
        ("pain_point", "My reps ignore MQLs because half are students"),
        ("question", "How fast do leads get routed?"),
        ("objection", "We already have Salesforce"),
    ],
    "ops-olivia": [
        ("question", "Does it import HubSpot history?"),
        ("pain_point", "Duplicate leads everywhere"),
        ("question", "Is there an API and webhooks?"),
    ],
    "finance-fred": [
        ("question", "What is the payback period?"),
        ("objection", "Too expensive for this year"),
        ("pain_point", "Marketing spend feels like a black box"),
    ],
}
CONTENT = [
    (
        "The smarketing SLA template",
        "ebook",
        ["marketing-mary", "sales-sam"],
        ["lead", "mql"],
        ["sla", "alignment"],
    ),
    (
        "Lead scoring 101",
        "blog",
        ["marketing-mary", "ops-olivia"],
        ["subscriber", "lead"],
        ["scoring"],
    ),
    (
        "Attribution models compared",
        "whitepaper",
        ["marketing-mary", "finance-fred"],
        ["lead", "mql"],
        ["attribution"],
    ),
    (
        "How Acme doubled pipeline",
        "case_study",
        ["sales-sam", "finance-fred"],
        ["sql", "opportunity"],
        ["pipeline", "roi"],
    ),
    ("ROI calculator", "calculator", ["finance-fred"], ["opportunity"], ["roi", "pricing"]),
    ("Product overview deck", "deck", ["sales-sam", "ops-olivia"], ["sal", "sql"], ["product"]),
    (
        "Integrations datasheet",
        "datasheet",
        ["ops-olivia"],
        ["sql", "opportunity"],
        ["integrations", "api"],
    ),
    (
        "Webinar: closed-loop reporting",
        "webinar",
        ["marketing-mary", "ops-olivia"],
        ["lead", "mql"],
        ["reporting"],
    ),
    (
        "Security one-pager",
        "one_pager",
        ["ops-olivia", "finance-fred"],
        ["opportunity"],
        ["security"],
    ),
    (
        "Follow-up after demo",
        "email_template",
        ["sales-sam"],
        ["sql", "opportunity"],
        ["follow-up"],
    ),
]


@dataclass
class Progress:
    """A callback pair the CLI wires to a progress bar: ``start(total)``, ``advance(n)``."""

    start: Callable[[str, int], None] = lambda label, total: None
    advance: Callable[[int], None] = lambda n: None


@dataclass
class DemoSummary:
    """What was generated, with the demo logins."""

    counts: dict[str, int] = field(default_factory=dict)
    users: list[tuple[str, str, str]] = field(default_factory=list)


def _weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def demo_present() -> bool:
    """True when the database already holds a demo company (the demo admin exists)."""
    return (
        get_user_model().objects.filter(username="admin", profile__isnull=False).exists()
        and Contact.objects.exists()
    )


class _Ids:
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


def generate(
    *,
    size: str = "small",
    seed: int = 42,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Generate the demo company into the current database and return what was made."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; use one of {', '.join(SIZES)}")
    progress = progress or Progress()
    rng = random.Random(seed)
    n_contacts, n_touch_target = SIZES[size]
    now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    start = now - dt.timedelta(days=365)
    summary = DemoSummary()
    with transaction.atomic():
        users = _make_users(summary)
        reps = [users["sam"], users["sara"]]
        personas = _make_personas()
        campaigns = _make_campaigns(rng, start, now, users["maria"])
        content = _make_content(personas, users["maria"], start)
        accounts = _make_accounts(rng, n_contacts, reps, progress, start)
        summary.counts["accounts"] = len(accounts)
        _make_people_and_journeys(
            rng,
            n_contacts=n_contacts,
            touches_per_contact=n_touch_target / n_contacts,
            start=start,
            now=now,
            accounts=accounts,
            personas=personas,
            campaigns=campaigns,
            content=content,
            reps=reps,
            users=users,
            progress=progress,
            summary=summary,
        )
        reset_sequences(
            [
                Account,
                Contact,
                Touchpoint,
                Deal,
                DealStageChange,
                StageChange,
                LeadReview,
                SalesInsight,
                DealContact,
            ]
        )
        for _receiver, counts in demo_generated.send(sender=DemoSummary, now=now):
            summary.counts.update(counts or {})
    summary.counts["campaigns"] = sum(len(c) for c in campaigns.values())
    return summary


def _make_users(summary: DemoSummary) -> dict:
    teams = {
        "Marketing": Team.objects.get_or_create(name="Marketing", defaults={"kind": "marketing"})[
            0
        ],
        "Sales": Team.objects.get_or_create(name="Sales", defaults={"kind": "sales"})[0],
    }
    User = get_user_model()
    users = {}
    for username, first, last, team, role, tz, territory in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = do_create_user(
                username=username,
                password=DEMO_PASSWORD,
                email=f"{username}@demo.smarketing.local",
                first_name=first,
                last_name=last,
                team=teams.get(team) if team else None,
                role=role,
                timezone=tz,
                territory=territory,
            )
        users[username] = user
        summary.users.append((username, DEMO_PASSWORD, f"{role}{' · ' + team if team else ''}"))
    teams["Marketing"].manager = users["maria"]
    teams["Sales"].manager = users["mike"]
    for team in teams.values():
        team.save()
    return users


def _make_personas() -> dict[str, Persona]:
    out = {}
    for name, slug, desc, pains, goals, words, _fit in PERSONAS:
        out[slug], _ = Persona.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": desc,
                "pains": pains,
                "goals": goals,
                "matching_rules": {"title_contains": words},
            },
        )
    return out


def _make_campaigns(rng, start, now, owner) -> dict[str, list[Campaign]]:
    plan = {
        "Paid Search": ["Google Ads – brand", "Google Ads – attribution", "Bing Ads – generic"],
        "Paid Social": [
            "LinkedIn – RevOps leaders",
            "LinkedIn – retargeting",
            "Facebook – lookalike",
        ],
        "Email": ["Monthly newsletter", "Nurture – new leads", "Nurture – recycled"],
        "Events": [
            "RevOps Summit booth",
            "Webinar: SLA that works",
            "Webinar: attribution",
            "Roadshow EMEA",
        ],
        "Display": ["Display – programmatic"],
        "Partners": ["Partner co-marketing Q1", "Partner referral programme"],
        "Organic Social": ["Organic LinkedIn"],
        "Referral": ["Review sites"],
    }
    cost_per_day = {
        "Paid Search": 260,
        "Paid Social": 210,
        "Email": 25,
        "Events": 180,
        "Display": 150,
        "Partners": 90,
        "Organic Social": 10,
        "Referral": 35,
    }
    out: dict[str, list[Campaign]] = {}
    for channel, names in plan.items():
        for name in names:
            utm = name.lower().replace(" – ", "-").replace(": ", "-").replace(" ", "-")
            c_start = (start + dt.timedelta(days=rng.randint(0, 120))).date()
            c_end = min(now.date(), c_start + dt.timedelta(days=rng.randint(120, 300)))
            source, medium = SOURCE_MEDIUM[channel][0]
            campaign, created = Campaign.objects.get_or_create(
                utm_campaign=utm,
                defaults={
                    "name": name,
                    "channel": channel,
                    "source": source,
                    "medium": medium,
                    "start_date": c_start,
                    "end_date": c_end,
                    "owner": owner,
                    "cost_per_day": Decimal(cost_per_day[channel] * rng.uniform(0.7, 1.3)).quantize(
                        Decimal("0.01")
                    ),
                },
            )
            if created:
                month = c_start.replace(day=1)
                while month <= c_end:
                    nxt = (month + dt.timedelta(days=32)).replace(day=1)
                    period_end = min(c_end, nxt - dt.timedelta(days=1))
                    days = (period_end - max(month, c_start)).days + 1
                    CampaignCost.objects.create(
                        campaign=campaign,
                        period_start=max(month, c_start),
                        period_end=period_end,
                        amount=(campaign.cost_per_day * days).quantize(Decimal("0.01")),
                        note="monthly invoice",
                    )
                    month = nxt
            out.setdefault(channel, []).append(campaign)
    return out


def _make_content(personas, owner, start) -> list[ContentAsset]:
    out = []
    for title, kind, persona_slugs, stages, topics in CONTENT:
        asset, created = ContentAsset.objects.get_or_create(
            title=title,
            defaults={
                "kind": kind,
                "url": f"https://demo.smarketing.local/content/{title.lower().replace(' ', '-').replace(':', '')}",
                "stages": stages,
                "topics": topics,
                "owner": owner,
                "published_at": start,
                "body": f"{title}. For {', '.join(persona_slugs)} at stage {', '.join(stages)}.",
            },
        )
        if created:
            asset.personas.set([personas[s] for s in persona_slugs])
        out.append(asset)
    return out


def _make_accounts(rng, n_contacts, reps, progress, start) -> list[dict]:
    from faker import Faker

    fake = Faker()
    fake.seed_instance(rng.randint(0, 2**31))
    n_accounts = max(20, n_contacts // 4)
    words = list({fake.last_name() for _ in range(400)})
    suffixes = [
        "Labs",
        "Systems",
        "Group",
        "Analytics",
        "Software",
        "Partners",
        "Industries",
        "Health",
        "Logistics",
        "Cloud",
    ]
    ids = _Ids(Account)
    accounts = []
    rows = []
    progress.start("accounts", n_accounts)
    countries = [c for c, _, _ in COUNTRIES]
    cweights = [w for _, _, w in COUNTRIES]
    region = {c: r for c, r, _ in COUNTRIES}
    for i in range(n_accounts):
        word = rng.choice(words)
        name = f"{word} {rng.choice(suffixes)}"
        domain = f"{word.lower()}{i}.example"
        employees = int(min(100_000, rng.lognormvariate(4.5, 1.6)))
        segment = "enterprise" if employees >= 1000 else "mid_market" if employees >= 200 else "smb"
        tier = 1 if employees >= 1000 else 2 if employees >= 200 else 3
        is_target = tier == 1 and rng.random() < 0.6
        country = _weighted(rng, countries, cweights)
        owner = None
        if is_target or rng.random() < 0.15:
            owner = reps[0] if region[country] == "North America" else reps[1]
        acc_id = ids.take(Account)
        industry = rng.choice(INDUSTRIES)
        created_at = start - dt.timedelta(days=rng.randint(0, 400))
        accounts.append(
            {
                "id": acc_id,
                "domain": domain,
                "segment": segment,
                "country": country,
                "owner": owner,
                "employees": employees,
                "industry": industry,
            }
        )
        rows.append(
            (
                acc_id,
                name,
                domain,
                industry,
                employees,
                country,
                region[country],
                segment,
                tier,
                is_target,
                owner.pk if owner else None,
                created_at,
            )
        )
    bulk_insert(
        Account,
        [
            "id",
            "name",
            "domain",
            "industry",
            "employees",
            "country",
            "region",
            "segment",
            "tier",
            "is_target",
            "owner_id",
            "created_at",
        ],
        rows,
    )
    progress.advance(n_accounts)
    return accounts


class _Sink:
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


def _make_people_and_journeys(
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
    ids = _Ids(Contact, Deal)
    sink = _Sink()
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
        pslug = _weighted(rng, [p[1] for p in persona_list], [3, 3, 2, 2])
        persona = personas[pslug]
        title, seniority = rng.choice(TITLES[pslug])
        first, last = rng.choice(first_names), rng.choice(last_names)
        email = f"{first.lower()}.{last.lower()}.{cid}@{account['domain']}".replace(
            " ", ""
        ).replace("'", "")
        # Leads arrive faster over time (a growing company).
        created_at = start + dt.timedelta(seconds=span * math.sqrt(rng.random()))
        first_channel = _weighted(rng, CHANNELS, FIRST_TOUCH_WEIGHTS)
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
                else _weighted(
                    rng,
                    CHANNELS,
                    [
                        w + (15 if c in ("Email", "Direct") else 0)
                        for c, w in zip(CHANNELS, FIRST_TOUCH_WEIGHTS)
                    ],
                )
            )
            kinds = CHANNEL_KINDS[channel]
            kind = _weighted(rng, [kk for kk, _ in kinds], [w for _, w in kinds])
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
        p_mql = 1.0 if hand_raiser else _sigmoid(-3.0 + fit * 0.6 + lift * 1.5 + engagement)
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
                    p_accept = _sigmoid(0.2 + fit * 0.9 + (2 if hand_raiser else 0))
                    if rng.random() < p_accept:
                        review = ("accept", "", rng.choice([3, 4, 4, 5]), decided)
                        stage_log.append(("mql", "sal", decided, owner, "accepted"))
                        stage = "sal"
                        status = "in_progress"
                    else:
                        reason = _weighted(
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
            if t_cursor < now and rng.random() < _sigmoid(-0.4 + lift * 2.0 + fit * 0.5):
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
                p_win = _sigmoid(
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
        channel = _weighted(rng, CHANNELS, FIRST_TOUCH_WEIGHTS)
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
