"""`qpr status`: a report is current exactly when `qpr build` would skip it; otherwise stale
(naming the inputs changed since: data, params, template, qprlib), failed or not built.

Most tests record a build the way `qpr build` does (plan_runs, write_stamp, write_manifest)
without starting a kernel; the last one runs a real build with a failing notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from test_build import SLUG, make_project, write_data

from qprlib import build as build_module
from qprlib import cli, io, provenance
from qprlib.build import BUILT, FAILED, Outcome, Paths, RunResult
from qprlib.params import load_params
from qprlib.status import quarter_status

ERROR = "ValueError: no data for Broken"
CELL = 'cell 4 (In [3]) "import time"'


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = make_project(tmp_path, ["Fine", "Broken"])
    monkeypatch.setattr(provenance, "source_hash", lambda package_dir=None: "qprlib v1")
    monkeypatch.chdir(root)
    return root


def record_build(project: Path, failed: tuple[str, ...] = (), rendered: bool = False) -> None:
    """What `qpr build` leaves behind, made with the build's own functions, no kernel."""
    params = load_params("2023/24 Q2", project / "params")
    data = io.load(project / "data")
    paths = Paths.at(project)
    out = paths.build / SLUG
    out.mkdir(parents=True, exist_ok=True)
    names = build_module.choose_directorates(data, params.directorates, False)
    results = []
    for run in build_module.plan_runs(params, names, True, data, paths, out, "T"):
        if run.report in failed:
            results.append(RunResult(run.report, FAILED, 1.0, CELL, ERROR))
            continue
        run.output.write_text("{}")
        result = RunResult(run.report, BUILT, 1.0)
        build_module.write_stamp(run, result)
        results.append(result)
    (out / "kpis.csv").write_text("id\nK0\n")
    key = build_module.assessment_key(params, data)
    (out / "kpis.stamp.json").write_text(json.dumps({"key": key}))
    outcome = Outcome(params.quarter, "2024-01-04T09:00:00Z", results, kpis="written")
    if rendered:  # as render_site: the site published and its stamp written
        (paths.site / SLUG).mkdir(parents=True)
        built = [r.report for r in results if r.outcome == BUILT]
        key = build_module.render_key(
            out, paths.site, built, ("html", "pdf"), "auto", params.council
        )
        (out / "render.stamp.json").write_text(json.dumps({"key": key}))
        outcome.render = "rendered"
    build_module.write_manifest(outcome, out, params, data, "auto", ("html", "pdf"), paths)


def states() -> dict[str, tuple[str, str]]:
    (status,) = quarter_status("2023/24 Q2")
    return {r.report: (r.state, r.reason) for r in status.reports}


REPORTS = ("cover", "qpr", "directorate-fine", "directorate-broken")


def test_a_fresh_build_is_current_and_status_exits_0(project, monkeypatch, capsys):
    record_build(project, rendered=True)
    assert states() == {report: ("current", "") for report in REPORTS}
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2023/24 Q2: last built ")
    assert "(success, exit status 0)" in out.splitlines()[0]
    assert "  directorate-fine    current  (built " in out
    assert "  kpis.csv            current" in out
    assert "  site                current (html, pdf)" in out
    assert "by the builtin engine" in out or "by the quarto engine" in out
    assert out.rstrip().endswith("all reports current")
    write_data(project / "data", ["Fine", "Broken"], value=65)
    monkeypatch.setattr(provenance, "source_hash", lambda package_dir=None: "qprlib v2")
    (status,) = quarter_status()
    assert (status.site, status.kpis) == ("stale", "stale")
    assert {r.reason for r in status.reports} == {"data, qprlib changed"}
    assert status.stale_inputs == ("data", "qprlib")


@pytest.mark.parametrize(
    "change, stale",
    [
        # every run's stamp holds the data hash: new figures make every report stale
        ("data", {r: "data changed" for r in REPORTS}),
        # only the qpr fixture declares dot_window_quarters
        ("params", {"qpr": "params changed"}),
        # both dashboards come from notebooks/directorate.ipynb
        ("template", {r: "template changed" for r in REPORTS if r.startswith("directorate")}),
        ("qprlib", {r: "qprlib changed" for r in REPORTS}),
    ],
)
def test_each_kind_of_change_makes_exactly_its_reports_stale(project, monkeypatch, change, stale):
    record_build(project)
    if change == "data":
        write_data(project / "data", ["Fine", "Broken"], value=65)
    elif change == "params":
        with open(project / "params" / f"{SLUG}.yml", "a") as stream:
            stream.write("dot_window_quarters: 6\n")
    elif change == "template":
        path = project / "notebooks" / "directorate.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells[-1].source += "\nprint('a new line')"
        nbformat.write(nb, path)
    else:
        monkeypatch.setattr(provenance, "source_hash", lambda package_dir=None: "qprlib v2")
    expected = {r: ("stale", stale[r]) if r in stale else ("current", "") for r in REPORTS}
    assert states() == expected
    (status,) = quarter_status("2023/24 Q2")
    assert not status.all_current
    assert status.kpis == ("current" if change in ("template",) else "stale")
    assert status.stale_inputs == (change,)
    assert cli.main(["status"]) == 1


