import itertools
import re

import pandas as pd
import pypandoc
import pytest

from qprlib import tables
from qprlib.tables import Cell, md_escape


def pandoc_html(markdown: str) -> str:
    return pypandoc.convert_text(markdown, "html", format="markdown")


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "a | b",
        "*not bold* and _not italic_",
        "[not a link](http://example.org)",
        "costs $5 and $6",
        "# not a heading",
        "@citation ^super^ ~sub~ `code` \\ backslash",
        "&amp; stays as typed",
        "1. not a list",
        "- not a bullet",
        "{.not-attributes}",
        "![not an image](x.png)",
    ],
)
def test_md_escape_shows_data_text_literally(text):
    html = pandoc_html(md_escape(text))
    expected = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert html == f"<p>{expected}</p>\n"


def test_md_escape_puts_newlines_on_one_line():
    assert md_escape("first line\nsecond\r\n\tthird") == "first line second third"


def test_md_escape_keeps_a_no_break_space():
    # the milestone key "✖ Off track" is joined by one: a caption must not lose it
    assert md_escape(" ✖\u00a0Off track \u2028 next ") == "✖\u00a0Off track next"


def test_status_key_joins_each_symbol_to_its_word():
    # Halton's key: symbol and word together; a line may break only between the entries
    assert tables.status_key() == (
        "✔\u00a0Complete, ●\u00a0On track, ?\u00a0Uncertain, ✖\u00a0Off track"
    )


def test_md_escape_of_missing_is_empty():
    assert md_escape(None) == ""
    assert md_escape(float("nan")) == ""


def test_md_escape_leaves_numbers_alone():
    assert md_escape("71.3%") == "71.3%"
    assert md_escape("£1.2m") == "£1.2m"


@pytest.mark.parametrize(
    "value, unit, expected",
    [
        (85.2, "percent", "85.2%"),
        (85, "percent", "85%"),
        (1234, "number", "1,234"),
        (1234.56, "number", "1,234.6"),
        (12.5, "days", "12.5 days"),
        (1, "days", "1 day"),
        (1_234_567, "currency", "£1.2m"),
        (12345, "currency", "£12,345"),
        (2.5e9, "currency", "£2.5bn"),
        (4.25, "rate", "4.2"),
        (None, "percent", "No data"),
        (float("nan"), "number", "No data"),
    ],
)
def test_format_value_by_unit(value, unit, expected):
    assert tables.format_value(value, unit) == expected


def small_table():
    rows = [
        ["Complaints <script>alert(1)</script>", tables.rag_cell("Red")],
        ["FOI | DPA requests", tables.rag_cell("Green")],
        ["Unrated\nindicator", tables.rag_cell(None)],
    ]
    return tables.table(["KPI", "RAG"], rows, "KPIs | Quarter 2", "tbl-small")


def test_markdown_has_header_rule_rows_and_caption_line():
    lines = small_table()._repr_markdown_().splitlines()
    assert lines[0] == "| KPI | RAG |"
    assert set(lines[1]) <= set("|:- ")
    assert lines[2].startswith("| Complaints \\<script\\>alert(1)\\</script\\> |")
    assert (
        lines[3] == '| FOI \\| DPA requests | [[●]{aria-hidden="true"}\\ Green]{.rag .rag-green} |'
    )
    assert lines[4] == "| Unrated indicator | [Not rated]{.rag .rag-none} |"
    assert lines[-1] == ": KPIs \\| Quarter 2 {#tbl-small}"


