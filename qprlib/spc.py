"""Statistical process control: XmR limits and the NHS Making Data Count rules.

Reproduces NHSRplotthedots 0.2.2 (nhs-r-community, MIT): limits as in R/ptd_spc_standard.R,
special-cause rules and point types as in R/ptd_calculate_point_type.R, assurance as in
R/ptd_calculate_assurance_type.R. Each rule is a small function on plain numpy vectors;
`spc()` pipes them for one series, `spc_summary()` runs the same steps for many series.

Missing values are left out: limits and rules use the non-missing points in order (R's
package would also drop the two moving ranges beside a gap; we bridge the gap instead).
A series whose moving ranges are all zero has no process limits when outliers are screened
(R keeps a moving range only when it is below 3.267 times the mean, and 0 < 0 is false):
its limits are NaN, no point is special cause and its assurance is inconsistent, as in R.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

XMR_LIMIT = 2.66  # 3 sigma as a multiple of the mean moving range; R/ptd_spc_standard.R `limit`
NEAR_LIMIT = 2 * (XMR_LIMIT / 3)  # 2 sigma, "close to limits"; R/ptd_spc_standard.R `limitclose`
OUTLIER_MR = 3.267  # moving ranges >= 3.267 x their mean are screened out; R/ptd_spc_standard.R
SHIFT_N = 7  # points in a row on one side of the mean; R/ptd_calculate_point_type.R
TREND_N = 7  # points in a row each above (below) the one before; R/ptd_calculate_point_type.R
CLOSE_WINDOW, CLOSE_NEEDED = 3, 2  # "2 in 3" beyond 2 sigma; R ptd_two_in_three()
TRIAL_LIMIT_POINTS = 13  # below this the limits are trial limits: MDC shows icons from 13 points;
# NHSRplotthedots warns at n < 13 (R/ptd_add_short_group_warnings.R, ptd_spc.warning_threshold)

IMPROVEMENT_SIGN = {"increase": 1, "decrease": -1, "neutral": 0}  # R ptd_spc.data.frame

COMMON_CAUSE = "common_cause"
IMPROVEMENT = "special_cause_improvement"
CONCERN = "special_cause_concern"
NEUTRAL_HIGH = "special_cause_neutral_high"
NEUTRAL_LOW = "special_cause_neutral_low"
POINT_TYPES = (COMMON_CAUSE, IMPROVEMENT, CONCERN, NEUTRAL_HIGH, NEUTRAL_LOW)

CONSISTENT_PASS = "consistent_pass"
CONSISTENT_FAIL = "consistent_fail"
INCONSISTENT = "inconsistent"
ASSURANCE_TYPES = (CONSISTENT_PASS, CONSISTENT_FAIL, INCONSISTENT)

# The rule that made a point special cause, in R's case_when precedence order.
OUTSIDE_LIMITS, TREND, TWO_IN_THREE, SHIFT = "outside_limits", "trend", "two_in_three", "shift"
RULES = (OUTSIDE_LIMITS, TREND, TWO_IN_THREE, SHIFT)
LINES = ("mean", "lpl", "upl", "nlpl", "nupl")  # horizontal lines of the chart, as in .points


class Limits(NamedTuple):
    """Centre line and process limits, one array element per series (NaN with too few points)."""

    mean: np.ndarray
    amr: np.ndarray  # mean moving range after screening
    lpl: np.ndarray
    upl: np.ndarray
    nlpl: np.ndarray
    nupl: np.ndarray


@dataclass(frozen=True)
class SpcResult:
    """An XmR chart: one row per input value in `points`, plus the summary icons."""

    points: pd.DataFrame  # value, mean, lpl, upl, nlpl, nupl, moving_range, rule, point_type
    variation: str | None  # point_type of the latest non-missing point; None with no data
    assurance: str | None  # None with no target, a neutral direction or no data
    trial_limits: bool  # fewer than TRIAL_LIMIT_POINTS non-missing points
    mean: float
    lpl: float
    upl: float
    amr: float  # mean moving range the limits were built from (after screening)
    n: int  # non-missing points used


# --- limits -------------------------------------------------------------------------------


def group_mean(x: np.ndarray, group: np.ndarray, k: int) -> np.ndarray:
    """Mean of x in each group 0..k-1 (NaN when empty), with R's second pass (summary.c).

    The second pass makes the mean of a constant series exactly that constant.
    """
    count = np.bincount(group, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        first = np.bincount(group, weights=x, minlength=k) / count
        return first + np.bincount(group, weights=x - first[group], minlength=k) / count


def moving_ranges(y: np.ndarray) -> np.ndarray:
    """Absolute differences between consecutive points (one fewer than the points)."""
    return np.abs(np.diff(y))


def mean_moving_range(
    y: np.ndarray, screen_outliers: bool = True, group: np.ndarray | None = None, k: int = 1
) -> np.ndarray:
    """Mean moving range per group; screening drops ranges >= 3.267 x that mean and recomputes."""
    group = np.zeros(len(y), dtype=np.intp) if group is None else group
    same = group[1:] == group[:-1]  # no moving range between two series
    mr, mr_group = moving_ranges(y)[same], group[1:][same]
    amr = group_mean(mr, mr_group, k)
    if screen_outliers:
        # As R's `mr < 3.267 * amr`: when every moving range is 0 (a constant series) none is
        # kept, amr is NaN and so are the limits (no process limits; assurance inconsistent).
        keep = mr < OUTLIER_MR * amr[mr_group]
        amr = group_mean(mr[keep], mr_group[keep], k)
    return amr


def xmr_limits(
    y: np.ndarray, screen_outliers: bool = True, group: np.ndarray | None = None, k: int = 1
) -> Limits:
    """Mean, mean moving range, process limits (± 2.66 amr), near limits (± 1.773 amr) per group."""
    group = np.zeros(len(y), dtype=np.intp) if group is None else group
    mean = group_mean(y, group, k)
    amr = mean_moving_range(y, screen_outliers, group, k)
    return Limits(
        mean=mean,
        amr=amr,
        lpl=mean - XMR_LIMIT * amr,
        upl=mean + XMR_LIMIT * amr,
        nlpl=mean - NEAR_LIMIT * amr,
        nupl=mean + NEAR_LIMIT * amr,
    )


# --- point tests --------------------------------------------------------------------------


def outside_limits(y: np.ndarray, limits: Limits) -> np.ndarray:
    """True for points strictly above the UPL or strictly below the LPL."""
    return (y > limits.upl) | (y < limits.lpl)


def close_to_limits(y: np.ndarray, limits: Limits) -> np.ndarray:
    """True for points beyond 2 sigma but not beyond the process limits."""
    return ~outside_limits(y, limits) & ((y < limits.nlpl) | (y > limits.nupl))


def relative_to_mean(y: np.ndarray, mean: float) -> np.ndarray:
    """+1 above the mean, -1 below, 0 exactly on it."""
    return np.sign(y - mean)


# --- runs ---------------------------------------------------------------------------------


def _windows(v: np.ndarray, n: int, before: int = 0, after: int = 0) -> np.ndarray:
    """Windows of n values over v padded with zeros; empty (0, n) when there are none."""
    padded = np.concatenate([np.zeros(before), np.asarray(v, dtype=float), np.zeros(after)])
    if padded.size < n:
        return np.zeros((0, n))
    return sliding_window_view(padded, n)


def one_side_run_ends(side: np.ndarray, n: int = SHIFT_N) -> np.ndarray:
    """True where a point and the n-1 before it are all on the same side of the mean."""
    side = np.asarray(side, dtype=float)
    windows = _windows(side, n, before=n - 1)  # ends at each point
    return (windows == side[:, None]).all(axis=1) & (side != 0)


def trend_run_ends(y: np.ndarray, n: int = TREND_N) -> np.ndarray:
    """+1 (-1) where a point ends n points each strictly above (below) the one before, else 0."""
    y = np.asarray(y, dtype=float)
    steps_in = np.sign(np.diff(y, prepend=y[:1]))  # the step into each point (0 for the first)
    windows = _windows(steps_in, n - 1, before=n - 2)  # the n-1 steps ending at each point
    rising, falling = (windows == 1).all(axis=1), (windows == -1).all(axis=1)
    return np.where(rising, 1, np.where(falling, -1, 0))


def part_of_run(ends: np.ndarray, n: int) -> np.ndarray:
    """True for every point of a run of n, given where runs end: the end or one of the n-1 after."""
    windows = _windows(np.abs(np.asarray(ends, dtype=float)), n, after=n - 1)
    return windows.any(axis=1)


def two_in_three(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    """True for points in a window of 3 with >= 2 close to the limits and all 3 on one side."""
    pad = CLOSE_WINDOW - 1
    near = _windows(close, CLOSE_WINDOW, before=pad, after=pad).sum(axis=1)
    same_side = np.abs(_windows(side, CLOSE_WINDOW, before=pad, after=pad).sum(axis=1))
    hit = (near >= CLOSE_NEEDED) & (same_side == CLOSE_WINDOW)  # windows starting 2 before
    return _windows(hit, CLOSE_WINDOW).any(axis=1)


def part_of_two_in_three(hits: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Only the close points of a 2-in-3 pattern are flagged (the third point is not)."""
    return np.asarray(hits, dtype=bool) & np.asarray(close, dtype=bool)


