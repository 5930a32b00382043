"""The rendered pages in a real browser: axe-core finds no WCAG 2.2 A/AA violation, pages draw,
nothing is fetched from outside, no script runs from commentary, narrow screens do not scroll
sideways. Uses Debian's chromium and axe-core from npm (scripts/install-system-deps.sh).

Two sites are checked: one rendered here from the fixture notebook (hostile commentary), and
the real sample quarter as `qpr build` makes it (the fixture `sample_site` in conftest.py,
built once per test run and shared with test_sample_report.py).
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from qprlib import render

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
FIXTURE = Path(__file__).parent / "fixtures" / "executed" / "2023-24-q2" / "cover.ipynb"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("sample-site"),  # the group of the `sample_site` fixture
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} missing: apt-get install chromium"
    ),
    pytest.mark.skipif(
        not AXE.exists(), reason="node_modules/axe-core missing: run scripts/install-system-deps.sh"
    ),
]


@pytest.fixture(scope="module")
def sites(tmp_path_factory, sample_site) -> list[Path]:
    """The fixture's site and the real sample quarter's site."""
    root = tmp_path_factory.mktemp("browser")
    quarter = root / "build" / "2023-24-q2"
    quarter.mkdir(parents=True)
    for name in ("cover", "directorate-adult-social-care"):
        shutil.copy(FIXTURE, quarter / f"{name}.ipynb")
    (quarter / "kpis.csv").write_text("id,rag\nCS01,Red\n", encoding="utf-8")
    site = root / "_site"
    reports = ["cover", "directorate-adult-social-care"]
    assert render.render_quarter(quarter, site, reports, ("html", "pdf"), "builtin") == []
    return [site, sample_site]


@pytest.fixture(scope="module")
def site(sites) -> Path:
    return sites[0]


def _pages(sites: list[Path]) -> list[Path]:
    return [
        page for site in sites for page in [site / "index.html", *sorted(site.glob("*/*.html"))]
    ]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


class Visit:
    """One page loaded in a fresh context, with what it asked the network for and any dialog."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri(), wait_until="load")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


def test_sites_have_the_pages_to_check(sites):
    fixture, sample = ({p.relative_to(s).as_posix() for p in _pages([s])} for s in sites)
    assert {"index.html", "2023-24-q2/cover.html"} <= fixture
    dashboards = {  # one per directorate of the sample council (data/README.md)
        f"2023-24-q2/directorate-{slug}.html"
        for slug in (
            "chief-executives-department", "growth-environment-and-transport",
            "children-young-people-and-education", "adult-social-care-and-health",
            "public-health",
        )
    }  # fmt: skip
    assert sample == {
        "index.html", "2023-24-q2/cover.html", "2023-24-q2/qpr.html", "2023-24-q2/briefing.html",
        "2023-24-q2/how-this-was-produced.html", *dashboards,
    }  # fmt: skip


def axe(browser, path: Path) -> dict:
    """axe-core's results for the page at `path`, WCAG 2.0-2.2 A and AA rules only."""
    visit = Visit(browser, path)
    visit.page.add_script_tag(path=str(AXE))
    result = visit.page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    visit.close()
    return result


def test_axe_finds_violations_when_there_are_some(browser, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<html><body><img src="x.png"><a href="#"></a></body></html>')
    ids = {v["id"] for v in axe(browser, page)["violations"]}
    assert {"html-has-lang", "image-alt", "link-name"} <= ids


def test_every_page_passes_axe_wcag_22_aa(sites, browser):
    problems = []
    for path in _pages(sites):
        result = axe(browser, path)
        assert len(result["passes"]) > 10, path  # axe ran its rules on the page
        for violation in result["violations"]:
            targets = [" ".join(node["target"]) for node in violation["nodes"]][:5]
            problems.append(
                f"{path}: {violation['id']} ({violation['impact']}): "
                f"{violation['help']} at {targets}"
            )
    assert problems == [], "\n".join(problems)


def test_pages_draw_and_fetch_nothing_from_outside(sites, browser, tmp_path):
    for path in _pages(sites):
        visit = Visit(browser, path)
        shot = tmp_path / f"{path.parent.parent.name}-{path.parent.name}-{path.stem}.png"
        height = visit.page.evaluate("document.body.scrollHeight")
        visit.page.screenshot(path=str(shot), full_page=height < 15000)  # long pages: slow
        width, height = struct.unpack(">II", shot.read_bytes()[16:24])  # PNG IHDR
        assert width > 0 and height > 400, (path, width, height)
        assert height > 400
        outside = [url for url in visit.requests if not url.startswith(("file:", "data:"))]
        assert outside == [], (path, outside)
        visit.close()


def test_hostile_commentary_opens_no_dialog_and_runs_no_script(site, browser):
    visit = Visit(browser, site / "2023-24-q2" / "cover.html")
    visit.page.wait_for_timeout(300)
    assert visit.dialogs == []
    assert visit.page.evaluate("document.scripts.length") == 0
    text = visit.page.inner_text("main")
    assert "<script>alert(1)</script>" in text and "<script>alert(2)</script>" in text
    visit.close()


def test_narrow_screens_scroll_tables_not_the_page(sites, browser):
    for path in _pages(sites):
        visit = Visit(browser, path, width=360, height=740)
        overflow = visit.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, (path, overflow)
        visit.close()


def test_narrow_screens_show_each_table_caption_whole(sites, browser):
    # A wide table scrolls sideways; its caption used to be as wide as the table, so on a
    # phone "Every KPI, Quarter 2, 2023/24: RAG r" was cut at the screen's edge.
    for path in _pages(sites):
        visit = Visit(browser, path, width=360, height=740)
        cut = visit.page.evaluate(
            """() => [...document.querySelectorAll('.table-wrap caption')].filter(c => {
                 const wrap = c.closest('.table-wrap').getBoundingClientRect();
                 return c.getBoundingClientRect().right > wrap.right + 1;
               }).map(c => c.textContent)"""
        )
        assert cut == [], (path, cut)
        visit.close()


def test_keyboard_focus_is_visible_on_links_and_table_regions(site, browser):
    visit = Visit(browser, site / "2023-24-q2" / "cover.html")
    seen = set()
    for _ in range(40):
        visit.page.keyboard.press("Tab")
        focused = visit.page.evaluate(
            """() => { const e = document.activeElement; const s = getComputedStyle(e);
                 return {tag: e.tagName, cls: e.className, outline: s.outlineStyle,
                         shadow: s.boxShadow}; }"""
        )
        if focused["tag"] == "BODY":
            continue
        assert focused["outline"] != "none" or focused["shadow"] != "none", focused
        seen.add("region" if "table-wrap" in focused["cls"] else focused["tag"])
    assert {"A", "region"} <= seen
    visit.close()
