"""The real sample quarter, built and rendered as a user does: `qpr build "2023/24 Q2" --to
html,pdf,docx` with the built-in engine on the committed data (the `sample_site` fixture in
conftest.py, built once in a temporary copy of the project).

Expected values are written from seed 001 (Kent CC Cabinet, 4 January 2024: Quarter 2,
2023/24) and data/README.md, never from the output. Sentences are checked only where seed 001
fixes their shape; otherwise the tests look for numbers and KPI names.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from tests.seed001 import SEED_001_REDS

# The xdist group of every test using `sample_site` (built once per run either way: conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sample-site")]

SLUG = "2023-24-q2"

# Seed 001, 2.2: counts, each with its change on the previous quarter.
SEED_RAG_LINES = [
    "15 are rated Green (one fewer than the previous Quarter)",
    "15 are rated Amber (four more than the previous Quarter)",
    "8 are rated Red (three fewer than the previous Quarter)",
]
# Seed 001, Summary.
SEED_SUMMARY = (
    "Of the 38 Key Performance Indicators (KPIs) contained within the QPR, 15 achieved target "
    "(Green), 15 achieved or exceeded the floor standard but did not meet target (Amber). "
    "8 KPIs did not meet the floor standard (Red)."
)
# Seed 001, 2.4 (it spells out "seven"; a digit is accepted too).
SEED_DIRECTION = re.compile(
    r"(seven|7) indicators show a positive trend \(three more than the previous Quarter\), "
    r"19 are stable or with no clear trend \(five fewer than the previous Quarter\), "
    r"and 12 are showing a negative trend \(two more than the previous Quarter\)"
)
SEED_REDS = SEED_001_REDS  # seed 001, 2.3: the Red KPIs under their service areas, in order
RED_LIST = [item for area, names in SEED_REDS.items() for item in (area, *names)]


def ids(prefix: str, last: int) -> list[str]:
    return [f"{prefix}{n:02d}" for n in range(1, last + 1)]


# data/README.md, "Directorates, service areas and indicators" (HT05 retired after 2022/23).
DIRECTORATE_KPIS = {
    "Chief Executive's Department": ids("CS", 4) + ids("GL", 3),
    "Growth, Environment and Transport": ids("GT", 4) + ids("HT", 4) + ids("WM", 3),
    "Children, Young People and Education": ids("CYPE", 10),
    "Adult Social Care and Health": ids("ASC", 6),
    "Public Health": ids("PH", 4),
}
DASHBOARDS = {  # docs/internals.md: directorate-<directorate-slug>
    "Chief Executive's Department": "directorate-chief-executives-department",
    "Growth, Environment and Transport": "directorate-growth-environment-and-transport",
    "Children, Young People and Education": "directorate-children-young-people-and-education",
    "Adult Social Care and Health": "directorate-adult-social-care-and-health",
    "Public Health": "directorate-public-health",
}
KPI_IDS = [id_ for group in DIRECTORATE_KPIS.values() for id_ in group]
ACTIVITY_ALERTS = {  # data/README.md, activity indicators at 2023/24 Q2
    "CSA01": "within", "CSA02": "below", "GLA01": "above", "GTA01": "within",
    "HTA01": "within", "HTA02": "within", "WMA01": "within", "CYPEA01": "above",
    "CYPEA02": "within", "ASCA01": "above", "ASCA02": "within", "PHA01": "below",
}  # fmt: skip
# data/README.md, the 38 KPIs' Q2 RAG and direction columns.
GREEN = ["CS04", "GT01", "GT02", "GT03", "GT04", "HT03", "HT04", "WM03", "CYPE09", "CYPE10",
         "ASC04", "ASC06", "PH01", "PH02", "PH03"]  # fmt: skip
AMBER = ["CS01", "CS03", "GL03", "HT01", "HT02", "WM01", "WM02", "CYPE05", "CYPE06", "CYPE07",
         "CYPE08", "ASC02", "ASC03", "ASC05", "PH04"]  # fmt: skip
RED = ["CS02", "GL01", "GL02", "CYPE01", "CYPE02", "CYPE03", "CYPE04", "ASC01"]
Q2_RAG = dict.fromkeys(GREEN, "Green") | dict.fromkeys(AMBER, "Amber") | dict.fromkeys(RED, "Red")
IMPROVING = ["CS01", "GT01", "GT04", "HT02", "CYPE06", "PH01", "PH03"]
WORSENING = ["GL01", "GL02", "HT01", "WM01", "WM02", "CYPE01", "CYPE02", "CYPE03", "CYPE05",
             "CYPE08", "ASC02", "ASC05"]  # fmt: skip
# data/README.md: the call-in list is the 8 Reds (none improving) and the 4 Green->Amber moves.
CALL_IN = [*RED, "HT01", "WM01", "CYPE08", "ASC05"]
KPIS_CSV_COLUMNS = [  # docs/internals.md, "Assessment"
    "quarter", "id", "name", "directorate", "service_area", "kind", "polarity", "unit",
    "frequency", "definition", "owner", "period_end", "value", "target", "floor", "lower",
    "upper", "rag", "previous_rag", "direction", "spc_variation", "spc_assurance",
    "spc_trial_limits", "activity_alert", "commentary", "action", "author", "call_in",
    "call_in_reason", "missing_action", "value_status",
    # comparators (issue 17): qprlib.compare.ASSESSMENT_COLUMNS, then commentary's risks
    "comparison", "comparator_group", "comparator_period", "comparator_count", "comparator_rank",
    "comparator_quartile", "comparator_mean", "comparator_median", "comparator_lower_quartile",
    "comparator_upper_quartile", "published_group", "published_period", "published_value",
    "comparator_value", "published_better", "risks",
]  # fmt: skip


def words(text: str) -> str:
    """Whitespace collapsed: lines wrap differently in HTML, PDF and Word."""
    return " ".join(text.split())


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def docx_paragraphs(path: Path) -> list[str]:
    """The Word document's paragraphs as text, in order."""
    with zipfile.ZipFile(path) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", document, flags=re.DOTALL)
    return [words(html.unescape(re.sub(r"<[^>]+>", "", p))) for p in paragraphs]


