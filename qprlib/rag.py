"""Red/Amber/Green rating against a target and a floor standard.

KCC QPR key (2020/21 onwards; Cabinet minutes 2023/24 say "achieved or exceeded"):
Green = target achieved, Amber = floor standard achieved but target not met,
Red = floor standard not achieved. "Achieved" includes equality, so both boundaries are
inclusive: a value exactly on the target is Green and exactly on the floor is Amber.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GREEN, AMBER, RED = "Green", "Amber", "Red"
RAG_LEVELS = (RED, AMBER, GREEN)  # worst to best: the order used for "worsened"
POLARITY_SIGN = {"higher": 1.0, "lower": -1.0}
AMBER_MODES = ("floor", "tolerance")


def polarity_sign(polarity: str) -> float:
    """+1 when higher is better, -1 when lower is better (polarity applied once, as a sign)."""
    try:
        return POLARITY_SIGN[polarity]
    except KeyError:
        message = f"polarity must be 'higher' or 'lower' to be rated, not {polarity!r}"
        raise ValueError(message) from None


def _rate(value, target, floor, sign):
    value, target, floor, sign = (np.asarray(x, dtype=float) for x in (value, target, floor, sign))
    rated = ~(np.isnan(value) | np.isnan(target) | np.isnan(floor) | np.isnan(sign))
    green = sign * value >= sign * target
    amber = sign * value >= sign * floor
    out = np.where(green, GREEN, np.where(amber, AMBER, RED)).astype(object)
    out[~rated] = None
    return out


def rag(value, target, floor, polarity, *, amber: str = "floor", tolerance: float = 0.05):
    """Rate a value (or arrays of values) as "Green", "Amber", "Red", or None when unrated.

    amber="floor" (KCC, default): Amber between the floor standard and the target.
    amber="tolerance" (district-council style): the floor is taken as `tolerance` (a fraction,
    default 5%) of the target short of it, so Amber means "within 5% of target".
    Missing value, target or floor, or a polarity other than higher/lower, gives None.
    """
    if amber not in AMBER_MODES:
        raise ValueError(f"amber must be one of {AMBER_MODES}, not {amber!r}")
    scalar = np.ndim(value) == 0 and np.ndim(target) == 0 and np.ndim(polarity) == 0
    pol = pd.Series(np.atleast_1d(np.asarray(polarity, dtype=object)))
    sign = pol.map(POLARITY_SIGN).astype(float).to_numpy()
    target_arr = np.asarray(_none_to_nan(target), dtype=float)
    if amber == "tolerance":
        floor = target_arr - sign * np.abs(target_arr) * tolerance
    out = _rate(_none_to_nan(value), target_arr, _none_to_nan(floor), sign)
    if scalar:
        return out.reshape(-1)[0]
    index = value.index if isinstance(value, pd.Series) else None
    return pd.Series(out.reshape(-1), index=index, dtype=object, name="rag")


def _none_to_nan(x):
    if x is None:
        return np.nan
    if isinstance(x, pd.Series):
        return pd.to_numeric(x, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if np.ndim(x) and any(v is None for v in np.asarray(x, dtype=object).ravel()):
        return np.array([np.nan if v is None else v for v in x], dtype=float)
    return x


def worsened(previous: str | None, current: str | None) -> bool:
    """True when the rating moved down the Green > Amber > Red order (for the call-in list)."""
    if previous not in RAG_LEVELS or current not in RAG_LEVELS:
        return False
    return RAG_LEVELS.index(current) < RAG_LEVELS.index(previous)
