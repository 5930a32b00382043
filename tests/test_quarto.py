"""The Quarto engine without Quarto: the project files, the version check, the notebook copy
Quarto is given, and how a failed Quarto render is reported (a stand-in `quarto` on PATH).

The tests that need a real Quarto (the whole sample quarter rendered and compared with the
built-in engine) are in test_quarto_render.py and skip when `quarto` is not on PATH.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from qprlib import cli, render
from qprlib.pipeline.engines import quarto as qe
from tests.test_build import make_project
from tests.test_render import COUNCIL, QUARTER, leftovers, make_quarter

REPO = Path(__file__).resolve().parent.parent

# A stand-in for quarto. `--version` prints $FAKE_QUARTO_VERSION. `render <project>` writes each
# notebook's pages in name order and, like Quarto, stops at the first notebook named in
# $FAKE_QUARTO_FAIL, printing a coloured error; `render <notebook>` renders that one alone.
FAKE_QUARTO = """\
#!{python}
import json, os, pathlib, sys
args = sys.argv[1:]
if args == ["--version"]:
    print(os.environ.get("FAKE_QUARTO_VERSION", "1.10.18"))
    sys.exit(0)
with open({log!r}, "a") as calls:
    calls.write(json.dumps(args) + "\\n")
target = pathlib.Path(args[1])
out = pathlib.Path(args[args.index("--output-dir") + 1])
failing = os.environ.get("FAKE_QUARTO_FAIL", "")
notebooks = sorted(target.glob("*/*.ipynb")) if target.is_dir() else [target]
project = target if target.is_dir() else target.parent.parent
import yaml
config = yaml.safe_load((project / "_quarto.yml").read_text())
for nb in notebooks:
    if nb.stem == failing:
        sys.stderr.write(
            "\\x1b[33mWARN: typst-gather analyze failed\\x1b[39m\\n"
            "[typst]: Compiling " + nb.stem + ".typ to " + nb.stem + ".pdf..."
            "error: PDF/UA-1 error: missing alt text\\n"
            "\\x1b[91mERROR: Typst compilation failed\\x1b[39m\\n"
            "    at renderFiles (file:///quarto/render-files.ts:332:9)\\n"
        )
        sys.exit(1)
    folder = out / nb.parent.name
    folder.mkdir(parents=True, exist_ok=True)
    if "--to" in args:
        (folder / (nb.stem + ".docx")).write_bytes(b"PK fake docx")
        continue
    page = "<html lang=en-GB><body><h1>" + nb.stem + "</h1></body></html>"
    (folder / (nb.stem + ".html")).write_text(page)
    if "typst" in config["format"]:
        (folder / (nb.stem + ".pdf")).write_bytes(b"%PDF-1.7 fake")
"""


@pytest.fixture
def fake_quarto(tmp_path, monkeypatch):
    """Put the stand-in `quarto` first on PATH; returns the file its calls are logged in."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "quarto-calls.txt"
    fake = bin_dir / "quarto"
    fake.write_text(FAKE_QUARTO.format(python=sys.executable, log=str(log)))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("FAKE_QUARTO_FAIL", raising=False)
    monkeypatch.delenv("FAKE_QUARTO_VERSION", raising=False)
    qe._quarto_version.cache_clear()
    yield log
    qe._quarto_version.cache_clear()


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


# ---------------------------------------------------------------- the project files


def test_gitignore_keeps_a_quarto_render_out_of_git():
    # Quarto adds these exact lines to .gitignore on every render when they are missing
    # (quarto-cli src/project/project-gitignore.ts), which would leave the tree changed
    ignored = [
        line.strip() for line in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    ]
    assert "/.quarto/" in ignored  # Quarto's project index and freeze files
    assert "**/*.quarto_ipynb" in ignored  # Quarto's transient notebooks of executed .qmd
    assert not list(REPO.glob("_*.local"))  # else Quarto also wants /_*.local
    assert "build/" in ignored  # executed notebooks, build/_quarto/ pages, build/_metadata.yml


