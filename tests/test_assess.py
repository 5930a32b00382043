"""The quarter's assessment, checked on small councils built in memory."""

import json
from dataclasses import replace
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qprlib.assess import (
    AssessSettings,
    assess,
    call_in_reason,
    format_assessment,
    history,
    series_by_id,
)
from qprlib.io import QprData
from qprlib.periods import Quarter

Q1, Q2 = Quarter(2023, 1), Quarter(2023, 2)
NAN = float("nan")
DOCUMENTED_COLUMNS = [  # docs/internals.md, plus missing_action (data-quality flag)
    "quarter", "id", "name", "directorate", "service_area", "kind", "polarity", "unit",
    "frequency", "definition", "owner", "period_end", "value", "target", "floor", "lower",
    "upper", "rag", "previous_rag", "direction", "spc_variation", "spc_assurance",
    "spc_trial_limits", "activity_alert", "commentary", "action", "author", "call_in",
    "call_in_reason", "missing_action", "value_status",
    # the comparison columns (issue 17; docs/internals.md): empty without comparators.csv
    "comparison", "comparator_group", "comparator_period", "comparator_count", "comparator_rank",
    "comparator_quartile", "comparator_mean", "comparator_median", "comparator_lower_quartile",
    "comparator_upper_quartile", "published_group", "published_period", "published_value",
    "comparator_value", "published_better",
    "risks",  # commentary.csv's optional risks column (issue 17: the call-in briefing)
]  # fmt: skip
NOT_IMPROVING = "Red and not improving (stable or no clear trend)"
NO_DIRECTION = "Red, with no direction of travel yet (too few results for a trend)"
SPC_VARIATION = {
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
}
SPC_ASSURANCE = {"consistent_pass", "consistent_fail", "inconsistent", None}


def indicator(id_, kind="kpi", polarity="higher", frequency="monthly", area="Area", name=None):
    return {
        "id": id_,
        "name": name or f"Indicator {id_}",
        "directorate": "Directorate",
        "service_area": area,
        "kind": kind,
        "polarity": polarity,
        "unit": "percent",
        "frequency": frequency,
        "definition": f"Definition of {id_}",
        "owner": "Owner",
    }


def target(id_, year, target=NAN, floor=NAN, lower=NAN, upper=NAN):
    return {
        "id": id_,
        "year": year,
        "target": target,
        "floor": floor,
        "lower": lower,
        "upper": upper,
    }


def monthly(id_, first_month, values):
    """Rows for consecutive month ends starting at `first_month` ('2023-04')."""
    ends = pd.date_range(
        pd.Period(first_month, "M").end_time.normalize(), periods=len(values), freq="ME"
    )
    return [
        {"id": id_, "period_end": e, "value": float(v)} for e, v in zip(ends, values, strict=True)
    ]


def quarterly(id_, first_quarter_end, values):
    ends = pd.date_range(first_quarter_end, periods=len(values), freq="QE")
    return [
        {"id": id_, "period_end": e, "value": float(v)} for e, v in zip(ends, values, strict=True)
    ]


def note(id_, quarter, commentary="Commentary", action="Action", author="Author"):
    return {
        "id": id_,
        "quarter": quarter,
        "commentary": commentary,
        "action": action,
        "author": author,
    }


def council(indicators, targets, values, commentary=()):
    """A QprData as io.load returns it (columns and dtypes of docs/internals.md)."""
    values = pd.DataFrame(list(values), columns=["id", "period_end", "value"])
    return QprData(
        indicators=pd.DataFrame(list(indicators)),
        targets=pd.DataFrame(
            list(targets), columns=["id", "year", "target", "floor", "lower", "upper"]
        ),
        values=values.astype({"period_end": "datetime64[ns]", "value": float}),
        commentary=pd.DataFrame(
            list(commentary), columns=["id", "quarter", "commentary", "action", "author"]
        ),
        milestones=pd.DataFrame(
            columns=[
                "directorate",
                "objective",
                "milestone",
                "due",
                "quarter",
                "status",
                "commentary",
            ]
        ),
        source=Path("memory"),
        data_hash="0" * 64,
    )


def row(table, id_):
    (found,) = table.index[table["id"] == id_]
    return table.loc[found]


# One KPI through 2023/24 Q1 and Q2: Green at the end of Q1, sliding to Amber by September.
SLIDING = [95, 94, 93, 88, 85, 82]


