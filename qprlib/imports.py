"""Reading services' return workbooks back: check them, show what changes, merge them.

`qpr import FILE.xlsx...` reads workbooks written by `qpr returns` (qprlib.returns), checks
them and reports every problem in the spreadsheet's own terms (`Indicators!N9`, the
indicator, what is expected), shows the new and changed values and commentary, and merges
them into values.csv and commentary.csv. A value or comment already held is never
overwritten unless asked (`--replace`), and each imported workbook is kept, byte for byte and
read-only, under `data/returns/<quarter-slug>/` as the raw record.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
from openpyxl import load_workbook

from qprlib import io
from qprlib.errors import DataError, QprError, quote
from qprlib.periods import Quarter
from qprlib.rag import RatingRule
from qprlib.returns import (
    FIRST_ROW,
    FORMAT,
    LAST_COL,
    META,
    META_COLUMNS,
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
_FRESH = "use a fresh workbook from `qpr returns`"


@dataclass(frozen=True)
class ReturnWorkbook:
    """One return as read from its file, before it is checked against the data.

    cells:    id, row, cell ('Indicators!N9'), period_end (Timestamp), raw, number_format
    comments: id, row, commentary, action, commentary_cell, action_cell (raw text or None)
    problems: what was wrong with the file itself (not a return, locked cells changed...)
    """

    path: Path
    meta: dict[str, str]
    author: str
    cells: pd.DataFrame
    comments: pd.DataFrame
    problems: tuple[str, ...]

    @property
    def quarter_text(self) -> str:
        return str(self.meta.get("quarter", ""))

    @property
    def directorate(self) -> str:
        return str(self.meta.get("directorate", ""))


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


def read_return_workbook(path: str | Path) -> ReturnWorkbook:
    """Read one return: its identity, the filled-in cells, and changes to locked cells."""
    path = Path(path)
    empty = ReturnWorkbook(path, {}, "", _frame(_CELL_COLUMNS), _frame(_COMMENT_COLUMNS), ())
    refused = workbook_problem(path)
    if refused:
        return _with(empty, f"{path}: {refused}")
    try:
        book = load_workbook(path, data_only=True)
    except FileNotFoundError:
        return _with(empty, f"{path}: no such file")
    except Exception:  # noqa: BLE001 - openpyxl on a damaged file: any of a dozen errors
        return _with(
            empty, f"{path}: not an Excel workbook; expected a .xlsx made by `qpr returns`"
        )
    if META not in book.sheetnames:
        return _with(
            empty,
            f"{path.name}: no '{META}' sheet, so this is not a return made by `qpr returns` "
            f"(or it was saved in another format); expected a return workbook",
        )
    meta, table = _read_meta(book[META])
    if meta.get("format") != FORMAT:
        return _with(
            empty,
            f"{path.name}: {META}!B1: return format '{meta.get('format')}' is not {FORMAT}; "
            f"{_FRESH}",
        )
    if meta.get("sheet") not in book.sheetnames:
        return _with(empty, f"{path.name}: the '{meta.get('sheet')}' sheet is missing; {_FRESH}")
    try:
        return _read_return(path, book, meta, table)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return _with(empty, f"{path.name}: the hidden '{META}' sheet has been edited; {_FRESH}")


def _read_return(path: Path, book, meta: dict[str, str], table: list[dict]) -> ReturnWorkbook:
    """The identity, input cells and problems of a return whose hidden sheet names them."""
    sheet = book[meta["sheet"]]
    problems = _locked_cell_changes(path.name, sheet, table)
    problems += _stray_cells(path.name, sheet, table)
    cells, comments = _input_cells(sheet, meta, table)
    author_cell = f"{sheet.title}!{meta['author_cell']}"
    inputs = [*cells["cell"], *comments["commentary_cell"], *comments["action_cell"], author_cell]
    formulas = _formula_cells(path, meta["sheet"], inputs)
    problems += formulas.values()
    # a formula cell is said once, as a formula, not again for its cached value
    cells.loc[cells["cell"].isin(formulas), "raw"] = None
    for field in ("commentary", "action"):
        comments.loc[comments[f"{field}_cell"].isin(formulas), field] = None
    author = "" if author_cell in formulas else _text(sheet[meta["author_cell"]].value)
    return ReturnWorkbook(path, meta, author, cells, comments, tuple(problems))


# What a return workbook may be before it is opened: a return for a directorate is a few
# hundred cells and well under a megabyte, so these only stop hostile or wrong files (a
# small .xlsx can unpack to gigabytes) before openpyxl reads them into memory.
MAX_WORKBOOK_BYTES = 20 * 2**20  # the file itself
MAX_UNPACKED_BYTES = 50 * 2**20  # everything in it, unpacked
MAX_PARTS = 500  # files inside the zip
MAX_CELLS = 100_000  # cells in all its sheets
MAX_CELL_CHARS = io.EXCEL_CELL_CHARS  # characters in one cell (Excel's own limit)


def workbook_problem(path: Path) -> str | None:
    """Why `path` must not be opened as a return workbook, or None: checked from the zip's
    directory and a streamed pass over its sheets, never by unpacking it into memory."""
    problem = io.open_problem(path, Path(path).absolute().parent, MAX_WORKBOOK_BYTES)
    if problem == "missing":
        return "no such file"
    if problem and "outside the project" not in problem:  # a return may come from anywhere
        return problem
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            unpacked = sum(part.file_size for part in parts)
            if len(parts) > MAX_PARTS or unpacked > MAX_UNPACKED_BYTES:
                return (
                    f"unpacks to {unpacked / 2**20:,.0f} MB in {len(parts):,} parts, over the "
                    f"limits for a return ({MAX_UNPACKED_BYTES / 2**20:,.0f} MB, {MAX_PARTS} "
                    "parts); expected a return workbook as `qpr returns` writes it"
                )
            return _sheet_problem(archive, parts)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError):
        return "not an Excel workbook, or a damaged one; expected a .xlsx made by `qpr returns`"


def _sheet_problem(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo]) -> str | None:
    """The first sheet or string over MAX_CELLS or MAX_CELL_CHARS, streamed part by part."""
    cells = 0
    for part in parts:
        name = part.filename
        if not (name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml"):
            continue
        if not name.endswith(".xml"):
            continue
        with archive.open(part) as stream:
            try:
                for _, element in ElementTree.iterparse(stream):
                    tag = element.tag.rsplit("}", 1)[-1]
                    if tag == "c":
                        cells += 1
                        if cells > MAX_CELLS:
                            return (
                                f"has more than {MAX_CELLS:,} cells, over the limit for a return; "
                                "expected a return workbook as `qpr returns` writes it"
                            )
                    elif tag in ("t", "v", "f") and len(element.text or "") > MAX_CELL_CHARS:
                        where = f"sheet {name.rsplit('/', 1)[-1]}" if "worksheets" in name else name
                        return (
                            f"{where} holds a cell of {len(element.text or ''):,} characters, "
                            f"over Excel's limit of {MAX_CELL_CHARS:,}; expected a return's "
                            "ordinary cells"
                        )
                    if tag in ("c", "si", "row"):
                        element.clear()
            except ElementTree.ParseError as error:
                return f"{name} inside it cannot be read ({error}); {_FRESH}"
    return None


def _text_problems(name: str, cell: str, title: str, text: str, lines: bool) -> list[str]:
    """The text rule of the data files (io.read_text), said in the workbook's terms."""
    most = io.EXCEL_CELL_CHARS if lines else 200
    try:
        io.read_text(text, lines=lines, most=most)
    except ValueError as bad:
        return [f"{name}: {cell} ({title}): {quote(text)} {bad}"]
    return []


