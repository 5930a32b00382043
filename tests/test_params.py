"""params/defaults.yml + params/<quarter>.yml: checked once, every problem located."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from qprlib.errors import ParamsError
from qprlib.params import (
    RunParams,
    check_meeting_date,
    for_notebook,
    load_params,
    new_quarter,
    resolve_quarter,
)
from qprlib.periods import Quarter

REPO_PARAMS = Path(__file__).resolve().parents[1] / "params"

DEFAULTS = """\
council: Fixture Council
committee: Cabinet
dot_window_quarters: 8
execution_timeout: 30
"""
Q2 = """\
quarter: 2023/24 Q2
meeting_date: 2024-01-04
author: Chief Executive
directorates: []
"""


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "defaults.yml").write_text(DEFAULTS)
    (folder / "2023-24-q2.yml").write_text(Q2)
    return folder


def quarter_file_with(line: str) -> tuple[str, int]:
    """Q2 with `line` as its last line (replacing that key's own line); and its line number."""
    key = line.split(":")[0]
    lines = [kept for kept in Q2.splitlines() if not kept.startswith(f"{key}:")] + [line]
    return "\n".join(lines) + "\n", len(lines)


def problems_of(params_dir: Path, quarter: str = "2023/24 Q2") -> str:
    with pytest.raises(ParamsError) as caught:
        load_params(quarter, params_dir)
    return str(caught.value)


def test_the_repository_params_load_for_both_sample_quarters():
    for quarter in ("2023/24 Q2", "2022/23 Q4"):
        params = load_params(quarter, REPO_PARAMS)
        assert params.quarter == Quarter.parse(quarter)
        assert params.committee == "Cabinet"
        assert params.directorates == ()  # all directorates


def test_quarter_file_overrides_defaults_and_types_are_checked(params_dir):
    (params_dir / "2023-24-q2.yml").write_text(Q2 + "committee: Scrutiny Committee\n")
    params = load_params("2023-24-Q2", params_dir)
    assert isinstance(params, RunParams)
    assert params.committee == "Scrutiny Committee"
    assert params.council == "Fixture Council"
    assert params.meeting_date == "2024-01-04"  # an unquoted YAML date becomes ISO text
    assert params.execution_timeout == 30
    assert params.dot_method == "regression"  # not set anywhere: the DESIGN.md default
    values = params.notebook_values()
    assert values["quarter"] == "2023/24 Q2"
    assert "execution_timeout" not in values  # a build setting, not a notebook parameter


def test_params_are_immutable(params_dir):
    params = load_params("2023/24 Q2", params_dir)
    with pytest.raises(AttributeError):
        params.council = "Other"


def test_unknown_key_names_file_line_key_and_suggests_the_right_one(params_dir):
    (params_dir / "2023-24-q2.yml").write_text(Q2 + "dot_windw_quarters: 6\n")
    message = problems_of(params_dir)
    assert "2023-24-q2.yml, line 5, key 'dot_windw_quarters'" in message
    assert "did you mean 'dot_window_quarters'?" in message


@pytest.mark.parametrize(
    "line, expected",
    [
        ("dot_alpha: high", "expected a number between 0 and 1"),
        ("dot_window_quarters: 2.5", "expected a whole number"),
        ("dot_window_quarters: true", "expected a whole number"),  # bool is not an int here
        ("spc_screen_outliers: 'yes please'", "expected true or false"),
        ("amber_mode: generous", "expected one of floor, tolerance"),
        ("meeting_date: 4/1/2024", "expected a date written YYYY-MM-DD"),
        ("directorates: Adults", "expected a list of names"),
        ("execution_timeout: 0", "expected a whole number of at least 1"),
        ("completeness: 0", "expected a share of the KPIs above 0 and at most 1"),
        ("completeness: 95", "expected a share of the KPIs above 0 and at most 1"),
        ("returns_deadline: soon", "expected a date written YYYY-MM-DD"),
    ],
)
def test_wrong_types_are_rejected_with_line_and_key(params_dir, line, expected):
    text, number = quarter_file_with(line)
    (params_dir / "2023-24-q2.yml").write_text(text)
    message = problems_of(params_dir)
    key = line.split(":")[0]
    assert f"2023-24-q2.yml, line {number}, key '{key}'" in message
    assert expected in message


@pytest.mark.parametrize(
    "line, shown",
    [
        ("author: 2024-01-04", "key 'author': '2024-01-04' is not valid; expected some text"),
        ("council: {name: Fixture}", "key 'council': '{name: Fixture}' is not valid"),
        ("[council]: Fixture", "key '[council]': unknown setting"),
    ],
)
def test_values_and_keys_are_quoted_as_written_not_as_python(params_dir, line, shown):
    text, number = quarter_file_with(line)
    (params_dir / "2023-24-q2.yml").write_text(text)
    message = problems_of(params_dir)
    assert f"2023-24-q2.yml, line {number}, {shown}" in message
    assert "datetime" not in message and "Node" not in message


def test_a_python_tag_is_an_error_and_never_executed(params_dir, tmp_path):
    marker = tmp_path / "pwned"
    text, number = quarter_file_with(f"author: !!python/object/apply:os.system ['touch {marker}']")
    (params_dir / "2023-24-q2.yml").write_text(text)
    message = problems_of(params_dir)
    assert f"line {number}, key 'author'" in message
    assert "tags such as !!python/object are not allowed" in message
    assert not marker.exists()


def test_malformed_yaml_names_the_file_and_line(params_dir):
    (params_dir / "defaults.yml").write_text("council: [Fixture Council\ncommittee: Cabinet\n")
    message = problems_of(params_dir)
    assert "defaults.yml, line 2" in message or "defaults.yml, line 1" in message
    assert "not valid YAML" in message


def test_every_problem_is_reported_at_once(params_dir):
    (params_dir / "defaults.yml").write_text(DEFAULTS + "amber_mod: floor\n")
    (params_dir / "2023-24-q2.yml").write_text(Q2 + "dot_alpha: 5\n")
    with pytest.raises(ParamsError) as caught:
        load_params("2023/24 Q2", params_dir)
    assert len(caught.value.problems) == 2


def test_a_key_set_twice_is_an_error(params_dir):
    (params_dir / "2023-24-q2.yml").write_text(Q2 + "author: Someone else\n")
    assert "line 5, key 'author': set twice" in problems_of(params_dir)


def test_quarter_in_the_file_must_match_its_name(params_dir):
    (params_dir / "2023-24-q2.yml").write_text(Q2.replace("Q2", "Q3"))
    assert "named for 2023/24 Q2" in problems_of(params_dir)


def test_missing_quarter_file_says_how_to_create_it(params_dir):
    assert "qpr new-quarter '2023/24 Q3'" in problems_of(params_dir, "2023/24 Q3")


def test_council_must_be_set_somewhere(params_dir):
    (params_dir / "defaults.yml").write_text("committee: Cabinet\n")
    assert "key 'council': missing" in problems_of(params_dir)


def test_quarter_defaults_to_the_latest_params_file(params_dir):
    (params_dir / "2022-23-q4.yml").write_text(Q2.replace("2023/24 Q2", "2022/23 Q4"))
    assert resolve_quarter(None, params_dir) == Quarter.parse("2023/24 Q2")
    assert resolve_quarter("latest", params_dir) == Quarter.parse("2023/24 Q2")
    assert resolve_quarter("2022/23 Q4", params_dir) == Quarter.parse("2022/23 Q4")


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2024, 3, 31), "2023/24 Q3"),
        (date(2024, 4, 1), "2023/24 Q4"),
        (date(2024, 6, 30), "2023/24 Q4"),
        (date(2024, 7, 1), "2024/25 Q1"),
    ],
)
def test_current_is_the_last_quarter_ended(params_dir, today, expected):
    assert resolve_quarter("current", params_dir, today=today) == Quarter.parse(expected)


