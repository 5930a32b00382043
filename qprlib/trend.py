"""Direction of travel: is performance improving, stable or worsening?

KCC QPR since 2020/21: "Direction of Travel is now based on regression analysis across the
whole timeframe shown in the graphs, and not, as previously the case, on the movement from the
last quarter." KCC does not publish the test, so ours is a named setting: an ordinary
least-squares slope over the last `window` periods, called a trend when its two-sided p-value
is below `alpha`, in the direction the indicator's polarity says is better.

One rule for one series or ten thousand: `directions` judges every row of a matrix of series
at once (closed-form OLS, no per-series Python); `direction` is that rule for one series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

IMPROVING, STABLE, WORSENING = "improving", "stable", "worsening"
INCREASING, NO_CHANGE, DECREASING = "increasing", "no change", "decreasing"
STABLE_WORDS = "stable or no clear trend"  # how "stable" is said to members (KCC key)
METHODS = ("regression", "previous", "same_period_last_year")
MIN_REGRESSION_POINTS = 3  # a slope's p-value needs at least one residual degree of freedom
DEFAULT_WINDOW = {"quarterly": 8, "monthly": 24}  # two years of points, as on the KCC charts
_SIGN = {"higher": 1, "lower": -1}
# Movement -1/0/+1 (times the polarity's sign) indexes these: +1 shifts it to 0/1/2.
POLAR_WORDS = np.array([WORSENING, STABLE, IMPROVING], dtype=object)
NEUTRAL_WORDS = np.array([DECREASING, NO_CHANGE, INCREASING], dtype=object)
TINY = 1.0e-20  # as scipy.stats.linregress: keeps t finite when r is exactly +-1


def regression_movements(rows: np.ndarray, alpha: float) -> np.ndarray:
    """Per row (series x periods, oldest first, NaN = gap): +1 rising, -1 falling, 0 no
    significant OLS slope (two-sided p < alpha, as scipy.stats.linregress), NaN when fewer
    than 3 points. A gap keeps its place in time; a constant series has no slope.
    """
    y = np.atleast_2d(np.asarray(rows, dtype=float))
    seen = ~np.isnan(y)
    n = seen.sum(axis=1)
    x = np.arange(y.shape[1], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = np.where(seen, x - (seen * x).sum(axis=1, keepdims=True) / n[:, None], 0.0)
        dy = np.where(seen, y - np.where(seen, y, 0.0).sum(axis=1, keepdims=True) / n[:, None], 0)
        sxx, syy, sxy = (dx * dx).sum(axis=1), (dy * dy).sum(axis=1), (dx * dy).sum(axis=1)
        r = np.clip(sxy / np.sqrt(sxx * syy), -1.0, 1.0)
        df = n - 2.0
        t = r * np.sqrt(df / ((1.0 - r + TINY) * (1.0 + r + TINY)))
    p = 2 * _student_t_sf(df, np.abs(t))
    # The mean of equal floats need not equal them: test constancy on the values themselves.
    highest = np.where(seen, y, -np.inf).max(axis=1, initial=-np.inf)
    constant = highest == np.where(seen, y, np.inf).min(axis=1, initial=np.inf)
    move = np.where((p < alpha) & ~constant, np.sign(sxy), 0.0)
    return np.where(n >= MIN_REGRESSION_POINTS, move, np.nan)


def _student_t_sf(df: np.ndarray, t: np.ndarray) -> np.ndarray:
    """P(T > t) for Student's t, as linregress computes it (imported here: notebooks that
    read a precomputed assessment never pay for scipy)."""
    from scipy.special import stdtr

    with np.errstate(invalid="ignore"):
        return stdtr(np.where(df > 0, df, np.nan), -t)


def movements(
    rows: np.ndarray, method: str = "regression", window: int = 8, alpha: float = 0.05, lag: int = 4
) -> np.ndarray:
    """+1/0/-1 (NaN: too few points) for each row, judged at its last column.

    Rows are series aligned at their last period, oldest first, NaN-padded on the left.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    y = np.atleast_2d(np.asarray(rows, dtype=float))
    if method == "regression":
        return regression_movements(y[:, -window:], alpha)
    if y.shape[1] <= lag:
        return np.full(len(y), np.nan)
    return np.sign(y[:, -1] - y[:, -1 - lag])  # NaN when either point is missing


def words(move: np.ndarray, polarity: Sequence[str] | np.ndarray) -> np.ndarray:
    """Movements as words: improving/stable/worsening for polarity higher/lower,
    increasing/no change/decreasing otherwise, None where NaN (too few points)."""
    move = np.asarray(move, dtype=float)
    sign = np.array([_SIGN.get(p, 0) for p in np.atleast_1d(polarity)], dtype=float)
    sign = np.broadcast_to(sign, move.shape)
    known = ~np.isnan(move)
    step = np.where(known, move, 0).astype(int)
    said = np.where(sign != 0, POLAR_WORDS[step * sign.astype(int) + 1], NEUTRAL_WORDS[step + 1])
    return np.where(known, said, None)


def directions(
    rows: np.ndarray,
    polarity: Sequence[str] | np.ndarray,
    method: str = "regression",
    window: int = 8,
    alpha: float = 0.05,
    periods_per_year: int = 4,
) -> np.ndarray:
    """`direction` for every row of a matrix of series (aligned at their last period, oldest
    first, NaN = gap or before the series began), one polarity per row: an object array."""
    lag = 1 if method == "previous" else periods_per_year
    return words(movements(rows, method, window, alpha, lag), polarity)


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
    y = np.asarray(values, dtype=float).reshape(1, -1)
    return directions(y, [polarity], method, window, alpha, periods_per_year)[0]
