"""Static charts for the reports: vector SVGs that read in greyscale and carry full alt text.

Every chart is a `Chart`: SVG bytes plus an alt text sentence that says what the chart shows
(it is also the visible caption). SVG keeps lines and text sharp at any zoom, on a phone and
in print (Typst embeds it as vector graphics, so no PDF holds a chart raster). Figures are
built with the object-oriented matplotlib API (`Figure`, never pyplot), so nothing is kept in
a global figure registry after encoding.
RAG is shown by marker shape as well as colour; lines differ by style, not colour alone.
Plain matplotlib is used (seaborn's import alone costs a second per notebook run).
"""

from __future__ import annotations

import base64
import io
import textwrap
from dataclasses import dataclass

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from qprlib.tables import (
    DIRECTION_WORDS,
    NO_RATING_COLOUR,
    RAG_COLOURS,
    SPC_ASSURANCE_WORDS,
    SPC_VARIATION_WORDS,
    format_value,
    md_escape,
)

matplotlib.use("Agg")  # static images; no display needed under papermill or cron

# 7 inches wide: printed at the A4 text width (6.85 in) the 10 pt labels stay >= 9.5 pt, and
# on screen (CSS width 48rem = 768 px for 672 px of SVG) they are >= 14 px.
WIDTH, HEIGHT, DPI = 7.0, 2.5, 96  # inches, inches, SVG user units per inch (CSS pixels)
FONT_SIZE = 10  # points, axis and legend text alike
MARGINS = (0.95, 2.05, 0.45, 0.1)  # left, right (the legend), bottom, top, in inches
INK, GRID, BAND = "#0b0c0c", "#d8dadb", "#dbe6f0"
RAG_MARKERS = {"Green": "o", "Amber": "D", "Red": "X"}  # shape carries RAG without colour
RAG_MARKER_SIZES = {"Green": 40, "Amber": 34, "Red": 64}  # similar visual weight
# NHS Making Data Count point colours, darkened to >= 3:1 on white; shapes differ as well.
SPC_STYLE = {  # legend words as the reading says them (spc_reading), not SPC jargon
    "common_cause": ("#6f777b", "o", "Normal variation"),
    "special_cause_improvement": ("#1d70b8", "^", "Unusual: better"),
    "special_cause_concern": ("#a8005a", "v", "Unusual: worse"),  # not Amber's orange
    "special_cause_neutral_high": ("#4c2c92", "D", "Unusual: higher"),
    "special_cause_neutral_low": ("#4c2c92", "D", "Unusual: lower"),
}
STYLE = {
    "font.size": FONT_SIZE,
    "svg.fonttype": "path",  # text as outlines: the same glyphs everywhere, no font needed
    "svg.hashsalt": "qprlib",  # fixed element ids: the same chart gives the same bytes
    "text.parse_math": False,  # names from the data ("$5", "$\\frac{$") drawn as typed, not maths
    "axes.edgecolor": "#505a5f",
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.frameon": False,
    "legend.fontsize": FONT_SIZE,
}


