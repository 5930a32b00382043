"""RAG against target and floor (KCC key: "achieved or exceeded", so boundaries are inclusive)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qprlib.rag import rag, worsened

RANK = {"Red": 0, "Amber": 1, "Green": 2}


@pytest.mark.parametrize(
    "value, target, floor, polarity, expected",
    [
        (95, 90, 80, "higher", "Green"),
        (90, 90, 80, "higher", "Green"),  # meets target exactly: "achieved or exceeded"
        (89.9, 90, 80, "higher", "Amber"),
        (80, 90, 80, "higher", "Amber"),  # meets floor exactly: floor standard achieved
        (79.9, 90, 80, "higher", "Red"),
        (5, 10, 15, "lower", "Green"),
        (10, 10, 15, "lower", "Green"),  # on target
        (10.1, 10, 15, "lower", "Amber"),
        (15, 10, 15, "lower", "Amber"),  # on floor
        (15.1, 10, 15, "lower", "Red"),
        (0, 0, 0, "higher", "Green"),  # target and floor equal: no Amber band
        (-1, 0, 0, "higher", "Red"),
    ],
)
def test_boundaries(value, target, floor, polarity, expected):
    assert rag(value, target, floor, polarity) == expected


@pytest.mark.parametrize(
    "value, target, floor, polarity",
    [
        (None, 90, 80, "higher"),
        (float("nan"), 90, 80, "higher"),
        (85, None, 80, "higher"),
        (85, float("nan"), 80, "higher"),
        (85, 90, None, "higher"),
        (85, 90, 80, "none"),  # no polarity: nothing to rate against
        (85, 90, 80, None),
    ],
)
def test_missing_data_gives_no_rating(value, target, floor, polarity):
    assert rag(value, target, floor, polarity) is None


@pytest.mark.parametrize(
    "value, target, polarity, expected",
    [
        (90, 90, "higher", "Green"),
        (85.5, 90, "higher", "Amber"),  # exactly 5% short of target
        (85.4, 90, "higher", "Red"),
        (10, 10, "lower", "Green"),
        (10.5, 10, "lower", "Amber"),  # exactly 5% over a lower-is-better target
        (10.6, 10, "lower", "Red"),
    ],
)
def test_tolerance_mode_ambers_within_five_percent_of_target(value, target, polarity, expected):
    # The floor argument is ignored in tolerance mode (district-council style).
    assert rag(value, target, 0, polarity, amber="tolerance") == expected


def test_tolerance_is_a_setting():
    assert rag(81, 90, None, "higher", amber="tolerance", tolerance=0.10) == "Amber"
    assert rag(80, 90, None, "higher", amber="tolerance", tolerance=0.10) == "Red"


def test_unknown_amber_mode_is_refused():
    with pytest.raises(ValueError, match="amber"):
        rag(90, 90, 80, "higher", amber="guess")


def test_arrays_give_a_series_in_order():
    out = rag([95, 85, 75, None], [90, 90, 90, 90], [80, 80, 80, 80], "higher")
    assert isinstance(out, pd.Series)
    assert out.tolist() == ["Green", "Amber", "Red", None]


def test_series_keep_their_index_and_mix_polarities():
    value = pd.Series([95.0, 12.0, np.nan], index=["a", "b", "c"])
    target = pd.Series([90.0, 10.0, 5.0], index=["a", "b", "c"])
    floor = pd.Series([80.0, 15.0, 8.0], index=["a", "b", "c"])
    polarity = pd.Series(["higher", "lower", "lower"], index=["a", "b", "c"])
    out = rag(value, target, floor, polarity)
    assert out.index.tolist() == ["a", "b", "c"]
    assert out.tolist() == ["Green", "Amber", None]


@pytest.mark.parametrize(
    "previous, current, expected",
    [
        ("Green", "Amber", True),
        ("Amber", "Red", True),
        ("Green", "Red", True),
        ("Red", "Red", False),
        ("Red", "Amber", False),
        ("Amber", "Green", False),
        (None, "Red", False),  # not rated before: nothing to compare
        ("Green", None, False),
    ],
)
def test_worsened(previous, current, expected):
    assert worsened(previous, current) is expected


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@st.composite
def standards(draw):
    """A target and a floor on the right side of it for higher-is-better."""
    target = draw(finite)
    gap = draw(st.floats(min_value=0, max_value=1e6, allow_nan=False))
    return target, target - gap


@given(standards(), finite, finite)
def test_rag_never_gets_worse_as_a_higher_is_better_value_rises(standard, a, b):
    target, floor = standard
    low, high = sorted((a, b))
    assert RANK[rag(low, target, floor, "higher")] <= RANK[rag(high, target, floor, "higher")]


@given(standards(), finite)
def test_reversing_polarity_mirrors_the_rating(standard, value):
    target, floor = standard
    assert rag(value, target, floor, "higher") == rag(-value, -target, -floor, "lower")


@given(standards(), finite)
def test_tolerance_mirrors_too(standard, value):
    target, _ = standard
    higher = rag(value, target, None, "higher", amber="tolerance")
    lower = rag(-value, -target, None, "lower", amber="tolerance")
    assert higher == lower
