"""Reading services' return workbooks back: check them, show what changes, merge them.

`qpr import FILE.xlsx...` reads workbooks written by `qpr returns` (qprlib.returns), checks
them and reports every problem in the spreadsheet's own terms (`Indicators!N9`, the
indicator, what is expected), shows the new and changed values and commentary, and merges
them into values.csv and commentary.csv. A value or comment already held is never
overwritten unless asked (`--replace`), and each imported workbook is kept, byte for byte and
read-only, under `data/returns/<quarter-slug>/` as the raw record.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from qprlib import io
from qprlib.errors import DataError, QprError, quote
from qprlib.periods import Quarter
from qprlib.rag import RatingRule
from qprlib.return_changes import (  # noqa: F401  (moved; importable from here as before)
    _close,
    _commentary_key,
    _csv_number,
    _file_rows,
    _key,
    _short,
    _value_key,
    commentary_changes,
    commentary_updates,
    conflicts,
    merge_rows,
    value_changes,
    value_updates,
)
from qprlib.return_workbook import (  # noqa: F401  (moved; importable from here as before)
    _CELL_COLUMNS,
    _COMMENT_COLUMNS,
    _FRESH,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_PARTS,
    MAX_UNPACKED_BYTES,
    MAX_WORKBOOK_BYTES,
    ReturnWorkbook,
    _blank,
    _formula_cells,
    _frame,
    _input_cells,
    _is_number,
    _locked_cell_changes,
    _read_meta,
    _read_return,
    _same,
    _sheet_problem,
    _show,
    _stray_cells,
    _text,
    _with,
    read_return_workbook,
    workbook_problem,
)
from qprlib.returns import (
    UNIT_LIMITS,
    UNIT_WORDS,
    check_quarter_known,
    is_red,
    month_label,
    number_text,
    red_threshold,
)
from qprlib.tables import FORMULA_STARTS

RAW_FOLDER = "returns"  # data/returns/<quarter-slug>/: the imported workbooks, read-only
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")  # "85.5" typed as text is still a number


@dataclass(frozen=True)
class ImportResult:
    """What an import found and did; `report()` is the readable diff the CLI prints."""

    books: tuple[ReturnWorkbook, ...]
    values: pd.DataFrame  # value_changes(): one row per filled value cell
    commentary: pd.DataFrame  # commentary_changes(): one row per filled commentary row
    blanks: pd.DataFrame  # value cells left empty (not yet available): file, cell, id, label
    dry_run: bool
    written: tuple[Path, ...]

    def report(self) -> str:
        """The changes, file by file, then what was written (or that nothing was)."""
        return format_report(self)


def _text_problems(name: str, cell: str, title: str, text: str, lines: bool) -> list[str]:
    """The text rule of the data files (io.read_text), said in the workbook's terms."""
    most = io.EXCEL_CELL_CHARS if lines else 200
    try:
        io.read_text(text, lines=lines, most=most)
    except ValueError as bad:
        return [f"{name}: {cell} ({title}): {quote(text)} {bad}"]
    return []


