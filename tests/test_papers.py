"""How each paper is addressed: titles with the quarter, appendices, the cover's style."""

from qprlib.papers import cover_notebook, display_title, footer_line, front_matter
from qprlib.params import RunParams
from qprlib.periods import Quarter

DIRECTORATES = ["Chief Executive's Department", "Public Health"]
PARAMS = RunParams(
    quarter=Quarter.parse("2023/24 Q2"), council="Wealdshire County Council", committee="Cabinet",
    meeting_date="2024-01-04", author="Alan Whitcombe – Leader of the Council",
    dashboards={"Public Health": {"committee": "Health Reform and Public Health Cabinet Committee",
                                  "meeting_date": "2023-12-05"}},
)  # fmt: skip


def test_kcc_qpr_is_the_covers_appendix_1_and_every_title_names_the_quarter():
    # Review, major 10 and minor 2: nothing was labelled Appendix 1; titles lacked the quarter.
    cover = front_matter("cover", PARAMS)
    assert cover["title"] == "Quarterly Performance Report, Quarter 2, 2023/24"
    assert cover["subtitle"] == "Report to Cabinet"
    assert cover["author"] == "Wealdshire County Council"  # not the From line again
    qpr = front_matter("qpr", PARAMS)
    assert qpr["title"] == "Appendix 1 – Quarterly Performance Report, Quarter 2, 2023/24"
    assert cover_notebook(PARAMS) == "cover"


def test_dashboard_subtitle_and_date_are_its_committees_not_the_qprs():
    # Review, blocker 2: the dashboards' subtitle read "Quarterly Performance Report — ...".
    own = front_matter("directorate-public-health", PARAMS, "Public Health", DIRECTORATES)
    assert own == {
        "title": "Public Health Directorate Dashboard, Quarter 2, 2023/24",
        "subtitle": "Report to Health Reform and Public Health Cabinet Committee",
        "date": "2023-12-05",
        "author": "Wealdshire County Council",
        "lang": "en-GB",
    }
    fallback = front_matter("directorate-ced", PARAMS, DIRECTORATES[0], DIRECTORATES)
    assert fallback["subtitle"] == "Report to Cabinet" and fallback["date"] == "2024-01-04"
    assert "Quarterly Performance Report" not in fallback["subtitle"]


def test_halton_cover_makes_each_dashboard_an_appendix_in_the_datas_order():
    halton = RunParams(**{**PARAMS.__dict__, "cover_style": "halton"})
    assert cover_notebook(halton) == "cover-halton"
    assert front_matter("cover", halton)["title"] == (
        "Directorate Performance Overview Reports, Quarter 2, 2023/24"
    )
    second = front_matter("directorate-public-health", halton, "Public Health", DIRECTORATES)
    assert second["title"] == "Appendix 2 – Public Health Directorate Dashboard, Quarter 2, 2023/24"
    qpr = front_matter("qpr", halton)
    assert qpr["title"] == "Quarterly Performance Report, Quarter 2, 2023/24"


def test_display_title_puts_the_appendix_above_and_keeps_the_quarter_on_one_line():
    appendix, shown = display_title("Appendix 1 – Quarterly Performance Report, Quarter 2, 2023/24")
    assert appendix == "Appendix 1"
    assert shown == "Quarterly Performance Report, Quarter\u00a02,\u00a02023/24"
    assert display_title("Public Health Directorate Dashboard") == (
        "",
        "Public Health Directorate Dashboard",
    )


def test_a_paper_footer_says_data_and_code_versions_only():
    # Review, blocker 1: "Produced 3 December 2026" on a paper for a 4 January 2024 meeting.
    assert footer_line("41b205fd4c0a", "f3da9f6134e1aa") == "Data version f3da9f6, code 41b205f."
    assert footer_line("not a git checkout", "f3da9f6134e1") == "Data version f3da9f6."
    assert footer_line("", "") == ""
