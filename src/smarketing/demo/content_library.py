"""The demo company's content library: 60+ assets with real text in real file formats,
tracked shares with page-level reading times, and questions sales heard.

Demo-only code; it writes through the content app's actions (``do_create_asset``,
``do_share``, ``do_start_visit``, ``do_record_pages``) like a marketer and reps would.
Files are made here (PDF by a small writer, PPTX with python-pptx, DOCX with python-docx,
HTML, Markdown, text) so the extraction, the index and the viewer run on real documents.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import textwrap

from django.db import transaction

#: Paragraphs per topic; an asset's body is built from the banks of its topics.
BANK = {
    "sla": [
        "A service level agreement between marketing and sales writes down what each team owes the other. Marketing commits to a number of marketing qualified leads per month and to their quality; sales commits to first touch within four business hours and to six attempts over ten days before a lead is recycled.",
        "The SLA settles arguments before they start. When a lead sits untouched, the clock shows who owes the next step, and the escalation goes to the sales manager, not to a hallway debate.",
        "Review the SLA every quarter: compare the committed MQL volume with what was delivered, and the committed follow-up speed with what reps achieved, then adjust both sides together.",
    ],
    "alignment": [
        "Smarketing means one funnel, one vocabulary and one scoreboard. Teams that agree on personas, stage definitions and the handoff point close more deals because nothing falls between the cracks.",
        "The weekly smarketing meeting reviews accomplishments, metrics against goals and one persona in depth, so both teams hear the same story about the buyer.",
    ],
    "scoring": [
        "Lead scoring combines fit (industry, company size, title, seniority) with engagement (page views, form fills, webinar attendance, content views). Engagement decays so that a download from last year does not make a lead hot today.",
        "A predictive model learns from closed-loop outcomes: which leads became opportunities and which were rejected. Calibrated scores tell a rep the real chance a lead converts, and the explanation lists the three signals that mattered most.",
        "Set the MQL threshold where sales accepts at least eight out of ten leads. A threshold that is too low floods reps with students and job seekers; too high starves the pipeline.",
    ],
    "attribution": [
        "Multi-touch attribution spreads the credit for a won deal across the touches that led to it. First touch rewards discovery, last touch rewards closing, and the W-shaped model credits the first touch, the lead conversion and the opportunity creation.",
        "Data-driven models such as Markov removal effects ask how many conversions would be lost if a channel disappeared. Shapley values split the credit fairly between channels that only work together.",
        "Sales touches belong in the model too: calls, meetings and demos are part of the journey, and a model that ignores them tells marketing it did everything.",
    ],
    "pipeline": [
        "Acme's marketing team doubled qualified pipeline in six months by routing every MQL within an hour and reporting pipeline by campaign every Monday. Sales accepted 84 percent of the leads they received, up from 52 percent.",
        "Pipeline velocity multiplies the number of opportunities, the win rate and the average deal size, divided by the length of the sales cycle. Improving any one of them moves revenue; improving the handoff improves all four.",
    ],
    "roi": [
        "Return on marketing investment compares the revenue that campaigns influenced with what they cost. Finance trusts the figure when the revenue comes from closed-won deals in the CRM, in the base currency, and the cost from invoices.",
        "Customers typically see payback on smarketing within five months: faster follow-up lifts conversion from MQL to opportunity by a third, and the hours reps stop spending on bad leads go into selling.",
        "The ROI calculator takes your monthly lead volume, your average deal size and your current lead-to-customer rate, and shows the revenue gained from a faster, cleaner handoff.",
    ],
    "pricing": [
        "Pricing is per seat per month, billed annually. The Team plan covers up to 25 users with the funnel, the SLA and reporting; Business adds predictive scoring, attribution and the content library; Enterprise adds single sign-on, audit export and a named success manager.",
        "Discounts for multi-year terms start at ten percent for two years. Nonprofits and education get thirty percent off the Business plan.",
        "Every plan includes unlimited contacts and unlimited API calls within fair use; there are no per-lead fees.",
    ],
    "security": [
        "smarketing is self-hosted: your data stays on your servers, in your PostgreSQL database. Passwords are hashed with PBKDF2, sessions are HTTP-only and secure, and API tokens carry scopes and expiry dates.",
        "Every change to a record is written to the audit log with who made it and when. GDPR export and erasure are built in, and backups are a standard PostgreSQL dump.",
        "Single sign-on through SAML or OpenID Connect is available on the Enterprise plan, with role-based permissions for admins, managers and members.",
    ],
    "integrations": [
        "Import HubSpot and Salesforce exports as CSV with deduplication on email and domain; records that already exist are merged, never doubled. The REST API is documented with OpenAPI and accepts bearer tokens.",
        "Signed outbound webhooks tell your other systems when a lead becomes an MQL, is accepted or rejected, or a deal closes. Inbound form webhooks create leads from any form tool.",
        "The tracking snippet records page views on your website and ties an anonymous visitor to the contact once they fill in a form.",
    ],
    "reporting": [
        "Closed-loop reporting follows every lead from its source to the revenue it produced. Marketing sees which campaigns create opportunities, not just form fills; sales sees which sources send leads that close.",
        "The monthly report brings the marketing dashboard, the sales dashboard and the SLA compliance into one document for the management review, with the same figures everyone sees in the app.",
    ],
    "product": [
        "smarketing gives sales and marketing one system of record: accounts, contacts, deals, campaigns and every touchpoint. The shared funnel runs from subscriber to customer with every transition timestamped.",
        "The lead inbox shows each rep the leads routed to them, sorted by score and SLA clock, with accept and reject in one click and the reason recorded for marketing.",
        "Routing assigns leads by territory, account owner, round robin or capacity, and skips reps who are out of office.",
    ],
    "competitors": [
        "Against an all-in-one marketing suite, smarketing wins when the buyer cares about the handoff and fair credit: suites report marketing's funnel and stop at the MQL. Ask which report shows SLA compliance per rep.",
        "When the buyer says they already have Salesforce, position smarketing beside it, not instead of it: import the Salesforce export, run the shared funnel and the SLA, and send status back through webhooks.",
        "Common objection: 'our CRM has lead scoring'. Response: built-in scoring rarely learns from rejections; show the calibration chart and the held-out accuracy.",
    ],
    "abm": [
        "Account-based marketing starts with a target account list built from the ideal customer profile. Engagement is measured per account, across the whole buying committee, not per lead.",
        "A buying committee has a decision maker, a champion, influencers and sometimes a blocker. Map each to a persona and send each the content for their concerns.",
    ],
    "follow-up": [
        "Hi {first_name}, thanks for the time today. As promised, here is the recording of the demo and the one-page summary of the SLA template we discussed. Would Thursday work to walk your sales lead through the lead inbox?",
        "Following up on our call: the three points you raised were routing speed, duplicate leads and the ROI case for your CFO. Each has a short answer in the attached material; I can go deeper on any of them.",
    ],
    "onboarding": [
        "Week one: import your contacts and deals, agree the personas and stage definitions, and write the first version of the SLA. Week two: turn on routing and the lead inbox. Week three: the first weekly smarketing meeting with live figures.",
        "Most teams reach their first monthly report within thirty days; the predictive model needs about two hundred closed leads before it is activated.",
    ],
}

PERSONA_LINES = {
    "marketing-mary": "For marketing leaders who must prove marketing's impact on revenue, not just on leads.",
    "sales-sam": "For sales leaders whose reps waste time on bad leads and need qualified pipeline, faster.",
    "ops-olivia": "For RevOps and marketing operations, who want one clean funnel and reports everyone trusts.",
    "finance-fred": "For finance leaders who need a clear return on spend and a predictable CAC payback.",
}
STAGE_LINES = {
    "subscriber": "New to the topic? Subscribe to the newsletter for one practical idea a week.",
    "lead": "Want the template? Download the full version and share it with your team.",
    "mql": "See how it works with your own data in a 20-minute walkthrough.",
    "sal": "Bring your sales lead to a working session on routing and the SLA.",
    "sql": "We will map your current funnel and show where leads fall through the cracks.",
    "opportunity": "Ready to compare plans? Your account executive will prepare a proposal with the ROI case.",
    "customer": "Already a customer? Book your quarterly review with your success manager.",
    "evangelist": "Share your story: join our customer advisory board and speak at the summit.",
    "recycled": "Not the right time? Here is what changed since we last spoke, in two minutes.",
    "disqualified": "Why a lead was disqualified is feedback marketing uses to target better.",
}

ALL = ["marketing-mary", "sales-sam", "ops-olivia", "finance-fred"]
# (title, kind, personas, stages, topics, industries)
# fmt: off
LIBRARY = [
    ("Marketing and sales SLA: a practical guide", "whitepaper", ["marketing-mary", "sales-sam"], ["lead", "mql"], ["sla", "alignment"], []),
    ("Five signs your handoff is broken", "blog", ["sales-sam", "marketing-mary"], ["subscriber", "lead"], ["alignment", "sla"], []),
    ("How to run the weekly smarketing meeting", "blog", ["marketing-mary", "sales-sam"], ["subscriber"], ["alignment", "reporting"], []),
    ("SLA kickoff deck", "deck", ["sales-sam", "marketing-mary"], ["sal", "sql"], ["sla", "onboarding"], []),
    ("SLA checklist one-pager", "one_pager", ["ops-olivia", "sales-sam"], ["mql", "sal"], ["sla"], []),
    ("Lead scoring that sales trusts", "whitepaper", ["ops-olivia", "sales-sam"], ["lead", "mql"], ["scoring"], []),
    ("Predictive scoring explained", "blog", ["ops-olivia"], ["subscriber", "lead"], ["scoring"], []),
    ("Setting the MQL threshold", "blog", ["marketing-mary", "ops-olivia"], ["lead"], ["scoring", "sla"], []),
    ("Scoring workshop deck", "deck", ["ops-olivia", "marketing-mary"], ["sql"], ["scoring", "onboarding"], []),
    ("The fair attribution handbook", "ebook", ["marketing-mary", "finance-fred"], ["lead", "mql"], ["attribution"], []),
    ("Markov and Shapley attribution, simply", "blog", ["ops-olivia", "marketing-mary"], ["subscriber"], ["attribution"], []),
    ("Attribution for the CFO", "one_pager", ["finance-fred"], ["sql", "opportunity"], ["attribution", "roi"], ["Financial Services"]),
    ("Crediting sales touches in attribution", "blog", ["sales-sam", "marketing-mary"], ["lead"], ["attribution"], []),
    ("Acme: 2x pipeline in six months", "case_study", ["sales-sam", "marketing-mary"], ["sql", "opportunity"], ["pipeline", "roi"], ["Software"]),
    ("Globex Health: 84 percent lead acceptance", "case_study", ["sales-sam", "ops-olivia"], ["sql", "opportunity"], ["pipeline", "sla"], ["Healthcare"]),
    ("Initech Manufacturing: one funnel for three regions", "case_study", ["ops-olivia", "finance-fred"], ["opportunity"], ["pipeline", "reporting"], ["Manufacturing"]),
    ("Umbrella Retail: attribution the board accepts", "case_study", ["marketing-mary", "finance-fred"], ["opportunity", "customer"], ["attribution", "roi"], ["Retail"]),
    ("Stark Financial: CAC payback in five months", "case_study", ["finance-fred"], ["opportunity"], ["roi", "pipeline"], ["Financial Services"]),
    ("Pipeline velocity explained", "blog", ["sales-sam", "finance-fred"], ["subscriber", "lead"], ["pipeline"], []),
    ("The ROI of smarketing", "whitepaper", ["finance-fred", "marketing-mary"], ["mql", "sql"], ["roi"], []),
    ("ROI model worksheet", "calculator", ["finance-fred"], ["opportunity"], ["roi", "pricing"], []),
    ("Payback period FAQ", "one_pager", ["finance-fred"], ["sql", "opportunity"], ["roi", "pricing"], []),
    ("Pricing sheet 2026", "pricing_sheet", ["finance-fred", "sales-sam"], ["opportunity"], ["pricing"], []),
    ("Plans compared", "pricing_sheet", ["finance-fred", "ops-olivia"], ["sql", "opportunity"], ["pricing", "product"], []),
    ("Nonprofit and education pricing", "pricing_sheet", ["finance-fred"], ["opportunity"], ["pricing"], ["Education"]),
    ("Security and privacy overview", "whitepaper", ["ops-olivia", "finance-fred"], ["opportunity"], ["security"], []),
    ("GDPR and data residency one-pager", "one_pager", ["ops-olivia"], ["sql", "opportunity"], ["security"], ["Healthcare", "Financial Services"]),
    ("Single sign-on datasheet", "datasheet", ["ops-olivia"], ["opportunity"], ["security", "integrations"], []),
    ("HubSpot import guide", "blog", ["ops-olivia"], ["sql", "opportunity"], ["integrations"], []),
    ("API and webhooks datasheet", "datasheet", ["ops-olivia"], ["sql", "opportunity"], ["integrations"], ["Software"]),
    ("Tracking snippet quick start", "one_pager", ["ops-olivia", "marketing-mary"], ["customer"], ["integrations", "onboarding"], []),
    ("Closed-loop reporting playbook", "ebook", ["marketing-mary", "ops-olivia"], ["lead", "mql"], ["reporting"], []),
    ("The monthly report, explained", "blog", ["marketing-mary", "finance-fred"], ["subscriber"], ["reporting"], []),
    ("Dashboards for the management review", "deck", ["finance-fred", "marketing-mary"], ["opportunity", "customer"], ["reporting"], []),
    ("Product overview 2026", "deck", ALL, ["sal", "sql"], ["product"], []),
    ("Lead inbox tour", "video", ["sales-sam"], ["sql", "opportunity"], ["product"], []),
    ("Routing rules in ten minutes", "video", ["ops-olivia", "sales-sam"], ["opportunity"], ["product"], []),
    ("Product datasheet", "datasheet", ALL, ["sql"], ["product"], []),
    ("Battlecard: all-in-one marketing suites", "battlecard", ["sales-sam"], ["sql", "opportunity"], ["competitors"], []),
    ("Battlecard: CRM built-in scoring", "battlecard", ["sales-sam", "ops-olivia"], ["opportunity"], ["competitors", "scoring"], []),
    ("Battlecard: spreadsheets and status quo", "battlecard", ["sales-sam", "finance-fred"], ["sal", "sql"], ["competitors", "roi"], []),
    ("Account-based marketing starter kit", "ebook", ["marketing-mary"], ["lead", "mql"], ["abm"], []),
    ("Buying committee map template", "one_pager", ["sales-sam", "marketing-mary"], ["sql", "opportunity"], ["abm"], []),
    ("ABM for manufacturing", "blog", ["marketing-mary"], ["subscriber"], ["abm"], ["Manufacturing"]),
    ("Follow-up after the demo", "email_template", ["sales-sam"], ["sql", "opportunity"], ["follow-up"], []),
    ("Follow-up for the CFO", "email_template", ["finance-fred"], ["opportunity"], ["follow-up", "roi"], []),
    ("Re-engage a recycled lead", "email_template", ALL, ["recycled"], ["follow-up", "scoring"], []),
    ("First touch after an MQL", "email_template", ["sales-sam"], ["mql", "sal"], ["follow-up", "sla"], []),
    ("Onboarding plan: the first 30 days", "one_pager", ["ops-olivia", "marketing-mary"], ["customer"], ["onboarding"], []),
    ("Customer success review deck", "deck", ALL, ["customer", "evangelist"], ["onboarding", "reporting"], []),
    ("Become a reference customer", "one_pager", ALL, ["evangelist"], ["alignment"], []),
    ("Webinar: fixing the MQL", "webinar", ["marketing-mary", "sales-sam"], ["lead", "mql"], ["scoring", "sla"], []),
    ("Webinar: attribution without arguments", "webinar", ["marketing-mary", "finance-fred"], ["lead"], ["attribution"], []),
    ("Healthcare marketing compliance guide", "whitepaper", ["marketing-mary", "ops-olivia"], ["mql"], ["security", "alignment"], ["Healthcare"]),
    ("Professional services: from referral to pipeline", "case_study", ["sales-sam"], ["sql"], ["pipeline"], ["Professional Services"]),
    ("Newsletter: one idea a week", "blog", ALL, ["subscriber"], ["alignment"], []),
    ("Why leads fall through the cracks", "blog", ["sales-sam", "ops-olivia"], ["subscriber", "lead"], ["sla", "product"], []),
    ("Capacity-based routing", "blog", ["ops-olivia"], ["mql"], ["product", "sla"], []),
    ("The handoff point, defined", "one_pager", ["marketing-mary", "sales-sam"], ["mql", "sal"], ["alignment", "sla"], []),
    ("Executive summary for the board", "deck", ["finance-fred"], ["opportunity"], ["roi", "reporting"], []),
    ("Disqualification reasons that teach marketing", "blog", ["sales-sam", "marketing-mary"], ["disqualified", "recycled"], ["scoring", "reporting"], []),
]
# fmt: on
FORMAT_FOR_KIND = {
    "whitepaper": "pdf",
    "ebook": "pdf",
    "case_study": "pdf",
    "pricing_sheet": "pdf",
    "calculator": "pdf",
    "datasheet": "pdf",
    "deck": "pptx",
    "battlecard": "docx",
    "blog": "md",
    "one_pager": "html",
    "email_template": "txt",
    "webinar": "md",
    "video": "md",
}
#: Questions reps heard that the library does not answer: the demo's content gaps.
GAP_QUESTIONS = [
    ("question", "Do you have a Slack integration for lead alerts?", "ops-olivia", "sql"),
    ("question", "Can we get Slack notifications when a lead is routed?", "sales-sam", "sal"),
    ("question", "Is there a mobile app for reps on the road?", "sales-sam", "opportunity"),
    ("objection", "Our legal team needs a SOC 2 Type II report", "finance-fred", "opportunity"),
    ("question", "Do you have a SOC 2 report we can review?", "ops-olivia", "opportunity"),
    ("question", "How long does a Dynamics 365 migration take?", "ops-olivia", "sql"),
]


def body_for(rng: random.Random, title, personas, stages, topics) -> list[str]:
    """The asset's pages: an opening, paragraphs from its topics, persona and stage lines."""
    paras = [f"{title}.", *(PERSONA_LINES[p] for p in personas[:2])]
    for topic in topics:
        bank = BANK[topic]
        paras += rng.sample(bank, k=min(len(bank), rng.randint(2, 3)))
    paras += [STAGE_LINES[s] for s in stages]
    paras = [p.replace("{first_name}", "Ana") for p in paras]
    per_page = 2 if len(paras) > 4 else len(paras)
    return ["\n\n".join(paras[i : i + per_page]) for i in range(0, len(paras), per_page)]


