"""qpr build: planning, isolation of failures, incremental rebuilds, and bad input stopping early.

Each test builds a throwaway project (tests/fixtures/notebooks + a tiny data set + params) in
tmp_path, so the real build/ and _site/ are never touched. The fixture directorate notebook
raises for the directorate "Broken" and sleeps for "Slow"; the assessment is stubbed (it has
its own tests) except in the last test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from qprlib import build as build_module
from qprlib import cli, io
from qprlib.build import Paths, build, fill_front_matter, plan_runs, slugify
from qprlib.data_keys import data_key
from qprlib.errors import ParamsError
from qprlib.params import load_params

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
SLUG = "2023-24-q2"
DEFAULTS = "council: Fixture Council\ncommittee: Cabinet\nexecution_timeout: 2\n"
QUARTER = "quarter: 2023/24 Q2\nmeeting_date: 2024-01-04\nauthor: Chief Executive\n"


def write_data(folder: Path, directorates: list[str], value: float = 82) -> Path:
    """A valid data set with one quarterly KPI per directorate."""
    folder.mkdir(parents=True, exist_ok=True)
    header = "id,name,directorate,service_area,kind,polarity,unit,frequency,definition,owner\n"
    ids = [f"K{i}" for i in range(len(directorates))]
    (folder / "indicators.csv").write_text(
        header
        + "".join(
            f'{i},Measure {i},"{d}",Area,kpi,higher,percent,quarterly,A measure,Someone\n'
            for i, d in zip(ids, directorates, strict=True)
        )
    )
    (folder / "targets.csv").write_text(
        "id,year,target,floor,lower,upper\n" + "".join(f"{i},2023/24,80,70,,\n" for i in ids)
    )
    (folder / "values.csv").write_text(
        "id,period_end,value\n"
        + "".join(f"{i},2023-06-30,75\n{i},2023-09-30,{value}\n" for i in ids)
    )
    (folder / "commentary.csv").write_text("id,quarter,commentary,action,author\n")
    (folder / "milestones.csv").write_text(
        "directorate,objective,milestone,due,quarter,status,commentary\n"
    )
    return folder


def make_project(tmp_path: Path, directorates: list[str]) -> Path:
    """A throwaway project: the fixture notebooks, params for 2023/24 Q2 and a tiny data set
    with one KPI per directorate (shared by test_status and test_unattended)."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES, root / "notebooks")
    (root / "params").mkdir()
    (root / "params" / "defaults.yml").write_text(DEFAULTS)
    (root / "params" / f"{SLUG}.yml").write_text(QUARTER)
    write_data(root / "data", directorates)
    return root


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = make_project(tmp_path, ["Fine", "Other"])
    monkeypatch.setattr(
        build_module,
        "assess_quarter",
        lambda data, params: pd.DataFrame({"id": list(data.indicators["id"]), "rag": "Green"}),
    )
    return root


def run_build(project: Path, **options) -> int:
    options = {"data_dir": project / "data", "jobs": 2, "render": False} | options
    return build(root=project, **options)


def out_dir(project: Path) -> Path:
    return project / "build" / SLUG


def cli_build(project: Path, monkeypatch, *args: str) -> int:
    """`qpr build ...` run from the project folder, as a user would."""
    monkeypatch.chdir(project)
    return cli.main(["build", *args])


def manifest(project: Path) -> dict:
    return json.loads((out_dir(project) / "manifest.json").read_text())


