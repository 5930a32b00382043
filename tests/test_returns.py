"""Service returns: generate the quarter's workbooks, fill them as a service would, import them.

The fixture is a small council written here in the documented CSV format (two directorates,
monthly and quarterly, percent, days and counts, KPIs and an activity indicator), with values
up to 2023/24 Q2, so 2023/24 Q3 is the new quarter being collected.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from qprlib import io
from qprlib.cli import main
from qprlib.errors import DataError
from qprlib.imports import import_returns, parse_value
from qprlib.periods import Quarter
from qprlib.returns import (
    ACTION_COL,
    COMMENTARY_COL,
    FIRST_ROW,
    INDICATORS,
    META,
    MONTH_COL,
    is_red,
    rating_text,
    return_filename,
    write_returns,
)

Q3 = Quarter.parse("2023/24 Q3")
ADULTS, GROWTH = "Adult Social Care", "Growth and Communities"
MONTH = [get_column_letter(MONTH_COL + k) for k in range(3)]  # Oct, Nov, Dec for Q3
COMMENTARY, ACTION = get_column_letter(COMMENTARY_COL), get_column_letter(ACTION_COL)

INDICATORS_CSV = [
    # id, name, directorate, service_area, kind, polarity, unit, frequency, definition, owner
    (
        "ASC01",
        "Assessments within 28 days",
        ADULTS,
        "Assessment",
        "kpi",
        "higher",
        "percent",
        "monthly",
        "Share of care assessments completed within 28 days of referral",
        "J Smith",
    ),
    (
        "ASC02",
        "Days to discharge",
        ADULTS,
        "Hospitals",
        "kpi",
        "lower",
        "days",
        "quarterly",
        "Average days from medically fit to discharge",
        "J Smith",
    ),
    (
        "ASC03",
        "Safeguarding referrals",
        ADULTS,
        "Safeguarding",
        "activity",
        "none",
        "number",
        "monthly",
        "Safeguarding referrals received in the month",
        "A Khan",
    ),
    (
        "ASC04",
        "Reviews on time",
        ADULTS,
        "Assessment",
        "kpi",
        "higher",
        "percent",
        "quarterly",
        "Retired at the end of 2022/23",
        "J Smith",
    ),
    (
        "GC01",
        "Planning decisions on time",
        GROWTH,
        "Planning",
        "kpi",
        "higher",
        "percent",
        "quarterly",
        "Major planning applications decided within 13 weeks",
        "P Jones",
    ),
]
TARGETS_CSV = [
    # id, year, target, floor, lower, upper
    ("ASC01", "2022/23", 90, 80, "", ""),
    ("ASC01", "2023/24", 90, 80, "", ""),
    ("ASC02", "2022/23", 10, 15, "", ""),
    ("ASC02", "2023/24", 10, 15, "", ""),
    ("ASC03", "2022/23", "", "", 100, 200),
    ("ASC03", "2023/24", "", "", 100, 200),
    ("ASC04", "2022/23", 70, 60, "", ""),  # retired: no 2023/24 row, so not in 2023/24 returns
    ("GC01", "2022/23", 85, 75, "", ""),
    ("GC01", "2023/24", 85, 75, "", ""),
]
# Floors (and the Red threshold) per indicator, used when filling returns below.
FLOOR = {"ASC01": 80.0, "ASC02": 15.0, "GC01": 75.0}


def _month_ends(first: str, last: str) -> list[pd.Timestamp]:
    return list(pd.date_range(first, last, freq="ME"))


def _values() -> pd.DataFrame:
    rows = []
    for k, day in enumerate(_month_ends("2022-04-30", "2023-09-30")):
        rows.append(("ASC01", day, 84 + (k % 5)))
        rows.append(("ASC03", day, 140 + 3 * k))
        if day.month in (3, 6, 9, 12):
            rows.append(("ASC02", day, 12.5 + k % 3))
            rows.append(("GC01", day, 80 + k % 4))
    frame = pd.DataFrame(rows, columns=["id", "period_end", "value"])
    return frame.assign(period_end=frame["period_end"].dt.strftime("%Y-%m-%d"))


def _write(path: Path, header: str, rows: list[tuple]) -> None:
    pd.DataFrame(rows, columns=header.split(",")).to_csv(path, index=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A small council's data directory in the documented CSV format."""
    folder = tmp_path / "data"
    folder.mkdir()
    header = "id,name,directorate,service_area,kind,polarity,unit,frequency,definition,owner"
    _write(folder / "indicators.csv", header, INDICATORS_CSV)
    _write(folder / "targets.csv", "id,year,target,floor,lower,upper", TARGETS_CSV)
    _values().to_csv(folder / "values.csv", index=False)
    note = ("ASC01", "2023/24 Q2", "Staffing recovered in August.", "", "J Smith")
    _write(folder / "commentary.csv", "id,quarter,commentary,action,author", [note])
    header = "directorate,objective,milestone,due,quarter,status,commentary"
    hub = (ADULTS, "Better care", "Open the hub", "2023-12-31", "2023/24 Q2", "on_track", "")
    _write(folder / "milestones.csv", header, [hub])
    return folder