def test_pandoc_reads_the_markdown_as_a_captioned_table_with_rag_spans():
    html = pandoc_html(small_table()._repr_markdown_())
    assert '<table id="tbl-small">' in html
    assert "<caption>KPIs | Quarter 2</caption>" in html
    assert len(re.findall(r"<th[ >]", html)) == 2
    assert re.search(
        r'<span class="rag rag-red"><span\s+aria-hidden="true">✖</span>\u00a0Red</span>', html
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html


def test_pandoc_typst_gets_a_real_table():
    typ = pypandoc.convert_text(small_table()._repr_markdown_(), "typst", format="markdown")
    assert "#table(" in typ
    assert "table.header([KPI], [RAG]" in typ
    assert "caption: [KPIs | Quarter 2]" in typ


def test_html_repr_is_an_escaped_table_with_caption_and_column_headers():
    html = small_table()._repr_html_()
    assert html.startswith('<table class="qpr-table" id="tbl-small"><caption>KPIs | Quarter 2')
    assert html.count('<th scope="col">') == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert '<span class="rag rag-green"><span aria-hidden="true">●</span>&nbsp;Green</span>' in html


def test_direction_is_a_word_with_a_decorative_arrow():
    # the arrow is joined to its word by a no-break space (pandoc Markdown "\\ ", HTML &nbsp;):
    # in a narrow PDF cell "↓ Worsening" must not wrap into an arrow above a word
    cell = tables.direction_cell("improving")
    assert cell.markdown() == '[[↑]{aria-hidden="true"}\\ Improving]{.dot .dot-improving}'
    assert cell.html() == (
        '<span class="dot dot-improving"><span aria-hidden="true">↑</span>&nbsp;Improving</span>'
    )
    assert tables.direction_cell("stable").text == "Stable or no clear trend"
    assert tables.direction_cell(None).text == "Not enough data"


@pytest.mark.parametrize(
    "status, words",
    [
        ("complete", "✔ Complete"),
        ("on_track", "● On track"),
        ("uncertain", "? Uncertain"),
        ("off_track", "✖ Off track"),
    ],
)
def test_milestone_status_has_symbol_and_word(status, words):
    cell = tables.status_cell(status)
    assert f"{cell.icon} {cell.text}" == words
    assert f"status-{status.replace('_', '-')}" in cell.classes


def test_table_is_immutable_and_checks_its_shape():
    t = small_table()
    with pytest.raises(AttributeError):
        t.caption = "changed"
    with pytest.raises(ValueError, match="columns"):
        tables.table(["a", "b"], [["only one"]], "caption", "tbl-x")
    with pytest.raises(ValueError, match="tbl-"):
        tables.table(["a"], [["x"]], "caption", "not-an-id")


def test_rag_colours_have_accessible_text_contrast():
    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    def contrast(a, b):
        hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    for colours in [*tables.RAG_COLOURS.values(), tables.NO_RATING_COLOUR]:
        assert contrast(colours["text"], colours["fill"]) >= 4.5  # WCAG 1.4.3 text
        assert contrast(colours["mark"], "#ffffff") >= 3.0  # WCAG 1.4.11 graphics
    css = tables.rag_css()
    for name, colours in tables.RAG_COLOURS.items():
        assert f".rag-{name.lower()} {{ color: {colours['text']}" in css


def assessment():
    return pd.DataFrame(
        {
            "service_area": ["Customer Services", "Governance and Law"],
            "name": ["Complaints answered in time", "FOI requests in 20 days"],
            "unit": ["percent", "percent"],
            "value": [71.3, 88.0],
            "target": [85.0, 90.0],
            "floor": [75.0, 80.0],
            "lower": [float("nan")] * 2,
            "upper": [float("nan")] * 2,
            "rag": ["Red", "Amber"],
            "previous_rag": ["Amber", None],
            "direction": ["worsening", "stable"],
            "spc_variation": ["special_cause_concern", "common_cause"],
            "spc_assurance": ["consistent_fail", None],
            "activity_alert": [None, None],
            "call_in_reason": ["RAG worsened from Amber to Red", None],
        }
    )


def without_filter_data(text: str) -> str:
    """Markdown with the KPI cells' filter spans (tables.kpi_cells) reduced to their text."""
    return re.sub(r"\[([^\]]*)\]\{\.kpi [^}]*\}", r"\1", text)


def test_kpi_cells_carry_the_filters_data():
    (cell, _) = tables.kpi_cells(
        assessment().assign(directorate="Corporate", call_in=[True, False])
    )
    md = cell.markdown()
    assert md.startswith("[Complaints answered in time]{.kpi data-kpi=")
    assert 'data-directorate="Corporate"' in md and 'data-call-in="yes"' in md
    assert 'data-rag="Red"' in md and 'data-sort-rag="1"' in md  # Red sorts first
    quoted = tables.kpi_cells(assessment().assign(directorate='Say "no"', call_in=False))[0]
    assert 'data-directorate="Say \u201dno\u201d"' in quoted.markdown()  # a quote cannot end it
    assert 'data-directorate="Say &quot;no&quot;"' in quoted.html()  # escaped in HTML


def test_kpi_table_rows_and_words():
    a = assessment()
    t = tables.kpi_table(a, "Every KPI")
    md = without_filter_data(t._repr_markdown_())
    assert len(t) == 2
    assert "| Customer Services | Complaints answered in time | 71.3% | 85% | 75% |" in md
    red, amber = (tables.rag_cell(r).markdown() for r in ("Red", "Amber"))
    assert red == '[[✖]{aria-hidden="true"}\\ Red]{.rag .rag-red}'
    assert f"{red} | {amber}" in md
    assert "Worsening]{.dot .dot-worsening}" in md
    pd.testing.assert_frame_equal(a, assessment())  # the input is not changed


def test_dashboard_table_has_kccs_columns_and_one_trend():
    # review majors 3 and 9: no Previous RAG column, and SPC words beside the direction of
    # travel contradicted it for 14 of 38 KPIs; SPC now has its own section (report)
    t = tables.dashboard_table(assessment(), "Dashboard")
    assert t.columns == (
        "KPI", "Latest", "Target", "Floor standard", "RAG", "Previous RAG", "Direction of travel"
    )  # fmt: skip
    md = t._repr_markdown_()
    assert ".spc" not in md and "special cause" not in md.lower()
    assert "row-headers" in t.classes


def test_direction_arrow_follows_the_line_not_the_judgement():
    # review major 5: CYPE02 (lower is better) rose on its chart but read "↓ Worsening"
    assert tables.direction_cell("worsening", polarity="lower").icon == "↑"
    assert tables.direction_cell("improving", polarity="lower").icon == "↓"
    assert tables.direction_cell("improving", polarity="higher").icon == "↑"
    assert tables.direction_cell("worsening", polarity="higher").icon == "↓"
    assert tables.direction_cell("stable", polarity="lower").icon == "→"
    assert tables.direction_cell("worsening", polarity="lower").text == "Worsening"


def test_kpi_table_is_grouped_by_service_area_with_kpi_row_headers():
    # review major 8 / minor 9: the service area was repeated on every row
    t = tables.kpi_table(assessment(), "Every KPI")
    assert t.classes == ("grouped", "row-headers")
    assert ": Every KPI {#tbl-kpis .grouped .row-headers}" in t._repr_markdown_()


def test_milestones_table_dates_and_status():
    m = pd.DataFrame(
        {
            "objective": ["Digital services"],
            "milestone": ["Launch new website"],
            "due": [pd.Timestamp("2023-09-30")],
            "status": ["off_track"],
            "commentary": ["Supplier delay"],
        }
    )
    md = tables.milestones_table(m, "Milestones")._repr_markdown_()
    assert "| Digital services | Launch new website | 30 September 2023 |" in md
    assert '[[✖]{aria-hidden="true"}\\ Off track]{.status .status-off-track}' in md


def test_cell_without_classes_is_plain_escaped_text():
    assert Cell("a_b").markdown() == "a\\_b"
    assert Cell("a<b").html() == "a&lt;b"


# --- open data: CSV injection (OWASP "CSV Injection": =, +, -, @, tab and CR start a formula)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Calls answered = 85%", "Calls answered = 85%"),  # only the first character counts
        ("", ""),
    ],
)
def test_csv_safe_neutralises_text_a_spreadsheet_would_run(text, expected):
    frame = pd.DataFrame({"commentary": [text]})
    assert tables.csv_safe(frame)["commentary"].tolist() == [expected]