def trend_direction(y: np.ndarray, in_trend: np.ndarray) -> np.ndarray:
    """+1/-1 per point: the step after it when the next point is also in a trend, else before.

    As R ptd_special_cause_type(): a flat step reads as "Decreasing" (`ifelse(sdy == 1, ...)`).
    """
    steps = np.sign(np.diff(np.asarray(y, dtype=float)))
    after, before = np.append(steps, 0.0), np.insert(steps, 0, 0.0)
    in_trend = np.asarray(in_trend, dtype=bool)
    use_after = in_trend & np.append(in_trend[1:], False)
    return np.where(np.where(use_after, after, before) == 1, 1, -1)


# --- classification -----------------------------------------------------------------------


def special_cause(
    y: np.ndarray,
    side: np.ndarray,
    outside: np.ndarray,
    in_trend: np.ndarray,
    in_two_in_three: np.ndarray,
    in_shift: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Signal (+1 high, -1 low, 0 none) and rule per point, outside > trend > 2-in-3 > shift."""
    flags = [np.asarray(f, dtype=bool) for f in (outside, in_trend, in_two_in_three, in_shift)]
    by_side = np.where(np.asarray(side) > 0, 1, -1)  # R: ifelse(relative_to_mean > 0, "Above", ...)
    by_trend = trend_direction(y, flags[1])
    signal = np.select(flags, [by_side, by_trend, by_side, by_side], default=0)
    rule = np.select(flags, list(RULES), default=None).astype(object)
    return signal, rule


def point_type(signal: np.ndarray, direction: int | np.ndarray) -> np.ndarray:
    """Point types from signals; improvement applied once as a sign (+1, -1, 0 = neutral)."""
    signal, direction = np.broadcast_arrays(np.asarray(signal), np.asarray(direction))
    neutral, oriented = direction == 0, signal * np.where(direction == 0, 1, direction)
    return np.select(
        [neutral & (oriented > 0), neutral & (oriented < 0), oriented > 0, oriented < 0],
        [NEUTRAL_HIGH, NEUTRAL_LOW, IMPROVEMENT, CONCERN],
        default=COMMON_CAUSE,
    ).astype(object)


def assurance(target, lpl, upl, direction):
    """Target against the last limits, strictly; None with no target or a neutral direction.

    Scalars give a string or None; arrays give an object array.
    """
    target = np.asarray(np.nan if target is None else target, dtype=float)
    target, lpl, upl, direction = np.broadcast_arrays(target, lpl, upl, direction)
    above = np.where(direction > 0, CONSISTENT_FAIL, CONSISTENT_PASS)  # target above the UPL
    below = np.where(direction > 0, CONSISTENT_PASS, CONSISTENT_FAIL)  # target below the LPL
    unrated = np.isnan(target) | (direction == 0)
    out = np.select([unrated, target > upl, target < lpl], [None, above, below], INCONSISTENT)
    return out.item() if out.ndim == 0 else out.astype(object)


def _end_to_end(values: np.ndarray, at: np.ndarray, size: int) -> np.ndarray:
    out = np.full(size, np.nan)
    out[at] = values
    return out


def classify(
    y: np.ndarray,
    direction: int | np.ndarray,  # one sign, or one per point
    screen_outliers: bool = True,
    shift_n: int = SHIFT_N,
    trend_n: int = TREND_N,
    group: np.ndarray | None = None,
    k: int = 1,
) -> tuple[Limits, np.ndarray, np.ndarray]:
    """Limits per group, and rule and point type per point, for series with no missing values.

    `group` (0..k-1, each series' points together and in time order) lets many series go
    through at once; the rules then run on the series laid end to end with NaN gaps between.
    """
    group = np.zeros(len(y), dtype=np.intp) if group is None else group
    limits = xmr_limits(y, screen_outliers, group, k)
    at = np.arange(len(y)) + group * max(shift_n, trend_n, CLOSE_WINDOW)  # positions with gaps
    size = (at[-1] + 1) if len(y) else 0
    ys = _end_to_end(y, at, size)
    row = Limits(*(_end_to_end(np.asarray(f)[group], at, size) for f in limits))
    side = relative_to_mean(ys, row.mean)
    outside = outside_limits(ys, row)
    close = close_to_limits(ys, row)
    in_trend = part_of_run(trend_run_ends(ys, trend_n), trend_n)
    in_two_in_three = part_of_two_in_three(two_in_three(close, side), close)
    in_shift = part_of_run(one_side_run_ends(side, shift_n), shift_n)
    signal, rule = special_cause(ys, side, outside, in_trend, in_two_in_three, in_shift)
    return limits, rule[at], point_type(signal[at], direction)


# --- public entry points ------------------------------------------------------------------


def _direction(improvement: str) -> int:
    try:
        return IMPROVEMENT_SIGN[improvement]
    except (KeyError, TypeError):
        allowed = ", ".join(IMPROVEMENT_SIGN)
        raise ValueError(f"improvement must be one of {allowed}, not {improvement!r}") from None


def _check_run_lengths(shift_n: int, trend_n: int) -> None:
    for name, n in (("shift_n", shift_n), ("trend_n", trend_n)):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
            raise ValueError(f"{name} must be a whole number of points, 2 or more, not {n!r}")


def _as_vector(values: Sequence[float] | np.ndarray | pd.Series) -> tuple[np.ndarray, pd.Index]:
    """A float copy of the values (None/NA -> NaN) and the index to give .points."""
    series = values if isinstance(values, pd.Series) else None
    raw = values.to_numpy() if series is not None else np.asarray(values, dtype=object)
    if raw.ndim != 1:
        raise ValueError(f"values must be one-dimensional, not shape {raw.shape}")
    numbers = pd.to_numeric(pd.Series(raw, dtype=object), errors="raise")
    y = np.array(numbers.to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)
    return y, series.index if series is not None else pd.RangeIndex(len(y))


def _points(y: np.ndarray, index: pd.Index, limits: Limits, rule, types) -> pd.DataFrame:
    present = ~np.isnan(y)
    mr = np.full(y.shape, np.nan)
    mr[np.flatnonzero(present)[1:]] = moving_ranges(y[present])
    rule_all = np.full(y.shape, None, dtype=object)
    types_all = np.full(y.shape, None, dtype=object)
    rule_all[present], types_all[present] = rule, types
    line = np.ones(y.shape)
    lines = {name: line * float(getattr(limits, name)[0]) for name in LINES}
    return pd.DataFrame(
        {"value": y, **lines, "moving_range": mr, "rule": rule_all, "point_type": types_all},
        index=index,
    )


def spc(
    values: Sequence[float] | np.ndarray | pd.Series,
    improvement: str = "increase",
    target: float | None = None,
    screen_outliers: bool = True,
    *,
    shift_n: int = SHIFT_N,
    trend_n: int = TREND_N,
) -> SpcResult:
    """XmR chart of a series ordered oldest to newest, rated as NHSRplotthedots 0.2.2 does.

    improvement: "increase", "decrease" or "neutral"; target gives the assurance icon.
    NaN values stay in `.points` (point_type None) but take no part in limits or rules.
    """
    direction = _direction(improvement)
    _check_run_lengths(shift_n, trend_n)
    y, index = _as_vector(values)
    present = y[~np.isnan(y)]
    limits, rule, types = classify(present, direction, screen_outliers, shift_n, trend_n)
    last = Limits(*(float(f[0]) for f in limits))
    return SpcResult(
        points=_points(y, index, limits, rule, types),
        variation=types[-1] if present.size else None,
        assurance=assurance(target, last.lpl, last.upl, direction) if present.size else None,
        trial_limits=bool(present.size < TRIAL_LIMIT_POINTS),
        mean=last.mean,
        lpl=last.lpl,
        upl=last.upl,
        amr=last.amr,
        n=int(present.size),
    )


def _per_series(frame: pd.DataFrame, setting, first: np.ndarray, k: int, name: str) -> np.ndarray:
    """A setting given once for all series, or as a column read at each series' first row."""
    if isinstance(setting, str) and not (name == "improvement" and setting in IMPROVEMENT_SIGN):
        if setting not in frame.columns:
            raise ValueError(f"{name}={setting!r} is neither a setting nor a column of the frame")
        column = frame[setting].iloc[first]
        if name == "target":
            return column.to_numpy(dtype=float, na_value=np.nan)
        return np.array([_direction(v) for v in column], dtype=int)
    if name == "target":
        return np.full(k, np.nan if setting is None else float(setting))
    return np.full(k, _direction(setting), dtype=int)


def spc_summary(
    frame: pd.DataFrame,
    value: str = "value",
    by: str = "id",
    improvement: str = "increase",
    target: str | float | None = None,
    screen_outliers: bool = True,
    *,
    shift_n: int = SHIFT_N,
    trend_n: int = TREND_N,
) -> pd.DataFrame:
    """`spc()`'s summary for every series in a long frame at once (one row per `by` value).

    Needs columns `by` and `value`, rows in time order within each series. `improvement`
    ("increase"/"decrease"/"neutral") and `target` (a number or None) apply to every series,
    or name a column read at each series' first row. Returns `by`, n, mean, lpl, upl,
    variation, assurance, trial_limits and a count per point type, series in order of
    first appearance.
    """
    _check_run_lengths(shift_n, trend_n)
    codes, keys = pd.factorize(frame[by], sort=False)
    if (codes < 0).any():
        raise ValueError(f"column {by!r} has missing values: every row needs a series")
    k = len(keys)
    first = np.unique(codes, return_index=True)[1]
    direction = _per_series(frame, improvement, first, k, "improvement")
    goal = _per_series(frame, target, first, k, "target")
    y = frame[value].to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(y)
    order = np.argsort(codes[keep], kind="stable")
    ys, group = y[keep][order], codes[keep][order]
    limits, _, types = classify(ys, direction[group], screen_outliers, shift_n, trend_n, group, k)
    n = np.bincount(group, minlength=k)
    variation = np.full(k, None, dtype=object)
    variation[n > 0] = types[(np.cumsum(n) - 1)[n > 0]]
    icon = np.where(n > 0, assurance(goal, limits.lpl, limits.upl, direction), None)
    counts = {t: np.bincount(group, weights=types == t, minlength=k) for t in POINT_TYPES}
    return pd.DataFrame(
        {
            by: keys,
            "n": n,
            "mean": limits.mean,
            "lpl": limits.lpl,
            "upl": limits.upl,
            "variation": variation,
            "assurance": icon,
            "trial_limits": n < TRIAL_LIMIT_POINTS,
            **{t: c.astype(int) for t, c in counts.items()},
        }
    )
