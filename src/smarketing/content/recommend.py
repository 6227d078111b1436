"""Recommendations per contact and per deal, and the gap report from sales insights.

Recommendations: assets made for the buyer's persona and stage, ranked by how many won deals
had a buyer of that persona who saw or got the asset, then by recency, leaving out what the
buyer already saw. Each comes with its reason in words.

Gaps: each question or pain point sales logged is matched against the library by full-text
relevance; one whose best asset covers less than :data:`GOOD_MATCH` of its significant words
is a gap. Gaps are clustered by similar wording (shared words, then rapidfuzz) and ranked by how often they were
heard and the open pipeline of the deals where they were heard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from smarketing.content.kinds import kind_label
from smarketing.content.models import GapResolution, SearchDocument
from smarketing.content.search import run_search, tag_key, terms_in, words
from smarketing.crm.choices import LifecycleStage
from smarketing.crm.models import Contact, ContentAsset, Deal, SalesInsight, Touchpoint

USE_KINDS = ("content_view", "content_share")
GOOD_MATCH = 0.6
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "us",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "yes",
        "just",
        "get",
        "got",
        "than",
        "then",
        "also",
        "any",
        "all",
        "much",
        "many",
        "more",
        "most",
        "very",
    ]
)


@dataclass
class Recommendation:
    """One recommended asset, its score and the reason in words."""

    asset: ContentAsset
    score: float
    reason: str
    won_deals: int = 0

    @property
    def kind_label(self) -> str:
        return kind_label(self.asset.kind)


def _stage_label(stage: str) -> str:
    return (
        stage.upper()
        if stage in ("mql", "sal", "sql")
        else dict(LifecycleStage.choices).get(stage, stage)
    )


def recommend(
    *, persona_id: int | None, stages: list[str], exclude_contacts: list[int], limit: int = 5
) -> list[Recommendation]:
    """Assets for a persona and stages, ranked by influence on won deals with that persona."""
    docs = SearchDocument.objects.all()
    if persona_id:
        docs = docs.filter(tags__contains=f" {tag_key('p', persona_id)} ")
    candidates = set(docs.values_list("asset_id", flat=True))
    for_stage = set()
    for stage in stages:
        for_stage |= set(
            docs.filter(tags__contains=f" {tag_key('s', stage)} ").values_list(
                "asset_id", flat=True
            )
        )
    if for_stage:
        candidates = for_stage
    seen = set(
        Touchpoint.objects.filter(
            contact_id__in=exclude_contacts, kind="content_view", content__isnull=False
        ).values_list("content_id", flat=True)
    )
    candidates -= seen
    if not candidates:
        return []
    won: dict[int, int] = {}
    if persona_id:
        rows = (
            Touchpoint.objects.filter(
                kind__in=USE_KINDS,
                content_id__in=candidates,
                contact__persona_id=persona_id,
                contact__dealcontact__deal__is_won=True,
            )
            .values_list("content_id")
            .annotate(n=Count("contact__dealcontact__deal", distinct=True))
            .order_by()
        )
        won = dict(rows)
    assets = ContentAsset.objects.in_bulk(list(candidates))
    now = timezone.now()
    persona = None
    if persona_id:
        from smarketing.crm.models import Persona

        persona = Persona.objects.filter(pk=persona_id).first()
    stage_words = " / ".join(_stage_label(s) for s in stages)
    out = []
    for aid, asset in assets.items():
        n = won.get(aid, 0)
        age_days = (now - (asset.published_at or asset.created_at)).days
        score = n * 3 + max(0.0, 1 - age_days / 365) + (1 if aid in for_stage else 0)
        if n and persona:
            reason = f"used in {n} won deal{'s' if n != 1 else ''} with {persona.name}"
            if stage_words:
                reason += f" at {stage_words}"
        elif persona and stage_words:
            reason = f"made for {persona.name} at {stage_words}"
        elif stage_words:
            reason = f"made for {stage_words}"
        else:
            reason = "recent in the library"
        if age_days < 60:
            reason += "; new this quarter"
        out.append(Recommendation(asset, round(score, 3), reason, n))
    out.sort(key=lambda r: (-r.score, r.asset.title))
    return out[:limit]


def recommend_for_contact(contact: Contact, *, limit: int = 5) -> list[Recommendation]:
    """Recommendations for one lead: their persona and lifecycle stage."""
    return recommend(
        persona_id=contact.persona_id,
        stages=[contact.lifecycle_stage] if contact.lifecycle_stage else [],
        exclude_contacts=[contact.pk],
        limit=limit,
    )


DEAL_STAGE_TO_FUNNEL = {
    "qualification": "sql",
    "discovery": "sql",
    "demo": "opportunity",
    "proposal": "opportunity",
    "negotiation": "opportunity",
    "closed_won": "customer",
    "closed_lost": "opportunity",
}


def recommend_for_deal(deal: Deal, *, limit: int = 5) -> list[Recommendation]:
    """Recommendations for a deal: each committee persona at the deal's funnel stage, merged."""
    contacts = list(deal.contacts.all())
    if deal.primary_contact_id and deal.primary_contact not in contacts:
        contacts.append(deal.primary_contact)
    stage = DEAL_STAGE_TO_FUNNEL.get(deal.stage, "opportunity")
    personas = {c.persona_id for c in contacts if c.persona_id} or {None}
    merged: dict[int, Recommendation] = {}
    for pid in personas:
        for rec in recommend(
            persona_id=pid, stages=[stage], exclude_contacts=[c.pk for c in contacts], limit=limit
        ):
            if rec.asset.pk not in merged or merged[rec.asset.pk].score < rec.score:
                merged[rec.asset.pk] = rec
    return sorted(merged.values(), key=lambda r: (-r.score, r.asset.title))[:limit]


