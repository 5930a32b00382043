"""Rendering and publishing, checked as a member would see the output.

The fixture `tests/fixtures/executed/2023-24-q2/cover.ipynb` is an executed notebook in the
documented shape (raw YAML front matter, text/markdown outputs: pipe tables with captions
and RAG spans, a chart as a data-URI image with alt text) with hostile commentary in it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from qprlib import render
from qprlib.pipeline import publish
from qprlib.pipeline.engines import builtin as builtin_engine
from qprlib.pipeline.engines import quarto as quarto_engine

pytestmark = pytest.mark.xdist_group("render")

FIXTURES = Path(__file__).parent / "fixtures" / "executed"
QUARTER = "2023-24-q2"
TITLE = "Quarterly Performance Report, Quarter 2, 2023/24"
KPI_NAMES = [
    "CS01 Percentage of complaints responded to within timescale",
    "GL01 Percentage of Freedom of Information Act (FoI) requests completed within 20 working days",
    "ASC1 Percentage of new Care Needs Assessments delivered within 28 days",
    "CYPE3 Percentage of children's case holding posts filled by permanent qualified "
    "social workers",
]
HOSTILE = "<script>alert(1)</script>"
COUNCIL = "Kent County Council"


def make_quarter(root: Path, slug: str = QUARTER, reports=("cover",), kpis: bool = True) -> Path:
    """A build/<slug>/ folder holding the fixture notebook under each report name."""
    folder = root / "build" / slug
    folder.mkdir(parents=True)
    for name in reports:
        nb = nbformat.read(FIXTURES / QUARTER / "cover.ipynb", as_version=4)
        if name.startswith("directorate-"):
            nb.metadata.papermill.parameters["directorate"] = "Adult Social Care & Health"
        nbformat.write(nb, folder / f"{name}.ipynb")
    if kpis:
        (folder / "kpis.csv").write_text("id,name,rag\nCS01,Complaints,Red\n", encoding="utf-8")
    return folder


def fail_notebook(path: Path) -> None:
    """Make the notebook look like papermill's record of a failed run (error cell first)."""
    nb = nbformat.read(path, as_version=4)
    banner = nbformat.v4.new_markdown_cell(
        '<span style="color:red">An Exception was encountered at "In [3]".</span>',
        metadata={"tags": ["papermill-error-cell-tag"]},
    )
    nb.cells.insert(0, banner)
    nb.metadata.papermill.exception = True
    nbformat.write(nb, path)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(site: Path) -> list[str]:
    return sorted(p.name for p in site.parent.iterdir() if p.name.startswith(f".{site.name}."))


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        result = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        )
        return result.stdout
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def words(text: str) -> str:
    """Whitespace collapsed: table cells wrap over several lines in a PDF."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The fixture rendered once with the built-in engine: HTML, PDF and Word."""
    root = tmp_path_factory.mktemp("render")
    quarter = make_quarter(root, reports=("cover", "directorate-adult-social-care"))
    site = root / "_site"
    failures = render.render_quarter(
        quarter,
        site,
        ["cover", "directorate-adult-social-care"],
        ("html", "pdf", "docx"),
        engine="builtin",
        council=COUNCIL,
    )
    assert failures == []
    return site


@pytest.fixture(scope="module")
def page(site) -> BeautifulSoup:
    return BeautifulSoup((site / QUARTER / "cover.html").read_text(encoding="utf-8"), "html.parser")


# ---------------------------------------------------------------- HTML


@pytest.mark.slow
def test_html_has_one_h1_the_title_and_headings_in_order(page):
    # the quarter in the title is joined by no-break spaces (papers.display_title)
    assert [" ".join(h.get_text().split()) for h in page.find_all("h1")] == [TITLE]
    levels = [int(h.name[1]) for h in page.find_all(re.compile(r"^h[1-6]$"))]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels


@pytest.mark.slow
def test_html_declares_british_english_and_a_title(page):
    assert page.html["lang"] == "en-GB"
    assert TITLE in page.title.get_text() and COUNCIL in page.title.get_text()


