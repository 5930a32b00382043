"""Accessible tables for the reports: one object, a Markdown pipe table and an HTML table.

The Markdown form is what both render engines use (pandoc turns it into a real HTML or Typst
table with a caption); the HTML form is for JupyterLab. RAG, direction and milestone status are
always words; colour (from the one `RAG_COLOURS` dict below) is only a cue added by CSS classes.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from qprlib.vocabulary import (  # noqa: F401  (moved; importable from here as before)
    ACTIVITY_WORDS,
    DIRECTION_WORDS,
    NO_DATA,
    STATUS_WORDS,
)

# Colours live here once; render's CSS (`rag_css()`) and charts.py read them from this module.
# `text` on `fill` is the table/badge style; `mark` is the chart colour for points and bars
# (contrast >= 3:1 on white, WCAG 1.4.11); `edge` outlines the badge.
# The three fills are told apart at a glance and on a greyscale print: each pair differs by
# at least 3:1 in contrast and their relative luminances (0.04, 0.25, 0.91) are >= 0.15 apart:
# Red is the darkest badge, Amber a mid tone, Green the lightest. Text on each is >= 4.5:1.
RAG_COLOURS: dict[str, dict[str, str]] = {
    "Green": {"text": "#005a30", "fill": "#ecf7ef", "mark": "#00703c", "edge": "#00703c"},
    "Amber": {"text": "#0b0c0c", "fill": "#d96a1c", "mark": "#d96a1c", "edge": "#8f4310"},
    "Red": {"text": "#ffffff", "fill": "#701510", "mark": "#701510", "edge": "#701510"},
}
# A shape per rating, the same as the chart markers (charts.RAG_MARKERS): read without colour.
RAG_SYMBOLS = {"Green": "●", "Amber": "◆", "Red": "✖"}
NO_RATING_COLOUR = {"text": "#383f43", "fill": "#f3f2f1", "mark": "#505a5f", "edge": "#6f777b"}
DIRECTION_COLOURS = {"improving": "#005a30", "worsening": "#942514"}  # others: body text colour

NBSP = "\u00a0"  # joins a symbol to its word, so a line never breaks between them


def status_key() -> str:
    """The milestone symbols and their words, for a caption: '✔ Complete, ● On track, ...'."""
    return ", ".join(f"{symbol}{NBSP}{word}" for word, symbol in STATUS_WORDS.values())


_WHITESPACE = re.compile(r"[^\S\u00a0]+")  # any whitespace but the no-break space
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|$~^@&!])")
_MD_LIST_NUMBER = re.compile(r"^(\d+)([.)])(?=\s|$)")  # "1. text" would start a list
_MD_BLOCK_MARKER = re.compile(r"^([-+:=])")  # bullet list, definition, setext heading


def md_escape(text: object) -> str:
    """Data text made safe for pandoc Markdown: shown literally, on one line.

    Backslash-escapes every character Markdown gives a meaning to (emphasis, links, raw HTML,
    tables, maths, citations, footnotes, entities), and a list or definition marker at the start.
    Runs of whitespace become one space, except a no-break space, which keeps its meaning.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    one_line = _WHITESPACE.sub(" ", str(text)).strip(" ")
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line)
    escaped = _MD_LIST_NUMBER.sub(r"\1\\\2", escaped)
    return _MD_BLOCK_MARKER.sub(r"\\\1", escaped)


