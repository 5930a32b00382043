import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qprlib import io, report, tables
from qprlib.assess import assess
from qprlib.errors import ParamsError
from qprlib.io import QprData
from qprlib.periods import Quarter
from qprlib.summary import number_words

DATA = Path(__file__).resolve().parent.parent / "data"
MONTHS = pd.date_range("2021-04-30", "2023-09-30", freq="ME")
FLAT = np.tile([0.4, -0.4], len(MONTHS) // 2 + 1)[: len(MONTHS)]  # no trend, small noise


def series(level: float, last: float, previous_quarter_end: float) -> np.ndarray:
    """Monthly values around `level`, with June 2023 and September 2023 set (quarter ends)."""
    values = level + FLAT
    values[MONTHS.get_loc(pd.Timestamp("2023-06-30"))] = previous_quarter_end
    values[-1] = last
    return values


def small_council() -> QprData:
    """Four KPIs and one activity indicator; ratings chosen by the KCC rule (see each line)."""
    indicators = pd.DataFrame(
        [
            (
                "C1",
                "Complaints answered *in time*",
                "Corporate",
                "Customer Services",
                "kpi",
                "higher",
            ),
            ("C2", "Calls answered", "Corporate", "Customer Services", "kpi", "higher"),
            ("G1", "FOI requests | in 20 days", "Corporate", "Governance and Law", "kpi", "higher"),
            ("A1", "Assessments waiting", "Adults", "Adult Social Care", "kpi", "lower"),
            ("A2", "Referrals received", "Adults", "Adult Social Care", "activity", "none"),
        ],
        columns=["id", "name", "directorate", "service_area", "kind", "polarity"],
    ).assign(unit="percent", frequency="monthly", definition="", owner="")
    indicators.loc[indicators["id"].isin(["A1", "A2"]), "unit"] = "number"
    targets = pd.DataFrame(
        [
            (id_, year, target, floor, lower, upper)
            for year in ("2021/22", "2022/23", "2023/24")
            for id_, target, floor, lower, upper in [
                ("C1", 85.0, 75.0, np.nan, np.nan),
                ("C2", 90.0, 80.0, np.nan, np.nan),
                ("G1", 90.0, 80.0, np.nan, np.nan),
                ("A1", 100.0, 150.0, np.nan, np.nan),
                ("A2", np.nan, np.nan, 900.0, 1100.0),
            ]
        ],
        columns=["id", "year", "target", "floor", "lower", "upper"],
    )
    values = {
        "C1": series(80, last=71.3, previous_quarter_end=80),  # Red now, Amber before
        "C2": series(92, last=92, previous_quarter_end=92),  # Green both quarters
        "G1": series(85, last=85, previous_quarter_end=95),  # Amber now, Green before
        "A1": series(160, last=160, previous_quarter_end=160),  # Red both (lower is better)
        "A2": series(1000, last=1200, previous_quarter_end=1000),  # above the expected range
    }
    values = pd.DataFrame(
        [
            (id_, month, v)
            for id_, vs in values.items()
            for month, v in zip(MONTHS, vs, strict=True)
        ],
        columns=["id", "period_end", "value"],
    )
    commentary = pd.DataFrame(
        [
            ("C1", "2023/24 Q2", "<script>alert(1)</script> staff | sickness", "Recruit two",
             "Head of CS"),
            ("A1", "2023/24 Q2", "Demand rose", None, "Head of ASC"),
        ],
        columns=["id", "quarter", "commentary", "action", "author"],
    )  # fmt: skip
    milestones = pd.DataFrame(
        [
            ("Corporate", "Digital", "Website live", "2023-09-30", "2023/24 Q2", "complete", "Ok"),
            ("Corporate", "Digital", "Online payments", "2024-03-31", "2023/24 Q2", "off_track",
             "Supplier *late*"),
            ("Adults", "Care", "New care homes", "2024-03-31", "2023/24 Q2", "on_track", ""),
        ],
        columns=["directorate", "objective", "milestone", "due", "quarter", "status", "commentary"],
    ).assign(due=lambda m: pd.to_datetime(m["due"]))  # fmt: skip
    return QprData(indicators, targets, values, commentary, milestones, Path("."), "abc123")


@pytest.fixture(scope="module")
def ctx():
    return report.context(
        small_council(),
        "2023/24 Q2",
        parameters={"committee": "Cabinet", "meeting_date": "2024-01-04"},
        provenance={"git_commit": "deadbeef", "data_hash": "abc123", "run_time": "now"},
    )


@pytest.fixture(scope="module")
def adults():
    return report.context(small_council(), "2023/24 Q2", parameters={"directorate": "Adults"})


def markdown(output) -> str:
    return output._repr_markdown_()


def without_filter_data(text: str) -> str:
    """Markdown with the KPI cells' filter spans (tables.kpi_cells) reduced to their text."""
    return re.sub(r"\[([^\]]*)\]\{\.kpi [^}]*\}", r"\1", text)


def headings(text: str) -> list[int]:
    return [len(m[1]) for m in re.finditer(r"^(#+) ", text, flags=re.MULTILINE)]


def test_cover_summary_counts(ctx):
    text = markdown(report.cover_summary(ctx))
    assert "to the end of September 2023 (Quarter 2, 2023/24)." in text
    assert (
        "Of the 4 Key Performance Indicators (KPIs) contained within the QPR, 1 achieved target "
        "(Green), 1 achieved or exceeded the floor standard but did not meet target (Amber). "
        "2 KPIs did not meet the floor standard (Red)."
    ) in text
    assert (
        "**Recommendation(s):** Cabinet is asked to NOTE the Quarter 2 Performance Report" in text
    )


def test_cover_performance_lists_counts_with_change_and_reds_by_area(ctx):
    text = markdown(report.cover_performance(ctx))
    assert "- 1 is rated Green (one fewer than the previous Quarter) – the target" in text
    assert "- 1 is rated Amber (no change on the previous Quarter)" in text
    assert "- 2 are rated Red (one more than the previous Quarter)" in text
    assert (
        "2.3. The 2 indicators where the RAG rating is Red, are in:\n\n"
        "- Customer Services\n    - Complaints answered \\*in time\\*\n"
        "- Adult Social Care\n    - Assessments waiting\n"
    ) in text
    assert "2.4. With regards to Direction of Travel," in text


def test_cover_introduction_and_header(ctx):
    text = markdown(report.cover_introduction(ctx))
    assert "includes data up to the end of September 2023." in text
    assert "1.2. The QPR includes 4 Key Performance Indicators (KPIs)" in text
    assert "**To:** Cabinet – 4 January 2024" in markdown(report.cover_header(ctx))


def test_kpi_table_has_every_kpi_with_previous_rag(ctx):
    text = markdown(report.kpi_table(ctx))
    assert len(re.findall(r"^\| (Customer|Governance|Adult)", text, flags=re.MULTILINE)) == 4
    # the KPI cell carries the HTML filter's data (tables.kpi_cells); its text is the name
    assert re.search(
        r"\| Customer Services \| \[Complaints answered \\\*in time\\\*\]\{\.kpi data-kpi=\"C1\" "
        r"[^}]*\} \| 71\.3% \| 85% \| 75% \|",
        text,
    )
    red, amber = (tables.rag_cell(r).markdown() for r in ("Red", "Amber"))
    assert red == '[[✖]{aria-hidden="true"}\\ Red]{.rag .rag-red}'
    assert f"{red} | {amber}" in text


def test_service_areas_escape_commentary_and_say_when_action_is_missing(ctx):
    text = markdown(report.service_areas(ctx))
    assert "### Customer Services" in text and "#### Calls answered" in text
    assert "\\<script\\>alert(1)\\</script\\> staff \\| sickness" in text
    assert "<script>" not in text
    assert "**Management action:** Recruit two" in text
    assert "**Management action:** none has been recorded for this Quarter." in text  # A1
    assert text.count("](data:image/svg+xml;base64,") == 4


def test_activity_and_call_in(ctx):
    activity = markdown(report.activity_table(ctx))
    assert "| Referrals received | 1,200 | 900 to 1,100 | [Above range]" in activity
    call_in = markdown(report.call_in(ctx))
    assert "RAG worsened from Amber to Red" in call_in  # C1
    assert "RAG worsened from Green to Amber" in call_in  # G1
    assert "Calls answered" not in call_in


def test_directorate_sections_are_filtered(adults):
    assert markdown(report.dashboard(adults)).count("| [Assessments waiting]{.kpi ") == 1
    text = markdown(report.dashboard_performance(adults))
    assert "2.3. The Dashboard includes one (1) KPI." in text  # seed 003: "thirty-one (31)"
    assert "2.4. The Dashboard also includes one (1) activity indicator, which helps" in text
    assert "current performance is Red for one indicator; none is Green or Amber." in text
    red = markdown(report.red_commentary(adults))
    assert "### Assessments waiting" in red and "**Commentary (Head of ASC):** Demand rose" in red
    spc = markdown(report.spc_charts(adults))
    assert spc.count("![Statistical process control chart of Assessments waiting") == 1
    milestones = markdown(report.milestones(adults))
    assert "New care homes" in milestones and "Online payments" not in milestones
    assert '[[●]{aria-hidden="true"}\\ On track]{.status .status-on-track}' in milestones


def test_unknown_directorate_is_a_params_error():
    with pytest.raises(ParamsError, match="'Housing' is not a directorate"):
        report.context(small_council(), "2023/24 Q2", parameters={"directorate": "Housing"})


def test_unknown_parameter_is_a_params_error():
    with pytest.raises(ParamsError, match="dot_windw"):
        report.context(small_council(), "2023/24 Q2", parameters={"dot_windw": 8})


def test_settings_reach_the_assessment():
    ctx = report.context(small_council(), "2023/24 Q2", parameters={"dot_method": "previous"})
    assert ctx.settings.dot_method == "previous"
    notes = markdown(report.guidance_notes(ctx))
    assert "latest result with the previous Quarter's" in notes  # DESIGN.md: the last quarter


def test_guidance_quotes_the_rules(ctx):
    text = markdown(report.guidance_notes(ctx))
    # Finding 9: the window the method uses, which is the period the KPI charts show.
    assert "whole timeframe" not in text
    assert "the period each KPI's chart shows" in text
    assert "last 24 months (two years) for monthly KPIs and the last 8 quarters (two years)" in text
    assert "last 24 months (monthly KPIs) or 13 quarters (quarterly KPIs)" in text  # SPC
    assert "✖ **Off track**" in text
    # review major 3: member language, no statistics jargon
    for jargon in ("p-value", "2.66", "sigma", "moving range", "regression", "least squares"):
        assert jargon not in text, jargon
    assert "target" in text and "floor standard" in text  # the key to ratings is there


def test_a_committee_paper_carries_no_build_record_unless_asked(ctx):
    # Review, blocker 1: commit, data hash, run time and parameters are not for members.
    assert markdown(report.about(ctx)).strip() == ""
    text = markdown(report.about(replace(ctx, build_details=True)))
    assert text.startswith("## About this report\n")  # a whole section, with its heading
    assert "deadbeef" in text and "abc123" in text and "**Run time:** now" in text


def test_about_shows_provenance_and_parameters(ctx):
    text = markdown(report.about(replace(ctx, build_details=True)))
    assert "deadbeef" in text and "abc123" in text
    assert "| meeting\\_date | 2024-01-04 |" in text
    assert ": Parameters of this run {#tbl-parameters}" in text


def test_every_output_is_markdown_with_headings_from_level_three(ctx, adults):
    calls = [
        report.cover_header, report.cover_summary, report.cover_introduction,
        report.cover_performance, report.cover_recommendation, report.executive_summary,
        report.rag_chart, report.kpi_table, report.service_areas, report.activity_table,
        report.activity_charts, report.call_in, report.dashboard_performance, report.dashboard,
        report.spc_charts, report.red_commentary, report.milestones, report.guidance_notes,
        report.about, report.dashboard_summary, report.dashboard_introduction,
        report.dashboard_recommendation, report.dashboard_background, report.dashboard_contacts,
        report.cover_appendices, report.halton_header, report.halton_purpose,
        report.halton_recommended, report.halton_supporting, report.halton_risk_analysis,
    ]  # fmt: skip
    for call in calls:
        for c in (ctx, adults):
            output = call(c)
            assert not hasattr(output, "_repr_html_"), call  # no text/html outputs
            levels = headings(markdown(output))
            assert all(level >= 3 for level in levels), call
            assert all(b <= a + 1 for a, b in zip([2, *levels], levels, strict=False)), call


def test_context_leaves_the_data_unchanged():
    data = small_council()
    report.context(data, "2023/24 Q2")
    fresh = small_council()
    for name in ("indicators", "targets", "values", "commentary", "milestones"):
        pd.testing.assert_frame_equal(getattr(data, name), getattr(fresh, name))


def test_cover_matches_seed_001_on_the_sample_data():
    ctx = report.context(io.load(DATA), "2023/24 Q2")
    summary = markdown(report.cover_summary(ctx))
    assert (
        "Of the 38 Key Performance Indicators (KPIs) contained within the QPR, 15 achieved target "
        "(Green), 15 achieved or exceeded the floor standard but did not meet target (Amber). "
        "8 KPIs did not meet the floor standard (Red)."
    ) in summary
    text = markdown(report.cover_performance(ctx))
    for sentence in [
        "15 are rated Green (one fewer than the previous Quarter)",
        "15 are rated Amber (four more than the previous Quarter)",
        "8 are rated Red (three fewer than the previous Quarter)",
        "The 8 indicators where the RAG rating is Red, are in:",
        "seven indicators show a positive trend (three more than the previous Quarter), 19 are "
        "stable or with no clear trend (five fewer than the previous Quarter), and 12 are "
        "showing a negative trend (two more than the previous Quarter).",
    ]:
        assert sentence in text
    for area in ("Customer Services", "Governance and Law", "Children, Young People and Education",
                 "Adult Social Care"):  # fmt: skip
        assert f"- {area}\n" in text
    assert "1.2. The QPR includes 38 Key Performance Indicators" in markdown(
        report.cover_introduction(ctx)
    )


def test_a_saved_assessment_is_used_only_when_made_from_the_same_inputs():
    from qprlib import provenance
    from qprlib.assess import AssessSettings, made_from

    data, quarter, settings = small_council(), Quarter.parse("2023/24 Q2"), AssessSettings()
    marked = {"current": pd.DataFrame({"id": ["saved"]}), "previous": pd.DataFrame()}
    header = made_from(data, quarter, settings, provenance.source_hash())
    current, _ = report.assessed(data, quarter, settings, (header, marked))
    assert list(current["id"]) == ["saved"]
    for stale in ({"data_hash": "other"}, {"quarter": "2023/24 Q1"}, {"qprlib": "old"}):
        current, _ = report.assessed(data, quarter, settings, (header | stale, marked))
        assert "saved" not in list(current["id"]), stale  # assessed afresh
    other = AssessSettings(dot_alpha=0.1)
    current, previous = report.assessed(data, quarter, other, (header, marked))
    pd.testing.assert_frame_equal(current, assess(data, quarter, other))
    pd.testing.assert_frame_equal(previous, assess(data, quarter.previous(), other))


def test_prepare_reads_the_builds_assessment(tmp_path, repo_root, monkeypatch):
    from qprlib import provenance
    from qprlib.assess import AssessSettings, made_from

    data = io.load(repo_root / "data")
    quarter = Quarter.parse("2023/24 Q2")
    tables = {"current": assess(data, quarter), "previous": assess(data, quarter.previous())}
    header = made_from(data, quarter, AssessSettings(), provenance.source_hash())
    io.write_frames_json(tmp_path / "assessment.json", tables, header)
    monkeypatch.setattr(report, "assess", lambda *args: pytest.fail("assessed again"))
    ctx = report.prepare(
        "2023/24 Q2", repo_root / "data", assessment_path=str(tmp_path / "assessment.json")
    )
    pd.testing.assert_frame_equal(ctx.current, tables["current"])


# --- code review findings, on the small council with one change each


def council_with(values=None, targets=None, commentary=None) -> QprData:
    """small_council() with some of its frames changed."""
    data = small_council()
    return QprData(
        data.indicators,
        data.targets if targets is None else targets,
        data.values if values is None else values,
        data.commentary if commentary is None else commentary,
        data.milestones,
        Path("."),
        "abc123",
    )


def test_a_kpi_with_no_data_this_quarter_says_so_everywhere():
    # Finding 1: A1 sends nothing for July to September 2023.
    v = small_council().values
    data = council_with(values=v.loc[~((v["id"] == "A1") & (v["period_end"] > "2023-06-30"))])
    adults = report.context(data, "2023/24 Q2", parameters={"directorate": "Adults"})
    a1 = adults.current.set_index("id").loc["A1"]
    assert a1["direction"] is None and a1["spc_variation"] is None
    dashboard = markdown(report.dashboard(adults))
    assert dashboard.count("[No data]{.dot .dot-none}") == 1
    assert ".spc" not in dashboard  # SPC has its own section
    assert "no data this Quarter, so there is no reading." in markdown(report.spc_charts(adults))
    summary = markdown(report.dashboard_performance(adults))
    assert "One indicator has no data for the Quarter." in summary
    assert "One KPI with no data this Quarter has no direction of travel." in summary
    assert adults.summary.direction_counts == {"improving": 0, "stable": 0, "worsening": 0}
    whole = report.context(data, "2023/24 Q2")
    facts = markdown(report.service_areas(whole))
    assert "**No data this Quarter:** no result has been recorded" in facts


def test_spc_chart_uses_the_spc_baseline(adults):
    # Finding 2: the small council has 30 months; the default baseline is the last 24.
    a1 = adults.kpis.iloc[0]
    dates, points, result = report.spc_points(adults, a1)
    assert len(dates) == len(points) == 24 and dates[0] == pd.Timestamp("2021-10-31")
    assert result.variation == a1["spc_variation"] and result.n == 24
    longer = report.context(
        small_council(),
        "2023/24 Q2",
        parameters={"directorate": "Adults", "spc_baseline_months": 30},
    )
    assert len(report.spc_points(longer, longer.kpis.iloc[0])[0]) == 30


def test_a_missing_month_is_a_gap_in_the_charts(ctx):
    # Finding 10: the line breaks at a missing month (a NaN row), the target line does not.
    v = small_council().values
    data = council_with(values=v.loc[~((v["id"] == "C2") & (v["period_end"] == "2023-05-31"))])
    gap = report.context(data, "2023/24 Q2")
    c2 = gap.kpis.loc[gap.kpis["id"] == "C2"].iloc[0]
    shown = report._shown_history(gap, c2)
    may = shown.loc[shown["period_end"] == pd.Timestamp("2023-05-31")]
    assert len(may) == 1 and np.isnan(may["value"].iloc[0]) and may["target"].iloc[0] == 90
    dates, points, _ = report.spc_points(gap, c2)
    assert pd.Timestamp("2023-05-31") in dates
    assert np.isnan(points["value"].to_numpy()[list(dates).index(pd.Timestamp("2023-05-31"))])


@pytest.mark.parametrize(
    "actions, expected",
    [
        (["Recruit two", "Reduce waits"], "Commentary and management action are provided for every "
         "indicator rated Red."),
        (["Recruit two", None], "Management action has been recorded for 1 of the 2 indicators "
         "rated Red; none has been recorded for: Assessments waiting."),
        ([None, None], "No management action has been recorded for any of the 2 indicators rated "
         "Red: Complaints answered \\*in time\\*; Assessments waiting."),
    ],
)  # fmt: skip
def test_directorate_summary_claims_actions_only_when_every_red_has_one(actions, expected):
    # Finding 4: C1 and A1 are Red; the sentence follows what commentary.csv holds.
    commentary = pd.DataFrame(
        [
            ("C1", "2023/24 Q2", "Staff sickness", actions[0], "Head of CS"),
            ("A1", "2023/24 Q2", "Demand rose", actions[1], "Head of ASC"),
        ],
        columns=["id", "quarter", "commentary", "action", "author"],
    )
    whole = report.context(council_with(commentary=commentary), "2023/24 Q2")
    assert expected in markdown(report.dashboard_performance(whole))


def test_directorate_summary_with_no_reds_claims_nothing():
    targets = small_council().targets.assign(floor=lambda t: t["floor"].where(t["id"] != "C1", 70))
    targets.loc[targets["id"] == "A1", ["target", "floor"]] = [170.0, 180.0]
    whole = report.context(council_with(targets=targets), "2023/24 Q2")
    assert whole.summary.rag_counts["Red"] == 0
    text = markdown(report.dashboard_performance(whole))
    assert not (whole.kpis["direction"] == "worsening").any()
    assert "No indicators are rated Red this Quarter, so no management action is required." in text
    assert "every indicator rated Red" not in text
    cover = markdown(report.cover_performance(whole))
    assert "2.3. No KPIs are rated Red this Quarter." in cover and "The 0" not in cover


def test_one_kpi_reads_in_the_singular():
    # Finding 3: the Adults directorate alone has one KPI and one activity indicator.
    data = small_council()
    keep = data.indicators["directorate"] == "Adults"
    one = QprData(
        data.indicators.loc[keep], data.targets, data.values, data.commentary, data.milestones,
        Path("."), "abc123",
    )  # fmt: skip
    ctx = report.context(one, "2023/24 Q2")
    intro = markdown(report.cover_introduction(ctx))
    assert "includes 1 Key Performance Indicator (KPI) whose results are assessed" in intro
    performance = markdown(report.cover_performance(ctx))
    assert "2.2. For the one KPI included in the report" in performance
    assert "The one indicator where the RAG rating is Red is in:" in performance
    summary = markdown(report.dashboard_performance(ctx))
    assert "one (1) activity indicator, which helps give context" in summary
    assert "of the one KPI included, current performance is Red for one indicator;" in summary
    assert "Commentary and management action are provided" not in summary  # A1 has no action


def test_value_next_to_a_threshold_is_printed_on_its_own_side():
    # Finding 7: 84.96 is Amber against a target of 85 and must not print as 85.0%.
    v = small_council().values
    v = v.assign(value=v["value"].where(~((v["id"] == "C2") & (v["period_end"] == "2023-09-30")),
                                        89.96))  # fmt: skip
    ctx = report.context(council_with(values=v), "2023/24 Q2")
    assert ctx.current.set_index("id").loc["C2", "rag"] == "Amber"  # 80 <= 89.96 < 90
    assert "| Calls answered | 89.96% | 90% | 80% |" in without_filter_data(
        markdown(report.kpi_table(ctx))
    )
    assert "**Latest:** 89.96% in September 2023; target 90%" in markdown(report.service_areas(ctx))


def test_about_lists_only_parameters_with_a_value(ctx):
    # Finding 8: directorate (None) and author ('') were not passed; settings in force are.
    text = markdown(report.about(replace(ctx, build_details=True)))
    assert "| directorate |" not in text and "| author |" not in text
    assert "| committee | Cabinet |" in text
    assert "| spc\\_baseline\\_months | 24 |" in text
    assert "| spc\\_screen\\_outliers | true |" in text


def test_cover_carries_decision_number_and_contacts_as_seed_001():
    data = small_council()
    plain = report.context(data, "2023/24 Q2")
    assert "**Decision No:** n/a\\\n**Subject:**" in markdown(report.cover_header(plain))
    assert "No contact details" in markdown(report.cover_contacts(plain))
    contacts = ("Matthew Wagner\nChief Analyst (interim)\nTelephone: 03000 416559",)
    given = report.context(
        data, "2023/24 Q2", parameters={"decision_no": "24/00001", "contacts": contacts}
    )
    assert "**Decision No:** 24/00001" in markdown(report.cover_header(given))
    assert markdown(report.cover_contacts(given)) == (
        "Matthew Wagner\\\nChief Analyst (interim)\\\nTelephone: 03000 416559\n"
    )


def test_directorate_dashboard_takes_its_own_committee_and_author():
    parameters = {
        "directorate": "Adults", "committee": "Cabinet", "author": "Leader",
        "directorate_committee": "Adult Social Care Cabinet Committee",
        "directorate_author": "Cabinet Member for Adult Social Care",
    }  # fmt: skip
    adults = report.context(small_council(), "2023/24 Q2", parameters=parameters)
    header = markdown(report.dashboard_header(adults))
    assert "**To:** Adult Social Care Cabinet Committee" in header
    assert "**From:** Cabinet Member for Adult Social Care" in header
    whole = report.context(
        small_council(), "2023/24 Q2", parameters=parameters | {"directorate": None}
    )
    assert "**To:** Cabinet" in markdown(report.cover_header(whole))  # the cover is Cabinet's


# ---------------------------------------------------------------- papers addressed (issue 13)

DASHBOARD_PARAMETERS = {
    "directorate": "Corporate", "committee": "Cabinet", "author": "Leader",
    "meeting_date": "2024-01-04",
    "directorate_committee": "Policy and Resources Cabinet Committee",
    "directorate_meeting_date": "2014-09-19",
    "directorate_author": (
        "Gary Cooke – Cabinet Member for Corporate and Democratic Services\n"
        "David Cockburn – Corporate Director for Strategic and Corporate Services"
    ),
    "directorate_contacts": "Report Author: Richard Fitzgerald\n01622 221985",
    "directorate_background": "The Strategic Priority Statement\nBusiness Plan 2023/24",
}  # fmt: skip


@pytest.fixture(scope="module")
def corporate():
    """The small council's Corporate directorate (C1 Red, C2 Green, G1 Amber) as seed 003's."""
    return report.context(small_council(), "2023/24 Q2", parameters=DASHBOARD_PARAMETERS)


def test_dashboard_is_addressed_to_its_own_committee_from_its_members(corporate):
    # Review, blocker 2: every dashboard read "From: Leader ... To: Cabinet".
    header = markdown(report.dashboard_header(corporate))
    assert header.startswith(
        "**From:** Gary Cooke – Cabinet Member for Corporate and Democratic Services\\\n"
        "David Cockburn – Corporate Director for Strategic and Corporate Services\\\n"
        "**To:** Policy and Resources Cabinet Committee – 19 September 2014\\\n"
    )
    assert "**Subject:** Corporate Directorate Dashboard, Quarter 2, 2023/24" in header


def test_dashboard_has_seed_003s_summary_recommendation_and_sections(corporate):
    summary = markdown(report.dashboard_summary(corporate))
    assert (
        "The Corporate Directorate Dashboard shows progress made against targets set for Key "
        "Performance Indicators."
    ) in summary
    assert (
        "**Recommendation(s):** The Policy and Resources Cabinet Committee is asked to NOTE the "
        "report."
    ) in summary
    intro = markdown(report.dashboard_introduction(corporate))
    assert "1.1. Part of the role of the Committee is to review the performance" in intro
    assert (
        "1.2. Performance Dashboards are regularly reported to the Policy and Resources Cabinet "
        "Committee throughout the year, and the current report includes data up to the end of "
        "September 2023."
    ) in intro
    assert markdown(report.dashboard_recommendation(corporate)) == (
        "The Policy and Resources Cabinet Committee is asked to NOTE this report.\n"
    )
    assert markdown(report.dashboard_background(corporate)) == (
        "The Strategic Priority Statement\n\nBusiness Plan 2023/24\n"
    )
    assert markdown(report.dashboard_contacts(corporate)) == (
        "Report Author: Richard Fitzgerald\\\n01622 221985\n"
    )


def test_dashboard_section_2_counts_from_the_data_spelled_as_seed_003(corporate):
    text = markdown(report.dashboard_performance(corporate))
    # C1, C2 and G1 are the Corporate KPIs; no activity indicator is Corporate.
    assert "2.1. The Corporate Performance Dashboard is attached at Appendix 1." in text
    assert "2.3. The Dashboard includes three (3) KPIs." in text
    assert "2.4. The Dashboard includes no activity indicators." in text
    assert (
        "2.6. Within the report, of the 3 KPIs included, current performance is Green for one "
        "indicator, Amber for one indicator and Red for one indicator."
    ) in text
    # C1 is Red with commentary and action; G1 worsened Green -> Amber (called in), none given
    assert (
        "2.7. Commentary is provided within the Dashboard for indicators which are currently "
        "showing as Red. Commentary and management action are provided for the one indicator "
        "rated Red."
    ) in text
    assert "Commentary is awaited for: FOI requests \\| in 20 days (on the call-in list)." in text
    directions = corporate.summary.direction_counts
    up, down = directions["improving"], directions["worsening"]
    net = "positive" if up > down else "negative" if down > up else "neutral"
    assert f"2.8. Net Direction of Travel for Quarter 2 was {net}, with {up} KPI" in text


def test_a_dashboard_with_no_settings_of_its_own_keeps_the_single_strings():
    whole = {"committee": "Cabinet", "author": "Leader of the Council; Chief Executive"}
    adults = whole | {"directorate": "Adults"}
    ctx = report.context(small_council(), "2023/24 Q2", parameters=adults)
    assert "**From:** Leader of the Council; Chief Executive\\\n**To:** Cabinet –" in markdown(
        report.dashboard_header(ctx)
    )  # the old one-line form is printed as given
    assert "**Recommendation(s):** Cabinet is asked to NOTE the report." in markdown(
        report.dashboard_summary(ctx)
    )
    assert markdown(report.dashboard_background(ctx)) == "None.\n"


def test_cover_from_is_one_person_a_line_and_lists_its_appendix_linked():
    # Review, major 10: "From: Leader of the Council; Chief Executive" on one line.
    people = "Roger Gough – Leader of the Council\nAmanda Beer – Chief Executive Officer"
    ctx = report.context(small_council(), "2023/24 Q2", parameters={"author": people})
    assert markdown(report.cover_header(ctx)).startswith(
        "**From:** Roger Gough – Leader of the Council\\\nAmanda Beer – Chief Executive Officer"
        "\\\n**To:** Cabinet"
    )
    assert markdown(report.cover_appendices(ctx)) == (
        "- [Appendix 1 – Quarterly Performance Report, Quarter 2, 2023/24](qpr.html)\n"
    )


def test_commentary_awaited_where_due_and_missing(ctx):
    # Review, major 12: G1 went Green -> Amber (called in) with no commentary: it is said.
    text = markdown(report.service_areas(ctx))
    g1 = text.split("#### FOI requests \\| in 20 days", 1)[1].split("####", 1)[0]
    assert "**Commentary awaited.**" in g1
    c2 = text.split("#### Calls answered", 1)[1].split("####", 1)[0]  # Green, not called in
    assert "Commentary" not in c2


def test_no_management_action_is_required_only_when_nothing_worsens():
    # Review, major 12: GET had no Reds but three worsening KPIs, and was told nothing was needed.
    targets = small_council().targets.assign(floor=lambda t: t["floor"].where(t["id"] != "C1", 70))
    targets.loc[targets["id"] == "A1", ["target", "floor"]] = [170.0, 180.0]
    v = small_council().values
    falling = v["id"] == "C2"
    v.loc[falling, "value"] = np.linspace(99, 91, falling.sum())  # steadily down, still Green
    whole = report.context(council_with(targets=targets, values=v), "2023/24 Q2")
    assert whole.summary.rag_counts["Red"] == 0
    worsening = int((whole.kpis["direction"] == "worsening").sum())
    assert worsening >= 1
    text = markdown(report.dashboard_performance(whole))
    assert "no management action is required" not in text
    assert f"No indicators are rated Red this Quarter; {number_words(worsening)} indicator" in text


def halton_context(**texts):
    parameters = {"committee": "Executive Board", "meeting_date": "2013-12-12", **texts}
    return report.context(small_council(), "2023/24 Q2", parameters=parameters)


def test_halton_cover_has_seed_004s_header_and_appendix_per_directorate():
    ctx = halton_context(reporting_officer="Strategic Director - Policy & Resources",
                         portfolio="Resources")  # fmt: skip
    assert markdown(report.halton_header(ctx)) == (
        "**REPORT TO:** Executive Board\\\n**DATE:** 12 December 2013\\\n"
        "**REPORTING OFFICER:** Strategic Director - Policy \\& Resources\\\n"
        "**PORTFOLIO:** Resources\\\n"
        "**SUBJECT:** Directorate Performance Overview Reports for Quarter 2 2023/24\\\n"
        "**WARDS:** Borough wide\n"
    )
    purpose = markdown(report.halton_purpose(ctx))
    assert "1.1 To report the Council's performance for the second quarter period to 30 " in purpose
    assert "describes factors affecting each of the two Directorates." in purpose
    assert "1) **Executive Board note the information contained in the report**" in markdown(
        report.halton_recommended(ctx)
    )
    supporting = markdown(report.halton_supporting(ctx))
    assert "- [Appendix 1 – Corporate](directorate-corporate.html)\n" in supporting
    assert "- [Appendix 2 – Adults](directorate-adults.html)" in supporting


def test_halton_implications_are_parameters_with_plain_defaults():
    ctx = halton_context(risk_analysis="The framework *aligns* activity with priorities.")
    assert markdown(report.halton_risk_analysis(ctx)) == (
        "7.1 The framework \\*aligns\\* activity with priorities.\n"
    )
    assert markdown(report.halton_policy_implications(ctx)) == "4.1 None identified.\n"
    assert markdown(report.halton_background_papers(ctx)) == (
        "9.1 There are no background papers under the meaning of the Act.\n"
    )


# --- issue 13 part B: one headline trend, the key, KPI blocks kept together


def _row(**values):
    base = {"value": 30.6, "direction": "worsening", "spc_variation": "common_cause",
            "spc_assurance": "consistent_fail", "spc_trial_limits": False,
            "frequency": "monthly", "polarity": "higher"}  # fmt: skip
    return pd.Series(base | values)


@pytest.mark.parametrize(
    "values, sentence",
    [
        # the review's example: a trend over the window, the latest month ordinary
        ({}, "Downward over two years (worsening); the latest month is within normal "
             "variation, so no single month stands out."),
        ({"direction": "improving", "polarity": "lower", "frequency": "quarterly"},
         "Downward over two years (improving); the latest quarter is within normal "
         "variation, so no single quarter stands out."),
        ({"direction": "stable", "spc_variation": "special_cause_improvement"},
         "No clear trend over two years, but the latest month is unusually good: it may be "
         "the start of a change."),
        ({"direction": "improving", "spc_variation": "special_cause_concern"},
         "Upward over two years (improving), but the latest month is unusually poor."),
        ({"direction": "worsening", "spc_variation": "special_cause_concern"}, ""),  # agree
        ({"direction": "stable"}, ""),  # agree: no trend, nothing unusual
        ({"value": float("nan")}, ""),  # no data, no readings
    ],
)  # fmt: skip
def test_reconciling_sentence_where_direction_and_spc_seem_to_differ(ctx, values, sentence):
    # review major 3: CS01 '↑ Improving' beside 'no significant change', 14 of 38 KPIs
    assert report.trend_reconciliation(ctx, _row(**values)) == sentence


def test_spc_reading_is_in_members_words():
    words = report.spc_reading(_row(spc_trial_limits=True))
    assert words == (
        "The latest month is within normal variation. As things are, the target will be missed "
        "every month unless something changes. (Provisional: fewer than 13 months of results.)"
    )


def test_ratings_key_defines_rag_arrows_window_and_expected_range(ctx):
    # review major 5: the QPR had no key; '↓ Worsening' on a rising line read backwards
    key = markdown(report.ratings_key(ctx))
    assert "**target** and a lower **floor standard**" in key
    for badge in ("Green", "Amber", "Red"):
        assert tables.rag_cell(badge).markdown() in key
    assert "whichever way the number moves" in key
    assert tables.direction_cell("improving", polarity="lower").markdown() in key  # ↓ Improving
    assert "last 24 months (two years) for monthly KPIs and the last 8 quarters" in key
    assert "expected range" in key


def test_each_kpi_is_one_block_that_print_keeps_together(ctx, adults):
    # review major 4: 19 of 31 QPR pages ended in a KPI heading, its chart on the next page
    for text, heading in ((markdown(report.service_areas(ctx)), "####"),
                          (markdown(report.spc_charts(adults)), "###")):  # fmt: skip
        blocks = re.findall(r"^:::: \{\.kpi\}\n\n(.*?)\n\n::::$", text, flags=re.M | re.DOTALL)
        assert blocks, text
        for block in blocks:
            assert block.startswith(f"{heading} ") and "**RAG:**" in block
            assert "](data:image/svg+xml;base64," in block  # the chart is inside
        assert len(blocks) == text.count(f"\n{heading} ") + text.startswith(f"{heading} ")


def test_dashboard_kpi_block_has_both_panels_and_the_reading(adults):
    # review major 9: only SPC charts, without the floor; Green and Amber KPIs had no chart
    text = markdown(report.spc_charts(adults))
    first = text.split("\n::::")[0]
    assert first.count("](data:image/svg+xml;base64,") == 2
    assert first.index("![Line chart of") < first.index("![Statistical process control chart")
    assert "**Statistical process control:** The latest" in first


def test_each_chart_has_its_data_table_to_show(ctx, adults):
    # review major 13: a "Show the data" table per chart (HTML; qpr.lua leaves it out of print)
    text = markdown(report.service_areas(ctx))
    assert text.count("::: {.show-data}") == text.count("![Line chart of")
    assert "| Period | Value | Target | Floor standard | RAG |" in text
    assert "| September 2023 | 71.3% | 85% | 75% | Red |" in text
    spc = markdown(report.spc_charts(adults))
    assert spc.count("::: {.show-data}") == spc.count("](data:image/svg+xml")
    assert "| Period | Value | Mean | Normal range from | Normal range to | Reading |" in spc


def test_series_csv_holds_every_charted_point_in_the_reports_words():
    # Finding 13 (issue 13 item 11): the points behind every chart, downloadable. The charts
    # show the direction of travel's window (24 months) and, for a KPI's SPC chart, the SPC
    # baseline (24 months): so 24 rows per monthly indicator, a missing month included.
    v = small_council().values
    data = council_with(values=v.loc[~((v["id"] == "C2") & (v["period_end"] == "2023-05-31"))])
    table = report.chart_series(report.context(data, "2023/24 Q2"))
    assert list(table.columns) == [
        "ID", "Indicator", "Directorate", "Service area", "Unit", "Period", "Period end",
        "Value", "Target", "Floor standard", "Expected range from", "Expected range to", "RAG",
    ]  # fmt: skip
    assert table.groupby("ID").size().to_dict() == {i: 24 for i in ("C1", "C2", "G1", "A1", "A2")}
    c1 = table.loc[table["ID"] == "C1"].set_index("Period end")
    assert c1.index[0] == "2021-10-31" and c1.index[-1] == "2023-09-30"
    assert c1.loc["2023-09-30", "Period"] == "September 2023"
    assert c1.loc["2023-09-30", "Value"] == 71.3
    # the KCC rule on the recorded figure: 71.3 < floor 75 is Red; 80 is Amber (75 <= 80 < 85)
    assert c1.loc["2023-09-30", "RAG"] == "Red" and c1.loc["2023-06-30", "RAG"] == "Amber"
    assert (c1["Target"] == 85).all() and (c1["Floor standard"] == 75).all()
    may = table.loc[(table["ID"] == "C2") & (table["Period end"] == "2023-05-31")].iloc[0]
    assert np.isnan(may["Value"]) and may["RAG"] == "No data" and may["Target"] == 90
    a2 = table.loc[table["ID"] == "A2"]  # activity: the expected range, no RAG
    assert (a2["Expected range from"] == 900).all() and (a2["Expected range to"] == 1100).all()
    assert (a2["RAG"] == "").all() and a2["Target"].isna().all()
    assert set(table["RAG"]) <= {"Green", "Amber", "Red", "Not rated", "No data", ""}