@dataclass(frozen=True)
class Chart:
    """A rendered chart: SVG bytes and the sentence that describes it (alt text and caption).

    Its Markdown is `![alt](data:image/svg+xml;base64,...)`, which both render engines take.
    """

    svg: bytes
    alt: str

    def data_uri(self) -> str:
        """The SVG as a `data:` URI, so a report is one self-contained file."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")

    def _repr_markdown_(self) -> str:
        return f"![{md_escape(self.alt)}]({self.data_uri()})"

    def _repr_svg_(self) -> str:
        return self.svg.decode("utf-8")

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.alt)


def _figure(height: float = HEIGHT, title_space: float = 0.0) -> tuple[Figure, object]:
    """A time-series figure with fixed margins (inches): room for long tick labels on the left
    and the legend on the right. Fixed margins lay out in half the time of constrained layout.
    """
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    left, right, bottom, top = MARGINS
    fig.subplots_adjust(
        left=left / WIDTH, right=1 - right / WIDTH, bottom=bottom / height,
        top=1 - (top + title_space) / height,
    )  # fmt: skip
    return fig, fig.add_subplot()


def _encode(fig: Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    # no date or creator in the metadata: the same chart gives the same bytes (build stamps)
    metadata = {"Date": None, "Creator": None}
    fig.savefig(buffer, format="svg", dpi=DPI, facecolor="white", metadata=metadata)
    fig.clear()  # free the artists now; the Figure is not registered with pyplot
    return Chart(buffer.getvalue(), alt)


class _TickFormatter(Formatter):
    """Y tick labels in the unit, with just enough decimals that no two ticks read the same
    (a narrow range of 84.9 to 85.1 gets 84.95%, 85.00%, 85.05%, not 85.0% three times)."""

    def __init__(self, unit: str):
        self.unit = unit

    def __call__(self, x, pos=None) -> str:
        return self.format_ticks([x])[0]

    def format_ticks(self, values) -> list[str]:
        values = [float(v) for v in values]
        places = next(
            (
                p
                for p in range(7)
                if all(abs(round(v, p) - v) < 1e-9 * max(1.0, abs(v)) for v in values)
            ),
            6,
        )  # the fewest decimals that show every tick exactly: distinct ticks, distinct labels
        spread = max(values) - min(values) if values else 0.0
        if self.unit == "currency" and spread >= 1e5 and all(abs(v) % 1e5 < 1e-6 for v in values):
            return [format_value(v, "currency") for v in values]
        prefix, suffix = {"percent": ("", "%"), "currency": ("£", "")}.get(self.unit, ("", ""))
        return [f"{prefix}{v:,.{places}f}{suffix}" for v in values]


def _axis_formatter(unit: str) -> Formatter:
    return _TickFormatter(unit)


def _unit_label(unit: str) -> str:
    return {"percent": "Per cent", "days": "Days", "currency": "£", "rate": "Rate"}.get(
        unit, "Number"
    )


def _month_span(dates: pd.Series) -> str:
    return f"from {dates.min():%B %Y} to {dates.max():%B %Y}"


def _style_time_axis(ax, dates: pd.Series, unit: str) -> None:
    ax.yaxis.set_major_formatter(_axis_formatter(unit))
    whole = unit in ("number", "days", "currency")  # counts: no 2.5 ticks
    nice = [1, 2, 2.5, 5, 10]  # round steps: 80, 82.5, 85 or 80, 85, 90, never 79.5, 81, 82.5
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=nice, min_n_ticks=3, integer=whole))
    ax.set_ylabel(_unit_label(unit))
    span_days = (dates.max() - dates.min()).days if len(dates) else 0
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{mdates.num2date(x):%b %Y}"))
    # 10 pt labels: at most about five along 5 inches
    months = (3, 6, 9, 12) if span_days < 400 else (3, 9) if span_days < 800 else (3,)
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=months))


def _legend(ax) -> None:
    fig = ax.figure
    x = ax.get_position().x1 + 0.1 / WIDTH
    fig.legend(loc="upper left", bbox_to_anchor=(x, ax.get_position().y1), handlelength=1.8)


def _rag_position(rag: str | None, polarity: str, value: str, target: str, floor: str) -> str:
    below = "above" if polarity == "lower" else "below"  # the worse side of a line
    if rag == "Red":
        return f"{below} the floor standard of {floor} (Red); target {target}"
    if rag == "Amber":
        return f"meeting the floor standard of {floor} but {below} the target of {target} (Amber)"
    if rag == "Green":
        return f"meeting the target of {target} (Green); floor standard {floor}"
    return f"not rated; target {target}, floor standard {floor}"


def _shape_words(shown: pd.DataFrame, unit: str, monthly: bool = True) -> str:
    """The line's shape: 'from 70.3% in October 2021 to 84.6% in September 2023, lowest
    69.1% in March 2022, highest 85.0% in July 2023'."""
    first, last = shown.iloc[0], shown.iloc[-1]

    def at(point) -> str:
        return f"{format_value(point['value'], unit)} in {point['period_end']:%B %Y}"

    words = f"from {at(first)} to {at(last)}"
    if len(shown) > 2:
        low, high = shown.loc[shown["value"].idxmin()], shown.loc[shown["value"].idxmax()]
        extremes = [
            f"{name} {at(point)}"
            for name, point in (("lowest", low), ("highest", high))
            if point["period_end"] not in (first["period_end"], last["period_end"])
        ]
        if extremes:
            words += ", " + ", ".join(extremes)
    return words