# CSV injection (OWASP): a spreadsheet treats a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` for open-data CSV: text cells that a spreadsheet would run as a
    formula get a leading `'` (shown as typed, never run); numbers, dates and missing values
    are untouched, so a negative number stays a number."""
    text = [name for name, column in frame.items() if _holds_text(column)]
    return frame.assign(**{name: frame[name].map(_csv_safe_cell) for name in text})


def _holds_text(column: pd.Series) -> bool:
    return column.dtype == object or pd.api.types.is_string_dtype(column.dtype)


def _csv_safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _class_name(word: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-")


@dataclass(frozen=True)
class Cell:
    """One table cell: plain `text`, optional CSS `classes` and a decorative `icon` before it."""

    text: str
    classes: tuple[str, ...] = ()
    icon: str = ""
    data: tuple[tuple[str, str], ...] = ()  # data-* attributes (the HTML KPI filter reads them)

    def markdown(self) -> str:
        """Escaped text, wrapped in a bracketed span when it carries classes."""
        body = md_escape(self.text)
        if self.icon:  # "\\ " is a no-break space: the arrow never wraps away from its word
            body = f'[{md_escape(self.icon)}]{{aria-hidden="true"}}\\ {body}'
        if not self.classes:
            return body
        data = "".join(f' data-{k}="{_attribute(v)}"' for k, v in self.data)
        return f"[{body}]{{{' '.join('.' + c for c in self.classes)}{data}}}"

    def html(self) -> str:
        """Escaped text in a `<span class>` when it carries classes; the icon is aria-hidden."""
        body = html.escape(self.text)
        if self.icon:
            body = f'<span aria-hidden="true">{html.escape(self.icon)}</span>&nbsp;{body}'
        if not self.classes:
            return body
        data = "".join(f' data-{k}="{html.escape(v)}"' for k, v in self.data)
        return f'<span class="{" ".join(self.classes)}"{data}>{body}</span>'


def _attribute(value: str) -> str:
    """Text as a pandoc attribute value: no quote or backslash to end it early, one line."""
    return " ".join(str(value).replace('"', "”").replace("\\", "/").split())


RAG_RANK = {"Red": 1, "Amber": 2, "Green": 3}  # sorting: worst first
DIRECTION_RANK = {"worsening": 1, "decreasing": 1, "stable": 2, "no change": 2, "improving": 3,
                  "increasing": 3}  # fmt: skip


def _number_text(x: object) -> str:
    return "" if _is_missing(x) else repr(float(x))


def kpi_cells(a: pd.DataFrame) -> list[Cell]:
    """The KPI name cells of a KPI table, carrying what the HTML filter and sort read:
    directorate, service area, RAG, direction, call-in, and sort keys for the value columns."""
    cells, compared = [], _compared(a)
    for row in a.to_dict("records"):
        direction = row.get("direction")
        data = {
            "kpi": str(row.get("id", "")),
            "directorate": row.get("directorate") or "",
            "area": row.get("service_area") or "",
            "rag": row.get("rag") or "Not rated",
            "direction": DIRECTION_WORDS[direction][0] if direction in DIRECTION_WORDS else
            "No direction",
            "call-in": "yes" if row.get("call_in") else "no",
            "sort-latest": _number_text(row.get("value")),
            "sort-target": _number_text(row.get("target")),
            "sort-floor-standard": _number_text(row.get("floor")),
            "sort-rag": str(RAG_RANK.get(row.get("rag"), 0)),
            "sort-previous-rag": str(RAG_RANK.get(row.get("previous_rag"), 0)),
            "sort-direction-of-travel": str(DIRECTION_RANK.get(direction, 0)),
        }  # fmt: skip
        if compared:  # the Comparison column sorts by quartile, best first
            data["sort-comparison"] = _number_text(row.get("comparator_quartile"))
        cells.append(Cell(str(row["name"]), ("kpi",), data=tuple(data.items())))
    return cells


def text_cell(value: object) -> Cell:
    """A plain cell; missing values become an empty cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return Cell("")
    return Cell(str(value))


def rag_cell(rating: str | None) -> Cell:
    """`Green` -> a cell showing "● Green" (shape and word) with classes `rag rag-green`."""
    if rating not in RAG_COLOURS:
        return Cell("Not rated", ("rag", "rag-none"))
    return Cell(rating, ("rag", f"rag-{rating.lower()}"), icon=RAG_SYMBOLS[rating])


def direction_arrow(direction: str | None, polarity: str | None = "higher") -> str:
    """The arrow of a direction of travel: which way the number moved, as the chart's line
    does. Improving is ↑ where higher is better and ↓ where lower is better (a falling
    waiting time); Worsening the other way round; stable →. The word says better or worse."""
    word_arrow = DIRECTION_WORDS.get(direction)
    if word_arrow is None:
        return ""
    if polarity == "lower" and direction in ("improving", "worsening"):
        return {"improving": "↓", "worsening": "↑"}[direction]
    return word_arrow[1]


def direction_cell(
    direction: str | None, no_data: bool = False, polarity: str | None = "higher"
) -> Cell:
    """`improving` -> the word Improving with a decorative arrow and classes `dot dot-improving`.

    The arrow agrees with the chart (`direction_arrow`): ↑ for a higher-is-better KPI, ↓ for a
    lower-is-better one (`polarity`). no_data: the indicator has no value this quarter (so no
    direction): says "No data".
    """
    if no_data:
        return Cell(NO_DATA, ("dot", "dot-none"))
    if direction not in DIRECTION_WORDS:
        return Cell("Not enough data", ("dot", "dot-none"))
    word = DIRECTION_WORDS[direction][0]
    arrow = direction_arrow(direction, polarity)
    return Cell(word, ("dot", f"dot-{_class_name(direction)}"), icon=arrow)


