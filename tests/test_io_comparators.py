"""comparators.csv: optional, loaded and checked like every data file (file, row, column,
what is expected), and against the params' area code and comparator groups."""

import pandas as pd
import pytest

from qprlib import io
from qprlib.cli import main
from qprlib.errors import DataError
from tests.test_io import VALID, add_row, read_rows, set_cell, write_rows

GROUPS = {"similar councils": ("N1", "N2", "N3", "N4"), "England": "E92000001"}
ROWS = [  # id, area_code, area_name, period, value: rows 2-6
    ["ASC01", "N1", "Northmoor", "2023-06-30", "80.5"],
    ["ASC01", "N2", "Eastvale", "30/06/2023", "86%"],
    ["ASC01", "N3", "Westbury", "2023-06-30", "79"],
    ["ASC01", "E92000001", "England", "2023-06-30", "81.3"],
    ["HOU02", "N1", "Northmoor", "2023-09-30", "22"],
]


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for file, rows in VALID.items():
        write_rows(folder / file, [io.column_names(file), *rows])
    write_rows(folder / io.COMPARATORS_FILE, [io.column_names(io.COMPARATORS_FILE), *ROWS])
    return folder


def problems(folder, **groups) -> list[str]:
    with pytest.raises(DataError) as caught:
        io.load(folder, area_code="W1", comparator_groups=GROUPS, **groups)
    return caught.value.problems


def test_loads_typed_with_dates_and_numbers_as_excel_writes_them(data):
    table = io.load(data, area_code="W1", comparator_groups=GROUPS).comparators
    assert list(table.columns) == ["id", "area_code", "area_name", "period", "value"]
    assert table.loc[1, "period"] == pd.Timestamp("2023-06-30")
    assert table.loc[1, "value"] == 86.0


def test_a_council_without_the_file_loads_as_before(data):
    (data / io.COMPARATORS_FILE).unlink()
    loaded = io.load(data, area_code="W1", comparator_groups={})
    assert loaded.comparators.empty
    assert list(loaded.comparators.columns) == io.column_names(io.COMPARATORS_FILE)
    assert loaded.data_hash == io.data_hash(
        {f: (data / f).read_bytes() for f in io.DATA_FILES}
    )  # the hash of the five files, as it always was


def test_area_code_in_no_group(data):
    row = add_row(data, io.COMPARATORS_FILE, id="ASC01", area_code="N9", area_name="Fenwold",
                  period="2023-06-30", value="70")  # fmt: skip
    assert problems(data) == [
        f"comparators.csv, row {row}, column 'area_code': 'N9' (Fenwold) is in no comparator "
        "group in params and is not the council's own area_code (W1); "
        "expected an area code listed in comparator_groups (similar councils, England), or "
        "the row removed"
    ]


def test_period_the_kpi_does_not_have(data):
    set_cell(data, io.COMPARATORS_FILE, 6, "period", "2023-03-31")
    assert problems(data) == [
        "comparators.csv, row 6, column 'period': 2023-03-31 is not a period KPI 'HOU02' has "
        "a value for in values.csv; it has values from 2023-04-30 to 2023-09-30; expected a "
        "period of the council's own figures"
    ]


def test_unknown_id_duplicate_row_bad_cells_and_activity(data):
    set_cell(data, io.COMPARATORS_FILE, 2, "id", "ASC1")
    set_cell(data, io.COMPARATORS_FILE, 3, "value", "lots")
    set_cell(data, io.COMPARATORS_FILE, 4, "period", "2023-06-15")
    add_row(data, io.COMPARATORS_FILE, id="ASC01", area_code="E92000001", period="2023-06-30",
            value="81.4")  # fmt: skip
    add_row(data, io.COMPARATORS_FILE, id="ACT01", area_code="N1", period="2023-06-30",
            value="1")  # fmt: skip
    found = problems(data)
    assert found[0].startswith("comparators.csv, row 2, column 'id': 'ASC1' is not an indicator")
    assert found[1] == (
        "comparators.csv, row 3, column 'value': 'lots' is not a number; expected a number "
        "such as 85.5"
    )
    assert found[2].startswith(
        "comparators.csv, row 4, column 'period': '2023-06-15' is not the last day of its month"
    )
    assert found[3] == (
        "comparators.csv, row 7, column 'period': 'ASC01' already has a figure for area "
        "E92000001 for 2023-06-30 on row 5; expected one row per indicator, area and period"
    )
    assert found[4].startswith(
        "comparators.csv, row 8, column 'id': 'ACT01' is an activity indicator with polarity "
        "'none', which cannot be ranked"
    )
    assert len(found) == 5


def test_percent_outside_0_to_100(data):
    set_cell(data, io.COMPARATORS_FILE, 2, "value", "180.5")
    (message,) = problems(data)
    assert message.startswith("comparators.csv, row 2, column 'value': 180.5 is above 100")


def test_the_councils_own_row_must_agree_with_values_csv(data):
    # ASC01 June 2023 is 84 in values.csv (tests/test_io.py VALUES)
    row = add_row(data, io.COMPARATORS_FILE, id="ASC01", area_code="W1", period="2023-06-30",
                  value="84")  # fmt: skip
    io.load(data, area_code="W1", comparator_groups=GROUPS)
    set_cell(data, io.COMPARATORS_FILE, row, "value", "85")
    assert problems(data) == [
        f"comparators.csv, row {row}, column 'value': 85 for the council's own area W1 differs "
        "from values.csv's 84 for 'ASC01' on 2023-06-30; expected the same figure (or leave "
        "the council's own rows out: its values.csv figure is the one ranked)"
    ]


def test_file_without_groups_in_params(data):
    with pytest.raises(DataError) as caught:
        io.load(data, area_code="", comparator_groups={}, params_where="params/defaults.yml")
    (message,) = caught.value.problems
    assert message.startswith(
        "comparators.csv: has 5 rows but params/defaults.yml set no comparator_groups"
    )


def test_without_params_only_the_file_itself_is_checked(data):
    add_row(data, io.COMPARATORS_FILE, id="ASC01", area_code="N9", period="2023-06-30",
            value="70")  # fmt: skip
    assert len(io.load(data).comparators) == 6  # no groups given: not checked against them


def test_bad_comparator_data_exits_2_with_the_place(data, tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    (project / "params").mkdir(parents=True)
    (project / "params" / "defaults.yml").write_text(
        "council: C\ncommittee: Cabinet\narea_code: W1\n"
        "comparator_groups:\n  similar councils: [N1, N2, N3]\n",
        encoding="utf-8",
    )
    (project / "params" / "2023-24-q2.yml").write_text("quarter: 2023/24 Q2\n", encoding="utf-8")
    monkeypatch.chdir(project)
    assert main(["validate", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "comparators.csv, row 5, column 'area_code': 'E92000001' (England) is in no" in err
    assert "Traceback" not in err
    rows = read_rows(data / io.COMPARATORS_FILE)
    write_rows(data / io.COMPARATORS_FILE, [r for r in rows if r[1] != "E92000001"])
    assert main(["assess", "2023/24 Q2", "--data", str(data), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    header, asc01 = out.splitlines()[0].split(","), out.splitlines()[1]
    assert "comparison" in header and "comparator_quartile" in header
    assert "of 4 similar councils" in asc01