def _formula_cells(path: Path, sheet_name: str, cells: list[str]) -> dict[str, str]:
    """{cell: problem} for each input cell holding a formula: what is imported is what was
    typed (a formula's cached value may be stale, missing, or an error such as #DIV/0!)."""
    try:
        sheet = load_workbook(path, data_only=False)[sheet_name]
    except Exception:  # noqa: BLE001 - damaged: said when the workbook was read
        return {}
    problems = {}
    for cell in cells:
        found = sheet[cell.split("!", 1)[1]]
        if found.data_type == "f":
            formula = getattr(found.value, "text", None) or str(found.value)
            problems[cell] = (
                f"{path.name}: {cell}: holds a formula ({quote(formula)}), not a typed value; "
                "expected the figure or text itself (copy the cell and paste it back with "
                "Paste Special > Values)"
            )
    return problems


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
        indicator = row.id
        if indicator not in indicators.index:
            problems.append(
                f"{name}: Indicators!A{row.row}: indicator '{indicator}' is not in "
                f"indicators.csv; expected one of the directorate's indicator ids ({_FRESH})"
            )
            continue
        about = indicators.loc[indicator]
        title = f"{indicator} {about['name']}"
        if indicator not in targets.index:
            problems.append(
                f"{name}: Indicators!A{row.row} ({title}): targets.csv has no row for it in "
                f"{quarter.financial_year}, so it is not reported in {quarter}; expected only "
                f"indicators reported that year ({_FRESH}, or add its targets first)"
            )
            continue
        target = targets["target"].get(indicator, math.nan)
        floor = targets["floor"].get(indicator, math.nan)
        red_floor = red_threshold(about["kind"], about["polarity"], target, floor, rule)
        latest = None
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
        if commentary or action:
            comments.append(
                {
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
            )
    return (
        pd.DataFrame(values, columns=_VALUE_COLUMNS),
        pd.DataFrame(comments, columns=_COMMENTARY_COLUMNS),
        problems,
    )


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


def value_changes(incoming: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """Filled value cells against values.csv: adds old and change ('new'|'changed'|'same')."""
    filled = incoming.dropna(subset=["value"])
    merged = filled.merge(
        held.rename(columns={"value": "old"})[["id", "period_end", "old"]],
        on=["id", "period_end"],
        how="left",
    )
    same = [_close(new, old) for new, old in zip(merged["value"], merged["old"], strict=True)]
    change = [
        "same" if s else "new" if pd.isna(o) else "changed"
        for s, o in zip(same, merged["old"], strict=True)
    ]
    return merged.assign(change=pd.Series(change, index=merged.index, dtype=object))


def commentary_changes(incoming: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """Filled commentary against commentary.csv: adds old_commentary, old_action, change
    ('new'|'changed'|'same') and overwrites (the held fields, commentary/action, it replaces).

    A blank commentary, action or author keeps what is held (a blank never erases).
    """
    old = held.rename(columns=lambda c: c if c in ("id", "quarter") else f"old_{c}")
    merged = incoming.merge(
        old[["id", "quarter", "old_commentary", "old_action", "old_author"]],
        on=["id", "quarter"],
        how="left",
    )
    held_row = merged["old_commentary"].notna() | merged["old_action"].notna()
    old_c, old_a = merged["old_commentary"].map(_text), merged["old_action"].map(_text)
    new_c = merged["commentary"].where(merged["commentary"] != "", old_c)
    new_a = merged["action"].where(merged["action"] != "", old_a)
    same = (new_c == old_c) & (new_a == old_a)
    # Filling a blank held field overwrites nothing; replacing held text needs --replace.
    overwrites = (
        ((old_c != "") & (new_c != old_c)).map({True: "commentary", False: ""})
        + " "
        + ((old_a != "") & (new_a != old_a)).map({True: "action", False: ""})
    ).str.split()
    change = [
        "same" if s else "changed" if h else "new" for s, h in zip(same, held_row, strict=True)
    ]
    author = merged["author"].where(merged["author"] != "", merged["old_author"].map(_text))
    return merged.assign(
        commentary=new_c,
        action=new_a,
        author=author,
        old_commentary=old_c,
        old_action=old_a,
        change=pd.Series(change, index=merged.index, dtype=object),
        overwrites=overwrites,
    )


def conflicts(values: pd.DataFrame, commentary: pd.DataFrame) -> list[str]:
    """One line per value or comment that would overwrite a different one already held."""
    lines = [
        f"{v.file}: {v.cell} ({v.id} {v.name}, {v.label}): values.csv already holds "
        f"{number_text(v.old, v.unit)} and the return says {number_text(v.value, v.unit)}; "
        f"run again with --replace to overwrite it"
        for v in values[values["change"] == "changed"].itertuples()
    ]
    lines += [
        f"{c.file}: {getattr(c, f'{field}_cell')} ({c.id} {c.name}): commentary.csv already "
        f"holds this {field} for {c.quarter}: {_short(getattr(c, f'old_{field}'), 60)!r}, and "
        f"the return says {_short(getattr(c, field), 60)!r}; run again with --replace to "
        f"overwrite it"
        for c in commentary.itertuples()
        for field in c.overwrites
    ]
    return lines


def value_updates(changes: pd.DataFrame) -> dict[tuple, dict[str, str]]:
    """(id, period_end) -> the values.csv cells to write, for new and changed values.

    `status` (written only where values.csv has that optional column): a changed value is
    `revised`; a new one is a final figure (blank).
    """
    chosen = changes[changes["change"] != "same"]
    return {
        (v.id, pd.Timestamp(v.period_end)): {
            "id": v.id,
            "period_end": f"{pd.Timestamp(v.period_end):%Y-%m-%d}",
            "value": _csv_number(v.value),
            "status": "revised" if v.change == "changed" else "",
        }
        for v in chosen.itertuples()
    }


def commentary_updates(changes: pd.DataFrame) -> dict[tuple, dict[str, str]]:
    """(id, quarter) -> the commentary.csv cells to write, for new and changed commentary."""
    chosen = changes[changes["change"] != "same"]
    columns = ["id", "quarter", "commentary", "action", "author"]
    return {
        (c.id, c.quarter): {k: _text(getattr(c, k)) for k in columns} for c in chosen.itertuples()
    }


def merge_rows(
    rows: list[list[str]], keys: list[str], read_key, updates: dict[tuple, dict[str, str]]
) -> pd.DataFrame:
    """A data file's records (header first, as text) with `updates` merged in, as a frame.

    A held key has only its other cells replaced; every other row stays exactly as it was
    (so the file's diff shows just the import). New keys are appended, and the whole file is
    put in key order only when it was already in key order.
    """
    header = rows[0]
    at = {}
    for position, cell in enumerate(header):
        at.setdefault(io.heading(cell), position)
    body = [(row + [""] * len(header))[: len(header)] for row in rows[1:]]
    found = [_key(row, keys, at, read_key) for row in body]
    where = {key: i for i, key in enumerate(found) if key is not None}
    was_sorted = None not in found and found == sorted(found)
    for key, cells in updates.items():
        if key not in where:
            body.append([""] * len(header))
            found.append(key)
            where[key] = len(body) - 1
            cells = {**cells}
        else:
            cells = {c: text for c, text in cells.items() if c not in keys}
        for column, text in cells.items():
            if column in at:  # an optional column the file does not have is left out
                body[where[key]][at[column]] = text
    if was_sorted:
        body = [body[i] for i in sorted(range(len(body)), key=lambda i: found[i])]
    return pd.DataFrame(body, columns=header, dtype=object)


def _key(row: list[str], keys: list[str], at: dict[str, int], read_key) -> tuple | None:
    try:
        return read_key(*(row[at[k]] for k in keys))
    except ValueError:  # a blank row: kept where it is
        return None


def _value_key(id_: str, period_end: str) -> tuple:
    return (id_, io.read_date(period_end))


def _commentary_key(id_: str, quarter: str) -> tuple:
    return (id_, io.read_quarter(quarter))


def _file_rows(path: Path) -> list[list[str]]:
    """A data file's records as text, read by io's own reader (encoding, quoting, stripping)."""
    content, problems = io.decode(path.name, path.read_bytes())
    rows, more = io.split_rows(path.name, content) if content is not None else (None, [])
    if rows is None:
        raise DataError([str(problem) for problem in problems + more])
    return rows


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


def _read_meta(sheet) -> tuple[dict[str, str], list[dict]]:
    """The key/value pairs and the row table of the hidden qpr_return sheet."""
    meta: dict[str, str] = {}
    table: list[dict] = []
    header = None
    for values in sheet.iter_rows(values_only=True):
        values = (*values, None, None, None, None)[: len(META_COLUMNS)]
        if header is None and values[0] == META_COLUMNS[0]:
            header = values
        elif header is None and values[0] is not None:
            meta[str(values[0])] = "" if values[1] is None else str(values[1])
        elif header is not None and values[0] is not None:
            table.append(dict(zip(META_COLUMNS, values, strict=True)))
    return meta, table


def _locked_cell_changes(name: str, sheet, table: list[dict]) -> list[str]:
    problems = []
    for entry in table:
        try:
            locked = json.loads(entry["locked"] or "{}")
            row = int(entry["row"])
        except (TypeError, ValueError):
            return [f"{name}: the hidden '{META}' sheet has been edited; {_FRESH}"]
        for column, expected in locked.items():
            found = sheet[f"{column}{row}"].value
            if not _same(found, expected):
                problems.append(
                    f"{name}: {sheet.title}!{column}{row}: a locked cell was changed from "
                    f"{_show(expected)} to {_show(found)}; expected it unchanged (ids, targets and "
                    f"headings must stay as sent: put it back or {_FRESH})"
                )
    return problems


def _stray_cells(name: str, sheet, table: list[dict]) -> list[str]:
    """Anything typed outside the table (below it, or right of it) would be lost: say so."""
    last = max((int(e["row"]) for e in table if e["row"] is not None), default=FIRST_ROW - 1)
    problems = []
    for row in sheet.iter_rows():
        for cell in row:
            outside = cell.row > last or cell.column > LAST_COL
            if outside and cell.value is not None and str(cell.value).strip():
                where = "below the last indicator" if cell.row > last else "right of the table"
                problems.append(
                    f"{name}: {sheet.title}!{cell.coordinate}: {_show(cell.value)} is {where}, "
                    f"so it would not be read; expected values only in the yellow cells of each "
                    f"indicator's row"
                )
    return problems


def _input_cells(sheet, meta: dict[str, str], table: list[dict]):
    cells, comments = [], []
    commentary_col, action_col = meta["commentary_column"], meta["action_column"]
    for entry in table:
        if not entry["id"]:
            continue
        row = int(entry["row"])
        for pair in str(entry["inputs"] or "").split(";"):
            if not pair:
                continue
            column, day = pair.split("=")
            cell = sheet[f"{column}{row}"]
            cells.append(
                {
                    "id": str(entry["id"]),
                    "row": row,
                    "cell": f"{sheet.title}!{column}{row}",
                    "period_end": pd.Timestamp(day),
                    "raw": cell.value,
                    "number_format": cell.number_format,
                }
            )
        comments.append(
            {
                "id": str(entry["id"]),
                "row": row,
                "commentary": sheet[f"{commentary_col}{row}"].value,
                "action": sheet[f"{action_col}{row}"].value,
                "commentary_cell": f"{sheet.title}!{commentary_col}{row}",
                "action_cell": f"{sheet.title}!{action_col}{row}",
            }
        )
    return pd.DataFrame(cells, columns=_CELL_COLUMNS), pd.DataFrame(
        comments, columns=_COMMENT_COLUMNS
    )


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


_CELL_COLUMNS = ["id", "row", "cell", "period_end", "raw", "number_format"]
_COMMENT_COLUMNS = ["id", "row", "commentary", "action", "commentary_cell", "action_cell"]
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


def _frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


def _with(book: ReturnWorkbook, problem: str) -> ReturnWorkbook:
    return ReturnWorkbook(book.path, {}, "", book.cells, book.comments, (problem,))


def _same(found, expected) -> bool:
    if _blank(found) and _blank(expected):
        return True
    if _is_number(found) and _is_number(expected):
        return math.isclose(float(found), float(expected), rel_tol=1e-9, abs_tol=1e-9)
    return _text(found).replace("\r\n", "\n") == _text(expected).replace("\r\n", "\n")


def _close(new: float, old: float | None) -> bool:
    return (
        old is not None and not pd.isna(old) and math.isclose(new, old, rel_tol=1e-9, abs_tol=1e-9)
    )


def _is_number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _blank(x) -> bool:
    """An empty cell as openpyxl gives it (None, '') or as pandas keeps it once the column
    holds a number (NaN, NaT)."""
    if isinstance(x, str):
        return not x.strip()
    return x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x))


def _text(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if _is_number(x):
        return number_text(x)
    return str(x).strip()


def _show(x) -> str:
    return "an empty cell" if _blank(x) else quote(_text(x))


def _short(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _csv_number(x) -> str:
    if pd.isna(x):
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