def check_return(
    book: ReturnWorkbook, data: io.QprData
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Interpret a return against the data: (values, commentary, problems).

    values:     file, id, name, cell, label, period_end, value (float; NaN when left blank),
                unit, red (True when the value would be rated Red)
    commentary: file, id, name, cell, commentary_cell, action_cell, quarter, commentary,
                action, author (filled rows only)
    """
    name = book.path.name
    problems: list[str] = []
    try:
        quarter = Quarter.parse(book.quarter_text)
        check_quarter_known(data, quarter)
    except QprError as error:
        problems.append(f"{name}: the workbook is for an unknown quarter: {error}; {_FRESH}")
        return _frame(_VALUE_COLUMNS), _frame(_COMMENTARY_COLUMNS), problems
    if book.directorate not in set(data.indicators["directorate"]):
        problems.append(
            f"{name}: the workbook is for directorate '{book.directorate}', which is not in "
            f"indicators.csv; expected one of its directorates ({_FRESH})"
        )
    author_cell = f"{book.meta.get('sheet')}!{book.meta.get('author_cell')}"
    problems += _text_problems(name, author_cell, "who completed it", book.author, lines=False)
    indicators = data.indicators.set_index("id")
    rule = RatingRule.from_meta(book.meta)  # the RAG rule the workbook was made with
    held = data.values.dropna(subset=["value"]).set_index(["id", "period_end"])["value"]
    targets = data.targets[data.targets["year"] == quarter.financial_year].set_index("id")
    values, comments = [], []
    for row in book.comments.itertuples():
        problem = _unreported(name, row, indicators, targets, quarter)
        if problem:
            problems.append(problem)
            continue
        about = indicators.loc[row.id]
        red_floor = red_threshold(
            about["kind"], about["polarity"], targets["target"].get(row.id, math.nan),
            targets["floor"].get(row.id, math.nan), rule,
        )  # fmt: skip
        row_values, latest, found = _row_values(book, row, about, red_floor)
        values += row_values
        problems += found
        comment, found = _row_comment(book, row, about, quarter, latest, red_floor, held)
        problems += found
        if comment:
            comments.append(comment)
    return (
        pd.DataFrame(values, columns=_VALUE_COLUMNS),
        pd.DataFrame(comments, columns=_COMMENTARY_COLUMNS),
        problems,
    )


def _unreported(name: str, row, indicators: pd.DataFrame, targets: pd.DataFrame, quarter):
    """Why a return's row cannot be imported (not an indicator, not reported that year)."""
    indicator = row.id
    if indicator not in indicators.index:
        return (
            f"{name}: Indicators!A{row.row}: indicator '{indicator}' is not in "
            f"indicators.csv; expected one of the directorate's indicator ids ({_FRESH})"
        )
    if indicator not in targets.index:
        title = f"{indicator} {indicators.loc[indicator]['name']}"
        return (
            f"{name}: Indicators!A{row.row} ({title}): targets.csv has no row for it in "
            f"{quarter.financial_year}, so it is not reported in {quarter}; expected only "
            f"indicators reported that year ({_FRESH}, or add its targets first)"
        )
    return None


def _row_values(book: ReturnWorkbook, row, about: pd.Series, red_floor: float):
    """(value rows, the latest filled value or None, problems) of one indicator's cells."""
    name, indicator = book.path.name, row.id
    title = f"{indicator} {about['name']}"
    values, problems, latest = [], [], None
    for cell in book.cells[book.cells["row"] == row.row].itertuples():
        label = month_label(cell.period_end)
        value, problem = parse_value(cell.raw, cell.number_format, about["unit"])
        if problem:
            problems.append(f"{name}: {cell.cell} ({title}, {label}): {problem}")
        elif value is not None:
            latest = (value, label, cell.cell, cell.period_end)
        values.append(
            {
                "file": name,
                "id": indicator,
                "name": about["name"],
                "cell": cell.cell,
                "label": label,
                "period_end": cell.period_end,
                "value": math.nan if value is None else value,
                "unit": about["unit"],
                "red": is_red(value, about["polarity"], red_floor),
            }
        )
    return values, latest, problems


def _row_comment(book, row, about: pd.Series, quarter, latest, red_floor: float, held):
    """(the row's commentary entry or None, problems): its text, and a Red without action."""
    name, indicator = book.path.name, row.id
    title = f"{indicator} {about['name']}"
    problems = []
    commentary, action = _text(row.commentary), _text(row.action)
    for text, cell in ((commentary, row.commentary_cell), (action, row.action_cell)):
        problems += _text_problems(name, cell, title, text, lines=True)
    # The quarter's latest value decides, as in the rating. A Red value already held and
    # unchanged is not a new submission, so re-importing a held quarter is never refused.
    red = latest and is_red(latest[0], about["polarity"], red_floor)
    if red and not action and not _close(latest[0], held.get((indicator, latest[3]))):
        side = "under" if about["polarity"] == "higher" else "over"
        problems.append(
            f"{name}: {row.action_cell} ({title}): the {latest[1]} value "
            f"{number_text(latest[0], about['unit'])} in {latest[2].split('!')[-1]} is Red "
            f"({side} the floor of {number_text(red_floor, about['unit'])}) but no "
            f"management action is given; expected the action being taken in "
            f"{row.action_cell.split('!')[-1]}"
        )
    if not (commentary or action):
        return None, problems
    comment = {
        "file": name,
        "id": indicator,
        "name": about["name"],
        "cell": row.commentary_cell if commentary else row.action_cell,
        "commentary_cell": row.commentary_cell,
        "action_cell": row.action_cell,
        "quarter": str(quarter),
        "commentary": commentary,
        "action": action,
        "author": book.author,
    }
    return comment, problems


def parse_value(raw, number_format: str | None, unit: str) -> tuple[float | None, str | None]:
    """A value cell's content as (number, problem); an empty cell is (None, None)."""
    expected = f"expected {UNIT_WORDS.get(unit, 'a number')}"
    if _blank(raw):  # not yet available: a missing value, never a problem
        return None, None
    if isinstance(raw, bool):
        return None, f"{str(raw).upper()} is not a number; {expected}"
    if isinstance(raw, datetime | date | time):
        return None, f"a date or time ({raw}) is not a number; {expected}"
    if isinstance(raw, str):
        if not _DECIMAL.match(raw.strip()):
            return None, f"{quote(raw)} is text, not a number; {expected}"
        raw = raw.strip()
    value = float(raw)
    if not abs(value) < io.LARGEST:  # infinity, NaN, or too large to be a figure
        return None, f"{quote(raw)} is not a number of a plausible size; {expected}"
    if unit == "percent" and "%" in (number_format or ""):
        typed = number_text(value * 100)
        return None, (
            f"{typed}% was typed with a % sign, which Excel stores as {number_text(value)}; "
            f"{expected}: type {typed} without the % sign"
        )
    low, high = UNIT_LIMITS.get(unit, (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = (
            f"outside {number_text(low)}–{number_text(high)}"
            if high is not None
            else (f"below {number_text(low)}")
        )
        return None, f"{number_text(value)} is {bounds}; {expected}"
    return value, None


def import_returns(
    files: list[str | Path],
    data_dir: str | Path = "data",
    *,
    replace: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Check, diff and merge return workbooks into data_dir; raise DataError listing problems."""
    data_dir = Path(data_dir)
    data = io.load(data_dir)
    if not files:
        raise DataError("no return workbooks given; expected one or more FILE.xlsx")
    books = tuple(read_return_workbook(f) for f in files)
    problems = [p for book in books for p in book.problems] + _duplicates(books)
    checked = [check_return(b, data) for b in books if b.meta]  # all problems at once
    problems += [p for _, _, found in checked for p in found]
    if problems:
        raise DataError(problems)
    incoming_values = pd.concat([v for v, _, _ in checked], ignore_index=True)
    incoming_comments = pd.concat([c for _, c, _ in checked], ignore_index=True)
    values = value_changes(incoming_values, data.values)
    commentary = commentary_changes(incoming_comments, data.commentary)
    if not replace and conflicts(values, commentary):
        raise DataError(conflicts(values, commentary))
    merged = {
        "values.csv": merge_rows(
            _file_rows(data_dir / "values.csv"),
            ["id", "period_end"],
            _value_key,
            value_updates(values),
        ),
        "commentary.csv": merge_rows(
            _file_rows(data_dir / "commentary.csv"),
            ["id", "quarter"],
            _commentary_key,
            commentary_updates(commentary),
        ),
    }
    changed = {
        "values.csv": (values["change"] != "same").any(),
        "commentary.csv": (commentary["change"] != "same").any(),
    }
    _check_merged(data_dir, merged)
    written: list[Path] = []
    if not dry_run:
        for file, frame in merged.items():
            if changed[file]:
                io.write_csv_atomic(frame, data_dir / file)
                written.append(data_dir / file)
        written += [_keep_raw(book, data_dir) for book in books]
    blanks = incoming_values.loc[incoming_values["value"].isna(), ["file", "cell", "id", "label"]]
    return ImportResult(books, values, commentary, blanks, dry_run, tuple(written))


def format_report(result: ImportResult) -> str:
    """The readable diff: per workbook, new and changed values and commentary, then the outcome."""
    lines = []
    for book in result.books:
        name = book.path.name
        by = f", completed by {book.author}" if book.author else ""
        lines.append(f"{book.directorate}, {book.quarter_text} ({name}{by})")
        values = result.values[result.values["file"] == name]
        comments = result.commentary[result.commentary["file"] == name]
        for change, heading in (("new", "New values"), ("changed", "Changed values")):
            chosen = values[values["change"] == change]
            if len(chosen):
                lines.append(f"  {heading} ({len(chosen)}):")
            for v in chosen.itertuples():
                old = f"{number_text(v.old, v.unit)} -> " if change == "changed" else ""
                red = "  (Red)" if v.red else ""
                lines.append(
                    f"    {v.cell:<15} {v.id} {_short(v.name, 40):<40} {v.label}  "
                    f"{old}{number_text(v.value, v.unit)}{red}"
                )
        for change, heading in (("new", "New commentary"), ("changed", "Changed commentary")):
            chosen = comments[comments["change"] == change]
            if len(chosen):
                lines.append(f"  {heading} ({len(chosen)}):")
            for c in chosen.itertuples():
                lines.append(f"    {c.cell:<15} {c.id} {_short(c.name, 40)}")
                for field in ("commentary", "action"):
                    new, old = getattr(c, field), getattr(c, f"old_{field}")
                    if change == "changed" and new != old:
                        lines.append(f"      {field} was: {_short(old, 80)!r}")
                    if new and (change == "new" or new != old):
                        lines.append(f"      {field}: {_short(new, 80)!r}")
                    if new.startswith(FORMULA_STARTS):
                        lines.append(
                            f"      flagged: the {field} starts with {new[0]!r}, so a "
                            "spreadsheet would run it as a formula; it is imported as text "
                            "(kpis.csv and `qpr assess --format csv` put a ' before it)"
                        )
        blanks = result.blanks[result.blanks["file"] == name]
        if len(blanks):
            lines.append(
                f"  Left empty, so not yet available ({len(blanks)}; import them when they "
                "come): " + ", ".join(f"{b.cell} ({b.id}, {b.label})" for b in blanks.itertuples())
            )
        same = (values["change"] == "same").sum() + (comments["change"] == "same").sum()
        if same:
            lines.append(f"  Already held, unchanged: {same}")
    changed = (result.values["change"] != "same").sum()
    changed += (result.commentary["change"] != "same").sum()
    if not changed:
        lines.append("No changes: every value and comment in the returns is already in the data.")
    if result.dry_run:
        lines.append("Dry run: nothing was written. Run again without --dry-run to import.")
    elif result.written:
        lines.append("Wrote " + ", ".join(str(p) for p in result.written))
    return "\n".join(lines)


def _duplicates(books: tuple[ReturnWorkbook, ...]) -> list[str]:
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for book in books:
        if not book.meta:
            continue
        key = (book.quarter_text, book.directorate)
        if key in seen:
            problems.append(
                f"{book.path.name}: {seen[key]} is also the {book.directorate} return for "
                f"{book.quarter_text}; expected one return per directorate: import one of them"
            )
        seen.setdefault(key, book.path.name)
    return problems


def _check_merged(data_dir: Path, merged: dict[str, pd.DataFrame]) -> None:
    """Load the merged data from a scratch copy: an import never leaves data that won't load."""
    with tempfile.TemporaryDirectory(prefix="qpr-import-") as scratch:
        copy = Path(scratch) / "data"
        shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns(RAW_FOLDER))
        for file, frame in merged.items():
            io.write_csv_atomic(frame, copy / file)
        try:
            io.load(copy)
        except DataError as error:
            raise DataError(
                ["with the returns merged in, the data would not load:", *error.problems]
            ) from None


def _keep_raw(book: ReturnWorkbook, data_dir: Path) -> Path:
    """Copy the workbook byte for byte into data/returns/<slug>/, read-only; reuse a twin."""
    folder = data_dir / RAW_FOLDER / Quarter.parse(book.quarter_text).slug
    return io.keep_read_only_copy(book.path, folder)


_VALUE_COLUMNS = ["file", "id", "name", "cell", "label", "period_end", "value", "unit", "red"]
_COMMENTARY_COLUMNS = [
    "file",
    "id",
    "name",
    "cell",
    "commentary_cell",
    "action_cell",
    "quarter",
    "commentary",
    "action",
    "author",
]
