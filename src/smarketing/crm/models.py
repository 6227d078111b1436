"""The shared system of record: accounts, personas, contacts, campaigns, touchpoints, deals.

Both teams read and write these tables; nothing here knows about the funnel rules, scoring or
the SLA (those apps build on top). Keys are normalised on save (emails, domains) so that one
person or company is one row.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from smarketing.core.audit import AuditedModel
from smarketing.crm.choices import (
    CallOutcome,
    ContentKind,
    DealStage,
    LifecycleStage,
    Seniority,
    TouchKind,
    TouchTeam,
)
from smarketing.crm.normalize import InvalidValue, normalize_domain, normalize_email

USER = settings.AUTH_USER_MODEL


class Account(AuditedModel):
    """An Account represents a company that buys (or may buy) from us."""

    class Tier(models.IntegerChoices):
        TIER_1 = 1, "Tier 1"
        TIER_2 = 2, "Tier 2"
        TIER_3 = 3, "Tier 3"

    name = models.CharField(max_length=200, db_index=True)
    domain = models.CharField(
        max_length=253,
        unique=True,
        null=True,
        blank=True,
        help_text="Normalised web domain (example.com), unique.",
    )
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2 code.")
    region = models.CharField(max_length=50, blank=True)
    segment = models.CharField(max_length=30, blank=True, help_text="smb, mid_market, enterprise")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    is_target = models.BooleanField(default=False, help_text="On the target account list (ABM).")
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_accounts"
    )
    custom = models.JSONField(
        default=dict,
        db_default={},  # rows written by raw SQL (bulk ingest) get {} too
        blank=True,
        help_text="Columns of an imported export no field took (custom fields): header → value.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.domain = normalize_domain(self.domain)
        except InvalidValue as exc:
            raise ValidationError({"domain": str(exc)}) from None
        if self.country:
            self.country = self.country.strip().upper()
            if len(self.country) != 2 or not self.country.isalpha():
                raise ValidationError({"country": f"{self.country!r} is not an ISO alpha-2 code"})


class Persona(AuditedModel):
    """A Persona is a buyer archetype both teams agreed on (pains, goals, how to recognise one)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    pains = models.TextField(blank=True)
    goals = models.TextField(blank=True)
    matching_rules = models.JSONField(
        default=dict,
        blank=True,
        help_text='How a contact is matched, e.g. {"title_contains": ["marketing"], "seniority": ["vp"]}',
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(AuditedModel):
    """A Campaign is a marketing (or sales) programme with a channel, UTM keys and a cost."""

    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=50, db_index=True)
    source = models.CharField(max_length=100, blank=True)
    medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=200, unique=True, null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    cost_per_day = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="campaign_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(cost_per_day__isnull=True) | Q(cost_per_day__gte=0),
                name="campaign_cost_per_day_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignCost(models.Model):
    """A CampaignCost is money spent on a campaign over a period (invoices, ad spend)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="costs")
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["period_start"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="campaign_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="campaign_cost_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.amount} {self.currency} ({self.period_start}–{self.period_end})"


class Contact(AuditedModel):
    """A Contact is a person (lead, prospect, customer), at most one row per normalised email."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        CONNECTED = "connected", "Connected"
        NURTURE = "nurture", "Nurture"
        UNQUALIFIED = "unqualified", "Unqualified"
        BAD_TIMING = "bad_timing", "Bad timing"

    email = models.CharField(max_length=254, unique=True, null=True, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    seniority = models.CharField(max_length=20, choices=Seniority.choices, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    country = models.CharField(max_length=2, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_contacts"
    )
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.LEAD, db_index=True
    )
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    original_source = models.CharField(max_length=100, blank=True)
    original_channel = models.CharField(max_length=50, blank=True, db_index=True)
    original_campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="sourced_contacts"
    )
    email_consent = models.BooleanField(default=False, help_text="Opted in to marketing email.")
    do_not_contact = models.BooleanField(default=False)
    custom = models.JSONField(
        default=dict,
        db_default={},  # rows written by raw SQL (bulk ingest) get {} too
        blank=True,
        help_text="Columns of an imported export no field took (custom fields): header → value.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "lifecycle_stage"])]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or f"Contact #{self.pk}"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        try:
            self.email = normalize_email(self.email)
        except InvalidValue as exc:
            raise ValidationError({"email": str(exc)}) from None
        if self.lifecycle_stage not in LifecycleStage.values:
            raise ValidationError(
                {"lifecycle_stage": f"unknown lifecycle stage {self.lifecycle_stage!r}"}
            )
        if self.email:
            clash = Contact.objects.filter(email=self.email).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError(
                    {"email": f"a contact with email {self.email} already exists"}
                )


class VisitorId(models.Model):
    """A VisitorId ties an anonymous browser id (tracking cookie) to the contact it turned out to be."""

    anonymous_id = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="visitor_ids")
    first_seen_at = models.DateTimeField(default=timezone.now)
    identified_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.anonymous_id} → {self.contact_id}"