def _directions(frame: pd.DataFrame, no_data: bool = True) -> list[Cell]:
    """Direction of travel cells, each arrow following its KPI's polarity."""
    polarity = frame["polarity"] if "polarity" in frame else ["higher"] * len(frame)
    missing = _no_value(frame) if no_data else [False] * len(frame)
    return list(map(direction_cell, frame["direction"], missing, polarity))


def status_cell(status: str | None) -> Cell:
    """`on_track` -> "● On track" (symbol and word) with classes `status status-on-track`."""
    if status not in STATUS_WORDS:
        return Cell("Not given", ("status", "status-none"))
    word, symbol = STATUS_WORDS[status]
    return Cell(word, ("status", f"status-{_class_name(status)}"), icon=symbol)


def activity_cell(alert: str | None) -> Cell:
    """`above` -> "Above range" with classes `activity activity-above`."""
    if alert not in ACTIVITY_WORDS:
        return Cell(NO_DATA, ("activity", "activity-none"))
    return Cell(ACTIVITY_WORDS[alert], ("activity", f"activity-{alert}"))


def _is_missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_value(value: object, unit: str, against: Iterable[object] = ()) -> str:
    """A value as members read it: percent 85.2%, number 1,234, days 12.5 days, currency £1.2m.

    `against`: the thresholds the value is rated on (target, floor; lower, upper). Decimals
    are added until the printed value sits on the same side of each as the value itself, so
    84.96 against a target of 85 prints 84.96%, never 85.0% (which would read as Green).
    """
    if _is_missing(value):
        return NO_DATA
    x = float(value)
    lines = [float(t) for t in against if not _is_missing(t)]
    places = _places(x, lines)
    if unit == "percent":
        return f"{_number(x, places)}%"
    if unit == "days":
        return f"{_number(x, places)} day" + ("" if x == 1 else "s")
    if unit == "currency":
        short = _currency(x)
        return short if _places(x, lines, short=True) is None else f"£{_number(x, places)}"
    return _number(x, places)


MAX_PLACES = 6  # beyond this a difference is not worth printing


def _places(x: float, lines: list[float], short: bool = False) -> int | None:
    """Decimal places to print x with: the usual (0 for whole numbers, else 1), or more when
    rounding would put it on or across a threshold. short=True: None when the short currency
    form (£1.2m) keeps every side, else 0."""
    usual = 0 if x.is_integer() else 1
    if short:
        scale = 1e9 if abs(x) >= 1e9 else 1e6 if abs(x) >= 1e6 else 1.0
        shown = round(x / scale, 1 if scale > 1 else 0) * scale
        return None if _same_sides(x, shown, lines) else 0
    for places in range(usual, MAX_PLACES + 1):
        if _same_sides(x, round(x, places), lines):
            return places
    return MAX_PLACES


def _same_sides(x: float, shown: float, lines: list[float]) -> bool:
    return all(math.copysign(1, x - t) * (x != t) == math.copysign(1, shown - t) * (shown != t)
               for t in lines)  # fmt: skip


def _number(x: float, places: int | None = None) -> str:
    if places is None:
        places = 0 if float(x).is_integer() else 1
    return f"{x:,.{places}f}"


def _currency(x: float) -> str:
    sign, x = ("-" if x < 0 else ""), abs(x)
    if x >= 1e9:
        return f"{sign}£{x / 1e9:.1f}bn"
    if x >= 1e6:
        return f"{sign}£{x / 1e6:.1f}m"
    return f"{sign}£{x:,.0f}"