def soup(site: Path, report: str) -> BeautifulSoup:
    page = site / SLUG / f"{report}.html"
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def between(text: str, start: str, end: str) -> str:
    """The part of `text` after `start` and before the `end` that follows it."""
    assert start in text, start
    after = text.split(start, 1)[1]
    assert end in after, end
    return after.split(end, 1)[0]


def assert_in_order(text: str, items: list[str]) -> None:
    """Each item occurs in `text`, each after the one before."""
    position = 0
    for item in items:
        found = text.find(item, position)
        assert found >= 0, f"{item!r} not found after position {position}"
        position = found + len(item)


def kpi_names(sample_data) -> dict[str, str]:
    return sample_data.indicators.set_index("id")["name"].to_dict()


def spoken(element) -> str:
    """An element's text as a screen reader reads it: aria-hidden symbols (a RAG badge's
    shape, a direction arrow) left out."""
    parts = [
        str(text)
        for text in element.find_all(string=True)
        if not any(p.get("aria-hidden") == "true" for p in text.parents if p.name)
    ]
    return words("".join(parts))


def table_column(table, heading: str) -> list[str]:
    """One column of an HTML table's body, as a screen reader reads it, by its header cell."""
    headings = [words(th.get_text()) for th in table.find("thead").find_all("th")]
    index = headings.index(heading)
    rows = [  # every body: a grouped table has one per service area, under its heading row
        row
        for body in table.find_all("tbody")
        for row in body.find_all("tr")
        if not row.find("th", scope="rowgroup")
    ]
    return [spoken(row.find_all(["td", "th"])[index]) for row in rows]


@pytest.fixture(scope="module")
def cover_pdf(sample_site) -> str:
    return words(pdf_text(sample_site / SLUG / "cover.pdf"))


@pytest.fixture(scope="module")
def qpr_pdf(sample_site) -> str:
    return words(pdf_text(sample_site / SLUG / "qpr.pdf"))


# ---------------------------------------------------------------- the site


def test_every_report_is_published_in_its_formats(sample_site):
    names = {p.name for p in (sample_site / SLUG).iterdir()}
    expected = {"cover.html", "cover.pdf", "cover.docx", "qpr.html", "qpr.pdf", "kpis.csv"}
    expected |= {f"{slug}.{ext}" for slug in DASHBOARDS.values() for ext in ("html", "pdf")}
    assert expected <= names
    assert not [n for n in names if n.endswith(".docx") and n != "cover.docx"]  # cover only
    assert (sample_site / "index.html").is_file()


