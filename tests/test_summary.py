"""Summary counts and the cover report's sentences (KCC Cabinet cover report, Q2 2023/24)."""

from pathlib import Path

import pandas as pd
import pytest

from qprlib.summary import (
    awaiting_commentary,
    cardinal,
    change_words,
    commentary_due,
    commentary_warnings,
    number_words,
    summarise,
)


def table(rags, directions, *, areas=None, names=None, kinds=None, call_in=None):
    """A minimal assessment table: the columns summarise() reads."""
    n = len(rags)
    return pd.DataFrame(
        {
            "id": [f"K{i:02d}" for i in range(n)],
            "name": names or [f"Indicator {i}" for i in range(n)],
            "service_area": areas or ["Area"] * n,
            "kind": kinds or ["kpi"] * n,
            "previous_rag": [None] * n,
            "rag": rags,
            "direction": directions,
            "call_in": call_in or [False] * n,
            "call_in_reason": [None] * n,
        }
    )


def quarter(green, amber, red, improving, stable, worsening):
    """A quarter of KPIs with these counts (RAG and direction drawn independently)."""
    rags = ["Green"] * green + ["Amber"] * amber + ["Red"] * red
    directions = ["improving"] * improving + ["stable"] * stable + ["worsening"] * worsening
    assert len(rags) == len(directions)
    return table(rags, directions)


# Seed 001: Q2 2023/24 has 15/15/8 (changes -1/+4/-3) and 7/19/12 (changes +3/-5/+2),
# so Q1 had 16/11/11 and 4/24/10.
SEED_Q2 = quarter(15, 15, 8, 7, 19, 12)
SEED_Q1 = quarter(16, 11, 11, 4, 24, 10)


@pytest.mark.parametrize(
    "delta, words",
    [
        (0, "no change"),
        (1, "one more"),
        (4, "four more"),
        (10, "ten more"),
        (11, "11 more"),  # digits above ten
        (-1, "one fewer"),
        (-3, "three fewer"),
        (-25, "25 fewer"),
    ],
)
def test_change_words(delta, words):
    assert change_words(delta) == words


def test_change_words_with_a_noun():
    assert change_words(2, "indicators") == "two more indicators"
    assert change_words(0, "indicators") == "no change"


@pytest.mark.parametrize(
    "n, words", [(1, "one"), (7, "seven"), (10, "ten"), (11, "11"), (19, "19")]
)
def test_number_words(n, words):
    assert number_words(n) == words


def test_counts_and_changes():
    summary = summarise(SEED_Q2, SEED_Q1)
    assert summary.kpi_count == 38
    assert summary.rag_counts == {"Green": 15, "Amber": 15, "Red": 8}
    assert summary.rag_changes == {"Green": -1, "Amber": 4, "Red": -3}
    assert summary.direction_counts == {"improving": 7, "stable": 19, "worsening": 12}
    assert summary.direction_changes == {"improving": 3, "stable": -5, "worsening": 2}


def test_seed_001_summary_paragraph():
    assert summarise(SEED_Q2, SEED_Q1).summary_paragraph() == (
        "Of the 38 Key Performance Indicators (KPIs) contained within the QPR, 15 achieved "
        "target (Green), 15 achieved or exceeded the floor standard but did not meet target "
        "(Amber). 8 KPIs did not meet the floor standard (Red)."
    )


def test_seed_001_rag_sentences():
    assert summarise(SEED_Q2, SEED_Q1).rag_sentences() == [
        "15 are rated Green (one fewer than the previous Quarter) – the target was achieved or "
        "exceeded.",
        "15 are rated Amber (four more than the previous Quarter) – performance achieved or "
        "exceeded the expected floor standard but did not meet target.",
        "8 are rated Red (three fewer than the previous Quarter) – performance did not meet the "
        "expected floor standard.",
    ]


