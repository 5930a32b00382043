"""The naive assessment an analyst would write: one indicator at a time, filtering each time.

Kept as the benchmark's baseline and as an independent oracle: tests check that the
vectorised `qprlib.assess.assess` gives identical ratings on random data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from qprlib.io import QprData
from qprlib.periods import Quarter
from qprlib.spc import spc


def _rag(value, target, floor, polarity):
    if pd.isna(value) or pd.isna(target) or pd.isna(floor) or polarity not in ("higher", "lower"):
        return None
    if polarity == "higher":
        return "Green" if value >= target else "Amber" if value >= floor else "Red"
    return "Green" if value <= target else "Amber" if value <= floor else "Red"


def _direction(series: pd.Series, polarity: str, window: int, alpha: float):
    recent = series.iloc[-window:]
    x = np.arange(len(recent))[recent.notna().to_numpy()]
    y = recent.dropna().to_numpy()
    if len(y) < 3:
        return None
    if y.max() == y.min():
        move = 0
    else:
        fit = stats.linregress(x, y)
        move = int(np.sign(fit.slope)) if fit.pvalue < alpha else 0
    if polarity == "higher":
        return {1: "improving", 0: "stable", -1: "worsening"}[move]
    if polarity == "lower":
        return {1: "worsening", 0: "stable", -1: "improving"}[move]
    return {1: "increasing", 0: "no change", -1: "decreasing"}[move]


def _rating_in(data, ind, quarter):
    year = data.targets[
        (data.targets["id"] == ind["id"]) & (data.targets["year"] == quarter.financial_year)
    ]
    if year.empty:
        return None, None, None
    rows = (
        data.values[
            (data.values["id"] == ind["id"])
            & (data.values["period_end"] >= pd.Timestamp(quarter.start))
            & (data.values["period_end"] <= pd.Timestamp(quarter.end))
        ]
        .dropna(subset=["value"])
        .sort_values("period_end")
    )
    value = rows["value"].iloc[-1] if len(rows) else np.nan
    t = year.iloc[0]
    return value, t, _rag(value, t["target"], t["floor"], ind["polarity"])


def _series(data, ind, quarter, freq):
    """One value per month (or quarter: its latest) from the first to the quarter's end."""
    mine = data.values[
        (data.values["id"] == ind["id"]) & (data.values["period_end"] <= pd.Timestamp(quarter.end))
    ].dropna(subset=["value"])
    if mine.empty:
        return pd.Series(dtype=float)
    mine = mine.sort_values("period_end")
    latest = mine.groupby(mine["period_end"].dt.to_period(freq))["value"].last()
    periods = pd.period_range(latest.index.min(), pd.Period(quarter.end, freq), freq=freq)
    return latest.reindex(periods)


def baseline_assess(
    data: QprData,
    quarter: Quarter,
    window_months: int = 24,
    window_quarters: int = 8,
    alpha: float = 0.05,
    spc_months: int = 24,
    spc_quarters: int = 13,
) -> pd.DataFrame:
    """One row per reported indicator: rag, previous_rag, direction, SPC and activity alert."""
    out = []
    for _, ind in data.indicators.iterrows():
        value, t, rag = _rating_in(data, ind, quarter)
        if t is None:
            continue
        _, _, previous_rag = _rating_in(data, ind, quarter.previous())
        monthly = ind["frequency"] == "monthly"
        series = _series(data, ind, quarter, "M" if monthly else "Q")
        window = window_months if monthly else window_quarters
        direction = _direction(series, ind["polarity"], window, alpha)
        improvement = {"higher": "increase", "lower": "decrease"}.get(ind["polarity"], "neutral")
        points = series.iloc[-(spc_months if monthly else spc_quarters) :].dropna().to_numpy()
        if pd.isna(value):  # no value in the quarter: no direction, no SPC reading
            direction, points = None, points[:0]
        result = (
            spc(
                points,
                improvement=improvement,
                target=None if pd.isna(t["target"]) else t["target"],
            )
            if len(points)
            else None
        )
        alert = None
        if ind["kind"] == "activity" and not pd.isna(value):
            alert = "above" if value > t["upper"] else "below" if value < t["lower"] else "within"
        out.append(
            {
                "id": ind["id"],
                "value": value,
                "rag": rag if ind["kind"] == "kpi" else None,
                "previous_rag": previous_rag if ind["kind"] == "kpi" else None,
                "direction": direction,
                "spc_variation": result and result.variation,
                "spc_assurance": result and result.assurance,
                "activity_alert": alert,
            }
        )
    return pd.DataFrame(out)