def stdout_of(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    return "".join(
        output.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


# --- planning (no kernel started)


def test_each_run_gets_only_the_parameters_its_notebook_declares(project):
    params = load_params("2023/24 Q2", project / "params")
    data = io.load(project / "data")
    paths = Paths.at(project)
    runs = {
        run.report: run
        for run in plan_runs(params, ["Fine", "Other"], True, data, paths, out_dir(project), "T")
    }
    assert list(runs) == ["cover", "qpr", "directorate-fine", "directorate-other"]
    cover = runs["cover"].parameters
    assert set(cover) == {
        "quarter",
        "council",
        "committee",
        "meeting_date",
        "git_commit",
        "run_time",
    }
    assert cover["council"] == "Fixture Council"
    assert cover["meeting_date"] == "2024-01-04"
    assert cover["run_time"] == "T"
    assert cover["git_commit"] == "not a git checkout"
    qpr = runs["qpr"].parameters
    # relative to the project root, where kernels run: the params file works in any copy
    assert qpr["data_dir"] == "data"
    assert all(run.cwd == project.resolve() for run in runs.values())
    assert qpr["data_hash"] == data.data_hash
    assert qpr["dot_window_quarters"] == 8
    assert runs["directorate-other"].parameters == {
        "quarter": "2023/24 Q2",
        "directorate": "Other",
        "spc_screen_outliers": True,
    }
    assert runs["directorate-other"].front_matter["title"] == (
        "Other Directorate Dashboard, Quarter 2, 2023/24"  # seed 003's subject, and the quarter
    )
    assert runs["cover"].front_matter["title"] == "Quarterly Performance Report, Quarter 2, 2023/24"
    assert runs["qpr"].front_matter["title"] == (
        "Appendix 1 – Quarterly Performance Report, Quarter 2, 2023/24"  # the cover's 1.1
    )
    assert runs["qpr"].front_matter["subtitle"] == "Report to Cabinet"
    assert runs["cover"].front_matter["lang"] == "en-GB"


def test_halton_style_plans_its_cover_and_each_dashboard_gets_its_own_addressing(
    project, repo_root
):
    # Review, blocker 2 and major 11: one committee for every dashboard; no Halton cover.
    (project / "params" / f"{SLUG}.yml").write_text(
        QUARTER + "cover_style: halton\ndashboards:\n  Other:\n    committee: Other Committee\n"
        "    meeting_date: 2023-11-15\n    from: [{name: Ann Lee, role: Director}]\n"
    )
    params = load_params("2023/24 Q2", project / "params")
    data = io.load(project / "data")
    paths = Paths.at(project, notebooks=repo_root / "notebooks")
    planned = plan_runs(params, ["Fine", "Other"], True, data, paths, out_dir(project), "T")
    runs = {run.report: run for run in planned}
    assert runs["cover"].template.name == "cover-halton.ipynb"  # still published as cover.*
    other, fine = runs["directorate-other"], runs["directorate-fine"]
    assert other.parameters["directorate_committee"] == "Other Committee"
    assert other.parameters["directorate_meeting_date"] == "2023-11-15"
    assert other.parameters["directorate_author"] == "Ann Lee – Director"
    assert fine.parameters["directorate_committee"] == ""  # the notebook falls back: Cabinet
    assert fine.parameters["directorate_meeting_date"] == "2024-01-04"
    assert other.front_matter["title"] == (
        "Appendix 2 – Other Directorate Dashboard, Quarter 2, 2023/24"  # the data's order
    )
    assert other.front_matter["subtitle"] == "Report to Other Committee"


def test_the_shared_assessment_path_is_relative_to_the_project(project, repo_root):
    params = load_params("2023/24 Q2", project / "params")
    data = io.load(project / "data")
    paths = Paths.at(project, notebooks=repo_root / "notebooks")  # they declare assessment_path
    runs = plan_runs(params, ["Fine"], True, data, paths, out_dir(project), "T")
    assert {run.parameters["assessment_path"] for run in runs} == {f"build/{SLUG}/assessment.json"}


def test_data_outside_the_project_is_passed_as_an_absolute_path(project, tmp_path):
    params = load_params("2023/24 Q2", project / "params")
    data = io.load(write_data(tmp_path / "elsewhere", ["Fine"]))
    runs = plan_runs(params, [], True, data, Paths.at(project), out_dir(project), "T")
    qpr = next(run for run in runs if run.report == "qpr")
    assert qpr.parameters["data_dir"] == str((tmp_path / "elsewhere").resolve())


def test_provenance_and_run_time_do_not_make_a_run_stale(project):
    params = load_params("2023/24 Q2", project / "params")
    data = io.load(project / "data")
    plan = [plan_runs(params, [], True, data, Paths.at(project), out_dir(project), t) for t in "AB"]
    assert [run.key for run in plan[0]] == [run.key for run in plan[1]]


@pytest.mark.parametrize(
    "name, slug",
    [
        ("Adults & Health", "adults-health"),
        ("Chief Executive’s Department", "chief-executives-department"),
        ("Chief Executive's Department", "chief-executives-department"),
        ("../../etc/passwd", "etc-passwd"),
        ("Children\\Young People/Education", "children-young-people-education"),
        ("Économie", "economie"),
    ],
)
def test_directorate_slugs_are_safe_file_names(name, slug):
    assert slugify(name) == slug


def test_directorates_that_would_share_a_file_name_are_refused(project):
    write_data(project / "data", ["Adults & Health", "Adults Health"])
    with pytest.raises(ParamsError, match="would share the report file directorate-adults-health"):
        run_build(project)
    assert not (project / "build").exists()


def test_front_matter_is_filled_as_yaml_so_hostile_text_stays_text():
    nb = nbformat.read(FIXTURES / "qpr.ipynb", as_version=4)
    hostile = 'Q2: "quoted"\n---\nevil: true # <script>alert(1)</script>'
    filled = fill_front_matter(nb, {"title": hostile, "lang": "en-GB"})
    source = filled.cells[0].source
    assert source.startswith("---\n") and source.endswith("\n---")
    meta = yaml.safe_load(source.strip("-\n"))
    assert meta["title"] == hostile
    assert "evil" not in meta
    assert meta["format"]["html"]["embed-resources"] is True  # template options kept
    assert nb.cells[0].source.startswith("---\ntitle: Fixture report")  # template unchanged


# --- bad input: exit 2, nothing run, nothing written


def test_bad_data_stops_the_build_before_any_notebook_runs(project, monkeypatch, capsys):
    (project / "data" / "values.csv").write_text("id,period_end,value\nK0,2023-09-30,12;4\n")
    monkeypatch.setattr(build_module, "execute", pytest.fail)
    assert cli_build(project, monkeypatch) == 2
    message = capsys.readouterr().err
    assert "values.csv, row" in message and "value" in message
    assert not (project / "build").exists()


def test_bad_data_leaves_an_earlier_build_untouched(project, monkeypatch):
    earlier = out_dir(project) / "qpr.ipynb"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("an earlier good run")
    (project / "data" / "targets.csv").unlink()
    monkeypatch.setattr(build_module, "execute", pytest.fail)
    assert cli_build(project, monkeypatch) == 2
    assert [p.name for p in out_dir(project).iterdir()] == ["qpr.ipynb"]
    assert earlier.read_text() == "an earlier good run"


def test_unknown_directorate_is_exit_2_naming_the_valid_ones(project, monkeypatch, capsys):
    assert cli_build(project, monkeypatch, "--directorate", "Adults") == 2
    message = capsys.readouterr().err
    assert "--directorate: 'Adults' is not a directorate" in message
    assert "expected one of: Fine, Other" in message
    assert not (project / "build").exists()


def test_unknown_directorate_in_params_names_the_key(project):
    (project / "params" / f"{SLUG}.yml").write_text(QUARTER + "directorates: [Fine, Adults]\n")
    with pytest.raises(ParamsError, match="key 'directorates': 'Adults' is not a directorate"):
        run_build(project)


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            "dot_windw_quarters: 8",
            "line 4, key 'dot_windw_quarters': unknown setting; did you mean",
        ),
        ("dot_alpha: lots", "line 4, key 'dot_alpha': 'lots' is not valid"),
        ("committee: !!python/object/apply:os.getcwd []", "line 4, key 'committee': cannot be"),
        ("committee: [Cabinet", "line 5: not valid YAML"),
    ],
)
def test_params_problems_are_exit_2_with_file_line_and_key(
    project, monkeypatch, capsys, line, expected
):
    (project / "params" / f"{SLUG}.yml").write_text(QUARTER + line + "\n")
    monkeypatch.setattr(build_module, "load_data", pytest.fail)  # params are checked first
    assert cli_build(project, monkeypatch) == 2
    message = capsys.readouterr().err
    assert f"{SLUG}.yml, {expected}" in message
    assert "Traceback" not in message
    assert not (project / "build").exists()