def _gaps_words(history: pd.DataFrame) -> str:
    """'; no value for December 2022' when periods inside the chart have no value."""
    h = history.sort_values("period_end")
    shown = h["value"].notna()
    if not shown.any():
        return ""
    inside = h.loc[shown.idxmax() :] if shown.idxmax() in h.index else h
    missing = [f"{d:%B %Y}" for d in inside.loc[inside["value"].isna(), "period_end"]]
    if not missing:
        return ""
    return "; no value for " + ", ".join(missing)


def _target_changes(history: pd.DataFrame, unit: str) -> str:
    """'; the target changed from 80% to 85% in April 2023' (targets are set per year)."""
    h = history.sort_values("period_end").dropna(subset=["target"])
    changes = []
    for (_, before), (_, after) in zip(h.iloc[:-1].iterrows(), h.iloc[1:].iterrows(), strict=True):
        if before["target"] != after["target"]:
            changes.append(
                f"the target changed from {format_value(before['target'], unit)} to "
                f"{format_value(after['target'], unit)} in {after['period_end']:%B %Y}"
            )
    return "".join(f"; {c}" for c in changes)


def kpi_alt(
    name: str,
    frequency: str,
    history: pd.DataFrame,
    unit: str,
    polarity: str,
    direction: str | None = None,
) -> str:
    """What the KPI chart shows: its span, the line's shape, where the latest point sits
    against target and floor, missing periods, target changes and the direction of travel
    judged over the period shown."""
    shown = history.dropna(subset=["value"])
    if shown.empty:
        return f"Line chart of {name}: no values to show."
    last = shown.iloc[-1]
    target, floor = (format_value(last[c], unit) for c in ("target", "floor"))
    value = format_value(last["value"], unit, against=(last["target"], last["floor"]))
    better = {"higher": " (higher is better)", "lower": " (lower is better)"}.get(polarity, "")
    position = _rag_position(last["rag"], polarity, value, target, floor)
    words = (
        f"Line chart of {name}, {frequency} {_month_span(shown['period_end'])}{better}: "
        f"latest {value} in {last['period_end']:%B %Y}, {position}"
    )
    if len(shown) > 1:
        words += f". The line runs {_shape_words(shown, unit)}"
    words += _gaps_words(history) + _target_changes(history, unit)
    if direction in DIRECTION_WORDS:
        words += f". Direction of travel over the period shown: {DIRECTION_WORDS[direction][0]}"
    return words + "."


# Comparator lines (qprlib.compare.series): colour, line style and marker each differ from
# the target (dashed) and floor (dotted) lines, which are black.
COMPARATOR_STYLE = {False: ("#1d70b8", "-", "s"), True: ("#4c2c92", "-.", "^")}  # ranked, published


def comparator_label(group: str, published: bool) -> str:
    """'Median of similar councils' (a ranked group) or 'England' (a published figure)."""
    return group if published else f"Median of {group}"


def _comparator_lines(ax, comparators: pd.DataFrame, start, end) -> None:
    shown = comparators.loc[comparators["period"].between(start, end)]
    for (group, published), line in shown.groupby(["group", "published"], sort=False):
        colour, style, marker = COMPARATOR_STYLE[bool(published)]
        line = line.sort_values("period")
        ax.plot(line["period"], line["value"], color=colour, linestyle=style, linewidth=1.3,
                marker=marker, markersize=4,
                label=textwrap.fill(comparator_label(group, bool(published)), 18),
                zorder=1.5)  # fmt: skip