@pytest.fixture
def one_kpi():
    return council(
        [indicator("A", name="Percentage of complaints responded to within timescale")],
        [target("A", "2023/24", target=90, floor=80)],
        monthly("A", "2023-04", SLIDING),
        [note("A", "2023/24 Q2", "Fewer staff", "Recruiting", "Head of Service")],
    )


def test_columns_are_the_documented_ones(one_kpi):
    assert list(assess(one_kpi, Q2).columns) == DOCUMENTED_COLUMNS


def test_every_column_of_one_kpi(one_kpi):
    assert stats.linregress(range(6), SLIDING).pvalue < 0.05  # premise: a significant fall
    a = row(assess(one_kpi, Q2), "A")
    assert a["quarter"] == "2023/24 Q2"
    assert a[["name", "directorate", "service_area", "kind", "polarity", "unit"]].tolist() == [
        "Percentage of complaints responded to within timescale",
        "Directorate",
        "Area",
        "kpi",
        "higher",
        "percent",
    ]
    assert a[["frequency", "definition", "owner"]].tolist() == [
        "monthly",
        "Definition of A",
        "Owner",
    ]
    assert a["period_end"] == pd.Timestamp("2023-09-30")
    assert a["value"] == 82
    assert (a["target"], a["floor"]) == (90, 80)
    assert np.isnan(a["lower"]) and np.isnan(a["upper"])
    assert a["rag"] == "Amber"  # 80 <= 82 < 90
    assert a["previous_rag"] == "Green"  # June's 93 against 90
    assert a["direction"] == "worsening"
    # XmR on SLIDING: mean 89.5, mean moving range 13/5 = 2.6 (none screened: all < 3.267 x 2.6),
    # limits 89.5 -/+ 2.66 x 2.6 = 82.584..96.416; September's 82 is below the lower limit and
    # higher is better, so special cause for concern; the target 90 lies inside the limits.
    assert a["spc_variation"] == "special_cause_concern"
    assert a["spc_assurance"] == "inconsistent"
    assert a["spc_trial_limits"] is True  # six points: fewer than 13
    assert a["activity_alert"] is None
    assert (a["commentary"], a["action"], a["author"]) == (
        "Fewer staff",
        "Recruiting",
        "Head of Service",
    )
    assert a["call_in"]
    assert a["call_in_reason"] == "RAG worsened from Green to Amber"
    assert not a["missing_action"]


def test_quarter_may_be_given_as_text(one_kpi):
    pd.testing.assert_frame_equal(assess(one_kpi, "2023-24-q2"), assess(one_kpi, Q2))


def test_monthly_kpi_is_rated_on_the_last_month_of_the_quarter():
    data = council(
        [indicator("A")],
        [target("A", "2023/24", target=90, floor=80)],
        monthly("A", "2023-07", [95, 95, 70]),
    )
    a = row(assess(data, Q2), "A")
    assert (a["value"], a["rag"]) == (70, "Red")  # not the quarter's average (86.7, Amber)


def test_a_missing_last_month_falls_back_to_the_latest_value_in_the_quarter():
    data = council(
        [indicator("A"), indicator("B"), indicator("C")],
        [target(i, "2023/24", target=90, floor=80) for i in "ABC"],
        monthly("A", "2023-07", [70, 85, NAN])  # September recorded as missing
        + monthly("B", "2023-07", [70, 85])  # September not sent at all
        + monthly("C", "2023-04", [95, 95, 95]),  # nothing in Q2
    )
    table = assess(data, Q2)
    for id_ in "AB":
        assert row(table, id_)[["period_end", "value", "rag"]].tolist() == [
            pd.Timestamp("2023-08-31"),
            85,
            "Amber",
        ]
    c = row(table, "C")
    assert pd.isna(c["period_end"]) and np.isnan(c["value"])
    assert c["rag"] is None
    assert c["previous_rag"] == "Green"


def test_values_after_the_quarter_are_ignored():
    data = council(
        [indicator("A")],
        [target("A", "2023/24", target=90, floor=80)],
        monthly("A", "2023-01", [85] * 9 + [10, 10, 10]),  # October to December collapse
    )
    a = row(assess(data, Q2), "A")
    assert (a["value"], a["rag"], a["direction"]) == (85, "Amber", "stable")