def test_quarto_project_runs_the_reports_filter_before_quartos_and_loads_nothing_from_outside():
    config = yaml.safe_load((REPO / "_quarto.yml").read_text(encoding="utf-8"))
    (lua,) = config["filters"]
    assert lua == {"path": "qprlib/templates/qpr.lua", "at": "pre-ast"}
    assert (REPO / lua["path"]).is_file()
    html = config["format"]["html"]
    assert html["embed-resources"] is True
    assert html["html-math-method"] == "plain"  # MathJax and its polyfill come from a CDN
    assert html["format-links"] is False  # qpr.lua writes the download links
    assert html["html-table-processing"] == "none"  # else Quarto numbers raw tables
    for fmt in ("html", "typst"):
        assert "-smart" in config["format"][fmt]["from"]  # names exactly as in the data
        assert "-raw_html" in config["format"][fmt]["from"]  # data text never becomes markup
    assert config["format"]["typst"]["shift-heading-level-by"] == 0
    assert config["qpr-formats"] == ["html", "pdf"]
    index = (REPO / "index.qmd").read_text(encoding="utf-8")
    assert "\nformat: html\n" in index  # the listing page is not also made a PDF


def test_environment_pins_a_quarto_with_pdf_standard():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    quarto = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("quarto")]
    assert quarto == [f"quarto>={'.'.join(map(str, qe.QUARTO_MIN_VERSION))}"]
    assert qe.QUARTO_MIN_VERSION == (1, 9)


def test_quarto_typst_template_is_the_builtin_template_with_quartos_definitions():
    template = qe.quarto_typst_template()
    builtin = (render.TEMPLATES / "report.typ").read_text(encoding="utf-8")
    assert "$definitions.typ()$" in template  # what Quarto's own Typst output may call
    assert "$rag-definitions$" not in template
    assert render.typst_colours() in template
    assert "Page #number of #last" in template  # the running footer, as in the built-in PDF
    tail = builtin.split("$rag-definitions$")[1]
    assert template.endswith(tail)  # everything else is the built-in template, unchanged


def test_every_build_writes_what_a_plain_quarto_render_needs(tmp_path):
    quarter = make_quarter(tmp_path)
    site = tmp_path / "_site"
    render.render_quarter(quarter, site, ["cover"], ("html",), "builtin", COUNCIL)
    build = quarter.parent
    meta = yaml.safe_load((build / "_metadata.yml").read_text(encoding="utf-8"))
    assert meta["council"] == COUNCIL
    assert (build / meta["format"]["typst"]["template"]).read_text(
        encoding="utf-8"
    ) == qe.quarto_typst_template()
    (css,) = meta["format"]["html"]["css"]
    assert (build / css).read_text(encoding="utf-8") == render.stylesheet()


# ---------------------------------------------------------------- the notebook Quarto gets


def _nb_with_outputs() -> nbformat.NotebookNode:
    png = base64.b64encode(b"\x89PNG fake").decode("ascii")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_raw_cell("---\ntitle: A report\n---"),
        nbformat.v4.new_code_cell(
            "x",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/html": "<table><tr><td>html</td></tr></table>",
                        "text/markdown": "| a |\n|---|\n| md |",
                        "text/plain": "T",
                    },
                ),
                nbformat.v4.new_output("display_data", data={"image/png": png}),
                nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
                nbformat.v4.new_output("stream", name="stdout", text="printed\n"),
            ],
        ),
        nbformat.v4.new_raw_cell("raw text the built-in engine leaves out"),
        nbformat.v4.new_code_cell("y", metadata={"tags": ["remove-cell"]}),
    ]
    return nb