@dataclass(frozen=True)
class Table:
    """An immutable, accessible table: header labels, rows of cells, a caption and an id.

    `widths` are relative column weights for wrapped tables (pandoc reads them from the
    dashes of the separator line); `align` is "l" or "r" per column. `classes` go on the
    caption line for the renderer's filter (templates/qpr.lua): `row-headers` (the first
    column heads each row, `<th scope="row">`; stacked rows on a phone) and `grouped` (the
    first column becomes a heading row over each run of equal values).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str
    id: str
    widths: tuple[int, ...] = ()
    align: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id.startswith("tbl-"):
            raise ValueError(
                f"table id must start with 'tbl-' (Quarto cross-reference), not {self.id!r}"
            )
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"row has {len(row)} cells, table {self.id} has {len(self.columns)} columns"
                )

    def _repr_markdown_(self) -> str:
        widths = self.widths or (1,) * len(self.columns)
        align = self.align or ("l",) * len(self.columns)
        total = sum(widths)
        dashes = [max(3, round(72 * w / total)) for w in widths]
        rule = [
            (":" + "-" * d if a == "l" else "-" * d + ":")
            for d, a in zip(dashes, align, strict=True)
        ]
        lines = [_md_row(md_escape(c) for c in self.columns), _md_row(rule)]
        lines += [_md_row(cell.markdown() for cell in row) for row in self.rows]
        attributes = " ".join([f"#{self.id}", *(f".{c}" for c in self.classes)])
        return "\n".join(lines) + f"\n\n: {md_escape(self.caption)} {{{attributes}}}\n"

    def _repr_html_(self) -> str:
        head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{cell.html()}</td>" for cell in row) + "</tr>"
            for row in self.rows
        )
        return (
            f'<table class="qpr-table" id="{html.escape(self.id)}">'
            f"<caption>{html.escape(self.caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self._repr_markdown_())

    def __len__(self) -> int:
        return len(self.rows)


def _md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell | object]],
    caption: str,
    id: str,
    widths: Sequence[int] = (),
    align: Sequence[str] = (),
    classes: Sequence[str] = (),
) -> Table:
    """Build a Table; plain values in `rows` become text cells."""
    cells = tuple(tuple(c if isinstance(c, Cell) else text_cell(c) for c in row) for row in rows)
    return Table(tuple(columns), cells, caption, id, tuple(widths), tuple(align), tuple(classes))


def rag_css() -> str:
    """CSS for the classes tables emit, from the colour dicts above (for render's stylesheet)."""
    colours = {name.lower(): c for name, c in RAG_COLOURS.items()} | {"none": NO_RATING_COLOUR}
    rules = [
        f".rag-{name} {{ color: {c['text']}; background-color: {c['fill']}; "
        f"border: 1px solid {c['edge']}; }}"
        for name, c in colours.items()
    ]
    rules += [f".dot-{name} {{ color: {colour}; }}" for name, colour in DIRECTION_COLOURS.items()]
    rules.append(
        ".rag { display: inline-block; padding: 0 0.4em; border-radius: 0.2em; font-weight: 600; }"
    )
    return "\n".join(rules) + "\n"


# Making Data Count's icon meanings, in words (NHS England, "Making Data Count" key).
SPC_VARIATION_WORDS = {
    "common_cause": "Common cause variation: no significant change",
    "special_cause_improvement": "Special cause variation: improving",
    "special_cause_concern": "Special cause variation: concerning",
    "special_cause_neutral_high": "Special cause variation: higher (neither good nor bad)",
    "special_cause_neutral_low": "Special cause variation: lower (neither good nor bad)",
}
SPC_ASSURANCE_WORDS = {
    "consistent_pass": "Consistently passing the target",
    "consistent_fail": "Consistently falling short of the target",
    "inconsistent": "Inconsistently passing and falling short of the target",
}
NO_ASSURANCE = "No assurance: no target to test"
# Short forms for table cells (the full words are in the chart captions and guidance notes).
SPC_VARIATION_SHORT = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Improving (special cause)",
    "special_cause_concern": "Concerning (special cause)",
    "special_cause_neutral_high": "Higher (special cause)",
    "special_cause_neutral_low": "Lower (special cause)",
}
SPC_ASSURANCE_SHORT = {
    "consistent_pass": "Consistently passing",
    "consistent_fail": "Consistently failing",
    "inconsistent": "Inconsistent",
}


def variation_cell(variation: str | None, no_data: bool = False) -> Cell:
    """An SPC variation icon in (short) words, with classes `spc spc-<variation>`."""
    if no_data:
        return Cell(NO_DATA, ("spc", "spc-none"))
    if variation not in SPC_VARIATION_SHORT:
        return Cell("Not enough data", ("spc", "spc-none"))
    return Cell(SPC_VARIATION_SHORT[variation], ("spc", f"spc-{_class_name(variation)}"))


def assurance_cell(assurance: str | None, no_data: bool = False) -> Cell:
    """An SPC assurance icon in (short) words, with classes `spc spc-<assurance>`."""
    if no_data:
        return Cell(NO_DATA, ("spc", "spc-none"))
    if assurance not in SPC_ASSURANCE_SHORT:
        return Cell("No target", ("spc", "spc-none"))
    return Cell(SPC_ASSURANCE_SHORT[assurance], ("spc", f"spc-{_class_name(assurance)}"))