def test_a_params_file_not_named_for_a_quarter_is_an_error(params_dir):
    (params_dir / "notes.yml").write_text("council: x\n")
    with pytest.raises(ParamsError, match="notes.yml: the file name is not a quarter"):
        resolve_quarter(None, params_dir)


def test_new_quarter_writes_the_next_file_from_the_previous_one(params_dir):
    path = new_quarter("2023/24 Q3", params_dir)
    assert path == params_dir / "2023-24-q3.yml"
    text = path.read_text()
    assert "quarter: 2023/24 Q3" in text
    line = next(line for line in text.splitlines() if line.startswith("meeting_date:"))
    assert line.startswith('meeting_date: ""  # TODO')  # left empty, never Q2's meeting
    params = load_params("2023/24 Q3", params_dir)
    assert params.meeting_date == ""
    assert params.author == "Chief Executive"
    with pytest.raises(ParamsError) as caught:  # and `qpr build` refuses it until it is set
        check_meeting_date(params)
    number = text.splitlines().index(line) + 1
    assert f"params/2023-24-q3.yml, line {number}, key 'meeting_date': empty" in str(caught.value)
    assert "empty; expected the date of the meeting" in str(caught.value)


def test_new_quarter_writes_an_empty_meeting_date_when_the_previous_file_had_none(params_dir):
    (params_dir / "2023-24-q2.yml").write_text(Q2.replace("meeting_date: 2024-01-04\n", ""))
    text = new_quarter("2023/24 Q3", params_dir).read_text()
    assert 'meeting_date: ""  # TODO' in text


