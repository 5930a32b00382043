"""One return workbook read from its file: checked from its zip before openpyxl opens it
(size, parts, cells), its hidden sheet, the input cells as typed, and the cells it must not
have changed (locked, stray, formulas); qprlib.imports checks it against the data.
"""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
from openpyxl import load_workbook

from qprlib import io
from qprlib.errors import quote
from qprlib.returns import (
    FIRST_ROW,
    FORMAT,
    LAST_COL,
    META,
    META_COLUMNS,
    number_text,
)

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


_CELL_COLUMNS = ["id", "row", "cell", "period_end", "raw", "number_format"]
_COMMENT_COLUMNS = ["id", "row", "commentary", "action", "commentary_cell", "action_cell"]


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
