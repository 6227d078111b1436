"""Generate a realistic, seeded demo company: the data both teams would have after a year.

The generator simulates a B2B company's last twelve months: accounts in a few industries and
countries, people in four personas, campaigns with daily costs, anonymous visits that turn
into leads, multi-month journeys of marketing touches, the handoff to sales (review, attempts,
meetings, demos), deals won and lost with amounts and reasons, and the questions sales heard.

The catalogue (:mod:`smarketing.demo.catalogue`) holds the data drawn from; the journeys
(:mod:`smarketing.demo.journeys`) are simulated contact by contact. Channel effects are built in on purpose so that attribution, scoring and closed-loop reports
find signal: events, partners and referrals convert better than display ads; webinars and
pricing-page visits raise the chance of becoming an MQL; meetings and demos raise the win rate.

Everything is drawn from one ``random.Random(seed)``; the same seed on the same day gives the
same company. Rows are written with :func:`smarketing.demo.bulk.bulk_insert`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
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
from smarketing.demo.catalogue import (
    CONTENT,
    COUNTRIES,
    DEMO_PASSWORD,
    DEMO_USERS,
    INDUSTRIES,
    PERSONAS,
    SIZES,
    SOURCE_MEDIUM,
)
from smarketing.demo.content_library import add_content_library
from smarketing.demo.journeys import Ids, make_people_and_journeys, weighted
from smarketing.demo.signals import demo_generated
from smarketing.funnel.models import LeadReview, StageChange


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


def demo_present() -> bool:
    """True when the database already holds a demo company (the demo admin exists)."""
    return (
        get_user_model().objects.filter(username="admin", profile__isnull=False).exists()
        and Contact.objects.exists()
    )


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
        make_people_and_journeys(
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
        summary.counts.update(add_content_library(rng=rng, users=users, personas=personas, start=start, now=now))
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
    ids = Ids(Account)
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
        country = weighted(rng, countries, cweights)
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
