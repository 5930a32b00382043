"""The only module that reads or writes data files: load the data directory, checked and typed.

`load` reads the five CSV files, checks them and returns a `QprData`, or raises one
`DataError` listing every problem found, each as `file, row N, column 'c': ...` with the row
counted as a spreadsheet shows it (the header is row 1). Unknown extra columns are not errors:
they are ignored with a `DataWarning` (`warnings.warn`), so `qpr validate` can show them.

What an Excel user can send and still be understood (decided here, once):

- Encoding: UTF-8, with or without the byte-order mark Excel's "CSV UTF-8" writes, else
  Windows-1252 (Excel's plain "CSV" on UK Windows).
- Every cell is read as text first (so messages quote it as typed) and stripped of surrounding
  spaces; headings match ignoring case and spaces (`Period End` is `period_end`); rows with
  every cell blank are skipped but still counted, so row numbers match the spreadsheet.
- Numbers: thousands separators are dropped (`1,234` is 1234, but `12,4` is an error, not
  124) and a trailing percent sign is dropped (`85.5%` is 85.5, on the 0-100 scale the data
  uses, never 0.855). A blank value cell is a missing value (NaN), which is allowed.
- Dates: ISO `2023-09-30` or UK day-first `30/09/2023`.
- Vocabulary words (kind, polarity, unit, frequency, status) match ignoring case.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import json
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from io import StringIO
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from qprlib.atomic import write_atomic
from qprlib.errors import DataError, DataWarning, QprError, located, quote
from qprlib.periods import (
    FIRST_DAY,
    FIRST_MONTH,
    FIRST_YEAR,
    LAST_DAY,
    LAST_YEAR,
    Quarter,
    financial_year_label,
    quarter_range,
)
from qprlib.rag import POLARITY_SIGN

DATA_FILES = ("indicators.csv", "targets.csv", "values.csv", "commentary.csv", "milestones.csv")
COMPARATORS_FILE = "comparators.csv"  # optional: published figures of other areas (compare.py)
ENCODINGS = ("utf-8-sig", "cp1252")  # Excel: "CSV UTF-8" (with BOM), then plain "CSV" (UK Windows)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")  # ISO, and the UK day-first form Excel shows
OTHER_SEPARATORS = {";": "';'", "\t": "tabs"}  # what Excel writes in other locales / "Text"

KINDS = ("kpi", "activity")
POLARITIES = ("higher", "lower", "none")
UNITS = ("percent", "number", "days", "currency", "rate")
FREQUENCIES = ("monthly", "quarterly")
STATUSES = ("on_track", "uncertain", "off_track", "complete")
VALUE_STATUSES = ("provisional", "estimate", "revised")  # values.csv `status`; blank = final
TARGET_COLUMNS = ("target", "floor", "lower", "upper")
UNIT_LIMITS = {  # (lowest, highest) a value or target may be, by unit; None = no limit
    "percent": (0.0, 100.0),
    "number": (0.0, None),
    "days": (0.0, None),
    "currency": (0.0, None),
    "rate": (None, None),
}

_OUT_OF_YEARS = (
    f"is outside the years the workbook reports ({financial_year_label(FIRST_YEAR)} to "
    f"{financial_year_label(LAST_YEAR)})"
)
LARGEST = 1e15  # a figure's size limit: beyond any council's budget in pence, far from overflow
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_FINANCIAL_YEAR = re.compile(r"(\d{4})\s*[/-]\s*(\d{2})")


@dataclass(frozen=True)
class QprData:
    """The council's data, validated. DataFrames are never mutated by anyone downstream.

    indicators: id, name, directorate, service_area, kind, polarity, unit, frequency,
                definition, owner (text; '' where blank)
    targets:    id, year ('2023/24'), target, floor, lower, upper (floats, NaN where not set)
    values:     id, period_end (datetime64, month end), value (float; NaN = missing),
                status ('' = final, or provisional/estimate/revised; '' when the file has no
                status column)
    commentary: id, quarter ('2023/24 Q2'), commentary, action, author, risks ('' when the
                file has no risks column)
    milestones: directorate, objective, milestone, due (datetime64), quarter, status, commentary
    comparators: id, area_code, area_name, period (datetime64, month end), value (float) from
                the optional comparators.csv; no rows when the council has no such file
    """

    indicators: pd.DataFrame
    targets: pd.DataFrame
    values: pd.DataFrame
    commentary: pd.DataFrame
    milestones: pd.DataFrame
    source: Path
    data_hash: str
    comparators: pd.DataFrame = field(default_factory=lambda: empty_table(COMPARATORS_FILE))


class Problem(NamedTuple):
    """One thing wrong in the data, where it is (row as a spreadsheet counts it)."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return located(self.file, self.row, self.column, self.message)


class Uncounted(NamedTuple):
    """Problems of one file found but not made into messages: a million bad rows are counted,
    not listed (`listed` shows the first MAX_LISTED of a file, in reading order)."""

    file: str
    count: int
    row = None
    column = None


class _Invalid(ValueError):
    """A cell that cannot be read; the text says what is wrong with it ("is not a number")."""


# --- reading one cell --------------------------------------------------------------------


def read_number(raw: str) -> float:
    """'85.5', '1,234', '85.5%' -> float (see the module docstring for what is accepted).

    Only finite numbers of less than LARGEST in size: `1e400` (infinity to a computer) or
    `1e300` (whose square overflows in a trend) are not figures.
    """
    digits = raw.removesuffix("%").rstrip()
    if _THOUSANDS.fullmatch(digits):
        digits = digits.replace(",", "")
    if not _NUMBER.fullmatch(digits):
        raise _Invalid("is not a number")
    number = float(digits)
    if not abs(number) < LARGEST:
        raise _Invalid(f"is too large a number (the limit is {LARGEST:,.0f} either side of 0)")
    return number


def read_date(raw: str) -> pd.Timestamp:
    """'2023-09-30' or '30/09/2023' -> Timestamp, within the years the workbook reports."""
    for form in DATE_FORMATS:
        try:
            day = datetime.strptime(raw, form).date()
        except ValueError:
            continue
        if not FIRST_DAY <= day <= LAST_DAY:
            raise _Invalid(
                f"is outside the years the workbook reports ({FIRST_DAY:%Y-%m-%d} to "
                f"{LAST_DAY:%Y-%m-%d})"
            )
        return pd.Timestamp(day)
    raise _Invalid("is not a date")


def read_month_end(raw: str) -> pd.Timestamp:
    """A date that is the last day of its month."""
    day = read_date(raw)
    if not day.is_month_end:
        month_end = day + pd.offsets.MonthEnd(0)
        raise _Invalid(f"is not the last day of its month ({month_end:%Y-%m-%d})")
    return day


def read_quarter(raw: str) -> str:
    """'2023-24 Q2' -> '2023/24 Q2' (the canonical form)."""
    try:
        return str(Quarter.parse(raw))
    except QprError as error:
        outside = "outside the years" in str(error)
        raise _Invalid(_OUT_OF_YEARS if outside else "is not a quarter") from None