@pytest.mark.parametrize(
    "meeting, expected",
    [
        ('""', "line 2, key 'meeting_date': empty; expected the date of the meeting"),
        ("2023-07-06", "line 2, key 'meeting_date': 2023-07-06 is not after 2023/24 Q2 ended"),
    ],
)
def test_an_empty_or_earlier_quarters_meeting_date_is_exit_2_naming_the_line(
    project, monkeypatch, capsys, meeting, expected
):
    text = QUARTER.replace("meeting_date: 2024-01-04", f"meeting_date: {meeting}")
    (project / "params" / f"{SLUG}.yml").write_text(text)
    monkeypatch.setattr(build_module, "execute", pytest.fail)  # nothing runs
    assert cli_build(project, monkeypatch) == 2
    message = capsys.readouterr().err
    assert f"{SLUG}.yml, {expected}" in message and "Traceback" not in message
    assert not (project / "build").exists()


INCOMPLETE = "id,period_end,value\nK0,2023-06-30,75\nK0,2023-09-30,82\nK1,2023-06-30,75\n"


def test_an_incomplete_quarter_is_exit_2_listing_the_missing_kpis(project, monkeypatch, capsys):
    (project / "data" / "values.csv").write_text(INCOMPLETE)  # Other's K1: no Q2 figure
    monkeypatch.setattr(build_module, "execute", pytest.fail)
    assert cli_build(project, monkeypatch) == 2
    message = capsys.readouterr().err
    assert "2023/24 Q2: 1 of 2 KPIs have a figure for 2023/24 Q2 (50%); 1 not yet reported" in (
        message
    )
    assert "below the completeness setting" in message and "--draft" in message
    assert "  - Other (1 of 1 not yet reported): K1 Measure K1" in message
    assert not (project / "build").exists()
    (project / "params" / "defaults.yml").write_text(DEFAULTS + "completeness: 0.5\n")
    monkeypatch.setattr(build_module, "execute", lambda runs, jobs, log: [])
    assert cli_build(project, monkeypatch) == 0  # half the KPIs are enough when params say so


