"""Quarterly returns: the Excel workbook each directorate fills in with its quarter's figures.

One workbook per directorate (`qpr returns QUARTER`): an Instructions sheet; an Indicators
sheet, one row per indicator with what it measures, this year's target and floor (or expected
range), the last four quarters for context, yellow cells for this quarter's values and columns
for commentary and management action; and a hidden `qpr_return` sheet recording the quarter,
directorate, ids and every locked cell as generated, so that `qpr import` (qprlib.imports) can
check a workbook came back as it was sent. Reading returns back lives in qprlib.imports.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from qprlib import io
from qprlib.atomic import atomic_path
from qprlib.errors import DataError
from qprlib.names import slugify
from qprlib.periods import Quarter
from qprlib.rag import FLOOR_RULE, RatingRule, red_comparison, red_formula
from qprlib.rag import is_red as rag_is_red

FORMAT = "qpr-return/1"  # bump when the layout changes; imports refuse other versions
INSTRUCTIONS, INDICATORS, META = "Instructions", "Indicators", "qpr_return"
TITLE_ROW, AUTHOR_ROW, NOTE_ROW, GROUP_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3, 5, 6, 7
AUTHOR_CELL = f"B{AUTHOR_ROW}"
META_COLUMNS = ("row", "id", "inputs", "locked")  # the table in the qpr_return sheet
CONTEXT_QUARTERS = 4  # four previous quarters: the last one is the same quarter last year

# (key, heading, width) of the columns describing the indicator; all locked.
ABOUT = (
    ("id", "Id", 10),
    ("name", "Indicator", 30),
    ("service_area", "Service area", 18),
    ("definition", "Definition", 44),
    ("unit", "Unit", 9),
    ("better", "Better when", 10),
    ("target", "Target", 10),
    ("floor", "Floor", 10),
    ("rating", "How it is rated", 40),
)
CONTEXT_COL = len(ABOUT) + 1
MONTH_COL = CONTEXT_COL + CONTEXT_QUARTERS
COMMENTARY_COL = MONTH_COL + 3
ACTION_COL = COMMENTARY_COL + 1
LAST_COL = ACTION_COL

UNIT_WORDS = {  # what a value cell expects, in words; the limits are io.UNIT_LIMITS
    "percent": "a percentage from 0 to 100 (85.5 for 85.5%)",
    "number": "a count of 0 or more",
    "days": "a number of days, 0 or more",
    "rate": "a rate",
    "currency": "an amount in pounds, 0 or more",
}
UNIT_LIMITS = io.UNIT_LIMITS  # one rule for data files and returns: Excel validation, import
BETTER = {"higher": "Higher", "lower": "Lower", "none": "n/a"}
NOT_APPLICABLE = "n/a"

_HEADING = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_GREY = PatternFill("solid", fgColor="D9D9D9")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # yellow: the usual "fill me in" colour
_RED_FILL = PatternFill("solid", fgColor="F4CCCC")
_RED_FONT = Font(color="9C0006", bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_UNLOCKED = Protection(locked=False)


def number_text(x: float, unit: str = "number") -> str:
    """A figure as a person writes it: 85.5%, 1,200, £3,400, 12 days."""
    text = f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")
    if unit == "percent":
        return f"{text}%"
    if unit == "currency":
        return f"£{text}"
    if unit == "days":
        return f"{text} days"
    return text


def month_label(day: date) -> str:
    """`2024-01-31` -> `'Jan 2024'` (the heading of a value column)."""
    return pd.Timestamp(day).strftime("%b %Y")


def quarter_heading(quarter: Quarter) -> str:
    """`'Q3 2023/24'`: the heading of a context column."""
    return f"Q{quarter.number} {quarter.financial_year}"


def return_filename(quarter: Quarter, directorate: str) -> str:
    """`qpr-return-2023-24-q4-adult-social-care.xlsx` (directorate slug as the dashboards')."""
    return f"qpr-return-{quarter.slug}-{slugify(directorate)}.xlsx"


def input_periods(frequency: str, quarter: Quarter) -> tuple[date, ...]:
    """The month ends a service reports: all three for monthly, the quarter end for quarterly."""
    return quarter.month_ends if frequency == "monthly" else (quarter.end,)


def red_threshold(
    kind: str, polarity: str, target: float, floor: float, rule: RatingRule = FLOOR_RULE
) -> float | None:
    """The value beyond which a KPI is Red under `rule` (`qprlib.rag`), or None when the
    indicator is not rated (an activity indicator, no target, no polarity)."""
    return rule.red_threshold(target, floor, polarity) if kind == "kpi" else None


def is_red(value: float, polarity: str, threshold: float | None) -> bool:
    """True when the value is Red against a `red_threshold` (the threshold itself is Amber)."""
    if threshold is None or _missing(value):
        return False
    return rag_is_red(value, threshold, threshold, polarity)  # rated against its Red line


def rating_text(row: pd.Series, year: str, rule: RatingRule = FLOOR_RULE) -> str:
    """How the indicator is rated, in words, naming the Red threshold and the action rule."""
    unit = row["unit"]
    if row["kind"] == "activity":
        low, high = row["lower"], row["upper"]
        if _missing(low) and _missing(high):
            return "Activity indicator, not rated; no expected range set."
        if _missing(high):
            return f"Activity indicator, not rated; expected at least {number_text(low, unit)}."
        if _missing(low):
            return f"Activity indicator, not rated; expected at most {number_text(high, unit)}."
        return (
            f"Activity indicator, not rated; expected between {number_text(low, unit)} "
            f"and {number_text(high, unit)}."
        )
    if row["polarity"] not in ("higher", "lower"):
        return "Not rated (neither higher nor lower is better)."
    red = rule.red_threshold(row["target"], row["floor"], row["polarity"])
    if red is None:
        return f"Not rated: targets.csv has no target and floor for {year}."
    target, floor = number_text(row["target"], unit), number_text(red, unit)
    if row["polarity"] == "higher":
        bands = f"Green: {target} or more. Amber: {floor} to under {target}. Red: under {floor}"
    else:
        bands = f"Green: {target} or less. Amber: over {target} up to {floor}. Red: over {floor}"
    return f"{bands}, and then management action is required."


def context_values(values: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """Each id's latest value in each of the previous quarters: index id, one column per quarter.

    Needs values' id, period_end, value; columns are quarter headings, oldest first.
    """
    quarters = [quarter]
    for _ in range(CONTEXT_QUARTERS):
        quarters.insert(0, quarters[0].previous())
    known = values.dropna(subset=["value"])
    columns = {}
    for q in quarters[:-1]:
        start, end = pd.Timestamp(q.start), pd.Timestamp(q.end)
        within = known[(known["period_end"] >= start) & (known["period_end"] <= end)]
        latest = within.sort_values("period_end").groupby("id")["value"].last()
        columns[quarter_heading(q)] = latest
    return pd.DataFrame(columns)


def return_rows(
    data: io.QprData, quarter: Quarter, directorate: str, rule: RatingRule = FLOOR_RULE
) -> pd.DataFrame:
    """One row per indicator of the directorate reported in the quarter's year (it has a
    targets.csv row for that year, as in qprlib.assess): what the Indicators sheet shows.

    Columns: the indicator's own, target/floor/lower/upper for the quarter's year, better,
    rating, red_floor, one per context quarter, `periods` (tuple of month ends to report),
    `held` (dict period -> value already in values.csv) and the commentary held for the quarter.
    """
    year = quarter.financial_year
    targets = data.targets[data.targets["year"] == year].drop(columns="year")
    rows = data.indicators[data.indicators["directorate"] == directorate].merge(
        targets,
        on="id",
        how="inner",  # retired indicators (no row for the year) are left out
    )
    context = context_values(data.values, quarter)
    rows = rows.merge(context, left_on="id", right_index=True, how="left")
    held_values = _held_values(data.values, quarter)
    held_comments = data.commentary[data.commentary["quarter"] == str(quarter)].set_index("id")
    return rows.assign(
        better=rows["polarity"].map(BETTER).fillna(NOT_APPLICABLE),
        rating=[rating_text(r, year, rule) for _, r in rows.iterrows()],
        red_floor=pd.Series(  # object: None (not rated) must not become NaN
            [red_threshold(r.kind, r.polarity, r.target, r.floor, rule) for r in rows.itertuples()],
            index=rows.index,
            dtype=object,
        ),
        periods=[input_periods(f, quarter) for f in rows["frequency"]],
        held=[held_values.get(i, {}) for i in rows["id"]],
        commentary=[_held(held_comments, i, "commentary") for i in rows["id"]],
        action=[_held(held_comments, i, "action") for i in rows["id"]],
    )


def check_quarter_known(data: io.QprData, quarter: Quarter) -> None:
    """Raise DataError unless targets.csv has targets for the quarter's financial year."""
    if not (data.targets["year"] == quarter.financial_year).any():
        raise DataError(
            f"targets.csv has no targets for {quarter.financial_year}, so {quarter} is not a "
            f"quarter the data knows; add the year's targets to targets.csv first"
        )


def directorates(data: io.QprData, quarter: Quarter) -> list[str]:
    """The directorates in indicators.csv order, among indicators reported in the quarter."""
    reported = data.targets.loc[data.targets["year"] == quarter.financial_year, "id"]
    chosen = data.indicators[data.indicators["id"].isin(reported)]
    return list(dict.fromkeys(chosen["directorate"]))


def write_returns(
    quarter: str | Quarter,
    data_dir: str | Path = "data",
    out_dir: str | Path = "returns",
    only: list[str] | tuple[str, ...] = (),
    rule: RatingRule = FLOOR_RULE,
) -> list[Path]:
    """Write one return workbook per directorate into `out_dir/<quarter-slug>/`; return paths.

    `only`: just these directorates' workbooks (`qpr returns QUARTER --directorate D`), e.g.
    a fresh one for a directorate that lost or spoiled its own. `rule` is the quarter's RAG
    rule (params amber_mode, amber_tolerance): the workbook marks Red values by it and records
    it, so `qpr import` asks for an action exactly where the report will rate the KPI Red.
    """
    quarter = Quarter.parse(quarter)
    data = io.load(data_dir)
    check_quarter_known(data, quarter)
    chosen = directorates(data, quarter)
    unknown = [d for d in only if d not in chosen]
    if unknown:
        raise DataError(
            [
                f"--directorate: '{d}' has no indicators reported in {quarter}; expected one "
                f"of: {', '.join(chosen)}"
                for d in unknown
            ]
        )
    folder = Path(out_dir) / quarter.slug
    folder.mkdir(parents=True, exist_ok=True)
    generated = datetime.now(UTC).replace(microsecond=0).isoformat()
    paths = []
    for directorate in [d for d in chosen if not only or d in only]:
        rows = return_rows(data, quarter, directorate, rule)
        meta = {
            "format": FORMAT,
            "quarter": str(quarter),
            "directorate": directorate,
            "generated": generated,
            "data_hash": data.data_hash,
            "workbook_id": str(uuid.uuid4()),
            **rule.as_meta(),
        }
        path = folder / return_filename(quarter, directorate)
        _save_atomically(return_workbook(rows, quarter, meta), path)
        paths.append(path)
    return paths


# --- which returns are in: `qpr returns --status QUARTER` ----------------------------------

RETURNED, PARTLY, OUTSTANDING = "returned", "partly", "outstanding"
STATUS_COLUMNS = ["directorate", "service_area", "cells", "filled", "status", "missing"]


def _status_word(filled: int, cells: int) -> str:
    return RETURNED if filled == cells else OUTSTANDING if filled == 0 else PARTLY


def return_status(data: io.QprData, quarter: str | Quarter) -> pd.DataFrame:
    """Per directorate and service area (indicators.csv order): the return's figures (one
    per indicator per input period, as in its workbook), how many are in values.csv, the
    status (returned / partly / outstanding) and what is missing ('PH03 Nov 2023').

    One row per service area, then one per directorate with service_area '' (its total).
    """
    quarter = Quarter.parse(quarter)
    check_quarter_known(data, quarter)
    held = data.values.dropna(subset=["value"])
    have = set(zip(held["id"], held["period_end"].dt.date, strict=True))
    rows = []
    for directorate in directorates(data, quarter):
        chosen = return_rows(data, quarter, directorate)
        total: list[str] = []
        count = 0
        for area in dict.fromkeys(chosen["service_area"]):
            missing, cells = [], 0
            for row in chosen.loc[chosen["service_area"] == area].itertuples():
                for day in row.periods:
                    cells += 1
                    if (row.id, day) not in have:
                        missing.append(f"{row.id} {month_label(day)}")
            filled = cells - len(missing)
            rows.append([directorate, area, cells, filled, _status_word(filled, cells), missing])
            total += missing
            count += cells
        filled = count - len(total)
        rows.append([directorate, "", count, filled, _status_word(filled, count), total])
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def format_return_status(
    status: pd.DataFrame, quarter: str | Quarter, deadline: str = "", today: date | None = None
) -> str:
    """The status table as `qpr returns --status` prints it, with the deadline from params."""
    quarter = Quarter.parse(quarter)
    today = today or date.today()
    lines = [f"Returns for {quarter}: {_deadline_words(deadline, today)}"]
    late = bool(deadline) and today > date.fromisoformat(deadline)
    for directorate, rows in status.groupby("directorate", sort=False):
        total = rows.loc[rows["service_area"] == ""].iloc[0]
        overdue = "  (overdue)" if late and total["status"] != RETURNED else ""
        lines.append(
            f"{directorate}: {total['status']} ({total['filled']} of {total['cells']} "
            f"figures){overdue}"
        )
        for area in rows.loc[rows["service_area"] != ""].itertuples():
            missing = (
                "; nothing in yet"
                if area.status == OUTSTANDING
                else f"; missing {', '.join(area.missing)}"
                if area.missing
                else ""
            )
            lines.append(
                f"  {area.service_area}: {area.status} ({area.filled} of {area.cells}){missing}"
            )
    totals = status.loc[status["service_area"] == ""]
    counts = totals["status"].value_counts()
    lines.append(
        f"{len(totals)} directorates: {counts.get(RETURNED, 0)} returned, "
        f"{counts.get(PARTLY, 0)} partly, {counts.get(OUTSTANDING, 0)} outstanding."
    )
    return "\n".join(lines) + "\n"


def _deadline_words(deadline: str, today: date) -> str:
    if not deadline:
        return "no deadline set (params returns_deadline)"
    due = date.fromisoformat(deadline)
    days = (due - today).days
    when = (
        "today"
        if days == 0
        else f"in {days} day{'s' if days != 1 else ''}"
        if days > 0
        else f"passed {-days} day{'s' if days != -1 else ''} ago"
    )
    return f"due {due.day} {due:%B %Y} ({when})"


def return_workbook(rows: pd.DataFrame, quarter: Quarter, meta: dict[str, str]) -> Workbook:
    """The workbook for one directorate's rows (from `return_rows`)."""
    book = Workbook()
    _instructions(book.active, quarter, meta["directorate"], len(rows))
    sheet = book.create_sheet(INDICATORS)
    inputs = _indicators_sheet(sheet, rows, quarter, meta["directorate"])
    _meta_sheet(book.create_sheet(META), sheet, rows, meta, inputs)
    book.active = 1
    book.security = WorkbookProtection(lockStructure=True)  # no password: see Instructions
    return book


def _instructions(sheet, quarter: Quarter, directorate: str, count: int) -> None:
    sheet.title = INSTRUCTIONS
    lines = [
        (f"Quarterly performance return: {directorate}, {quarter.label}", _TITLE),
        ("", None),
        ("What to do", _HEADING),
        (f"1. Go to the '{INDICATORS}' sheet. It lists your {count} indicator(s).", None),
        (f"2. Type your name in the yellow 'Completed by' cell ({AUTHOR_CELL}).", None),
        (
            "3. Fill in the yellow cells: one value per month for monthly indicators, one value "
            "for the quarter (in the last month's column) for quarterly ones.",
            None,
        ),
        ("4. Add commentary: what happened and why.", None),
        (
            "5. Where a value is Red (the 'How it is rated' column gives the Red threshold), say "
            "what management action is being taken. A Red value without an action is sent back.",
            None,
        ),
        ("6. Save the file (keep it as .xlsx; do not rename sheets) and send it back.", None),
        ("", None),
        ("How to enter values", _HEADING),
        (
            "Numbers only: no text, no units. Percentages as numbers from 0 to 100: type 85.5, "
            "not 85.5% and not 0.855. Counts, days and amounts in pounds are 0 or more.",
            None,
        ),
        (
            "Leave a cell empty if the figure is not available yet, and say so in the commentary.",
            None,
        ),
        ("The last four quarters are shown for context, with this year's target and floor.", None),
        (
            "Cells already filled in hold the figures we have; change them only to correct them.",
            None,
        ),
        ("", None),
        ("Why some cells are grey and locked", _HEADING),
        (
            "The sheets are protected, without a password, so that ids, targets and headings are "
            "not changed by accident. Please do not unprotect them: the import checks every grey "
            "cell and rejects a return in which one has changed.",
            None,
        ),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1)
        _put(cell, text)
        cell.alignment = _WRAP
        if font:
            cell.font = font
        sheet.row_dimensions[row].height = 15 * (1 + len(text) // 70) + (6 if font else 0)
    sheet.column_dimensions["A"].width = 75  # fits A4 portrait
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.protection.sheet = True


def _indicators_sheet(sheet, rows: pd.DataFrame, quarter: Quarter, directorate: str) -> list:
    """Fill the Indicators sheet; return, per row, the input cells as (column, period) pairs."""
    year = quarter.financial_year
    context_headings = [c for c in rows.columns if re.fullmatch(r"Q\d \d{4}/\d\d", str(c))]
    _put(sheet.cell(TITLE_ROW, 1), f"{directorate}: performance return for {quarter.label}")
    sheet.cell(TITLE_ROW, 1).font = _TITLE
    _put(sheet.cell(AUTHOR_ROW, 1), "Completed by")
    sheet.cell(AUTHOR_ROW, 1).font = _HEADING
    author = sheet[AUTHOR_CELL]
    author.fill, author.protection = _INPUT_FILL, _UNLOCKED
    _put(
        sheet.cell(NOTE_ROW, 1),
        "Yellow cells are yours to fill in; grey cells are locked. Numbers only: percentages "
        "from 0 to 100 (85.5, not 85.5% or 0.855). Red values need a management action.",
    )
    groups = {
        1: "About the indicator",
        CONTEXT_COL: "Previous quarters (for context)",
        MONTH_COL: f"{quarter.label}: your figures",
        COMMENTARY_COL: "Your commentary",
    }
    for column, text in groups.items():
        _put(sheet.cell(GROUP_ROW, column), text)
        sheet.cell(GROUP_ROW, column).font = _HEADING
    headings = [h for _, h, _ in ABOUT] + context_headings
    headings += [month_label(d) for d in quarter.month_ends]
    headings += ["Commentary", "Management action (required when Red)"]
    headings[6], headings[7] = f"Target {year}", f"Floor {year}"
    widths = [w for _, _, w in ABOUT] + [11] * CONTEXT_QUARTERS + [11] * 3 + [44, 44]
    for column, (text, width) in enumerate(zip(headings, widths, strict=True), start=1):
        cell = sheet.cell(HEADER_ROW, column)
        _put(cell, text)
        cell.font, cell.fill, cell.alignment = _HEADING, _HEADER_FILL, _WRAP
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[HEADER_ROW].height = 30
    inputs = [
        _indicator_row(sheet, FIRST_ROW + i, row, context_headings, quarter)
        for i, (_, row) in enumerate(rows.iterrows())
    ]
    sheet.freeze_panes = sheet.cell(FIRST_ROW, 3)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # allowed: people widen columns to read
    sheet.protection.formatRows = False
    return inputs


def _indicator_row(sheet, r: int, row: pd.Series, context_headings, quarter: Quarter) -> list:
    about = [row[key] for key, _, _ in ABOUT]
    for column, value in enumerate(about + [row[h] for h in context_headings], start=1):
        cell = sheet.cell(r, column)
        _put(cell, None if _missing(value) else value)
        cell.alignment = _WRAP
    inputs = []
    for k, day in enumerate(quarter.month_ends):
        cell = sheet.cell(r, MONTH_COL + k)
        if day in row["periods"]:
            held = row["held"].get(day)
            cell.value = None if _missing(held) else held
            cell.fill, cell.protection = _INPUT_FILL, _UNLOCKED
            inputs.append((cell.column_letter, day))
        else:
            _put(cell, NOT_APPLICABLE)
            cell.fill = _GREY
        cell.alignment = _WRAP
    for column, key in ((COMMENTARY_COL, "commentary"), (ACTION_COL, "action")):
        cell = sheet.cell(r, column)
        _put(cell, row[key] or None)
        cell.fill, cell.protection, cell.alignment = _INPUT_FILL, _UNLOCKED, _WRAP
    _validate_inputs(sheet, r, row, inputs)
    _highlight_red(sheet, r, row, inputs)
    longest = max(len(str(row["definition"])), len(row["rating"]), len(str(row["name"])) * 1.5)
    sheet.row_dimensions[r].height = min(150, 15 * (1 + int(longest // 42)))
    return inputs


def _validate_inputs(sheet, r: int, row: pd.Series, inputs: list) -> None:
    """Excel data validation on the value cells: decimals only, within the unit's limits."""
    low, high = UNIT_LIMITS.get(row["unit"], (None, None))
    if low is not None and high is not None:
        rule = {"operator": "between", "formula1": _num(low), "formula2": _num(high)}
    elif low is not None:
        rule = {"operator": "greaterThanOrEqual", "formula1": _num(low)}
    else:  # Excel's decimal rule needs bounds: these are wide enough for any figure
        rule = {"operator": "between", "formula1": "-1E+15", "formula2": "1E+15"}
    expected = UNIT_WORDS.get(row["unit"], "a number")
    red = row["red_floor"]
    when = "under" if row["polarity"] == "higher" else "over"
    red_note = (
        f" Red {when} {number_text(red, row['unit'])}: then give a management action."
        if red is not None
        else ""
    )
    validation = DataValidation(
        type="decimal",
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle="Enter a number",
        prompt=f"{row['name']}: {expected}.{red_note}"[:255],
        errorTitle="Not a valid value",
        error=f"{row['name']} needs {expected}. Numbers only, no text or % sign."[:255],
        **rule,
    )
    sheet.add_data_validation(validation)
    for column, _ in inputs:
        validation.add(f"{column}{r}")
    if red is not None:
        action = DataValidation(
            allow_blank=True,
            showInputMessage=True,
            promptTitle="Management action",
            prompt=f"Required when the value is Red ({when} {number_text(red, row['unit'])})."[
                :255
            ],
        )
        sheet.add_data_validation(action)
        action.add(f"{get_column_letter(ACTION_COL)}{r}")


def _highlight_red(sheet, r: int, row: pd.Series, inputs: list) -> None:
    """Colour Red values, and an empty action cell beside a Red latest value, as people type."""
    red = row["red_floor"]
    if red is None or not inputs:
        return
    for column, _ in inputs:
        rule = FormulaRule(
            formula=[red_formula(f"{column}{r}", row["polarity"], red)],
            fill=_RED_FILL,
            font=_RED_FONT,
        )
        sheet.conditional_formatting.add(f"{column}{r}", rule)
    latest = "FALSE"  # the latest value entered decides, as the quarter's rating does
    for column, _ in inputs:
        red_now = red_comparison(f"{column}{r}", row["polarity"], red)
        latest = f"IF(ISNUMBER({column}{r}),{red_now},{latest})"
    action = f"{get_column_letter(ACTION_COL)}{r}"
    rule = FormulaRule(formula=[f"AND(LEN(TRIM({action}))=0,{latest})"], fill=_RED_FILL)
    sheet.conditional_formatting.add(action, rule)


def _meta_sheet(meta_sheet, sheet, rows: pd.DataFrame, meta: dict, inputs: list) -> None:
    """Hidden record of what was sent: identity, input cells, and every locked cell's value."""
    meta_sheet.title = META
    pairs = dict(meta)
    pairs |= {
        "sheet": INDICATORS,
        "author_cell": AUTHOR_CELL,
        "commentary_column": get_column_letter(COMMENTARY_COL),
        "action_column": get_column_letter(ACTION_COL),
        "note": "Written by `qpr returns`; read by `qpr import`. Do not edit.",
    }
    for r, (key, value) in enumerate(pairs.items(), start=1):
        _put(meta_sheet.cell(r, 1), key)
        _put(meta_sheet.cell(r, 2), value)
    header = len(pairs) + 2  # key/value pairs above; below, one row per Indicators row
    for column, text in enumerate(META_COLUMNS, start=1):
        _put(meta_sheet.cell(header, column), text)
    ids = {FIRST_ROW + i: i for i in range(len(rows))}
    for k, r in enumerate(range(1, FIRST_ROW + len(rows))):
        out = header + 1 + k
        locked = {
            get_column_letter(c): _jsonable(sheet.cell(r, c).value)
            for c in range(1, LAST_COL + 1)
            if sheet.cell(r, c).protection.locked
        }
        meta_sheet.cell(out, 1).value = r
        if r in ids:
            i = ids[r]
            _put(meta_sheet.cell(out, 2), rows["id"].iloc[i])
            cells = ";".join(f"{col}={day.isoformat()}" for col, day in inputs[i])
            _put(meta_sheet.cell(out, 3), cells)
        _put(meta_sheet.cell(out, 4), json.dumps(locked, ensure_ascii=False))
    meta_sheet.sheet_state = "hidden"
    meta_sheet.protection.sheet = True


def _save_atomically(book: Workbook, path: Path) -> None:
    with atomic_path(path) as temporary:
        book.save(temporary)


def _held_values(values: pd.DataFrame, quarter: Quarter) -> dict[str, dict[date, float]]:
    """id -> {month end: value} already held for the quarter (pre-filled for corrections)."""
    start, end = pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)
    within = values[(values["period_end"] >= start) & (values["period_end"] <= end)]
    held: dict[str, dict[date, float]] = {}
    for row in within.dropna(subset=["value"]).itertuples():
        held.setdefault(row.id, {})[row.period_end.date()] = float(row.value)
    return held


def _held(comments: pd.DataFrame, indicator: str, column: str) -> str:
    if indicator not in comments.index:
        return ""
    value = comments.loc[indicator, column]
    if isinstance(value, pd.Series):  # io rejects duplicates; take the last to be safe
        value = value.iloc[-1]
    return "" if _missing(value) else str(value)


def _put(cell, value) -> None:
    """Set a cell; text starting with '=' stays text (never a formula from someone's data)."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _jsonable(value):
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return str(value)


def _num(x: float) -> str:
    return repr(float(x))


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA
