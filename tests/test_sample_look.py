"""How the rendered sample quarter looks in print and on screen (issue 13, part B): the
review of the sample quarter (shared/reviews/2026-12-sample-quarter.md) found these on the
output, so each is checked on the output, built once by conftest's `sample_site`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sample-site")]

SLUG = "2023-24-q2"
PDFS = ["cover", "qpr"] + [
    f"directorate-{d}"
    for d in (
        "chief-executives-department",
        "growth-environment-and-transport",
        "children-young-people-and-education",
        "adult-social-care-and-health",
        "public-health",
    )
]


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} (poppler-utils) is needed: make system-deps", pytrace=False)
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=True)
    return done.stdout


def pdf(site: Path, report: str) -> str:
    return str(site / SLUG / f"{report}.pdf")


@pytest.mark.parametrize("report", PDFS)
def test_no_pdf_holds_a_raster_chart(sample_site, report):
    # review major 7: every chart was a 770x286 PNG at 112 ppi, soft beside the vector text
    listing = poppler("pdfimages", "-list", pdf(sample_site, report)).splitlines()
    assert listing[2:] == [], listing


def pages(site: Path, report: str) -> list[str]:
    """Each page's text (pdftotext puts a form feed between pages)."""
    return poppler("pdftotext", pdf(site, report), "-").split("\f")


@pytest.mark.parametrize("report", PDFS[1:])
def test_no_page_splits_a_kpi_from_its_chart(sample_site, report):
    # review major 4: every QPR page from 5 to 23 ended with a KPI heading and status line,
    # its chart, caption and commentary at the top of the next page
    for number, text in enumerate(pages(sample_site, report), start=1):
        text = " ".join(text.split())
        charts = [m.start() for m in re.finditer(r"Line chart of (?!activity indicator)", text)]
        if charts:
            assert "RAG:" in text[: charts[0]], f"page {number}: a chart without its KPI"


def test_qpr_has_a_key_to_ratings(sample_site):
    # review major 5: "Guidance" occurred 0 times in the QPR; nothing defined Amber or arrows
    text = " ".join(" ".join(pages(sample_site, "qpr")).split())
    assert "Key to ratings" in text
    assert "floor standard, the least that is acceptable" in text
    assert "whichever way the number moves" in text
    assert "expected range" in text


def html(site: Path, report: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(
        (site / SLUG / f"{report}.html").read_text(encoding="utf-8"), "html.parser"
    )


@pytest.mark.parametrize("report", PDFS[2:])
def test_dashboards_carry_previous_rag_and_one_trend_with_spc_apart(sample_site, report):
    # review majors 3 and 9: no Previous RAG; SPC words beside direction of travel
    page = html(sample_site, report)
    table = page.find("table", id="tbl-dashboard")
    headings = [th.get_text(" ", strip=True) for th in table.thead.find_all("th")]
    assert headings[:7] == [
        "KPI", "Latest", "Target", "Floor standard", "RAG", "Previous RAG", "Direction of travel"
    ] and headings[7:] in ([], ["Comparison"])  # issue 17: where some KPI is compared  # fmt: skip
    kpis = len(table.tbody.find_all("tr"))
    blocks = page.find_all(class_="kpi")  # pandoc makes a <section> of a div with a heading
    charted = [b for b in blocks if b.find("img", alt=re.compile("^Line chart of (?!activity)"))]
    assert len(charted) == kpis  # every KPI against target and floor ...
    spc = [b for b in charted if b.find("img", alt=re.compile("^Statistical process control"))]
    assert len(spc) == kpis  # ... with the SPC chart as its second panel
    for block in spc:
        assert "Statistical process control:" in block.get_text()
    text = page.get_text(" ")
    for jargon in ("p-value", "2.66", "sigma"):
        assert jargon not in text


@pytest.mark.parametrize("report", PDFS[1:])
def test_kpi_names_head_their_rows(sample_site, report):
    # review major 13: tables had column headers but no row headers
    for table in html(sample_site, report).find_all("table"):
        if table.get("id") in ("tbl-milestones", "tbl-parameters"):
            continue
        for row in table.tbody.find_all("tr"):
            first = row.find(["th", "td"])
            assert first.name == "th" and first.get("scope") in ("row", "rowgroup"), row


def test_every_kpi_table_groups_rows_by_service_area(sample_site, sample_data):
    # review major 8, minor 9: "Service area" was repeated on every row of the Every KPI table
    table = html(sample_site, "qpr").find("table", id="tbl-kpis")
    assert "Service area" not in [th.get_text(strip=True) for th in table.thead.find_all("th")]
    groups = [th.get_text(strip=True) for th in table.find_all("th", scope="rowgroup")]
    kpis = sample_data.indicators.loc[sample_data.indicators["kind"] == "kpi"]
    assert groups == list(dict.fromkeys(kpis["service_area"]))


@pytest.mark.parametrize("report", PDFS[1:])
def test_every_chart_has_its_data_under_show_the_data(sample_site, report):
    # review major 13: no chart had a data table alternative
    page = html(sample_site, report)
    for figure in page.find_all("figure"):
        if not figure.find("img"):
            continue
        following = figure.find_next_sibling()
        if (
            following is not None
            and following.name == "div"
            and "table-wrap" in following.get("class", [])
        ):
            continue  # a chart followed by its own table of counts (the eight-quarter trend)
        assert following is not None and following.name == "details", figure.img["alt"][:60]
        assert following.summary.get_text(strip=True) == "Show the data"
        table = following.find("table")
        assert table.caption.get_text().startswith("Data for the")
        assert len(table.find("tbody").find_all("tr")) >= 1