def test_previous_rag_uses_the_previous_years_own_target():
    # The same 82 every month: Green against 2022/23's target of 80, Red against
    # 2023/24's floor of 85 — the retargeting, not performance, moved the rating.
    data = council(
        [indicator("A")],
        [target("A", "2022/23", target=80, floor=70), target("A", "2023/24", target=90, floor=85)],
        monthly("A", "2023-01", [82] * 6),
    )
    a = row(assess(data, Q1), "A")
    assert (a["previous_rag"], a["rag"]) == ("Green", "Red")
    assert a["call_in_reason"] == (
        "RAG worsened from Green to Red; Red and not improving (stable or no clear trend)"
    )
    assert a["missing_action"]  # Red and no commentary row at all


def test_new_indicator_has_no_previous_rag():
    data = council(
        [indicator("A")],
        [target("A", "2023/24", target=90, floor=80)],
        monthly("A", "2023-01", [50] * 6),
    )
    assert row(assess(data, Q1), "A")["previous_rag"] is None


def test_only_indicators_with_targets_for_the_year_are_reported_in_file_order():
    data = council(
        [indicator("Z"), indicator("RETIRED"), indicator("A")],
        [
            target("A", "2023/24", target=90, floor=80),
            target("Z", "2023/24", target=90, floor=80),
            target("RETIRED", "2022/23", target=90, floor=80),
        ],
        monthly("Z", "2023-01", [95] * 6)
        + monthly("RETIRED", "2023-01", [95] * 6)
        + monthly("A", "2023-01", [95] * 6),
    )
    assert assess(data, Q1)["id"].tolist() == ["Z", "A"]
    assert assess(data, Quarter(2022, 4))["id"].tolist() == ["RETIRED"]


def test_quarterly_kpi():
    values = [60, 62, 61, 64, 63, 66, 65, 68]  # eight quarters, rising: lower is better
    data = council(
        [indicator("Q", polarity="lower", frequency="quarterly")],
        [target("Q", y, target=60, floor=65) for y in ("2021/22", "2022/23", "2023/24")],
        quarterly("Q", "2021-12-31", values),
    )
    q = row(assess(data, Q2), "Q")
    assert (q["period_end"], q["value"]) == (pd.Timestamp("2023-09-30"), 68)
    assert (q["rag"], q["previous_rag"]) == ("Red", "Amber")  # 68 > 65; June's 65 on the floor
    assert q["direction"] == "worsening"
    assert q["call_in_reason"] == "RAG worsened from Amber to Red; Red and worsening"


@pytest.mark.parametrize(
    "value, alert",
    [
        (10, "within"),  # on the upper bound: within (inclusive)
        (5, "within"),  # on the lower bound
        (7, "within"),
        (10.5, "above"),
        (4.5, "below"),
        (NAN, None),  # nothing this quarter
    ],
)
def test_activity_alert_boundaries_are_inclusive(value, alert):
    data = council(
        [indicator("ACT", kind="activity", polarity="none")],
        [target("ACT", "2023/24", lower=5, upper=10)],
        monthly("ACT", "2023-04", [7, 7, 7, value, value, value]),
    )
    a = row(assess(data, Q2), "ACT")
    assert a["activity_alert"] == alert
    assert a["rag"] is None and a["previous_rag"] is None  # activity is never rated
    assert not a["call_in"]


def test_activity_direction_has_no_polarity():
    data = council(
        [indicator("ACT", kind="activity", polarity="none")],
        [target("ACT", "2023/24", lower=5, upper=10)],
        monthly("ACT", "2023-04", [1, 2, 3, 4, 5, 6]),
    )
    a = row(assess(data, Q2), "ACT")
    assert a["direction"] == "increasing"
    assert a["spc_assurance"] is None  # no target, no improvement direction


@pytest.mark.parametrize(
    "previous, rag, direction, reason",
    [
        ("Amber", "Red", "stable", "RAG worsened from Amber to Red; " + NOT_IMPROVING),
        ("Amber", "Red", "worsening", "RAG worsened from Amber to Red; Red and worsening"),
        ("Amber", "Red", "improving", "RAG worsened from Amber to Red"),
        ("Green", "Amber", "improving", "RAG worsened from Green to Amber"),
        ("Red", "Red", "stable", NOT_IMPROVING),
        ("Red", "Red", None, NO_DIRECTION),  # too few points: no trend claimed (finding 6)
        ("Amber", "Red", None, "RAG worsened from Amber to Red; " + NO_DIRECTION),
        ("Red", "Red", "worsening", "Red and worsening"),
        (None, "Red", "worsening", "Red and worsening"),
        ("Red", "Red", "improving", None),  # Red but recovering: not called in
        ("Red", "Amber", "worsening", None),
        ("Amber", "Green", "worsening", None),
        ("Green", "Green", "worsening", None),
        ("Green", None, None, None),  # no data this quarter: nothing to judge
    ],
)  # fmt: skip
def test_call_in_reason(previous, rag, direction, reason):
    assert call_in_reason(previous, rag, direction) == reason