def comparator_alt(comparators: pd.DataFrame, unit: str, end) -> str:
    """' Median of similar councils 75.2% and England 74.3% in June 2023.' ('' without)."""
    shown = comparators.loc[comparators["period"] <= end]
    if shown.empty:
        return ""
    latest = shown["period"].max()
    at = shown.loc[shown["period"] == latest]
    parts = [
        f"{comparator_label(r.group, bool(r.published))} {format_value(r.value, unit)}"
        for r in at.itertuples(index=False)
    ]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f" {joined} in {latest:%B %Y}."


def kpi_chart(
    name: str,
    history: pd.DataFrame,
    unit: str,
    polarity: str,
    frequency: str = "monthly",
    comparators: pd.DataFrame | None = None,
    direction: str | None = None,
) -> Chart:
    """KPI history with target and floor lines, each point marked by RAG (shape and colour).

    Needs history columns period_end, value, target, floor, rag (one indicator, oldest first).
    `comparators`: compare.series rows of this KPI (group, published, period, value), drawn
    as the comparator median and published-figure lines within the charted period.
    The report passes the direction of travel's window as the history, and its `direction`
    for the alt text and caption.
    """
    h = history.sort_values("period_end")
    with matplotlib.rc_context(STYLE):
        fig, ax = _figure()
        extra = ""
        if comparators is not None and len(comparators) and len(h):
            first, last = h["period_end"].min(), h["period_end"].max()
            _comparator_lines(ax, comparators, first, last)
            extra = comparator_alt(comparators.loc[comparators["period"] >= first], unit, last)
        ax.plot(h["period_end"], h["value"], color="#505a5f", linewidth=1.2, zorder=2)
        for line, column, style in (("Target", "target", "--"), ("Floor standard", "floor", ":")):
            ax.plot(
                h["period_end"],
                h[column],
                color=INK,
                linestyle=style,
                linewidth=1.2,
                drawstyle="steps-mid",
                label=line,
                zorder=1,
            )
        for rating, marker in RAG_MARKERS.items():
            points = h[h["rag"] == rating]
            if len(points):
                ax.scatter(
                    points["period_end"],
                    points["value"],
                    marker=marker,
                    s=RAG_MARKER_SIZES[rating],
                    zorder=3,
                    color=RAG_COLOURS[rating]["mark"],
                    edgecolor="white",
                    linewidth=0.6,
                    label=rating,
                )
        unrated = h[h["value"].notna() & ~h["rag"].isin(list(RAG_MARKERS))]
        if len(unrated):
            ax.scatter(
                unrated["period_end"],
                unrated["value"],
                marker=".",
                s=30,
                zorder=3,
                color=NO_RATING_COLOUR["mark"],
                label="Not rated",
            )
        _style_time_axis(ax, h["period_end"], unit)
        _legend(ax)
        alt = kpi_alt(name, frequency, h, unit, polarity, direction) + extra
        return _encode(fig, alt)


def activity_alt(name: str, frequency: str, history: pd.DataFrame, unit: str) -> str:
    """One sentence: the activity series, its latest value and the expected range."""
    shown = history.dropna(subset=["value"])
    if shown.empty:
        return f"Line chart of {name}: no values to show."
    last = shown.iloc[-1]
    lower, upper = (format_value(last[c], unit) for c in ("lower", "upper"))
    value = format_value(last["value"], unit, against=(last["lower"], last["upper"]))
    if pd.isna(last["lower"]) or pd.isna(last["upper"]):
        where = "no expected range set"
    elif last["value"] > last["upper"]:
        where = f"above the expected range of {lower} to {upper}"
    elif last["value"] < last["lower"]:
        where = f"below the expected range of {lower} to {upper}"
    else:
        where = f"within the expected range of {lower} to {upper}"
    return (
        f"Line chart of activity indicator {name}, {frequency} {_month_span(shown['period_end'])}: "
        f"latest {value} in {last['period_end']:%B %Y}, {where}."
    )


