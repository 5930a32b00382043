"""SPC as NHSRplotthedots 0.2.2: reference cases from its own tests, plus hand-derived vectors.

Reference numbers: domain.md §3.7 (from nhs-r-community/NHSRplotthedots tests/testthat and
vignettes/deviations.Rmd; nhs-pycom/nhspy-plotthedots tests/unittests). Hand-made cases
carry their derivation in a comment: mean, mean moving range (amr), limits = mean ± 2.66 amr,
near limits = mean ± 1.7733 amr, then the rules.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qprlib.spc import (
    CONCERN,
    IMPROVEMENT,
    NEUTRAL_HIGH,
    NEUTRAL_LOW,
    POINT_TYPES,
    XMR_LIMIT,
    assurance,
    one_side_run_ends,
    part_of_run,
    part_of_two_in_three,
    spc,
    spc_summary,
    special_cause,
    trend_run_ends,
    two_in_three,
)

CC, UP, DN = "common_cause", IMPROVEMENT, CONCERN  # short names for long expected lists

# R: set.seed(123); rnorm(20)
RNORM_20 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774,
    1.71506499, 0.46091621, -1.26506123, -0.68685285, -0.44566197,
    1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113,
    1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip


def quoted(text: str):
    """The number as quoted: equal to within half a unit of its last quoted decimal place."""
    decimals = len(text.partition(".")[2])
    return pytest.approx(float(text), abs=0.5 * 10**-decimals)


def types(result) -> list:
    return result.points["point_type"].tolist()


# --- limits: the package's own reference numbers ------------------------------------------


def test_rnorm_limits_screened_all_common_cause():
    # snapshot _snaps/ptd_spc_standard.md: mean 0.1416238, lpl -3.01138, upl 3.294627
    r = spc(RNORM_20)
    assert (r.mean, r.lpl, r.upl) == (quoted("0.1416238"), quoted("-3.01138"), quoted("3.294627"))
    assert types(r) == [CC] * 20
    assert r.variation == CC
    assert r.trial_limits is False  # 20 points


def test_rnorm_with_an_outlier_screened_and_unscreened():
    # y[15] (1-based) = 10. Unscreened amr = 1.97971; 3.267 x amr = 6.468, so the two moving
    # ranges beside the 10 (9.889 and 8.213) are screened out and amr recomputed.
    y = list(RNORM_20)
    y[14] = 10
    screened = spc(y)
    assert screened.mean == quoted("0.6694159")
    assert (screened.lpl, screened.upl) == (quoted("-2.383666"), quoted("3.722497"))
    unscreened = spc(y, screen_outliers=False)
    assert unscreened.mean == quoted("0.6694159")
    assert (unscreened.lpl, unscreened.upl) == (quoted("-4.596625"), quoted("5.935457"))
    # screening narrows the limits (test-ptd_spc_standard.R)
    assert unscreened.upl - unscreened.lpl > screened.upl - screened.lpl


@pytest.mark.parametrize(
    "part, mean, lpl, upl",
    [
        (slice(0, 10), "0.0746", "-2.60", "2.75"),  # facet 1: first 10 points
        (slice(10, 20), "0.209", "-3.28", "3.70"),  # facet 2: last 10 points
    ],
)
def test_rnorm_facets(part, mean, lpl, upl):
    r = spc(RNORM_20[part])
    assert (r.mean, r.lpl, r.upl) == (quoted(mean), quoted(lpl), quoted(upl))
    assert r.trial_limits is True  # 10 points


def test_rnorm_target_between_limits_is_inconsistent():
    # target 0.5, direction increase: LPL -3.01 < 0.5 < UPL 3.29
    assert spc(RNORM_20, "increase", target=0.5).assurance == "inconsistent"


def test_outlier_screening_deviations_vignette():
    # deviations.Rmd. mean = 35/18 = 1.9444. Moving ranges: 1,1,1,8,9 and twelve 1s: sum 32,
    # amr 32/17 = 1.8824 (unscreened, = MDC Excel): UPL 1.9444 + 2.66 x 1.8824 = 6.9515.
    # Screened: 8 and 9 >= 3.267 x 1.8824 = 6.15 are dropped, amr = 15/15 = 1: UPL 4.6044.
    y = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    screened = spc(y)
    assert (screened.mean, screened.lpl, screened.upl) == (
        quoted("1.9444"),
        quoted("-0.7156"),
        quoted("4.6044"),
    )
    assert screened.amr == pytest.approx(1.0)
    unscreened = spc(y, screen_outliers=False)
    assert (unscreened.lpl, unscreened.upl) == (quoted("-3.0626"), quoted("6.9515"))
    for r in (screened, unscreened):  # 10 is above both UPLs: improvement, nothing else
        assert types(r) == [CC] * 4 + [UP] + [CC] * 13
        assert r.points["rule"].iloc[4] == "outside_limits"


def test_screening_is_strict():
    # keep mr only if mr < 3.267 amr. Moving ranges 3267, 749 and eight 748s: amr exactly
    # 10000/10 = 1000, and 3.267 x 1000 = 3267, so the 3267 range is screened out (not <):
    # amr = 6733/9 = 748.11. Kept by a non-strict test, amr would stay 1000.
    y = [0, 3267, 2518] + [3266, 2518] * 4
    assert spc(y, screen_outliers=False).amr == 1000
    assert spc(y).amr == pytest.approx(6733 / 9)


@pytest.mark.parametrize(
    "y, mean, lpl, upl, nlpl, nupl",
    [
        # nhspy-plotthedots test_limits_calculations.py: amr 1 in both
        (list(range(1, 11)), "5.5", "2.84", "8.16", "3.7267", "7.2733"),
        ([1, 2, 3], "2.0", "-0.66", "4.66", "0.2267", "3.7733"),
    ],
)
def test_python_port_limits(y, mean, lpl, upl, nlpl, nupl):
    first = spc(y).points.iloc[0]
    for column, expected in zip(
        ["mean", "lpl", "upl", "nlpl", "nupl"], [mean, lpl, upl, nlpl, nupl], strict=True
    ):
        assert first[column] == quoted(expected)


def test_constants_from_source():
    assert XMR_LIMIT == 2.66
    assert spc([1, 2, 3]).points["nupl"].iloc[0] - 2.0 == pytest.approx(2 * 2.66 / 3)


# --- the rules on plain vectors (test-ptd_calculate_point_type.R) -------------------------


@pytest.mark.parametrize(
    "side, expected",
    [
        ([], []),
        ([1] * 6, [0] * 6),
        ([1] * 6 + [-1], [0] * 7),
        ([1] * 8 + [-1], [0] * 6 + [1, 1, 0]),
        ([-1] * 8 + [1], [0] * 6 + [1, 1, 0]),
        ([1, 1, 1, 0, 1, 1, 1, 1], [0] * 8),  # a point on the mean (0) breaks the run
    ],
)
def test_seven_point_one_side_mean(side, expected):
    assert one_side_run_ends(np.array(side, dtype=float)).astype(int).tolist() == expected


@pytest.mark.parametrize(
    "ends, expected",
    [
        ([], []),
        ([0] * 6, [0] * 6),
        ([0] * 6 + [1, 0], [1] * 7 + [0]),
        ([0] * 7 + [1, 0], [0] + [1] * 7 + [0]),
        ([0] * 6 + [-1, 0], [1] * 7 + [0]),  # issue #167: a decreasing run counts too
        ([0] * 7 + [-1, 0], [0] + [1] * 7 + [0]),
    ],
)
def test_part_of_seven_trend(ends, expected):
    assert part_of_run(np.array(ends), 7).astype(int).tolist() == expected


@pytest.mark.parametrize(
    "y, expected",
    [
        ([], []),
        (list(range(1, 7)), [0] * 6),
        ([1, 2, 3, 3, 4, 5, 6], [0] * 7),  # a tie breaks the trend
        (list(range(1, 8)), [0] * 6 + [1]),
        ([2, *range(1, 8), 3], [0] * 7 + [1, 0]),
        (list(range(7, 0, -1)), [0] * 6 + [-1]),
        ([2, *range(7, 0, -1), 3], [0] * 7 + [-1, 0]),
    ],
)
def test_seven_point_trend(y, expected):
    assert trend_run_ends(np.array(y, dtype=float)).tolist() == expected


@pytest.mark.parametrize(
    "close, side, expected",
    [
        ([], [], []),
        ([1, 0, 1], [1, 1, 1], [1, 1, 1]),
        ([0, 1, 1], [1, 1, 1], [1, 1, 1]),
        ([1, 1, 0], [1, 1, 1], [1, 1, 1]),
        ([0, 0, 1, 0, 1, 0, 0], [1] * 7, [0, 0, 1, 1, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [1] * 7, [0, 1, 1, 1, 1, 0, 0]),
        # points on opposite sides of the mean never make the pattern
        ([1, 0, 1], [1, -1, 1], [0, 0, 0]),
        ([0, 1, 1], [1, -1, 1], [0, 0, 0]),
        ([1, 1, 0], [1, -1, 1], [0, 0, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1], [0] * 7),
        ([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1], [0] * 7),
    ],
)
def test_two_in_three(close, side, expected):
    hits = two_in_three(np.array(close, dtype=bool), np.array(side, dtype=float))
    assert hits.astype(int).tolist() == expected


@pytest.mark.parametrize(
    "close, expected",
    [
        ([1, 0, 1], [1, 0, 1]),  # only the close points of the window are flagged
        ([0, 1, 1], [0, 1, 1]),
        ([0, 0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0]),
        ([1, 0, 0, 1], [0, 0, 0, 0]),  # 2 close but 3 apart: no window of 3 holds both
        ([1, 0, 0, 1, 1], [0, 0, 0, 1, 1]),
    ],
)
def test_part_of_two_in_three(close, expected):
    close = np.array(close, dtype=bool)
    hits = two_in_three(close, np.ones(len(close)))
    assert part_of_two_in_three(hits, close).astype(int).tolist() == expected


def test_precedence_outside_trend_two_in_three_shift():
    # R's mocked rule vectors; expected labels "7 Point Trend (Increasing)" x2,
    # "7 Points Above CL" x2, "2 in 3 Below CL", "Below LCL" x2, "Common Cause".
    y = np.arange(1.0, 9.0)
    side = np.array([1, 1, 1, 1, -1, -1, -1, -1])
    outside = np.array([0, 0, 0, 0, 0, 1, -1, 0]) != 0
    in_trend = np.array([1, -1, 0, 0, 0, 0, 0, 0]) != 0
    in_shift = np.array([0, 0, 1, -1, 0, 0, 0, 0]) != 0
    in_two_in_three = np.array([0, 0, 0, 0, 1, 0, 0, 0]) != 0
    signal, rule = special_cause(y, side, outside, in_trend, in_two_in_three, in_shift)
    assert rule.tolist() == ["trend"] * 2 + ["shift"] * 2 + ["two_in_three"] + [
        "outside_limits"
    ] * 2 + [None]
    assert signal.tolist() == [1, 1, 1, 1, -1, -1, -1, 0]


@pytest.mark.parametrize(
    "lpl, upl, target, increase, decrease",
    [
        (1, 3, 4, "consistent_fail", "consistent_pass"),  # target above the UPL
        (5, 7, 4, "consistent_pass", "consistent_fail"),  # target below the LPL
        (1, 5, 4, "inconsistent", "inconsistent"),  # target within the limits
        (1, 4, 4, "inconsistent", "inconsistent"),  # on the UPL: strict, so inconsistent
        (4, 7, 4, "inconsistent", "inconsistent"),  # on the LPL
    ],
)
def test_assurance_table(lpl, upl, target, increase, decrease):
    # test-ptd_calculate_assurance_type.R
    assert assurance(target, lpl, upl, 1) == increase
    assert assurance(target, lpl, upl, -1) == decrease
    assert assurance(target, lpl, upl, 0) is None  # neutral: NA
    assert assurance(None, lpl, upl, 1) is None  # no target
    assert assurance(float("nan"), lpl, upl, 1) is None


# --- whole series ---------------------------------------------------------------------------


def test_two_in_three_on_opposite_sides_is_common_cause():
    # test-ptd_spc_standard.R: rep(c(1, -1), 8) with y[15] = 5.5, y[16] = -5.5. Mean 0;
    # moving ranges thirteen 2s, 6.5, 11: amr 2.9, 11 >= 9.47 screened, amr 32.5/14 = 2.321;
    # near limits ±4.117, limits ±6.175: both points are close but on opposite sides.
    y = np.tile([1.0, -1.0], 8)
    y[14], y[15] = 5.5, -5.5
    r = spc(y)
    assert r.upl == pytest.approx(2.66 * 32.5 / 14)
    assert types(r)[-2:] == [CC, CC]


def test_points_beyond_the_limits_do_not_count_towards_two_in_three():
    # NHSRplotthedots (unlike the 2023 MDC Excel tool): close = beyond 2 sigma, not beyond 3.
    # [4, 6] x 6 then 11, 13, 7: mean 91/15 = 6.067; moving ranges eleven 2s, 5, 2, 6: amr
    # 35/14 = 2.5 (none >= 8.17); near upper 10.5, UPL 12.717. 11 is close, 13 outside, 7
    # above the mean: one close point in the window, so 11 stays common cause. (The twelve
    # 4s and 6s are all below the mean: a shift.)
    r = spc([4, 6] * 6 + [11, 13, 7])
    assert r.upl == pytest.approx(91 / 15 + 2.66 * 2.5)
    assert r.points["rule"].tolist()[-3:] == [None, "outside_limits", None]
    assert types(r)[-3:] == [CC, UP, CC]


@pytest.mark.parametrize(
    "y, expected",
    [
        # issue #167. Mean 3.5, amr 1: limits 0.84..6.16, so 0 and 7 are outside (outside
        # wins over the trend); 1..6 are the increasing trend: improvement.
        (list(range(8)), [DN] + [UP] * 7),
        # mirrored: 0 is above the UPL -0.84 (improvement), the rest fall: concern.
        ([-v for v in range(8)], [UP] + [DN] * 7),
    ],
)
def test_eight_point_trend_bugfix(y, expected):
    r = spc(y)
    assert types(r) == expected
    assert r.points["rule"].tolist() == ["outside_limits"] + ["trend"] * 6 + ["outside_limits"]


# Shift below the mean. Mean 57/13 = 4.385; moving ranges five 1s, 3, six 1s: amr 14/12 = 1.167
# (3 < 3.81, kept); limits 1.281..7.488, near 2.316..6.454: none outside or close; the steps
# alternate, so no trend; the last 7 points (3s and 4s) are below the mean: a shift.
SHIFT_BELOW = [5, 6, 5, 6, 5, 6, 3, 4, 3, 4, 3, 4, 3]


@pytest.mark.parametrize(
    "improvement, low",
    [("increase", CONCERN), ("decrease", IMPROVEMENT), ("neutral", NEUTRAL_LOW)],
)
def test_improvement_direction_applied_as_a_sign(improvement, low):
    r = spc(SHIFT_BELOW, improvement)
    assert r.points["rule"].tolist() == [None] * 6 + ["shift"] * 7
    assert types(r) == [CC] * 6 + [low] * 7
    assert r.variation == low
    assert r.trial_limits is False  # 13 points: icons shown


def test_neutral_high_and_low():
    # issue #167 case again (limits 0.84..6.16): 0 below, 1..7 an increasing trend / above.
    r = spc(list(range(8)), "neutral", target=3)
    assert types(r) == [NEUTRAL_LOW] + [NEUTRAL_HIGH] * 7
    assert r.assurance is None  # neutral: no assurance even with a target


@pytest.mark.parametrize(
    "improvement, target, expected",
    [
        ("increase", 20, "consistent_fail"),  # target 20 > UPL 7.49
        ("decrease", 20, "consistent_pass"),
        ("increase", 1, "consistent_pass"),  # target 1 < LPL 1.28
        ("decrease", 1, "consistent_fail"),
        ("increase", 5, "inconsistent"),
        ("increase", None, None),
    ],
)
def test_assurance_from_the_series(improvement, target, expected):
    assert spc(SHIFT_BELOW, improvement, target=target).assurance == expected


def test_trend_and_a_tie_breaking_it():
    # [1,9]x3 then 2..8. Mean 65/13 = 5; moving ranges five 8s, 7, six 1s: amr 53/12 = 4.417
    # (none >= 14.4); limits -6.75..16.75, near -2.83..12.83: nothing outside or close; sides
    # alternate then - - - 0 + + +: no shift; 2..8 rise 7 times in a row: a trend.
    r = spc([1, 9, 1, 9, 1, 9, 2, 3, 4, 5, 6, 7, 8])
    assert r.mean == pytest.approx(5.0)
    assert r.amr == pytest.approx(53 / 12)
    assert r.points["rule"].tolist() == [None] * 6 + ["trend"] * 7
    # trend beats side: 2, 3, 4 are below the mean but in a rising trend, so improvement
    assert types(r) == [CC] * 6 + [UP] * 7
    # 2,3,4,5,5,6,7: the tie splits it into runs of 4 and 3 (mean 4.77, amr 4.33, limits
    # -6.76..16.30, near -2.92..12.45: nothing else fires)
    assert types(spc([1, 9, 1, 9, 1, 9, 2, 3, 4, 5, 5, 6, 7])) == [CC] * 13


def test_trend_n_is_configurable():
    # same tied series: with trend_n=4 the run 2,3,4,5 is a trend; 5,6,7 is still too short
    r = spc([1, 9, 1, 9, 1, 9, 2, 3, 4, 5, 5, 6, 7], trend_n=4)
    assert r.points["rule"].tolist() == [None] * 6 + ["trend"] * 4 + [None] * 3


# Two halves mirrored about 5 so the mean is exactly 5.
# Tied: 6,7,6,5,6,7,6 | 4,3,4,5,4,3,4: moving ranges six 1s, 2, six 1s: amr 14/13 = 1.077;
# limits 2.135..7.865, near 3.090..6.910: the 7s and 3s are close but 4 apart (no 2-in-3);
# each 5 sits on the mean and splits its half into runs of 3.
ON_MEAN = [6, 7, 6, 5, 6, 7, 6, 4, 3, 4, 5, 4, 3, 4]
# Untied: the 5s become 6 and 4 (mean still 70/14 = 5): amr 10/13 = 0.769, limits
# 2.954..7.046, near 3.636..6.364; 7s and 3s close, 4 apart; 7 above then 7 below: shifts.
OFF_MEAN = [6, 7, 6, 6, 6, 7, 6, 4, 3, 4, 4, 4, 3, 4]


def test_a_point_on_the_mean_breaks_a_shift():
    on, off = spc(ON_MEAN), spc(OFF_MEAN)
    assert on.mean == off.mean == 5.0  # exactly: the on-mean points have sign 0
    assert types(on) == [CC] * 14
    assert off.points["rule"].tolist() == ["shift"] * 14
    assert types(off) == [UP] * 7 + [DN] * 7


def test_shift_n_is_configurable():
    # runs of 3 either side of each on-mean point become shifts; the 5s themselves do not
    r = spc(ON_MEAN, shift_n=3)
    assert (
        r.points["rule"].tolist() == ["shift"] * 3 + [None] + ["shift"] * 6 + [None] + ["shift"] * 3
    )
    assert types(r) == [UP, UP, UP, CC, UP, UP, UP, DN, DN, DN, CC, DN, DN, DN]


def test_flat_step_between_two_trends_reads_as_decreasing():
    # Matches R ptd_special_cause_type(): a trend point whose next point is also in a trend
    # takes its direction from the step after it, and ifelse(sdy == 1, "In", "De") reads a
    # flat step as "Decreasing". 1..7, 7..13: mean 7, amr 12/13 = 0.923, limits 4.545..9.455:
    # 1-4 below (concern), 10-13 above (improvement); 5, 6 and 7..9 rising (improvement); the
    # first 7 is followed by the second 7: "Decreasing", so concern.
    r = spc([*range(1, 8), *range(7, 14)])
    assert types(r) == [DN] * 4 + [UP, UP, DN] + [UP] * 7


def test_trial_limits_below_13_points():
    assert spc(SHIFT_BELOW[:12]).trial_limits is True  # NHSRplotthedots warns at n <= 12
    assert spc(SHIFT_BELOW).trial_limits is False  # MDC shows icons from 13


# A constant series: every moving range is 0, so amr is 0. R/ptd_spc_standard.R (0.2.2) then
# screens with `case_when(!screen_outliers ~ mr, mr < 3.267 * amr ~ mr, TRUE ~ NA)`: with
# screening on, 0 < 3.267 x 0 is FALSE for every range (and NA for the first), so every mr is
# NA, amr = mean(NA..., na.rm = TRUE) is NaN and lpl, upl, nlpl, nupl are NaN. outside_limits
# and close_to_limits are then NA, which case_when() and ptd_two_in_three() treat as not
# special cause; every point is on the mean (relative_to_mean 0: no shift) and every step is a
# tie (no trend), so all are common cause. ptd_calculate_assurance_type(): `target > upl` and
# `target < lpl` are NA, so case_when falls through to TRUE ~ "inconsistent" whatever the
# target. With screening off, mr is kept: amr 0 and the limits equal the mean.
@pytest.mark.parametrize("value", [0.1, 7.0, -3.25, 1 / 3])
@pytest.mark.parametrize("target_offset", [-10.0, 0.0, 10.0])
@pytest.mark.parametrize("improvement", ["increase", "decrease"])
def test_constant_series_screened_has_no_limits_as_in_r(value, target_offset, improvement):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = spc([value] * 15, improvement, target=value + target_offset)
    assert r.mean == value
    assert np.isnan(r.amr) and np.isnan(r.lpl) and np.isnan(r.upl)
    assert r.points[["lpl", "upl", "nlpl", "nupl"]].isna().all().all()
    assert types(r) == [CC] * 15
    assert r.variation == CC
    assert r.assurance == "inconsistent"


@pytest.mark.parametrize("value", [0.1, 7.0, -3.25, 1 / 3])
def test_constant_series_unscreened_has_limits_on_the_mean(value):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = spc([value] * 15, target=value, screen_outliers=False)
        above = spc([value] * 15, target=value + 1, screen_outliers=False)
    assert r.mean == value
    assert r.amr == 0
    assert r.lpl == r.upl == value
    assert types(r) == [CC] * 15
    assert r.assurance == "inconsistent"  # target == UPL == LPL: strict inequalities
    assert above.assurance == "consistent_fail"  # increase, target above the UPL


def test_constant_series_in_a_summary_matches_spc():
    frame = pd.DataFrame({"id": ["A"] * 15 + ["B"] * 15, "value": [5.0] * 15 + list(range(15))})
    summary = spc_summary(frame, target=5.0).set_index("id")
    assert np.isnan(summary.loc["A", "lpl"]) and summary.loc["A", "assurance"] == "inconsistent"
    assert summary.loc["B", "lpl"] == pytest.approx(spc(list(range(15)), target=5.0).lpl)


def test_missing_values_are_kept_but_left_out():
    # limits and rules use 1, 2, 3 in order (the gap is bridged): mean 2, amr 1
    r = spc([1.0, np.nan, 2.0, None, 3.0, np.nan])
    assert (r.mean, r.lpl, r.upl) == (pytest.approx(2.0), pytest.approx(-0.66), pytest.approx(4.66))
    assert r.n == 3
    assert r.points["point_type"].tolist() == [CC, None, CC, None, CC, None]
    assert r.points["moving_range"].tolist()[4] == 1.0
    assert np.isnan(r.points["value"].iloc[1])
    assert r.variation == CC  # the latest non-missing point


@pytest.mark.parametrize("values", [[], [np.nan, np.nan], np.array([]), pd.Series([], dtype=float)])
def test_no_data(values):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = spc(values, target=1)
    assert (r.variation, r.assurance, r.trial_limits, r.n) == (None, None, True, 0)
    assert len(r.points) == len(values)
    assert {"value", "mean", "lpl", "upl", "point_type"} <= set(r.points.columns)


def test_one_point_has_no_limits():
    # no moving range: limits are NaN (as R's mean of nothing), and nothing can be special
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = spc([4.0], target=10)
    assert r.mean == 4.0 and np.isnan(r.upl)
    assert r.variation == CC
    assert r.assurance == "inconsistent"  # R: target > NA is NA, so case_when falls through


def test_inputs_list_array_series():
    y = [1.0, 2.0, 3.0]
    by_list, by_array = spc(y), spc(np.array(y))
    by_series = spc(pd.Series(y, index=pd.period_range("2023Q1", periods=3, freq="Q")))
    pd.testing.assert_frame_equal(by_list.points, by_array.points)
    assert list(by_series.points.index.astype(str)) == ["2023Q1", "2023Q2", "2023Q3"]
    assert by_series.points["upl"].tolist() == by_list.points["upl"].tolist()


def test_input_not_mutated():
    y = [1.0, np.nan, 9.0, 1.0, 2.0]
    arr, ser = np.array(y), pd.Series(y, index=list("abcde"))
    copies = (list(y), arr.copy(), ser.copy())
    for values in (y, arr, ser):
        r = spc(values)
        r.points.loc[r.points.index[0], "value"] = -99  # the result does not share memory
    assert y[0] == 1.0 and np.isnan(y[1]) and y[2:] == copies[0][2:]
    np.testing.assert_array_equal(arr, copies[1])
    pd.testing.assert_series_equal(ser, copies[2])


def test_result_is_frozen():
    r = spc([1, 2, 3])
    with pytest.raises(AttributeError):
        r.variation = "x"


@pytest.mark.parametrize(
    "kwargs", [{"improvement": "higher"}, {"shift_n": 1}, {"trend_n": 6.5}, {"trend_n": True}]
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        spc([1, 2, 3], **kwargs)


# --- properties -----------------------------------------------------------------------------

series = st.lists(st.integers(-50, 50), min_size=0, max_size=30)


def _away_from_limits(r) -> bool:
    """No point within 1e-6 of a limit, where rounding could tip a comparison."""
    p = r.points
    gaps = [np.abs(p["value"] - p[c]) for c in ("lpl", "upl", "nlpl", "nupl")]
    return not any((g < 1e-6).any() for g in gaps)


@settings(max_examples=150, deadline=None)
@given(series, st.integers(-1000, 1000), st.sampled_from(["increase", "decrease", "neutral"]))
def test_shifting_values_shifts_limits_and_keeps_types(values, shift, improvement):
    before = spc(values, improvement)
    assume(_away_from_limits(before))
    after = spc([v + shift for v in values], improvement)
    assert after.mean == pytest.approx(before.mean + shift, nan_ok=True)
    assert after.upl == pytest.approx(before.upl + shift, nan_ok=True)
    assert after.lpl == pytest.approx(before.lpl + shift, nan_ok=True)
    assert types(after) == types(before)


FLIP = {"increase": "decrease", "decrease": "increase"}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-50, 50), max_size=30, unique=True), st.sampled_from(list(FLIP)))
def test_negating_values_and_flipping_direction_keeps_labels(values, improvement):
    # unique values: no flat steps, so R's flat-step "Decreasing" reading cannot arise
    before = spc(values, improvement)
    after = spc([-v for v in values], FLIP[improvement])
    assert types(after) == types(before)
    assert after.lpl == pytest.approx(-before.upl, nan_ok=True)
    assert after.upl == pytest.approx(-before.lpl, nan_ok=True)


@settings(max_examples=100, deadline=None)
@given(series)
def test_every_point_gets_a_known_type(values):
    r = spc(values)
    assert len(r.points) == len(values)
    assert set(types(r)) <= set(POINT_TYPES)
    assert r.variation == (types(r)[-1] if values else None)


# --- many series at once --------------------------------------------------------------------


def _frame(named: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame(
        [(k, v) for k, vs in named.items() for v in vs], columns=["id", "value"]
    ).astype({"value": float})


def test_summary_matches_spc_series_by_series():
    named = {
        "shift": SHIFT_BELOW,
        "trend": list(range(8)),
        "flat": [3.0] * 5,
        "gap": [1, np.nan, 2, 3],
        "empty": [np.nan],
        "rnorm": RNORM_20,
    }
    frame = _frame(named).assign(
        improvement=lambda f: np.where(f["id"] == "trend", "decrease", "increase"),
        target=lambda f: np.where(f["id"] == "shift", 20.0, np.nan),
    )
    s = spc_summary(frame, improvement="improvement", target="target")
    assert s["id"].tolist() == list(named)
    for row in s.itertuples():
        improvement = "decrease" if row.id == "trend" else "increase"
        r = spc(named[row.id], improvement, target=20.0 if row.id == "shift" else None)
        assert (row.n, row.variation, row.assurance, row.trial_limits) == (
            r.n,
            r.variation,
            r.assurance,
            r.trial_limits,
        )
        assert [row.mean, row.lpl, row.upl] == pytest.approx([r.mean, r.lpl, r.upl], nan_ok=True)
        counts = r.points["point_type"].value_counts()
        assert all(getattr(row, t) == counts.get(t, 0) for t in POINT_TYPES)


def test_summary_interleaved_series_and_scalar_settings():
    # rows of two series interleaved: each keeps its own time order
    a, b = SHIFT_BELOW, [1, 9, 1, 9, 1, 9, 2, 3, 4, 5, 6, 7, 8]
    interleaved = [v for pair in zip(a, b, strict=True) for v in pair]
    frame = pd.DataFrame({"id": ["a", "b"] * 13, "value": interleaved})
    s = spc_summary(frame, improvement="decrease", target=1.0).set_index("id")
    assert s.loc["a", "variation"] == IMPROVEMENT  # shift below the mean, lower is better
    assert s.loc["b", "variation"] == CONCERN  # rising trend, lower is better
    assert s.loc["a", "assurance"] == "consistent_fail"  # target 1 < LPL 1.28, decrease
    assert s.loc["b", "special_cause_concern"] == 7


@settings(max_examples=50, deadline=None)
@given(st.lists(series, max_size=6), st.sampled_from(["increase", "decrease", "neutral"]))
def test_summary_property_matches_spc(many, improvement):
    named = {f"s{i}": v for i, v in enumerate(many)}
    s = spc_summary(_frame(named), improvement=improvement, target=0)
    expected = [spc(v, improvement, target=0) for v in named.values() if v]
    assert s["variation"].tolist() == [r.variation for r in expected]
    assert s["assurance"].tolist() == [r.assurance for r in expected]
    assert s["upl"].tolist() == pytest.approx([r.upl for r in expected], nan_ok=True)


def test_summary_refuses_bad_input():
    frame = pd.DataFrame({"id": ["a", None], "value": [1.0, 2.0]})
    with pytest.raises(ValueError, match="missing"):
        spc_summary(frame)
    with pytest.raises(ValueError, match="neither"):
        spc_summary(frame.dropna(), improvement="polarity")
