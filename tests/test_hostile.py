"""Hostile text: a council whose data and parameters are full of markup, control characters,
quotes and newlines is built once with the real notebooks (`qpr build`, HTML, PDF and Word),
and every string must come out literally, as text, in every format, with no script run, no
layout broken, no code injected into the notebooks and no file written outside build/ and
_site/. The open-data kpis.csv must not carry spreadsheet formulas.
"""

from __future__ import annotations

import ast
import csv
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[1]
SLUG = "2023-24-q2"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hostile")]

# --- the hostile council

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
LINK = "[x](javascript:alert(3))"
MARKDOWN = "*not bold* _not italic_ | not a cell | `not code` <!-- not a comment -->"
TYPST = r"#set page(width: 1cm) $x^2$ @ref <label> *strong* \ back // not a comment"
SHORTHANDS = "-2 -? ... ~ -- --- 1/2"  # Typst would print a minus, nothing, an ellipsis...
QUOTES = "\"double\" 'single' O'Brien's"
DIRECTORATE = "../../Adults/Health " + IMG  # a path, to see nothing is written outside
AREA = "Area # with | pipe, $\\frac{$ costs"  # a chart label too: never parsed as maths
NAMES = {  # KPI names
    "H1": f"{SCRIPT} calls answered",
    "H2": f"{IMG} {MARKDOWN}",
    "H3": f"# Heading at line start {LINK}",
    "H4": f"Typst {TYPST} {SHORTHANDS}",
    "H5": f"Quotes {QUOTES}",
}
RED = ["H1", "H2", "H3"]  # rated Red, so their commentary and action are shown
COMMENTARY = {
    "H1": f'=HYPERLINK("http://evil.example","click") first line\nsecond line {SCRIPT}',
    "H2": f"# not a heading\n* not a bullet\n1. not a list\n{LINK} {TYPST}",
    "H3": f"{QUOTES}\n| a | b |\n|---|---|\n{IMG}",
}
ACTIONS = {
    "H1": f"+cmd|' /C calc'!A0 {MARKDOWN}",
    "H2": f"@SUM(1+1) {TYPST}",
    "H3": f"-2+3 {SCRIPT}",
}
AUTHOR_COLUMN = f"@Head of <b>Service</b> {QUOTES}"
MILESTONE = f"Milestone {SCRIPT} {TYPST}"
# parameters: papermill writes them into the notebook as Python source
MARKER = "PWNED"
COUNCIL = f"Council {SCRIPT} {QUOTES} & #set $x$"
COMMITTEE = f"Cabinet\n# Injected heading {IMG}"
AUTHORS = [
    'x"; import os; os.system("touch {marker}") #',
    "''' triple quotes '''",
    f"{LINK}\nsecond line",
    '""" and """ and a backslash at the end \\',  # would escape a closing quote
]


def one_line(text: str) -> str:
    """What a one-line field shows: whitespace (newlines too) collapsed to single spaces."""
    return " ".join(text.split())


def squeezed(text: str) -> str:
    """No whitespace at all: PDF and Word wrap table cells wherever they like."""
    return "".join(text.split())


