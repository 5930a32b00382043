"""qprlib.briefing: why a KPI was called in, in words from the data (seed 002)."""

import pandas as pd
import pytest

from qprlib import briefing

MONTHS = pd.date_range("2022-10-31", periods=12, freq="ME")


def history(values):
    return pd.DataFrame({"period_end": MONTHS[: len(values)], "value": values})


def kpi(previous_rag, rag, direction, polarity="higher", unit="percent", reason="r"):
    return pd.Series(
        {"previous_rag": previous_rag, "rag": rag, "direction": direction,
         "polarity": polarity, "unit": unit, "call_in_reason": reason}
    )  # fmt: skip


@pytest.mark.parametrize(
    "previous, now, expected",
    [
        ("Amber", "Red", "the RAG rating changed from Amber to Red in the latest Quarterly "
         "Performance Report"),
        ("Green", "Amber", "the RAG rating changed from Green to Amber in the latest Quarterly "
         "Performance Report"),
        ("Red", "Red", None), ("Red", "Amber", None), (None, "Red", None),
    ],
)  # fmt: skip
def test_rag_reason_only_when_the_rating_worsened(previous, now, expected):
    assert briefing.rag_reason(previous, now) == expected


@pytest.mark.parametrize(
    "rag, direction, expected",
    [
        ("Red", "worsening", "it is rated Red and its direction of travel is worsening"),
        ("Red", "stable", "it is rated Red and is not improving (stable or no clear trend)"),
        ("Red", None, "it is rated Red and has too few results yet for a direction of travel"),
        ("Red", "improving", None),  # Red but improving: not called in for being Red
        ("Amber", "worsening", None),
    ],
)
def test_red_reason(rag, direction, expected):
    assert briefing.red_reason(rag, direction) == expected


def test_trend_reason_names_the_month_of_the_best_result_in_the_window():
    # higher is better: best is 90 in December 2022; then it falls to 70
    values = [85, 88, 90, 87, 84, 83, 80, 78, 76, 75, 72, 70]
    words, then, now = briefing.trend_reason(history(values), "higher", "percent", "worsening")
    assert words == "the percentage has been falling since December 2022"
    assert (then["value"], now["value"]) == (90, 70)
    # lower is better: the same numbers rising from their lowest, 70 ... a rise is worse
    rising = list(reversed(values))
    words, then, _ = briefing.trend_reason(history(rising), "lower", "days", "worsening")
    assert words == "the number of days has been rising since October 2022"
    assert then["value"] == 70


def test_no_trend_is_claimed_without_a_worsening_direction():
    values = [85, 88, 90, 87, 84, 83, 80, 78, 76, 75, 72, 70]
    for direction in ("stable", "improving", None):
        assert briefing.trend_reason(history(values), "higher", "percent", direction) is None


def test_called_in_because_seed_002s_two_reasons():
    """'called in because the percentage has been increasing since June 2009 and the RAG
    rating changed from amber to red' (seed 002), for a lower-is-better percentage."""
    values = [10, 9, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]  # best (lowest) in December 2022
    text, figures = briefing.called_in_because(
        kpi("Amber", "Red", "worsening", polarity="lower"), history(values)
    )
    assert text == (
        "The indicator was called in because the percentage has been rising since December "
        "2022 and the RAG rating changed from Amber to Red in the latest Quarterly "
        "Performance Report."
    )
    assert (figures[0]["value"], figures[1]["value"]) == (8, 17)


def test_called_in_because_red_and_not_improving():
    text, figures = briefing.called_in_because(kpi("Red", "Red", "stable"), history([50] * 12))
    assert text == (
        "The indicator was called in because it is rated Red and is not improving (stable or "
        "no clear trend)."
    )
    assert figures is None


def test_joined():
    assert briefing.joined(["a"]) == "a"
    assert briefing.joined(["a", "b"]) == "a and b"
    assert briefing.joined(["a", "b", "c"]) == "a, b and c"