def activity_chart(
    name: str, history: pd.DataFrame, unit: str, frequency: str = "monthly"
) -> Chart:
    """An activity indicator against its expected range (a shaded band); outliers marked.

    Needs history columns period_end, value, lower, upper (one indicator, oldest first).
    """
    h = history.sort_values("period_end")
    above, below = h["value"] > h["upper"], h["value"] < h["lower"]
    within = ~(above | below)
    with matplotlib.rc_context(STYLE):
        fig, ax = _figure()
        ax.fill_between(
            h["period_end"],
            h["lower"],
            h["upper"],
            step="mid",
            facecolor=BAND,
            edgecolor="#1d70b8",  # outlined: a pale band alone vanishes on a greyscale print
            linewidth=0.9,
            label="Expected range",
        )
        ax.plot(h["period_end"], h["value"], color="#505a5f", linewidth=1.2)
        for mask, marker, label in (
            (within, "o", "Within range"),
            (above, "^", "Above range"),
            (below, "v", "Below range"),
        ):
            if mask.any():
                ax.scatter(
                    h.loc[mask, "period_end"],
                    h.loc[mask, "value"],
                    marker=marker,
                    s=34,
                    color=INK if marker == "o" else "#1d70b8",
                    edgecolor="white",
                    linewidth=0.6,
                    label=label,
                    zorder=3,
                )
        _style_time_axis(ax, h["period_end"], unit)
        _legend(ax)
        return _encode(fig, activity_alt(name, frequency, h, unit))


def rag_by_area_alt(counts: pd.DataFrame) -> str:
    """One sentence listing each service area's Green, Amber and Red counts."""
    parts = [
        f"{area} {row['Green']} Green, {row['Amber']} Amber, {row['Red']} Red"
        for area, row in counts.iterrows()
    ]
    return "Stacked bar chart of KPIs by RAG rating in each service area: " + "; ".join(parts) + "."


def rag_by_area_chart(assessment: pd.DataFrame) -> Chart:
    """Horizontal stacked bars: Green, Amber and Red KPI counts per service area, labelled.

    Needs assessment columns service_area, rag (KPIs only; unrated rows are left out).
    Service areas keep their order of first appearance (indicators.csv order).
    """
    rated = assessment[assessment["rag"].isin(list(RAG_COLOURS))]
    areas = list(dict.fromkeys(assessment["service_area"]))
    counts = (
        pd.crosstab(rated["service_area"], rated["rag"])
        .reindex(index=areas, columns=list(RAG_COLOURS), fill_value=0)
        .astype(int)
    )
    hatches = {"Green": "", "Amber": "///", "Red": "xxx"}
    with matplotlib.rc_context({**STYLE, "axes.grid.axis": "x", "hatch.color": "white"}):
        # compact (0.25 in a bar): the QPR's executive summary and this chart share page 1
        fig = Figure(figsize=(WIDTH, max(1.4, 0.5 + 0.25 * len(areas))), dpi=DPI)
        fig.set_layout_engine("constrained")  # area names vary in length: measure them
        ax = fig.add_subplot()
        ax.set_axisbelow(True)  # grid lines behind the bars, not striped across them
        y = np.arange(len(areas))
        left = np.zeros(len(areas))
        for rating, colour in RAG_COLOURS.items():
            n = counts[rating].to_numpy()
            bars = ax.barh(
                y,
                n,
                left=left,
                color=colour["mark"],
                hatch=hatches[rating],
                label=rating,
                edgecolor="white",
                linewidth=0.8,
                height=0.7,
            )
            labels = [str(k) if k else "" for k in n]
            ax.bar_label(  # the count on a patch of its bar's colour (the hatching stops there)
                bars,
                labels=labels,
                label_type="center",
                color=INK if rating == "Amber" else "white",
                fontweight="bold",
                bbox={"boxstyle": "square,pad=0.15", "facecolor": colour["mark"], "linewidth": 0},
            )
            left += n
        ax.set_yticks(y, [textwrap.fill(a, 40) for a in areas])  # one line each, mostly
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Number of KPIs")
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, borderaxespad=0.2)
        return _encode(fig, rag_by_area_alt(counts))


