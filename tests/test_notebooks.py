"""The report notebooks: thin and clean as committed, and they run under papermill."""

import ast
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DATA = ROOT / "data"
REPORTS = ("cover", "qpr", "directorate", "cover-halton", "briefing")
# docs/internals.md, "Notebooks <-> build": the only parameter names a notebook may declare.
PARAMETER_NAMES = {
    "quarter", "data_dir", "directorate", "council", "committee", "meeting_date", "author",
    "dot_method", "dot_window_quarters", "dot_window_months", "dot_alpha", "amber_mode",
    "amber_tolerance", "spc_screen_outliers", "git_commit", "data_hash", "run_time",
    "assessment_path", "spc_baseline_months", "spc_baseline_quarters", "decision_no", "contacts",
    "directorate_committee", "directorate_author", "area_code", "comparator_groups",
    "directorate_meeting_date",
    "directorate_contacts", "directorate_background", "build_details", "directorates",
    "reporting_officer", "portfolio", "wards", "policy_implications", "other_implications",
    "priorities_implications", "risk_analysis", "equality_and_diversity", "background_papers",
    "assurance_meeting", "assurance_meeting_date",
}  # fmt: skip
MAX_STATEMENTS = 2  # STYLE.md: an import and one qprlib call; anything more belongs in qprlib


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def parameters_cell(nb):
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    return tagged[0]


def declared(nb) -> dict[str, object]:
    """name -> default, from the parameters cell's annotated assignments."""
    tree = ast.parse(parameters_cell(nb).source)
    return {
        node.target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
    }


@pytest.mark.parametrize("name", REPORTS)
def test_committed_notebook_has_no_outputs_and_kernel_python3(name):
    nb = read(name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in code_cells(nb):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:40]


@pytest.mark.parametrize("name", REPORTS)
def test_front_matter_comes_first(name):
    first = read(name).cells[0]
    assert first.cell_type == "raw"
    match = re.fullmatch(r"---\n(.*)\n---\s*", first.source, flags=re.DOTALL)
    assert match, "the first cell is YAML front matter between --- lines"
    front = yaml.safe_load(match[1])
    assert {"title", "subtitle", "date", "author", "lang"} <= set(front)
    assert front["lang"] == "en-GB"


@pytest.mark.parametrize("name", REPORTS)
def test_parameters_cell_is_typed_commented_and_known(name):
    nb = read(name)
    assert nb.cells[1] is parameters_cell(nb)
    lines = [line for line in parameters_cell(nb).source.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("#"):
            continue
        assert re.match(r"^\w+: (str|int|float|bool) = .+  # \S", line), line
    names = declared(nb)
    assert set(names) <= PARAMETER_NAMES
    assert {"quarter", "data_dir", "git_commit", "data_hash", "run_time"} <= set(names)
    # Run by hand, a notebook reads params/ as `qpr build` does (issue 12): None = from there.
    assert names["quarter"] == "latest" and names["data_dir"] is None
    from qprlib.params import load_params

    sample = load_params("2023/24 Q2", ROOT / "params")
    settings = set(sample.notebook_values()) | set(sample.dashboard_values("Public Health"))
    for key, default in names.items():
        if key not in ("quarter", "data_dir"):
            assert (default is None) == (key in settings), key


@pytest.mark.parametrize("name", REPORTS)
def test_notebook_is_thin(name):
    nb = read(name)
    for cell in code_cells(nb):
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda), cell.source
            assert not isinstance(node, ast.For | ast.While | ast.ListComp), cell.source
        assert len(tree.body) <= MAX_STATEMENTS or cell is parameters_cell(nb), cell.source
    calls = [c.source for c in code_cells(nb)[2:]]
    assert all(re.fullmatch(r"report\.\w+\(ctx\)", src) for src in calls), calls
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert re.fullmatch(r"## \S.*", cell.source), cell.source  # one h2 per output


@pytest.mark.parametrize("name", REPORTS)
def test_every_call_is_a_report_function(name):
    from qprlib import report

    for cell in code_cells(read(name))[2:]:
        assert callable(getattr(report, cell.source.split("(")[0].removeprefix("report.")))