@pytest.fixture
def returns(data_dir: Path, tmp_path: Path) -> dict[str, Path]:
    """The 2023/24 Q3 returns, one per directorate, as generated."""
    paths = write_returns(Q3, data_dir=data_dir, out_dir=tmp_path / "returns")
    return {ADULTS: paths[0], GROWTH: paths[1]}


def row_of(sheet, indicator: str) -> int:
    for row in range(FIRST_ROW, sheet.max_row + 1):
        if sheet[f"A{row}"].value == indicator:
            return row
    raise AssertionError(f"{indicator} not in the sheet")


def fill(path: Path, cells: dict[str, object], out: Path | None = None, sheet=INDICATORS) -> Path:
    """Type into a workbook as a service would (cells like 'ASC01:N' or 'B2'), save it."""
    book = load_workbook(path)
    ws = book[sheet]
    for where, value in cells.items():
        if ":" in where:
            indicator, column = where.split(":")
            where = f"{column}{row_of(ws, indicator)}"
        ws[where] = value
    out = out or path
    book.save(out)
    return out


def filled_adults(path: Path, out: Path | None = None) -> Path:
    """The Adults return completed correctly: ASC01 Red in December, so an action is given."""
    return fill(
        path,
        {
            "B2": "Jo Bloggs",
            "ASC01:" + MONTH[0]: 88.5,
            "ASC01:" + MONTH[1]: 84,
            "ASC01:" + MONTH[2]: 78.2,
            "ASC01:" + COMMENTARY: "Two vacancies in the assessment team.",
            "ASC01:" + ACTION: "Agency staff booked to March.",
            "ASC02:" + MONTH[2]: 12,
            "ASC03:" + MONTH[0]: 150,
            "ASC03:" + MONTH[1]: 160,
            "ASC03:" + MONTH[2]: 171,
        },
        out,
    )


def problems_of(files: list[Path], data_dir: Path, **options) -> list[str]:
    with pytest.raises(DataError) as caught:
        import_returns(files, data_dir=data_dir, **options)
    return caught.value.problems


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- the rules, from the policy ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value, polarity, floor, expected",
    [
        (79.9, "higher", 80, True),  # below the floor standard: Red
        (80, "higher", 80, False),  # exactly the floor is Amber ("achieved" is inclusive)
        (15.1, "lower", 15, True),
        (15, "lower", 15, False),
        (50, "higher", None, False),  # no floor: not rated, never Red
    ],
)
def test_red_is_beyond_the_floor_and_the_floor_itself_is_amber(value, polarity, floor, expected):
    assert is_red(value, polarity, floor) is expected


@pytest.mark.parametrize(
    "raw, number_format, unit, value, problem",
    [
        (85.5, "General", "percent", 85.5, None),
        (None, "General", "percent", None, None),  # left blank: not supplied, not a problem
        ("85.5", "General", "percent", 85.5, None),  # a number stored as text is still a number
        ("twelve", "General", "number", None, "'twelve' is text, not a number"),
        ("12,4", "General", "percent", None, "'12,4' is text, not a number"),
        (100.5, "General", "percent", None, "100.5 is outside 0–100"),
        (-1, "General", "number", None, "-1 is below 0"),
        (0.855, "0.0%", "percent", None, "85.5% was typed with a % sign"),
        (-250, "General", "currency", None, "-250 is below 0"),
        (-0.5, "General", "rate", -0.5, None),  # a rate of change may be negative
    ],
)
def test_parse_value_reads_numbers_and_explains_the_rest(raw, number_format, unit, value, problem):
    got, message = parse_value(raw, number_format, unit)
    assert got == value
    assert (message is None) if problem is None else (problem in message and "expected" in message)