RAGS = (None, "Green", "Amber", "Red")


@pytest.mark.parametrize("direction", [None, "improving", "stable", "worsening"])
@pytest.mark.parametrize("rag", RAGS)
@pytest.mark.parametrize("previous", RAGS)
def test_call_in_reason_is_true_for_every_combination(previous, rag, direction):
    # Finding 6: DESIGN.md's call-in rule, and a reason that claims only what is known.
    order = {"Red": 0, "Amber": 1, "Green": 2}
    worsened = previous in order and rag in order and order[rag] < order[previous]
    red_not_improving = rag == "Red" and direction != "improving"
    reason = call_in_reason(previous, rag, direction)
    assert (reason is not None) == (worsened or red_not_improving)
    if reason is None:
        return
    assert ("RAG worsened" in reason) == worsened
    if worsened:
        assert f"from {previous} to {rag}" in reason
    trend_words = ("stable", "no clear trend", "improving", "Red and worsening")
    if direction is None:
        assert not any(w in reason for w in trend_words)
    if red_not_improving and direction == "worsening":
        assert reason.endswith("Red and worsening")
    if red_not_improving and direction == "stable":
        assert reason.endswith(NOT_IMPROVING)


def test_missing_action_flags_red_kpis_without_an_action():
    ids = ["RED_ACTION", "RED_BLANK", "RED_NONE", "RED_OTHER_Q", "GREEN_NONE"]
    data = council(
        [indicator(i) for i in ids],
        [target(i, "2023/24", target=90, floor=80) for i in ids],
        [r for i in ids for r in monthly(i, "2023-04", [50] * 5 + [95 if "GREEN" in i else 50])],
        [
            note("RED_ACTION", "2023/24 Q2", action="Recovery plan agreed"),
            note("RED_BLANK", "2023/24 Q2", action="  "),
            note("RED_OTHER_Q", "2023/24 Q1", action="Last quarter's plan"),
        ],
    )
    table = assess(data, Q2)
    flagged = dict(zip(table["id"], table["missing_action"], strict=True))
    assert flagged == {
        "RED_ACTION": False,
        "RED_BLANK": True,
        "RED_NONE": True,
        "RED_OTHER_Q": True,  # an action for another quarter does not count
        "GREEN_NONE": False,
    }
    assert row(table, "RED_BLANK")["action"] is None
    assert row(table, "RED_OTHER_Q")["commentary"] is None


def test_tolerance_mode_is_a_setting():
    data = council(
        [indicator("A")],
        [target("A", "2023/24", target=90, floor=88)],
        monthly("A", "2023-07", [86, 86, 86]),
    )
    assert row(assess(data, Q2), "A")["rag"] == "Red"  # below the floor of 88
    tolerant = AssessSettings(amber_mode="tolerance", amber_tolerance=0.05)
    assert row(assess(data, Q2, tolerant), "A")["rag"] == "Amber"  # within 5% of 90


def test_direction_method_and_window_are_settings():
    # Two years of decline, then the last three months up.
    values = list(range(80, 56, -1)) + [60, 62, 64]
    data = council(
        [indicator("A")],
        [target("A", y, target=90, floor=50) for y in ("2021/22", "2022/23", "2023/24")],
        monthly("A", "2021-07", values),
    )
    assert row(assess(data, Q2), "A")["direction"] == "worsening"
    previous = AssessSettings(dot_method="previous")
    assert row(assess(data, Q2, previous), "A")["direction"] == "improving"
    short = AssessSettings(dot_window_months=3)
    assert row(assess(data, Q2, short), "A")["direction"] == "improving"