def test_quarto_gets_the_outputs_the_builtin_engine_shows():
    copy = qe.quarto_notebook(_nb_with_outputs(), {"provenance": "Produced *today*."})
    assert [c.cell_type for c in copy.cells] == ["raw", "code"]
    table, chart, printed = copy.cells[1].outputs
    assert table.data == {"text/markdown": "| a |\n|---|\n| md |"}  # no text/html: no CDN scripts
    assert chart.data["text/markdown"].startswith("![Chart without a text description](data:image")
    assert printed.name == "stdout"
    front = render.read_front_matter(copy, Path("copy.ipynb"))
    assert front == {"title": "A report", "provenance": r"Produced \*today\*."}  # Markdown-safe


def test_external_references_finds_what_a_page_would_load(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        '<html><head><script src="https://cdnjs.cloudflare.com/polyfill/v3/polyfill.min.js">'
        '</script><link rel="stylesheet" href="site_libs/b.css"></head><body>'
        '<img src="data:image/png;base64,AAAA" alt="a"><a href="qpr.pdf">PDF</a></body></html>'
    )
    assert qe.external_references(page) == [
        "https://cdnjs.cloudflare.com/polyfill/v3/polyfill.min.js",
        "site_libs/b.css",
    ]


def test_terminal_escapes_are_cleaned_from_quartos_messages():
    raw = "\x1b[91mERROR: Typst compilation failed\x1b[39m\n[39m\n\x1b[2K\x1b[Gdone"
    assert qe.clean_terminal_text(raw) == "ERROR: Typst compilation failed\n\ndone"
    message = qe.quarto_error(
        "\x1b[33mWARN: x\x1b[39m\nerror: PDF/UA-1 error: missing alt text\n"
        "\x1b[91mERROR: Typst compilation failed\x1b[39m\n    at render (file:///x.ts:1:1)\n",
        1,
    )
    assert message == (
        "quarto render failed (exit 1): error: PDF/UA-1 error: missing alt text | "
        "ERROR: Typst compilation failed"
    )


# ---------------------------------------------------------------- version


def test_an_old_quarto_is_refused_by_name_and_auto_falls_back(fake_quarto, monkeypatch):
    monkeypatch.setenv("FAKE_QUARTO_VERSION", "1.8.25")
    with pytest.raises(qe.QuartoVersionError) as error:
        render.choose_engine("quarto")
    assert "Quarto 1.8.25" in str(error.value) and "1.9 or newer" in str(error.value)
    assert render.choose_engine("auto") == "builtin"
    qe._quarto_version.cache_clear()
    monkeypatch.setenv("FAKE_QUARTO_VERSION", "1.9.0")
    assert render.choose_engine("quarto") == "quarto" == render.choose_engine("auto")
    qe._quarto_version.cache_clear()
    monkeypatch.setenv("FAKE_QUARTO_VERSION", "not a version")
    with pytest.raises(qe.QuartoVersionError, match="did not give a version"):
        render.choose_engine("quarto")


def test_qpr_build_with_an_old_quarto_says_what_is_needed_and_runs_nothing(
    tmp_path, fake_quarto, monkeypatch, capsys
):
    project = make_project(tmp_path, ["Housing"])
    monkeypatch.setenv("FAKE_QUARTO_VERSION", "1.8.25")
    monkeypatch.chdir(project)
    assert cli.main(["build", "2023/24 Q2", "--engine", "quarto"]) == 2
    err = capsys.readouterr().err
    assert "Quarto 1.8.25" in err and "needs Quarto 1.9 or newer" in err
    assert "Traceback" not in err
    assert not (project / "build" / "2023-24-q2").exists() or not any(
        (project / "build" / "2023-24-q2").glob("*.ipynb")
    )
    assert calls(fake_quarto) == []


# ---------------------------------------------------------------- rendering and failures