def test_rating_text_names_the_red_threshold_and_the_action_rule():
    row = pd.Series(
        {"kind": "kpi", "polarity": "lower", "unit": "days", "target": 10.0, "floor": 15.0}
    )
    text = rating_text(row, "2023/24")
    assert "Red: over 15 days" in text and "management action is required" in text
    activity = pd.Series({"kind": "activity", "unit": "number", "lower": 100.0, "upper": 200.0})
    assert "expected between 100 and 200" in rating_text(activity, "2023/24")


# --- the generated workbook ---------------------------------------------------------------------


def test_one_workbook_per_directorate_in_the_quarter_folder(returns, tmp_path):
    folder = tmp_path / "returns" / "2023-24-q3"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [return_filename(Q3, ADULTS), return_filename(Q3, GROWTH)]
    )


def test_workbook_shows_context_and_locks_all_but_the_input_cells(returns):
    book = load_workbook(returns[ADULTS])
    assert book.sheetnames == ["Instructions", INDICATORS, META]
    assert book[META].sheet_state == "hidden"
    ws = book[INDICATORS]
    assert ws.protection.sheet and book[META].protection.sheet
    monthly, quarterly = row_of(ws, "ASC01"), row_of(ws, "ASC02")
    assert [ws[f"{c}6"].value for c in MONTH] == ["Oct 2023", "Nov 2023", "Dec 2023"]
    assert ws[f"J{monthly}"].value is not None  # Q3 2022/23, the same quarter last year
    assert ws[f"M{monthly}"].value == 84 + (17 % 5)  # Q2 2023/24: September's value
    assert ws[f"G{monthly}"].value == 90 and ws[f"H{monthly}"].value == 80
    assert "Red: under 80%" in ws[f"I{monthly}"].value
    unlocked = {
        cell.coordinate for row in ws.iter_rows() for cell in row if not cell.protection.locked
    }
    inputs = {f"{c}{monthly}" for c in MONTH} | {f"{MONTH[2]}{quarterly}"}
    inputs |= {f"{c}{r}" for c in (COMMENTARY, ACTION) for r in (monthly, quarterly)}
    assert inputs | {"B2"} <= unlocked
    assert {f"A{monthly}", f"G{monthly}", f"{MONTH[0]}{quarterly}"}.isdisjoint(unlocked)


def test_value_cells_have_excel_data_validation_with_messages(returns):
    ws = load_workbook(returns[ADULTS])[INDICATORS]
    rules = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    percent = rules[" ".join(f"{c}{row_of(ws, 'ASC01')}" for c in MONTH)]
    assert (percent.type, percent.operator) == ("decimal", "between")
    assert (float(percent.formula1), float(percent.formula2)) == (0, 100)
    assert "0 to 100" in percent.prompt and "Red under 80%" in percent.prompt and percent.error
    count = rules[" ".join(f"{c}{row_of(ws, 'ASC03')}" for c in MONTH)]
    assert (count.type, count.operator, float(count.formula1)) == (
        "decimal",
        "greaterThanOrEqual",
        0,
    )


def test_indicators_not_reported_in_the_year_are_left_out(returns):
    sheet = load_workbook(returns[ADULTS])[INDICATORS]
    ids = [row[0] for row in sheet.iter_rows(min_row=FIRST_ROW, max_col=1, values_only=True)]
    assert ids == ["ASC01", "ASC02", "ASC03"]  # ASC04 retired after 2022/23


def test_returns_refuse_a_quarter_without_targets(data_dir, tmp_path):
    with pytest.raises(DataError, match="no targets for 2024/25"):
        write_returns("2024/25 Q1", data_dir=data_dir, out_dir=tmp_path / "returns")


# --- round trip ---------------------------------------------------------------------------------