# ---------------------------------------------------------------- the cover report (seed 001)


def test_cover_html_says_seed_001s_counts_changes_and_directions(sample_site):
    text = words(soup(sample_site, "cover").get_text())
    assert SEED_SUMMARY in text
    assert "The QPR includes 38 Key Performance Indicators (KPIs)" in text  # 1.2
    assert "Of the 38 KPIs included in the report" in text  # 2.2
    for line in SEED_RAG_LINES:
        assert line in text
    assert SEED_DIRECTION.search(text), text


def test_cover_pdf_says_seed_001s_counts_changes_and_directions(cover_pdf):
    assert SEED_SUMMARY in cover_pdf
    for line in SEED_RAG_LINES:
        assert line in cover_pdf
    assert SEED_DIRECTION.search(cover_pdf), cover_pdf


def test_cover_docx_says_seed_001s_counts_changes_and_directions(sample_site):
    text = " ".join(docx_paragraphs(sample_site / SLUG / "cover.docx"))
    assert SEED_SUMMARY in text
    for line in SEED_RAG_LINES:
        assert line in text
    assert SEED_DIRECTION.search(text), text


def test_cover_html_lists_the_8_reds_under_their_service_areas(sample_site):
    page = soup(sample_site, "cover")
    intro = page.find(string=re.compile(r"The 8 indicators where the RAG rating is Red"))
    assert intro is not None
    areas = intro.find_parent(["p", "li"]).find_next("ul")
    nested = {
        words(item.find(string=True)): [words(li.get_text()) for li in item.ul.find_all("li")]
        for item in areas.find_all("li", recursive=False)
    }
    assert nested == SEED_REDS
    assert list(nested) == list(SEED_REDS)  # seed 001's order of service areas


def test_cover_pdf_lists_the_8_reds_under_their_service_areas(cover_pdf, sample_data):
    red_list = between(cover_pdf, "The 8 indicators where the RAG rating is Red", "2.4.")
    assert_in_order(red_list, RED_LIST)
    others = set(kpi_names(sample_data).values()) - {n for v in SEED_REDS.values() for n in v}
    assert [name for name in others if name in red_list] == []


def test_cover_docx_lists_the_8_reds_as_paragraphs_under_their_service_areas(sample_site):
    paragraphs = docx_paragraphs(sample_site / SLUG / "cover.docx")
    (start,) = [i for i, p in enumerate(paragraphs) if "RAG rating is Red" in p]
    assert paragraphs[start + 1 : start + 1 + len(RED_LIST)] == RED_LIST
    assert paragraphs[start + 1 + len(RED_LIST)].startswith("2.4.")


# ---------------------------------------------------------------- the corporate QPR


def test_every_kpi_and_activity_indicator_name_is_in_the_qpr_html(sample_site, sample_data):
    text = words(soup(sample_site, "qpr").get_text())
    names = kpi_names(sample_data)
    for id_ in [*KPI_IDS, *ACTIVITY_ALERTS]:
        assert names[id_] in text, id_
    assert names["HT05"] not in text  # retired after 2022/23


def test_every_kpi_and_activity_indicator_name_is_in_the_qpr_pdf(qpr_pdf, sample_data):
    names = kpi_names(sample_data)
    for id_ in [*KPI_IDS, *ACTIVITY_ALERTS]:
        assert names[id_] in qpr_pdf, id_
    assert names["HT05"] not in qpr_pdf


def test_qpr_table_rates_every_kpi_as_data_readme_says(sample_site, sample_data):
    table = soup(sample_site, "qpr").find("table", id="tbl-kpis")
    by_name = {name: id_ for id_, name in kpi_names(sample_data).items()}
    rated = dict(zip(table_column(table, "KPI"), table_column(table, "RAG"), strict=True))
    assert {by_name[name]: rag for name, rag in rated.items()} == Q2_RAG
    assert [by_name[name] for name in table_column(table, "KPI")] == KPI_IDS  # file order


def test_qpr_call_in_list_is_the_8_reds_and_the_4_green_to_amber(sample_site, sample_data):
    table = soup(sample_site, "qpr").find("table", id="tbl-call-in")
    names = kpi_names(sample_data)
    assert sorted(table_column(table, "KPI")) == sorted(names[id_] for id_ in CALL_IN)


