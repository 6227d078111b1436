"""Reporting state: read-only share links to dashboards, and who receives the scheduled reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

DASHBOARD_CHOICES = [
    ("marketing", "Marketing"),
    ("sales", "Sales"),
    ("smarketing", "Smarketing (joint)"),
]


class ShareLink(models.Model):
    """A ShareLink lets anyone holding its signed token view one dashboard read-only.

    The token (``django.core.signing``) carries the link's id, so a tampered token fails the
    signature check; the row makes the link expiring (``expires_at``) and revocable
    (``revoked_at``). The filters the dashboard shows are frozen in ``params``.
    """

    dashboard = models.CharField(max_length=20, choices=DASHBOARD_CHOICES)
    params = models.JSONField(default=dict, blank=True, help_text="Frozen dashboard filters.")
    label = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_dashboard_display()} share #{self.pk}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class ReportRecipient(models.Model):
    """A ReportRecipient receives the scheduled monthly report and/or weekly brief by e-mail.

    Addresses in the ``SMARKETING_REPORT_RECIPIENTS`` setting are added to these rows.
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", "Monthly report"
        WEEKLY = "weekly", "Weekly brief"
        BOTH = "both", "Both"

    email = models.EmailField(unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BOTH)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.email} ({self.kind})"


class ReportDelivery(models.Model):
    """A ReportDelivery records one scheduled send, so a retried task does not send twice."""

    kind = models.CharField(max_length=10)
    period = models.CharField(max_length=10)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period"], name="report_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period}"


# --- pre-aggregated reporting tables (see docs/reporting.md, "Performance") -------------------


class ContactFunnelFact(models.Model):
    """A ContactFunnelFact is one contact's funnel in one row: its grouping keys and when it
    first reached each step (``smarketing.analytics.closedloop.contact_funnel`` materialised).

    Derived data, never edited by hand: rebuilt in the database by
    :func:`smarketing.reporting.facts.rebuild_reporting_tables` and refreshed per contact by
    :func:`smarketing.reporting.facts.refresh_funnel_facts` (on ``stage_changed``, and by the
    periodic catch-up from the checkpoints in the ``reporting.funnel``
    :class:`~smarketing.core.models.FillState`). The closed loop and funnel charts group this table instead of re-reading the whole stage-change log.
    """

    contact = models.OneToOneField(
        "crm.Contact",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,  # derived rows; rebuilt in bulk, removed with the contact
    )
    created_at = models.DateTimeField()
    created_month = models.CharField(max_length=7, help_text="YYYY-MM (UTC), the cohort.")
    original_source = models.CharField(max_length=100, blank=True)
    original_channel = models.CharField(max_length=50, blank=True)
    original_campaign_id = models.BigIntegerField(null=True)
    persona_id = models.BigIntegerField(null=True)
    segment = models.CharField(max_length=30, null=True)
    owner_id = models.BigIntegerField(null=True)
    t_leads = models.DateTimeField(null=True)
    t_mqls = models.DateTimeField(null=True)
    t_sqls = models.DateTimeField(null=True)
    t_opportunities = models.DateTimeField(null=True)
    t_won = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["t_leads"], name="rep_fact_t_leads"),
            models.Index(fields=["t_mqls"], name="rep_fact_t_mqls"),
            models.Index(fields=["t_sqls"], name="rep_fact_t_sqls"),
            models.Index(fields=["t_opportunities"], name="rep_fact_t_opps"),
            models.Index(fields=["t_won"], name="rep_fact_t_won"),
            models.Index(fields=["created_at"], name="rep_fact_created"),
            models.Index(fields=["owner_id"], name="rep_fact_owner"),
        ]

    def __str__(self) -> str:
        return f"funnel of contact {self.contact_id}"


class FunnelFactQueue(models.Model):
    """Contacts whose funnel facts are being recomputed (filled and emptied in one transaction;
    a table, so the compiled refresh query reads its ids with a join instead of a literal list)."""

    contact_id = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return f"refresh contact {self.contact_id}"


class TrafficDay(models.Model):
    """A TrafficDay holds one UTC day's page views and sessions (distinct visitors that day),
    for all channels (``channel`` NULL) or one channel. Refreshed per day from page-view
    touchpoints (:mod:`smarketing.reporting.traffic`)."""

    day = models.DateField()
    channel = models.CharField(max_length=50, null=True, help_text="NULL = all channels.")
    page_views = models.PositiveIntegerField(default=0)
    sessions = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["channel", "day"], name="rep_trafficday_ch_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel or 'all'}: {self.page_views}"


class TrafficVisitorGap(models.Model):
    """Visitors of one UTC day (all channels, or one) counted by the day of their previous
    visit (``prev_day``, NULL = none in the 366 days before).

    Distinct visitors over any period ``[s, e)`` of at most a year are then exact and cheap:
    a visitor is counted once, on its first day in the period, i.e. on the days whose previous
    visit is before ``s`` -- ``SUM(visitors) WHERE s <= day < e AND (prev_day IS NULL OR
    prev_day < s)``. Daily distinct counts alone could not be summed over a period.
    """

    day = models.DateField()
    channel = models.CharField(max_length=50, null=True, help_text="NULL = all channels.")
    prev_day = models.DateField(null=True)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["channel", "day"], name="rep_trafficgap_ch_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel or 'all'} after {self.prev_day}: {self.visitors}"


