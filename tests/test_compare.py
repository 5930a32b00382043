"""qprlib.compare: group statistics, the council's rank and quartile (1st = best), by hand.

Definitions (qprlib/compare.py, README "Comparing with other councils"): rank among the
group and the council, best first, ties share the better rank; quartile = ceil(4 x rank / n);
the group's mean, median and quartiles are of the other areas only, quartiles interpolated
linearly (Excel QUARTILE.INC).
"""

import numpy as np
import pandas as pd
import pytest

from qprlib import compare

# Seven neighbours and the council (n = 8). Sorted: 60 65 70 75 80 85 90, council 78.
NEIGHBOURS = [70.0, 90.0, 60.0, 85.0, 75.0, 65.0, 80.0]
COUNCIL = 78.0


def test_higher_is_better_rank_and_quartile_by_hand():
    # Better than 78 when higher is better: 80, 85, 90 -> three above, so rank 4 of 8;
    # ceil(4 * 4 / 8) = 2: the 2nd quartile (ranks 3-4 of 8).
    assert compare.rank(COUNCIL, NEIGHBOURS, "higher") == (4, 8)
    assert compare.quartile(4, 8) == 2


def test_lower_is_better_rank_and_quartile_by_hand():
    # Better than 78 when lower is better: 60, 65, 70, 75 -> rank 5 of 8; ceil(20 / 8) = 3.
    assert compare.rank(COUNCIL, NEIGHBOURS, "lower") == (5, 8)
    assert compare.quartile(5, 8) == 3


@pytest.mark.parametrize(
    "rank_, n, expected",
    [
        (1, 16, 1), (4, 16, 1), (5, 16, 2), (8, 16, 2), (9, 16, 3), (12, 16, 3), (13, 16, 4),
        (16, 16, 4),  # 16 similar councils: four to a quartile
        (1, 5, 1), (2, 5, 2), (3, 5, 3), (4, 5, 4), (5, 5, 4),  # 5: the best and worst at the ends
        (1, 3, None), (3, 3, None), (1, 1, None),  # fewer than four: no quartile
    ],
)  # fmt: skip
def test_quartile_bands_a_ranked_list_into_four(rank_, n, expected):
    assert compare.quartile(rank_, n) == expected


def test_ties_share_the_better_rank():
    assert compare.rank(80.0, [80.0, 90.0], "higher") == (2, 3)  # 90 first, then 80 and 80
    assert compare.rank(80.0, [80.0, 90.0], "lower") == (1, 3)


def test_no_rank_without_a_value_or_a_better_direction():
    assert compare.rank(np.nan, NEIGHBOURS, "higher") is None
    assert compare.rank(COUNCIL, NEIGHBOURS, "none") is None


def test_group_statistics_by_hand():
    # 60 65 70 75 80 85 90: mean 75, median 75; QUARTILE.INC positions 1 + 0.25 * 6 = 2.5
    # -> (65 + 70) / 2 = 67.5, and 1 + 0.75 * 6 = 5.5 -> (80 + 85) / 2 = 82.5.
    assert compare.summary_stats(NEIGHBOURS) == {
        "mean": 75.0, "median": 75.0, "lower_quartile": 67.5, "upper_quartile": 82.5,
    }  # fmt: skip


def frames(polarity="higher"):
    kpis = pd.DataFrame({"id": ["K1", "K2"], "polarity": [polarity, "lower"], "unit": "percent"})
    values = pd.DataFrame(
        {
            "id": ["K1", "K1"],
            "period_end": pd.to_datetime(["2023-06-30", "2023-09-30"]),
            "value": [COUNCIL, 50.0],
        }
    )
    rows = [("K1", f"N{k}", "2023-06-30", v) for k, v in enumerate(NEIGHBOURS)]
    rows += [("K1", f"N{k}", "2023-03-31", 10.0) for k in range(7)]  # an older period
    rows += [("K1", "ENG", "2023-06-30", 81.3), ("K1", "N0", "2023-12-31", 99.0)]  # and a later
    comparators = pd.DataFrame(rows, columns=["id", "area_code", "period", "value"])
    comparators["period"] = pd.to_datetime(comparators["period"])
    groups = {"similar councils": tuple(f"N{k}" for k in range(7)), "England": "ENG"}
    return kpis, values, comparators, groups


@pytest.mark.parametrize("polarity, rank_, quartile", [("higher", 4, 2), ("lower", 5, 3)])
def test_comparisons_use_the_latest_period_up_to_the_quarter(polarity, rank_, quartile):
    kpis, values, comparators, groups = frames(polarity)
    found = compare.comparisons(kpis, values, comparators, groups, pd.Timestamp("2023-09-30"))
    assert list(found["group"]) == ["similar councils", "England"]  # K2 has none: no rows
    ranked, england = found.iloc[0], found.iloc[1]
    assert ranked["period"] == pd.Timestamp("2023-06-30")  # not March, not December
    assert (ranked["rank"], ranked["count"], ranked["quartile"]) == (rank_, 8, quartile)
    assert ranked["value"] == COUNCIL  # the council's June figure, not September's
    assert (ranked["median"], ranked["mean"]) == (75.0, 75.0)
    assert bool(england["published"]) and england["value"] == 81.3


def test_comparison_words_and_assessment_columns():
    kpis, values, comparators, groups = frames("higher")
    found = compare.comparisons(kpis, values, comparators, groups, pd.Timestamp("2023-09-30"))
    columns = compare.assessment_columns(kpis, found)
    assert columns.loc[0, "comparison"] == (
        "2nd quartile of 8 similar councils; England 81.3% (June 2023)"
    )
    assert columns.loc[0, "comparator_quartile"] == 2
    assert columns.loc[0, "published_value"] == 81.3
    assert columns.loc[0, "comparator_value"] == COUNCIL
    assert columns.loc[0, "published_better"] is False  # 78 against 81.3, higher is better
    assert columns.loc[1, "comparison"] is None  # a KPI without comparators shows none
    assert np.isnan(columns.loc[1, "comparator_rank"])


def test_inputs_are_not_changed():
    kpis, values, comparators, groups = frames()
    before = [f.copy() for f in (kpis, values, comparators)]
    compare.comparisons(kpis, values, comparators, groups, pd.Timestamp("2023-09-30"))
    for frame, copy in zip((kpis, values, comparators), before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


def test_groups_round_trip_through_json():
    groups = {"similar councils": ("A", "B"), "England": "E92000001"}
    assert compare.groups_from_json(compare.groups_to_json(groups)) == groups
    assert compare.groups_from_json("") == {}


def test_a_group_too_small_to_quarter_gives_a_rank_in_words():
    kpis, values, comparators, groups = frames("higher")
    groups = {"near": ("N1", "N2")}  # 90 and 60 with the council's 78: 2nd of 3
    found = compare.comparisons(kpis, values, comparators, groups, pd.Timestamp("2023-09-30"))
    assert np.isnan(found.loc[0, "quartile"])
    assert compare.comparison_words(found, "percent") == "ranked 2nd of 3 near (June 2023)"