@pytest.mark.slow
def test_html_header_names_the_council_and_links_back_to_the_index(page):
    header = page.find("header", class_="site-header")
    assert COUNCIL in header.get_text()
    link = header.find("a")
    assert link["href"] == "../index.html" and "reports" in link.get_text()
    downloads = {a["href"] for a in page.select(".downloads a")}
    assert downloads == {"cover.pdf", "cover.docx"}


@pytest.mark.slow
def test_every_image_has_alt_text_and_charts_show_it_as_a_caption(page):
    images = page.find_all("img")
    assert images, "the fixture has charts"
    assert all(img.get("alt", "").strip() for img in images)
    chart = page.find("figure")
    alt = chart.find("img")["alt"]
    assert alt.startswith("Line chart of CS01")
    assert " ".join(chart.find("figcaption").get_text().split()) == alt
    # an output with only image/png still gets alt text, saying none was given
    assert any(img["alt"] == "Chart without a text description" for img in images)


@pytest.mark.slow
def test_tables_have_header_cells_a_caption_and_a_labelled_scroll_region(page):
    tables = page.find_all("table")
    assert len(tables) == 3
    for table in tables:
        assert table.find("caption").get_text(strip=True)
        assert table.find("thead").find_all("th")
        wrapper = table.parent
        assert "table-wrap" in wrapper["class"]
        assert wrapper["role"] == "region" and wrapper["tabindex"] == "0"
        assert wrapper["aria-label"] == table.find("caption").get_text(strip=True)


@pytest.mark.slow
def test_rag_and_direction_are_words_with_colour_classes(page):
    spans = {s.get_text(strip=True): s["class"] for s in page.select("span.rag")}
    assert spans["Green"] == ["rag", "rag-green"]
    assert spans["Amber"] == ["rag", "rag-amber"]
    assert spans["Red"] == ["rag", "rag-red"]
    directions = [" ".join(s.get_text().split()) for s in page.select("span.dot")]
    assert "↓ Worsening" in directions and "↑ Improving" in directions
    assert ".rag-red" in page.find("style").get_text()  # colours from qprlib.tables


@pytest.mark.slow
def test_every_kpi_name_and_value_is_in_the_html(page):
    text = " ".join(page.get_text().split())
    for name in KPI_NAMES:
        assert name in text
    assert "Of the 38 Key Performance Indicators" in text


@pytest.mark.slow
def test_html_is_self_contained(site):
    for path in [site / "index.html", site / QUARTER / "cover.html"]:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        assert soup.find_all("script") == []
        assert soup.find_all("link", rel="stylesheet") == []
        for tag in soup.find_all(True):
            for attribute in ("src", "href", "srcset", "data", "poster", "action"):
                value = tag.get(attribute)
                if value:
                    assert not re.match(r"^\s*(https?:)?//", value), (path.name, tag.name, value)
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", path.read_text(encoding="utf-8"))
        assert all(img["src"].startswith("data:image/") for img in soup.find_all("img"))
        assert "@import" not in path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_hostile_commentary_appears_as_text_and_never_as_markup(page):
    text = " ".join(page.get_text().split())
    assert HOSTILE in text  # escaped by qprlib.tables
    assert "<script>alert(2)</script>" in text  # not escaped by the notebook: still text
    assert '<img src="x" onerror="alert(3)">' in text.replace("“", '"').replace("”", '"')
    assert page.find_all("script") == []
    assert not [t for t in page.find_all(True) if any(a.startswith("on") for a in t.attrs)]
    assert "#set page(width: 1cm), $x$ and @ref" in text


@pytest.mark.slow
def test_stderr_noise_is_left_out(page):
    assert "FutureWarning" not in page.get_text()


@pytest.mark.slow
def test_footer_is_one_line_of_data_and_code_versions(page):
    # Review, blocker 1: "Produced <run time>" sat oddly on a paper for a later meeting; the
    # run time is on the site's "How this was produced" page.
    footer = " ".join(page.find("footer").get_text().split())
    assert footer == "Data version fffffff, code 0123456."