def make_pdf(pages: list[str]) -> bytes:
    """A small, valid PDF (Helvetica, one text page per item) for the demo and the tests."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        None,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for text in pages:
        lines = []
        for para in text.split("\n"):
            lines += textwrap.wrap(para, 88) or [""]
        ops = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
        for line in lines[:52]:
            safe = line.encode("latin-1", "replace").decode("latin-1")
            safe = safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({safe}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Length {len(stream)} >>\nstream\n".encode("latin-1") + stream + b"\nendstream"
        )
        content_no = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents {content_no} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>"
        )
        kids.append(len(objects))
    objects[1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        data = obj if isinstance(obj, bytes) else obj.encode("latin-1")
        out.write(f"{i} 0 obj\n".encode() + data + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def make_pptx(title: str, pages: list[str]) -> bytes:
    """A deck with one slide per page (title + body)."""
    from pptx import Presentation

    deck = Presentation()
    for n, text in enumerate(pages, start=1):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title if n == 1 else f"{title} ({n})"
        slide.placeholders[1].text = text
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def make_docx(title: str, pages: list[str]) -> bytes:
    """A Word document with a heading and the pages as paragraphs."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for text in pages:
        for para in text.split("\n\n"):
            document.add_paragraph(para)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_file(fmt: str, title: str, pages: list[str]) -> tuple[str, bytes]:
    """``(filename, bytes)`` of the asset in ``fmt``."""
    from django.utils.html import escape
    from django.utils.text import slugify

    name = slugify(title)[:80] or "asset"
    if fmt == "pdf":
        return f"{name}.pdf", make_pdf(pages)
    if fmt == "pptx":
        return f"{name}.pptx", make_pptx(title, pages)
    if fmt == "docx":
        return f"{name}.docx", make_docx(title, pages)
    if fmt == "html":
        body = "".join(f"<p>{escape(p)}</p>" for t in pages for p in t.split("\n\n"))
        return f"{name}.html", f"<html><body><h1>{escape(title)}</h1>{body}</body></html>".encode()
    if fmt == "md":
        return f"{name}.md", (f"# {title}\n\n" + "\n\n".join(pages)).encode()
    return f"{name}.txt", "\n\n".join(pages).encode()


