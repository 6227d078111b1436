"""PDF rendering of a report :class:`~smarketing.reporting.report_doc.Document` with fpdf2.

fpdf2 is pure Python (its dependencies, fonttools, Pillow and defusedxml, are wheels), so
PDFs work after a plain ``pip install`` with no system library (WeasyPrint needs Debian's
pango). It lays out the same document as the HTML -- same sections, tables and charts, the
same cell texts -- rather than a second hand-made layout. The font is DejaVu Sans, shipped
inside matplotlib (already needed for the charts), so "—", "·", "→" and superscripts print.
"""

from __future__ import annotations

import io
from pathlib import Path

from smarketing.reporting.report_doc import Document, Kpis, Table

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
INK, MUTED, PURPLE = (29, 35, 48), (93, 103, 120), (122, 79, 240)
LINE, HEAD = (223, 227, 234), (246, 247, 250)


def _font_dir() -> Path:
    import matplotlib  # noqa: PLC0415

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _shown(cell) -> str:
    return cell.text + (str(cell.mark).translate(SUPERSCRIPT) if cell.mark else "")


def _widths(t: Table) -> tuple[float, ...]:
    """Column weights from the longest header word and cell text (headers wrap at spaces)."""
    out = []
    for i, label in enumerate(t.columns):
        word = max((len(w) for w in label.split()), default=1)
        cells = max((len(_shown(r[i])) for r in t.rows), default=1)
        out.append(min(max(word + 1, cells, 4), 34))
    return tuple(out)


def render(doc: Document) -> bytes:
    """The PDF bytes of a report document (A4, DejaVu Sans, page numbers in the footer)."""
    from fpdf import FPDF  # noqa: PLC0415
    from fpdf.fonts import FontFace  # noqa: PLC0415

    class _PDF(FPDF):
        def footer(self):
            self.set_y(-10)
            self.set_font("DejaVu", "", 7)
            self.set_text_color(*MUTED)
            self.cell(0, 4, f"{doc.title} · page {self.page_no()}/{{nb}}", align="R")

    pdf = _PDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(doc.title)
    pdf.set_creator("smarketing")
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, 16)
    pdf.add_page()
    heading = FontFace(emphasis="BOLD", color=MUTED, fill_color=HEAD)

    def para(text: str, size: float = 8.5, *, bold: bool = False, colour=INK, gap: float = 1.5):
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    def notes(block):
        if block.notes:
            line = "   ".join(
                f"{str(i).translate(SUPERSCRIPT)} — {n}" for i, n in enumerate(block.notes, 1)
            )
            para(line, 6.5, colour=MUTED, gap=2)

    def table(t: Table, show_title: bool):
        if show_title:
            para(t.title, 8.5, bold=True, gap=0.5)
        if not t.rows:
            para(t.empty, 8, colour=MUTED, gap=2)
            return
        n = len(t.columns)
        size = 8 if n <= 5 else 6.5 if n <= 8 else 5.8
        pdf.set_font("DejaVu", "", size)
        pdf.set_text_color(*INK)
        widths = _widths(t)
        align = tuple("RIGHT" if a == "r" else "LEFT" for a in t.align)
        with pdf.table(
            col_widths=widths,
            text_align=align,
            headings_style=heading,
            line_height=size * 0.5,
            borders_layout="HORIZONTAL_LINES",
            padding=0.8,
            repeat_headings=1,
            width=pdf.epw,
        ) as tab:
            tab.row(t.columns)
            for row in t.rows:
                tab.row([_shown(c) for c in row])
        pdf.ln(1)
        notes(t)

    def kpis(k: Kpis):
        per_row = 4
        items = k.items
        for i in range(0, len(items), per_row):
            chunk = items[i : i + per_row]
            pdf.set_font("DejaVu", "", 8)
            with pdf.table(
                col_widths=(1,) * per_row,
                text_align="LEFT",
                first_row_as_headings=False,
                borders_layout="NONE",
                line_height=5,
                width=pdf.epw,
            ) as tab:
                values = tab.row()
                for _, c in chunk:
                    values.cell(_shown(c), style=FontFace(emphasis="BOLD", size_pt=13))
                labels = tab.row()
                for label, _ in chunk:
                    labels.cell(label, style=FontFace(color=MUTED, size_pt=7.5))
            pdf.ln(1.5)
        notes(k)

    para(doc.title, 15, bold=True, gap=0.5)
    para(doc.subtitle, 7.5, colour=MUTED, gap=3)
    for s in doc.sections:
        if pdf.get_y() > pdf.h - 45:  # no heading alone at the foot of a page
            pdf.add_page()
        if s.level == 2:
            para(s.heading, 11, bold=True, gap=0)
            pdf.set_draw_color(*PURPLE)
            pdf.set_line_width(0.5)
            pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.w - pdf.r_margin, pdf.get_y() + 0.5)
            pdf.ln(2.5)
        else:
            para(s.heading, 9, bold=True, gap=0.5)
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.2)
        for b in s.blocks:
            if b.kind == "table":
                table(b, b.title != s.heading)
            elif b.kind == "kpis":
                kpis(b)
            elif b.kind == "chart":
                width = pdf.epw
                pdf.image(io.BytesIO(b.png), w=width)
                pdf.ln(2)
            elif b.kind == "text":
                para(b.text, 7.5 if b.muted else 8.5, colour=MUTED if b.muted else INK)
            elif b.kind == "bullets":
                if not b.items:
                    para(b.empty, 8, colour=MUTED)
                for item in b.items:
                    para(f"•  {item}", 8, gap=0.6)
                pdf.ln(1)
    return bytes(pdf.output())