def read_financial_year(raw: str) -> str:
    """'2023/24' or '2023-24' -> '2023/24'."""
    match = _FINANCIAL_YEAR.fullmatch(raw)
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise _Invalid("is not a financial year")
    if not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise _Invalid(_OUT_OF_YEARS)
    return financial_year_label(int(match[1]))


def _word_reader(column: str, words: tuple[str, ...]) -> Callable[[str], str]:
    def read(raw: str) -> str:
        if raw.lower() not in words:
            raise _Invalid(f"is not a known {column}")
        return raw.lower()

    return read


# --- the schema: one table of column specs -------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a data file: how to read a cell, and what a good cell looks like."""

    name: str
    read: Callable[[str], object]
    expected: str  # ends every message about this column: "expected <this>"
    required: bool = False  # a blank cell is a problem
    dtype: str = "object"
    blank: object = None  # what a blank (or unreadable) cell becomes


def text(
    name: str,
    expected: str = "some text",
    required: bool = False,
    lines: bool = False,
    most: int = 200,
) -> Column:
    """A free-text column; blank cells are ''. See `read_text` for what a cell may hold."""
    return Column(name, _text_reader(lines, most), expected, required, blank="")


def commentary_text(name: str) -> Column:
    """Free text of paragraphs (commentary, actions, definitions): line breaks and tabs allowed,
    up to Excel's limit for one cell (the return workbooks carry it)."""
    return text(name, lines=True, most=EXCEL_CELL_CHARS)


EXCEL_CELL_CHARS = 32_767  # the most one Excel cell holds
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")  # in one-line text
_CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]|\r(?!\n)")
CHARACTER_NAMES = {
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a carriage return",
    "\x00": "a NUL",
    "\x0b": "a vertical tab",
    "\x0c": "a form feed",
    "\x1b": "an escape",
    "\x7f": "a delete",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
    "\ufffe": "a non-character",
    "\uffff": "a non-character",
}


def read_text(raw: str, lines: bool = False, most: int = 200) -> str:
    """A text cell as every writer downstream (HTML, Typst, Word, Excel, CSV) can take it.

    The one rule, decided here: no control characters at all in names, ids and other
    one-line text; in paragraphs (`lines`) only line breaks and tabs (Windows' CR LF is read
    as a line break); at most `most` characters.
    """
    bad = (_CONTROL_IN_LINES if lines else _CONTROL).search(raw)
    if bad:
        char = bad[0]
        name = CHARACTER_NAMES.get(char, "a control character")
        allowed = "only line breaks and tabs in this column" if lines else "none in this column"
        raise _Invalid(
            f"has {name} (U+{ord(char):04X}) at character {bad.start() + 1}, which a report "
            f"cannot show ({allowed}; retype the text)"
        )
    if len(raw) > most:
        raise _Invalid(f"is over the limit of {most:,} characters")
    return raw.replace("\r\n", "\n") if lines else raw


def _text_reader(lines: bool, most: int) -> Callable[[str], str]:
    def read(raw: str) -> str:
        return read_text(raw, lines, most)

    return read


def number(name: str) -> Column:
    """A numeric column; blank cells are NaN."""
    return Column(name, read_number, "a number such as 85.5", dtype="float64", blank=np.nan)


def date(name: str) -> Column:
    """A date column; blank cells are NaT."""
    expected = "a date such as 2023-09-30 or 30/09/2023"
    return Column(name, read_date, expected, dtype="datetime64[ns]", blank=pd.NaT)


def month_end(name: str) -> Column:
    """A required month-end date column."""
    expected = "a month-end date such as 2023-09-30 or 30/09/2023"
    return Column(name, read_month_end, expected, True, "datetime64[ns]", pd.NaT)


def quarter(name: str) -> Column:
    """A required quarter column, stored as '2023/24 Q2'."""
    return Column(name, read_quarter, "a quarter such as 2023/24 Q2", required=True)


def financial_year(name: str) -> Column:
    """A required financial-year column, stored as '2023/24'."""
    return Column(name, read_financial_year, "a financial year such as 2023/24", required=True)


def word(name: str, words: tuple[str, ...]) -> Column:
    """A required column holding one word from a vocabulary."""
    return Column(name, _word_reader(name, words), f"one of {', '.join(words)}", required=True)


INDICATOR_ID = "an indicator id such as ASC01"
SCHEMA: dict[str, tuple[Column, ...]] = {
    "indicators.csv": (
        text("id", INDICATOR_ID, required=True, most=40),
        text("name", "the indicator's name", required=True, most=300),
        text("directorate", "the directorate's name", required=True, most=120),
        text("service_area", "the service area's name", required=True, most=120),
        word("kind", KINDS),
        word("polarity", POLARITIES),
        word("unit", UNITS),
        word("frequency", FREQUENCIES),
        commentary_text("definition"),
        text("owner"),
    ),
    "targets.csv": (
        text("id", INDICATOR_ID, required=True, most=40),
        financial_year("year"),
        number("target"),
        number("floor"),
        number("lower"),
        number("upper"),
    ),
    "values.csv": (
        text("id", INDICATOR_ID, required=True, most=40),
        month_end("period_end"),
        number("value"),
    ),
    "commentary.csv": (
        text("id", INDICATOR_ID, required=True, most=40),
        quarter("quarter"),
        commentary_text("commentary"),
        commentary_text("action"),
        text("author"),
    ),
    "milestones.csv": (
        text("directorate", "the directorate's name", required=True, most=120),
        text("objective", most=1000),
        text("milestone", "what the milestone is", required=True, most=1000),
        date("due"),
        quarter("quarter"),
        word("status", STATUSES),
        commentary_text("commentary"),
    ),
    COMPARATORS_FILE: (
        text("id", INDICATOR_ID, required=True, most=40),
        text("area_code", "an area code such as E10000016", required=True),
        text("area_name", "the area's name"),
        month_end("period"),
        number("value"),
    ),
}


# Columns a file may have or leave out (a file without one reads as if every cell were blank);
# never required, so data written before they existed still loads unchanged.
OPTIONAL: dict[str, tuple[Column, ...]] = {
    # the risks around a called-in KPI, as PAT's briefing gives them (seed 002; issue 17)
    "commentary.csv": (text("risks", "the risks, or blank"),),
    "values.csv": (
        Column(
            "status",
            _word_reader("status", VALUE_STATUSES),
            f"blank (a final figure) or one of {', '.join(VALUE_STATUSES)}",
            blank="",
        ),
    ),
}


def column_names(file: str) -> list[str]:
    """The columns a data file must have, in order."""
    return [column.name for column in SCHEMA[file]]


def optional_names(file: str) -> list[str]:
    """The columns a data file may also have (OPTIONAL), in order."""
    return [column.name for column in OPTIONAL.get(file, ())]