# ---------------------------------------------------------------- PDF


@pytest.mark.slow
def test_pdf_has_real_text_with_the_tables_contents(site):
    text = words(pdf_text(site / QUARTER / "cover.pdf"))
    assert TITLE in text and COUNCIL in text
    for name in KPI_NAMES:
        assert name in text, name
    for word in ("Green", "Amber", "Red", "Worsening", "Improving", "Stable or no clear trend"):
        assert word in text
    assert "RAG ratings of the 38 KPIs, Quarter 2, 2023/24" in text  # table caption
    assert "Line chart of CS01" in text  # chart caption
    squashed = "".join(text.split())  # a narrow cell may wrap "alert(1)</" + "script>"
    assert HOSTILE in squashed and "#setpage(width:1cm),$x$and@ref" in squashed
    assert "Page 1 of" in text


@pytest.mark.slow
def test_pdf_is_tagged_a4_with_title_and_language(site):
    from pypdf import PdfReader

    reader = PdfReader(site / QUARTER / "cover.pdf")
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog
    assert str(catalog["/Lang"]).startswith("en")
    assert reader.metadata.title == TITLE
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points


@pytest.mark.slow
def test_pdf_figures_carry_alt_text(site):
    from pypdf import PdfReader

    reader = PdfReader(site / QUARTER / "cover.pdf")
    alts = []

    def walk(node, depth=0):
        node = node.get_object()
        if depth > 60 or not hasattr(node, "get"):
            return
        if node.get("/S") == "/Figure":
            alts.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(kid, "get_object"):
                walk(kid, depth + 1)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert alts and all(alts), alts
    assert any(alt.startswith("Line chart of CS01") for alt in alts)


def test_a_pdf_refused_by_pdf_ua_is_still_written_tagged_with_a_warning(tmp_path, caplog):
    import typst

    calls = []

    class Compiler:
        def compile_with_warnings(self, input, output, pdf_standards=(), **options):
            calls.append(list(pdf_standards))
            if pdf_standards:
                raise typst.TypstError("PDF/UA-1 error: missing alt text", "", [], [])
            Path(output).write_bytes(b"%PDF-1.7")
            return None, []

    class Assets:
        def compiler(self):
            return Compiler()

    target = tmp_path / "x.pdf"
    assert render.compile_pdf("= Title", tmp_path, target, Assets()) == target
    assert calls == [["ua-1"], []] and target.is_file()
    assert "PDF/UA-1 refused" in caplog.text


def test_other_typst_errors_fail_the_report(tmp_path):
    source = '#set document(title: [T])\n#image("missing.png", alt: "x")'
    assets = render._Assets.create(tmp_path)
    with pytest.raises(render.RenderError, match="Typst could not make the PDF"):
        render.compile_pdf(source, tmp_path, tmp_path / "x.pdf", assets)


# ---------------------------------------------------------------- Word


@pytest.mark.slow
def test_docx_only_for_the_cover_and_holds_the_text(site):
    assert not (site / QUARTER / "directorate-adult-social-care.docx").exists()
    with zipfile.ZipFile(site / QUARTER / "cover.docx") as docx:
        document = docx.read("word/document.xml").decode("utf-8")
        core = docx.read("docProps/core.xml").decode("utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", document))
    for name in KPI_NAMES:
        assert name in text
    assert HOSTILE in text and "<script>" not in document  # text, escaped in the XML
    assert 'descr="Line chart of CS01' in document  # alt text of the chart
    assert TITLE in core and "en-GB" in core


# ---------------------------------------------------------------- publishing


@pytest.mark.slow
def test_site_layout_kpis_and_manifest(site):
    quarter = site / QUARTER
    assert sorted(p.name for p in quarter.iterdir()) == [
        "cover.docx",
        "cover.html",
        "cover.pdf",
        "directorate-adult-social-care.html",
        "directorate-adult-social-care.pdf",
        "how-this-was-produced.html",  # the build record, not in the papers
        "kpis.csv",
        render.MANIFEST,
    ]
    assert (quarter / "kpis.csv").read_text(encoding="utf-8").startswith("id,name,rag")
    manifest = json.loads((quarter / render.MANIFEST).read_text(encoding="utf-8"))
    labels = {name: entry["label"] for name, entry in manifest["reports"].items()}
    assert labels == {
        "cover": "Cover report",
        "directorate-adult-social-care": "Adult Social Care & Health directorate dashboard",
    }
    assert leftovers(site) == []