def test_qpr_executive_summary_points_to_the_call_in_section_by_name(sample_site):
    # it said "see the last section", but the last section is About this report
    page = soup(sample_site, "qpr")
    heading = page.find("h2", id="executive-summary")
    summary = []
    for sibling in heading.find_next_siblings():
        if sibling.name == "h2":
            break
        summary.append(words(sibling.get_text()))
    summary = " ".join(summary)
    pointer = re.search(r"on the call-in list \(see the ([^)]+) section\)", summary)
    assert pointer, summary
    assert pointer[1] in [words(h.get_text()) for h in page.find_all("h2")]


# Tables in the A4 PDFs whose direction of travel column is narrow (tables.py widths).
TABLE_PDFS = ["qpr", *DASHBOARDS.values()]


@pytest.mark.parametrize("report", TABLE_PDFS)
def test_pdf_tables_keep_each_direction_arrow_on_the_line_of_its_word(sample_site, report):
    # A reviewer saw "↓ Worsening" wrap in a narrow PDF cell: the arrow alone on one line,
    # the word under it. tables.DIRECTION_WORDS: ↑ Improving, ↓ Worsening, → Stable or ...
    text = pdf_text(sample_site / SLUG / f"{report}.pdf")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert [line for line in lines if line in ("↑", "↓", "→")] == []
    assert [line for line in lines if re.search(r"(^| )[↑↓→] [A-Z][a-z]", line)]  # arrow, word


@pytest.mark.parametrize("report", TABLE_PDFS)
def test_pdf_tables_keep_each_value_on_the_line_of_its_unit(sample_site, report):
    # Narrowing the value columns once split "396 days" (CYPE10, days) into "396" over "days".
    lines = [line.strip() for line in pdf_text(sample_site / SLUG / f"{report}.pdf").splitlines()]
    split = [
        f"{number} / {unit}"
        for number, unit in zip(lines[:-1], lines[1:], strict=True)
        if re.fullmatch(r"[\d,.]+", number) and unit in ("day", "days")
    ]
    assert split == []


@pytest.mark.parametrize("directorate", list(DIRECTORATE_KPIS))
def test_dashboard_pdf_keeps_each_milestone_symbol_with_its_word(sample_site, directorate):
    # The milestones key wrapped as "... ? Uncertain, ✖" over "Off track" (seen in Public
    # Health's PDF); the table's status cells are symbol and word too (tables.STATUS_WORDS).
    text = pdf_text(sample_site / SLUG / f"{DASHBOARDS[directorate]}.pdf")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert [line for line in lines if re.search(r"(^|\s)[✔●?✖]$", line)] == []
    assert "✖ Off track" in words(text)


# ---------------------------------------------------------------- directorate dashboards


@pytest.mark.parametrize("directorate", list(DIRECTORATE_KPIS))
def test_each_directorate_dashboard_holds_exactly_its_kpis(sample_site, sample_data, directorate):
    page = soup(sample_site, DASHBOARDS[directorate])
    names = kpi_names(sample_data)
    mine = [names[id_] for id_ in DIRECTORATE_KPIS[directorate]]
    assert directorate in words(page.find("h1").get_text())
    dashboard = page.find("table", id="tbl-dashboard")
    assert table_column(dashboard, "KPI") == mine
    text = words(page.get_text())
    others = [n for d, group in DIRECTORATE_KPIS.items() if d != directorate for n in group]
    assert [id_ for id_ in [*others, "HT05"] if names[id_] in text] == []


@pytest.mark.parametrize("directorate", list(DIRECTORATE_KPIS))
def test_each_directorate_dashboard_pdf_names_its_kpis(sample_site, sample_data, directorate):
    text = words(pdf_text(sample_site / SLUG / f"{DASHBOARDS[directorate]}.pdf"))
    names = kpi_names(sample_data)
    for id_ in DIRECTORATE_KPIS[directorate]:
        assert names[id_] in text, id_


