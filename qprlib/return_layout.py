"""A return workbook's layout and words: its format version, sheets, rows and columns, what a
value cell expects, and how a value and its rating are written (number_text, rating_text, the
Red threshold); shared by qprlib.returns (writing) and qprlib.imports (reading back).
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill, Protection

from qprlib import io
from qprlib.names import slugify
from qprlib.periods import Quarter
from qprlib.rag import FLOOR_RULE, RatingRule
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


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA
