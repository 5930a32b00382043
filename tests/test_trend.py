"""Direction of travel: OLS slope significant at alpha (KCC since 2020/21), or comparisons."""

import numpy as np
import pytest
from scipy import stats

from qprlib.trend import direction

NAN = float("nan")
RISING = [10, 12, 11, 14, 13, 16, 15, 18]  # noisy but clearly upward
FALLING = RISING[::-1]
FLAT = [50.0] * 8
ZIGZAG = [5, 7, 5, 7, 5, 7, 5, 7]  # noise with no trend


@pytest.mark.parametrize(
    "values, polarity, expected",
    [
        (RISING, "higher", "improving"),
        (RISING, "lower", "worsening"),  # rising is bad when lower is better
        (RISING, "none", "increasing"),
        (FALLING, "higher", "worsening"),
        (FALLING, "lower", "improving"),
        (FALLING, "none", "decreasing"),
        (FLAT, "higher", "stable"),  # a constant series has no slope (and no p-value)
        (FLAT, "none", "no change"),
        (ZIGZAG, "higher", "stable"),
        (ZIGZAG, "lower", "stable"),
        (ZIGZAG, "none", "no change"),
        (list(range(8)), "higher", "improving"),  # a perfect line
    ],
)
def test_regression(values, polarity, expected):
    assert direction(values, polarity) == expected


def test_zigzag_slope_really_is_not_significant():
    assert stats.linregress(range(8), ZIGZAG).pvalue > 0.05  # the premise of the case above


def test_alpha_is_the_significance_level():
    values = [10, 13, 9, 14, 11, 12, 15, 13]
    p = stats.linregress(range(8), values).pvalue
    assert 0.01 < p < 0.2  # premise: a weak trend
    assert direction(values, "higher", alpha=p * 1.01) == "improving"
    assert direction(values, "higher", alpha=p * 0.99) == "stable"


def test_only_the_last_window_points_count():
    # Years of decline, then a clear recovery over the last eight periods.
    values = list(range(40, 10, -1)) + RISING
    assert direction(values, "higher", window=8) == "improving"
    assert direction(values, "higher", window=len(values)) == "worsening"


@pytest.mark.parametrize("values", [[], [1.0], [1.0, 2.0], [NAN, NAN, 1.0, 2.0]])
def test_too_few_points_gives_none(values):
    assert direction(values, "higher") is None


def test_three_points_are_enough():
    assert direction([1.0, 2.0, 3.0], "higher") == "improving"


def test_gaps_count_as_periods_and_are_skipped():
    with_gaps = [10, NAN, 11, 14, NAN, 16, 15, 18]
    assert direction(with_gaps, "higher") == "improving"
    only_three = [NAN, NAN, NAN, NAN, NAN, 1.0, 2.0, 3.0]
    assert direction(only_three, "higher") == "improving"
    assert direction([NAN, NAN, NAN, NAN, NAN, NAN, 2.0, 3.0], "higher") is None


def test_gaps_keep_their_place_in_time():
    # With the gap counted, the drop from 20 to 10 happens over five periods, not one;
    # either way it falls. The check: NaN is not treated as zero (which would rise).
    assert direction([20.0, NAN, NAN, NAN, NAN, 10.0, 9.0, 8.0], "higher") == "worsening"


@pytest.mark.parametrize(
    "values, polarity, expected",
    [
        ([5, 6], "higher", "improving"),
        ([6, 5], "higher", "worsening"),
        ([6, 5], "lower", "improving"),
        ([5, 5], "higher", "stable"),
        ([1, 9, 5, 6], "higher", "improving"),  # only the last two points matter
        ([5, 6], "none", "increasing"),
        ([5], "higher", None),
        ([5, NAN], "higher", None),  # this period missing: no comparison
        ([NAN, 5], "higher", None),
    ],
)
def test_previous_period(values, polarity, expected):
    assert direction(values, polarity, method="previous") == expected


@pytest.mark.parametrize(
    "values, periods_per_year, expected",
    [
        ([10, 99, 0, 99, 12], 4, "improving"),  # against the point four quarters before
        ([12, 0, 0, 0, 10], 4, "worsening"),
        ([10, 0, 0, 0, 10], 4, "stable"),
        ([10, 0, 0, 0], 4, None),  # not a year of history yet
        ([10] + [0] * 11 + [11], 12, "improving"),  # monthly: 12 months before
        ([10, NAN, NAN, NAN, NAN], 4, None),
    ],
)
def test_same_period_last_year(values, periods_per_year, expected):
    got = direction(
        values, "higher", method="same_period_last_year", periods_per_year=periods_per_year
    )
    assert got == expected


def test_constant_series_with_gaps_is_stable():
    assert direction([7.0, NAN, 7.0, 7.0, NAN, 7.0], "lower") == "stable"


def test_accepts_numpy_arrays():
    assert direction(np.array(RISING, dtype=float), "higher") == "improving"


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        direction(RISING, "higher", method="vibes")
