"""The site's "How this was produced" page: the build record the papers no longer carry."""

from dataclasses import dataclass, field

from bs4 import BeautifulSoup

from qprlib.produced import produced_page


@dataclass
class FakeReport:
    name: str
    title: str
    parameters: dict = field(default_factory=dict)


COVER = {
    "quarter": "2023/24 Q2",
    "author": "A – Leader\nB – Chief Executive",
    "git_commit": "abc1234",
    "data_hash": "f3da9f6",
    "run_time": "2026-12-03T11:42:41Z",
    "assessment_path": "x.json",
}
QPR = {
    "quarter": "2023/24 Q2",
    "dot_alpha": 0.05,
    "spc_screen_outliers": True,
    "git_commit": "abc1234",
    "data_hash": "f3da9f6",
    "run_time": "2026-12-03T11:43:00Z",
}
REPORTS = [
    FakeReport("cover", "Quarterly Performance Report, Quarter 2, 2023/24", COVER),
    FakeReport("qpr", "Appendix 1 – <QPR>", QPR),
]


def page() -> BeautifulSoup:
    text = produced_page(REPORTS, "Quarter 2, 2023/24", "2023/24 Q2", "Wealdshire", "body{}")
    return BeautifulSoup(text, "html.parser")


def test_the_page_records_code_data_run_time_and_each_reports_parameters():
    soup = page()
    assert soup.h1.get_text() == "How this was produced: Quarter 2, 2023/24"
    terms, values = [dt.get_text() for dt in soup("dt")], [dd.get_text() for dd in soup("dd")]
    record = dict(zip(terms, values, strict=True))
    assert record == {
        "Code version (git commit)": "abc1234",
        "Data version (SHA-256 of the data files)": "f3da9f6",
        "Run time (UTC)": "2026-12-03T11:43:00Z",  # the latest run
    }
    tables = soup("table")
    assert [t.caption.get_text() for t in tables] == [
        "Parameters of Quarterly Performance Report, Quarter 2, 2023/24",
        "Parameters of Appendix 1 – <QPR>",  # escaped data text, shown as typed
    ]
    cover = {r.th.get_text(): r.td.get_text() for r in tables[0].tbody("tr")}
    assert cover == {"quarter": "2023/24 Q2", "author": "A – Leader / B – Chief Executive"}
    qpr = {r.th.get_text(): r.td.get_text() for r in tables[1].tbody("tr")}
    assert qpr["spc_screen_outliers"] == "true" and qpr["dot_alpha"] == "0.05"
    assert 'qpr build "2023/24 Q2" --force' in soup.get_text()


def test_the_page_is_accessible_in_shape():
    soup = page()
    assert soup.html["lang"] == "en-GB" and soup.find("main", id="main")
    assert [h.name for h in soup(["h1", "h2"])] == ["h1", "h2", "h2"]
    assert all(th.get("scope") in ("col", "row") for th in soup("th"))
    assert soup.find("a", href="../index.html")
