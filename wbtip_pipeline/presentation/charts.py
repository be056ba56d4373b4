"""Charts of the report: matplotlib (Agg, no pyplot state) rendered to inline SVG strings.

Every chart function takes plain, already-published data (display bounds after disclosure
control; `None` where a figure is not reported, `"withheld"` where it is suppressed), draws
intervals as ranges (a solid bar to the lower bound and a hatched bar up to the upper bound, or a
shaded band) and never as a point alone, and returns a `Chart` with its caption, source line and
a text alternative.

Text goes into the SVG as `<text>` elements (`svg.fonttype: none`); math parsing is off, so a
`$` in a label stays a dollar sign. `svg.py` makes the SVG safe to inline.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap, to_hex, to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from wbtip_pipeline.presentation import cache  # noqa: E402
from wbtip_pipeline.presentation import svg as svg_module  # noqa: E402
from wbtip_pipeline.presentation.svg import (  # noqa: E402, F401  (svg_markup: for callers)
    UnsafeSvgError,
    sanitise_svg,
    svg_markup,
)

Bounds = tuple[float, float]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
INK = "#1a1a1a"
MUTED = "#6b6b6b"
GRID = "#d9d9d9"
WIDTH_IN = 6.7  # the A4 text width of the report
CHAR_IN = 0.058  # average width of a 7-point DejaVu Sans character, for label margins
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "wbtip-report",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 7.5,
    "axes.titlesize": 8,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 7.5,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.color": INK,
    "ytick.color": INK,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "xtick.major.size": 2,
    "ytick.major.size": 0,
    "xtick.major.width": 0.5,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "legend.handlelength": 1.4,
    "hatch.linewidth": 0.6,
}
SEQUENTIAL = LinearSegmentedColormap.from_list("wbtip_blues", ["#f1f6fb", "#9ecae1", "#08519c"])


@dataclass(frozen=True)
class Chart:
    """One chart: inline SVG plus what the report prints around it."""

    key: str
    svg: str
    caption: str
    source: str
    alt: str


# --- drawn charts are kept by what they were drawn from ----------------------------------------
#
# A chart is a pure function of its arguments (published bounds, labels, colours) and of this
# module's code, so a refresh that changes one jurisdiction redraws only the charts whose data
# changed; the others come from the document's cache (`cache.py`). Drawing is most of a
# document's build time (about 0.1 s a chart).

_cached = cache.cached(
    "chart", cache.code_digest(__file__, svg_module.__file__, extra=mpl.__version__)
)


def _figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    return Figure(figsize=(width_in, height_in))


def _margins(
    fig: Figure,
    left: float = 0.45,
    right: float = 0.1,
    top: float = 0.25,
    bottom: float = 0.3,
    hspace: float = 0.45,
    wspace: float = 0.25,
) -> None:
    """Fixed margins in inches (constrained layout doubles the drawing time)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(
        left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h,
        hspace=hspace, wspace=wspace,
    )  # fmt: skip


def _finish(fig: Figure, key: str, caption: str, source: str, alt: str) -> Chart:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return Chart(
        key=key, svg=sanitise_svg(buf.getvalue(), key, alt), caption=caption, source=source, alt=alt
    )


def _grid(ax, axis: str = "y") -> None:
    ax.grid(axis=axis, color=GRID, linewidth=0.5)
    ax.set_axisbelow(True)


def _year_ticks(ax, years: Sequence[int], max_labels: int = 10) -> None:
    if not years:
        return
    step = max(1, -(-len(years) // max_labels))
    ticks = [y for y in years if (years[-1] - y) % step == 0]
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(y) for y in ticks])


def _hatched(color: str) -> dict:
    return {
        "facecolors": to_hex(to_rgba(color, 0.25), keep_alpha=True),
        "edgecolors": color,
        "hatch": "//////",
        "linewidths": 0.5,
    }


def _rects(xs, bottoms, heights, width) -> list:
    return [
        [(x - width / 2, b), (x - width / 2, b + h), (x + width / 2, b + h), (x + width / 2, b)]
        for x, b, h in zip(xs, bottoms, heights, strict=True)
    ]