def test_csv_safe_leaves_numbers_dates_and_missing_values_alone():
    frame = pd.DataFrame(
        {
            "value": [-5.5, 3.0, float("nan")],
            "count": [-1, 0, 2],
            "period_end": pd.to_datetime(["2023-09-30", "2023-06-30", None]),
            "name": ["-Minus", None, "Plain"],
            "call_in": [True, False, True],
            "unit": pd.Series(["=1", "percent", pd.NA], dtype="string"),
        }
    )
    safe = tables.csv_safe(frame)
    pd.testing.assert_frame_equal(
        safe.drop(columns=["name", "unit"]), frame.drop(columns=["name", "unit"])
    )
    assert safe["name"].tolist() == ["'-Minus", None, "Plain"]
    assert safe["unit"].tolist()[:2] == ["'=1", "percent"]
    assert frame["name"].tolist() == ["-Minus", None, "Plain"]  # the argument is not changed
    written = safe.to_csv(index=False)
    assert "\n-5.5," in written and ",-1," in written  # negative numbers stay numbers


def test_latest_shows_a_value_status_where_set_and_a_gap_as_not_yet_available():
    a = assessment().assign(value_status=["provisional", None])
    a.loc[1, "value"] = float("nan")
    md = without_filter_data(tables.kpi_table(a, "Every KPI")._repr_markdown_())
    assert "| Complaints answered in time | 71.3% (provisional) | 85% |" in md
    assert "| FOI requests in 20 days | Not yet available | 90% |" in md
    for status in ("estimate", "revised"):
        shown = tables.dashboard_table(a.assign(value_status=[status, None]), "D")
        assert f"| 71.3% ({status}) |" in shown._repr_markdown_()


