"""Why a KPI was called in, in words from the data: the Performance Assurance Team's
briefing (seed 002: "The indicator was called in because the percentage has been increasing
since June 2009 and the RAG rating changed from amber to red in the latest quarterly Core
Monitoring").

Each reason follows from the call-in rule (DESIGN.md "Call-in": the RAG worsened since the
previous quarter, or Red with a direction of travel that is not improving) and from the
figures behind it:

- the RAG changed: "the RAG rating changed from Amber to Red in the latest Quarterly
  Performance Report";
- Red and not improving: "it is rated Red and its direction of travel is worsening" (or
  "... stable or shows no clear trend", or "... has too few results for a direction");
- the trend, only when the direction of travel is worsening (a significant trend, never
  claimed otherwise): "the percentage has been rising since June 2022", where the month is
  the best result within the direction-of-travel window (the one the trend is fitted to)
  and the sentence after it gives the figures then and now.
"""

from __future__ import annotations

import pandas as pd

from qprlib.rag import POLARITY_SIGN, RED, worsened
from qprlib.trend import IMPROVING, STABLE, WORSENING
from qprlib.vocabulary import STABLE_WORDS

MEASURE_WORDS = {  # unit -> what "has been rising" is said of
    "percent": "the percentage",
    "rate": "the rate",
    "days": "the number of days",
    "number": "the number",
    "currency": "the amount",
}
DIRECTION_REASON = {
    WORSENING: "it is rated Red and its direction of travel is worsening",
    STABLE: f"it is rated Red and is not improving ({STABLE_WORDS})",
    None: "it is rated Red and has too few results yet for a direction of travel",
}


def rag_reason(previous_rag: str | None, rag: str | None) -> str | None:
    """'the RAG rating changed from Amber to Red in the latest Quarterly Performance Report'."""
    if not worsened(previous_rag, rag):
        return None
    latest = "in the latest Quarterly Performance Report"
    return f"the RAG rating changed from {previous_rag} to {rag} {latest}"


def red_reason(rag: str | None, direction: str | None) -> str | None:
    """Why a Red KPI is called in whatever its RAG did: it is not improving."""
    if rag != RED or direction == IMPROVING:
        return None
    return DIRECTION_REASON.get(direction, DIRECTION_REASON[STABLE])


def worst_run_start(history: pd.DataFrame, polarity: str) -> pd.Series | None:
    """The best result in `history` (period_end, value; the direction-of-travel window)
    before its latest one: where the worsening began. None without two results."""
    sign = POLARITY_SIGN.get(polarity)
    shown = history.dropna(subset=["value"]).sort_values("period_end")
    if sign is None or len(shown) < 2:
        return None
    earlier = shown.iloc[:-1]
    return earlier.loc[(sign * earlier["value"]).idxmax()]


def trend_reason(
    history: pd.DataFrame, polarity: str, unit: str, direction: str | None
) -> tuple[str, pd.Series, pd.Series] | None:
    """('the percentage has been rising since June 2022', then, now) when the direction of
    travel is worsening; None otherwise (no trend is claimed without a significant one)."""
    if direction != WORSENING:
        return None
    start = worst_run_start(history, polarity)
    if start is None:
        return None
    latest = history.dropna(subset=["value"]).sort_values("period_end").iloc[-1]
    moving = "rising" if latest["value"] > start["value"] else "falling"
    measure = MEASURE_WORDS.get(unit, "the figure")
    return f"{measure} has been {moving} since {start['period_end']:%B %Y}", start, latest


def joined(reasons: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(reasons) <= 2:
        return " and ".join(reasons)
    return ", ".join(reasons[:-1]) + " and " + reasons[-1]


def called_in_because(
    row: pd.Series, history: pd.DataFrame
) -> tuple[str, tuple[pd.Series, pd.Series] | None]:
    """('The indicator was called in because ...', (then, now) or None) for one called-in
    KPI (assessment row: previous_rag, rag, direction, polarity, unit; `history`: its
    direction-of-travel window)."""
    trend = trend_reason(history, row["polarity"], row["unit"], row["direction"])
    change = rag_reason(row["previous_rag"], row["rag"])
    red = red_reason(row["rag"], row["direction"])
    # a worsening trend already says what "Red and worsening" says, with the month
    reasons = [r for r in (trend[0] if trend else None, change, None if trend else red) if r]
    if not reasons:  # not called in by this rule: say what assess said
        reasons = [row["call_in_reason"] or "it met the call-in criteria"]
    figures = (trend[1], trend[2]) if trend else None
    return f"The indicator was called in because {joined(reasons)}.", figures