@pytest.mark.parametrize("directorate", list(DIRECTORATE_KPIS))
def test_dashboard_from_to_block_comes_before_its_contents_list(sample_site, directorate):
    # Seed 003 is a committee paper: From/To/Subject under the title, then the report; the
    # contents list used to sit above the From line, in HTML and PDF.
    page = soup(sample_site, DASHBOARDS[directorate])
    text = words(page.find("main").get_text())
    assert text.index("From:") < text.index("Contents") < text.index("Summary The")
    pdf = words(pdf_text(sample_site / SLUG / f"{DASHBOARDS[directorate]}.pdf"))
    assert pdf.index("From:") < pdf.index("Contents") < pdf.index("Summary The")


# ---------------------------------------------------------------- open data


@pytest.fixture(scope="module")
def kpis_csv(sample_site) -> pd.DataFrame:
    return pd.read_csv(sample_site / SLUG / "kpis.csv", dtype=str, keep_default_na=False)


def test_kpis_csv_has_the_documented_columns(kpis_csv):
    assert list(kpis_csv.columns) == KPIS_CSV_COLUMNS


def test_kpis_csv_ranks_the_council_among_its_comparators_as_defined(sample_site, repo_root):
    """Rank = 1 + the similar councils better than Wealdshire's own June 2023 figure (the
    latest comparator period before the quarter's end); quartile = ceil(4 x rank / 16);
    England's figure as published (README "Comparing with other councils")."""
    data = repo_root / "data"
    comparators = pd.read_csv(data / "comparators.csv")
    values = pd.read_csv(data / "values.csv").set_index(["id", "period_end"])["value"]
    polarity = pd.read_csv(data / "indicators.csv").set_index("id")["polarity"]
    june = comparators[comparators["period"] == "2023-06-30"]
    kpis = pd.read_csv(sample_site / SLUG / "kpis.csv")
    compared = kpis[kpis["comparison"].notna()].set_index("id")
    assert sorted(compared.index) == sorted(june["id"].unique())  # the 12, no others
    for id_, rows in june.groupby("id"):
        own = values[(id_, "2023-06-30")]
        sign = 1 if polarity[id_] == "higher" else -1
        others = rows.loc[rows["area_name"] != "England", "value"]
        rank = 1 + int((sign * others > sign * own).sum())
        quartile = -(-4 * rank // 16)
        row = compared.loc[id_]
        assert (row["comparator_rank"], row["comparator_count"]) == (rank, 16), id_
        assert row["comparator_quartile"] == quartile, id_
        assert row["published_value"] == rows.loc[rows["area_name"] == "England", "value"].item()
        assert row["comparison"].startswith(
            ["1st (best)", "2nd", "3rd", "4th (worst)"][quartile - 1]
        )


def test_kpis_csv_has_one_row_per_reported_indicator_in_file_order(kpis_csv):
    kpi = kpis_csv[kpis_csv["kind"] == "kpi"]
    assert list(kpi["id"]) == KPI_IDS  # the 38, each once, HT05 not among them
    assert sorted(kpis_csv.loc[kpis_csv["kind"] == "activity", "id"]) == sorted(ACTIVITY_ALERTS)
    assert len(kpis_csv) == 38 + 12
    assert set(kpis_csv["quarter"]) == {"2023/24 Q2"}


def test_kpis_csv_ratings_directions_and_call_in_are_data_readmes(kpis_csv):
    kpi = kpis_csv[kpis_csv["kind"] == "kpi"].set_index("id")
    assert kpi["rag"].to_dict() == Q2_RAG
    assert sorted(kpi.index[kpi["direction"] == "improving"]) == sorted(IMPROVING)
    assert sorted(kpi.index[kpi["direction"] == "worsening"]) == sorted(WORSENING)
    assert (kpi["direction"] == "stable").sum() == 19
    assert sorted(kpi.index[kpi["call_in"] == "True"]) == sorted(CALL_IN)
    activity = kpis_csv[kpis_csv["kind"] == "activity"].set_index("id")
    assert activity["activity_alert"].to_dict() == ACTIVITY_ALERTS
    assert set(activity["rag"]) == {""}  # activity indicators have no RAG


# --- issue 17: the headline trend and the call-in briefing -----------------------------------


def test_qpr_first_page_has_the_8_quarter_trend_from_the_data(sample_site):
    page = soup(sample_site, "qpr")
    trend = page.find("table", id="tbl-trend")
    rows = [[c.get_text(" ", strip=True) for c in r.find_all(["th", "td"])] for r in
            trend.find("tbody").find_all("tr")]  # fmt: skip
    assert len(rows) == 8 and rows[0][0] == "2021/22 Q3" and rows[-1][0] == "2023/24 Q2"
    assert rows[-1][1:] == ["15", "15", "8", "7", "19", "12"]  # seed 001
    assert rows[-2][1:] == ["16", "11", "11", "4", "24", "10"]  # seed 001's previous quarter


def test_the_call_in_briefing_is_built_in_html_and_pdf_for_the_called_in_kpis(
    sample_site, kpis_csv
):
    called = kpis_csv[kpis_csv["call_in"] == "True"]
    for text in (
        words(soup(sample_site, "briefing").get_text(" ")),
        words(pdf_text(sample_site / SLUG / "briefing.pdf")),
    ):
        assert "Performance Assurance Team – 11 December 2023" in text
        assert "The Performance Assurance Team called in 12 indicators" in text
        assert text.count("The indicator was called in because") == len(called) == 12
        # GL01: Amber last quarter, Red now, worsening (data/README.md)
        assert (
            "the RAG rating changed from Amber to Red in the latest Quarterly Performance Report"
            in text
        )
        assert "Decision of the Performance Assurance Team" in text


def _blank(words) -> bool:
    return pd.isna(words) or not str(words).strip()


def test_qpr_and_dashboard_tables_compare_in_words_with_a_labelled_column(sample_site, kpis_csv):
    """Issue 17: a Comparison column (header cell, each cell labelled for the stacked phone
    layout) holding kpis.csv's `comparison` words; a KPI without comparator figures: empty;
    a dashboard none of whose KPIs has comparator figures: no column."""
    kpis = kpis_csv[kpis_csv["kind"] == "kpi"]
    pages = {"qpr": kpis, **{p: kpis[kpis["directorate"] == d] for d, p in DASHBOARDS.items()}}
    seen = 0
    for name, shown_kpis in pages.items():  # a page's own KPIs: names repeat across directorates
        words = dict(zip(shown_kpis["name"], shown_kpis["comparison"], strict=True))
        soup = BeautifulSoup(
            (sample_site / SLUG / f"{name}.html").read_text("utf-8"), "html.parser"
        )
        table = soup.find("table", id="tbl-kpis" if name == "qpr" else "tbl-dashboard")
        heads = [" ".join(th.get_text().split()) for th in table.thead.find_all("th")]
        names = [" ".join(th.get_text().split()) for th in table.find_all("th", scope="row")]
        if all(_blank(words[n]) for n in names if n in words):  # none of its KPIs compared
            assert "Comparison" not in heads, name
            continue
        assert heads[-1] == "Comparison", name
        for tr in (tr for body in table.find_all("tbody") for tr in body.find_all("tr")):
            kpi = tr.find("th", scope="row")
            if kpi is None or not tr.find_all("td"):
                continue  # a service area's heading row
            cell = tr.find_all("td")[-1]
            assert cell["data-label"] == "Comparison"
            expected = words[" ".join(kpi.get_text().split())]
            shown = " ".join(cell.get_text().split())
            assert shown == ("" if _blank(expected) else " ".join(expected.split())), name
            seen += bool(shown)
    assert seen >= 12  # the 12 KPIs with comparators, in the QPR and again in the dashboards


def test_site_index_counts_the_quarter_from_its_kpis_csv(sample_site, kpis_csv):
    kpis = kpis_csv[kpis_csv["kind"] == "kpi"]
    valued = kpis[kpis["value"].notna()]
    soup = BeautifulSoup((sample_site / "index.html").read_text("utf-8"), "html.parser")
    table = soup.find("section", class_="headline-trend").find("table")
    heads = [th.get_text() for th in table.thead.find_all("th")]
    row = table.tbody.find("tr")
    counts = dict(zip(heads[1:], (int(td.get_text()) for td in row.find_all("td")), strict=True))
    assert row.th.get_text() == "Quarter 2, 2023/24"
    assert (counts["Green"], counts["Amber"], counts["Red"]) == (15, 15, 8)  # seed 001
    assert counts["Improving"] == (valued["direction"] == "improving").sum()
    assert counts["Worsening"] == (valued["direction"] == "worsening").sum()
