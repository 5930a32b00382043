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

from qprlib.vocabulary import STABLE_WORDS  # noqa: F401  (moved; importable from here)

IMPROVING, STABLE, WORSENING = "improving", "stable", "worsening"
INCREASING, NO_CHANGE, DECREASING = "increasing", "no change", "decreasing"
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
    rows: np.ndarray,
    method: str = "regression",
    window: int = 8,
    alpha: float = 0.05,
    lag: int = 4,
    per_quarter: int = 1,
) -> np.ndarray:
    """+1/0/-1 (NaN: too few points, or no value in the latest quarter) for each row, judged
    at its last column.

    Rows are series aligned at their last period, oldest first, NaN-padded on the left;
    `per_quarter` periods make a quarter (1 quarterly, 3 monthly), the last `per_quarter`
    columns being the quarter judged. A quarter with no value has no direction of travel
    (there is nothing to travel from). "previous"/"same_period_last_year" compare each
    quarter's latest value (as the assessment rates it) with the one `lag` quarters before.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    y = np.atleast_2d(np.asarray(rows, dtype=float))
    quarters = quarter_values(y, per_quarter, lag + 1)
    if method == "regression":
        move = regression_movements(y[:, -window:], alpha)
    elif quarters.shape[1] <= lag:
        move = np.full(len(y), np.nan)
    else:
        move = np.sign(quarters[:, -1] - quarters[:, -1 - lag])  # NaN when either is missing
    return np.where(np.isnan(quarters[:, -1]), np.nan, move)


def quarter_values(rows: np.ndarray, per_quarter: int, count: int) -> np.ndarray:
    """The latest value in each of the last `count` quarters of each row (NaN: none), oldest
    first; quarters are `per_quarter` columns counted back from the last column."""
    y = np.atleast_2d(np.asarray(rows, dtype=float))
    count = min(count, -(-y.shape[1] // per_quarter)) if y.shape[1] else 0
    if count == 0:
        return np.full((len(y), 1), np.nan)
    width = count * per_quarter
    padded = np.full((len(y), width), np.nan)
    take = min(width, y.shape[1])
    padded[:, width - take :] = y[:, y.shape[1] - take :]
    blocks = padded.reshape(len(y), count, per_quarter)
    seen = ~np.isnan(blocks)
    last = per_quarter - 1 - np.argmax(seen[:, :, ::-1], axis=2)  # last seen column per block
    latest = np.take_along_axis(blocks, last[:, :, None], axis=2)[:, :, 0]
    return np.where(seen.any(axis=2), latest, np.nan)


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
    per_quarter = max(1, periods_per_year // 4)  # 3 months, or 1 quarter, make a quarter
    lag = 1 if method == "previous" else 4  # quarters back: the previous quarter, or a year
    return words(movements(rows, method, window, alpha, lag, per_quarter), polarity)


def direction(
    values: Sequence[float],
    polarity: str,
    method: str = "regression",
    window: int = 8,
    alpha: float = 0.05,
    periods_per_year: int = 4,
) -> str | None:
    """Direction of travel of a series ordered oldest to newest, judged at its last point.

    The last point is the quarter's end; `periods_per_year` (4 quarterly, 12 monthly) says
    how many points make a quarter. method="regression": OLS over the last `window` points
    (gaps count as periods); "previous": the quarter's latest value against the previous
    quarter's (DESIGN.md: KCC's older "movement from the last quarter": 3 months back for
    monthly indicators, 1 for quarterly); "same_period_last_year": against the same quarter a
    year before. Returns "improving"/"stable"/"worsening" for polarity higher/lower,
    "increasing"/"no change"/"decreasing" for polarity none, and None when there are too few
    points to judge or the latest quarter has no value (no data, so no direction).
    """
    y = np.asarray(values, dtype=float).reshape(1, -1)
    return directions(y, [polarity], method, window, alpha, periods_per_year)[0]