class ActivityDay(models.Model):
    """Sales activity of one rep on one UTC day: touches of one kind (calls, emails, meetings,
    demos) made by ``user_id``. Refreshed with the traffic tables (same touchpoint checkpoint)."""

    day = models.DateField()
    user_id = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="rep_activityday_day")]

    def __str__(self) -> str:
        return f"{self.day} user {self.user_id} {self.kind}: {self.n}"


class ContactAttempts(models.Model):
    """How many sales attempts (calls, e-mails) a contact has received, ever (the "depth of
    leads worked" chart). Refreshed for the contacts with new attempts."""

    contact_id = models.BigIntegerField(primary_key=True)
    attempts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"contact {self.contact_id}: {self.attempts} attempts"


class GroupKeys(models.Model):
    """The closed-loop group keys of a contact (``(none)`` for blank, ids as text, see
    ``smarketing.analytics.closedloop.facts``) and its owner (0 = none), as the pre-aggregated
    tables below store them."""

    k_source = models.CharField(max_length=100)
    k_channel = models.CharField(max_length=50)
    k_campaign = models.CharField(max_length=20)
    k_persona = models.CharField(max_length=20)
    k_segment = models.CharField(max_length=30)
    owner_id = models.BigIntegerField(default=0, help_text="0 = no owner.")

    class Meta:
        abstract = True


#: :class:`GroupKeys`' columns, in the order the unique keys list them.
GROUP_KEYS = ["k_source", "k_channel", "k_campaign", "k_persona", "k_segment", "owner_id"]


class FunnelDay(GroupKeys):
    """How many contacts of one key combination reached each funnel step on one UTC day
    (``grain`` "d"), in one month ("m": whole-month periods read 12 rows per combination a
    year), or on one day over every combination ("t": the unfiltered daily chart).

    The keys are the closed-loop group keys of the contact (``(none)`` for blank, ids as text,
    see ``smarketing.analytics.closedloop.facts``) and its owner (0 = none). Kept in step with
    :class:`ContactFunnelFact` by :mod:`smarketing.reporting.funnel_days` (the same refresh
    adds the delta of the contacts it recomputes), so period counts and "leads over time" sum
    a few thousand daily rows instead of scanning one fact row per contact.
    """

    class Grain(models.TextChoices):
        DAY = "d", "day, per combination"
        MONTH = "m", "month (day = its first day), per combination"
        TOTAL = "t", "day, all combinations (keys '*')"

    grain = models.CharField(max_length=1, choices=Grain.choices, default=Grain.DAY)
    day = models.DateField()
    leads = models.IntegerField(default=0)
    mqls = models.IntegerField(default=0)
    sqls = models.IntegerField(default=0)
    opportunities = models.IntegerField(default=0)
    won = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grain", "day", *GROUP_KEYS], name="rep_funnelday_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.k_channel}: {self.leads} leads"


class FunnelCombo(GroupKeys):
    """How many contacts have one key combination and owner (:class:`FunnelDay`'s keys).

    The closed loop lists every group of the filtered contacts, even with nothing in the
    period; this small table says which groups exist without scanning the contacts.
    """

    contacts = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=GROUP_KEYS, name="rep_funnelcombo_key")]

    def __str__(self) -> str:
        return f"{self.k_channel}/{self.k_source}: {self.contacts} contacts"


class ContentTouchDay(models.Model):
    """Touches of one content asset by one contact (NULL: anonymous) on one UTC day, and how
    many were shares. Content use per period (touches, shares, distinct people) and the closed
    loop's content membership (which contacts touched which asset) read this instead of every
    touchpoint. Refreshed per day with the traffic tables (same touchpoint checkpoint)."""

    day = models.DateField()
    content_id = models.BigIntegerField()
    contact_id = models.BigIntegerField(null=True)
    touches = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="rep_contentday_day")]

    def __str__(self) -> str:
        return f"{self.day} content {self.content_id}: {self.touches}"


class ReviewFact(GroupKeys):
    """One lead review (``funnel.LeadReview``) with its contact's closed-loop keys and owner
    (those of :class:`ContactFunnelFact`), so the period's review figures per key combination
    are read without joining every contact's facts. Refreshed with the contact's facts."""

    review_id = models.BigIntegerField(primary_key=True)
    contact_id = models.BigIntegerField()
    at = models.DateTimeField()
    decision = models.CharField(max_length=10)
    reason_code = models.CharField(max_length=30, blank=True)
    quality_rating = models.SmallIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["at"], name="rep_reviewfact_at"),
            models.Index(fields=["contact_id"], name="rep_reviewfact_contact"),
        ]

    def __str__(self) -> str:
        return f"review {self.review_id}: {self.decision}"


class DealFact(GroupKeys):
    """One deal with its primary contact's closed-loop keys and owner (those of
    :class:`ContactFunnelFact`), so the period's won deals, revenue and pipeline per key
    combination are read without joining every contact's facts. Refreshed with the contact's
    facts and when the deal is saved."""

    deal_id = models.BigIntegerField(primary_key=True)
    contact_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True)
    is_won = models.BooleanField(default=False)
    amount = models.FloatField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="rep_dealfact_created"),
            models.Index(fields=["closed_at"], name="rep_dealfact_closed"),
            models.Index(fields=["contact_id"], name="rep_dealfact_contact"),
        ]

    def __str__(self) -> str:
        return f"deal {self.deal_id}: {self.amount}"