class ContentAsset(AuditedModel):
    """A ContentAsset is a piece of content (e-book, case study, deck…) tagged for persona and stage."""

    title = models.CharField(max_length=250)
    kind = models.CharField(max_length=20, choices=ContentKind.choices)
    url = models.URLField(max_length=500, blank=True)
    personas = models.ManyToManyField(Persona, blank=True, related_name="content_assets")
    stages = models.JSONField(default=list, blank=True, help_text="Lifecycle stages it serves.")
    topics = models.JSONField(default=list, blank=True)
    body = models.TextField(blank=True)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        unknown = [s for s in self.stages or [] if s not in LifecycleStage.values]
        if unknown:
            raise ValidationError({"stages": f"unknown lifecycle stage(s): {', '.join(unknown)}"})


class Touchpoint(models.Model):
    """A Touchpoint is one marketing or sales interaction with a person or account.

    ``external_id`` makes ingest idempotent: a retried event with the same id is one row.
    """

    occurred_at = models.DateTimeField(db_index=True)
    # Foreign keys and lookups are indexed by the composite indexes in Meta: one index less
    # per column keeps bulk ingest fast (and no *_like pattern indexes on PostgreSQL).
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="touchpoints",
        db_index=False,
    )
    anonymous_id = models.CharField(max_length=64, blank=True)
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        db_index=False,
    )
    kind = models.CharField(max_length=20, choices=TouchKind.choices)
    team = models.CharField(max_length=10, choices=TouchTeam.choices, default=TouchTeam.MARKETING)
    user = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        help_text="The rep who made a sales touch.",
    )
    channel = models.CharField(max_length=50, blank=True)
    source = models.CharField(max_length=100, blank=True)
    medium = models.CharField(max_length=100, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="touchpoints"
    )
    content = models.ForeignKey(
        ContentAsset,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        db_index=False,
    )
    keyword = models.CharField(max_length=200, blank=True)
    email_subject = models.CharField(max_length=250, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=200, unique=True, null=True, blank=True)
    imported_from = models.CharField(
        max_length=120,
        blank=True,
        db_default="",
        help_text="Blank for touches observed live; for history an import carried over, the "
        "system and column it came from (salesforce: LeadSource).",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "occurred_at"]),
            models.Index(fields=["account", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
            models.Index(fields=["anonymous_id"], name="crm_touch_anonymous_id"),
            models.Index(fields=["channel"], name="crm_touch_channel"),
            # an asset's views and shares are counted from the index alone (the library page)
            models.Index(fields=["content", "kind"], name="crm_touch_content_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | ~Q(anonymous_id="") | Q(account__isnull=False),
                name="touchpoint_has_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


class Deal(AuditedModel):
    """A Deal (opportunity) is a potential sale to an account, with an amount and a pipeline stage."""

    name = models.CharField(max_length=200)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    primary_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="primary_deals"
    )
    contacts = models.ManyToManyField(
        Contact, through="DealContact", blank=True, related_name="deals"
    )
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_deals"
    )
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, default="USD")
    stage = models.CharField(
        max_length=20, choices=DealStage.choices, default=DealStage.QUALIFICATION, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    close_date = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    is_closed = models.BooleanField(default=False)
    is_won = models.BooleanField(default=False)
    loss_reason = models.CharField(max_length=200, blank=True)
    source_campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    custom = models.JSONField(
        default=dict,
        db_default={},  # rows written by raw SQL (bulk ingest) get {} too
        blank=True,
        help_text="Columns of an imported export no field took (custom fields): header → value.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(is_won=False) | Q(is_closed=True), name="deal_won_implies_closed"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.amount is not None and self.amount < 0:
            raise ValidationError({"amount": f"amount must not be negative (got {self.amount})"})
        if self.stage not in DealStage.values:
            raise ValidationError({"stage": f"unknown deal stage {self.stage!r}"})


class DealContact(models.Model):
    """A DealContact puts a contact on a deal's buying committee with a role."""

    class Role(models.TextChoices):
        DECISION_MAKER = "decision_maker", "Decision maker"
        CHAMPION = "champion", "Champion"
        INFLUENCER = "influencer", "Influencer"
        USER = "user", "User"
        BLOCKER = "blocker", "Blocker"
        OTHER = "other", "Other"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OTHER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="deal_contact_once")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} on deal {self.deal_id} ({self.role})"


class DealStageChange(models.Model):
    """A DealStageChange records one move of a deal through the pipeline (append-only)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_history")
    from_stage = models.CharField(max_length=20, choices=DealStage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=DealStage.choices)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage or '∅'} → {self.to_stage}"


class SalesInsight(models.Model):
    """A SalesInsight is a question or pain point sales heard from a buyer, fed back to marketing."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        PAIN_POINT = "pain_point", "Pain point"
        OBJECTION = "objection", "Objection"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="insights"
    )
    stage = models.CharField(max_length=20, choices=LifecycleStage.choices, blank=True)
    topic = models.CharField(max_length=100, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="insights"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="insights"
    )
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"