def test_a_draft_says_draft_and_what_is_missing_first_in_every_report(project, monkeypatch):
    from qprlib.completeness import DRAFT_KEY, DRAFT_MARK_KEY, completeness, draft_notice

    (project / "data" / "values.csv").write_text(INCOMPLETE)
    params = load_params("2023/24 Q2", project / "params")
    data = io.load(project / "data")
    notice = draft_notice(completeness(data, params.quarter))
    assert notice.startswith("**DRAFT – not for publication.** 1 of 2 KPIs have a figure")
    assert "- Other (1 of 1 not yet reported): K1 Measure K1" in notice
    paths = Paths.at(project)
    args = (params, ["Fine", "Other"], True, data, paths, out_dir(project), "")
    final, draft = plan_runs(*args), plan_runs(*args, draft=notice)
    for plain, marked in zip(final, draft, strict=True):
        assert marked.front_matter["title"] == "DRAFT: " + plain.front_matter["title"]
        assert marked.key != plain.key  # a draft and the final build are different runs
        nb = fill_front_matter(nbformat.read(plain.template, as_version=4), marked.front_matter)
        assert nb.cells[1].cell_type == "markdown" and nb.cells[1].source == notice
        assert DRAFT_KEY not in nb.cells[0].source
        # the line every page carries stays in the front matter, for the templates
        front = yaml.safe_load(nb.cells[0].source.strip().strip("-"))
        assert front[DRAFT_MARK_KEY] == (
            "DRAFT – not for publication. 1 of 2 KPIs have a figure for 2023/24 Q2 (50%); "
            "1 not yet reported (Other 1)"
        )
        assert DRAFT_MARK_KEY not in plain.front_matter


