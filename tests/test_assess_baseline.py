"""The vectorised assessment against bench/baseline.py, the naive per-indicator loop.

The loop follows docs/internals.md one indicator at a time (filter, lay the series out,
linregress, spc()); assess does the same for all indicators at once. On random councils
with the awkward cases real data has, every rating must be identical.
"""

import pandas as pd
import pytest

from bench.baseline import baseline_assess
from bench.synthetic import synthetic_data
from qprlib.assess import AssessSettings, assess
from qprlib.periods import Quarter

COMPARED = [
    "value", "rag", "previous_rag", "direction", "spc_variation", "spc_assurance",
    "activity_alert",
]  # fmt: skip


def compare(data, quarter, settings=None, **loop_settings):
    fast = assess(data, quarter, settings or AssessSettings())
    slow = baseline_assess(data, quarter, **loop_settings)
    assert list(fast["id"]) == list(slow["id"])  # the same indicators, in file order
    for column in COMPARED:
        expected = slow[column].astype(object).where(slow[column].notna(), None)
        got = fast[column].astype(object).where(fast[column].notna(), None)
        mismatch = got.ne(expected) & ~(got.isna() & expected.isna())
        assert not mismatch.any(), (column, fast.loc[mismatch, ["id", column]].head())


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_awkward_random_councils_get_identical_ratings(seed):
    compare(synthetic_data(60, n_months=40, seed=seed, awkward=True), Quarter(2023, 2))


def test_plain_monthly_council_as_benchmarked():
    compare(synthetic_data(40, seed=5), Quarter(2023, 2))


def test_other_windows_and_alpha_and_an_earlier_quarter():
    settings = AssessSettings(dot_window_months=12, dot_window_quarters=5, dot_alpha=0.2)
    data = synthetic_data(60, n_months=40, seed=6, awkward=True)
    compare(data, Quarter(2023, 1), settings, window_months=12, window_quarters=5, alpha=0.2)


def test_the_comparison_sees_a_difference():
    data = synthetic_data(30, seed=7)
    loose = AssessSettings(dot_alpha=0.9)  # nearly every slope becomes a trend
    with pytest.raises(AssertionError, match="direction"):
        compare(data, Quarter(2023, 2), loose)
    assert isinstance(baseline_assess(data, Quarter(2023, 2)), pd.DataFrame)