def test_seed_001_direction_sentence():
    assert summarise(SEED_Q2, SEED_Q1).direction_sentence() == (
        "With regards to Direction of Travel, seven indicators show a positive trend (three more "
        "than the previous Quarter), 19 are stable or with no clear trend (five fewer than the "
        "previous Quarter), and 12 are showing a negative trend (two more than the previous "
        "Quarter)."
    )


def test_seed_001_red_intro():
    assert summarise(SEED_Q2, SEED_Q1).red_intro() == (
        "The 8 indicators where the RAG rating is Red, are in:"
    )


def test_no_change_is_said_so():
    summary = summarise(SEED_Q2, SEED_Q2)
    assert summary.rag_changes == {"Green": 0, "Amber": 0, "Red": 0}
    assert summary.rag_sentences()[0].startswith(
        "15 are rated Green (no change on the previous Quarter) – "
    )
    assert "seven indicators show a positive trend (no change on the previous Quarter)," in (
        summary.direction_sentence()
    )


def test_first_quarter_has_no_change_clauses():
    summary = summarise(SEED_Q2, None)
    assert summary.rag_changes is None
    assert summary.direction_changes is None
    assert summary.rag_sentences()[2] == (
        "8 are rated Red – performance did not meet the expected floor standard."
    )
    assert summary.direction_sentence() == (
        "With regards to Direction of Travel, seven indicators show a positive trend, 19 are "
        "stable or with no clear trend, and 12 are showing a negative trend."
    )
    assert "previous" not in " ".join(summary.rag_sentences())


def test_singular_counts():
    summary = summarise(quarter(1, 1, 1, 1, 1, 1), None)
    assert summary.direction_sentence() == (
        "With regards to Direction of Travel, one indicator shows a positive trend, one is "
        "stable or with no clear trend, and one is showing a negative trend."
    )
    assert summary.rag_sentences()[2].startswith("1 is rated Red –")
    assert summary.summary_paragraph().endswith("1 KPI did not meet the floor standard (Red).")


def test_zero_counts_read_naturally():
    summary = summarise(quarter(3, 0, 0, 0, 3, 0), None)
    assert summary.direction_sentence() == (
        "With regards to Direction of Travel, no indicators show a positive trend, three are "
        "stable or with no clear trend, and none are showing a negative trend."
    )
    assert summary.rag_counts == {"Green": 3, "Amber": 0, "Red": 0}


def test_activity_indicators_are_not_counted():
    current = table(
        ["Green", None, "Red"],
        ["improving", "increasing", "worsening"],
        kinds=["kpi", "activity", "kpi"],
    )
    summary = summarise(current, None)
    assert summary.kpi_count == 2
    assert summary.direction_counts == {"improving": 1, "stable": 0, "worsening": 1}


def test_kpi_without_a_direction_counts_as_no_clear_trend():
    # KCC's middle category is "stable or no clear trend"; too few points is no clear trend.
    summary = summarise(table(["Green", "Red"], ["improving", None]), None)
    assert summary.direction_counts == {"improving": 1, "stable": 1, "worsening": 0}


def test_unrated_kpis_are_mentioned():
    summary = summarise(table(["Green", None], ["stable", "stable"]), None)
    assert summary.rag_counts == {"Green": 1, "Amber": 0, "Red": 0}
    assert summary.summary_paragraph().endswith(" 1 KPI has no data for the quarter.")


def test_red_list_by_service_area_in_table_order():
    current = table(
        ["Red", "Green", "Red", "Red", "Red"],
        ["stable"] * 5,
        areas=[
            "Customer Services",
            "Adult Social Care",
            "Governance",
            "Customer Services",
            "Adult Social Care",
        ],
        names=["Complaints", "Reviews", "FOI", "Calls", "Assessments"],
    )
    red = summarise(current, None).red_by_service_area
    # Areas in the order they first appear in the table (indicators.csv order), even
    # Adult Social Care whose first indicator is Green; names in table order.
    assert list(red) == ["Customer Services", "Adult Social Care", "Governance"]
    assert red == {
        "Customer Services": ["Complaints", "Calls"],
        "Adult Social Care": ["Assessments"],
        "Governance": ["FOI"],
    }


def test_call_in_list():
    current = table(["Red", "Green", "Amber"], ["stable"] * 3, call_in=[True, False, True])
    call_in = summarise(current, None).call_in
    assert call_in["id"].tolist() == ["K00", "K02"]
    assert list(call_in.columns) == [
        "id", "name", "service_area", "previous_rag", "rag", "direction", "call_in_reason"
    ]  # fmt: skip


def test_summarise_does_not_change_its_inputs():
    before_q2, before_q1 = SEED_Q2.copy(deep=True), SEED_Q1.copy(deep=True)
    summarise(SEED_Q2, SEED_Q1)
    pd.testing.assert_frame_equal(SEED_Q2, before_q2)
    pd.testing.assert_frame_equal(SEED_Q1, before_q1)


def test_summary_is_frozen():
    summary = summarise(SEED_Q2, None)
    with pytest.raises(AttributeError):
        summary.kpi_count = 1


# ------------------------------------------------------------ seed 001 on the sample council


@pytest.fixture(scope="module")
def seed_summary(sample_data):
    from qprlib.assess import assess

    return summarise(assess(sample_data, "2023/24 Q2"), assess(sample_data, "2023/24 Q1"))


def test_sample_council_reproduces_seed_001_counts(seed_summary):
    assert seed_summary.kpi_count == 38
    assert seed_summary.rag_counts == {"Green": 15, "Amber": 15, "Red": 8}
    assert seed_summary.rag_changes == {"Green": -1, "Amber": 4, "Red": -3}
    assert seed_summary.direction_counts == {"improving": 7, "stable": 19, "worsening": 12}
    assert seed_summary.direction_changes == {"improving": 3, "stable": -5, "worsening": 2}


def test_sample_council_reproduces_seed_001_red_list(seed_summary):
    # Seed 001 paragraph 2.3 (its "(Fol)" is a typo for FOI).
    assert seed_summary.red_by_service_area == {
        "Customer Services": ["Percentage of complaints responded to within timescale"],
        "Governance and Law": [
            "Percentage of Freedom of Information Act (FOI) requests completed within 20 "
            "working days",
            "Percentage of Data Protection Act (DPA) Subject Access requests completed within "
            "statutory timescales",
        ],
        "Children, Young People and Education": [
            "Percentage of Education, Health Care Plans (EHCPs) issued within 20 weeks",
            "Percentage of annual EHCP reviews waiting over 12 months",
            "Percentage of pupils (with EHCP's) being placed in independent or out of county "
            "special schools",
            "Percentage of case holding posts filled by permanent qualified social workers",
        ],
        "Adult Social Care": ["Percentage of new Care Needs Assessments delivered within 28 days"],
    }
    assert list(seed_summary.red_by_service_area) == [
        "Customer Services",
        "Governance and Law",
        "Children, Young People and Education",
        "Adult Social Care",
    ]


def test_sample_council_reproduces_seed_001_sentences(seed_summary):
    assert seed_summary.summary_paragraph() == summarise(SEED_Q2, SEED_Q1).summary_paragraph()
    assert seed_summary.rag_sentences() == summarise(SEED_Q2, SEED_Q1).rag_sentences()
    assert seed_summary.direction_sentence() == (
        "With regards to Direction of Travel, seven indicators show a positive trend (three more "
        "than the previous Quarter), 19 are stable or with no clear trend (five fewer than the "
        "previous Quarter), and 12 are showing a negative trend (two more than the previous "
        "Quarter)."
    )
    assert seed_summary.red_intro() == "The 8 indicators where the RAG rating is Red, are in:"


def test_sample_council_calls_in_every_red_kpi_that_is_not_improving(seed_summary):
    # PAT's rule: every Red KPI without an improving direction is on the call-in list.
    called = seed_summary.call_in
    red = called.loc[called["rag"] == "Red"]
    assert len(red) == 8  # all eight Red KPIs of seed 001 are stable or worsening here
    assert set(called["call_in_reason"].str.split("; ").explode()) <= {
        "Red and worsening",
        "Red and not improving (stable or no clear trend)",
        "RAG worsened from Green to Amber",
        "RAG worsened from Amber to Red",
        "RAG worsened from Green to Red",
    }


# --- every sentence at counts 0, 1 and 2 (code review finding 3): grammar from the counts


def with_values(rags, directions, values):
    return table(rags, directions).assign(value=values)


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, "None are rated Red – performance did not meet the expected floor standard."),
        (1, "1 is rated Red – performance did not meet the expected floor standard."),
        (2, "2 are rated Red – performance did not meet the expected floor standard."),
    ],
)
def test_rag_sentence_at_zero_one_two(n, expected):
    summary = summarise(quarter(1, 0, n, 0, 1 + n, 0), None)
    assert summary.rag_sentences()[2] == expected
    assert summary.rag_sentences()[1].startswith("None are rated Amber – ")


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, "No KPIs are rated Red this Quarter."),
        (1, "The one indicator where the RAG rating is Red is in:"),
        (2, "The 2 indicators where the RAG rating is Red, are in:"),
    ],
)
def test_red_intro_at_zero_one_two(n, expected):
    assert summarise(quarter(1, 0, n, 0, 1 + n, 0), None).red_intro() == expected


@pytest.mark.parametrize(
    "green, amber, red, expected",
    [
        (0, 0, 0, "The QPR contains no Key Performance Indicators (KPIs) this Quarter."),
        (
            1,
            0,
            0,
            "The QPR contains one Key Performance Indicator (KPI): 1 achieved target (Green), "
            "none achieved or exceeded the floor standard but did not meet target (Amber). "
            "No KPIs are rated Red (below the floor standard).",
        ),
        (
            0,
            1,
            1,
            "Of the 2 Key Performance Indicators (KPIs) contained within the QPR, none achieved "
            "target (Green), 1 achieved or exceeded the floor standard but did not meet target "
            "(Amber). 1 KPI did not meet the floor standard (Red).",
        ),
        (
            0,
            0,
            2,
            "Of the 2 Key Performance Indicators (KPIs) contained within the QPR, none achieved "
            "target (Green), none achieved or exceeded the floor standard but did not meet "
            "target (Amber). 2 KPIs did not meet the floor standard (Red).",
        ),
    ],
)
def test_summary_paragraph_at_zero_one_two(green, amber, red, expected):
    n = green + amber + red
    assert summarise(quarter(green, amber, red, 0, n, 0), None).summary_paragraph() == expected


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, "no indicators show a positive trend, none are stable or with no clear trend, and "
            "none are showing a negative trend."),
        (1, "one indicator shows a positive trend, one is stable or with no clear trend, and "
            "one is showing a negative trend."),
        (2, "two indicators show a positive trend, two are stable or with no clear trend, and "
            "two are showing a negative trend."),
    ],
)  # fmt: skip
def test_direction_sentence_at_zero_one_two(n, expected):
    summary = summarise(quarter(n, n, n, n, n, n), None)
    assert summary.direction_sentence() == "With regards to Direction of Travel, " + expected


@pytest.mark.parametrize(
    "missing, unrated, no_direction",
    [
        (0, "", ""),
        (1, " 1 KPI has no data for the quarter.",
         " One KPI with no data this Quarter has no direction of travel."),
        (2, " 2 KPIs have no data for the quarter.",
         " Two KPIs with no data this Quarter have no direction of travel."),
    ],
)  # fmt: skip
def test_a_kpi_with_no_data_is_not_counted_as_no_clear_trend(missing, unrated, no_direction):
    # Finding 1: no value this quarter means no direction, not "stable or no clear trend".
    nan = float("nan")
    current = with_values(
        ["Green"] + [None] * missing,
        ["improving"] + [None] * missing,
        [90.0] + [nan] * missing,
    )
    summary = summarise(current, None)
    assert summary.direction_counts == {"improving": 1, "stable": 0, "worsening": 0}
    assert summary.summary_paragraph().endswith("(below the floor standard)." + unrated)
    assert summary.direction_sentence().endswith("negative trend." + no_direction)