def test_new_quarter_from_the_command_line_writes_once(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert cli.main(["new-quarter", "2023/24 Q3"]) == 0
    assert (project / "params" / "2023-24-q3.yml").is_file()
    assert cli.main(["new-quarter", "2023/24 Q3"]) == 2
    assert "never overwritten" in capsys.readouterr().err


# --- execution (kernels start: slow)


@pytest.mark.slow
def test_build_then_skip_when_nothing_changed_then_rerun_when_data_changes(
    project, monkeypatch, capsys
):
    import qprlib.pipeline.publish
    from qprlib import provenance

    # qprlib's hash held still: others editing this checkout must not make the runs stale
    monkeypatch.setattr(provenance, "source_hash", lambda package_dir=None: "qprlib")

    calls = []

    def fake_render(quarter_dir, site_dir, reports, formats, engine, council):
        calls.append((quarter_dir, site_dir, reports, formats, engine, council))
        (site_dir / quarter_dir.name).mkdir(parents=True, exist_ok=True)
        return [("directorate-fine", "pandoc failed")] if len(calls) == 2 else []

    monkeypatch.setattr(qprlib.pipeline.publish, "render_quarter", fake_render)
    site = project / "_site"
    options = {"render": True, "formats": ("html",), "engine": "builtin", "site_dir": site}
    out = out_dir(project)

    assert run_build(project, **options) == 0
    reports = ["cover", "qpr", "directorate-fine", "directorate-other"]
    for report in reports:
        assert (out / f"{report}.ipynb").is_file()
        assert (out / f"{report}.params.yml").is_file()
        assert (out / f"{report}.stamp.json").is_file()
    assert {"kpis.csv", "manifest.json", "build.log"} <= {p.name for p in out.iterdir()}
    assert not (out / ".partial").exists()
    assert "qpr 2023/24 Q2 window 8" in stdout_of(out / "qpr.ipynb")
    assert "dashboard Other 2023/24 Q2" in stdout_of(out / "directorate-other.ipynb")
    front = nbformat.read(out / "cover.ipynb", as_version=4).cells[0].source
    assert "title: Quarterly Performance Report, Quarter 2, 2023/24" in front
    assert calls == [(out, site, reports, ("html",), "builtin", "Fixture Council")]
    assert {r["outcome"] for r in manifest(project)["reports"].values()} == {"built"}

    built_at = {report: (out / f"{report}.ipynb").stat().st_mtime_ns for report in reports}
    capsys.readouterr()
    assert run_build(project, **options) == 0  # nothing changed
    assert {r["outcome"] for r in manifest(project)["reports"].values()} == {"up to date"}
    assert {r: (out / f"{r}.ipynb").stat().st_mtime_ns for r in reports} == built_at
    assert len(calls) == 1  # the site is current too
    assert "0 built, 4 up to date" in capsys.readouterr().out
    no_change = (
        "import sys; from pathlib import Path; from qprlib import provenance; "
        "provenance.source_hash = lambda package_dir=None: 'qprlib'; "
        "from qprlib.build import build; "
        f"status = build(root=Path({str(project)!r}), data_dir=Path({str(project / 'data')!r}), "
        "render=False); "
        "print(status, sorted({'papermill', 'nbformat', 'nbclient'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", no_change], capture_output=True, text=True)
    assert done.stdout.splitlines()[-1] == "0 []", done.stderr  # no kernel, no heavy imports

    write_data(project / "data", ["Fine", "Other"], value=65)  # the data changed
    assert run_build(project, directorates=["Fine"], **options) == 1  # the render failed
    assert (out / "directorate-fine.ipynb").stat().st_mtime_ns != built_at["directorate-fine"]
    assert manifest(project)["reports"]["directorate-fine"]["outcome"] == "built"
    stamp = json.loads((out / "directorate-fine.stamp.json").read_text())
    # the run's data input is the rows the Fine dashboard reads (data_keys), now the new ones
    fine_rows = data_key(io.load(project / "data"), "2023/24 Q2", "Fine", "directorate-fine")
    assert stamp["inputs"]["data_hash"] == fine_rows
    assert calls[1][2] == ["directorate-fine", "cover", "directorate-other", "qpr"]
    assert "FAILED to render directorate-fine: pandoc failed" in capsys.readouterr().out


