"""What a data file and a cell may be: the columns of each file (SCHEMA), the vocabularies,
the unit limits, and the cell readers (number, date, quarter, the one text rule) that turn
text into typed values or say why not (_Invalid); Problem is one thing wrong, located.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
import pandas as pd

from qprlib.errors import QprError, located
from qprlib.periods import (
    FIRST_DAY,
    FIRST_YEAR,
    LAST_DAY,
    LAST_YEAR,
    Quarter,
    financial_year_label,
)

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


def show(x: float | None) -> str:
    """A number as people write it: 90, 85.5, 1000000."""
    return format(x, ".12g")


def show_key(key: object) -> str:
    """A period as ISO date, anything else as it is: 2023-09-30, 2023/24, 2023/24 Q2."""
    return f"{key:%Y-%m-%d}" if isinstance(key, pd.Timestamp) else str(key)
