"""qprlib.pipeline.stamps: what makes kpis.csv (the quarter's assessment) out of date."""

import shutil

import pytest

from qprlib import io
from qprlib.params import load_params
from qprlib.pipeline.stamps import assessment_key

QUARTER = "2023/24 Q2"


@pytest.fixture
def project(repo_root, tmp_path):
    for part in ("data", "params"):
        shutil.copytree(repo_root / part, tmp_path / part)
    return tmp_path


def key(project) -> str:
    return assessment_key(load_params(QUARTER, project / "params"), io.load(project / "data"))


def append_value(project, row: str) -> None:
    with open(project / "data" / "values.csv", "a", encoding="utf-8") as values:
        values.write(row + "\n")


def test_a_later_quarters_figures_leave_the_assessment_current(project):
    """Issue 12: importing Q3 must not make Q2's published kpis.csv stale."""
    before = key(project)
    append_value(project, "CS01,2023-10-31,85.1")  # October: 2023/24 Q3
    assert key(project) == before


def test_a_figure_in_the_quarter_makes_the_assessment_stale(project):
    before = key(project)
    path = project / "data" / "values.csv"
    text = path.read_text(encoding="utf-8")
    assert "CS01,2023-09-30," in text
    lines = [
        "CS01,2023-09-30,50" if line.startswith("CS01,2023-09-30,") else line
        for line in text.splitlines()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert key(project) != before


def test_a_changed_setting_makes_the_assessment_stale(project):
    before = key(project)
    defaults = project / "params" / "defaults.yml"
    text = defaults.read_text(encoding="utf-8")
    assert "\ndot_alpha: 0.05 " in text
    defaults.write_text(text.replace("\ndot_alpha: 0.05 ", "\ndot_alpha: 0.1 "), encoding="utf-8")
    assert key(project) != before