@pytest.mark.slow
def test_stock_papermill_cli_reproduces_a_run_from_its_params_file(project, tmp_path):
    assert run_build(project) == 0
    out = out_dir(project)
    copy = tmp_path / "moved"  # the params file names nothing outside the project
    shutil.copytree(project, copy)
    params_file = f"build/{SLUG}/qpr.params.yml"
    saved = yaml.safe_load((copy / params_file).read_text())
    assert saved["data_dir"] == "data"
    assert (copy / saved["data_dir"] / "indicators.csv").is_file()
    assert f"papermill notebooks/qpr.ipynb out.ipynb -f {params_file}" in (
        (copy / params_file).read_text()
    )
    again = tmp_path / "again.ipynb"
    papermill = [sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3"]
    done = subprocess.run(  # as the header says: from the project folder, no --cwd
        [*papermill, "notebooks/qpr.ipynb", str(again), "-f", params_file],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert stdout_of(again) == stdout_of(out / "qpr.ipynb")
    data_hash = io.load(project / "data").data_hash
    assert stdout_of(again) == f"qpr 2023/24 Q2 window 8 data {data_hash[:12]}\n"


@pytest.mark.slow
def test_a_failing_and_a_hanging_notebook_fail_alone(project, capsys):
    write_data(project / "data", ["Fine", "Broken", "Slow"])
    out = out_dir(project)
    out.mkdir(parents=True)
    previous_good = out / "directorate-broken.ipynb"
    previous_good.write_text("the last good run")
    previous_params = out / "directorate-broken.params.yml"
    previous_params.write_text("directorate: Broken  # the last good run's")

    assert run_build(project, directorates=["Broken", "Slow", "Fine"]) == 1

    assert "dashboard Fine" in stdout_of(out / "directorate-fine.ipynb")
    assert previous_good.read_text() == "the last good run"  # a failure never replaces it
    assert previous_params.read_text() == "directorate: Broken  # the last good run's"
    for report in ("directorate-broken", "directorate-slow"):
        failed = nbformat.read(out / f"{report}.failed.ipynb", as_version=4)
        assert "papermill-error-cell-tag" in failed.cells[0].metadata["tags"]  # red banner
        assert failed.metadata.papermill.parameters["directorate"] in report.title()
        assert failed.metadata.papermill.input_path == str(
            project / "notebooks" / "directorate.ipynb"
        )
        assert not (out / f"{report}.stamp.json").exists()
    summary = capsys.readouterr().out
    assert (
        'FAILED directorate-broken at cell 4 (In [3]) "import time": '
        "ValueError: no data for Broken" in summary
    )
    assert 'FAILED directorate-slow at cell 4 (In [3]) "import time": TimeoutError' in summary
    assert "1 built, 2 failed" in summary
    reports = manifest(project)["reports"]
    assert reports["directorate-broken"]["error"] == "ValueError: no data for Broken"
    assert reports["directorate-slow"]["outcome"] == "failed"
    assert manifest(project)["exit_status"] == 1
    assert "FAILED      directorate-broken" in (out / "build.log").read_text()
    assert not (out / ".partial").exists()


def test_kpis_csv_is_the_quarters_assessment(project, monkeypatch):
    monkeypatch.undo()  # the real assessment
    params = load_params("2023/24 Q2", project / "params")
    data = io.load(project / "data")
    _, table = build_module.plan_assessment(params, data, out_dir(project), force=True)
    assert list(table["id"]) == ["K0", "K1"]
    assert list(table["rag"]) == ["Green", "Green"]  # 82 against a target of 80


def test_the_assessment_is_shared_once_with_notebooks_that_declare_assessment_path(
    project, monkeypatch
):
    from types import SimpleNamespace

    from qprlib import provenance
    from qprlib.assess import assess, made_from

    monkeypatch.undo()  # the real assessment
    params = load_params("2023/24 Q2", project / "params")
    data = io.load(project / "data")
    out = out_dir(project)
    target = out / build_module.ASSESSMENT_FILE
    lines = []
    log = SimpleNamespace(line=lines.append)
    without = [SimpleNamespace(declared=("quarter",))]
    build_module.share_assessment(without, None, "k1", data, params, out, log)
    assert not target.exists()  # no notebook would read it

    declares = [SimpleNamespace(declared=("quarter", "assessment_path"))]
    build_module.share_assessment(declares, None, "k1", data, params, out, log)
    assert lines == [f"written     {target.name} (this quarter and the previous one)"]
    header, tables = io.read_frames_json(target)
    settings = params.assess_settings()
    assert header == made_from(data, params.quarter, settings, provenance.source_hash())
    pd.testing.assert_frame_equal(tables["current"], assess(data, params.quarter, settings))
    previous = assess(data, params.quarter.previous(), settings)
    pd.testing.assert_frame_equal(tables["previous"], previous)
    build_module.share_assessment(declares, None, "k1", data, params, out, log)  # same inputs
    assert len([line for line in lines if line.startswith("written")]) == 1


@pytest.mark.parametrize(
    "notebook",
    sorted(FIXTURES.glob("*.ipynb")) + sorted((FIXTURES.parents[2] / "notebooks").glob("*.ipynb")),
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_declared_parameters_are_those_papermill_finds(notebook):
    import papermill

    expected = tuple(papermill.inspect_notebook(str(notebook)))
    assert build_module.declared_parameters(notebook) == expected


def test_a_parameters_cell_that_is_not_plain_python_is_left_to_papermill(tmp_path):
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        }
    )
    source = "%matplotlib inline\nquarter: str = '2023/24 Q2'  # the quarter\nlimit = 3"
    nb.cells = [nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})]
    nbformat.write(nb, tmp_path / "magic.ipynb")
    assert build_module.declared_parameters(tmp_path / "magic.ipynb") == ("quarter", "limit")