@pytest.mark.slow
def test_index_links_every_report_with_text_that_says_where_it_goes(site):
    soup = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.html["lang"] == "en-GB"
    assert len(soup.find_all("h1")) == 1
    assert COUNCIL in soup.find("header").get_text()
    links = {
        " ".join(a.get_text().split()): a["href"] for a in soup.find_all("a") if a["href"][0] != "#"
    }
    assert links["Cover report, Quarter 2 2023/24 (HTML)"] == f"{QUARTER}/cover.html"
    pdf = [t for t in links if t.startswith("Cover report, Quarter 2 2023/24 (PDF, ")]
    assert len(pdf) == 1 and pdf[0].endswith(" KB)")
    assert any(t.startswith("Cover report, Quarter 2 2023/24 (Word document") for t in links)
    assert any(
        t.startswith("Adult Social Care & Health directorate dashboard, Quarter 2 2023/24 (HTML")
        for t in links
    )
    open_data = [t for t in links if t.startswith("Open data")]
    assert open_data and links[open_data[0]] == f"{QUARTER}/kpis.csv"
    for href in links.values():
        assert (site / href).is_file(), href


@pytest.mark.slow
def test_index_lists_every_quarter_newest_first_and_keeps_other_quarters(tmp_path):
    site = tmp_path / "_site"
    q1 = make_quarter(tmp_path, "2023-24-q1")
    q2 = make_quarter(tmp_path, "2023-24-q2")
    q4 = make_quarter(tmp_path, "2022-23-q4")
    for folder in (q1, q4, q2):
        assert render.render_quarter(folder, site, ["cover"], ("html",), "builtin") == []
    soup = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    headings = [h.get_text() for h in soup.find_all("h2")]
    assert headings == ["Quarter 2, 2023/24", "Quarter 1, 2023/24", "Quarter 4, 2022/23"]
    for slug in ("2023-24-q1", "2023-24-q2", "2022-23-q4"):
        assert (site / slug / "cover.html").is_file()
    assert leftovers(site) == []


@pytest.mark.slow
def test_a_failed_run_is_not_rendered_and_its_previous_report_stays(tmp_path):
    site = tmp_path / "_site"
    quarter = make_quarter(tmp_path, reports=("cover", "qpr"))
    assert render.render_quarter(quarter, site, ["cover", "qpr"], ("html", "pdf"), "builtin") == []
    before = snapshot(site / QUARTER)
    fail_notebook(quarter / "qpr.ipynb")
    failures = render.render_quarter(quarter, site, ["cover", "qpr"], ("html", "pdf"), "builtin")
    assert [name for name, _ in failures] == ["qpr"]
    assert "failed when it ran" in failures[0][1]
    after = snapshot(site / QUARTER)
    assert after["qpr.html"] == before["qpr.html"] and after["qpr.pdf"] == before["qpr.pdf"]
    assert leftovers(site) == []


@pytest.mark.slow
def test_a_render_failure_in_one_format_keeps_both_previous_files(tmp_path, monkeypatch):
    site = tmp_path / "_site"
    quarter = make_quarter(tmp_path, reports=("cover", "qpr"))
    assert render.render_quarter(quarter, site, ["cover", "qpr"], ("html", "pdf"), "builtin") == []
    before = snapshot(site / QUARTER)
    inode = {name: (site / QUARTER / name).stat().st_ino for name in before}
    real = render.compile_pdf

    def broken(source, root, target, assets):
        if target.stem == "qpr":
            raise render.RenderError("Typst could not make the PDF: simulated")
        return real(source, root, target, assets)

    monkeypatch.setattr(builtin_engine, "compile_pdf", broken)  # where render_report finds it
    failures = render.render_quarter(quarter, site, ["cover", "qpr"], ("html", "pdf"), "builtin")
    assert failures == [("qpr", "Typst could not make the PDF: simulated")]
    after = snapshot(site / QUARTER)
    assert after["qpr.html"] == before["qpr.html"] and after["qpr.pdf"] == before["qpr.pdf"]
    assert (site / QUARTER / "cover.html").stat().st_ino != inode["cover.html"]  # republished