def _luminance(hex_colour: str) -> float:
    """WCAG 2.2 relative luminance, from the sRGB definition."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    darker, lighter = sorted((_luminance(a), _luminance(b)))
    return (lighter + 0.05) / (darker + 0.05)


def test_rag_fills_are_distinct_in_colour_and_in_greyscale():
    # review major 6: Amber and Red fills were 1.08:1 apart and all three one grey (0.72,
    # 0.73, 0.67), so a councillor scanning a 38-row table for Reds had to read every badge
    fills = {name: c["fill"] for name, c in tables.RAG_COLOURS.items()}
    for (a, fa), (b, fb) in itertools.combinations(fills.items(), 2):
        assert _contrast(fa, fb) >= 3, (a, b)
        assert abs(_luminance(fa) - _luminance(fb)) >= 0.15, (a, b)
        # greyscale printers use luma of the gamma-encoded channels: distinct there too
        luma = [
            sum(
                w * int(f[i : i + 2], 16) / 255
                for w, i in zip((0.299, 0.587, 0.114), (1, 3, 5), strict=True)
            )
            for f in (fa, fb)
        ]
        assert abs(luma[0] - luma[1]) >= 0.15, (a, b)


def test_rag_text_and_marks_meet_wcag_aa():
    for name, c in (tables.RAG_COLOURS | {"none": tables.NO_RATING_COLOUR}).items():
        assert _contrast(c["text"], c["fill"]) >= 4.5, name  # 1.4.3 text
        assert _contrast(c["mark"], "#ffffff") >= 3, name  # 1.4.11 chart marks on white


def test_rag_badge_carries_the_chart_markers_shape():
    # review major 6: a shape per status matching the chart markers (charts.RAG_MARKERS)
    from qprlib import charts

    glyph_for_marker = {"o": "●", "D": "◆", "X": "✖"}
    for rating, marker in charts.RAG_MARKERS.items():
        cell = tables.rag_cell(rating)
        assert cell.icon == glyph_for_marker[marker]
        assert cell.text == rating  # the word is still the content
    assert len(set(tables.RAG_SYMBOLS.values())) == 3


def test_trend_table_has_a_row_per_quarter_and_no_data_only_when_needed():
    trend = pd.DataFrame(
        [["2023/24 Q1", 38, 16, 11, 11, 0, 4, 24, 10], ["2023/24 Q2", 38, 15, 15, 7, 1, 7, 18, 12]],
        columns=["quarter", "kpis", "Green", "Amber", "Red", "no_data", "improving", "stable",
                 "worsening"],
    )  # fmt: skip
    md = tables.trend_table(trend, "Counts")._repr_markdown_()
    assert md.splitlines()[0] == (
        "| Quarter | Green | Amber | Red | No data | Improving | Stable or no clear trend | "
        "Worsening |"
    )
    assert "| 2023/24 Q2 | 15 | 15 | 7 | 1 | 7 | 18 | 12 |" in md
    without = tables.trend_table(trend.assign(no_data=0), "Counts")._repr_markdown_()
    assert "No data" not in without


# --- the comparison column (issue 17) -----------------------------------------------------


def compared():
    words = "2nd quartile of 16 similar councils; England 81.3% (June 2023)"
    return assessment().assign(comparison=[words, None], comparator_quartile=[2.0, float("nan")])


@pytest.mark.parametrize("make", [tables.kpi_table, tables.dashboard_table])
def test_comparison_column_in_words_only_with_comparator_figures(make):
    t = make(compared(), "KPIs")
    assert t.columns[-1] == "Comparison"
    assert [row[-1].text for row in t.rows] == [compared()["comparison"][0], ""]  # none: silent
    assert all(row[-1].classes == () for row in t.rows)  # words, not a colour
    assert len(t.widths) == len(t.columns) == len(t.align)
    before = make(assessment(), "KPIs")  # a council without comparators.csv: as before
    assert "Comparison" not in before.columns
    assert before == make(assessment().assign(comparison=None), "KPIs")


def test_comparison_sorts_by_quartile_best_first():
    (first, second) = tables.kpi_cells(compared().assign(directorate="C", call_in=False))
    assert dict(first.data)["sort-comparison"] == "2.0"
    assert dict(second.data)["sort-comparison"] == ""  # no figures: sorted last
    assert "sort-comparison" not in dict(tables.kpi_cells(assessment())[0].data)


def test_comparison_column_has_a_header_and_a_label_for_the_stacked_phone_layout():
    from pathlib import Path

    import qprlib

    lua = Path(qprlib.__file__).parent / "templates" / "qpr.lua"
    md = tables.kpi_table(compared(), "Every KPI")._repr_markdown_()
    html = pypandoc.convert_text(md, "html", format="markdown", filters=[str(lua)])
    assert re.search(r"<th[^>]*>Comparison</th>", html)
    assert 'data-label="Comparison"' in html  # qpr.css shows "Comparison: …" at 390 px
    assert "2nd quartile of 16 similar councils" in " ".join(html.split())