def _range_bars(ax, xs, bounds, color, width, horizontal=False) -> None:
    """Solid to the lower bound, hatched from the lower to the upper bound; one collection per
    kind (one artist per bar is what makes matplotlib slow)."""
    solid, ranged = [], []
    for x, b in zip(xs, bounds, strict=True):
        if b is None:
            continue
        if b == "withheld":
            ax.text(x, 0, "c", ha="center", va="bottom", fontsize=5.5, color=MUTED)
            continue
        low, high = b
        if low > 0:
            solid.append((x, 0, low))
        if high > low:
            ranged.append((x, low, high - low))
    for parts, style in (
        (solid, {"facecolors": color, "linewidths": 0}),
        (ranged, _hatched(color)),
    ):
        if not parts:
            continue
        verts = _rects(*zip(*parts, strict=True), width)
        if horizontal:
            verts = [[(y, x) for x, y in rect] for rect in verts]
        ax.add_collection(PolyCollection(verts, **style), autolim=False)


# the words a range chart writes itself; a translated document passes its own (`labels=`)
RANGE_LABELS = {
    "exact": "exact count / lower bound",
    "range": "range (e.g. <5 = 0 to 4)",
    "not_reported": "not reported",
}


def range_legend_handles(
    color: str = MUTED, labels: Mapping[str, str] | None = None
) -> list[Patch]:
    words = {**RANGE_LABELS, **(labels or {})}
    return [
        Patch(facecolor=color, label=words["exact"]),
        Patch(
            facecolor=to_hex(to_rgba(color, 0.25), keep_alpha=True),
            edgecolor=color,
            hatch="//////",
            linewidth=0.5,
            label=words["range"],
        ),
    ]


# --- count bars ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """A small-multiple panel: series name -> {year: (low, high) | 'withheld' | None}."""

    title: str
    series: Mapping[str, Mapping[int, object]]
    annotations: Mapping[int, str] | None = None


