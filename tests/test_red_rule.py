"""One Red rule: the report's rating (`qprlib.rag`), the Excel return's Red colouring and its
"action required" check, and `qpr import`'s refusal of a Red value without an action agree,
for both polarities and both amber modes.

Expected values come from the rule (DESIGN.md, Methods): floor mode, Red beyond the floor;
tolerance mode, Red beyond 5% of the target short of it (90 -> 85.5 higher is better,
10 -> 10.5 lower is better), whatever floor targets.csv sets.
"""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from qprlib.errors import DataError
from qprlib.imports import import_returns
from qprlib.rag import RatingRule, rag
from qprlib.returns import INDICATORS, write_returns
from tests.test_returns import ACTION, MONTH, Q3, data_dir, fill, row_of  # noqa: F401

TARGET = {"ASC01": (90.0, 80.0, "higher"), "ASC02": (10.0, 15.0, "lower")}
CASES = [
    # indicator, amber mode, value, the rating by the rule
    ("ASC01", "floor", 84.0, "Amber"),  # between floor 80 and target 90
    ("ASC01", "floor", 79.0, "Red"),
    ("ASC01", "tolerance", 84.0, "Red"),  # under 85.5 (5% short of 90)
    ("ASC01", "tolerance", 85.5, "Amber"),  # exactly the line is Amber (inclusive)
    ("ASC02", "floor", 12.0, "Amber"),
    ("ASC02", "floor", 16.0, "Red"),
    ("ASC02", "tolerance", 10.8, "Red"),  # over 10.5 (5% over 10)
    ("ASC02", "tolerance", 10.4, "Amber"),
]
THRESHOLD = {("ASC01", "floor"): 80.0, ("ASC01", "tolerance"): 85.5}
THRESHOLD |= {("ASC02", "floor"): 15.0, ("ASC02", "tolerance"): 10.5}
RED_CELL = re.compile(r"^AND\(ISNUMBER\((\w+)\),\1([<>])([-0-9.e+]+)\)$")


def value_cell(indicator: str) -> str:
    """The month a value is typed in: December (ASC02 is quarterly: the quarter end only)."""
    return MONTH[2]


def red_colour(sheet, cell: str) -> bool | None:
    """What the workbook's conditional format on `cell` says about the value in it."""
    for ranges in sheet.conditional_formatting:
        if cell in str(ranges.sqref).split():
            for rule in ranges.rules:
                match = RED_CELL.match(rule.formula[0])
                if match:
                    value, beyond, line = float(sheet[cell].value), match[2], float(match[3])
                    return value < line if beyond == "<" else value > line
    return None


def action_line(sheet, cell: str) -> tuple[str, float] | None:
    """The comparison the action cell's "required" check makes for the December value."""
    for ranges in sheet.conditional_formatting:
        if cell in str(ranges.sqref).split():
            for rule in ranges.rules:
                found = re.search(r"\b" + MONTH[2] + r"\d+([<>])([-0-9.e+]+)", rule.formula[0])
                if found:
                    return found[1], float(found[2])
    return None


@pytest.mark.parametrize("indicator, mode, value, expected", CASES)
def test_the_report_the_return_and_the_import_agree_on_red(
    data_dir,  # noqa: F811
    tmp_path,
    indicator,
    mode,
    value,
    expected,
):
    target, floor, polarity = TARGET[indicator]
    rule = RatingRule(mode, 0.05)
    assert rag(value, target, floor, polarity, amber=mode, tolerance=0.05) == expected
    assert rule.red_threshold(target, floor, polarity) == THRESHOLD[indicator, mode]

    (path, _) = write_returns(Q3, data_dir=data_dir, out_dir=tmp_path / "returns", rule=rule)
    filled = fill(path, {"B2": "Jo Bloggs", f"{indicator}:{value_cell(indicator)}": value})
    sheet = load_workbook(filled)[INDICATORS]
    row = row_of(sheet, indicator)
    assert red_colour(sheet, f"{value_cell(indicator)}{row}") is (expected == "Red")
    beyond = "<" if polarity == "higher" else ">"
    assert action_line(sheet, f"{ACTION}{row}") == (beyond, THRESHOLD[indicator, mode])

    if expected == "Red":  # no action given: refused, naming the action cell
        with pytest.raises(DataError) as caught:
            import_returns([filled], data_dir=data_dir, dry_run=True)
        assert any(
            f"{ACTION}{row}" in p and "is Red" in p and "management action" in p
            for p in caught.value.problems
        ), caught.value.problems
    else:
        import_returns([filled], data_dir=data_dir, dry_run=True)  # accepted as it is


def test_a_workbook_records_its_rule_and_an_old_one_is_read_as_the_floor_rule():
    rule = RatingRule("tolerance", 0.1)
    assert RatingRule.from_meta(rule.as_meta()) == rule
    assert RatingRule.from_meta({}) == RatingRule("floor", 0.05)
