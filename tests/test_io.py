"""qprlib.io: loading, validation messages (file, row, column, value, expected) and writing.

Each rejection test starts from a small valid data set written to tmp_path and breaks one
thing. Row numbers are as a spreadsheet shows them: the header is row 1.
"""

import csv
import os
import stat
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qprlib import io
from qprlib.errors import DataError, DataWarning

INDICATORS = [
    # id, name, directorate, service_area, kind, polarity, unit, frequency, definition, owner
    ["ASC01", "Adults supported at home", "Adult Social Care", "Adult services", "kpi",
     "higher", "percent", "monthly", "Share of adults supported in their own home", "A. Owner"],
    ["HOU02", "Days to re-let a council home", "Place", "Housing", "kpi",
     "lower", "days", "monthly", "Average days from void to re-let", "B. Owner"],
    ["ACT01", "Library visits", "Place", "Libraries", "activity",
     "none", "number", "quarterly", "Visits to all libraries", ""],
]  # fmt: skip
TARGETS = [
    # id, year, target, floor, lower, upper
    ["ASC01", "2023/24", "85", "80", "", ""],
    ["HOU02", "2023/24", "20", "25", "", ""],
    ["ACT01", "2023/24", "", "", "1000", "2000"],
]
MONTHS = ["2023-04-30", "2023-05-31", "2023-06-30", "2023-07-31", "2023-08-31", "2023-09-30"]
VALUES = (
    [["ASC01", month, str(82 + k)] for k, month in enumerate(MONTHS)]  # rows 2-7
    + [["HOU02", month, str(30 - k)] for k, month in enumerate(MONTHS)]  # rows 8-13
    + [["ACT01", "2023-06-30", "1500"], ["ACT01", "2023-09-30", "1650"]]  # rows 14-15
)
COMMENTARY = [
    ["ASC01", "2023/24 Q2", "Improving steadily.", "", "A. Owner"],
    ["HOU02", "2023/24 Q2", "Backlog of voids.", "Extra contractor from October.", "B. Owner"],
]
MILESTONES = [
    ["Place", "Better homes", "Open the new depot", "2023-11-30", "2023/24 Q2", "on_track", ""],
]
VALID = {
    "indicators.csv": INDICATORS,
    "targets.csv": TARGETS,
    "values.csv": VALUES,
    "commentary.csv": COMMENTARY,
    "milestones.csv": MILESTONES,
}


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def data(tmp_path) -> Path:
    """A minimal valid data set: 3 indicators (2 KPIs, 1 activity), six months of values."""
    folder = tmp_path / "data"
    folder.mkdir()
    for file, rows in VALID.items():
        write_rows(folder / file, [io.column_names(file), *rows])
    return folder