def write_council(root: Path, marker: Path) -> Path:
    """The project: real notebooks, hostile data and hostile parameters."""
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    (root / "params").mkdir()
    shutil.copy(REPO / "params" / "defaults.yml", root / "params" / "defaults.yml")
    author = " ".join(a.format(marker=marker) for a in AUTHORS)
    params = {
        "quarter": "2023/24 Q2",
        "council": COUNCIL,
        "committee": COMMITTEE,
        "meeting_date": "2024-01-04",
        "author": author,
    }
    (root / "params" / f"{SLUG}.yml").write_text(
        yaml.safe_dump(params, allow_unicode=True), encoding="utf-8"
    )
    data = root / "data"
    data.mkdir()
    rows = [["id", "name", "directorate", "service_area", "kind", "polarity", "unit"]]
    rows[0] += ["frequency", "definition", "owner"]
    for kpi, name in NAMES.items():
        rows.append([kpi, name, DIRECTORATE, AREA, "kpi", "higher", "percent", "quarterly"])
        rows[-1] += [f"Definition of {name}", AUTHOR_COLUMN]
    rows.append(["R1", "Net change " + SCRIPT, DIRECTORATE, AREA, "kpi", "higher", "rate"])
    rows[-1] += ["quarterly", "A rate that may be negative", "Someone"]
    write_csv(data / "indicators.csv", rows)
    targets = [["id", "year", "target", "floor", "lower", "upper"]]
    targets += [[kpi, "2023/24", "80", "70", "", ""] for kpi in [*NAMES, "R1"]]
    write_csv(data / "targets.csv", targets)
    values = [["id", "period_end", "value"]]
    for kpi in NAMES:
        now = "50" if kpi in RED else "90"
        values += [[kpi, "2023-06-30", "75"], [kpi, "2023-09-30", now]]
    values += [["R1", "2023-06-30", "-2.5"], ["R1", "2023-09-30", "-5"]]
    write_csv(data / "values.csv", values)
    commentary = [["id", "quarter", "commentary", "action", "author"]]
    commentary += [[k, "2023/24 Q2", COMMENTARY[k], ACTIONS[k], AUTHOR_COLUMN] for k in RED]
    write_csv(data / "commentary.csv", commentary)
    milestones = [["directorate", "objective", "milestone", "due", "quarter", "status"]]
    milestones[0].append("commentary")
    milestones.append(
        [DIRECTORATE, f"Objective {IMG}", MILESTONE, "2023-12-31", "2023/24 Q2", "off_track"]
    )
    milestones[-1].append(f"=1+1 {QUOTES}\n{LINK}")
    write_csv(data / "milestones.csv", milestones)
    return root


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    """The hostile council built and published once: (project, files outside it before)."""
    base = tmp_path_factory.mktemp("hostile")
    marker = base / MARKER
    project = write_council(base / "work" / "project", marker)
    before = files_under(base)
    done = subprocess.run(
        [sys.executable, "-m", "qprlib", "build", "--engine", "builtin", "--to", "html,pdf,docx"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return project, base, before, marker, done


@pytest.fixture(scope="module")
def site(council) -> Path:
    return council[0] / "_site" / SLUG


@pytest.fixture(scope="module")
def pages(site) -> dict[str, BeautifulSoup]:
    return {
        path.stem: BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for path in sorted(site.glob("*.html"))
    }


def report_names(site: Path) -> list[str]:
    return sorted(p.stem for p in site.glob("*.html"))


# --- the build itself


def test_every_report_was_built_and_published(site):
    directorate = "directorate-adults-health-img-src-x-onerror-alert-2"
    reports = ["briefing", "cover", directorate, "qpr"]
    # the quarter's "How this was produced" page is a site page (the build record), not a paper
    assert report_names(site) == sorted([*reports, "how-this-was-produced"])
    assert (site / "cover.docx").is_file()
    assert {p.stem for p in site.glob("*.pdf")} == set(reports)


def test_nothing_is_written_outside_build_and_site(council):
    project, base, before, _, _ = council
    after = files_under(base)
    new = sorted(after - before)
    outside = [
        path for path in new if not path.startswith(("work/project/build", "work/project/_site"))
    ]
    assert outside == []
    assert not any(".." in Path(path).parts for path in new)
    assert not (project.parent / "Adults").exists() and not (base / "Adults").exists()


def test_parameters_cannot_inject_code_into_the_notebooks(council):
    project, _, _, marker, _ = council
    assert not marker.exists()  # the injected os.system("touch ...") never ran
    expected = yaml.safe_load((project / "params" / f"{SLUG}.yml").read_text(encoding="utf-8"))
    for path in sorted((project / "build" / SLUG).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1, path.name
        tree = ast.parse(injected[0].source)
        values = {}
        for statement in tree.body:  # only `name = literal`: nothing that could run code
            assert isinstance(statement, ast.Assign), ast.dump(statement)
            assert isinstance(statement.targets[0], ast.Name)
            values[statement.targets[0].id] = ast.literal_eval(statement.value)
        for key in ("council", "committee", "author"):
            if key in values:
                assert values[key] == expected[key], (path.name, key)  # arrived intact


# --- HTML


def test_html_shows_every_hostile_string_as_text(pages):
    qpr = one_line(pages["qpr"].find("main").get_text(" "))
    for name in [*NAMES.values(), AREA]:
        assert one_line(name) in qpr, name
    for kpi in RED:  # Red KPIs: commentary and management action in the corporate report
        assert one_line(COMMENTARY[kpi]) in qpr, kpi
        assert one_line(ACTIONS[kpi]) in qpr, kpi
    directorate = next(page for name, page in pages.items() if name.startswith("directorate-"))
    text = one_line(directorate.get_text(" "))
    assert one_line(DIRECTORATE) in text
    assert one_line(MILESTONE) in text
    cover = one_line(pages["cover"].get_text(" "))
    assert one_line(COMMITTEE) in cover
    for page in pages.values():
        assert one_line(COUNCIL) in one_line(page.find("header").get_text(" "))


def test_html_has_no_markup_from_the_data(pages):
    for name, page in pages.items():
        for script in page.find_all("script"):  # only the page's own KPI filter, inline
            assert not script.get("src"), (name, script)
            assert "alert(" not in script.get_text(), (name, script)
        assert page.find_all(["b", "iframe", "object", "embed", "form"]) == [], name
        for tag in page.find_all(True):
            handlers = [attr for attr in tag.attrs if attr.lower().startswith("on")]
            assert handlers == [], (name, tag.name, handlers)
            for attr in ("href", "src"):
                value = str(tag.get(attr, "")).strip().lower()
                assert not value.startswith("javascript:"), (name, tag)
        images = [img["src"][:18] for img in page.find_all("img")]
        assert all(src.startswith("data:image/svg+xml") for src in images), (name, images)
        headings = [h.get_text(" ") for h in page.find_all(["h1", "h2", "h3", "h4"])]
        assert not any(h.startswith("Injected heading") for h in headings), name
        assert not any(h.strip().startswith("not a heading") for h in headings), name


def test_html_tables_keep_their_rows_and_columns(pages):
    every_kpi = pages["qpr"].find("table", id=re.compile("kpi")) or next(
        t for t in pages["qpr"].find_all("table") if "Every" in t.find("caption").get_text()
    )
    body = every_kpi.find("tbody").find_all("tr")
    # a service area's heading row spans the table; the KPI rows are the rest
    rows = [row for row in body if not row.find(class_="group-heading")]
    assert len(rows) == len(NAMES) + 1  # the five hostile KPIs and the rate
    for page in pages.values():
        for table in page.find_all("table"):
            width = len(table.find("thead").find_all("th"))
            for row in table.find("tbody").find_all("tr"):
                spans = [int(cell.get("colspan", 1)) for cell in row.find_all(["td", "th"])]
                assert sum(spans) == width, row.get_text(" ")


# --- PDF and Word


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    # -raw: content-stream order, each table cell whole (layout mode interleaves columns)
    done = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pdf_pages_stay_a4(site):
    from pypdf import PdfReader

    for path in sorted(site.glob("*.pdf")):  # `#set page(width: 1cm)` in the data never ran
        sizes = {(round(p.mediabox.width), round(p.mediabox.height)) for p in PdfReader(path).pages}
        assert sizes == {(595, 842)}, (path.name, sizes)


def test_pdf_shows_every_hostile_string_as_text(site):
    qpr = squeezed(pdf_text(site / "qpr.pdf"))
    for name in NAMES.values():
        assert squeezed(name) in qpr, name
    for kpi in RED:
        assert squeezed(COMMENTARY[kpi]) in qpr, kpi
        assert squeezed(ACTIONS[kpi]) in qpr, kpi
    directorate = next(site.glob("directorate-*.pdf"))
    assert squeezed(MILESTONE) in squeezed(pdf_text(directorate))
    cover = squeezed(pdf_text(site / "cover.pdf"))
    assert squeezed(COMMITTEE) in cover
    assert squeezed(COUNCIL) in cover


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_paragraphs(path: Path) -> tuple[list[str], list[list[int]]]:
    """Each paragraph's text (its w:t runs joined) and each table's cell count per row."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(zipfile.ZipFile(path).read("word/document.xml"))
    paragraphs = ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in root.iter(f"{W}p")]
    tables = [
        [len(row.findall(f"{W}tc")) for row in tbl.iter(f"{W}tr")] for tbl in root.iter(f"{W}tbl")
    ]
    return paragraphs, tables


def test_docx_shows_hostile_text_literally_and_keeps_its_tables(site):
    paragraphs, tables = docx_paragraphs(site / "cover.docx")
    text = squeezed("".join(paragraphs))
    assert squeezed(COMMITTEE) in text
    assert squeezed(COUNCIL) in text or squeezed(COUNCIL) in squeezed("".join(paragraphs))
    for kpi in RED:  # the cover lists the Red KPIs by name
        assert squeezed(NAMES[kpi]) in text, kpi
    for rows in tables:
        assert len(set(rows)) == 1, rows  # every row as wide as the header


# --- open data


def test_kpis_csv_neutralises_formulas_and_keeps_numbers(site):
    with open(site / "kpis.csv", newline="", encoding="utf-8") as stream:
        rows = {row["id"]: row for row in csv.DictReader(stream)}
    assert rows["H1"]["commentary"] == "'" + COMMENTARY["H1"]
    assert rows["H1"]["action"] == "'" + ACTIONS["H1"]
    assert rows["H2"]["action"] == "'" + ACTIONS["H2"]
    assert rows["H3"]["action"] == "'" + ACTIONS["H3"]
    assert rows["H1"]["author"] == "'" + AUTHOR_COLUMN
    assert rows["H3"]["commentary"] == COMMENTARY["H3"]  # starts with a quote: as it was
    assert float(rows["R1"]["value"]) == -5.0  # a negative number is still a number
    for row in rows.values():
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (column, cell)
            if cell.startswith("-"):
                float(cell)  # only numbers may start with a minus sign


# --- the real browser


def visit(browser, path: Path) -> tuple[object, object, list[str], list[str]]:
    """Open `path` in a fresh context; (context, page, dialogs opened, script errors)."""
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(300)  # an onerror handler of a broken image would have run by now
    return context, page, dialogs, errors


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing: apt-get install chromium")
def test_no_dialog_opens_and_no_script_runs_in_chromium(site, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    trap = tmp_path / "trap.html"  # the check itself: it must see a script that does run
    trap.write_text("<html><body><img src=x onerror=alert('trap')></body></html>")
    pages = [*sorted(site.glob("*.html")), site.parent / "index.html"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context, _, dialogs, _ = visit(browser, trap)
            assert dialogs == ["trap"]
            context.close()
            for path in pages:
                context, page, dialogs, errors = visit(browser, path)
                assert dialogs == [], (path.name, dialogs)
                assert errors == [], (path.name, errors)
                assert page.evaluate("document.scripts.length") == 0, path.name
                assert one_line(COUNCIL) in one_line(page.inner_text("body")), path.name
                context.close()
        finally:
            browser.close()
