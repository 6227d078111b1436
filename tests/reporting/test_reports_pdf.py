"""The reports as documents: PDF (text extracted with pypdf) == HTML figures, charts in both,
"—" with a reason where a figure does not apply, CSV per table, the CLI and the e-mail."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from smarketing.reporting import reports
from smarketing.reporting.actions import do_set_recipient
from smarketing.reporting.report_doc import DASH

pypdf = pytest.importorskip("pypdf")
pytestmark = pytest.mark.django_db
MONTH, WEEK = "2026-01", "2026-W02"
CASES = [("monthly", MONTH), ("weekly", WEEK), ("management", MONTH)]


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _pdf_images(data: bytes) -> int:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return sum(len(page.images) for page in reader.pages)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _figures(doc):
    """Every KPI and every table cell of a document (the figures a reader checks)."""
    for s in doc.sections:
        for b in s.blocks:
            if b.kind == "kpis":
                yield from (c.text for _, c in b.items)
            elif b.kind == "table":
                yield from (c.text for row in b.rows for c in row)


@pytest.mark.parametrize(("kind", "period"), CASES)
def test_pdf_has_the_html_figures_and_the_charts(tiny, kind, period):
    doc = reports.document(reports.BUILDERS[kind](period))
    html = reports.render_html(doc)
    pdf = reports.render_pdf(doc)
    assert pdf[:5] == b"%PDF-"
    text = _norm(_pdf_text(pdf))
    assert doc.title in text
    for figure in _figures(doc):
        assert figure in html
        assert _norm(figure) in text, f"{kind}: {figure!r} is in the HTML, not in the PDF"
    charts = [b for s in doc.sections for b in s.blocks if b.kind == "chart"]
    assert charts, "the report draws its charts"
    assert html.count('src="data:image/png;base64,') == len(charts)
    assert _pdf_images(pdf) == len(charts)


def test_monthly_pdf_kpis_and_funnel_counts(tiny):
    ctx = reports.monthly_context(MONTH)
    text = _norm(_pdf_text(reports.render_pdf(ctx)))
    # the hand-built month: 3 leads, 2 MQLs, 1 SQL, 1 won deal of 1,000, cost 310
    assert "1,000 USD" in text and "310 USD" in text and "+223%" in text
    counts = [s["count"] for s in ctx["funnel"]]
    assert counts == [3, 2, 1, 1, 1]
    assert re.search(r"Leads 3 67% .*MQLs 2 50%", text)


def test_not_applicable_is_a_dash_with_its_reason(tiny):
    doc = reports.document(reports.monthly_context(MONTH))
    html = reports.render_html(doc)
    assert not re.search(r"\bnan\b", html, re.I)
    assert "None" not in html and "-100%" not in html
    funnel = doc.table("funnel")
    won = funnel.rows[-1]
    assert won[0].text == "Won" and won[2].text == DASH and "last step" in won[2].why
    assert "Won is the last step" in html  # the footnote under the table
    assert 'title="Won is the last step: there is no next step"' in html
    by_persona = doc.table("closed-loop-persona")
    assert all(r[7].text == DASH and "persona" in r[7].why for r in by_persona.rows)
    # organic has no cost: ROI does not apply (never "-100%")
    organic = next(r for r in doc.table("closed-loop-channel").rows if r[0].text == "organic")
    assert organic[9].text == DASH and "cost" in organic[9].why


@pytest.mark.parametrize(
    ("kind", "period"), [("monthly", "2025-06"), ("weekly", "2025-W23"), ("management", "2025-06")]
)
def test_empty_period_reads_dashes_not_nan(tiny, kind, period):
    doc = reports.document(reports.BUILDERS[kind](period))
    html = reports.render_html(doc)
    assert not re.search(r"\bnan\b", html, re.I) and "None" not in html
    pdf_text = _pdf_text(reports.render_pdf(doc))
    assert "nan" not in pdf_text.split() and "None" not in pdf_text


def test_csv_per_table(tiny):
    ctx = reports.monthly_context(MONTH)
    rows = list(csv.reader(io.StringIO(reports.render_csv(ctx, "funnel"))))
    assert rows[0] == ["Step", "Contacts", "Conversion to next", "Median days to next"]
    assert rows[1][:3] == ["Leads", "3", "0.6667"]
    assert rows[-1] == ["Won", "1", "", ""]  # does not apply: empty, not "nan"
    first = list(csv.reader(io.StringIO(reports.render_csv(ctx))))
    assert first[0][0] == "Step"
    with pytest.raises(reports.ReportError, match="table: 'nope'.*funnel"):
        reports.render_csv(ctx, "nope")


def test_cli_pdf_csv_and_errors(tiny, tmp_path):
    out = tmp_path / "m.pdf"
    call_command("report", "monthly", "--month", MONTH, "--format", "pdf", "-o", str(out))
    assert "Funnel" in _pdf_text(out.read_bytes())
    for kind, flag, period in (("weekly", "--week", WEEK), ("management", "--month", MONTH)):
        p = tmp_path / f"{kind}.pdf"
        call_command("report", kind, flag, period, "--format", "pdf", "-o", str(p))
        assert p.read_bytes()[:4] == b"%PDF"
    buf = io.StringIO()
    call_command(
        "report", "monthly", "--month", MONTH, "--format", "csv", "--table", "funnel", stdout=buf
    )
    assert buf.getvalue().startswith("Step,Contacts")
    with pytest.raises(CommandError, match="-o FILE"):
        call_command("report", "monthly", "--month", MONTH, "--format", "pdf")
    with pytest.raises(CommandError, match="month must be 01 to 12"):
        call_command("report", "monthly", "--month", "2026-13")
    with pytest.raises(CommandError, match="table"):
        call_command("report", "monthly", "--month", MONTH, "--format", "csv", "--table", "x")


def test_mail_carries_html_and_pdf(tiny, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    do_set_recipient(email="boss@example.com", kind="weekly")
    from smarketing.reporting.delivery import send_report

    assert send_report("weekly", WEEK) == ["boss@example.com"]
    (msg,) = mail.outbox
    files = [a for a in msg.attachments if isinstance(a, tuple)]
    images = [a for a in msg.attachments if not isinstance(a, tuple)]
    assert [f[0] for f in files] == [
        f"smarketing-weekly-{WEEK}.html",
        f"smarketing-weekly-{WEEK}.pdf",
    ]
    assert files[1][1][:4] == b"%PDF"
    assert 'src="data:image/png;base64,' in files[0][1]  # the file opens anywhere
    body = msg.alternatives[0][0]
    assert "<script" not in body and "data:image" not in body
    cids = re.findall(r'src="cid:([^"]+)"', body)
    assert cids and [i["Content-ID"] for i in images] == [f"<{c}>" for c in cids]
    raw = msg.message().as_string()
    assert "multipart/related" in raw and "image/png" in raw
