"""Static charts of the reports (PNG), drawn server-side with matplotlib.

The reports are mailed and printed, so their charts cannot be Plotly (JavaScript): they are
PNG images, embedded as ``data:`` URIs in the HTML and as images in the PDF. matplotlib
installs as a wheel with its own fonts (no system library) and draws without a display
(the Agg canvas of a bare ``Figure``; pyplot's global state is never used, so requests in
threads do not share figures). It is imported only when a chart is drawn.

Each function takes plain tuples and returns PNG bytes, or ``None`` when there is nothing to
draw (the report then says "No data for this period"). Results are memoised by their input:
the same figures always give the same picture.
"""

from __future__ import annotations

import io
from functools import lru_cache

PURPLE, GREEN, GREY, RED = "#7a4ff0", "#0f9d74", "#9aa3b2", "#d93f3f"
INK, MUTED = "#1d2330", "#5d6778"
WIDTH, DPI = 7.2, 110


def _figure(height: float):
    from matplotlib.figure import Figure  # noqa: PLC0415 (heavy; only when drawing)

    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    fig.patch.set_facecolor("white")
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color(GREY)
    ax.spines["bottom"].set_color(GREY)
    ax.tick_params(colors=MUTED, labelsize=8)
    return fig, ax


def _png(fig, ax, title: str, *, labels=(), bottom: float = 0.5) -> bytes:
    """Title, fixed margins and the PNG. Margins are computed from the longest y label and
    the figure height instead of ``tight_layout`` (which draws the figure twice)."""
    ax.set_title(title, loc="left", fontsize=10, color=INK, fontweight="bold")
    height = fig.get_figheight()
    width = 0.35 + 0.075 * max((len(str(x)) for x in labels), default=6)  # inches at 8 pt
    fig.subplots_adjust(
        left=min(width / WIDTH, 0.4),
        right=0.97,
        top=1 - 0.32 / height,
        bottom=bottom / height,
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _thousands(ax, axis: str = "x"):
    """Whole-number ticks with thousands separators (no "0, 0, 1, 1" on small counts)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: PLC0415

    a = ax.xaxis if axis == "x" else ax.yaxis
    a.set_major_locator(MaxNLocator(integer=True))
    a.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _slots(ax, n: int):
    """Keep bars narrow when there are few groups."""
    ax.set_xlim(-0.6, max(n, 4) - 0.4)


@lru_cache(maxsize=64)
def funnel(steps: tuple[tuple[str, int], ...], title: str = "Funnel") -> bytes | None:
    """Horizontal bars: contacts reaching each funnel step (first step on top)."""
    if not steps or not any(n for _, n in steps):
        return None
    fig, ax = _figure(2.4)
    labels = [s for s, _ in steps][::-1]
    values = [n for _, n in steps][::-1]
    bars = ax.barh(labels, values, color=PURPLE, height=0.6)
    ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=8, color=INK)
    ax.set_xlabel("contacts reaching the step", fontsize=8, color=MUTED)
    ax.set_xlim(0, max(values) * 1.15)
    _thousands(ax)
    return _png(fig, ax, title, labels=labels)


@lru_cache(maxsize=64)
def revenue_cost(
    rows: tuple[tuple[str, float, float | None], ...], currency: str, title: str
) -> bytes | None:
    """Grouped bars per group (channel): won revenue and marketing cost, in ``currency``."""
    rows = tuple(r for r in rows if r[1] or r[2])
    if not rows:
        return None
    fig, ax = _figure(2.8)
    x = range(len(rows))
    w = 0.38
    ax.bar([i - w / 2 for i in x], [r[1] for r in rows], w, color=GREEN, label="Revenue (won)")
    ax.bar([i + w / 2 for i in x], [r[2] or 0 for r in rows], w, color=GREY, label="Cost")
    ax.set_xticks(list(x), [r[0] for r in rows], fontsize=8)
    _slots(ax, len(rows))
    ax.set_ylabel(currency, fontsize=8, color=MUTED)
    _thousands(ax, "y")
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    return _png(fig, ax, title, labels=("1,000,000",), bottom=0.45)


@lru_cache(maxsize=64)
def pacing(metrics: tuple[tuple[str, float, float, float, bool], ...], title: str) -> bytes | None:
    """Per goal metric (label, target, expected, actual, behind): actual and expected to
    date as % of the period's target; red when planning says the metric is behind."""
    metrics = tuple(m for m in metrics if m[1])
    if not metrics:
        return None
    fig, ax = _figure(0.5 + 0.42 * len(metrics))
    labels = [m[0] for m in metrics][::-1]
    actual = [100 * m[3] / m[1] for m in metrics][::-1]
    expected = [100 * m[2] / m[1] for m in metrics][::-1]
    colours = [RED if m[4] else GREEN for m in metrics][::-1]
    y = range(len(labels))
    ax.barh(list(y), actual, height=0.55, color=colours, label="Actual to date")
    ax.scatter(expected, list(y), marker="|", s=260, color=INK, label="Expected to date", zorder=3)
    ax.axvline(100, color=GREY, linewidth=0.8, linestyle="--")
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.set_xlabel("% of the period's target", fontsize=8, color=MUTED)
    ax.set_xlim(0, max(110, *actual, *expected) * 1.05)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return _png(fig, ax, title, labels=labels, bottom=0.45)


@lru_cache(maxsize=64)
def comparison(
    figures: tuple[tuple[str, float, float], ...], labels: tuple[str, str], title: str
) -> bytes | None:
    """Grouped bars: each figure this period vs the previous one."""
    if not figures or not any(a or b for _, a, b in figures):
        return None
    fig, ax = _figure(2.6)
    x = range(len(figures))
    w = 0.38
    ax.bar([i - w / 2 for i in x], [f[2] for f in figures], w, color=GREY, label=labels[1])
    bars = ax.bar([i + w / 2 for i in x], [f[1] for f in figures], w, color=PURPLE, label=labels[0])
    ax.bar_label(bars, labels=[f"{f[1]:,.0f}" for f in figures], padding=2, fontsize=7)
    ax.set_xticks(list(x), [f[0] for f in figures], fontsize=8)
    _slots(ax, len(figures))
    ax.set_ylim(0, max(max(f[1], f[2]) for f in figures) * 1.15)  # room for the labels
    ax.set_ylabel("count", fontsize=8, color=MUTED)
    _thousands(ax, "y")
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    return _png(fig, ax, title, labels=("10,000",), bottom=0.3)
