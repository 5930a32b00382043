"""The HTML KPI tables' filter and sort (issue 17) in Debian's chromium, on the sample quarter
as `qpr build` makes it: filter by directorate, service area, RAG, direction and call-in,
sort, keyboard only, the count announced, no console errors, axe-core clean with the
controls on the page, and every KPI shown without JavaScript."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.test_browser import AXE, CHROMIUM, LAUNCH_ARGS, WCAG_TAGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("sample-site"),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} missing: apt-get install chromium"
    ),
    pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core missing"),
]
SLUG = "2023-24-q2"
ROWS = "#tbl-kpis tbody tr:not([hidden])"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def kpis(sample_site) -> pd.DataFrame:
    table = pd.read_csv(sample_site / SLUG / "kpis.csv")
    return table[table["kind"] == "kpi"]


class Page:
    """A page in a fresh context, collecting console errors and uncaught exceptions."""

    def __init__(self, browser, path: Path, javascript: bool = True):
        self.context = browser.new_context(java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri(), wait_until="load")

    def names(self) -> list[str]:
        return [s.text_content().strip() for s in self.page.query_selector_all(f"{ROWS} span.kpi")]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def qpr(browser, sample_site):
    page = Page(browser, sample_site / SLUG / "qpr.html")
    yield page
    assert page.errors == []  # no console error on any of the tests' actions
    page.close()


def test_filters_by_each_field_and_announces_the_count(qpr, kpis):
    status = qpr.page.locator(".kpi-filter-status").first
    assert status.get_attribute("role") == "status"
    assert status.get_attribute("aria-live") == "polite"
    assert status.text_content() == f"{len(kpis)} of {len(kpis)} KPIs shown"
    qpr.page.select_option("#tbl-kpis-filter-rag", "Red")
    reds = kpis[kpis["rag"] == "Red"]
    assert status.text_content() == f"{len(reds)} of {len(kpis)} KPIs shown"  # 8 of 38
    assert sorted(qpr.names()) == sorted(reds["name"])
    directorate = "Children, Young People and Education"
    qpr.page.select_option("#tbl-kpis-filter-directorate", directorate)
    both = reds[reds["directorate"] == directorate]
    assert sorted(qpr.names()) == sorted(both["name"]) and len(both) == 4
    qpr.page.click("text=Show every KPI")
    assert status.text_content() == f"{len(kpis)} of {len(kpis)} KPIs shown"
    qpr.page.select_option("#tbl-kpis-filter-callIn", "yes")
    assert sorted(qpr.names()) == sorted(kpis.loc[kpis["call_in"], "name"])
    qpr.page.select_option("#tbl-kpis-filter-callIn", "")
    qpr.page.select_option("#tbl-kpis-filter-direction", "Worsening")
    assert sorted(qpr.names()) == sorted(kpis.loc[kpis["direction"] == "worsening", "name"])
    qpr.page.select_option("#tbl-kpis-filter-direction", "")
    qpr.page.select_option("#tbl-kpis-filter-area", "Public Health")
    assert sorted(qpr.names()) == sorted(kpis.loc[kpis["service_area"] == "Public Health", "name"])


def test_sorts_by_a_column_both_ways_and_says_so(qpr, kpis):
    header = qpr.page.locator("#tbl-kpis thead th", has_text="Latest")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    by_value = kpis.sort_values("value", kind="stable")
    shown = qpr.names()
    values = kpis.set_index("name").loc[shown, "value"].tolist()
    assert values == sorted(values) and len(shown) == len(kpis)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    values = kpis.set_index("name").loc[qpr.names(), "value"].tolist()
    assert values == sorted(values, reverse=True)
    rag = qpr.page.locator("#tbl-kpis thead th", has_text="Previous RAG")
    assert rag.get_attribute("aria-sort") == "none"
    assert by_value["value"].notna().all()


def test_keyboard_only(qpr, kpis):
    qpr.page.focus("#tbl-kpis-filter-rag")
    qpr.page.keyboard.press("ArrowDown")  # All -> the first rating listed
    first = qpr.page.eval_on_selector("#tbl-kpis-filter-rag", "s => s.value")
    assert first in {"Green", "Amber", "Red"}
    expected = (kpis["rag"] == first).sum()
    assert qpr.page.locator(".kpi-filter-status").first.text_content().startswith(f"{expected} of")
    qpr.page.keyboard.press("Tab")  # on to the next control, then to a sort button
    assert qpr.page.evaluate("document.activeElement.tagName") in {"SELECT", "BUTTON"}
    qpr.page.focus("#tbl-kpis thead th:nth-child(2) button")
    qpr.page.keyboard.press("Enter")
    assert qpr.page.get_attribute("#tbl-kpis thead th:nth-child(2)", "aria-sort") == "ascending"


def test_without_javascript_every_kpi_is_shown_and_there_are_no_controls(
    browser, sample_site, kpis
):
    page = Page(browser, sample_site / SLUG / "qpr.html", javascript=False)
    assert page.page.locator(".kpi-filter").count() == 0
    assert len(page.names()) == len(kpis)
    page.close()


def test_dashboards_filter_too_and_pages_fetch_nothing(browser, sample_site):
    for path in sorted((sample_site / SLUG).glob("directorate-*.html")):
        page = Page(browser, path)
        requests = []
        page.page.on("request", lambda r, seen=requests: seen.append(r.url))
        page.page.reload(wait_until="load")
        status = page.page.locator(".kpi-filter-status")
        assert status.count() == 1, path
        total = len(page.page.query_selector_all("#tbl-dashboard tbody tr span.kpi"))
        assert status.text_content() == f"{total} of {total} KPIs shown"
        assert page.page.locator("#tbl-dashboard-filter-directorate").count() == 0  # one only
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
        assert page.errors == [], path
        page.close()


def test_axe_passes_with_the_controls_in_use(qpr):
    qpr.page.select_option("#tbl-kpis-filter-rag", "Red")
    qpr.page.locator("#tbl-kpis thead th", has_text="RAG").first.locator("button").click()
    qpr.page.add_script_tag(path=str(AXE))
    result = qpr.page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    assert len(result["passes"]) > 10
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]] == []