def test_a_kpi_with_a_value_but_too_few_points_is_still_no_clear_trend():
    current = with_values(["Green", "Red"], ["improving", None], [90.0, 10.0])
    assert summarise(current, None).direction_counts == {
        "improving": 1,
        "stable": 1,
        "worsening": 0,
    }


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, "zero"), (1, "one"), (7, "seven"), (11, "eleven"), (19, "nineteen"),  # seed 003, 2.6
        (20, "twenty"), (31, "thirty-one"), (38, "thirty-eight"), (99, "ninety-nine"),
        (100, "one hundred"), (105, "one hundred and five"), (1000, "1,000"),
    ],
)  # fmt: skip
def test_cardinal_spells_numbers_as_seed_003(n, expected):
    # Seed 003: "The Dashboard includes thirty-one (31) KPIs"; "Green for nineteen indicators".
    assert cardinal(n) == expected


def test_commentary_is_due_for_amber_and_worsening_or_called_in_kpis():
    # Review finding 12: ASC02, CYPE05 and WM02 were Amber and worsening with no commentary.
    t = table(
        ["Amber", "Amber", "Green", "Red", "Amber", None],
        ["worsening", "stable", "worsening", "improving", "worsening", "worsening"],
        kinds=["kpi", "kpi", "kpi", "kpi", "kpi", "activity"],
        call_in=[False, True, False, False, False, False],
    ).assign(commentary=[None, "", None, None, "Recovering", None])
    assert commentary_due(t).tolist() == [True, True, False, False, True, False]
    assert awaiting_commentary(t)["id"].tolist() == ["K00", "K01"]  # K04 has its commentary
    lines = commentary_warnings(t, "2023/24 Q2")
    assert lines[0] == (
        "commentary.csv: K00 (Indicator 0) is Amber and worsening in 2023/24 Q2 but has no "
        "commentary; the reports say 'Commentary awaited'"
    )
    assert "K01 (Indicator 1) is on the call-in list" in lines[1] and len(lines) == 2


# --- the headline trend (issue 17) -------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from qprlib import io

    return io.load(Path(__file__).resolve().parents[1] / "data")


def test_headline_trend_recounts_assess_quarter_by_quarter(sample):
    """Each count is the quarter's own assessment counted from its definition: KPIs by RAG;
    KPIs with a value by direction, a value without a direction counted as stable ("stable
    or no clear trend"); KPIs without a value as no data."""
    from qprlib.assess import assess
    from qprlib.summary import headline_trend

    trend = headline_trend(sample, "2023/24 Q2")
    assert list(trend["quarter"]) == [
        "2021/22 Q3", "2021/22 Q4", "2022/23 Q1", "2022/23 Q2", "2022/23 Q3", "2022/23 Q4",
        "2023/24 Q1", "2023/24 Q2",
    ]  # fmt: skip
    for row in trend.itertuples(index=False):
        table = assess(sample, row.quarter)
        kpis = table[table["kind"] == "kpi"]
        valued = kpis[kpis["value"].notna()]
        assert row.kpis == len(kpis)
        for level in ("Green", "Amber", "Red"):
            assert getattr(row, level) == sum(r == level for r in kpis["rag"]), (row, level)
        assert row.no_data == kpis["value"].isna().sum()
        directions = [d if d is not None else "stable" for d in valued["direction"]]
        for word in ("improving", "stable", "worsening"):
            assert getattr(row, word) == directions.count(word), (row.quarter, word)