def test_build_warns_about_commentary_awaited_from_the_assessment_or_kpis_csv(tmp_path):
    # Review, major 12: an Amber and worsening KPI without commentary; a warning, not an error.
    from qprlib.build import warn_commentary
    from qprlib.periods import Quarter

    class Log:
        def __init__(self):
            self.lines = []

        def line(self, text, *, always=False):
            self.lines.append((text, always))

    table = pd.DataFrame(
        {"id": ["K1", "K2"], "name": ["Waste", "Calls"], "kind": "kpi",
         "rag": ["Amber", "Green"], "direction": ["worsening", "worsening"],
         "call_in": [False, False], "commentary": [None, None]}
    )  # fmt: skip
    log = Log()
    warn_commentary(table, tmp_path, Quarter.parse("2023/24 Q2"), log)
    assert log.lines == [
        (
            "warning     commentary.csv: K1 (Waste) is Amber and worsening in 2023/24 Q2 but has "
            "no commentary; the reports say 'Commentary awaited'",
            True,
        )
    ]
    table.assign(call_in=["False", "True"], commentary="").to_csv(tmp_path / "kpis.csv")
    log = Log()
    warn_commentary(None, tmp_path, Quarter.parse("2023/24 Q2"), log)  # kpis.csv up to date
    assert [text.split(": ", 1)[1][:2] for text, _ in log.lines] == ["K1", "K2"]


def test_the_build_writes_series_csv_beside_kpis_csv(project, monkeypatch):
    # Finding 13: every charted point as open data; written with kpis.csv, again when missing.
    monkeypatch.undo()  # the real assessment
    assert run_build(project) == 0
    series = out_dir(project) / "series.csv"
    table = pd.read_csv(series)
    data = io.load(project / "data")
    assert set(table["ID"]) == set(data.indicators["id"])
    assert list(table.columns[:2]) == ["ID", "Indicator"] and "Floor standard" in table.columns
    series.unlink()
    assert run_build(project) == 0  # kpis.csv up to date: series.csv made again
    assert "written     series.csv" in (out_dir(project) / "build.log").read_text()
    assert series.is_file()


def test_the_build_writes_the_headline_trend_for_the_index(project, monkeypatch):
    # Issue 17: trend.csv (and its chart) beside kpis.csv; its row for the quarter is the
    # quarter's own headline counts, recounted here from the kpis.csv the build wrote.
    from qprlib.summary import TREND_COLUMNS, headline_counts

    monkeypatch.undo()  # the real assessment
    assert run_build(project) == 0
    out = out_dir(project)
    trend = pd.read_csv(out / "trend.csv", dtype={"quarter": str})
    assert list(trend.columns) == TREND_COLUMNS
    assert trend["quarter"].iloc[-1] == "2023/24 Q2"
    assert list(trend["quarter"]) == sorted(trend["quarter"])  # oldest first
    kpis = pd.read_csv(out / "kpis.csv")
    own = headline_counts("2023/24 Q2", kpis)
    assert {c: trend[c].iloc[-1] for c in TREND_COLUMNS[1:]} == {
        c: own[c] for c in TREND_COLUMNS[1:]
    }
    if len(trend) >= 2:
        assert (out / "trend.svg").read_bytes().lstrip().startswith((b"<?xml", b"<svg"))