@dataclass
class Gap:
    """A cluster of similar questions with no good asset, how often heard, and the pipeline."""

    text: str
    kind: str
    count: int = 0
    pipeline: Decimal = Decimal("0")
    personas: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    insight_ids: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    best_asset: ContentAsset | None = None
    coverage: float = 0.0
    last_heard: dt.datetime | None = None

    @property
    def kind_label(self) -> str:
        return dict(SalesInsight.Kind.choices).get(self.kind, self.kind)


def significant(text: str) -> list[str]:
    """The words of ``text`` that carry meaning (stopwords and short words dropped)."""
    return list(dict.fromkeys(w for w in words(text) if w not in STOPWORDS and len(w) > 2))


def best_match(text: str) -> tuple[int | None, float]:
    """The library asset that best answers ``text`` and the share of its words it covers."""
    terms = significant(text)
    if not terms:
        return None, 1.0
    result = run_search(" ".join(terms), tags=[], limit=1, any_word=True)
    if not result.hits:
        return None, 0.0
    aid = result.hits[0].asset_id
    return aid, len(terms_in(aid, terms)) / len(terms)


def similar(a: str, b: str) -> bool:
    """Whether two questions ask the same thing: half the meaningful words of the shorter one
    are in the other, or the wording is near-identical (rapidfuzz token set ratio)."""
    from rapidfuzz import fuzz

    wa, wb = set(significant(a)), set(significant(b))
    if wa and wb and len(wa & wb) / min(len(wa), len(wb)) >= 0.5:
        return True
    return fuzz.token_set_ratio(a, b) >= 85


def content_gaps(*, since: dt.datetime | None = None, limit: int = 50) -> list[Gap]:
    """Questions and pain points sales heard that the library does not answer, clustered."""
    answered = set(GapResolution.objects.values_list("insight_id", flat=True))
    insights = SalesInsight.objects.select_related("persona", "deal").order_by("-at")
    if since:
        insights = insights.filter(at__gte=since)
    gaps: list[Gap] = []
    for ins in insights[:2000]:
        if ins.pk in answered:
            continue
        aid, coverage = best_match(ins.text)
        if coverage >= GOOD_MATCH:
            continue
        cluster = next((g for g in gaps if similar(g.text, ins.text)), None)
        if cluster is None:
            cluster = Gap(text=ins.text, kind=ins.kind, coverage=coverage, last_heard=ins.at)
            if aid:
                cluster.best_asset = ContentAsset.objects.filter(pk=aid).first()
            gaps.append(cluster)
        elif (
            ins.text != cluster.text
            and ins.text not in cluster.examples
            and len(cluster.examples) < 5
        ):
            cluster.examples.append(ins.text)
        cluster.count += 1
        cluster.insight_ids.append(ins.pk)
        if ins.deal_id and not ins.deal.is_closed:
            cluster.pipeline += ins.deal.amount
        if ins.persona and ins.persona.name not in cluster.personas:
            cluster.personas.append(ins.persona.name)
        if ins.stage and ins.stage not in cluster.stages:
            cluster.stages.append(ins.stage)
    gaps.sort(key=lambda g: (-g.count, -g.pipeline, g.text))
    return gaps[:limit]