def build_library(
    *, rng: random.Random, users: dict, personas: dict, start: dt.datetime, now: dt.datetime
) -> list:
    """Create the library's assets (skipping titles that exist) and return them all."""
    from smarketing.content.actions import do_add_version, do_create_asset
    from smarketing.crm.models import ContentAsset

    owner = users["maria"]
    existing = set(ContentAsset.objects.values_list("title", flat=True))
    made = []
    for i, (title, kind, pslugs, stages, topics, industries) in enumerate(LIBRARY):
        if title in existing:
            continue
        pages = body_for(rng, title, pslugs, stages, topics)
        filename, data = make_file(FORMAT_FOR_KIND.get(kind, "md"), title, pages)
        published = start + dt.timedelta(days=rng.randint(0, 330))
        review = (published + dt.timedelta(days=rng.choice([120, 180, 365]))).date()
        asset = do_create_asset(
            title=title,
            kind=kind,
            owner=owner,
            personas=[personas[s] for s in pslugs],
            stages=stages,
            topics=topics,
            industries=industries,
            review_at=review,
            filename=filename,
            data=data,
            by=owner,
            published_at=published,
        )
        if i % 9 == 0:  # some assets were revised: a second version keeps the first's figures
            pages2 = [*pages[:-1], pages[-1] + "\n\nUpdated with this year's figures."]
            fn2, data2 = make_file(FORMAT_FOR_KIND.get(kind, "md"), title, pages2)
            do_add_version(
                asset=asset, filename=fn2, data=data2, by=owner, note="Refreshed figures"
            )
        made.append(asset)
    # The generator's own starter assets get real text too.
    for asset in ContentAsset.objects.exclude(pk__in=[a.pk for a in made]).prefetch_related(
        "personas"
    ):
        if asset.versions.exists():
            continue
        slugs = [p.slug for p in asset.personas.all() if p.slug in PERSONA_LINES] or [
            "marketing-mary"
        ]
        topics = [t for t in asset.topics if t in BANK] or ["product"]
        stages = [s for s in asset.stages if s in STAGE_LINES]
        pages = body_for(rng, asset.title, slugs, stages, topics)
        fn, data = make_file(FORMAT_FOR_KIND.get(asset.kind, "md"), asset.title, pages)
        do_add_version(asset=asset, filename=fn, data=data, by=owner, note="First upload")
    return list(ContentAsset.objects.all())


