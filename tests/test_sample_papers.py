"""The sample quarter's papers as a committee clerk puts them on an agenda (issue 13, part A;
`../shared/reviews/2026-12-sample-quarter.md`): no build record in a paper, each dashboard
addressed as seed 003, the cover's From lines and Appendix 1 as seed 001, commentary gaps said.

Expected values come from the seeds, params/2023-24-q2.yml and data/README.md, not the output.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.test_sample_report import (
    DASHBOARDS,
    SLUG,
    docx_paragraphs,
    pdf_text,
    soup,
    words,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sample-site")]

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ["cover", "qpr", *DASHBOARDS.values()]
# seed 003, 2.3 spells the count: "thirty-one (31) KPIs"; data/README.md gives each directorate's
KPI_COUNT_WORDS = {
    "Chief Executive's Department": "seven (7)",
    "Growth, Environment and Transport": "eleven (11)",
    "Children, Young People and Education": "ten (10)",
    "Adult Social Care and Health": "six (6)",
    "Public Health": "four (4)",
}
SEED_003_SECTIONS = [
    "Summary", "1. Introduction", "2. Directorate Dashboard", "3. Recommendation(s)",
    "4. Background Documents", "5. Contact details",
]  # fmt: skip
BUILD_RECORD = ["About this report", "Parameters of this run", "SHA-256", "git commit", "Run time"]


def sample_params() -> dict:
    return yaml.safe_load((ROOT / "params" / "2023-24-q2.yml").read_text(encoding="utf-8"))


def pdfinfo(path: Path) -> dict[str, str]:
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pairs = (line.partition(":") for line in done.stdout.splitlines())
    return {k.strip(): v.strip() for k, _, v in pairs}


def manifest(sample_site: Path) -> dict:
    import json

    build = sample_site.parent / "build" / SLUG / "manifest.json"
    return json.loads(build.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- no build record in a paper


@pytest.mark.parametrize("paper", PAPERS)
def test_no_paper_carries_the_build_record(sample_site, paper):
    # Review, blocker 1: each paper ended in "About this report" and a 16-row parameter table.
    commit = manifest(sample_site)["git_commit"]
    html = words(soup(sample_site, paper).find("main").get_text())
    pdf = words(pdf_text(sample_site / SLUG / f"{paper}.pdf"))
    for text in (html, pdf):
        assert [w for w in BUILD_RECORD if w in text] == []
        assert commit[:7] not in text or commit == "not a git checkout"


def test_cover_docx_carries_no_build_record(sample_site):
    text = " ".join(docx_paragraphs(sample_site / SLUG / "cover.docx"))
    assert [w for w in BUILD_RECORD if w in text] == []


@pytest.mark.skipif(not shutil.which("pdfinfo"), reason="needs poppler's pdfinfo")
def test_seed_001_cover_fits_on_two_a4_pages_as_the_kent_paper(sample_site):
    info = pdfinfo(sample_site / SLUG / "cover.pdf")
    assert int(info["Pages"]) <= 2
    assert info["Page size"].startswith("595.276 x 841.89")  # A4


@pytest.mark.parametrize("paper", PAPERS)
def test_a_paper_has_at_most_one_footer_line_of_versions(sample_site, paper):
    # "Produced 3 December 2026" sat oddly on a paper for a 4 January 2024 meeting.
    footer = soup(sample_site, paper).find("footer", class_="site-footer")
    lines = [] if footer is None else [p.get_text() for p in footer.find_all("p")]
    assert len(lines) <= 1
    assert [line for line in lines if "Produced" in line] == []
    assert "Produced" not in words(pdf_text(sample_site / SLUG / f"{paper}.pdf"))


def test_how_this_was_produced_is_a_page_of_the_site_linked_from_the_index(sample_site):
    index = soup_of(sample_site / "index.html")
    link = index.find("a", string=re.compile("How this was produced"))
    assert link is not None and link["href"] == f"{SLUG}/how-this-was-produced.html"
    page = words(soup_of(sample_site / SLUG / "how-this-was-produced.html").get_text())
    record = manifest(sample_site)
    assert record["git_commit"] in page and record["data_hash"] in page
    assert "dot_alpha" in page and "Quarter 2, 2023/24" in page


def soup_of(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# ---------------------------------------------------------------- dashboards as seed 003


@pytest.mark.parametrize("directorate", list(DASHBOARDS))
def test_each_dashboard_is_addressed_to_its_own_committee_with_a_recommendation(
    sample_site, directorate
):
    # Review, blocker 2: every dashboard was to Cabinet from the Leader, with no recommendation.
    own = sample_params()["dashboards"][directorate]
    page = soup(sample_site, DASHBOARDS[directorate])
    text = words(page.find("main").get_text())
    committee = own["committee"]
    people = [f"{p['name']} – {p['role']}" for p in own["from"]]
    assert f"To: {committee} – " in text
    assert "From: " + " ".join(people) in text
    assert f"Recommendation(s): The {committee} is asked to NOTE the report." in text
    for heading in SEED_003_SECTIONS:
        assert page.find(["h2"], string=heading), heading
    assert f"2.3. The Dashboard includes {KPI_COUNT_WORDS[directorate]} KPIs." in text
    assert own["background_documents"][0] in text
    assert own["contacts"][0].splitlines()[0] in text
    subtitle = words(page.find("p", class_="subtitle").get_text())
    assert subtitle == f"Report to {committee}"  # not "Quarterly Performance Report — ..."
    pdf = words(pdf_text(sample_site / SLUG / f"{DASHBOARDS[directorate]}.pdf"))
    assert "Recommendation(s)" in pdf and committee in pdf


def test_ced_dashboard_counts_read_as_seed_003(sample_site):
    # data/README.md: CED's 7 KPIs are CS04 Green; CS01, CS03, GL03 Amber; CS02, GL01, GL02 Red.
    text = words(soup(sample_site, DASHBOARDS["Chief Executive's Department"]).get_text())
    assert (
        "2.6. Within the report, of the 7 KPIs included, current performance is Green for one "
        "indicator, Amber for three indicators and Red for three indicators."
    ) in text
    # improving CS01; worsening GL01, GL02; the other four stable
    assert (
        "2.8. Net Direction of Travel for Quarter 2 was negative, with 1 KPI showing improvement "
        "and with 2 showing a negative trend; 4 are stable or with no clear trend."
    ) in text


def test_get_is_not_told_no_action_is_needed_while_kpis_worsen(sample_site):
    # Review, major 12: GET has no Reds but HT01, WM01 and WM02 are worsening (data/README.md).
    text = words(soup(sample_site, DASHBOARDS["Growth, Environment and Transport"]).get_text())
    assert "no management action is required" not in text
    no_reds = "No indicators are rated Red this Quarter; three indicators are showing a negative"
    assert no_reds in text


# ---------------------------------------------------------------- the cover and Appendix 1


def test_cover_from_lines_and_linked_appendix_1_as_seed_001(sample_site):
    page = soup(sample_site, "cover")
    people = [f"{p['name']} – {p['role']}" for p in sample_params()["author"]]
    block = page.find("strong", string="From:").parent
    lines = [words(line) for line in block.get_text("\n").split("\n") if line.strip()]
    assert lines[:3] == ["From:", people[0], people[1]]  # one person a line
    link = page.find("a", href="qpr.html")
    assert words(link.get_text()) == "Appendix 1 – Quarterly Performance Report, Quarter 2, 2023/24"
    qpr = soup(sample_site, "qpr")
    h1 = words(qpr.find("h1").get_text())  # "Appendix 1" on a line above the title
    assert h1 == "Appendix 1 Quarterly Performance Report, Quarter 2, 2023/24"
    assert "Quarter 2, 2023/24" in qpr.title.get_text()  # with several quarters open


def test_pdf_titles_name_the_quarter_and_do_not_break_inside_it(sample_site):
    # Review, major 10 and minor 2: the PDF H1 broke as "..., Quarter 2, / 2023/24".
    for paper in PAPERS:
        path = sample_site / SLUG / f"{paper}.pdf"
        assert "Quarter 2, 2023/24" in pdfinfo(path)["Title"], paper
        first = [" ".join(line.split()) for line in pdf_text(path).splitlines() if line.strip()]
        assert "2023/24" not in first[1:4], (paper, first[:5])  # no line holding only the year


def test_commentary_awaited_where_amber_and_worsening_kpis_have_none(sample_site, sample_data):
    # Review, major 12: ASC02, CYPE05 and WM02 are Amber and worsening with no commentary.
    names = sample_data.indicators.set_index("id")["name"]
    text = soup(sample_site, "qpr").get_text("\n")
    for id_ in ("ASC02", "CYPE05", "WM02"):
        section = text.split(names[id_], 2)[-1][:2500]
        assert "Commentary awaited." in section, id_


# ---------------------------------------------------------------- Word


def test_cover_docx_is_a4_with_page_numbers_and_headings_from_heading_1(sample_site):
    import zipfile

    with zipfile.ZipFile(sample_site / SLUG / "cover.docx") as docx:
        document = docx.read("word/document.xml").decode("utf-8")
        parts = "".join(
            docx.read(n).decode("utf-8") for n in docx.namelist() if re.match(r"word/footer", n)
        )
    size = dict(re.findall(r'w:([wh])="(\d+)"', re.search(r"<w:pgSz [^>]*>", document)[0]))
    assert size == {"w": "11906", "h": "16838"}  # A4 in twentieths of a point
    assert "PAGE" in parts  # a page-number field in the footer
    styles = re.findall(r'<w:pStyle w:val="(Heading\d)"', document)
    assert styles and styles[0] == "Heading1" and "Heading1" in styles
