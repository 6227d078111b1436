"""The demo company's catalogue: sizes, users, channels and their effects, personas, content.

Plain data the generator draws from; tune the demo here (e.g. :data:`CHANNEL_LIFT` sets how
strongly each channel moves a lead down the funnel, the signal attribution should find).
"""

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