def empty_table(file: str) -> pd.DataFrame:
    """A table with a data file's columns and dtypes and no rows."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in SCHEMA[file]})


# --- reading one file --------------------------------------------------------------------

MAX_FILE_BYTES = 256 * 2**20  # a data file larger than this is refused before it is read
MAX_ROWS = 2_000_000  # rows per data file (1 million value rows validate in a few seconds)
MAX_LISTED = 50  # problems listed per file; the rest are counted ("… and 199,950 more")


def read_bytes(folder: Path) -> dict[str, bytes | Problem | None]:
    """Each data file's bytes, read once (what is hashed is what is checked): None when
    missing, a Problem when it is there but must not or cannot be read (see `open_problem`)."""
    if not folder.is_dir():
        expected = ", ".join(DATA_FILES)
        what = "is a file, not a folder" if folder.exists() else "data folder not found"
        raise DataError(f"{folder}: {what}; expected a folder holding {expected}")
    contents = {file: read_data_file(folder, file) for file in DATA_FILES}
    comparators = read_data_file(folder, COMPARATORS_FILE)
    if comparators is not None:  # optional: absent, the hash is as it always was
        contents[COMPARATORS_FILE] = comparators
    return contents


def read_data_file(folder: Path, file: str) -> bytes | Problem | None:
    """One data file's bytes, or None (missing), or the Problem that stops it being read."""
    path = folder / file
    problem = open_problem(path, folder.resolve().parent, MAX_FILE_BYTES)
    if problem == "missing":
        return None
    if problem:
        return Problem(file, None, None, problem)
    try:
        return path.read_bytes()
    except OSError as error:
        return Problem(file, None, None, f"{os_reason(error)}; expected a CSV file you can read")


def open_problem(path: Path, project: Path, max_bytes: int) -> str | None:
    """Why `path` must not be read as an input file ('missing' when it is not there), or None.

    An input is a regular file inside the project: a link leading out of the project is refused
    without reading what it points at (it could be anyone's file, or /dev/zero), and so is a
    folder, a device or a pipe (reading a pipe never ends). A file over `max_bytes` is refused
    before it is read.
    """
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return (
            f"is a link to {os.readlink(path)}, which does not exist"
            if path.is_symlink()
            else "missing"
        )
    except (OSError, RuntimeError) as error:  # a loop of links, a permission on the way
        return f"cannot be opened ({getattr(error, 'strerror', None) or error})"
    if path.is_symlink() and not target.is_relative_to(project):
        return (
            f"is a link to {target}, outside the project folder {project}; expected the file "
            "itself in the project (copy it in rather than linking to it)"
        )
    try:
        status = target.stat()
    except OSError as error:
        return os_reason(error)
    if stat.S_ISDIR(status.st_mode):
        return "is a folder, not a file; expected a CSV file of that name"
    if not stat.S_ISREG(status.st_mode):
        return "is not a regular file (a device or pipe?); expected a CSV file"
    if status.st_size > max_bytes:
        return (
            f"is {size_text(status.st_size)}, over the limit of {size_text(max_bytes)} for one "
            "file; expected a smaller file (is it the right one?)"
        )
    if not os.access(target, os.R_OK):
        return "cannot be read: permission denied (check the file's permissions)"
    return None


