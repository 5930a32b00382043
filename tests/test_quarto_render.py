"""The whole sample quarter rendered by a real Quarto, compared with the built-in engine.

Skipped when `quarto` is not on PATH (CI has none: it cannot be installed from the package
registries). With Quarto 1.9 or newer on PATH, as a user would:

- `qpr build "2023/24 Q2" --engine quarto --to html,pdf` in a copy of the sample project (the
  built-in engine's `sample_site` build, so the notebooks are the same executed ones) exits 0
  and publishes every report in both formats;
- each page says what the built-in engine's page says: the same headings, chart alt texts
  and table rows in HTML, the same `pdftotext` text in the PDF (quotes straightened, as
  Quarto may curl them), and the Red list of seed 001;
- `qpr status` then says the quarter is current, everywhere it says it;
- a plain `quarto render` in the project folder exits 0 and leaves git's tree clean.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from qprlib import render
from qprlib.pipeline.engines import quarto as qe
from tests.seed001 import SEED_001_REDS
from tests.test_render import COUNCIL, QUARTER, make_quarter, pdf_text, words

pytestmark = [
    pytest.mark.quarto,
    pytest.mark.slow,
    pytest.mark.xdist_group("sample-site"),
    pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH"),
]

SAMPLE = "2023/24 Q2"
SLUG = "2023-24-q2"
REPORTS = [
    "cover",
    "qpr",
    "directorate-chief-executives-department",
    "directorate-growth-environment-and-transport",
    "directorate-children-young-people-and-education",
    "directorate-adult-social-care-and-health",
    "directorate-public-health",
]
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def qpr(project: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "qprlib", *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def quarto_project(sample_site, repo_root, tmp_path_factory) -> Path:
    """A copy of the built-in engine's sample project, built again with --engine quarto."""
    project = tmp_path_factory.mktemp("quarto") / "project"
    shutil.copytree(sample_site.parent, project, ignore=shutil.ignore_patterns("_site"))
    done = qpr(project, "build", SAMPLE, "--engine", "quarto", "--to", "html,pdf")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return project


def page(site: Path, report: str) -> BeautifulSoup:
    return BeautifulSoup(
        (site / SLUG / f"{report}.html").read_text(encoding="utf-8"), "html.parser"
    )


def seen(soup: BeautifulSoup) -> dict[str, list]:
    """What a member reads on a page, as comparable lists."""
    main = soup.find("main")
    text = lambda tag: words(tag.get_text()).translate(QUOTES)  # noqa: E731
    return {
        "headings": [(h.name, text(h)) for h in main.find_all(re.compile("^h[1-6]$"))],
        "alt texts": [words(img.get("alt", "")).translate(QUOTES) for img in main.find_all("img")],
        "tables": [
            (
                text(t.caption) if t.caption else "",
                [[text(c) for c in r.find_all(["th", "td"])] for r in t.find_all("tr")],
            )
            for t in main.find_all("table")
        ],
    }


def pdf_words(path: Path) -> str:
    lines = pdf_text(path).translate(QUOTES).splitlines()
    return words("\n".join(line for line in lines if not line.startswith("Produced ")))


