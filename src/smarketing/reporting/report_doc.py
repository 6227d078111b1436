"""The document model of a report: one layout, rendered as HTML, PDF and CSV.

A report is a list of sections holding KPIs, tables, charts, text and bullet lists. Every
figure is formatted once, here, into a :class:`Cell` (the text shown, the raw value for CSV,
and -- where a value does not apply -- "—" with the reason), so the HTML page, the mailed
HTML, the PDF and the CSV downloads show the same figures by construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.text import slugify

DASH = "—"


@dataclass
class Cell:
    """One shown figure: ``text`` as displayed, ``value`` for CSV, ``why`` when it is "—"."""

    text: str
    value: object = None
    why: str | None = None
    mark: int = 0  # footnote number within its block (set by the block)


def missing(value) -> bool:
    """Whether a figure is absent (None, NaN or infinite)."""
    if value is None:
        return True
    try:
        return math.isnan(value) or math.isinf(value)
    except TypeError:
        return False


def na(why: str) -> Cell:
    """A figure that does not apply, shown as "—" with the reason."""
    return Cell(DASH, None, why)


def num(value, why: str = "not available", digits: int = 0) -> Cell:
    """A count or amount with thousands separators (``digits`` decimals)."""
    if missing(value):
        return na(why)
    v = float(value)
    return Cell(f"{v:,.{digits}f}", round(v, digits) if digits else int(round(v)))


def money(value, currency: str, why: str = "not available", digits: int = 0) -> Cell:
    """An amount of money in the company's currency (``12,400 USD``)."""
    c = num(value, why, digits)
    if c.why is None:
        c.text = f"{c.text} {currency}"
    return c


def pct(value, why: str = "not available", signed: bool = False) -> Cell:
    """A ratio (0.25) shown as a percentage (``25%``; ``+25%`` when ``signed``)."""
    if missing(value):
        return na(why)
    v = float(value) * 100
    return Cell(f"{v:+,.0f}%" if signed else f"{v:,.0f}%", round(float(value), 4))


def days(value, why: str = "not available") -> Cell:
    """A number of days (one decimal)."""
    if missing(value):
        return na(why)
    return Cell(f"{float(value):.1f}", round(float(value), 1))


def text(value, why: str = "not available") -> Cell:
    """A label or a figure already formatted by the app that owns it."""
    if value is None or value == "" or (isinstance(value, float) and missing(value)):
        return na(why)
    return Cell(str(value), value)


def _mark(cells: list[Cell]) -> list[str]:
    """Number the distinct reasons of the "—" cells; returns the footnotes in order."""
    notes: list[str] = []
    for c in cells:
        if c.why:
            if c.why not in notes:
                notes.append(c.why)
            c.mark = notes.index(c.why) + 1
    return notes


@dataclass
class Table:
    """A table: ``align`` is "l" or "r" per column; ``name`` names its CSV download."""

    title: str
    columns: list[str]
    rows: list[list[Cell]]
    align: str = ""
    empty: str = "No data for this period."
    name: str = ""
    csv: bool = True
    notes: list[str] = field(default_factory=list)
    kind: str = "table"

    def __post_init__(self):
        self.name = self.name or slugify(self.title)
        self.align = self.align or "l" + "r" * (len(self.columns) - 1)
        self.notes = _mark([c for row in self.rows for c in row])

    @property
    def cols(self) -> list[tuple[str, str]]:
        """(label, align) per column, for the templates."""
        return list(zip(self.columns, self.align))

    @property
    def body(self) -> list[list[tuple[Cell, str]]]:
        """Rows as (cell, align) pairs, for the templates."""
        return [list(zip(row, self.align)) for row in self.rows]


@dataclass
class Kpis:
    """Headline figures: (label, cell) pairs."""

    items: list[tuple[str, Cell]]
    notes: list[str] = field(default_factory=list)
    kind: str = "kpis"

    def __post_init__(self):
        self.notes = _mark([c for _, c in self.items])


@dataclass
class Chart:
    """A static chart (PNG bytes) with its title and a text alternative."""

    title: str
    png: bytes
    alt: str
    kind: str = "chart"
    cid: str = ""  # Content-ID of the image in a mailed report (set by the document)

    @property
    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI (the mailed HTML loads no file)."""
        import base64

        return "data:image/png;base64," + base64.b64encode(self.png).decode()


@dataclass
class Text:
    """A paragraph (``muted``: an explanation rather than a figure)."""

    text: str
    muted: bool = False
    kind: str = "text"


@dataclass
class Bullets:
    """A bullet list (``empty`` shown when there are no items)."""

    items: list[str]
    empty: str = ""
    kind: str = "bullets"


@dataclass
class Section:
    """A heading (level 2 or 3) and its blocks."""

    heading: str
    blocks: list = field(default_factory=list)
    level: int = 2


@dataclass
class Document:
    """A whole report: its kind, title, period line and sections."""

    kind: str
    title: str
    subtitle: str
    sections: list[Section]

    def __post_init__(self):
        for i, chart in enumerate(self.charts(), 1):
            chart.cid = f"chart{i}.{self.kind}@smarketing"

    def charts(self) -> list[Chart]:
        """Every chart, in order."""
        return [b for s in self.sections for b in s.blocks if b.kind == "chart"]

    def tables(self) -> list[Table]:
        """Every table with a CSV download, in order."""
        return [b for s in self.sections for b in s.blocks if b.kind == "table" and b.csv]

    def table(self, name: str) -> Table | None:
        """The table named ``name`` (its CSV slug), or ``None``."""
        return next((t for t in self.tables() if t.name == name), None)