def test_round_trip_generate_fill_import_load(data_dir, returns):
    adults = filled_adults(returns[ADULTS])
    growth = fill(returns[GROWTH], {"GC01:" + MONTH[2]: 86, "GC01:" + COMMENTARY: "On track."})
    original = adults.read_bytes()

    result = import_returns([adults, growth], data_dir=data_dir)

    data = io.load(data_dir)
    held = data.values.set_index(["id", "period_end"])["value"]
    assert held[("ASC01", pd.Timestamp("2023-10-31"))] == 88.5
    assert held[("ASC01", pd.Timestamp("2023-12-31"))] == 78.2
    assert held[("ASC02", pd.Timestamp("2023-12-31"))] == 12
    assert held[("GC01", pd.Timestamp("2023-12-31"))] == 86
    note = data.commentary.set_index(["id", "quarter"]).loc[("ASC01", "2023/24 Q3")]
    assert note["commentary"] == "Two vacancies in the assessment team."
    assert note["action"] == "Agency staff booked to March." and note["author"] == "Jo Bloggs"
    report = result.report()
    assert "New values (7)" in report and "New values (1)" in report
    assert "Indicators!N7" in report and "New commentary" in report
    kept = data_dir / "returns" / "2023-24-q3" / adults.name
    assert kept.read_bytes() == original
    assert stat.S_IMODE(kept.stat().st_mode) == 0o444


def test_a_cell_left_empty_is_not_yet_available_not_an_error(data_dir, returns):
    """Clearing one cell of a complete return: openpyxl gives None, and pandas turns it into
    NaN once the column holds numbers (the return's cells frame); either way it is a gap."""
    adults = filled_adults(returns[ADULTS])
    fill(adults, {"ASC01:" + MONTH[1]: None, "ASC03:" + MONTH[2]: ""})
    result = import_returns([adults], data_dir=data_dir)
    held = io.load(data_dir).values.set_index(["id", "period_end"])["value"]
    assert ("ASC01", pd.Timestamp("2023-11-30")) not in held  # recorded as missing
    assert ("ASC03", pd.Timestamp("2023-12-31")) not in held
    assert held[("ASC01", pd.Timestamp("2023-12-31"))] == 78.2  # the rest imported
    report = result.report()
    assert "Left empty, so not yet available (2" in report
    ws = load_workbook(adults)[INDICATORS]
    assert f"Indicators!{MONTH[1]}{row_of(ws, 'ASC01')} (ASC01, Nov 2023)" in report
    assert f"Indicators!{MONTH[2]}{row_of(ws, 'ASC03')} (ASC03, Dec 2023)" in report


@pytest.mark.parametrize("raw", [float("nan"), None, "", "  ", pd.NaT])
def test_parse_value_treats_every_kind_of_empty_cell_as_missing(raw):
    assert parse_value(raw, "General", "percent") == (None, None)


def test_imported_returns_are_assessed(data_dir, returns):
    from qprlib.assess import assess

    adults = filled_adults(returns[ADULTS])
    growth = fill(returns[GROWTH], {"GC01:" + MONTH[2]: 86})
    import_returns([adults, growth], data_dir=data_dir)
    table = assess(io.load(data_dir), Q3).set_index("id")
    assert table.loc["ASC01", "value"] == 78.2  # December, the quarter's last month
    assert table.loc["ASC01", "rag"] == "Red"  # under the floor of 80
    assert table.loc["ASC01", "action"] == "Agency staff booked to March."
    assert table.loc["GC01", "rag"] == "Green"  # 86 meets the target of 85


def test_rows_already_held_stay_exactly_as_written(data_dir, returns):
    values = pd.read_csv(data_dir / "values.csv").sort_values(["id", "period_end"])
    values["value"] = values["value"].map("{:.1f}".format)  # the file's own style: 84.0
    values.to_csv(data_dir / "values.csv", index=False)
    before = (data_dir / "values.csv").read_text().splitlines()
    import_returns([filled_adults(returns[ADULTS])], data_dir=data_dir)
    after = (data_dir / "values.csv").read_text().splitlines()
    assert len(after) == len(before) + 7
    assert [line for line in after if line in before] == before  # held rows untouched, in order
    assert "ASC01,2023-12-31,78.2" in after
    # a file in key order stays in key order: October follows the held September
    assert after.index("ASC01,2023-10-31,88.5") == before.index("ASC01,2023-09-30,86.0") + 1