def set_cell(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Change one cell, addressed as a spreadsheet user would (header is row 1)."""
    rows = read_rows(folder / file)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(folder / file, rows)


def add_row(folder: Path, file: str, **cells: str) -> int:
    """Append a row (unnamed cells blank); return its row number."""
    rows = read_rows(folder / file)
    rows.append([cells.get(column, "") for column in rows[0]])
    write_rows(folder / file, rows)
    return len(rows)


def problems(folder: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        io.load(folder)
    return caught.value.problems


def only_problem(folder: Path) -> str:
    found = problems(folder)
    assert len(found) == 1, found
    return found[0]


# --- the valid set loads, typed as documented ---------------------------------------------


def test_valid_data_loads_with_the_documented_columns_and_dtypes(data):
    loaded = io.load(data)

    assert list(loaded.indicators.columns) == io.column_names("indicators.csv")
    assert list(loaded.indicators["id"]) == ["ASC01", "HOU02", "ACT01"]  # file order kept
    assert all(pd.api.types.is_object_dtype(t) for t in loaded.indicators.dtypes)
    assert list(loaded.targets.columns) == ["id", "year", "target", "floor", "lower", "upper"]
    assert loaded.targets[["target", "floor", "lower", "upper"]].dtypes.eq("float64").all()
    assert np.isnan(loaded.targets.loc[2, "target"])
    assert list(loaded.values.columns) == ["id", "period_end", "value", "status"]
    assert (loaded.values["status"] == "").all()  # no status column: every figure final
    assert loaded.values["period_end"].dtype == "datetime64[ns]"
    assert loaded.values["value"].dtype == "float64"
    assert loaded.values.loc[0, "period_end"] == pd.Timestamp("2023-04-30")
    assert list(loaded.commentary.columns) == [
        "id", "quarter", "commentary", "action", "author", "risks",
    ]  # fmt: skip
    assert loaded.commentary.loc[0, "action"] == ""  # blank text is empty text
    assert (loaded.commentary["risks"] == "").all()  # no risks column: none recorded
    assert loaded.milestones["due"].dtype == "datetime64[ns]"
    assert loaded.source == data
    assert list(loaded.values.index) == list(range(len(VALUES)))


def test_load_does_not_modify_the_files(data):
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in data.iterdir()}
    io.load(data)
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in data.iterdir()} == before


def test_blank_value_is_a_missing_value_not_an_error(data):
    set_cell(data, "values.csv", 5, "value", "")
    assert np.isnan(io.load(data).values.loc[3, "value"])


def test_data_hash_follows_the_bytes_not_the_folder(data, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in io.DATA_FILES:
        (copy / file).write_bytes((data / file).read_bytes())
    first = io.load(data).data_hash
    assert len(first) == 64
    assert io.load(copy).data_hash == first
    set_cell(copy, "values.csv", 2, "value", "82.0")
    assert io.load(copy).data_hash != first


def test_summary_line(data):
    assert io.summary_line(io.load(data)) == (
        "3 indicators (2 KPIs, 1 activity), 6 monthly periods from 2023-04-30 to 2023-09-30, "
        "quarters 2023/24 Q1 to 2023/24 Q2"
    )


# --- forgiving where Excel users expect it ------------------------------------------------


def test_utf8_with_bom_loads(data):
    path = data / "indicators.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert list(io.load(data).indicators.columns)[0] == "id"


def test_windows_1252_loads(data):
    set_cell(data, "indicators.csv", 2, "name", "Café visits — £ spent")
    rows = read_rows(data / "indicators.csv")
    write_rows(data / "indicators.csv", rows, encoding="cp1252")
    assert io.load(data).indicators.loc[0, "name"] == "Café visits — £ spent"


def test_uk_day_first_dates_load(data):
    set_cell(data, "values.csv", 7, "period_end", "30/09/2023")
    set_cell(data, "milestones.csv", 2, "due", "30/11/2023")
    loaded = io.load(data)
    assert loaded.values.loc[5, "period_end"] == pd.Timestamp("2023-09-30")
    assert loaded.milestones.loc[0, "due"] == pd.Timestamp("2023-11-30")


@pytest.mark.parametrize(
    "typed, expected",
    [("85.5%", 85.5), ("85.5 %", 85.5), ("1,234", 1234.0), ("1,234,567.5", 1234567.5),
     ("  42 ", 42.0), ("-0.5", -0.5), (".5", 0.5), ("1e3", 1000.0)],
)  # fmt: skip
def test_numbers_are_normalised(data, typed, expected):
    set_cell(data, "indicators.csv", 4, "unit", "rate")  # ACT01: a rate may be any number
    set_cell(data, "targets.csv", 4, "lower", "-1")
    set_cell(data, "targets.csv", 4, "upper", typed)
    assert io.load(data).targets.loc[2, "upper"] == expected


def test_spaces_case_and_alternative_spellings_are_tidied(data):
    rows = read_rows(data / "values.csv")
    rows[0] = [" ID", "Period End ", "Value"]
    write_rows(data / "values.csv", rows)
    set_cell(data, "indicators.csv", 2, "polarity", " Higher ")
    set_cell(data, "commentary.csv", 2, "quarter", "2023-24-Q2")
    set_cell(data, "targets.csv", 2, "year", "2023-24")
    loaded = io.load(data)
    assert loaded.indicators.loc[0, "polarity"] == "higher"
    assert loaded.commentary.loc[0, "quarter"] == "2023/24 Q2"
    assert loaded.targets.loc[0, "year"] == "2023/24"


def test_blank_rows_are_skipped_but_still_counted(data):
    rows = read_rows(data / "values.csv")
    rows.insert(3, [])  # a blank line becomes row 4
    rows.insert(4, ["", "", ""])  # and a row of empty cells row 5
    rows[8][2] = "oops"  # the row that was row 7 is now row 9
    write_rows(data / "values.csv", rows)
    assert only_problem(data).startswith("values.csv, row 9, column 'value': 'oops'")


def test_a_cell_with_a_line_break_is_one_row(data):
    set_cell(data, "commentary.csv", 2, "commentary", "First line.\nSecond line.")
    add_row(data, "commentary.csv", id="ASC01", quarter="2023/24 Q9")
    assert only_problem(data).startswith("commentary.csv, row 4, column 'quarter'")


def test_unknown_extra_column_is_a_warning_and_dropped(data):
    rows = [[*row, "note"] for row in read_rows(data / "indicators.csv")]
    rows[0][-1] = "Notes"
    write_rows(data / "indicators.csv", rows)
    with pytest.warns(DataWarning) as caught:
        loaded = io.load(data)
    assert [str(w.message) for w in caught] == [
        "indicators.csv, row 1, column 'Notes': is not a known column and is ignored; expected "
        "id, name, directorate, service_area, kind, polarity, unit, frequency, definition, owner"
    ]
    assert "Notes" not in loaded.indicators.columns


def test_no_warning_for_valid_data(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        io.load(data)


# --- whole-file problems --------------------------------------------------------------------


def test_missing_data_folder(tmp_path):
    with pytest.raises(DataError, match="data folder not found"):
        io.load(tmp_path / "nowhere")


def test_missing_file_says_which_and_where(data):
    (data / "values.csv").unlink()
    assert only_problem(data) == (
        f"values.csv: not found in {data}; expected a CSV file with the columns "
        "id, period_end, value"
    )


def test_missing_file_points_at_an_excel_copy(data):
    (data / "values.csv").unlink()
    (data / "values.xlsx").write_bytes(b"PK")
    assert "(there is values.xlsx: save it as CSV UTF-8)" in only_problem(data)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b" , ,\n"])
def test_empty_file(data, content):
    (data / "milestones.csv").write_bytes(content)
    assert only_problem(data) == (
        "milestones.csv: the file is empty; expected a header row: "
        "directorate, objective, milestone, due, quarter, status, commentary"
    )


def test_indicators_without_rows(data):
    write_rows(data / "indicators.csv", [io.column_names("indicators.csv")])
    assert problems(data)[0] == ("indicators.csv, row 2: has no indicators; expected one row each")


def test_renamed_column_names_the_expected_columns(data):
    rows = read_rows(data / "values.csv")
    rows[0][1] = "date"
    write_rows(data / "values.csv", rows)
    assert only_problem(data) == (
        "values.csv, row 1: missing column 'period_end'; expected the columns "
        "id, period_end, value (found: id, date, value)"
    )


def test_repeated_column(data):
    rows = read_rows(data / "values.csv")
    write_rows(data / "values.csv", [[*row, row[2]] for row in rows])
    assert only_problem(data) == (
        "values.csv, row 1, column 'value': appears more than once; expected each column once"
    )


@pytest.mark.parametrize("separator, named", [(";", "';'"), ("\t", "tabs")])
def test_semicolon_or_tab_separated_file(data, separator, named):
    rows = read_rows(data / "targets.csv")
    text = "\r\n".join(separator.join(row) for row in rows)
    (data / "targets.csv").write_text(text, encoding="utf-8")
    assert only_problem(data) == (
        f"targets.csv, row 1: looks like it is separated by {named} — "
        "save it as comma-separated (CSV)"
    )


def test_workbook_saved_under_a_csv_name(data):
    (data / "values.csv").write_bytes(b"PK\x03\x04\x14\x00\x00\x00")
    assert only_problem(data).startswith("values.csv: is not a CSV text file")


def test_unquoted_comma_gives_a_row_with_too_many_cells(data):
    text = (data / "values.csv").read_text(encoding="utf-8")
    (data / "values.csv").write_text(text.replace("ASC01,2023-06-30,84", "ASC01,2023-06-30,84,5"))
    assert only_problem(data) == (
        "values.csv, row 4: has 4 cells ('ASC01', '2023-06-30', '84', '5') but the header has "
        "3 columns; expected one cell per column (put quotes round a cell that contains a comma)"
    )


# --- cell problems: one test per rule, each naming file, row, column, value, expected -------


def test_non_numeric_value(data):
    set_cell(data, "values.csv", 14, "value", "12,4x")
    assert only_problem(data) == (
        "values.csv, row 14, column 'value': '12,4x' is not a number; "
        "expected a number such as 85.5"
    )


@pytest.mark.parametrize("typed", ["12,4", "1,23", "n/a", "£100", "1_000", "nan", "inf"])
def test_things_that_are_not_numbers(data, typed):
    set_cell(data, "targets.csv", 2, "target", typed)
    assert only_problem(data) == (
        f"targets.csv, row 2, column 'target': '{typed}' is not a number; "
        "expected a number such as 85.5"
    )


@pytest.mark.parametrize(
    "file, row, column, vocabulary",
    [
        ("indicators.csv", 3, "kind", "kpi, activity"),
        ("indicators.csv", 2, "polarity", "higher, lower, none"),
        ("indicators.csv", 4, "unit", "percent, number, days, currency, rate"),
        ("indicators.csv", 2, "frequency", "monthly, quarterly"),
        ("milestones.csv", 2, "status", "on_track, uncertain, off_track, complete"),
    ],
)
def test_word_outside_its_vocabulary(data, file, row, column, vocabulary):
    set_cell(data, file, row, column, "sometimes")
    assert only_problem(data) == (
        f"{file}, row {row}, column '{column}': 'sometimes' is not a known {column}; "
        f"expected one of {vocabulary}"
    )


@pytest.mark.parametrize(
    "file, row, column, typed, expected",
    [
        ("values.csv", 3, "period_end", "31/13/2023",
         "a month-end date such as 2023-09-30 or 30/09/2023"),
        ("values.csv", 3, "period_end", "09/30/2023",  # US month-first is not read as a date
         "a month-end date such as 2023-09-30 or 30/09/2023"),
        ("milestones.csv", 2, "due", "next week", "a date such as 2023-09-30 or 30/09/2023"),
    ],
)  # fmt: skip
def test_unparseable_date(data, file, row, column, typed, expected):
    set_cell(data, file, row, column, typed)
    assert only_problem(data) == (
        f"{file}, row {row}, column '{column}': '{typed}' is not a date; expected {expected}"
    )


def test_period_end_not_a_month_end(data):
    set_cell(data, "values.csv", 3, "period_end", "2023-05-30")
    assert only_problem(data) == (
        "values.csv, row 3, column 'period_end': '2023-05-30' is not the last day of its month "
        "(2023-05-31); expected a month-end date such as 2023-09-30 or 30/09/2023"
    )


@pytest.mark.parametrize("file", ["commentary.csv", "milestones.csv"])
@pytest.mark.parametrize("typed", ["2023/24 Q5", "Q2 2023", "2023/25 Q2"])
def test_unparseable_quarter(data, file, typed):
    set_cell(data, file, 2, "quarter", typed)
    assert only_problem(data) == (
        f"{file}, row 2, column 'quarter': '{typed}' is not a quarter; "
        "expected a quarter such as 2023/24 Q2"
    )


def test_unparseable_financial_year(data):
    set_cell(data, "targets.csv", 4, "year", "2023")
    assert only_problem(data) == (
        "targets.csv, row 4, column 'year': '2023' is not a financial year; "
        "expected a financial year such as 2023/24"
    )


def test_required_cell_left_empty(data):
    set_cell(data, "values.csv", 6, "period_end", "")
    assert only_problem(data) == (
        "values.csv, row 6, column 'period_end': is empty; "
        "expected a month-end date such as 2023-09-30 or 30/09/2023"
    )


def test_duplicate_indicator_id(data):
    set_cell(data, "indicators.csv", 4, "id", "ASC01")
    assert problems(data)[0] == (
        "indicators.csv, row 4, column 'id': 'ASC01' is already the id on row 2; "
        "expected each indicator once"
    )


@pytest.mark.parametrize(
    "file, row", [("targets.csv", 4), ("values.csv", 14), ("commentary.csv", 3)]
)
def test_unknown_id(data, file, row):
    set_cell(data, file, row, "id", "ACT1")
    found = problems(data)
    assert found[0] == (
        f"{file}, row {row}, column 'id': 'ACT1' is not an indicator in indicators.csv "
        "(did you mean 'ACT01'?); expected an id listed there"
    )


def test_unknown_id_without_a_close_match(data):
    set_cell(data, "commentary.csv", 3, "id", "ZZZZZZZ")
    assert only_problem(data) == (
        "commentary.csv, row 3, column 'id': 'ZZZZZZZ' is not an indicator in indicators.csv; "
        "expected an id listed there"
    )


def test_duplicate_period_even_when_spelt_differently(data):
    row = add_row(data, "values.csv", id="HOU02", period_end="30/09/2023", value="24")
    assert only_problem(data) == (
        f"values.csv, row {row}, column 'period_end': 'HOU02' already has a value for "
        "2023-09-30 on row 13; expected one row per indicator per period"
    )


def test_duplicate_target_year(data):
    row = add_row(data, "targets.csv", id="ASC01", year="2023-24", target="90", floor="85")
    assert only_problem(data) == (
        f"targets.csv, row {row}, column 'year': 'ASC01' already has a target row for 2023/24 "
        "on row 2; expected one row per indicator per year"
    )


def test_duplicate_commentary_quarter(data):
    row = add_row(data, "commentary.csv", id="HOU02", quarter="2023/24 Q2")
    assert only_problem(data) == (
        f"commentary.csv, row {row}, column 'quarter': 'HOU02' already has commentary for "
        "2023/24 Q2 on row 3; expected one row per indicator per quarter"
    )


@pytest.mark.parametrize("typed, side", [("100.5", "above 100"), ("-1", "below 0")])
def test_percent_outside_0_to_100(data, typed, side):
    set_cell(data, "values.csv", 4, "value", typed)
    assert only_problem(data) == (
        f"values.csv, row 4, column 'value': {typed} is {side} for 'ASC01', a percent "
        "indicator; expected a value from 0 to 100"
    )


def test_percent_bounds_are_allowed(data):
    set_cell(data, "values.csv", 2, "value", "0")
    set_cell(data, "values.csv", 3, "value", "100%")
    io.load(data)


@pytest.mark.parametrize("unit", ["number", "days", "currency"])
def test_negative_value_for_a_count_days_or_money(data, unit):
    set_cell(data, "indicators.csv", 4, "unit", unit)
    set_cell(data, "values.csv", 15, "value", "-3")
    assert only_problem(data) == (
        f"values.csv, row 15, column 'value': -3 is below 0 for 'ACT01', a {unit} indicator; "
        "expected a value of 0 or more"
    )


def test_rate_may_be_negative(data):
    set_cell(data, "indicators.csv", 4, "unit", "rate")
    set_cell(data, "values.csv", 15, "value", "-3")
    io.load(data)


def test_targets_are_held_to_the_unit_too(data):
    set_cell(data, "targets.csv", 2, "target", "105")
    assert only_problem(data).startswith(
        "targets.csv, row 2, column 'target': 105 is above 100 for 'ASC01', a percent indicator"
    )


@pytest.mark.parametrize(
    "row, id_, floor, expected",
    [
        (2, "ASC01", "86",
         "86 is above the target 85 for 'ASC01', where higher is better; "
         "expected a floor at or below the target"),
        (3, "HOU02", "19.5",
         "19.5 is below the target 20 for 'HOU02', where lower is better; "
         "expected a floor at or above the target"),
    ],
)  # fmt: skip
def test_floor_on_the_wrong_side_of_the_target(data, row, id_, floor, expected):
    set_cell(data, "targets.csv", row, "floor", floor)
    assert only_problem(data) == f"targets.csv, row {row}, column 'floor': {expected}"


@pytest.mark.parametrize("row, floor", [(2, "85"), (3, "20")])
def test_floor_equal_to_target_is_allowed(data, row, floor):
    set_cell(data, "targets.csv", row, "floor", floor)
    io.load(data)


def test_activity_range_upside_down(data):
    set_cell(data, "targets.csv", 4, "lower", "2500")
    assert only_problem(data) == (
        "targets.csv, row 4, column 'lower': 2500 is above the upper bound 2000 for 'ACT01'; "
        "expected lower at or below upper"
    )


def test_kpi_with_values_in_a_year_without_a_target_row(data):
    row = add_row(data, "values.csv", id="ASC01", period_end="2024-04-30", value="88")
    assert only_problem(data) == (
        "targets.csv: no row for KPI 'ASC01' in 2024/25, though values.csv has values for it "
        f"in that year (from row {row}); expected a row with id 'ASC01' and year '2024/25'"
    )


def test_no_target_needed_for_blank_values_or_activity_indicators(data):
    add_row(data, "values.csv", id="ASC01", period_end="2024-04-30", value="")
    add_row(data, "values.csv", id="ACT01", period_end="2024-06-30", value="1700")
    io.load(data)


@pytest.mark.parametrize(
    "row, blank, other, shown, expected",
    [
        (2, "floor", "target", "85", "the floor standard"),  # the reviewer's silently unrated KPI
        (3, "target", "floor", "25", "the year's target"),
        (4, "upper", "lower", "1000", "the top of the range"),
    ],
)
def test_half_a_target_pair_is_an_error(data, row, blank, other, shown, expected):
    set_cell(data, "targets.csv", row, blank, "")
    id_, noun = read_rows(data / "targets.csv")[row - 1][0], "KPI"
    noun = "activity indicator" if id_ == "ACT01" else noun
    assert only_problem(data) == (
        f"targets.csv, row {row}, column '{blank}': is empty for {noun} '{id_}' in 2023/24, "
        f"which has {other} {shown}; expected {expected} as well (with only one of the two "
        "it cannot be rated)"
    )


def test_a_kpi_row_with_neither_target_nor_floor_is_an_error(data):
    set_cell(data, "targets.csv", 2, "target", "")
    set_cell(data, "targets.csv", 2, "floor", "")
    assert only_problem(data).startswith(
        "targets.csv, row 2, column 'target': KPI 'ASC01' has a row for 2023/24 with no "
        "target and no floor; expected"
    )


def test_an_unreadable_target_is_reported_once(data):
    set_cell(data, "targets.csv", 2, "target", "eighty")
    assert only_problem(data).startswith("targets.csv, row 2, column 'target': 'eighty' is not")


def test_milestone_for_an_unknown_directorate(data):
    set_cell(data, "milestones.csv", 2, "directorate", "place")
    assert only_problem(data) == (
        "milestones.csv, row 2, column 'directorate': 'place' is not a directorate in "
        "indicators.csv (did you mean 'Place'?); expected one of: Adult Social Care, Place"
    )


# --- can the data report a quarter? (qpr assess and qpr build) ----------------------------

TODAY = date(2023, 11, 15)  # 2023/24 Q3 (October to December) is under way


def test_a_quarter_with_figures_and_targets_can_be_reported(data):
    io.check_quarter(io.load(data), "2023/24 Q2", today=TODAY)


@pytest.mark.parametrize(
    "quarter, ends", [("2023/24 Q3", "2023-12-31"), ("2024/25 Q1", "2024-06-30")]
)
def test_a_quarter_that_has_not_ended(data, quarter, ends):
    with pytest.raises(DataError) as caught:
        io.check_quarter(io.load(data), quarter, today=TODAY)
    assert str(caught.value) == (
        f"QUARTER {quarter}: has not ended yet (it ends {ends}); expected a quarter that has "
        "ended, such as 2023/24 Q2"
    )


def test_a_quarter_no_kpi_has_a_target_for(data):
    add_row(data, "targets.csv", id="ACT01", year="2024/25", lower="1000", upper="2000")
    add_row(data, "values.csv", id="ACT01", period_end="2024-06-30", value="1500")
    with pytest.raises(DataError) as caught:
        io.check_quarter(io.load(data), "2024/25 Q1", today=date(2024, 8, 1))
    assert str(caught.value) == (
        "targets.csv, column 'year': no KPI has a row for 2024/25, so none would be rated in "
        "2024/25 Q1; expected a row with the target and floor of each KPI reported in 2024/25"
    )


def test_a_quarter_with_targets_but_no_figures_yet(data):
    with pytest.raises(DataError) as caught:
        io.check_quarter(io.load(data), "2023/24 Q3", today=date(2024, 2, 1))
    assert str(caught.value) == (
        "values.csv, column 'period_end': no value in 2023/24 Q3 (2023-10-01 to 2023-12-31) "
        "for any of the 2 KPIs reported in 2023/24 (the latest is for 2023-09-30); expected "
        "the quarter's figures (import the returns with `qpr import`)"
    )


def test_an_activity_figure_alone_does_not_cover_a_quarter(data):
    add_row(data, "values.csv", id="ACT01", period_end="2023-12-31", value="1500")
    with pytest.raises(DataError, match="no value in 2023/24 Q3"):
        io.check_quarter(io.load(data), "2023/24 Q3", today=date(2024, 2, 1))


# --- everything at once ---------------------------------------------------------------------


def test_every_problem_is_reported_together_in_reading_order(data):
    (data / "milestones.csv").unlink()
    set_cell(data, "values.csv", 14, "value", "12,4x")
    set_cell(data, "values.csv", 3, "period_end", "2023-05-30")
    set_cell(data, "targets.csv", 3, "floor", "15")
    set_cell(data, "indicators.csv", 3, "unit", "hours")
    set_cell(data, "commentary.csv", 2, "id", "ASC99")

    found = problems(data)

    assert [line.split(":")[0] for line in found] == [
        "indicators.csv, row 3, column 'unit'",
        "targets.csv, row 3, column 'floor'",
        "values.csv, row 3, column 'period_end'",
        "values.csv, row 14, column 'value'",
        "commentary.csv, row 2, column 'id'",
        "milestones.csv",
    ]
    with pytest.raises(DataError) as caught:
        io.load(data)
    assert str(caught.value) == "\n".join(found)


# --- writing ---------------------------------------------------------------------------------


def test_write_csv_atomic_round_trips_and_leaves_no_temporary_file(data):
    loaded = io.load(data)
    io.write_csv_atomic(loaded.values.assign(value=loaded.values["value"] + 1), data / "values.csv")
    assert sorted(p.name for p in data.iterdir()) == sorted(io.DATA_FILES)
    assert io.load(data).values["value"].tolist() == (loaded.values["value"] + 1).tolist()


def test_write_csv_atomic_keeps_the_file_mode(data):
    os.chmod(data / "values.csv", 0o640)
    io.write_csv_atomic(io.load(data).values, data / "values.csv")
    assert stat.S_IMODE((data / "values.csv").stat().st_mode) == 0o640


def test_write_csv_atomic_never_leaves_half_a_file(data, monkeypatch):
    before = (data / "values.csv").read_bytes()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        io.write_csv_atomic(pd.DataFrame({"id": ["X"]}), data / "values.csv")
    assert (data / "values.csv").read_bytes() == before
    assert sorted(p.name for p in data.iterdir()) == sorted(io.DATA_FILES)


def test_keep_read_only_copy_reuses_a_twin_and_never_overwrites(tmp_path):
    source = tmp_path / "return.xlsx"
    source.write_bytes(b"first")
    folder = tmp_path / "returns" / "2023-24-q2"

    kept = io.keep_read_only_copy(source, folder)
    assert kept == folder / "return.xlsx"
    assert kept.read_bytes() == b"first"
    assert not os.access(kept, os.W_OK) or os.geteuid() == 0
    assert stat.S_IMODE(kept.stat().st_mode) == 0o444
    assert io.keep_read_only_copy(source, folder) == kept

    source.write_bytes(b"second")
    assert io.keep_read_only_copy(source, folder) == folder / "return-2.xlsx"
    assert kept.read_bytes() == b"first"


# --- the committed sample council -------------------------------------------------------------


def test_the_sample_data_loads(repo_root):
    folder = repo_root / "data"
    loaded = io.load(folder)
    assert len(loaded.indicators) > 0
    assert io.summary_line(loaded).startswith(f"{len(loaded.indicators)} indicators")


def test_frames_json_gives_the_tables_back_exactly(tmp_path):
    # The build's shared assessment: dtypes, dates, None (never NaN) and every float digit.
    frame = pd.DataFrame(
        {
            "id": ["007", "B"],
            "period_end": pd.to_datetime(["2023-09-30", None]),
            "value": [0.1 + 0.2, np.nan],
            "rag": ["Green", None],
            "trial": np.array([True, None], dtype=object),
            "call_in": [False, True],
            "n": [3, 4],
        }
    )
    path = tmp_path / "assessment.json"
    io.write_frames_json(path, {"current": frame, "previous": frame.iloc[:0]}, {"quarter": "Q"})
    header, frames = io.read_frames_json(path)
    assert header == {"quarter": "Q"}
    pd.testing.assert_frame_equal(frames["current"], frame, check_exact=True)
    assert frames["current"]["rag"][1] is None and frames["current"]["trial"][0] is True
    assert list(frames["previous"].dtypes) == list(frame.dtypes)


@pytest.mark.parametrize("content", [None, b"", b"not json", b'{"frames": 3}'])
def test_missing_or_foreign_frames_json_reads_as_none(tmp_path, content):
    path = tmp_path / "assessment.json"
    if content is not None:
        path.write_bytes(content)
    assert io.read_frames_json(path) is None


# --- the optional status column of values.csv ----------------------------------------------


def with_status(folder: Path, statuses: dict[int, str]) -> None:
    """Add a status column to values.csv, filled in on the given spreadsheet rows."""
    rows = read_rows(folder / "values.csv")
    rows[0].append("Status")  # headings match ignoring case, as for every column
    for number, row in enumerate(rows[1:], start=2):
        row.append(statuses.get(number, ""))
    write_rows(folder / "values.csv", rows)


def test_a_values_status_column_is_read_without_a_warning(data, recwarn):
    with_status(data, {7: "Provisional", 13: "estimate", 2: "revised"})
    values = io.load(data).values
    assert not [w for w in recwarn if issubclass(w.category, DataWarning)]
    assert values.loc[5, "status"] == "provisional"  # row 7: the sixth data row
    assert values.loc[11, "status"] == "estimate" and values.loc[0, "status"] == "revised"
    assert (values.drop(index=[0, 5, 11])["status"] == "").all()


def test_an_unknown_value_status_names_the_row_and_the_words(data):
    with_status(data, {3: "draft"})
    message = only_problem(data)
    assert message.startswith("values.csv, row 3, column 'status': 'draft' is not a known status")
    assert "provisional, estimate, revised" in message


def test_a_status_on_a_blank_value_is_refused(data):
    with_status(data, {4: "estimate"})
    set_cell(data, "values.csv", 4, "value", "")
    message = only_problem(data)
    assert message.startswith("values.csv, row 4, column 'status'")
    assert "value is blank" in message


def test_a_blank_value_is_missing_not_an_error(data):
    set_cell(data, "values.csv", 4, "value", "")
    assert np.isnan(io.load(data).values.loc[2, "value"])
