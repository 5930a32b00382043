"""A return workbook built with openpyxl: the Instructions sheet, the Indicators sheet (one row
per indicator, locked context, yellow input cells with validation, Red highlighted by the
quarter's RAG rule) and the hidden qpr_return sheet that qpr import checks it against.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from qprlib.atomic import atomic_path
from qprlib.periods import Quarter
from qprlib.rag import red_comparison, red_formula
from qprlib.return_layout import (
    _GREY,
    _HEADER_FILL,
    _HEADING,
    _INPUT_FILL,
    _RED_FILL,
    _RED_FONT,
    _TITLE,
    _UNLOCKED,
    _WRAP,
    ABOUT,
    ACTION_COL,
    AUTHOR_CELL,
    AUTHOR_ROW,
    COMMENTARY_COL,
    CONTEXT_COL,
    CONTEXT_QUARTERS,
    FIRST_ROW,
    GROUP_ROW,
    HEADER_ROW,
    INDICATORS,
    INSTRUCTIONS,
    LAST_COL,
    META,
    META_COLUMNS,
    MONTH_COL,
    NOT_APPLICABLE,
    NOTE_ROW,
    TITLE_ROW,
    UNIT_LIMITS,
    UNIT_WORDS,
    _missing,
    month_label,
    number_text,
)


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