def test_spc_trial_limits_until_thirteen_points():
    data = council(
        [indicator("SHORT"), indicator("LONG")],
        [
            target(i, y, target=90, floor=80)
            for i in ("SHORT", "LONG")
            for y in ("2022/23", "2023/24")
        ],
        monthly("SHORT", "2023-04", [85, 86, 84, 85, 86, 84])
        + monthly("LONG", "2022-04", [85, 86, 84] * 6),
    )
    table = assess(data, Q2)
    assert row(table, "SHORT")["spc_trial_limits"] is True
    assert row(table, "LONG")["spc_trial_limits"] is False


def test_assess_does_not_change_its_inputs(one_kpi):
    frames = ("indicators", "targets", "values", "commentary", "milestones")
    before = {f: getattr(one_kpi, f).copy(deep=True) for f in frames}
    assess(one_kpi, Q2)
    history(one_kpi, Q2)
    for f in frames:
        pd.testing.assert_frame_equal(getattr(one_kpi, f), before[f])


def test_nothing_reported_gives_an_empty_table_with_the_columns(one_kpi):
    table = assess(one_kpi, Quarter(2020, 1))
    assert table.empty
    assert list(table.columns) == DOCUMENTED_COLUMNS


def test_series_are_on_a_regular_grid_with_gaps():
    data = council(
        [indicator("M"), indicator("Q", frequency="quarterly")],
        [],
        [
            {"id": "M", "period_end": pd.Timestamp("2023-05-31"), "value": 1.0},
            {"id": "M", "period_end": pd.Timestamp("2023-07-31"), "value": 3.0},
            {"id": "Q", "period_end": pd.Timestamp("2023-03-31"), "value": 1.0},
            {"id": "Q", "period_end": pd.Timestamp("2023-09-30"), "value": 3.0},
        ],
    )
    series = series_by_id(data.values, data.indicators, Q2)
    # May, June (gap), July, then August and September not yet in: up to the quarter's end.
    np.testing.assert_array_equal(series["M"], [1.0, NAN, 3.0, NAN, NAN])
    np.testing.assert_array_equal(series["Q"], [1.0, NAN, 3.0])  # March, June (gap), September


def test_history_rates_each_period_against_its_own_year():
    data = council(
        [indicator("A")],
        [target("A", "2022/23", target=80, floor=70), target("A", "2023/24", target=90, floor=85)],
        monthly("A", "2023-01", [82] * 9),
    )
    h = history(data, Q1)
    assert list(h.columns) == [
        "id", "period_end", "quarter", "value", "target", "floor", "lower", "upper", "rag"
    ]  # fmt: skip
    assert h["period_end"].max() == pd.Timestamp("2023-06-30")  # nothing after the quarter
    assert h["quarter"].tolist() == ["2022/23 Q4"] * 3 + ["2023/24 Q1"] * 3
    assert h["target"].tolist() == [80] * 3 + [90] * 3
    assert h["rag"].tolist() == ["Green"] * 3 + ["Red"] * 3


def test_format_table_is_fixed_width_with_names_truncated(one_kpi):
    long_name = council(
        [indicator("A", name="A" * 80)],
        [target("A", "2023/24", target=90, floor=80)],
        monthly("A", "2023-04", SLIDING),
    )
    text = format_assessment(assess(long_name, Q2), "table")
    header, rule, line = text.splitlines()
    assert header.split() == [
        "id",
        "name",
        "rag",
        "previous_rag",
        "direction",
        "value",
        "target",
        "floor",
    ]
    assert set(rule.replace(" ", "")) == {"-"}
    assert "…" in line and "A" * 80 not in line
    assert line.split()[2:] == ["Amber", "Green", "worsening", "82", "90", "80"]


def test_format_csv_has_every_column(one_kpi):
    table = assess(one_kpi, Q2)
    back = pd.read_csv(StringIO(format_assessment(table, "csv")))
    assert list(back.columns) == DOCUMENTED_COLUMNS
    assert back.loc[0, "period_end"] == "2023-09-30"
    assert back.loc[0, "rag"] == "Amber"


def test_format_json_records_with_iso_dates(one_kpi):
    records = json.loads(format_assessment(assess(one_kpi, Q2), "json"))
    assert len(records) == 1
    assert list(records[0]) == DOCUMENTED_COLUMNS
    assert records[0]["period_end"] == "2023-09-30"
    assert records[0]["lower"] is None  # NaN becomes null
    assert records[0]["call_in"] is True


def test_format_rejects_unknown_formats(one_kpi):
    with pytest.raises(ValueError, match="format"):
        format_assessment(assess(one_kpi, Q2), "xml")