@pytest.mark.parametrize(
    "meeting, problem",
    [
        ("2024-01-04", None),  # after Q2 ended on 30 September 2023
        ("2023-10-01", None),  # the day after
        ("2023-09-30", "2023-09-30 is not after 2023/24 Q2 ended (2023-09-30)"),
        ("2023-07-06", "2023-07-06 is not after 2023/24 Q2 ended"),  # Q1's meeting, carried
    ],
)
def test_the_meeting_date_must_be_after_the_quarter_ended(params_dir, meeting, problem):
    text = Q2.replace("2024-01-04", meeting)
    (params_dir / "2023-24-q2.yml").write_text(text)
    params = load_params("2023/24 Q2", params_dir)
    if problem is None:
        check_meeting_date(params)
        return
    with pytest.raises(ParamsError) as caught:
        check_meeting_date(params)
    assert "params/2023-24-q2.yml, line 2, key 'meeting_date': " in str(caught.value)
    assert problem in str(caught.value) and "earlier quarter's meeting" in str(caught.value)


def test_a_meeting_date_set_only_in_defaults_is_located_there(params_dir):
    (params_dir / "2023-24-q2.yml").write_text(Q2.replace("meeting_date: 2024-01-04\n", ""))
    (params_dir / "defaults.yml").write_text(DEFAULTS + "meeting_date: 2023-01-05\n")
    with pytest.raises(ParamsError, match=r"defaults.yml, line 5, key 'meeting_date': 2023-01-05"):
        check_meeting_date(load_params("2023/24 Q2", params_dir))


def test_completeness_and_returns_deadline_default_to_every_kpi_and_none(params_dir):
    params = load_params("2023/24 Q2", params_dir)
    assert params.completeness == 1.0 and params.returns_deadline == ""
    (params_dir / "2023-24-q2.yml").write_text(
        Q2 + "completeness: 0.9\nreturns_deadline: 2023-10-20\n"
    )
    params = load_params("2023/24 Q2", params_dir)
    assert params.completeness == 0.9 and params.returns_deadline == "2023-10-20"


def test_the_sample_quarters_meeting_dates_pass():
    for quarter in ("2023/24 Q2", "2022/23 Q4"):
        check_meeting_date(load_params(quarter, REPO_PARAMS))


# --- notebooks run by hand read the same params (issue 12) ---------------------------------


def test_a_notebook_setting_left_none_comes_from_params(params_dir, monkeypatch):
    project = params_dir.parent
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project / "notebooks")  # JupyterLab runs a notebook in its folder
    given = {"council": None, "author": "Override", "dot_window_quarters": None, "contacts": None}
    quarter, data_dir, values = for_notebook("latest", None, given)
    assert quarter == "2023/24 Q2"  # the latest params file
    assert Path(data_dir) == project / "data"
    assert values == {
        "council": "Fixture Council",  # defaults.yml
        "author": "Override",  # set in the parameters cell: kept
        "dot_window_quarters": 8,
        "contacts": "",
    }
    monkeypatch.chdir(project)  # stock papermill in the project root: the same files
    assert for_notebook("latest", None, given) == (quarter, data_dir, values)


def test_a_notebook_with_every_value_set_reads_no_params(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no params/ anywhere near: not needed
    given = {"council": "C", "author": ""}
    assert for_notebook("2023/24 Q2", "data", given) == ("2023/24 Q2", "data", given)


def test_new_quarter_keeps_awkward_text_intact(params_dir):
    awkward = 'Leader: Cllr O\'Neil # and "Chief"'
    (params_dir / "2023-24-q2.yml").write_text(
        Q2.replace("author: Chief Executive", f"author: '{awkward.replace(chr(39), 2 * chr(39))}'")
    )
    new_quarter("2023/24 Q3", params_dir)
    assert load_params("2023/24 Q3", params_dir).author == awkward


def test_new_quarter_never_overwrites(params_dir):
    before = (params_dir / "2023-24-q2.yml").read_bytes()
    with pytest.raises(ParamsError, match="already exists and is never overwritten"):
        new_quarter("2023/24 Q2", params_dir)
    assert (params_dir / "2023-24-q2.yml").read_bytes() == before


def test_new_quarter_needs_an_earlier_file(params_dir):
    with pytest.raises(ParamsError, match="no params file for a quarter before"):
        new_quarter("2022/23 Q1", params_dir)


def test_new_quarter_in_a_copy_of_the_repository_params(tmp_path):
    folder = tmp_path / "params"
    shutil.copytree(REPO_PARAMS, folder)
    new_quarter("2023/24 Q3", folder)
    assert resolve_quarter(None, folder) == Quarter.parse("2023/24 Q3")


# --- comparators (issue 17) ----------------------------------------------------------------


def test_the_sample_names_its_area_and_comparator_groups():
    params = load_params("2023/24 Q2", REPO_PARAMS)
    assert params.area_code == "E10000990"
    groups = params.groups()
    assert list(groups) == ["similar councils", "England"]
    assert len(groups["similar councils"]) == 15 and groups["England"] == "E92000001"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("comparator_groups: [E1, E2]", "expected a mapping of group name to area codes"),
        ("comparator_groups: {near: []}", "group 'near' has no area codes"),
        ("comparator_groups: {near: [E1, 'a b']}", "group 'near' has a code that is not"),
        ("area_code: 'E1 0'", "expected an area code such as E10000016"),
    ],
)
def test_comparator_settings_are_checked(params_dir, line, expected):
    text, number = quarter_file_with(line)
    (params_dir / "2023-24-q2.yml").write_text(text)
    message = problems_of(params_dir)
    assert f"2023-24-q2.yml, line {number}, key '{line.split(':')[0]}'" in message
    assert expected in message