def test_quarto_publishes_every_report_in_both_formats(quarto_project):
    published = sorted(p.name for p in (quarto_project / "_site" / SLUG).iterdir())
    expected = sorted([f"{r}.html" for r in REPORTS] + [f"{r}.pdf" for r in REPORTS])
    assert [p for p in published if p.endswith((".html", ".pdf"))] == expected
    for report in REPORTS:
        info = subprocess.run(
            ["pdfinfo", str(quarto_project / "_site" / SLUG / f"{report}.pdf")],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert re.search(r"^Tagged:\s+yes", info, re.MULTILINE), report  # PDF/UA-1 from Typst


@pytest.mark.parametrize("report", REPORTS)
def test_quarto_html_says_what_the_builtin_html_says(quarto_project, sample_site, report):
    quarto, builtin = page(quarto_project / "_site", report), page(sample_site, report)
    assert seen(quarto) == seen(builtin)
    assert all(img.get("alt") for img in quarto.find_all("img"))  # alt text on every chart
    text = words(quarto.find("main").get_text())
    assert not re.search(r"\b(Figure|Table) \d+:", text)  # no numbering the built-in lacks
    assert quarto.html["lang"] == "en-GB"
    first = quarto.body.find(True)
    assert first.name == "a" and "skip-link" in first.get("class", [])  # first for the keyboard
    assert quarto.find("main").find("a", string="Download this report as a PDF")["href"] == (
        f"{report}.pdf"
    )
    page_file = quarto_project / "_site" / SLUG / f"{report}.html"
    assert qe.external_references(page_file) == []  # nothing loaded from outside the page
    assert all(s["src"].startswith("data:") for s in quarto.find_all("script", src=True))


@pytest.mark.parametrize("report", REPORTS)
def test_quarto_pdf_says_what_the_builtin_pdf_says(quarto_project, sample_site, report):
    quarto = pdf_words(quarto_project / "_site" / SLUG / f"{report}.pdf")
    assert quarto == pdf_words(sample_site / SLUG / f"{report}.pdf")
    assert re.search(r"Page 1 of \d+", quarto)  # the running footer
    assert not re.search(r"\b(Figure|Table) \d+:", quarto)


def test_quarto_qpr_lists_seed_001s_reds_for_call_in(quarto_project):
    call_in = page(quarto_project / "_site", "qpr").find("table", id="tbl-call-in")
    names = words(call_in.get_text()).translate(QUOTES)
    for area, reds in SEED_001_REDS.items():
        for name in reds:
            assert name.translate(QUOTES) in names, (area, name)


def test_qpr_status_agrees_with_itself_after_a_quarto_build(quarto_project):
    done = qpr(quarto_project, "status", SAMPLE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "by the quarto engine" in done.stdout
    assert re.search(r"^\s+site\s+current \(html, pdf\)$", done.stdout, re.MULTILINE)
    assert done.stdout.rstrip().endswith("all reports current")
    (status,) = json.loads(qpr(quarto_project, "status", SAMPLE, "--format", "json").stdout)
    assert status["site"] == "current" and status["kpis"] == "current"
    assert status["all_current"] is True and status["engine"] == "quarto"


def test_plain_quarto_render_renders_the_site_and_leaves_the_tree_clean(
    quarto_project, repo_root, tmp_path
):
    project = tmp_path / "checkout"
    shutil.copytree(quarto_project, project, ignore=shutil.ignore_patterns("_site", ".venv"))
    for name in ("_quarto.yml", "index.qmd", ".gitignore"):
        shutil.copy2(repo_root / name, project / name)
    shutil.copytree(repo_root / "qprlib" / "templates", project / "qprlib" / "templates")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "checkout"], cwd=project, check=True)
    done = subprocess.run(
        ["quarto", "render"], cwd=project, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    pages = project / "build" / "_quarto" / "build" / SLUG
    for report in REPORTS:
        assert (pages / f"{report}.html").is_file() and (pages / f"{report}.pdf").is_file()
        assert seen(page(pages.parent, report)) == seen(page(quarto_project / "_site", report))
    status = subprocess.run(
        [*git, "status", "--porcelain"], cwd=project, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_a_report_quarto_cannot_render_fails_alone_with_quartos_reason(tmp_path):
    quarter = make_quarter(tmp_path, reports=("cover", "directorate-broken", "qpr"))
    broken = nbformat.read(quarter / "directorate-broken.ipynb", as_version=4)
    bad_chart = "![A chart](data:image/png;base64,bm90IGEgcG5n)"  # 'not a png'
    broken.cells.append(
        nbformat.v4.new_code_cell(
            "chart",
            outputs=[nbformat.v4.new_output("display_data", data={"text/markdown": bad_chart})],
        )
    )
    nbformat.write(broken, quarter / "directorate-broken.ipynb")
    site = tmp_path / "_site"
    reports = ["cover", "directorate-broken", "qpr"]
    failures = render.render_quarter(quarter, site, reports, ("html", "pdf"), "quarto", COUNCIL)
    assert [name for name, _ in failures] == ["directorate-broken"]
    message = failures[0][1]
    assert message.startswith("quarto render failed") and "\x1b" not in message
    assert not re.search(r"\[\d+m", message)
    assert sorted(p.name for p in (site / QUARTER).glob("*.pdf")) == ["cover.pdf", "qpr.pdf"]
