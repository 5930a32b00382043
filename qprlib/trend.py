"""Direction of travel: is performance improving, stable or worsening?

KCC QPR since 2020/21: "Direction of Travel is now based on regression analysis across the
whole timeframe shown in the graphs, and not, as previously the case, on the movement from the
last quarter." KCC does not publish the test, so ours is a named setting: an ordinary
least-squares slope over the last `window` periods, called a trend when its two-sided p-value
is below `alpha`, in the direction the indicator's polarity says is better.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

IMPROVING, STABLE, WORSENING = "improving", "stable", "worsening"
INCREASING, NO_CHANGE, DECREASING = "increasing", "no change", "decreasing"
STABLE_WORDS = "stable or no clear trend"  # how "stable" is said to members (KCC key)
METHODS = ("regression", "previous", "same_period_last_year")
MIN_REGRESSION_POINTS = 3  # a slope's p-value needs at least one residual degree of freedom
DEFAULT_WINDOW = {"quarterly": 8, "monthly": 24}  # two years of points, as on the KCC charts
_SIGN = {"higher": 1, "lower": -1}


def regression_movement(values: np.ndarray, alpha: float) -> int:
    """+1 rising, -1 falling, 0 no significant slope (OLS, two-sided p < alpha); NaNs skipped."""
    y = np.asarray(values, dtype=float)
    x = np.arange(len(y), dtype=float)
    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    if len(y) < MIN_REGRESSION_POINTS:
        raise ValueError("too few points")
    if np.ptp(y) == 0:
        return 0
    fit = stats.linregress(x, y)
    if not fit.pvalue < alpha:
        return 0
    return int(np.sign(fit.slope))


def _movement(values: np.ndarray, method: str, window: int, alpha: float, lag: int) -> int | None:
    if method == "regression":
        recent = values[-window:]
        if np.count_nonzero(~np.isnan(recent)) < MIN_REGRESSION_POINTS:
            return None
        return regression_movement(recent, alpha)
    if len(values) <= lag or np.isnan(values[-1]) or np.isnan(values[-1 - lag]):
        return None
    return int(np.sign(values[-1] - values[-1 - lag]))


def direction(
    values: Sequence[float],
    polarity: str,
    method: str = "regression",
    window: int = 8,
    alpha: float = 0.05,
    periods_per_year: int = 4,
) -> str | None:
    """Direction of travel of a series ordered oldest to newest, judged at its last point.

    method="regression": OLS over the last `window` points (gaps count as periods);
    "previous": last point against the one before; "same_period_last_year": against the point
    `periods_per_year` before. Returns "improving"/"stable"/"worsening" for polarity
    higher/lower, "increasing"/"no change"/"decreasing" for polarity none, and None when there
    are too few points to judge.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    y = np.asarray(values, dtype=float)
    lag = 1 if method == "previous" else periods_per_year
    move = _movement(y, method, window, alpha, lag)
    if move is None:
        return None
    sign = _SIGN.get(polarity)
    if sign is None:
        return {1: INCREASING, 0: NO_CHANGE, -1: DECREASING}[move]
    return {1: IMPROVING, 0: STABLE, -1: WORSENING}[move * sign]
