"""`qpr build --all`, lists and ranges of quarters, and many projects: one pool of runs.

The project is test_build's throwaway one (fixture notebooks, one KPI per directorate, the
assessment stubbed) with figures for 2023/24 Q1 and Q2, so the data can report exactly those
two quarters; a params file for Q3 (no figures yet) stands for the quarter being prepared.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qprlib import build as build_module
from qprlib import provenance
from qprlib.build import Paths, choose_quarters
from qprlib.periods import Quarter
from tests.test_build import DEFAULTS, cli_build, make_project

Q1, Q2, Q3 = Quarter(2023, 1), Quarter(2023, 2), Quarter(2023, 3)


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = make_project(tmp_path, ["Fine"])
    params = root / "params"
    (params / "2023-24-q1.yml").write_text("quarter: 2023/24 Q1\nmeeting_date: 2023-10-05\n")
    (params / "2023-24-q3.yml").write_text("quarter: 2023/24 Q3\nmeeting_date: 2024-04-04\n")
    (params / "defaults.yml").write_text(
        (params / "defaults.yml").read_text() + "author: Chief Executive\n"
    )
    monkeypatch.setattr(
        build_module,
        "assess_quarter",
        lambda data, params: pd.DataFrame({"id": list(data.indicators["id"]), "rag": "Green"}),
    )
    # qprlib's hash held still: others editing this checkout must not make the runs stale
    monkeypatch.setattr(provenance, "source_hash", lambda package_dir=None: "qprlib")
    return root


def quarters(project, text=None, all_quarters=False):
    return choose_quarters(text, all_quarters, Paths.at(project), project / "data", {})


def test_all_is_every_quarter_the_data_can_report_up_to_the_latest_params_file(project):
    # Q3 has a params file but no figures (it has not been reported yet): left out
    assert quarters(project, all_quarters=True) == [Q1, Q2]
    # a past quarter without a file of its own is still one the data can report (issue 18:
    # "every quarter the data can report"); it builds from defaults.yml
    (project / "params" / "2023-24-q1.yml").unlink()
    assert quarters(project, all_quarters=True) == [Q1, Q2]
    # figures for a quarter after the latest params file: one being prepared (no meeting
    # date yet), left out until `qpr new-quarter` makes its file
    (project / "params" / "2023-24-q3.yml").unlink()
    (project / "params" / "2023-24-q2.yml").unlink()
    (project / "params" / "2023-24-q1.yml").write_text("quarter: 2023/24 Q1\n")
    assert quarters(project, all_quarters=True) == [Q1]


def test_all_builds_a_past_quarter_without_its_own_params_file_from_the_defaults(
    project, monkeypatch, capsys
):
    (project / "params" / "2023-24-q1.yml").unlink()
    assert cli_build(project, monkeypatch, "--all", "--jobs", "2") == 0
    q1 = project / "build" / "2023-24-q1"
    manifest = json.loads((q1 / "manifest.json").read_text())
    assert manifest["params_files"] == [str(project / "params" / "defaults.yml")]
    assert {r["outcome"] for r in manifest["reports"].values()} == {"built"}
    resolved = (q1 / "cover.params.yml").read_text()
    assert "council: Fixture Council" in resolved  # defaults.yml's
    assert "meeting_date: ''" in resolved  # none recorded: the cover says 'date to be confirmed'
    assert "no params file of its own, so built from params/defaults.yml" in capsys.readouterr().out
    # named on its own, the quarter still needs its file (a new quarter needs its meeting date)
    assert cli_build(project, monkeypatch, "2023/24 Q1") == 2
    assert "2023-24-q1.yml: no params file for 2023/24 Q1" in capsys.readouterr().err


def test_a_range_or_list_names_its_quarters_in_order_once(project):
    assert quarters(project, "2023/24 Q1..2023/24 Q2") == [Q1, Q2]
    assert quarters(project, "2023-24-Q2, 2023/24 Q1..latest") == [Q1, Q2, Q3]
    assert quarters(project, "2023/24 Q2") == [Q2]


def test_a_bad_range_is_exit_2_saying_what_is_expected(project, monkeypatch, capsys):
    assert cli_build(project, monkeypatch, "2023/24 Q2..2023/24 Q1") == 2
    err = capsys.readouterr().err
    assert "QUARTER: '2023/24 Q2..2023/24 Q1' ends before it starts" in err
    assert cli_build(project, monkeypatch, "2023/24 Q1", "--all") == 2
    assert "give one or the other" in capsys.readouterr().err


def test_a_quarter_in_the_range_without_params_stops_before_anything_runs(
    project, monkeypatch, capsys
):
    (project / "params" / "2023-24-q3.yml").unlink()
    assert cli_build(project, monkeypatch, "2023/24 Q1..2023/24 Q3") == 2
    assert "2023-24-q3.yml: no params file for 2023/24 Q3" in capsys.readouterr().err
    assert not (project / "build").exists()


def test_all_runs_every_report_of_every_quarter_in_one_pool(project, monkeypatch, capsys):
    pools = []
    real = build_module.execute_runs

    def one_pool(runs, jobs, log, executor=None):
        pools.append(sorted((run.output.parent.name, run.report) for run in runs))
        return real(runs, jobs, log, executor)

    monkeypatch.setattr(build_module, "execute_runs", one_pool)
    reports = ["cover", "directorate-fine", "qpr"]
    assert cli_build(project, monkeypatch, "--all", "--jobs", "2") == 0
    assert pools == [[(slug, r) for slug in ("2023-24-q1", "2023-24-q2") for r in reports]]
    for slug, label in (("2023-24-q1", "2023/24 Q1"), ("2023-24-q2", "2023/24 Q2")):
        manifest = json.loads((project / "build" / slug / "manifest.json").read_text())
        assert manifest["quarter"] == label
        assert sorted(manifest["reports"]) == reports
        assert {r["outcome"] for r in manifest["reports"].values()} == {"built"}
        log = (project / "build" / slug / "build.log").read_text()
        assert f"built       {label} cover" in log  # each quarter's lines in its own log
    assert not (project / "build" / "2023-24-q3").exists()
    assert "All 2 quarters: 6 built" in capsys.readouterr().out

    assert cli_build(project, monkeypatch, "2023/24 Q1..2023/24 Q2") == 0  # incremental
    assert "All 2 quarters: 0 built, 6 up to date" in capsys.readouterr().out
    assert pools[1:] == [[]]


TIMES = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"
    r"|\"(duration|seconds)\": [0-9.e-]+"
    r"|\d{1,2} \w+ \d{4},? (at )?\d{1,2}[:.]\d{2}( UTC)?"
    r"|\"id\": \"[0-9a-f]{8}\""  # papermill's injected cell: a random id in every build
)


def outputs(root: Path) -> dict[str, str]:
    """Every file a build wrote in build/ and _site/ (not build.log, whose lines are the
    console's), times (and the injected cell's random id) blanked."""
    found = {}
    for folder in ("build", "_site"):
        for path in sorted((root / folder).rglob("*")):
            # render.stamp.json: a hash of the notebooks, so of their run times too;
            # inputs.stamp.json: the fast path's record, kept for a one-project `qpr build`
            skipped = ("build.log", ".lock", "render.stamp.json", "inputs.stamp.json")
            if path.is_file() and path.name not in skipped:
                text = path.read_bytes().decode("utf-8", "replace")
                found[str(path.relative_to(root))] = TIMES.sub("<time>", text)
    return found


@pytest.mark.slow
def test_many_projects_build_as_each_would_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "source_hash", lambda package_dir=None: "qprlib")
    roots = []
    for name, directorates in (("north", ["Fine"]), ("south", ["Fine", "Other"])):
        made = make_project(tmp_path / name, directorates)
        roots.append(made.rename(tmp_path / f"{name}-council"))
    (roots[1] / "params" / "defaults.yml").write_text(DEFAULTS.replace("Fixture", "South"))
    options = ["--to", "html", "--engine", "builtin", "--jobs", "2"]
    projects = [arg for root in roots for arg in ("--project", str(root))]
    assert cli_build(tmp_path, monkeypatch, *projects, *options) == 0
    together = {root: outputs(root) for root in roots}
    for root in roots:
        shutil.rmtree(root / "build")
        shutil.rmtree(root / "_site")
        assert cli_build(root, monkeypatch, *options) == 0
        alone = outputs(root)
        assert sorted(alone) == sorted(together[root])
        for name in alone:
            assert alone[name] == together[root][name], name
    site = {path.name for path in (roots[1] / "_site" / "2023-24-q2").iterdir()}
    assert "directorate-other.html" in site
    assert not (roots[0] / "_site" / "2023-24-q2" / "directorate-other.html").exists()