def spc_words(variation: str | None, assurance: str | None, trial: bool = False) -> str:
    """The SPC icons in words: 'Common cause variation: no significant change. ...'."""
    words = SPC_VARIATION_WORDS.get(variation, "Variation: not enough data")
    words += ". " + SPC_ASSURANCE_WORDS.get(assurance, "No assurance: no target to test")
    return words + (". Trial limits (fewer than 13 points)." if trial else ".")


def spc_reading(
    variation: str | None, assurance: str | None, trial: bool = False, period: str = "month"
) -> str:
    """The SPC reading in members' words, one or two short sentences: is the latest result
    within normal variation, and will the target be met as the process runs now."""
    words = {
        "common_cause": f"The latest {period} is within normal variation.",
        "special_cause_improvement": (
            f"The latest {period} shows an unusual change for the better, beyond normal variation."
        ),
        "special_cause_concern": (
            f"The latest {period} shows an unusual change for the worse, beyond normal variation."
        ),
        "special_cause_neutral_high": f"The latest {period} is unusually high.",
        "special_cause_neutral_low": f"The latest {period} is unusually low.",
    }.get(variation, "There are not enough results for a reading.")
    plural = f"{period}s"
    words += {
        "consistent_pass": f" As things are, the target should be met every {period}.",
        "consistent_fail": (
            f" As things are, the target will be missed every {period} unless something changes."
        ),
        "inconsistent": (
            f" As things are, the target will be met in some {plural} and missed in others."
        ),
    }.get(assurance, "")
    if trial:
        words += f" (Provisional: fewer than 13 {plural} of results.)"
    return words


def spc_alt(
    name: str,
    dates: pd.Series,
    points: pd.DataFrame,
    unit: str,
    target: float | None,
    variation: str | None,
    assurance: str | None,
    trial: bool = False,
    period: str = "month",
) -> str:
    """The SPC chart's span, mean, normal range (process limits), special-cause points and
    the reading in members' words (`spc_reading`)."""
    shown = points.dropna(subset=["value"])  # a missing period is a gap in the line
    if shown.empty:
        return f"Statistical process control chart of {name}: no values to show."
    last = shown.iloc[-1]
    mean, lpl, upl = (format_value(last[c], unit) for c in ("mean", "lpl", "upl"))
    limits = f"normal range (process limits) {lpl} to {upl}"
    if pd.isna(last["lpl"]):  # every moving range 0 (a constant series), screened: spc.py
        limits = "no process limits " + (
            "(the value has not changed)" if len(shown) > 1 else "(one value)"
        )
    special = int(shown["point_type"].isin(list(SPC_STYLE)[1:]).sum())
    target_words = (
        "" if target is None or pd.isna(target) else f", target {format_value(target, unit)}"
    )
    return (
        f"Statistical process control chart of {name} {_month_span(pd.Series(dates))}: "
        f"mean {mean}, {limits}{target_words}; "
        f"{special} special-cause point{'s' if special != 1 else ''}; latest "
        f"{format_value(last['value'], unit, against=(target,))}. "
        f"{spc_reading(variation, assurance, trial, period)}"
    )