def test_quarto_engine_renders_a_scratch_project_and_publishes_its_pages(fake_quarto):
    tmp_path = fake_quarto.parent
    quarter = make_quarter(tmp_path, reports=("cover", "qpr"))
    site = tmp_path / "_site"
    formats = ("html", "pdf", "docx")
    assert render.render_quarter(quarter, site, ["cover", "qpr"], formats, "auto", COUNCIL) == []
    made = calls(fake_quarto)
    assert len(made) == 2  # one render for every page, one Word file for the cover
    assert made[0][0] == "render" and "--execute" not in made[0]
    assert made[1][1].endswith(f"{QUARTER}/cover.ipynb") and "docx" in made[1]
    names = sorted(p.name for p in (site / QUARTER).iterdir())
    assert names == [
        "cover.docx",
        "cover.html",
        "cover.pdf",
        "how-this-was-produced.html",  # the build record, not in the papers
        "kpis.csv",
        "qpr.html",
        "qpr.pdf",
        render.MANIFEST,
    ]
    assert leftovers(site) == []


def test_a_failed_quarto_render_is_the_failing_reports_alone(fake_quarto, monkeypatch):
    tmp_path = fake_quarto.parent
    reports = ["cover", "directorate-housing", "qpr", "zz-last"]
    quarter = make_quarter(tmp_path, reports=tuple(reports))
    monkeypatch.setenv("FAKE_QUARTO_FAIL", "directorate-housing")
    site = tmp_path / "_site"
    failures = render.render_quarter(quarter, site, reports, ("html", "pdf"), "quarto", COUNCIL)
    assert [name for name, _ in failures] == ["directorate-housing"]
    (message,) = [m for _, m in failures]
    assert "missing alt text" in message and "Typst compilation failed" in message
    assert "\x1b" not in message and "[39m" not in message and "[91m" not in message
    assert "file:///" not in message  # Quarto's stack trace is not the member's business
    published = sorted(p.name for p in (site / QUARTER).glob("*.html"))
    published = [n for n in published if n != "how-this-was-produced.html"]  # the record
    assert published == ["cover.html", "qpr.html", "zz-last.html"]  # the others still publish
    # the project render stopped at the failure; the reports after it were rendered one by one
    singles = [c[1] for c in calls(fake_quarto)[1:]]
    assert [Path(s).stem for s in singles] == ["directorate-housing", "qpr", "zz-last"]


def test_a_quarto_page_that_loads_from_outside_is_not_published(fake_quarto, monkeypatch):
    tmp_path = fake_quarto.parent
    quarter = make_quarter(tmp_path)
    real_run = qe._run_quarto

    def run_and_add_a_cdn_script(command, cwd):
        error = real_run(command, cwd)
        for page in (tmp_path).rglob("out/*/cover.html"):
            page.write_text('<html><script src="https://cdn.example/x.js"></script></html>')
        return error

    monkeypatch.setattr(qe, "_run_quarto", run_and_add_a_cdn_script)
    site = tmp_path / "_site"
    failures = render.render_quarter(quarter, site, ["cover"], ("html",), "quarto", COUNCIL)
    assert failures == [
        (
            "cover",
            "the Quarto HTML refers to files outside the page (https://cdn.example/x.js); "
            "not published",
        )
    ]


def test_templates_run_only_in_the_preview_profile():
    config = yaml.safe_load((REPO / "_quarto.yml").read_text(encoding="utf-8"))
    assert not [r for r in config["project"]["render"] if r.startswith("notebooks")]
    assert config["execute"]["enabled"] is False  # a plain render never runs a notebook
    preview = yaml.safe_load((REPO / "_quarto-preview.yml").read_text(encoding="utf-8"))
    assert preview["project"]["render"] == ["notebooks/*.ipynb"]
    assert preview["format"]["typst"]["template"] == f"build/{qe.QUARTO_ASSETS}/report.typ"
    folder = yaml.safe_load((REPO / "notebooks" / "_metadata.yml").read_text(encoding="utf-8"))
    assert folder["execute"] == {"enabled": True, "echo": False, "warning": False}