def test_directorate_default_is_a_real_directorate():
    from qprlib import io

    directorates = set(io.load(DATA).indicators["directorate"])
    assert declared(read("directorate"))["directorate"] in directorates


# ---------------------------------------------------------------- executed by papermill


def run(name: str, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    import papermill

    out = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"), str(out), parameters=parameters, cwd=str(NOTEBOOKS),
        kernel_name="python3", progress_bar=False,
    )  # fmt: skip
    return nbformat.read(out, as_version=4)


def outputs(nb) -> list[dict]:
    return [o for c in code_cells(nb) for o in c.outputs]


def markdown_text(nb) -> str:
    return "\n".join(o["data"]["text/markdown"] for o in outputs(nb) if "data" in o)


def check_clean(nb) -> None:
    for output in outputs(nb):
        assert output["output_type"] != "error", output
        assert output.get("name") != "stderr" or "Warning" not in output["text"], output["text"]
        if "data" in output:
            assert "text/html" not in output["data"], "HTML outputs make Quarto inject CDN scripts"
            assert "text/markdown" in output["data"]


# What the cover must say, with each count's change on the previous quarter in seed 001's words.
# 2023/24 Q2 is seed 001 itself. 2022/23 Q4 is data/README.md's "Earlier quarters" table:
# 17 Green, 14 Amber, 7 Red against 2022/23 Q3's 11, 19, 8; 4 improving, 23 stable,
# 11 worsening against 6, 15, 17.
COVER = {
    "2023/24 Q2": {
        "rag": [(15, "Green", "one fewer"), (15, "Amber", "four more"), (8, "Red", "three fewer")],
        "improving": ("seven", 7, "three more"),
        "stable": (19, "five fewer"),
        "worsening": (12, "two more"),
    },
    "2022/23 Q4": {
        "rag": [(17, "Green", "six more"), (14, "Amber", "five fewer"), (7, "Red", "one fewer")],
        "improving": ("four", 4, "two fewer"),
        "stable": (23, "eight more"),
        "worsening": (11, "six fewer"),
    },
}
# 38 KPIs and 12 activity indicators are reported in both quarters (data/README.md).
REPORTED = {"2023/24 Q2": 38 + 12, "2022/23 Q4": 38 + 12}


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
@pytest.mark.parametrize("quarter", list(COVER))
def test_cover_runs_and_says_the_numbers(tmp_path, quarter):
    nb = run("cover", tmp_path, quarter=quarter)
    check_clean(nb)
    text = words(markdown_text(nb))
    figures = COVER[quarter]
    (green, _, _), (amber, _, _), (red, _, _) = figures["rag"]
    assert (  # seed 001, Summary
        f"Of the 38 Key Performance Indicators (KPIs) contained within the QPR, {green} achieved "
        f"target (Green), {amber} achieved or exceeded the floor standard but did not meet target "
        f"(Amber). {red} KPIs did not meet the floor standard (Red)."
    ) in text
    assert "1.2. The QPR includes 38 Key Performance Indicators (KPIs)" in text
    for count, rating, change in figures["rag"]:  # seed 001, 2.2
        assert f"{count} are rated {rating} ({change} than the previous Quarter)" in text
    word, digit, change = figures["improving"]
    stable, stable_change = figures["stable"]
    worsening, worsening_change = figures["worsening"]
    direction = (  # seed 001, 2.4 (it spells out "seven"; a digit is accepted too)
        rf"({word}|{digit}) indicators show a positive trend \({change} than the previous "
        rf"Quarter\), {stable} are stable or with no clear trend \({stable_change} than the "
        rf"previous Quarter\), and {worsening} are showing a negative trend "
        rf"\({worsening_change} than the previous Quarter\)"
    )
    assert re.search(direction, text), text


def reported_kpi_names(quarter: str) -> list[str]:
    """data/README.md: a KPI is reported when targets.csv has a row for the quarter's year."""
    from qprlib import io

    data = io.load(DATA)
    year = data.targets.loc[data.targets["year"] == quarter[:7], "id"]
    kpis = data.indicators[(data.indicators["kind"] == "kpi") & data.indicators["id"].isin(year)]
    return list(kpis["name"])