@pytest.mark.slow
def test_an_error_while_publishing_leaves_the_previous_site_intact(tmp_path, monkeypatch):
    site = tmp_path / "_site"
    quarter = make_quarter(tmp_path)
    assert render.render_quarter(quarter, site, ["cover"], ("html", "pdf"), "builtin") == []
    before = snapshot(site)

    def crash(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(publish, "write_index", crash)
    with pytest.raises(OSError, match="simulated"):
        render.render_quarter(quarter, site, ["cover"], ("html", "pdf"), "builtin")
    assert snapshot(site) == before
    assert leftovers(site) == []


@pytest.mark.slow
def test_relative_paths_work_from_the_project_folder(tmp_path, monkeypatch):
    make_quarter(tmp_path)
    monkeypatch.chdir(tmp_path)  # as `qpr build` passes them: build/<slug>, _site
    formats = ("html", "pdf", "docx")
    assert render.render_quarter(Path("build", QUARTER), Path("_site"), ["cover"], formats) == []
    assert sorted(p.name for p in Path("_site", QUARTER).glob("cover.*")) == [
        "cover.docx",
        "cover.html",
        "cover.pdf",
    ]


def test_nothing_is_published_when_every_report_fails(tmp_path):
    site = tmp_path / "_site"
    (site / "2023-24-q1").mkdir(parents=True)
    (site / "2023-24-q1" / "cover.html").write_text("previous", encoding="utf-8")
    before = snapshot(site)
    quarter = make_quarter(tmp_path)
    fail_notebook(quarter / "cover.ipynb")
    failures = render.render_quarter(quarter, site, ["cover", "qpr"], ("html",), "builtin")
    assert [name for name, _ in failures] == ["cover", "qpr"]
    assert "no executed notebook" in failures[1][1]
    assert snapshot(site) == before
    assert leftovers(site) == []


def test_report_names_cannot_escape_the_site(tmp_path):
    site = tmp_path / "_site"
    quarter = make_quarter(tmp_path)
    failures = render.render_quarter(quarter, site, ["../../evil", "a/b"], ("html",), "builtin")
    assert [name for name, _ in failures] == ["../../evil", "a/b"]
    assert all("not a safe report name" in message for _, message in failures)
    assert not site.exists()


def test_leftovers_of_a_killed_build_are_removed(tmp_path):
    site = tmp_path / "_site"
    (site / "2023-24-q1").mkdir(parents=True)
    dead = dead_pid()
    for kind in ("new", "work"):
        (tmp_path / f"._site.{kind}-{dead}-abcd1234" / "x").mkdir(parents=True)
    live = tmp_path / f"._site.new-{os.getpid()}-feedbeef"  # a build still running: kept
    live.mkdir()
    render.recover_site(site)
    assert leftovers(site) == [live.name]
    assert (site / "2023-24-q1").is_dir()


@pytest.mark.parametrize("with_new", [True, False])
def test_a_build_killed_mid_swap_is_recovered(tmp_path, with_new):
    site = tmp_path / "_site"
    dead = dead_pid()
    old = tmp_path / f"._site.old-{dead}-abcd1234"
    (old / "2023-24-q1").mkdir(parents=True)
    (old / "2023-24-q1" / "cover.html").write_text("old", encoding="utf-8")
    if with_new:  # killed after the old site was renamed away, before the new one went in
        new = tmp_path / f"._site.new-{dead}-abcd1234"
        (new / "2023-24-q1").mkdir(parents=True)
        (new / "2023-24-q1" / "cover.html").write_text("new", encoding="utf-8")
    render.recover_site(site)
    expected = "new" if with_new else "old"
    assert (site / "2023-24-q1" / "cover.html").read_text(encoding="utf-8") == expected
    assert leftovers(site) == []


def dead_pid() -> int:
    """A process id that is not running (a finished child's)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.slow
def test_formats_asked_for_are_the_formats_published(tmp_path):
    site = tmp_path / "_site"
    quarter = make_quarter(tmp_path, reports=("cover", "qpr"))
    formats = ("html", "pdf", "docx")
    assert render.render_quarter(quarter, site, ["cover", "qpr"], formats, "builtin") == []
    assert (site / QUARTER / "cover.docx").is_file()
    assert not (site / QUARTER / "qpr.docx").exists()
    assert render.render_quarter(quarter, site, ["cover"], ("html",), "builtin") == []
    names = sorted(p.name for p in (site / QUARTER).iterdir())
    # the cover's stale PDF and Word files go; qpr (not re-rendered) keeps its files
    assert names == [
        "cover.html", "how-this-was-produced.html", "kpis.csv", "qpr.html", "qpr.pdf",
        render.MANIFEST,
    ]  # fmt: skip
    page = (site / QUARTER / "cover.html").read_text(encoding="utf-8")
    assert "cover.pdf" not in page  # no link to a PDF that was not made


@pytest.mark.slow
def test_hostile_front_matter_is_literal_text(tmp_path):
    quarter = make_quarter(tmp_path, kpis=False)
    nb = nbformat.read(quarter / "cover.ipynb", as_version=4)
    nb.cells[0].source = textwrap.dedent(
        """\
        ---
        title: "Q2 <script>alert('t')</script> *not bold* #set $x$"
        subtitle: "yes"
        lang: "en-GB\\"><script>alert(1)</script>"
        ---"""
    )
    nbformat.write(nb, quarter / "cover.ipynb")
    site = tmp_path / "_site"
    council = 'Council <b>"Bold"</b>'
    failures = render.render_quarter(quarter, site, ["cover"], ("html", "pdf"), "builtin", council)
    assert failures == []
    soup = BeautifulSoup((site / QUARTER / "cover.html").read_text(encoding="utf-8"), "html.parser")
    title = "Q2 <script>alert('t')</script> *not bold* #set $x$"
    assert soup.find("h1").get_text() == title
    assert soup.find("p", class_="subtitle").get_text() == "yes"
    assert soup.html["lang"] == "en-GB"  # not a language tag: the default is used
    assert soup.find_all("script") == [] and soup.find_all("b") == []
    assert council in soup.find("header").get_text()
    assert title in words(pdf_text(site / QUARTER / "cover.pdf"))


def test_front_matter_must_come_first(tmp_path):
    quarter = make_quarter(tmp_path)
    nb = nbformat.read(quarter / "cover.ipynb", as_version=4)
    nb.cells = nb.cells[1:]
    nbformat.write(nb, quarter / "cover.ipynb")
    with pytest.raises(render.RenderError, match="first cell is not the raw YAML"):
        render.read_report(quarter, "cover")


def test_unknown_formats_and_engines_are_refused(tmp_path, monkeypatch):
    with pytest.raises(render.RenderError, match="unknown format"):
        render.render_quarter(tmp_path / QUARTER, tmp_path / "_site", ["cover"], ("odt",))
    with pytest.raises(render.RenderError, match="unknown engine"):
        render.choose_engine("latex")
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    assert render.choose_engine("auto") == "builtin"
    with pytest.raises(render.RenderError, match="quarto is not on PATH"):
        render.choose_engine("quarto")
    monkeypatch.setattr(render.shutil, "which", lambda name: "/opt/quarto/bin/quarto")
    monkeypatch.setattr(quarto_engine, "quarto_version", lambda quarto: "1.10.18")
    assert render.choose_engine("auto") == "quarto"
    assert render.choose_engine("builtin") == "builtin"


def test_report_labels():
    assert render.report_label("cover") == "Cover report"
    assert render.report_label("qpr") == "Quarterly Performance Report"
    assert render.report_label("directorate-growth-environment") == (
        "Growth Environment directorate dashboard"
    )
    parameters = {"directorate": "Growth, Environment and Transport"}
    assert render.report_label("directorate-growth-environment", parameters) == (
        "Growth, Environment and Transport directorate dashboard"
    )


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_stylesheet_text_colours_meet_wcag_aa():
    css = render.stylesheet()
    palette = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))
    for name in ("ink", "muted", "link", "link-visited"):
        for background in ("paper", "stripe", "head"):
            assert contrast(palette[name], palette[background]) >= 4.5, (name, background)
    assert contrast("#ffffff", palette["band"]) >= 4.5  # header text on the band
    assert contrast(palette["ink"], palette["focus"]) >= 4.5  # focused link
    for rule in re.findall(r"\.rag-\w+ \{ color: (#\w{6}); background-color: (#\w{6}); \}", css):
        assert contrast(*rule) >= 4.5, rule
    for colour in re.findall(r"\.dot-\w+ \{ color: (#\w{6}); \}", css):
        for background in ("paper", "stripe"):
            assert contrast(colour, palette[background]) >= 4.5


def test_a_stylesheet_or_template_change_makes_the_reports_stale(tmp_path, monkeypatch):
    from qprlib import build, provenance
    from qprlib.io import load
    from qprlib.params import load_params

    package = tmp_path / "qprlib"
    shutil.copytree(render.TEMPLATES.parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "PACKAGE_DIR", package)
    repo = render.REPO
    params = load_params("2023/24 Q2", repo / "params")
    data = load(repo / "data")
    paths = build.Paths.at(repo)

    def keys() -> list[str]:
        runs = build.plan_runs(params, [], True, data, paths, tmp_path / "build", "T")
        return [run.key for run in runs]

    before, hashed = keys(), provenance.source_hash()
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "render.cpython-311.pyc").write_bytes(b"compiled")
    (package / "templates" / ".qpr.css.swp").write_bytes(b"an editor's swap file")
    assert provenance.source_hash() == hashed  # caches and hidden files are not inputs
    for template in ("qpr.css", "report.typ"):
        path = package / "templates" / template
        path.write_text(path.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
        assert provenance.source_hash() != hashed, template
        hashed = provenance.source_hash()
    after = keys()
    assert all(b != a for b, a in zip(before, after, strict=True))  # every report re-runs


# ---------------------------------------------------------------- Quarto engine


def test_quarto_project_renders_executed_notebooks_without_executing_them():
    config = yaml.safe_load((render.REPO / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["project"]["type"] == "website"
    assert "build/*/*.ipynb" in config["project"]["render"]
    assert not config["project"]["output-dir"].startswith("_site")  # a render empties it
    assert config["execute"] == {"enabled": False, "echo": False, "warning": False}
    assert config["lang"] == "en-GB"
    assert config["format"]["html"]["embed-resources"] is True
    typst = config["format"]["typst"]
    assert typst["pdf-standard"] == "ua-1" and typst["papersize"] == "a4"
    for path in [config["format"]["html"]["css"], *config["format"]["html"]["theme"][1:]]:
        assert (render.REPO / path).is_file(), path


@pytest.mark.quarto
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
def test_quarto_engine_gives_members_the_same_content(tmp_path):
    quarter = make_quarter(tmp_path)
    site = tmp_path / "_site"
    formats = ("html", "pdf", "docx")
    assert render.render_quarter(quarter, site, ["cover"], formats, "quarto", COUNCIL) == []
    soup = BeautifulSoup((site / QUARTER / "cover.html").read_text(encoding="utf-8"), "html.parser")
    text = " ".join(soup.get_text().split())
    assert soup.html["lang"] == "en-GB"
    for name in KPI_NAMES:
        assert name in text
    # Quarto's pages embed Bootstrap, whose script has "alert" in it: look for the data's own
    assert HOSTILE in text and not [s for s in soup.find_all("script") if "alert(1)" in s.text]
    assert all(img.get("alt") for img in soup.find_all("img"))
    pdf = words(pdf_text(site / QUARTER / "cover.pdf"))
    for name in KPI_NAMES:
        assert name in pdf
    assert "Red" in pdf and "Amber" in pdf and "Green" in pdf


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)[1])


def page_text(path: Path, number: int) -> str:
    """One page's text (pdftotext -f N -l N), whitespace collapsed."""
    result = subprocess.run(
        ["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return words(result.stdout)


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
def test_every_page_of_a_draft_says_draft_and_what_is_missing(tmp_path, site):
    from qprlib.completeness import DRAFT_KEY, DRAFT_MARK_KEY
    from qprlib.pipeline.plan import fill_front_matter

    # as a --draft build plans it (qprlib.pipeline.plan): title, notice cell, the page line
    mark = (
        "DRAFT – not for publication. 36 of 38 KPIs have a figure for 2023/24 Q2 (94%); "
        "2 not yet reported (Adult Social Care & Health 2)"
    )
    quarter = make_quarter(tmp_path, kpis=False)
    nb = nbformat.read(quarter / "cover.ipynb", as_version=4)
    front = {
        "title": f"DRAFT: {TITLE}",
        DRAFT_KEY: "**DRAFT – not for publication.**",
        DRAFT_MARK_KEY: mark,
    }
    nbformat.write(fill_front_matter(nb, front), quarter / "cover.ipynb")
    out = tmp_path / "_site"
    assert (
        render.render_quarter(quarter, out, ["cover"], ("html", "pdf", "docx"), "builtin", COUNCIL)
        == []
    )

    pdf = out / QUARTER / "cover.pdf"
    pages = page_count(pdf)
    assert pages >= 3  # the fixture runs over several pages: the line must be on each
    for number in range(1, pages + 1):
        text = page_text(pdf, number)
        assert mark in text, f"page {number}"
        assert f"Page {number} of {pages}" in text
    final = site / QUARTER / "cover.pdf"  # the same report, not a draft: no DRAFT anywhere
    assert "DRAFT" not in pdf_text(final)

    # HTML: a banner in words (the colour is a cue only), before the report, outside <main>
    soup = BeautifulSoup((out / QUARTER / "cover.html").read_text(encoding="utf-8"), "html.parser")
    banner = soup.find(class_="draft-banner")
    assert banner is not None and banner.get("role") == "note"
    assert words(banner.get_text()) == mark
    assert banner.find_next("main") is soup.find("main")
    assert soup.find("h1").get_text().startswith("DRAFT: ")
    plain = BeautifulSoup(
        (site / QUARTER / "cover.html").read_text(encoding="utf-8"), "html.parser"
    )
    assert plain.find(class_="draft-banner") is None

    # Word: every page's header is the document's title (word.HEADER), which says DRAFT
    with zipfile.ZipFile(out / QUARTER / "cover.docx") as docx:
        assert "TITLE" in docx.read("word/header1.xml").decode()
        core = docx.read("docProps/core.xml").decode()
    assert f"<dc:title>DRAFT: {TITLE}</dc:title>" in core


def test_the_index_links_series_csv_as_open_data(tmp_path):
    # Finding 13: the points behind the charts are downloadable from the index.
    from qprlib.periods import Quarter
    from qprlib.pipeline import site_index

    folder = tmp_path / QUARTER
    folder.mkdir()
    (folder / "kpis.csv").write_text("id\nCS01\n", encoding="utf-8")
    (folder / "series.csv").write_text("ID,Period\nCS01,September 2023\n", encoding="utf-8")
    entry = site_index.quarter_entry(folder, Quarter.parse(QUARTER))
    (data,) = [item for item in entry["reports"] if item["heading"] == "Open data"]
    hrefs = {link["href"]: link["text"] for link in data["links"]}
    assert hrefs[f"{QUARTER}/series.csv"].startswith("Open data: every point charted in the")
    assert f"{QUARTER}/kpis.csv" in hrefs