def test_cli_returns_then_import(data_dir, tmp_path, capsys):
    assert main(["returns", "2023/24 Q3", "--data", str(data_dir), "--out", str(tmp_path)]) == 0
    path = tmp_path / "2023-24-q3" / return_filename(Q3, ADULTS)
    filled_adults(path)
    assert main(["import", str(path), "--data", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "Indicators!P7" in out and "78.2" in out and "values.csv" in out


def test_reimporting_the_same_return_changes_nothing(data_dir, returns):
    adults = filled_adults(returns[ADULTS])
    import_returns([adults], data_dir=data_dir)
    before = snapshot(data_dir)
    result = import_returns([adults], data_dir=data_dir)
    assert "No changes" in result.report()
    assert snapshot(data_dir) == before


def test_a_return_for_a_quarter_already_held_is_prefilled_and_imports_unchanged(data_dir, tmp_path):
    q2 = write_returns("2023/24 Q2", data_dir=data_dir, out_dir=tmp_path / "returns")[0]
    ws = load_workbook(q2)[INDICATORS]
    assert ws[f"{MONTH[2]}{row_of(ws, 'ASC01')}"].value == 84 + (17 % 5)
    assert ws[f"{COMMENTARY}{row_of(ws, 'ASC01')}"].value == "Staffing recovered in August."
    values_before = (data_dir / "values.csv").read_bytes()
    result = import_returns([q2], data_dir=data_dir)
    assert "No changes" in result.report()
    assert (data_dir / "values.csv").read_bytes() == values_before


def test_a_held_red_value_reimported_unchanged_needs_no_new_action(data_dir, tmp_path):
    values = pd.read_csv(data_dir / "values.csv")
    september = (values["id"] == "ASC02") & (values["period_end"] == "2023-09-30")
    values.loc[september, "value"] = 16  # Red: over the floor of 15 days, no action held
    values.to_csv(data_dir / "values.csv", index=False)
    q2 = write_returns("2023/24 Q2", data_dir=data_dir, out_dir=tmp_path / "returns")[0]
    assert "No changes" in import_returns([q2], data_dir=data_dir).report()

    fill(q2, {"ASC02:" + MONTH[2]: 17})  # a corrected value is a new submission: action needed
    (problem,) = problems_of([q2], data_dir, replace=True)
    assert "Indicators!R8" in problem and "17 days in P8 is Red" in problem


def test_dry_run_writes_nothing(data_dir, returns):
    adults = filled_adults(returns[ADULTS])
    before = snapshot(data_dir)
    result = import_returns([adults], data_dir=data_dir, dry_run=True)
    assert "New values (7)" in result.report() and "Dry run: nothing was written" in result.report()
    assert snapshot(data_dir) == before
    assert not (data_dir / "returns").exists()


# --- conflicts ----------------------------------------------------------------------------------


def test_a_different_value_already_held_is_refused_without_replace(data_dir, tmp_path):
    q2 = write_returns("2023/24 Q2", data_dir=data_dir, out_dir=tmp_path / "returns")[0]
    row_value = 84 + (17 % 5)
    fill(q2, {"ASC01:" + MONTH[2]: 91.5})
    before = snapshot(data_dir)

    (problem,) = problems_of([q2], data_dir)
    assert "Indicators!P7" in problem and "Assessments within 28 days" in problem
    assert f"already holds {row_value}" in problem and "says 91.5" in problem
    assert "--replace" in problem
    assert snapshot(data_dir) == before
    assert main(["import", str(q2), "--data", str(data_dir)]) == 2

    result = import_returns([q2], data_dir=data_dir, replace=True)
    assert f"{row_value}% -> 91.5%" in result.report()
    held = io.load(data_dir).values.set_index(["id", "period_end"])["value"]
    assert held[("ASC01", pd.Timestamp("2023-09-30"))] == 91.5


def test_a_replaced_value_is_marked_revised_where_values_csv_has_a_status_column(
    data_dir, tmp_path
):
    values = pd.read_csv(data_dir / "values.csv").assign(status="")
    values.to_csv(data_dir / "values.csv", index=False)
    q2 = write_returns("2023/24 Q2", data_dir=data_dir, out_dir=tmp_path / "returns")[0]
    fill(q2, {"ASC01:" + MONTH[2]: 91.5})
    import_returns([q2], data_dir=data_dir, replace=True)
    q3 = filled_adults(write_returns(Q3, data_dir=data_dir, out_dir=tmp_path / "q3")[0])
    import_returns([q3], data_dir=data_dir)
    status = io.load(data_dir).values.set_index(["id", "period_end"])["status"]
    assert status[("ASC01", pd.Timestamp("2023-09-30"))] == "revised"
    assert status[("ASC01", pd.Timestamp("2023-10-31"))] == ""  # a new figure: final
    assert status[("ASC01", pd.Timestamp("2023-08-31"))] == ""  # untouched


def test_different_commentary_already_held_is_refused_without_replace(data_dir, tmp_path):
    q2 = write_returns("2023/24 Q2", data_dir=data_dir, out_dir=tmp_path / "returns")[0]
    fill(q2, {"ASC01:" + COMMENTARY: "Rewritten."})
    (problem,) = problems_of([q2], data_dir)
    assert "Indicators!Q7" in problem and "already holds this commentary" in problem
    assert "'Staffing recovered in August.'" in problem and "'Rewritten.'" in problem
    import_returns([q2], data_dir=data_dir, replace=True)
    notes = io.load(data_dir).commentary.set_index(["id", "quarter"])
    assert notes.loc[("ASC01", "2023/24 Q2"), "commentary"] == "Rewritten."


# --- every validation error, in the spreadsheet's terms -----------------------------------------


def _edit_meta(path: Path, edit) -> None:
    book = load_workbook(path)
    edit(book[META], book[INDICATORS])
    book.save(path)


def _set_quarter(meta, sheet) -> None:
    for row in meta.iter_rows(max_col=2):
        if row[0].value == "quarter":
            row[1].value = "2030/31 Q1"


def _unknown_indicator(meta, sheet) -> None:
    for row in meta.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and "ASC02" in cell.value:
                cell.value = cell.value.replace("ASC02", "ASC99")
    sheet[f"A{row_of(sheet, 'ASC02')}"] = "ASC99"


@pytest.mark.parametrize(
    "cells, expected",
    [
        (
            {"ASC01:N": 105},
            [
                "Indicators!N7 (ASC01 Assessments within 28 days, Oct 2023)",
                "105 is outside 0–100",
                "expected a percentage from 0 to 100",
            ],
        ),
        ({"ASC01:N": "twelve"}, ["Indicators!N7", "'twelve' is text, not a number"]),
        (
            {"ASC03:O": -4},
            [
                "Indicators!O9 (ASC03 Safeguarding referrals, Nov 2023)",
                "-4 is below 0",
                "expected a count of 0 or more",
            ],
        ),
        (
            {"ASC01:R": None},
            [
                "Indicators!R7 (ASC01 Assessments within 28 days)",
                "the Dec 2023 value 78.2% in P7 is Red",
                "under the floor of 80%",
                "no management action",
            ],
        ),
        (
            {"ASC02:P": 16, "ASC02:R": ""},
            ["Indicators!R8", "16 days in P8 is Red", "over the floor of 15 days"],
        ),
        (
            {"ASC01:A": "ASC09"},
            ["Indicators!A7: a locked cell was changed from 'ASC01' to 'ASC09'"],
        ),
        ({"ASC02:G": 12}, ["Indicators!G8: a locked cell was changed from '10' to '12'"]),
        ({"B40": 55}, ["Indicators!B40: '55' is below the last indicator"]),
        ({"T7": "see email"}, ["Indicators!T7: 'see email' is right of the table"]),
    ],
)
def test_each_problem_names_the_cell_the_indicator_and_what_is_expected(
    data_dir, returns, cells, expected
):
    adults = fill(filled_adults(returns[ADULTS]), cells)
    problems = problems_of([adults], data_dir)
    assert len(problems) == 1, problems
    for text in expected:
        assert text in problems[0]
    assert problems[0].startswith(adults.name)


def test_a_percentage_typed_with_a_percent_sign_is_explained(data_dir, returns):
    adults = filled_adults(returns[ADULTS])
    book = load_workbook(adults)
    cell = book[INDICATORS][f"{MONTH[1]}7"]
    cell.value, cell.number_format = 0.84, "0%"  # what Excel stores when someone types 84%
    book.save(adults)
    (problem,) = problems_of([adults], data_dir)
    assert "Indicators!O7" in problem and "type 84 without the % sign" in problem


@pytest.mark.parametrize(
    "edit, expected",
    [
        (_set_quarter, "unknown quarter: targets.csv has no targets for 2030/31"),
        (_unknown_indicator, "Indicators!A8: indicator 'ASC99' is not in indicators.csv"),
    ],
)
def test_a_workbook_for_an_unknown_quarter_or_indicator_is_refused(
    data_dir, returns, edit, expected
):
    adults = filled_adults(returns[ADULTS])
    _edit_meta(adults, edit)
    problems = problems_of([adults], data_dir)
    assert any(expected in p for p in problems), problems


def test_an_indicator_no_longer_reported_that_year_is_refused(data_dir, returns):
    adults = filled_adults(returns[ADULTS])
    targets = pd.read_csv(data_dir / "targets.csv")
    retired = (targets["id"] == "ASC03") & (targets["year"] == "2023/24")
    targets[~retired].to_csv(data_dir / "targets.csv", index=False)  # retired after sending
    (problem,) = problems_of([adults], data_dir)
    assert "Indicators!A9 (ASC03 Safeguarding referrals): targets.csv has no row" in problem


def test_a_workbook_not_made_by_qpr_returns_is_refused(data_dir, tmp_path):
    other = tmp_path / "budget.xlsx"
    from openpyxl import Workbook

    Workbook().save(other)
    (not_xlsx := tmp_path / "notes.xlsx").write_text("not a workbook")
    problems = problems_of([other, not_xlsx, tmp_path / "missing.xlsx"], data_dir)
    assert "budget.xlsx: no 'qpr_return' sheet" in problems[0]
    assert "not an Excel workbook" in problems[1] and "no such file" in problems[2]


def test_two_returns_for_the_same_directorate_are_refused(data_dir, returns, tmp_path):
    adults = filled_adults(returns[ADULTS])
    twin = tmp_path / "copy.xlsx"
    shutil.copyfile(adults, twin)
    (problem,) = problems_of([adults, twin], data_dir)
    assert "also the Adult Social Care return for 2023/24 Q3" in problem


def test_adding_an_action_where_none_is_held_overwrites_nothing(data_dir, tmp_path):
    q2 = write_returns("2023/24 Q2", data_dir=data_dir, out_dir=tmp_path / "returns")[0]
    fill(q2, {"ASC01:" + ACTION: "Weekly review of waiting list."})
    result = import_returns([q2], data_dir=data_dir)  # no --replace needed: the action was blank
    assert "action: 'Weekly review of waiting list.'" in result.report()
    notes = io.load(data_dir).commentary.set_index(["id", "quarter"])
    assert notes.loc[("ASC01", "2023/24 Q2"), "commentary"] == "Staffing recovered in August."
    assert notes.loc[("ASC01", "2023/24 Q2"), "action"] == "Weekly review of waiting list."


def test_every_problem_is_listed_at_once_and_the_cli_exits_2(data_dir, returns, capsys):
    adults = fill(
        filled_adults(returns[ADULTS]), {"ASC01:N": 105, "ASC03:O": "lots", "ASC02:A": "X"}
    )
    growth = fill(returns[GROWTH], {"GC01:P": 101})
    before = snapshot(data_dir)
    assert main(["import", str(adults), str(growth), "--data", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert "4 problem(s)" in err  # a changed locked cell does not hide the others
    assert "Indicators!A8" in err and "Indicators!N7" in err and "Indicators!O9" in err
    assert "Indicators!P7" in err
    assert "Traceback" not in err
    assert snapshot(data_dir) == before


# --- LibreOffice ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_return_saved_by_libreoffice_calc_imports_identically(data_dir, returns, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("libreoffice not installed (Debian: libreoffice-calc-nogui)")
    adults = filled_adults(returns[ADULTS])
    out = tmp_path / "calc"
    profile = (tmp_path / "lo-profile").as_uri()  # own profile: safe beside other LO runs
    subprocess.run(
        [
            office,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(adults),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    calc = out / adults.name
    assert calc.read_bytes() != adults.read_bytes()  # really rewritten by Calc

    direct = import_returns([adults], data_dir=data_dir, dry_run=True)
    via_calc = import_returns([calc], data_dir=data_dir, dry_run=True)
    columns = ["id", "period_end", "value", "change"]
    pd.testing.assert_frame_equal(direct.values[columns], via_calc.values[columns])
    columns = ["id", "quarter", "commentary", "action", "author", "change"]
    pd.testing.assert_frame_equal(direct.commentary[columns], via_calc.commentary[columns])
    book = load_workbook(calc)
    assert book[META].sheet_state == "hidden" and book[INDICATORS].protection.sheet


# --- which returns are in: qpr returns --status, and one directorate's workbook (issue 12) ------


def test_return_status_per_directorate_and_service_area(data_dir, returns):
    from qprlib.returns import format_return_status, return_status

    adults = filled_adults(returns[ADULTS])
    fill(adults, {"ASC01:" + MONTH[1]: None})  # November not yet available
    import_returns([adults], data_dir=data_dir)
    status = return_status(io.load(data_dir), Q3).set_index(["directorate", "service_area"])
    # Adults: ASC01 monthly (3 cells, November blank), ASC02 quarterly (1), ASC03 monthly (3)
    assert status.loc[(ADULTS, ""), ["cells", "filled", "status"]].tolist() == [7, 6, "partly"]
    assert status.loc[(ADULTS, ""), "missing"] == ["ASC01 Nov 2023"]
    assert status.loc[(ADULTS, "Assessment"), "status"] == "partly"
    assert status.loc[(GROWTH, ""), ["filled", "status"]].tolist() == [0, "outstanding"]
    text = format_return_status(
        return_status(io.load(data_dir), Q3), Q3, "2024-01-15", today=date(2024, 1, 18)
    )
    assert text.splitlines()[0] == "Returns for 2023/24 Q3: due 15 January 2024 (passed 3 days ago)"
    assert f"{ADULTS}: partly (6 of 7 figures)  (overdue)" in text
    assert "  Assessment: partly (" in text and "missing ASC01 Nov 2023" in text
    assert f"{GROWTH}: outstanding (0 of 1 figures)  (overdue)" in text
    assert "2 directorates: 0 returned, 1 partly, 1 outstanding." in text


def test_return_status_all_in_before_the_deadline(data_dir, returns):
    from qprlib.returns import format_return_status, return_status

    import_returns(
        [filled_adults(returns[ADULTS]), fill(returns[GROWTH], {"GC01:" + MONTH[2]: 86})],
        data_dir=data_dir,
    )
    status = return_status(io.load(data_dir), Q3)
    assert set(status["status"]) == {"returned"}
    text = format_return_status(status, Q3, "2024-01-15", today=date(2024, 1, 14))
    assert "(in 1 day)" in text and "overdue" not in text
    assert "2 directorates: 2 returned, 0 partly, 0 outstanding." in text


def test_cli_returns_status_exits_1_while_returns_are_outstanding(data_dir, tmp_path, capsys):
    assert main(["returns", "2023/24 Q3", "--status", "--data", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert f"{GROWTH}: outstanding" in out and "no deadline set" in out
    assert not (tmp_path / "returns").exists()  # --status writes nothing


def test_cli_returns_for_one_directorate_writes_one_workbook(data_dir, tmp_path, capsys):
    out = tmp_path / "one"
    args = ["returns", "2023/24 Q3", "--data", str(data_dir), "--out", str(out)]
    assert main([*args, "--directorate", GROWTH]) == 0
    assert [p.name for p in (out / "2023-24-q3").iterdir()] == [return_filename(Q3, GROWTH)]
    assert main([*args, "--directorate", "Growth"]) == 2
    assert "'Growth' has no indicators reported in 2023/24 Q3; expected one of" in (
        capsys.readouterr().err
    )