def test_headline_trend_ends_with_seed_001s_two_quarters(sample):
    from qprlib.summary import headline_trend

    trend = headline_trend(sample, "2023/24 Q2").set_index("quarter")
    counts = ["Green", "Amber", "Red", "improving", "stable", "worsening"]
    assert trend.loc["2023/24 Q2", counts].tolist() == [15, 15, 8, 7, 19, 12]
    assert trend.loc["2023/24 Q1", counts].tolist() == [16, 11, 11, 4, 24, 10]


def test_headline_trend_of_a_directorate_and_of_an_early_quarter(sample):
    from qprlib.summary import headline_trend

    whole = headline_trend(sample, "2023/24 Q2")
    parts = [
        headline_trend(sample, "2023/24 Q2", directorate=d)
        for d in sample.indicators["directorate"].unique()
    ]
    summed = sum(p.set_index("quarter")[["Green", "Amber", "Red"]] for p in parts)
    assert summed.equals(whole.set_index("quarter")[["Green", "Amber", "Red"]])
    early = headline_trend(sample, "2019/20 Q3")  # the data begin in 2019/20 Q1
    assert list(early["quarter"]) == ["2019/20 Q1", "2019/20 Q2", "2019/20 Q3"]


def test_trend_sentence():
    from qprlib.summary import trend_sentence, trend_table

    trend = trend_table({"2023/24 Q1": SEED_Q1, "2023/24 Q2": SEED_Q2})
    assert trend_sentence(trend) == (
        "Over the last 2 quarters (2023/24 Q1 to 2023/24 Q2), the number of KPIs rated Red "
        "went from 11 to 8 and the number of KPIs rated Green went from 16 to 15."
    )
    assert trend_sentence(trend.iloc[:1]) == ""


def test_comparison_sentence_counts_quartiles_and_better_than_england():
    from qprlib.summary import comparison_sentence

    t = table(["Green"] * 5, ["stable"] * 5).assign(
        comparator_group="similar councils",
        comparator_quartile=[1, 1, 3, None, 4],
        published_group="England",
        published_better=[True, False, True, None, False],
    )
    assert comparison_sentence(t) == (
        "Of the 4 KPIs with comparator data, two are in the best quartile of similar councils, "
        "one is in the third quartile and one is in the worst quartile; two are better than "
        "the England figure."
    )
    assert comparison_sentence(t.assign(comparator_quartile=None, published_better=None)) == ""
    assert comparison_sentence(table(["Green"], ["stable"])) == ""  # no comparison columns


def test_changes_are_over_the_kpis_both_quarters_report():
    """Issue 12: two directorates' returns outstanding made 'four fewer Red' out of missing
    figures. Four KPIs: A and B reported in both quarters, C and D (Red last quarter) not yet."""
    nan = float("nan")
    previous = with_values(["Green", "Amber", "Red", "Red"], ["stable"] * 4, [90.0] * 4)
    current = with_values(
        ["Amber", "Amber", None, None], ["worsening", "stable", None, None], [80, 80, nan, nan]
    )
    summary = summarise(current, previous)
    assert summary.compared_count == 2
    assert summary.rag_changes == {"Green": -1, "Amber": 1, "Red": 0}  # not "two fewer Red"
    assert summary.direction_changes == {"improving": 0, "stable": -1, "worsening": 1}
    assert summary.rag_sentences()[2].startswith(
        "None are rated Red (no change on the previous Quarter, of the 2 KPIs reported in both "
        "Quarters) – "
    )
    paragraph = summary.summary_paragraph()
    assert paragraph.endswith(
        " 2 KPIs have no data for the quarter. Changes on the previous Quarter are over the 2 "
        "KPIs reported in both Quarters."
    )
    assert "(one more than the previous Quarter, of the 2 KPIs reported in both Quarters)" in (
        summary.direction_sentence()
    )


def test_with_every_kpi_reported_in_both_quarters_the_sentences_are_as_before():
    quarter = with_values(["Green", "Red"], ["stable", "worsening"], [90.0, 10.0])
    summary = summarise(quarter, quarter)
    assert summary.compared_count is None
    assert "reported in both" not in summary.summary_paragraph() + summary.direction_sentence()