def test_spc_columns_match_spc_run_one_indicator_at_a_time(sample_data):
    # assess computes SPC for every indicator at once; qprlib.spc.spc is the reference.
    from qprlib.spc import spc

    table = assess(sample_data, Q2)
    series = series_by_id(sample_data.values, sample_data.indicators, Q2)
    improvement = {"higher": "increase", "lower": "decrease"}
    baseline = {"monthly": 24, "quarterly": 13}  # AssessSettings' SPC baseline defaults
    for _, r in table.iterrows():
        values = series[r["id"]][-baseline[r["frequency"]] :]
        one = spc(
            values[~np.isnan(values)],
            improvement=improvement.get(r["polarity"], "neutral"),
            target=None if np.isnan(r["target"]) else r["target"],
        )
        got = (r["spc_variation"], r["spc_assurance"], r["spc_trial_limits"])
        assert got == (one.variation, one.assurance, one.trial_limits), r["id"]


def test_indicator_without_any_values_has_no_spc_or_direction():
    data = council(
        [indicator("A"), indicator("EMPTY")],
        [target(i, "2023/24", target=90, floor=80) for i in ("A", "EMPTY")],
        monthly("A", "2023-04", SLIDING),
    )
    e = row(assess(data, Q2), "EMPTY")
    assert [e[c] for c in ("rag", "direction", "spc_variation", "spc_trial_limits")] == [None] * 4
    assert not e["call_in"]


def test_a_quarter_with_no_value_has_no_direction_spc_or_call_in():
    # B was Red and worsening in Q1 and sent nothing for Q2: no data, so nothing to judge.
    data = council(
        [indicator("A"), indicator("B", frequency="quarterly")],
        [target(i, y, target=90, floor=80) for i in "AB" for y in ("2022/23", "2023/24")],
        monthly("A", "2022-04", [95] * 12 + [94, 93, 92]),  # ends June 2023
        [*quarterly("B", "2022-06-30", [79, 77, 75, 73, 71])],  # ends June 2023
    )
    table = assess(data, Q2)
    for id_ in "AB":
        r = row(table, id_)
        assert np.isnan(r["value"]) and r["rag"] is None
        assert [r[c] for c in ("direction", "spc_variation", "spc_assurance")] == [None] * 3
        assert r["spc_trial_limits"] is None
        assert not r["call_in"] and r["call_in_reason"] is None
    for method in ("previous", "same_period_last_year"):
        other = assess(data, Q2, AssessSettings(dot_method=method))
        assert other["direction"].isna().all(), method


def test_spc_limits_come_from_the_baseline_not_the_whole_history():
    # Three years at 50, then two years steady at 80 (small noise): over the whole history
    # the last point is far above the mean (special cause); over the last 24 months it is
    # ordinary variation around 80.
    noise = [0.5, -0.5, 0.3, -0.3] * 6
    values = [50.0 + n for n in noise[:12]] * 3 + [80.0 + n for n in noise]
    years = ("2018/19", "2019/20", "2020/21", "2021/22", "2022/23", "2023/24")
    data = council(
        [indicator("A")],
        [target("A", y, target=70, floor=60) for y in years],
        monthly("A", "2018-10", values),  # October 2018 to September 2023
    )
    assert len(values) == 60 and values[-1] == 79.7
    a = row(assess(data, Q2), "A")
    assert a["spc_variation"] == "common_cause"
    assert a["spc_assurance"] == "consistent_pass"  # target 70 below the baseline's limits
    whole = row(assess(data, Q2, AssessSettings(spc_baseline_months=60)), "A")
    assert whole["spc_variation"] == "special_cause_improvement"  # seven or more above the mean
    # mean 62, limits about 62 +- 2 (the one big jump is screened out): target 70 above them
    assert whole["spc_assurance"] == "consistent_fail"


def test_value_status_is_the_status_of_the_value_shown(one_kpi):
    """The quarter's latest value is September's: its status is reported, not August's."""
    assert row(assess(one_kpi, Q2), "A")["value_status"] is None  # no status column: final
    values = one_kpi.values.assign(status="")
    september, august = values.index[-1], values.index[-2]
    values.loc[august, "status"] = "estimate"
    assert row(assess(replace(one_kpi, values=values), Q2), "A")["value_status"] is None
    values.loc[september, "status"] = "provisional"
    assert row(assess(replace(one_kpi, values=values), Q2), "A")["value_status"] == "provisional"