def spc_chart(
    name: str,
    dates: pd.Series,
    points: pd.DataFrame,
    unit: str,
    target: float | None = None,
    variation: str | None = None,
    assurance: str | None = None,
    trial: bool = False,
    targets=None,
    period: str = "month",
    window_start=None,
) -> Chart:
    """An XmR chart: values, mean, process limits, target; special-cause points by shape.

    `points` is `spc(...).points` (value, mean, lpl, upl, point_type), aligned with `dates`;
    a NaN value is a missing period (the line breaks there). `targets`: the target in force
    at each date (targets change between financial years), drawn as a stepped line;
    without it the line is `target` throughout. `window_start`: where the direction of travel's
    window begins, shaded so the chart shows the period the headline trend was judged over.
    """
    p = points.assign(period_end=pd.to_datetime(pd.Series(dates).to_numpy()))
    with matplotlib.rc_context(STYLE):
        fig, ax = _figure()  # the reading is the paragraph above the chart and its alt text
        x = p["period_end"]
        if window_start is not None and pd.Timestamp(window_start) > x.min():
            ax.axvspan(
                pd.Timestamp(window_start), x.max(), facecolor="#f3f2f1", edgecolor="#b1b4b6",
                linewidth=0.6, zorder=0, label="Direction of\ntravel period",
            )  # fmt: skip
        ax.plot(x, p["value"], color="#6f777b", linewidth=1.1, zorder=2)
        ax.plot(x, p["mean"], color=INK, linewidth=1.2, label="Mean")
        ax.plot(x, p["upl"], color=INK, linestyle="--", linewidth=1, label="Normal range")
        ax.plot(x, p["lpl"], color=INK, linestyle="--", linewidth=1)
        # the target in the charts' ink, never in a RAG colour (a red line read as "Red")
        if targets is not None and not pd.isna(pd.Series(targets, dtype=float)).all():
            ax.plot(
                x, np.asarray(targets, dtype=float), color=INK, linestyle="-.",
                linewidth=1.4, drawstyle="steps-mid", label="Target",
            )  # fmt: skip
        elif target is not None and not pd.isna(target):
            ax.axhline(target, color=INK, linestyle="-.", linewidth=1.4, label="Target")
        for point_type, (colour, marker, label) in SPC_STYLE.items():
            these = p[p["point_type"] == point_type]
            if len(these):
                ax.scatter(
                    these["period_end"],
                    these["value"],
                    marker=marker,
                    color=colour,
                    label=label,
                    s=22 if point_type == "common_cause" else 40,
                    edgecolor="white",
                    linewidth=0.5,
                    zorder=3,
                )
        _style_time_axis(ax, x, unit)
        _legend(ax)
        alt = spc_alt(name, x, p, unit, target, variation, assurance, trial, period)
        return _encode(fig, alt)


def headline_trend_alt(trend: pd.DataFrame) -> str:
    """One sentence listing each quarter's Green, Amber and Red counts."""
    parts = [f"{r.quarter} {r.Green} Green, {r.Amber} Amber, {r.Red} Red" for r in
             trend.itertuples(index=False)]  # fmt: skip
    return (
        f"Stacked bar chart of KPIs by RAG rating in each of the last {len(trend)} quarters: "
        + "; ".join(parts)
        + "."
    )


def headline_trend_chart(trend: pd.DataFrame) -> Chart:
    """Vertical stacked bars: each quarter's Green, Amber and Red KPI counts, labelled,
    oldest quarter on the left (summary.headline_trend's table)."""
    hatches = {"Green": "", "Amber": "///", "Red": "xxx"}  # as rag_by_area_chart: greyscale
    with matplotlib.rc_context({**STYLE, "hatch.color": "white"}):
        fig = Figure(figsize=(WIDTH, 2.8), dpi=DPI)
        fig.set_layout_engine("constrained")
        ax = fig.add_subplot()
        ax.set_axisbelow(True)
        x = np.arange(len(trend))
        bottom = np.zeros(len(trend))
        for rating, colour in RAG_COLOURS.items():
            n = trend[rating].to_numpy(dtype=int)
            bars = ax.bar(x, n, bottom=bottom, color=colour["mark"], hatch=hatches[rating],
                          label=rating, edgecolor="white", linewidth=0.8, width=0.7)  # fmt: skip
            ax.bar_label(
                bars,
                labels=[str(k) if k else "" for k in n],
                label_type="center",
                color=INK,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "linewidth": 0},
            )
            bottom += n
        ax.set_xticks(x, [q.replace(" ", "\n") for q in trend["quarter"]])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("Number of KPIs")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, borderaxespad=0.2)
        return _encode(fig, headline_trend_alt(trend))