@_cached
def count_bars(
    key: str,
    panels: Sequence[Panel],
    years: Sequence[int],
    caption: str,
    source: str,
    alt: str,
    *,
    ncols: int = 3,
    panel_height: float = 1.45,
    colors: Mapping[str, str] | None = None,
    ylabel: str = "persons",
    width_in: float = WIDTH_IN,
    labels: Mapping[str, str] | None = None,
    legend_cols: int = 5,
) -> Chart:
    """Counts per year as range bars, one panel per jurisdiction (or one panel with several
    series side by side). `width_in`: narrower than the report's text width draws the type
    larger where the chart is shown smaller (a slide's column). `labels`: the legend's and the
    empty panel's words (`RANGE_LABELS`) in the document's language. `legend_cols`: entries per
    row of the legend (a narrow chart's legend takes two rows)."""
    with mpl.rc_context(STYLE):
        ncols = min(ncols, len(panels)) or 1
        nrows = -(-len(panels) // ncols)
        names = list(dict.fromkeys(n for p in panels for n in p.series))
        legend_rows = -(-(2 + (len(names) if len(names) > 1 else 0)) // legend_cols)
        extra = 0.16 * (legend_rows - 1)  # room for the legend's second row
        fig = _figure(panel_height * nrows + 0.55 + extra, width_in)
        _margins(fig, left=0.45, bottom=0.5 + extra, top=0.22, hspace=0.55, wspace=0.22)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        colors = dict(colors or {})
        for i, name in enumerate(names):
            colors.setdefault(name, PALETTE[i % len(PALETTE)])
        width = 0.8 / max(1, len(names))
        for index, ax in enumerate(axes.flat):
            if index >= len(panels):
                ax.set_visible(False)
                continue
            panel = panels[index]
            _grid(ax)
            top = 0.0
            for s, name in enumerate(names):
                data = panel.series.get(name, {})
                offset = (s - (len(names) - 1) / 2) * width
                bounds = [data.get(y) for y in years]
                _range_bars(ax, [y + offset for y in years], bounds, colors[name], width)
                top = max([top] + [b[1] for b in bounds if isinstance(b, tuple)])
            ymax = max(5.0, top * 1.15)
            if not any(b is not None for n in names for b in panel.series.get(n, {}).values()):
                ax.text(
                    0.5,
                    0.5,
                    {**RANGE_LABELS, **(labels or {})}["not_reported"],
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=MUTED,
                )
            if panel.annotations:
                tops = {
                    y: max(
                        [b[1] for n in names if isinstance(b := panel.series[n].get(y), tuple)]
                        or [0]
                    )
                    for y in years
                }
                for y, text in panel.annotations.items():
                    ax.text(
                        y,
                        tops.get(y, 0) + ymax * 0.01,
                        text,
                        ha="center",
                        va="bottom",
                        fontsize=5.5,
                        color=MUTED,
                    )
            ax.set_title(panel.title)
            ax.set_ylim(0, ymax)
            if years:
                ax.set_xlim(years[0] - 0.7, years[-1] + 0.7)
            _year_ticks(ax, list(years), max_labels=5 if ncols > 1 else 12)
            if index % ncols == 0:
                ax.set_ylabel(ylabel)
        handles = range_legend_handles(labels=labels)
        if len(names) > 1:
            handles = [Patch(facecolor=colors[n], label=n) for n in names] + handles
        cols = min(legend_cols, len(handles))
        rows = -(-len(handles) // cols)
        # matplotlib fills a legend column by column: ordered so that it reads row by row
        handles = [handles[r * cols + c] for c in range(cols) for r in range(rows)
                   if r * cols + c < len(handles)]  # fmt: skip
        fig.legend(handles=handles, loc="lower center", ncols=cols)
        return _finish(fig, key, caption, source, alt)


# --- rates --------------------------------------------------------------------------------


@_cached
def rate_bands(
    key: str,
    series: Mapping[str, Mapping[int, Bounds | None]],
    caption: str,
    source: str,
    alt: str,
    *,
    colors: Mapping[str, str] | None = None,
    ylabel: str = "per 100,000 inhabitants",
) -> Chart:
    """Rates over time, one band per series from the lower to the upper bound; an exact year is
    a band of zero width, drawn as its line; a year alone keeps a vertical range with caps."""
    with mpl.rc_context(STYLE):
        fig = _figure(2.8)
        _margins(fig, left=0.45, bottom=0.3, top=0.1, right=1.55)
        ax = fig.subplots()
        _grid(ax)
        all_years: set[int] = set()
        for i, (name, data) in enumerate(series.items()):
            color = (colors or {}).get(name, PALETTE[i % len(PALETTE)])
            years = sorted(y for y, b in data.items() if b is not None)
            all_years.update(years)
            runs: list[list[int]] = []
            for y in years:
                if runs and y == runs[-1][-1] + 1:
                    runs[-1].append(y)
                else:
                    runs.append([y])
            for run in runs:
                lows = [data[y][0] for y in run]
                highs = [data[y][1] for y in run]
                if len(run) == 1:
                    ax.vlines(run, lows, highs, color=color, linewidth=2.2)
                    ax.hlines(
                        [lows[0], highs[0]], run[0] - 0.15, run[0] + 0.15, color=color, linewidth=1
                    )
                    continue
                ax.fill_between(run, lows, highs, color=color, alpha=0.25, linewidth=0)
                ax.plot(run, lows, color=color, linewidth=1.1)
                if highs != lows:
                    ax.plot(run, highs, color=color, linewidth=1.1)
            ax.plot([], [], color=color, linewidth=4, alpha=0.6, label=name)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        _year_ticks(ax, sorted(all_years), max_labels=12)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _finish(fig, key, caption, source, alt)


# --- shares -------------------------------------------------------------------------------


@_cached
def share_ranges(
    key: str,
    rows: Sequence[str],
    panels: Sequence[str],
    data: Mapping[tuple[str, str], Bounds | None],
    labels: Mapping[tuple[str, str], str],
    caption: str,
    source: str,
    alt: str,
) -> Chart:
    """Shares (0-1) as horizontal range bars: one panel per category, one bar per row, the
    published range written beside it."""
    with mpl.rc_context(STYLE):
        fig = _figure(0.24 * len(rows) + 0.6)
        left = max((len(r) for r in rows), default=10) * CHAR_IN + 0.15
        _margins(fig, left=left, bottom=0.25, top=0.22, wspace=0.12)
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        ys = list(range(len(rows)))[::-1]
        for p, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
            color = PALETTE[p % len(PALETTE)]
            _grid(ax, "x")
            solid, ranged = [], []
            for y, row in zip(ys, rows, strict=True):
                b = data.get((row, panel))
                text = labels.get((row, panel), "–")
                if b is None:
                    ax.text(0.01, y, text, va="center", fontsize=6, color=MUTED)
                    continue
                low, high = b
                if low > 0:
                    solid.append((y, 0, low))
                if high > low:
                    ranged.append((y, low, high - low))
                inside = high > 0.72
                ax.text(
                    high - 0.02 if inside else high + 0.02,
                    y,
                    text,
                    va="center",
                    fontsize=6,
                    ha="right" if inside else "left",
                    color="white" if inside and high - low < 0.05 else INK,
                )
            for parts, style in ((solid, {"facecolors": color}), (ranged, _hatched(color))):
                if parts:
                    verts = _rects(*zip(*parts, strict=True), 0.55)
                    verts = [[(v, u) for u, v in rect] for rect in verts]
                    ax.add_collection(PolyCollection(verts, **style), autolim=False)
            ax.set_xlim(0, 1)
            ax.set_ylim(-0.6, len(rows) - 0.4)
            ax.set_xticks([0, 0.5, 1])
            first, _, last = ax.set_xticklabels(["0%", "50%", "100%"])
            # the end labels inside their panel: one panel's "100%" and the next one's "0%"
            # would otherwise run into each other ("100%0%")
            first.set_horizontalalignment("left")
            last.set_horizontalalignment("right")
            ax.set_title(panel)
            ax.set_yticks(ys)
            ax.set_yticklabels(rows if p == 0 else [])
        return _finish(fig, key, caption, source, alt)


# --- heatmaps -----------------------------------------------------------------------------


def sequential_color(value: float | None, vmax: float = 1.0) -> str | None:
    if value is None:
        return None
    return to_hex(SEQUENTIAL(max(0.0, min(1.0, value / vmax if vmax else 0.0))))


def _text_color(hex_color: str | None) -> str:
    if hex_color is None:
        return MUTED
    r, g, b = mpl.colors.to_rgb(hex_color)
    return "white" if (0.299 * r + 0.587 * g + 0.114 * b) < 0.5 else INK


@_cached
def heatmap(
    key: str,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    colors: Sequence[Sequence[str | None]],
    texts: Sequence[Sequence[str]],
    caption: str,
    source: str,
    alt: str,
    *,
    legend: Sequence[tuple[str, str]] = (),
    xlabel: str = "",
    ylabel: str = "",
    cell_height: float = 0.26,
    fontsize: float = 6,
    rotate_columns: bool = False,
    width_in: float = WIDTH_IN,
) -> Chart:
    """A grid of coloured cells with their published text; empty (None) cells stay white."""
    with mpl.rc_context(STYLE):
        n_rows, n_cols = len(row_labels), len(col_labels)
        lines = max((c.count("\n") + 1 for c in col_labels), default=1)
        col_room = (
            max((len(c) for c in col_labels), default=2) * CHAR_IN
            if rotate_columns
            else 0.12 * lines + 0.05
        )
        top = 0.2 + col_room + (0.2 if xlabel else 0)
        bottom = 0.4 if legend else 0.1
        fig = _figure(cell_height * n_rows + top + bottom, width_in=width_in)
        left = max((len(r) for r in row_labels), default=10) * CHAR_IN + (0.35 if ylabel else 0.15)
        _margins(fig, left=left, top=top, bottom=bottom, right=0.1)
        ax = fig.subplots()
        # one collection for all the cells (a patch per cell is slow to draw and to print)
        cells, fills = [], []
        for r in range(n_rows):
            for c in range(n_cols):
                if colors[r][c]:
                    y = n_rows - 1 - r
                    cells.append([(c, y), (c, y + 1), (c + 1, y + 1), (c + 1, y)])
                    fills.append(colors[r][c])
        if cells:
            ax.add_collection(
                PolyCollection(cells, facecolors=fills, edgecolors="white", linewidths=0.8),
                autolim=False,
            )
        ax.add_patch(Rectangle((0, 0), n_cols, n_rows, fill=False, edgecolor=GRID, linewidth=0.6))
        for r in range(n_rows):
            for c in range(n_cols):
                if texts[r][c]:
                    ax.text(
                        c + 0.5,
                        n_rows - 0.5 - r,
                        texts[r][c],
                        ha="center",
                        va="center",
                        fontsize=fontsize,
                        color=_text_color(colors[r][c]),
                    )
        ax.set_xlim(0, n_cols)
        ax.set_ylim(0, n_rows)
        ax.set_xticks([c + 0.5 for c in range(n_cols)])
        ax.set_xticklabels(col_labels, rotation=90 if rotate_columns else 0)
        ax.set_yticks([n_rows - 0.5 - r for r in range(n_rows)])
        ax.set_yticklabels(row_labels)
        ax.tick_params(length=0, labeltop=True, labelbottom=False, top=False, bottom=False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if xlabel:
            ax.set_xlabel(xlabel)
            ax.xaxis.set_label_position("top")
        if ylabel:
            ax.set_ylabel(ylabel)
        if legend:
            handles = [Patch(facecolor=c, edgecolor=GRID, label=lbl) for lbl, c in legend]
            fig.legend(handles=handles, loc="lower center", ncols=min(5, len(handles)))
        return _finish(fig, key, caption, source, alt)