@pytest.mark.slow
@pytest.mark.parametrize("quarter", list(REPORTED))
def test_qpr_runs_with_every_kpi(tmp_path, quarter):
    from qprlib.tables import md_escape

    nb = run("qpr", tmp_path, quarter=quarter)
    check_clean(nb)
    text = markdown_text(nb)
    names = reported_kpi_names(quarter)
    assert len(names) == 38
    for name in names:
        assert f"#### {md_escape(name)}" in text
    retired = "Percentage of streetlight faults repaired within 28 days"  # HT05, to 2022/23
    assert (retired in names) == (quarter == "2022/23 Q4")
    assert text.count("![Line chart of ") == REPORTED[quarter]  # one per indicator
    assert "![Stacked bar chart of KPIs by RAG rating" in text


@pytest.mark.slow
@pytest.mark.parametrize("quarter", ["2023/24 Q2", "2022/23 Q4"])
def test_directorate_runs_with_spc_and_milestones(tmp_path, quarter):
    nb = run("directorate", tmp_path, quarter=quarter)
    check_clean(nb)
    text = markdown_text(nb)
    assert "Dashboard includes results up to the end of" in text
    assert "![Statistical process control chart of " in text
    assert "{#tbl-dashboard" in text  # the caption attributes may follow the id
    assert "### Key to ratings" in text  # the guidance notes open with the key (issue 13)


@pytest.mark.slow
def test_briefing_runs_and_says_why_each_kpi_was_called_in(tmp_path):
    """Seed 002's shape: the meeting, the number called in, and for each KPI the reason in
    words from the data, its commentary, action, owner, risks and a place for the decision."""
    nb = run("briefing", tmp_path)
    check_clean(nb)
    text = words(markdown_text(nb))
    assert "**To:** Performance Assurance Team – 11 December 2023" in text
    assert "The Performance Assurance Team called in 12 indicators from the latest" in text
    # GL01: Amber in June, Red in September, worsening (data/README.md; seed 001's Reds)
    assert "The indicator was called in because the percentage has been falling since " in text
    assert (
        "the RAG rating changed from Amber to Red in the latest Quarterly Performance Report"
        in text
    )
    assert (
        text.count("**Risks:**") == 12 and text.count("Performance Assurance Team decision") == 12
    )


@pytest.mark.slow
def test_stock_papermill_in_the_project_root_reads_the_params_files(tmp_path):
    """Issue 12: `papermill notebooks/cover.ipynb out.ipynb` from the project root (no -p, no
    -f) failed on '../data', and Run All in JupyterLab ignored params/: the cover had no
    contacts. Now both read params/defaults.yml + the latest quarter file, as `qpr build`."""
    import subprocess
    import sys

    from qprlib.params import load_params

    out = tmp_path / "cover.ipynb"
    done = subprocess.run(
        [sys.executable, "-m", "papermill", "notebooks/cover.ipynb", str(out), "-k", "python3",
         "-p", "author", "Overridden in the parameters"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    nb = nbformat.read(out, as_version=4)
    check_clean(nb)
    text = words(markdown_text(nb))
    q2 = load_params("2023/24 Q2", ROOT / "params")  # the latest sample params file
    assert "Priya Sharma" in text and "Tom Ellison" in text  # contacts: 2023-24-q2.yml
    assert f"**To:** {q2.committee} – 4 January 2024" in text  # its meeting_date
    assert "Overridden in the parameters" in text  # a value given still wins
    assert "No contact details were given" not in text


@pytest.mark.slow
def test_halton_cover_runs_in_seed_004s_shape(tmp_path):
    # Review, major 11: Halton's Executive Board report (seed 004) could not be produced.
    nb = run(
        "cover-halton", tmp_path, committee="Executive Board",
        risk_analysis="Risks are *reviewed* quarterly.",
    )  # fmt: skip
    check_clean(nb)
    text = markdown_text(nb)
    headings = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert [h.split()[1] for h in headings] == [f"{n}.0" for n in range(1, 10)]  # 1.0 to 9.0
    assert "**REPORT TO:** Executive Board" in text and "**WARDS:** Borough wide" in text
    assert "7.1 Risks are \\*reviewed\\* quarterly." in text
    # data/README.md: five directorates, one appendix each, in indicators.csv order
    assert "each of the five Directorates" in text
    assert "- [Appendix 5 – Public Health](directorate-public-health.html)" in text