def test_new_quarter_carries_comparator_groups(params_dir):
    text, _ = quarter_file_with("comparator_groups: {near: [E1, E2], England: E92000001}")
    (params_dir / "2023-24-q2.yml").write_text(text)
    new_quarter("2023/24 Q3", params_dir)
    params = load_params("2023/24 Q3", params_dir)
    assert params.groups() == {"near": ("E1", "E2"), "England": "E92000001"}


def test_from_is_a_list_of_people_one_a_line_and_the_old_string_still_works(params_dir):
    # Review, major 10: seed 001 prints "Roger Gough – Leader of the Council" and "Amanda Beer
    # – Chief Executive Officer" on lines of their own.
    text, _ = quarter_file_with(
        "author:\n  - {name: Roger Gough, role: Leader of the Council}\n"
        "  - {name: Amanda Beer, role: Chief Executive Officer}\n  - Deputy Leader"
    )
    (params_dir / "2023-24-q2.yml").write_text(text)
    assert load_params("2023/24 Q2", params_dir).author == (
        "Roger Gough – Leader of the Council\nAmanda Beer – Chief Executive Officer\nDeputy Leader"
    )
    text, _ = quarter_file_with("author: Leader of the Council; Chief Executive")
    (params_dir / "2023-24-q2.yml").write_text(text)
    assert load_params("2023/24 Q2", params_dir).author == "Leader of the Council; Chief Executive"


DASHBOARDS = """\
contacts: ["Priya Sharma\\nHead of Performance"]
dashboards:
  Public Health:
    committee: Health Reform and Public Health Cabinet Committee
    meeting_date: 2023-12-05
    from:
      - {name: Ewan Blake, role: Director of Public Health}
    background_documents: [Public Health Annual Report 2023]
  Adult Social Care:
    contacts:
      - |
        Sunita Patel
        01632 960674
"""


def test_each_dashboard_takes_its_own_settings_else_the_single_ones(params_dir):
    # Review, blocker 2: one directorate_committee string cannot say five committees.
    quarter_file = Q2 + "directorate_committee: Scrutiny\n" + DASHBOARDS
    (params_dir / "2023-24-q2.yml").write_text(quarter_file)
    params = load_params("2023/24 Q2", params_dir)
    assert params.dashboard_values("Public Health") == {
        "directorate_committee": "Health Reform and Public Health Cabinet Committee",
        "directorate_meeting_date": "2023-12-05",
        "directorate_author": "Ewan Blake – Director of Public Health",
        "directorate_contacts": "Priya Sharma\nHead of Performance",  # the cover's
        "directorate_background": "Public Health Annual Report 2023",
    }
    assert params.dashboard_values("Adult Social Care") == {
        "directorate_committee": "Scrutiny",  # directorate_committee, the single string
        "directorate_meeting_date": "2024-01-04",  # meeting_date
        "directorate_author": "",  # blank: the notebook falls back to author
        "directorate_contacts": "Sunita Patel\n01632 960674",
        "directorate_background": "",
    }


@pytest.mark.parametrize(
    "entry, expected",
    [
        ("  Public Health: {comittee: X}", "'Public Health': unknown setting 'comittee'; expected"
         " committee, meeting_date, from, contacts, background_documents"),
        ("  Public Health: {meeting_date: 5/12/2023}", "'Public Health', 'meeting_date': expected "
         "a date written YYYY-MM-DD"),
        ("  Public Health:\n    from: [{name: A, role: Director of Growth, Environment}]",
         "'Environment' is neither name nor role"),
        ("  - Public Health", "expected a mapping of directorate to its dashboard's settings"),
    ],
)  # fmt: skip
def test_a_wrong_dashboard_entry_names_the_file_line_and_what_is_expected(
    params_dir, entry, expected
):
    (params_dir / "2023-24-q2.yml").write_text(Q2 + "dashboards:\n" + entry + "\n")
    message = problems_of(params_dir)
    assert f"2023-24-q2.yml, line {len(Q2.splitlines()) + 1}, key 'dashboards'" in message
    assert expected in message