def test_a_failed_report_is_failed_with_its_error_and_cell(project, capsys):
    record_build(project, failed=("directorate-broken",))
    assert states()["directorate-broken"] == ("failed", f"{ERROR} at {CELL}")
    assert states()["directorate-fine"] == ("current", "")
    assert cli.main(["status", "2023/24 Q2", "--format", "json"]) == 1
    (quarter,) = json.loads(capsys.readouterr().out)
    assert quarter["quarter"] == "2023/24 Q2"
    assert quarter["outcome"] == "failed" and quarter["exit_status"] == 1
    assert quarter["all_current"] is False
    broken = next(r for r in quarter["reports"] if r["report"] == "directorate-broken")
    assert broken == {
        "report": "directorate-broken",
        "state": "failed",
        "reason": f"{ERROR} at {CELL}",
        "built": "",
    }


def test_a_report_never_built_and_a_quarter_never_built(project, capsys):
    record_build(project)
    write_data(project / "data", ["Fine", "Broken", "New"])  # a new directorate
    assert states()["directorate-new"] == ("not built", "")
    assert cli.main(["status", "2023/24 Q1"]) == 1
    assert capsys.readouterr().out.startswith("2023/24 Q1: never built\n  cannot check")


def test_nothing_built_yet(project, capsys):
    assert cli.main(["status"]) == 1
    assert capsys.readouterr().out == "No quarter has been built yet: run `qpr build`.\n"


def test_bad_data_makes_the_state_unknown_and_names_the_problem(project, capsys):
    record_build(project)
    (project / "data" / "values.csv").write_text("id,period_end,value\nK0,2023-09-30,lots\n")
    assert cli.main(["status"]) == 1
    out = capsys.readouterr().out
    assert "  cannot check the reports: values.csv, row 2" in out
    assert "  cover               unknown: values.csv, row 2" in out


@pytest.mark.slow
def test_status_after_a_real_build_with_a_failing_notebook(project, monkeypatch, capsys):
    monkeypatch.setattr(
        build_module,
        "assess_quarter",
        lambda data, params: pd.DataFrame({"id": list(data.indicators["id"]), "rag": "Green"}),
    )
    with open(project / "params" / f"{SLUG}.yml", "a") as stream:
        stream.write("directorates: [Broken]\n")  # three kernels, not four
    options = {"data_dir": project / "data", "render": False}
    assert build_module.build(root=project, **options) == 1
    assert states() == {
        "cover": ("current", ""),
        "qpr": ("current", ""),
        "directorate-broken": ("failed", f"{ERROR} at {CELL}"),
    }
    write_data(project / "data", ["Fine", "Broken"], value=65)
    assert states() == {
        "cover": ("stale", "data changed"),
        "qpr": ("stale", "data changed"),
        "directorate-broken": ("failed", f"{ERROR} at {CELL}"),
    }
    capsys.readouterr()
    assert build_module.build(root=project, **options) == 1  # the stale ones are re-run
    assert "2023/24 Q2: 2 built, 1 failed" in capsys.readouterr().out
    assert [state for state, _ in states().values()] == ["current", "current", "failed"]


def test_a_site_left_stale_by_a_failed_render_is_not_all_current(project, capsys):
    # what a build whose render failed leaves: every report built, the render stamp removed
    record_build(project, rendered=True)
    (project / "build" / SLUG / "render.stamp.json").unlink()
    (status,) = quarter_status("2023/24 Q2")
    assert {r.state for r in status.reports} == {"current"} and status.site == "stale"
    assert not status.all_current
    assert cli.main(["status"]) == 1
    out = capsys.readouterr().out
    assert "  site                stale (html, pdf)" in out
    assert out.rstrip().endswith("NOT all reports current")
