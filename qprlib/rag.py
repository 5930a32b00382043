"""Red/Amber/Green rating against a target and a floor standard.

KCC QPR key (2020/21 onwards; Cabinet minutes 2023/24 say "achieved or exceeded"):
Green = target achieved, Amber = floor standard achieved but target not met,
Red = floor standard not achieved. "Achieved" includes equality, so both boundaries are
inclusive: a value exactly on the target is Green and exactly on the floor is Amber.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def effective_floor(target, floor, polarity, *, amber: str = "floor", tolerance: float = 0.05):
    """The floor standard a value is rated against (scalars or arrays).

    amber="floor" (KCC): the floor as set. amber="tolerance": `tolerance` (a fraction) of the
    target short of it, whatever floor is set: 5% under a target of 90 is 85.5 when higher is
    better, 5% over a target of 10 is 10.5 when lower is better.
    """
    if amber not in AMBER_MODES:
        raise ValueError(f"amber must be one of {AMBER_MODES}, not {amber!r}")
    if amber == "floor":
        return floor
    pol = pd.Series(np.atleast_1d(np.asarray(polarity, dtype=object)))
    sign = pol.map(POLARITY_SIGN).astype(float).to_numpy()
    target_arr = np.asarray(_none_to_nan(target), dtype=float)
    computed = target_arr - sign * np.abs(target_arr) * tolerance
    return computed.reshape(-1)[0] if np.ndim(target) == 0 and np.ndim(polarity) == 0 else computed


def rag(value, target, floor, polarity, *, amber: str = "floor", tolerance: float = 0.05):
    """Rate a value (or arrays of values) as "Green", "Amber", "Red", or None when unrated.

    amber="floor" (KCC, default): Amber between the floor standard and the target.
    amber="tolerance" (district-council style): the floor is taken as `tolerance` (a fraction,
    default 5%) of the target short of it, so Amber means "within 5% of target".
    Missing value, target or floor, or a polarity other than higher/lower, gives None.
    """
    floor = effective_floor(target, floor, polarity, amber=amber, tolerance=tolerance)
    scalar = np.ndim(value) == 0 and np.ndim(target) == 0 and np.ndim(polarity) == 0
    pol = pd.Series(np.atleast_1d(np.asarray(polarity, dtype=object)))
    sign = pol.map(POLARITY_SIGN).astype(float).to_numpy()
    target_arr = np.asarray(_none_to_nan(target), dtype=float)
    out = _rate(_none_to_nan(value), target_arr, _none_to_nan(floor), sign)
    if scalar:
        return out.reshape(-1)[0]
    index = value.index if isinstance(value, pd.Series) else None
    return pd.Series(out.reshape(-1), index=index, dtype=object, name="rag")


def red_threshold(target, floor, polarity, *, amber: str = "floor", tolerance: float = 0.05):
    """The value beyond which a rating is Red (the threshold itself is Amber), or None when the
    indicator is not rated (no target, no floor in floor mode, or no higher/lower polarity)."""
    if rag(target, target, floor, polarity, amber=amber, tolerance=tolerance) is None:
        return None
    return float(effective_floor(target, floor, polarity, amber=amber, tolerance=tolerance))


def is_red(value, target, floor, polarity, *, amber: str = "floor", tolerance: float = 0.05):
    """True when `rag` rates the value Red (a missing value is never Red)."""
    return rag(value, target, floor, polarity, amber=amber, tolerance=tolerance) == RED


def beyond(polarity: str) -> str:
    """The comparison that makes a value Red against `red_threshold`: '<' when higher is
    better, '>' when lower is better (for spreadsheet formulas and messages)."""
    return "<" if polarity_sign(polarity) > 0 else ">"


def red_comparison(cell: str, polarity: str, threshold: float) -> str:
    """An Excel comparison, TRUE when the number in `cell` is Red: 'D7<85.5'."""
    return f"{cell}{beyond(polarity)}{float(threshold)!r}"


def red_formula(cell: str, polarity: str, threshold: float) -> str:
    """An Excel formula, TRUE when `cell` holds a number `rag` would rate Red."""
    return f"AND(ISNUMBER({cell}),{red_comparison(cell, polarity, threshold)})"


@dataclass(frozen=True)
class RatingRule:
    """The quarter's RAG rule (params amber_mode, amber_tolerance), for code that rates
    outside the assessment: the Excel returns, `qpr import`."""

    amber: str = "floor"
    tolerance: float = 0.05

    @classmethod
    def of(cls, settings) -> RatingRule:
        """The rule of `AssessSettings` or `RunParams` (their amber_mode, amber_tolerance)."""
        return cls(settings.amber_mode, float(settings.amber_tolerance))

    @classmethod
    def from_meta(cls, meta: dict) -> RatingRule:
        """The rule a return workbook records (`as_meta`); the floor rule when it has none."""
        try:
            return cls(meta.get("amber_mode") or "floor", float(meta.get("amber_tolerance", 0.05)))
        except ValueError:
            return cls()

    def as_meta(self) -> dict[str, str]:
        return {"amber_mode": self.amber, "amber_tolerance": repr(float(self.tolerance))}

    def rag(self, value, target, floor, polarity):
        return rag(value, target, floor, polarity, amber=self.amber, tolerance=self.tolerance)

    def red_threshold(self, target, floor, polarity) -> float | None:
        return red_threshold(target, floor, polarity, amber=self.amber, tolerance=self.tolerance)


FLOOR_RULE = RatingRule()


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