def _no_value(frame: pd.DataFrame) -> list[bool]:
    """True where the indicator has no value this quarter (direction and SPC: No data)."""
    return frame["value"].isna().tolist()


def _values(frame: pd.DataFrame, column: str, against: Sequence[str] = ()) -> list[str]:
    """Formatted values; `against`: the columns of the thresholds each is rated on."""
    lines = [tuple(frame[c].iloc[i] for c in against) for i in range(len(frame))]
    return [
        format_value(v, u, t) for v, u, t in zip(frame[column], frame["unit"], lines, strict=True)
    ]


NOT_YET_AVAILABLE = "Not yet available"  # a KPI's latest figure left blank in its return
VALUE_STATUS_WORDS = {"provisional": "provisional", "estimate": "estimate", "revised": "revised"}


def _latest(frame: pd.DataFrame, against: Sequence[str]) -> list[str]:
    """The Latest column: the value with its status in brackets where values.csv gives one
    ('78.2% (provisional)'), or 'Not yet available' when the quarter has no figure yet."""
    shown = _values(frame, "value", against=against)
    statuses = frame["value_status"] if "value_status" in frame else [None] * len(frame)
    return [
        NOT_YET_AVAILABLE
        if _is_missing(value)
        else f"{text} ({VALUE_STATUS_WORDS[status]})"
        if status in VALUE_STATUS_WORDS
        else text
        for text, value, status in zip(shown, frame["value"], statuses, strict=True)
    ]


def _columns_table(
    columns: dict, caption: str, id: str, widths, align=(), classes=("row-headers",)
) -> Table:
    """A Table from {header: column of values or cells}, all columns the same length; the
    first column (the indicator's name) heads each row unless `classes` says otherwise."""
    rows = zip(*columns.values(), strict=True)
    return table(tuple(columns), rows, caption, id, widths=widths, align=align, classes=classes)


# The KPI tables' comparison with other councils (qprlib.compare, issue 17): the words of
# `comparison` ("2nd quartile of 16 similar councils; England 81.3% (June 2023)"), never a
# colour. The column is there only when some KPI has comparator figures, so a council without
# data/comparators.csv gets its tables as before; a KPI without figures has an empty cell.
COMPARISON_HEADING = "Comparison"


def _compared(frame: pd.DataFrame) -> bool:
    return "comparison" in frame and frame["comparison"].map(lambda x: isinstance(x, str)).any()


def _comparisons(frame: pd.DataFrame) -> list[Cell]:
    return [Cell(x) if isinstance(x, str) else Cell("") for x in frame["comparison"]]


def kpi_table(assessment: pd.DataFrame, caption: str, id: str = "tbl-kpis") -> Table:
    """Every KPI with latest value, target, floor, RAG now and last quarter, and direction.

    Needs assessment columns service_area, name, unit, value, target, floor, rag,
    previous_rag, direction; `comparison` (optional) adds the Comparison column.
    """
    a = assessment
    columns = {
        "Service area": a["service_area"],
        "KPI": kpi_cells(a),  # carries the HTML filter's data (kpi-filter.js)
        "Latest": _latest(a, against=("target", "floor")),
        "Target": _values(a, "target"),
        "Floor standard": _values(a, "floor"),
        "RAG": map(rag_cell, a["rag"]),
        "Previous RAG": map(rag_cell, a["previous_rag"]),
        "Direction of travel": _directions(a),
    }
    if _compared(a):
        columns[COMPARISON_HEADING] = _comparisons(a)
        return _columns_table(  # the comparison takes a fifth of the width from the others
            columns, caption, id, (10, 17, 8, 8, 8, 10, 10, 12, 17),
            align="llrrrllll", classes=("grouped", "row-headers"),
        )  # fmt: skip
    # Grouped: the renderer turns the service area into a heading row over its KPIs (it was
    # repeated on every row) and the other columns share its width: KPI 26%, direction of
    # travel 17% fits "↓ Worsening" (bold, no-break) on one A4 line, values 11.5% each keep
    # "396 days" on one line.
    widths = (13, 23, 10, 10, 10, 9, 10, 15)
    return _columns_table(
        columns, caption, id, widths, align="llrrrlll", classes=("grouped", "row-headers")
    )


