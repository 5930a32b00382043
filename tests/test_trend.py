"""Direction of travel: OLS slope significant at alpha (KCC since 2020/21), or comparisons."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from qprlib.trend import METHODS, direction, directions, regression_movements

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


# --- one rule for one series or many: `directions` (matrix) and `direction` (scalar) agree

finite = st.integers(0, 1000).map(lambda v: v / 10)  # values as data files give them
series = st.lists(st.one_of(finite, st.just(NAN)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(series, st.sampled_from(["higher", "lower", "none"])), min_size=1),
    method=st.sampled_from(METHODS),
    window=st.integers(3, 24),
    per_year=st.sampled_from([4, 12]),
)
def test_matrix_of_series_agrees_with_one_series_at_a_time(rows, method, window, per_year):
    width = max([len(values) for values, _ in rows] + [1])
    matrix = np.full((len(rows), width), NAN)  # aligned at the last period, NaN before
    for i, (values, _) in enumerate(rows):
        matrix[i, width - len(values) :] = values
    polarity = [p for _, p in rows]
    got = directions(matrix, polarity, method, window, periods_per_year=per_year)
    one_by_one = [
        direction(values, p, method, window, periods_per_year=per_year) for values, p in rows
    ]
    assert list(got) == one_by_one


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(finite, st.just(NAN)), min_size=3, max_size=24))
def test_regression_movement_is_scipy_linregress_at_alpha(values):
    y = np.array(values)
    x = np.arange(len(y))[~np.isnan(y)]
    y_kept = y[~np.isnan(y)]
    assume(len(y_kept) >= 3)
    if np.ptp(y_kept) == 0:
        expected = 0  # a constant series has no slope
    else:
        fit = stats.linregress(x, y_kept)
        assume(abs(fit.pvalue - 0.05) > 1e-9)  # not on the knife edge of rounding
        expected = int(np.sign(fit.slope)) if fit.pvalue < 0.05 else 0
    assert regression_movements(y[None, :], alpha=0.05)[0] == expected


def test_regression_ignores_the_periods_before_a_series_began():
    # A newer indicator in the same matrix: NaN-padded on the left to the others' width.
    matrix = np.array([[NAN] * 10 + RISING, list(range(40, 22, -1))], dtype=float)
    got = directions(matrix, ["higher", "lower"], window=18)
    assert list(got) == [direction(RISING, "higher", window=18), "improving"]
    assert got[0] == "improving"


def test_constant_series_whose_mean_is_not_exact_is_stable():
    # mean(0.1, 0.1, 0.1) != 0.1 in floating point: rounding must not look like a trend
    assert direction([0.1] * 7, "higher") == "stable"
    assert regression_movements(np.array([[0.1] * 24, [7.3] * 24]), 0.05).tolist() == [0, 0]


# --- the previous quarter, and a quarter with no value (code review findings 1 and 5)


@pytest.mark.parametrize(
    "values, periods_per_year, expected",
    [
        # Monthly: September (8) against June (10), three months back, not August (5).
        ([10, 10, 10, 5, 5, 8], 12, "worsening"),
        ([5, 5, 5, 10, 10, 8], 12, "improving"),
        # September missing: the quarter's latest value (August's 8), as the RAG uses.
        ([10, 10, 10, 5, 8, NAN], 12, "worsening"),
        # Quarterly: one quarter back.
        ([10, 8], 4, "worsening"),
    ],
)
def test_previous_compares_with_the_previous_quarter(values, periods_per_year, expected):
    got = direction(values, "higher", method="previous", periods_per_year=periods_per_year)
    assert got == expected


def test_same_period_last_year_uses_the_quarters_latest_value():
    # September missing: August (12) against last September (10).
    values = [0, 0, 10] + [0] * 9 + [0, 12, NAN]
    got = direction(values, "higher", method="same_period_last_year", periods_per_year=12)
    assert got == "improving"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "values, periods_per_year",
    [
        ([1, 2, 3, 4, 5, 6, 7, 8, NAN], 4),  # quarterly: this quarter not reported
        (list(range(1, 25)) + [NAN, NAN, NAN], 12),  # monthly: none of the quarter's months
    ],
)
def test_a_quarter_with_no_value_has_no_direction(values, periods_per_year, method):
    got = direction(values, "higher", method=method, periods_per_year=periods_per_year)
    assert got is None


def test_a_missing_last_month_still_has_a_direction():
    values = list(range(1, 27)) + [NAN]  # July and August reported, September not
    assert direction(values, "higher", window=24, periods_per_year=12) == "improving"
