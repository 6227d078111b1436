"""The shared vocabulary both teams agree on: lifecycle stages, touch kinds, deal stages."""

from __future__ import annotations

from django.db import models


class LifecycleStage(models.TextChoices):
    """Where a person is in the one shared funnel (marketing runs the top, sales the bottom)."""

    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MQL = "mql", "Marketing qualified lead"
    SAL = "sal", "Sales accepted lead"
    SQL = "sql", "Sales qualified lead"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    EVANGELIST = "evangelist", "Evangelist"
    RECYCLED = "recycled", "Recycled (nurture)"
    DISQUALIFIED = "disqualified", "Disqualified"


#: The forward order of the funnel; recycled and disqualified sit outside it.
FUNNEL_ORDER: tuple[str, ...] = (
    "subscriber",
    "lead",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "customer",
    "evangelist",
)


class TouchKind(models.TextChoices):
    """Every kind of marketing or sales interaction smarketing records as a touchpoint."""

    PAGE_VIEW = "page_view", "Page view"
    FORM_SUBMIT = "form_submit", "Form submission"
    EMAIL_OPEN = "email_open", "Email open"
    EMAIL_CLICK = "email_click", "Email click"
    AD_CLICK = "ad_click", "Ad click"
    WEBINAR = "webinar", "Webinar"
    EVENT = "event", "Event"
    CONTENT_VIEW = "content_view", "Content view"
    CONTENT_SHARE = "content_share", "Content share"
    SALES_CALL = "sales_call", "Sales call attempt"
    SALES_EMAIL = "sales_email", "Sales email"
    MEETING = "meeting", "Meeting"
    DEMO = "demo", "Demo"
    CHAT = "chat", "Chat"
    SALES_SOCIAL = "sales_social", "Sales social message (LinkedIn)"
    # History a CRM import carries into the journey (see docs/import.md, "History as touches").
    SOURCE = "source", "Source (first or latest, from a CRM)"
    CAMPAIGN_MEMBER = "campaign_member", "Campaign membership"
    SALES_TASK = "sales_task", "Logged sales activity"


#: Touch kinds performed by the sales team (everything else is marketing).
SALES_TOUCH_KINDS = frozenset(
    {"sales_call", "sales_email", "sales_social", "meeting", "demo", "sales_task"}
)


class TouchTeam(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


class CallOutcome(models.TextChoices):
    CONNECTED = "connected", "Connected"
    VOICEMAIL = "voicemail", "Left voicemail"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    MEETING_BOOKED = "meeting_booked", "Meeting booked"
    REPLIED = "replied", "Replied"
    BOUNCED = "bounced", "Bounced"


class DealStage(models.TextChoices):
    """The sales pipeline stages of a deal."""

    QUALIFICATION = "qualification", "Qualification"
    DISCOVERY = "discovery", "Discovery"
    DEMO = "demo", "Demo"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    CLOSED_WON = "closed_won", "Closed won"
    CLOSED_LOST = "closed_lost", "Closed lost"


CLOSED_DEAL_STAGES = frozenset({"closed_won", "closed_lost"})


class Seniority(models.TextChoices):
    C_LEVEL = "c_level", "C-level"
    VP = "vp", "VP"
    DIRECTOR = "director", "Director"
    MANAGER = "manager", "Manager"
    INDIVIDUAL = "individual", "Individual contributor"
    UNKNOWN = "", "Unknown"


class ContentKind(models.TextChoices):
    BLOG = "blog", "Blog post"
    EBOOK = "ebook", "E-book"
    WHITEPAPER = "whitepaper", "Whitepaper"
    CASE_STUDY = "case_study", "Case study"
    WEBINAR = "webinar", "Webinar recording"
    VIDEO = "video", "Video"
    ONE_PAGER = "one_pager", "One-pager"
    DECK = "deck", "Sales deck"
    EMAIL_TEMPLATE = "email_template", "Email template"
    CALCULATOR = "calculator", "ROI calculator"
    DATASHEET = "datasheet", "Datasheet"
    BATTLECARD = "battlecard", "Battlecard"
    PRICING_SHEET = "pricing_sheet", "Pricing sheet"