def size_text(size: float) -> str:
    """A file size as people say it: '256 KB', '48 MB'."""
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{size:,.0f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def os_reason(error: OSError) -> str:
    """What an OSError reading a file means, in words: 'cannot be read: permission denied'."""
    if isinstance(error, PermissionError):
        return "cannot be read: permission denied (check the file's permissions)"
    if isinstance(error, IsADirectoryError):
        return "is a folder, not a file"
    return f"cannot be read ({error.strerror or error})"


def missing_file(file: str, folder: Path) -> Problem:
    """The problem for a data file that is not there (pointing at an Excel copy if there is one)."""
    workbook = folder / f"{Path(file).stem}.xlsx"
    hint = f" (there is {workbook.name}: save it as CSV UTF-8)" if workbook.exists() else ""
    expected = f"a CSV file with the columns {', '.join(column_names(file))}"
    return Problem(file, None, None, f"not found in {folder}{hint}; expected {expected}")


_UTF8_CHARACTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_SAVE_AS = "expected a file saved from Excel as 'CSV UTF-8 (Comma delimited)'"


def decode(file: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """The file's text: UTF-8 (BOM or not), else Windows-1252; never a mixture of the two."""
    if b"\x00" in data:
        return None, [Problem(file, None, None, f"{_binary_kind(data)}; {_SAVE_AS}")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        bad = error.start
    utf8 = _UTF8_CHARACTER.search(data)
    if utf8:  # well-formed UTF-8 characters elsewhere: a file put together from two sources
        good, line = data[utf8.start() : utf8.end()].decode("utf-8"), _line_of(data, bad)
        byte = data[bad : bad + 1]
        message = (
            f"is not a CSV text file in one encoding: line {_line_of(data, utf8.start())} has "
            f"UTF-8 text ('{good}') but line {line} has a byte that is not UTF-8 (0x{byte.hex()},"
            f" '{byte.decode('cp1252', 'replace')}' in Windows-1252); expected one encoding "
            f"for the whole file: retype line {line}'s accented letters or symbols and save it "
            "again as 'CSV UTF-8 (Comma delimited)'"
        )
        return None, [Problem(file, None, None, message)]
    try:
        return data.decode("cp1252"), []
    except UnicodeDecodeError as error:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: not Windows-1252 either
        at = error.start
        message = (
            f"is not a CSV text file: line {_line_of(data, at)} has a byte (0x{data[at]:02x}) "
            f"that is neither UTF-8 nor Windows-1252 text; {_SAVE_AS}"
        )
        return None, [Problem(file, None, None, message)]


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _binary_kind(data: bytes) -> str:
    """What a file holding NUL bytes is: a workbook, UTF-16 text, or text with a NUL in it."""
    if data.startswith(b"PK\x03\x04"):
        return "is not a CSV text file: it is an Excel workbook (.xlsx) named .csv"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "is not a CSV text file: it is an old Excel workbook (.xls) named .csv"
    sample = data[:400]
    alternate = max(sample[0::2].count(0), sample[1::2].count(0))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or alternate > len(sample) // 4:
        return "is not a CSV text file: it is saved as Unicode (UTF-16) text"
    line = _line_of(data, data.index(b"\x00"))
    return f"is not a CSV text file: line {line} has a NUL byte (a zero byte)"


class Records(NamedTuple):
    """A CSV file read as text: its header and the schema's columns of its other rows."""

    header: list[str]
    table: pd.DataFrame  # the schema's columns as text, indexed by spreadsheet row number
    problems: list[Problem]


def records(file: str, content: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row, stripped cells) for each record; a broken one raises _BadRecord."""
    reader = csv.reader(_lines(content), strict=True)
    row = 0
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _BadRecord(row + 1, start, reader.line_num, str(error)) from None
        row += 1
        yield row, [cell.strip() for cell in cells]


class _BadRecord(Exception):
    def __init__(self, row: int, start: int, line: int, reason: str):
        super().__init__(reason)
        self.row, self.start, self.line, self.reason = row, start, line, reason

    def problem(self, file: str) -> Problem:
        if "end of data" in self.reason:
            what = (
                f'a quote (") opened on line {self.start} is never closed, so the rest of the '
                "file would be one cell; expected a closing quote at the end of that cell"
            )
        elif "field larger than field limit" in self.reason:
            what = (
                f"line {self.start} has a cell of more than {csv.field_size_limit():,} "
                "characters (an unclosed quote?); expected cells of ordinary length"
            )
        else:
            what = (
                f"line {self.line} cannot be read as CSV ({self.reason}); expected a quoted cell "
                'to be quoted whole, with any quote inside it doubled ("")'
            )
        return Problem(file, self.row, None, what)


def _lines(content: str, chunk: int = 1 << 20) -> Iterator[str]:
    """The text's lines with their ends (as `StringIO(content, newline="")` gives them),
    read a megabyte at a time: StringIO holds 4 bytes a character, and a file can be 100 MB."""
    start = 0
    while start < len(content):
        end = content.find("\n", start + chunk)
        end = len(content) if end < 0 else end + 1
        yield from StringIO(content[start:end], newline="")
        start = end


def split_rows(file: str, content: str) -> tuple[list[list[str]] | None, list[Problem]]:
    """The file's records as lists of stripped cells (record k is spreadsheet row k + 1)."""
    try:
        rows = [cells for _, cells in records(file, content)]
    except _BadRecord as bad:
        return None, [bad.problem(file)]
    if not any(any(row) for row in rows):
        return None, [_empty(file)]
    return rows, []


def heading(raw: str) -> str:
    """How a header cell is matched: 'Period End ' -> 'period_end'."""
    return re.sub(r"\s+", "_", raw.strip().lower())


def check_header(file: str, header: list[str]) -> tuple[list[Problem], list[Problem]]:
    """Problems (wrong separator, repeated or missing columns) and warnings (unknown columns)."""
    wanted = column_names(file)
    for separator, name in OTHER_SEPARATORS.items():
        if len(header) == 1 and separator in header[0]:
            message = f"looks like it is separated by {name} — save it as comma-separated (CSV)"
            return [Problem(file, 1, None, message)], []
    names = [heading(cell) for cell in header]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    problems = [
        Problem(file, 1, _heading_shown(name), "appears more than once; expected each column once")
        for name in repeated
    ]
    missing = [name for name in wanted if name not in names]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        found = ", ".join(_heading_shown(cell) for cell in header[:12] if cell) or "nothing"
        found += f" and {len(header) - 12:,} more" if len(header) > 12 else ""
        message = (
            f"missing column {listed}; expected the columns {', '.join(wanted)} (found: {found})"
        )
        return [*problems, Problem(file, 1, None, message)], []
    known = wanted + optional_names(file)
    unknown = [cell for cell, name in zip(header, names, strict=True) if cell and name not in known]
    notes = [
        Problem(
            file,
            1,
            _heading_shown(cell),
            f"is not a known column and is ignored; expected {', '.join(known)}",
        )
        for cell in unknown[:MAX_LISTED]
    ]
    return problems, notes


def _heading_shown(cell: str, most: int = 40) -> str:
    """A header cell as a message names it: control characters escaped, cut to `most`."""
    return quote(cell, most)[1:-1] if len(cell) <= most else quote(cell, most).split("' (")[0][1:]


def _empty(file: str) -> Problem:
    expected = f"a header row: {', '.join(column_names(file))}"
    return Problem(file, None, None, f"the file is empty; expected {expected}")


def text_table(file: str, content: str) -> tuple[pd.DataFrame | None, list[Problem], list[Problem]]:
    """The data rows as text in the schema's columns, indexed by spreadsheet row number; the
    problems (header, rows of the wrong length) and warnings (unknown columns).

    Blank rows are dropped (their numbers are kept by the others). Equal cells share one
    string and each distinct text is stripped once, so a million rows of a few thousand ids
    cost a few thousand strings.
    """
    lines = content.count("\n") or content.count("\r")
    if lines > MAX_ROWS + 1:
        message = (
            f"has {lines:,} lines, over the limit of {MAX_ROWS:,} rows for one file; expected "
            "a smaller file (is it the right one?)"
        )
        return None, [Problem(file, None, None, message)], []
    reader = csv.reader(_lines(content), strict=True)
    row = ended = 0
    try:
        header = [cell.strip() for cell in next(reader, [])]
        row, ended = 1, reader.line_num
        if not any(header):
            more = any(any(cell.strip() for cell in cells) for cells in reader)
            return None, check_header(file, header)[0] if more else [_empty(file)], []
        problems, notes = check_header(file, header)
        if problems:
            return None, problems, notes
        names = [heading(cell) for cell in header]
        absent = [name for name in optional_names(file) if name not in names]  # read as blank
        wanted = [name for name in column_names(file) + optional_names(file) if name in names]
        positions = [names.index(name) for name in wanted]
        pick, last, width = itemgetter(*positions), max(positions), len(header)
        index: list[int] = []
        rows: list[tuple[str, ...]] = []
        same = {}.setdefault  # one string object per distinct text
        for cells in reader:
            row += 1
            ended = reader.line_num
            if len(cells) != width:
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                    problems.append(_long_row(file, row, cells, header))
                    continue
                if len(cells) <= last:
                    problems.append(_short_row(file, row, cells, header))
                    continue
            picked = pick(cells)
            index.append(row)
            rows.append(tuple(map(same, picked, picked)))
    except csv.Error as error:
        return None, [_BadRecord(row + 1, ended + 1, reader.line_num, str(error)).problem(file)], []
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in wanted]
    del rows
    table = {}
    for name, column in zip(wanted, columns, strict=True):  # each distinct text stripped once
        codes, texts = pd.factorize(np.array(column, dtype=object), sort=False)
        table[name] = np.array([text.strip() for text in texts], dtype=object)[codes]
    table |= {name: np.full(len(index), "", dtype=object) for name in absent}
    everything = column_names(file) + optional_names(file)
    frame = pd.DataFrame(table, index=pd.Index(index, dtype=int), columns=everything, dtype=object)
    return frame[(frame != "").any(axis=1)], problems, notes


def _cells(cells: list[str], shown: int = 6) -> str:
    listed = ", ".join(quote(cell.strip(), 24) for cell in cells[:shown])
    return listed + (f" and {len(cells) - shown} more" if len(cells) > shown else "")


def _long_row(file: str, row: int, cells: list[str], header: list[str]) -> Problem:
    """A row with more filled cells than the header has columns (usually an unquoted comma)."""
    return Problem(
        file,
        row,
        None,
        f"has {len(cells)} cells ({_cells(cells)}) but the header has {len(header)} columns; "
        "expected one cell per column (put quotes round a cell that contains a comma)",
    )


def _short_row(file: str, row: int, cells: list[str], header: list[str]) -> Problem:
    """A row that stops before the header's last column: a cell is missing, not blank."""
    missing = ", ".join(header[len(cells) :][:3]) + (", …" if len(header) - len(cells) > 3 else "")
    return Problem(
        file,
        row,
        None,
        f"has {len(cells)} cells ({_cells(cells)}) but the header has {len(header)} columns, so "
        f"the row stops before {missing}; expected one cell per column: a cell left out at the "
        "end of the line is not read as blank (write its comma for a blank cell)",
    )


def typed_column(file: str, table: pd.DataFrame, column: Column) -> tuple[pd.Series, list[Problem]]:
    """One column read cell by cell; every unreadable or missing cell becomes a Problem.

    Each distinct text is read once (a million value rows hold a few thousand distinct
    cells), and its reading or its problem is given to every row holding it.
    """
    codes, texts = pd.factorize(table[column.name].to_numpy(dtype=object), sort=False)
    read, wrong = [], {}
    for code, raw in enumerate(texts):
        if raw == "":
            read.append(column.blank)
            if column.required:
                wrong[code] = f"is empty; expected {column.expected}"
            continue
        try:
            read.append(column.read(raw))
        except _Invalid as bad:
            read.append(column.blank)
            wrong[code] = f"{quote(raw)} {bad}; expected {column.expected}"
    typed = pd.Series(read, dtype=column.dtype).to_numpy()
    series = pd.Series(typed[codes], index=table.index, dtype=column.dtype, name=column.name)
    problems = []
    if wrong:
        rows, bad = table.index.to_numpy(), np.flatnonzero(np.isin(codes, list(wrong)))
        for at in bad[:MAX_LISTED]:  # only these can be listed; the rest are counted
            problems.append(Problem(file, int(rows[at]), column.name, wrong[codes[at]]))
        if len(bad) > MAX_LISTED:
            problems.append(Uncounted(file, len(bad) - MAX_LISTED))
    return series, problems


def typed_table(file: str, table: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """The text table converted column by column as SCHEMA (then OPTIONAL) says."""
    columns, problems = [], []
    for column in (*SCHEMA[file], *OPTIONAL.get(file, ())):
        series, found = typed_column(file, table, column)
        columns.append(series)
        problems += found
    return pd.concat(columns, axis=1), problems


def read_table(file: str, data: bytes) -> tuple[pd.DataFrame | None, list[Problem], list[Problem]]:
    """One file's typed table (None when unreadable), its problems and its warnings."""
    content, problems = decode(file, data)
    if content is None:
        return None, problems, []
    table, problems, notes = text_table(file, content)
    if table is None:
        return None, problems, notes
    table, found = typed_table(file, table)
    return table, problems + found, notes


# --- checks within one file ----------------------------------------------------------------


def repeats(table: pd.DataFrame, keys: list[str]) -> Iterator[tuple[int, tuple, int]]:
    """(row, key, first row) for each row whose key was already used higher up."""
    first: dict[tuple, int] = {}
    usable = table.dropna(subset=keys)  # an unreadable cell is reported already
    usable = usable[usable.duplicated(keys, keep=False)]  # only keys used twice can repeat
    for row, key in zip(usable.index, usable[keys].itertuples(index=False, name=None), strict=True):
        if "" in key:  # so is a blank one
            continue
        if key in first:
            yield row, key, first[key]
        first.setdefault(key, row)


def check_unique_ids(indicators: pd.DataFrame) -> list[Problem]:
    """Each indicator id once in indicators.csv."""
    return [
        Problem(
            "indicators.csv",
            row,
            "id",
            f"'{id_}' is already the id on row {first}; expected each indicator once",
        )
        for row, (id_,), first in repeats(indicators, ["id"])
    ]


def one_row_per(table: pd.DataFrame, file: str, key: str, holds: str, per: str) -> list[Problem]:
    """Problems for rows repeating an (id, key) pair: one row per indicator per `per`."""
    return [
        Problem(
            file,
            row,
            key,
            f"'{id_}' already has {holds} for {show_key(when)} on row {first}; "
            f"expected one row per indicator per {per}",
        )
        for row, (id_, when), first in repeats(table, ["id", key])
    ]


def check_unique_periods(values: pd.DataFrame) -> list[Problem]:
    """One values.csv row per indicator per period."""
    return one_row_per(values, "values.csv", "period_end", "a value", "period")


def check_status_has_value(values: pd.DataFrame) -> list[Problem]:
    """A status (provisional, estimate, revised) describes a figure: a blank value has none."""
    flagged = values[(values["status"] != "") & values["value"].isna()]
    return [
        Problem(
            "values.csv",
            row,
            "status",
            f"'{status}' is given for '{id_}' but its value is blank (not yet available); "
            "expected a value, or the status left blank",
        )
        for row, id_, status in zip(flagged.index, flagged["id"], flagged["status"], strict=True)
    ]


def check_unique_target_years(targets: pd.DataFrame) -> list[Problem]:
    """One targets.csv row per indicator per financial year."""
    return one_row_per(targets, "targets.csv", "year", "a target row", "year")


def check_unique_quarters(commentary: pd.DataFrame) -> list[Problem]:
    """One commentary.csv row per indicator per quarter."""
    return one_row_per(commentary, "commentary.csv", "quarter", "commentary", "quarter")


def check_activity_ranges(targets: pd.DataFrame) -> list[Problem]:
    """An expected range's lower bound is not above its upper bound."""
    wrong = targets[targets["lower"] > targets["upper"]]
    return [
        Problem(
            "targets.csv",
            row,
            "lower",
            f"{show(lower)} is above the upper bound {show(upper)} for '{id_}'; "
            "expected lower at or below upper",
        )
        for row, id_, lower, upper in zip(
            wrong.index, wrong["id"], wrong["lower"], wrong["upper"], strict=True
        )
    ]


def check_some_indicators(indicators: pd.DataFrame) -> list[Problem]:
    """indicators.csv lists at least one indicator (the other files may have no rows yet)."""
    if len(indicators):
        return []
    return [Problem("indicators.csv", 2, None, "has no indicators; expected one row each")]


def check_unique_comparator_rows(comparators: pd.DataFrame) -> list[Problem]:
    """One comparators.csv row per indicator per area per period."""
    return [
        Problem(
            COMPARATORS_FILE,
            row,
            "period",
            f"'{id_}' already has a figure for area {area} for {show_key(when)} on row "
            f"{first}; expected one row per indicator, area and period",
        )
        for row, (id_, area, when), first in repeats(comparators, ["id", "area_code", "period"])
    ]


FILE_CHECKS: dict[str, tuple[Callable[[pd.DataFrame], list[Problem]], ...]] = {
    "indicators.csv": (check_some_indicators, check_unique_ids),
    "targets.csv": (check_unique_target_years, check_activity_ranges),
    "values.csv": (check_unique_periods, check_status_has_value),
    "commentary.csv": (check_unique_quarters,),
    "milestones.csv": (),
    COMPARATORS_FILE: (check_unique_comparator_rows,),
}


# --- checks across files (each run when the files it needs could be read) -------------------


def lookup(indicators: pd.DataFrame, column: str) -> dict[str, object]:
    """id -> the indicator's `column` (the last row wins if an id is repeated)."""
    return dict(zip(indicators["id"], indicators[column], strict=True))


def check_known_ids(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every id in targets, values and commentary is an indicator in indicators.csv."""
    known = set(tables["indicators.csv"]["id"])
    problems = []
    files = ("targets.csv", "values.csv", "commentary.csv", COMPARATORS_FILE)
    for file in [f for f in files if f in tables]:
        ids = tables[file]["id"]
        for row, id_ in ids[~ids.isin(known)].items():
            if id_ and id_ not in known:
                message = f"'{id_}' is not an indicator in indicators.csv{did_you_mean(id_, known)}"
                problems.append(Problem(file, row, "id", f"{message}; expected an id listed there"))
    return problems


def did_you_mean(id_: str, known: set[str]) -> str:
    """' (did you mean 'ASC01'?)' for the closest known id, ignoring case; '' if none is close."""
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(id_.lower(), by_lower, n=1)
    return f" (did you mean '{by_lower[close[0]]}'?)" if close else ""


def limit_problem(x: float, id_: str, unit: object) -> str | None:
    """Why x cannot be a figure for a `unit` indicator, or None when it can."""
    low, high = UNIT_LIMITS.get(unit, (None, None))  # type: ignore[call-overload]
    if low is not None and x < low:
        side = f"below {show(low)}"
    elif high is not None and x > high:
        side = f"above {show(high)}"
    else:
        return None
    allowed = f"from {show(low)} to {show(high)}" if high is not None else f"of {show(low)} or more"
    return f"{show(x)} is {side} for '{id_}', a {unit} indicator; expected a value {allowed}"


def check_unit_limits(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Values and targets within their unit's limits: percents 0-100, counts not negative."""
    units = lookup(tables["indicators.csv"], "unit")
    problems = []
    checked = (("targets.csv", TARGET_COLUMNS), ("values.csv", ("value",)))
    checked += ((COMPARATORS_FILE, ("value",)),) if COMPARATORS_FILE in tables else ()
    for file, columns in checked:
        table = tables[file]
        unit = table["id"].map(units)
        low = unit.map({u: low for u, (low, _) in UNIT_LIMITS.items()}).astype(float)
        high = unit.map({u: high for u, (_, high) in UNIT_LIMITS.items()}).astype(float)
        for column in columns:
            outside = table[(table[column] < low) | (table[column] > high)]  # NaN: False
            for row, id_, x in zip(outside.index, outside["id"], outside[column], strict=True):
                message = limit_problem(x, id_, units.get(id_))
                if message:
                    problems.append(Problem(file, row, column, message))
    return problems


def check_floor_side(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """The floor is on the failing side of the target: below it when higher is better."""
    polarity = lookup(tables["indicators.csv"], "polarity")
    targets = tables["targets.csv"]
    problems = []
    for row, id_, target, floor in zip(
        targets.index, targets["id"], targets["target"], targets["floor"], strict=True
    ):
        sign = POLARITY_SIGN.get(polarity.get(id_))  # type: ignore[arg-type]
        if sign is not None and sign * floor > sign * target:  # NaN compares False
            side, allowed = ("above", "at or below") if sign > 0 else ("below", "at or above")
            message = (
                f"{show(floor)} is {side} the target {show(target)} for '{id_}', where "
                f"{polarity[id_]} is better; expected a floor {allowed} the target"
            )
            problems.append(Problem("targets.csv", row, "floor", message))
    return problems


TARGET_PAIRS = {  # kind -> the two targets.csv cells its rating needs, and what they are
    "kpi": {"target": "the year's target", "floor": "the floor standard"},
    "activity": {"lower": "the bottom of the expected range", "upper": "the top of the range"},
}


def check_target_pairs(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """A KPI's row has both a target and a floor; an activity's both ends of its range.

    With only one of the two an indicator would be silently unrated (RAG needs the target
    and the floor: DESIGN.md), so a half-filled row is an error, and so is an empty one: a
    row in targets.csv is what makes an indicator reported in the year.
    """
    kinds = lookup(tables["indicators.csv"], "kind")
    problems = []
    targets = tables["targets.csv"]
    for row, record in zip(targets.index, targets.to_dict("records"), strict=True):
        kind = kinds.get(record["id"])
        if kind not in TARGET_PAIRS:
            continue
        needed = TARGET_PAIRS[kind]  # type: ignore[index]
        noun = "KPI" if kind == "kpi" else "activity indicator"
        held = {column: record[column] for column in needed if not np.isnan(record[column])}
        if len(held) == 1:
            ((have, x),) = held.items()
            (lacking,) = needed.keys() - held.keys()
            problems.append(
                Problem(
                    "targets.csv",
                    row,
                    lacking,
                    f"is empty for {noun} '{record['id']}' in {record['year']}, which has "
                    f"{have} {show(x)}; expected {needed[lacking]} as well (with only one of "
                    "the two it cannot be rated)",
                )
            )
        elif not held:
            first, second = needed
            problems.append(
                Problem(
                    "targets.csv",
                    row,
                    first,
                    f"{noun} '{record['id']}' has a row for {record['year']} with no {first} "
                    f"and no {second}; expected {needed[first]} and {needed[second]} (or no "
                    "row, if it is not reported that year)",
                )
            )
    return problems


def check_milestone_directorates(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every milestone's directorate is one in indicators.csv (else no dashboard shows it)."""
    known = set(tables["indicators.csv"]["directorate"])
    problems = []
    for row, name in tables["milestones.csv"]["directorate"].items():
        if name and name not in known:
            message = (
                f"'{name}' is not a directorate in indicators.csv{did_you_mean(name, known)}; "
                f"expected one of: {', '.join(sorted(known))}"
            )
            problems.append(Problem("milestones.csv", row, "directorate", message))
    return problems


def check_kpi_targets(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """A KPI with values in a financial year has a targets.csv row for that year."""
    indicators, values = tables["indicators.csv"], tables["values.csv"]
    kpis = set(indicators.loc[indicators["kind"] == "kpi", "id"])
    has_row = set(zip(tables["targets.csv"]["id"], tables["targets.csv"]["year"], strict=True))
    reported = values[values["id"].isin(kpis) & values["value"].notna()].dropna()
    day = reported["period_end"]
    start = day.dt.year - (day.dt.month < FIRST_MONTH)  # financial_year_of, for every row
    years = start.map({y: financial_year_label(y) for y in start.unique()})
    pairs = pd.DataFrame({"id": reported["id"], "year": years}).drop_duplicates()
    first = dict(zip(zip(pairs["id"], pairs["year"], strict=True), pairs.index, strict=True))
    return [
        Problem(
            "targets.csv",
            None,
            None,
            f"no row for KPI '{id_}' in {year}, though values.csv has values for it in that "
            f"year (from row {row}); expected a row with id '{id_}' and year '{year}'",
        )
        for (id_, year), row in first.items()
        if (id_, year) not in has_row
    ]


def check_comparator_periods(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Each comparators.csv row is for a KPI that can be ranked (higher or lower is better)
    and for a period that KPI has a value for in values.csv: the council's own figure, which
    is ranked among the others (a figure for another period compares unlike with unlike)."""
    indicators, values = tables["indicators.csv"], tables["values.csv"]
    kind, polarity = lookup(indicators, "kind"), lookup(indicators, "polarity")
    held = values.loc[values["value"].notna()]
    periods = held.groupby("id")["period_end"].agg(lambda days: sorted(days))
    own = set(zip(held["id"], held["period_end"], strict=True))
    problems = []
    table = tables[COMPARATORS_FILE]
    for row, id_, day in zip(table.index, table["id"], table["period"], strict=True):
        if id_ not in kind or pd.isna(day):
            continue  # an unknown id or an unreadable date: said already
        if kind[id_] != "kpi" or polarity[id_] not in POLARITY_SIGN:
            message = (
                f"'{id_}' is {'an activity indicator' if kind[id_] != 'kpi' else 'a KPI'} "
                f"with polarity '{polarity[id_]}', which cannot be ranked; expected a KPI "
                "where higher or lower is better"
            )
            problems.append(Problem(COMPARATORS_FILE, row, "id", message))
        elif (id_, day) not in own:
            mine = periods.get(id_, [])
            near = f"; it has {show_periods(mine)}" if len(mine) else "; it has none"
            message = (
                f"{day:%Y-%m-%d} is not a period KPI '{id_}' has a value for in values.csv"
                f"{near}; expected a period of the council's own figures"
            )
            problems.append(Problem(COMPARATORS_FILE, row, "period", message))
    return problems


def show_periods(days: list[pd.Timestamp]) -> str:
    """'values from 2021-04-30 to 2023-09-30' (first and last)."""
    return f"values from {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"


CROSS_CHECKS = {  # check -> the files it needs
    check_known_ids: ("indicators.csv",),
    check_unit_limits: ("indicators.csv", "targets.csv", "values.csv"),
    check_floor_side: ("indicators.csv", "targets.csv"),
    check_kpi_targets: ("indicators.csv", "targets.csv", "values.csv"),
    check_target_pairs: ("indicators.csv", "targets.csv"),
    check_milestone_directorates: ("indicators.csv", "milestones.csv"),
    check_comparator_periods: ("indicators.csv", "values.csv", COMPARATORS_FILE),
}


# --- load: the recipe ----------------------------------------------------------------------


def load(
    data_dir: str | Path,
    *,
    area_code: str = "",
    comparator_groups: dict[str, str | tuple[str, ...]] | None = None,
    params_where: str = "params",
) -> QprData:
    """Read and validate every data file; raise one DataError listing every problem found.

    Unknown extra columns are ignored with a DataWarning each. Frames keep the files' row
    order, with the columns and dtypes listed on QprData. `area_code` and
    `comparator_groups` (from params; `params_where` names the files): comparators.csv is
    also checked against them (`check_comparator_areas`); None leaves that check out.
    """
    folder = Path(data_dir)
    contents = read_bytes(folder)
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    notes: list[Problem] = []
    for file, data in contents.items():
        if data is None:  # comparators.csv is only in contents when it is there
            problems.append(missing_file(file, folder))
            continue
        if isinstance(data, Problem):
            problems.append(data)
            continue
        table, found, noted = read_table(file, data)
        problems += found
        notes += noted
        if table is not None:
            tables[file] = table
            problems += [p for check in FILE_CHECKS[file] for p in check(table)]
    said = {  # an unreadable cell: said once
        (p.file, p.row, p.column) for p in problems if not isinstance(p, Uncounted)
    }
    for check, needs in CROSS_CHECKS.items():
        if tables.keys() >= set(needs):
            problems += [p for p in check(tables) if (p.file, p.row, p.column) not in said]
    if comparator_groups is not None and {COMPARATORS_FILE, "values.csv"} <= tables.keys():
        found = check_comparator_areas(tables, area_code, comparator_groups, params_where)
        problems += [p for p in found if (p.file, p.row, p.column) not in said]
    for note in notes:
        warnings.warn(str(note), DataWarning, stacklevel=2)
    if problems:
        raise DataError(*listed(problems))
    comparators = tables.get(COMPARATORS_FILE, empty_table(COMPARATORS_FILE))
    return QprData(
        *(tables[file].reset_index(drop=True) for file in DATA_FILES),
        source=folder,
        data_hash=data_hash(contents),  # type: ignore[arg-type]
        comparators=comparators.reset_index(drop=True),
    )


def check_comparator_areas(
    tables: dict[str, pd.DataFrame],
    area_code: str,
    groups: dict[str, str | tuple[str, ...]],
    where: str = "params",
) -> list[Problem]:
    """Every comparators.csv row is for an area the params name: the council's own
    `area_code` (its figure then agrees with values.csv) or an area in one of the comparator
    `groups` (name -> a list of area codes, or one code: a published figure such as
    England's). `where` names the params files in messages."""
    table = tables[COMPARATORS_FILE]
    if table.empty:
        return []
    if not groups:
        message = (
            f"has {plural(len(table), 'row')} but {where} set no comparator_groups; expected "
            "area_code and comparator_groups (nearest neighbours as a list of area codes, "
            f"England as one code) in params/defaults.yml, or no {COMPARATORS_FILE}"
        )
        return [Problem(COMPARATORS_FILE, None, None, message)]
    known = {code for codes in groups.values() for code in _codes(codes)}
    values = tables["values.csv"]
    own = dict(
        zip(zip(values["id"], values["period_end"], strict=True), values["value"], strict=True)
    )
    problems = []
    for row, record in zip(table.index, table.itertuples(index=False), strict=True):
        code = record.area_code
        if code and code == area_code:
            mine = own.get((record.id, record.period), np.nan)
            if abs(mine - record.value) > 1e-9:  # NaN on either side compares False
                message = (
                    f"{show(record.value)} for the council's own area {code} differs from "
                    f"values.csv's {show(mine)} for '{record.id}' on {record.period:%Y-%m-%d}; "
                    "expected the same figure (or leave the council's own rows out: its "
                    "values.csv figure is the one ranked)"
                )
                problems.append(Problem(COMPARATORS_FILE, row, "value", message))
        elif code and code not in known:
            name = f" ({record.area_name})" if record.area_name else ""
            own_code = f" ({area_code})" if area_code else ""
            message = (
                f"'{code}'{name} is in no comparator group in {where} and is not the "
                f"council's own area_code{own_code}{did_you_mean(code, known)}; expected an "
                f"area code listed in comparator_groups ({', '.join(groups)}), or the row "
                "removed"
            )
            problems.append(Problem(COMPARATORS_FILE, row, "area_code", message))
    return problems


def _codes(codes: str | tuple[str, ...]) -> tuple[str, ...]:
    return (codes,) if isinstance(codes, str) else tuple(codes)


def check_quarter(data: QprData, quarter: Quarter | str, today: dt.date | None = None) -> None:
    """Raise DataError unless the data can report `quarter`: it has ended, some KPI has a
    targets.csv row for its financial year, and some such KPI has a value dated in it.

    (`assess` itself gives a table of unrated KPIs for any quarter; a report of one must
    not reach Cabinet.)
    """
    quarter = Quarter.parse(quarter)
    today = today or dt.date.today()
    if quarter.end >= today:
        raise DataError(
            f"QUARTER {quarter}: has not ended yet (it ends {quarter.end:%Y-%m-%d}); expected "
            f"a quarter that has ended, such as {Quarter.last_ended(today)}"
        )
    year = quarter.financial_year
    indicators, targets, values = data.indicators, data.targets, data.values
    kpis = set(indicators.loc[indicators["kind"] == "kpi", "id"])
    reported = kpis & set(targets.loc[targets["year"] == year, "id"])
    if not reported:
        raise DataError(
            located(
                "targets.csv",
                None,
                "year",
                f"no KPI has a row for {year}, so none would be rated in {quarter}; expected "
                f"a row with the target and floor of each KPI reported in {year}",
            )
        )
    figures = values[values["id"].isin(reported) & values["value"].notna()]
    start, end = pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)
    if not figures["period_end"].between(start, end).any():
        latest = figures["period_end"].max()
        held = f"the latest is for {latest:%Y-%m-%d}" if len(figures) else "there are none"
        raise DataError(
            located(
                "values.csv",
                None,
                "period_end",
                f"no value in {quarter} ({start:%Y-%m-%d} to {end:%Y-%m-%d}) for any of the "
                f"{plural(len(reported), 'KPI')} reported in {year} ({held}); expected the "
                "quarter's figures (import the returns with `qpr import`)",
            )
        )


def listed(problems: list[Problem | Uncounted], most: int = MAX_LISTED) -> tuple[list[str], int]:
    """The problems to show, file by file in reading order, at most `most` per file with the
    rest of each file counted in one line; and the total number of problems."""
    lines, by_file, uncounted = [], {}, {}
    for problem in problems:
        if isinstance(problem, Uncounted):
            uncounted[problem.file] = uncounted.get(problem.file, 0) + problem.count
    said = [p for p in problems if not isinstance(p, Uncounted)]
    for problem in sorted(said, key=reading_order):
        by_file.setdefault(problem.file, []).append(problem)
    for file in sorted(by_file.keys() | uncounted.keys(), key=_file_order):
        found = by_file.get(file, [])
        lines += [str(p) for p in found[:most]]
        more = len(found[most:]) + uncounted.get(file, 0)
        if more:
            lines.append(f"… and {more:,} more in {file}")
    return lines, len(said) + sum(uncounted.values())


def _file_order(file: str) -> int:
    files = (*DATA_FILES, COMPARATORS_FILE)
    return files.index(file) if file in files else len(files)


def reportable_quarters(data: QprData, today: dt.date | None = None) -> list[Quarter]:
    """Every quarter the data can report (`check_quarter` passes for it), oldest first: from
    the quarter of the earliest value to the last one that has ended (`qpr build --all`)."""
    today = today or dt.date.today()
    dated = data.values.loc[data.values["value"].notna(), "period_end"].dropna()
    if dated.empty:
        return []
    first = Quarter.containing(dated.min().date())
    last = min(Quarter.containing(dated.max().date()), Quarter.last_ended(today))
    found = []
    for quarter in quarter_range(first, last):
        try:
            check_quarter(data, quarter, today)
        except DataError:
            continue
        found.append(quarter)
    return found


def reading_order(problem: Problem) -> tuple[int, float]:
    """Problems file by file, top to bottom; those about a whole file after its rows."""
    files = (*DATA_FILES, COMPARATORS_FILE)
    return files.index(problem.file), problem.row if problem.row is not None else np.inf


def data_hash(contents: dict[str, bytes]) -> str:
    """sha256 over each file's name, size and bytes, files in name order."""
    digest = hashlib.sha256()
    for name in sorted(contents):
        digest.update(f"{name}\0{len(contents[name])}\0".encode())
        digest.update(contents[name])
    return digest.hexdigest()


def show(x: float | None) -> str:
    """A number as people write it: 90, 85.5, 1000000."""
    return format(x, ".12g")


def show_key(key: object) -> str:
    """A period as ISO date, anything else as it is: 2023-09-30, 2023/24, 2023/24 Q2."""
    return f"{key:%Y-%m-%d}" if isinstance(key, pd.Timestamp) else str(key)


def summary_line(data: QprData) -> str:
    """One line for `qpr validate`: indicators by kind, periods and quarters covered."""
    kinds = data.indicators["kind"]
    line = (
        f"{plural(len(kinds), 'indicator')} ({plural((kinds == 'kpi').sum(), 'KPI')}, "
        f"{(kinds == 'activity').sum()} activity)"
    )
    periods = data.values["period_end"].dropna().sort_values().unique()
    if len(periods) == 0:
        return f"{line}, no values yet"
    first, last = pd.Timestamp(periods[0]), pd.Timestamp(periods[-1])
    quarters = f"{Quarter.containing(first.date())} to {Quarter.containing(last.date())}"
    return (
        f"{line}, {plural(len(periods), 'monthly period')} from {first:%Y-%m-%d} to "
        f"{last:%Y-%m-%d}, quarters {quarters}"
    )


def plural(count: int, noun: str) -> str:
    """'1 indicator', '2 indicators'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- writing -------------------------------------------------------------------------------


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    """Write frame as UTF-8 CSV (no index); readers see the old file or the new, never half."""
    write_atomic(Path(path), frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def write_frames_json(path: str | Path, frames: dict[str, pd.DataFrame], meta: dict) -> None:
    """Write named tables and a header as one JSON file that `read_frames_json` gives back
    exactly: dtypes, dates, None and every float digit (the build's shared assessment)."""
    payload = {"meta": meta, "frames": {name: _frame_json(f) for name, f in frames.items()}}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(Path(path), json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def read_frames_json(path: str | Path) -> tuple[dict, dict[str, pd.DataFrame]] | None:
    """(header, tables) as `write_frames_json` wrote them; None when the file is missing or
    not such a file (callers then compute the tables themselves)."""
    try:
        payload = json.loads(Path(path).read_bytes())
        frames = {name: _json_frame(f) for name, f in payload["frames"].items()}
        return payload["meta"], frames
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _frame_json(frame: pd.DataFrame) -> dict:
    columns = {}
    for name, column in frame.items():
        if pd.api.types.is_datetime64_any_dtype(column):
            values = [None if pd.isna(v) else v.isoformat() for v in column]
        else:  # tolist: plain Python values; repr of a float keeps every digit
            values = [None if _is_missing(v) else v for v in column.tolist()]
        columns[str(name)] = {"dtype": str(column.dtype), "values": values}
    return columns


def _json_frame(columns: dict) -> pd.DataFrame:
    frame = {}
    for name, column in columns.items():
        dtype, values = column["dtype"], column["values"]
        if dtype.startswith("datetime64"):
            frame[name] = pd.to_datetime(pd.Series(values, dtype=object)).astype(dtype)
        elif dtype == "object":
            frame[name] = pd.Series(values, dtype=object)
        elif dtype.startswith("float"):
            frame[name] = pd.Series([np.nan if v is None else v for v in values], dtype=dtype)
        else:
            frame[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(frame)


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def keep_read_only_copy(source: str | Path, folder: str | Path) -> Path:
    """Copy source byte for byte into folder, read-only; an identical file there is reused."""
    source, folder = Path(source), Path(folder)
    data = source.read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    for existing in sorted(folder.iterdir()):
        if existing.is_file() and existing.read_bytes() == data:
            return existing
    target, counter = folder / source.name, 2
    while target.exists():
        target, counter = folder / f"{source.stem}-{counter}{source.suffix}", counter + 1
    write_atomic(target, data, mode=0o444)
    return target