def dashboard_table(assessment: pd.DataFrame, caption: str, id: str = "tbl-dashboard") -> Table:
    """A directorate dashboard, KCC's columns: each KPI's latest value, target, floor standard,
    RAG now and last quarter, and direction of travel, the one headline trend (the SPC reading
    has its own section: report.spc_charts).

    Needs name, unit, polarity, value, target, floor, rag, previous_rag, direction;
    `comparison` (optional) adds the Comparison column.
    """
    a = assessment
    columns = {
        "KPI": kpi_cells(a),
        "Latest": _latest(a, against=("target", "floor")),
        "Target": _values(a, "target"),
        "Floor standard": _values(a, "floor"),
        "RAG": map(rag_cell, a["rag"]),
        "Previous RAG": map(rag_cell, a["previous_rag"]),
        "Direction of travel": _directions(a),
    }
    if _compared(a):
        columns[COMPARISON_HEADING] = _comparisons(a)
        widths = (18, 11, 10, 10, 10, 10, 12, 19)  # values as without: "396 days" on one line
        return _columns_table(columns, caption, id, widths, align="lrrrllll")
    widths = (26, 11, 10, 10, 11, 11, 17)  # values and direction: as kpi_table
    return _columns_table(columns, caption, id, widths, align="lrrrlll")


def activity_table(assessment: pd.DataFrame, caption: str, id: str = "tbl-activity") -> Table:
    """Activity indicators: latest value, the expected range and whether it is within it.

    Needs name, unit, value, lower, upper, activity_alert, direction.
    """
    a = assessment
    lower, upper = _values(a, "lower"), _values(a, "upper")
    columns = {
        "Activity indicator": a["name"],
        "Latest": _latest(a, against=("lower", "upper")),
        "Expected range": [f"{lo} to {hi}" for lo, hi in zip(lower, upper, strict=True)],
        "Alert": map(activity_cell, a["activity_alert"]),
        "Direction": map(direction_cell, a["direction"], _no_value(a)),
    }
    return _columns_table(columns, caption, id, (36, 12, 22, 14, 16), align="lrlll")


def call_in_table(assessment: pd.DataFrame, caption: str, id: str = "tbl-call-in") -> Table:
    """The call-in list: KPI, service area, RAG last quarter and now, direction and the reason.

    Needs name, service_area, previous_rag, rag, direction, call_in_reason.
    """
    a = assessment
    columns = {
        "KPI": a["name"],
        "Service area": a["service_area"],
        "Previous RAG": map(rag_cell, a["previous_rag"]),
        "RAG": map(rag_cell, a["rag"]),
        "Direction of travel": _directions(a, no_data=False),
        "Reason": a["call_in_reason"],
    }
    return _columns_table(columns, caption, id, (29, 13, 10, 9, 15, 24))


def milestones_table(milestones: pd.DataFrame, caption: str, id: str = "tbl-milestones") -> Table:
    """Halton-style milestones: objective, milestone, due date, status (symbol and word), notes.

    Needs objective, milestone, due (datetime), status, commentary.
    """
    m = milestones
    columns = {
        "Objective": m["objective"],
        "Milestone": m["milestone"],
        "Due": [format_date(d) for d in m["due"]],
        "Status": map(status_cell, m["status"]),
        "Commentary": m["commentary"],
    }
    return _columns_table(columns, caption, id, (16, 26, 14, 12, 32), classes=())


def format_date(day: object) -> str:
    """`2023-09-30` -> `30 September 2023` (GOV.UK style); missing -> No data."""
    if _is_missing(day):
        return NO_DATA
    day = pd.Timestamp(day)
    return f"{day.day} {day:%B %Y}"


TREND_HEADINGS = {  # summary.TREND_COLUMNS -> the words the reports use
    "quarter": "Quarter", "Green": "Green", "Amber": "Amber", "Red": "Red", "no_data": "No data",
    "improving": DIRECTION_WORDS["improving"][0], "stable": DIRECTION_WORDS["stable"][0],
    "worsening": DIRECTION_WORDS["worsening"][0],
}  # fmt: skip


def trend_table(trend: pd.DataFrame, caption: str, id: str = "tbl-trend") -> Table:
    """The headline counts of each quarter (summary.headline_trend), newest last; the No data
    column only when some quarter has KPIs without data."""
    columns = [c for c in TREND_HEADINGS if c != "no_data" or trend["no_data"].any()]
    rows = [[str(row[c]) for c in columns] for _, row in trend.iterrows()]
    headings = [TREND_HEADINGS[c] for c in columns]
    align = ["l", *["r"] * (len(columns) - 1)]
    return table(headings, rows, caption, id, align=align, classes=("row-headers",))  # quarter