def add_content_library(*, rng: random.Random, users: dict, personas: dict, start, now) -> dict:
    """The demo's library, tracked shares with reading times, and the questions sales heard.

    Some of the journeys' content touches move onto the new assets so that influence on won
    deals is spread over the library as a marketer would expect.
    """
    from smarketing.content.actions import do_record_pages, do_share, do_start_visit
    from smarketing.crm.models import Contact, Deal, SalesInsight, Touchpoint

    with transaction.atomic():
        assets = build_library(rng=rng, users=users, personas=personas, start=start, now=now)
        by_persona: dict[int, list] = {}
        for asset in assets:
            for p in asset.personas.all():
                by_persona.setdefault(p.pk, []).append(asset)
        # Spread the journeys' content views over the library, by the viewer's persona.
        touches = list(
            Touchpoint.objects.filter(
                kind__in=("content_view", "content_share"), contact__isnull=False
            ).values_list("pk", "contact__persona_id")[:20000]
        )
        moves: dict[int, list[int]] = {}
        for pk, persona_id in touches:
            if rng.random() < 0.6 and by_persona.get(persona_id):
                moves.setdefault(rng.choice(by_persona[persona_id]).pk, []).append(pk)
        for asset_id, pks in moves.items():
            Touchpoint.objects.filter(pk__in=pks).update(content_id=asset_id)
        # Reps share assets with open-deal contacts; most are opened and read page by page.
        reps = [u for key, u in users.items() if key in ("sam", "sara")]
        contacts = list(
            Contact.objects.filter(
                primary_deals__is_closed=False, do_not_contact=False, persona__isnull=False
            )
            .select_related("account")
            .distinct()[:60]
        )
        shares = views = 0
        for contact in contacts:
            options = by_persona.get(contact.persona_id) or assets
            for asset in rng.sample(options, k=min(len(options), rng.randint(1, 2))):
                when = now - dt.timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 12))
                link = do_share(asset=asset, contact=contact, by=rng.choice(reps), now=when)
                shares += 1
                if rng.random() < 0.7:
                    seen = when + dt.timedelta(hours=rng.randint(1, 30))
                    visit = do_start_visit(
                        link=link, user_agent="Mozilla/5.0 (demo) Chrome/130", now=seen
                    )
                    count = link.version.page_count if link.version else 1
                    read = rng.randint(1, max(count, 1))
                    pages = {str(n): float(rng.randint(15, 240)) for n in range(1, read + 1)}
                    do_record_pages(visit=visit, pages=pages, last_page=read, now=seen)
                    views += 1
        # Questions sales heard that nothing answers yet.
        deals = list(Deal.objects.filter(is_closed=False).order_by("pk")[:40])
        for n in range(24):
            kind, text, pslug, stage = GAP_QUESTIONS[n % len(GAP_QUESTIONS)]
            deal = deals[n % len(deals)] if deals else None
            SalesInsight.objects.create(
                kind=kind,
                text=text,
                persona=personas[pslug],
                stage=stage,
                topic="",
                deal=deal,
                contact=deal.primary_contact if deal else None,
                by=rng.choice(reps),
                at=now - dt.timedelta(days=rng.randint(0, 60)),
            )
    return {"assets": len(assets), "shares": shares, "tracked_views": views}
