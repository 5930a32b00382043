"""Each indicator's values on a regular grid of periods (every month end, or every quarter end
with the latest value in each quarter), gaps as NaN: what direction of travel, SPC and the
charts read (SeriesGrid, series_grid, series_by_id).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qprlib.periods import Quarter

PERIODS_PER_YEAR = {"monthly": 12, "quarterly": 4}
# A calendar quarter ends where a financial quarter does (June, September, December, March).
GRID_STEP = {"monthly": pd.offsets.MonthEnd(0), "quarterly": pd.offsets.QuarterEnd(0)}


@dataclass(frozen=True)
class SeriesGrid:
    """Every indicator's values up to the quarter's end, one per period, gaps as NaN, laid
    end to end in one array: `ids[i]` has `flat[start[i] : start[i] + length[i]]`.

    Monthly indicators get every month end, quarterly ones every quarter end (the latest
    value within each quarter), from their first period to the quarter's end, so every series
    ends at the same period and the last `n` of each line up in time.
    """

    ids: pd.Index
    flat: np.ndarray
    start: np.ndarray
    length: np.ndarray

    def by_id(self) -> dict[str, np.ndarray]:
        """Each indicator's series as its own array (views of `flat`)."""
        ends = self.start + self.length
        return {id_: self.flat[a:b] for id_, a, b in zip(self.ids, self.start, ends, strict=True)}

    def tails(self, ids, width: int) -> np.ndarray:
        """The last `width` periods of each of `ids` (rows), NaN before a series began and for
        ids without values."""
        where = self.ids.get_indexer(pd.Index(ids))
        found = where >= 0
        start = np.where(found, self.start[where], 0)
        end = np.where(found, start + self.length[where], 0)
        at = end[:, None] - width + np.arange(width)
        inside = found[:, None] & (at >= start[:, None])
        if not len(self.flat):
            return np.full(at.shape, np.nan)
        return np.where(inside, self.flat[np.clip(at, 0, len(self.flat) - 1)], np.nan)

    def points(self, ids, width=None) -> tuple[np.ndarray, np.ndarray]:
        """(row, value): the non-missing values of each of `ids`, in time order; `row` is the
        position in `ids` (an id without values has none). `width` (one for all, or one per
        id): only the last `width` periods of each series."""
        where = self.ids.get_indexer(pd.Index(ids))
        rows = np.flatnonzero(where >= 0)
        full = self.length[where[rows]]
        length = full.copy()
        if width is not None:
            length = np.minimum(full, np.broadcast_to(np.asarray(width), len(where))[rows])
        first = self.start[where[rows]] + full - length
        offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
        value = self.flat[np.repeat(first, length) + offset]
        row = np.repeat(rows, length)
        keep = ~np.isnan(value)
        return row[keep], value[keep]


def series_grid(values: pd.DataFrame, indicators: pd.DataFrame, quarter: Quarter) -> SeriesGrid:
    """Every indicator's series up to the quarter's end (see SeriesGrid), in one pass."""
    end = pd.Timestamp(quarter.end)
    frequency = indicators.drop_duplicates("id").set_index("id")["frequency"]
    upto = values.loc[values["period_end"] <= end, ["id", "period_end", "value"]]
    upto = upto.assign(frequency=upto["id"].map(frequency)).dropna(subset=["frequency", "value"])
    grids = []
    for freq, group in upto.groupby("frequency", sort=False):
        step = PERIODS_PER_YEAR[freq]
        periods = group["period_end"] + GRID_STEP[freq]
        number = ((periods.dt.year * 12 + periods.dt.month) * step // 12).to_numpy()
        last = (end.year * 12 + end.month) * step // 12
        codes, ids = pd.factorize(group["id"], sort=False)
        # Within a period keep the latest value (quarterly data given monthly).
        order = np.lexsort((group["period_end"].to_numpy(), number, codes))
        codes, number, value = codes[order], number[order], group["value"].to_numpy()[order]
        latest = np.append((codes[1:] != codes[:-1]) | (number[1:] != number[:-1]), True)
        grids.append(_grid(ids, codes[latest], number[latest], value[latest], last))
    return _joined(grids)


def _grid(ids: pd.Index, codes: np.ndarray, number: np.ndarray, value: np.ndarray, last: int):
    """Lay each id's (number, value) points on its own grid first..last in one flat array."""
    first = np.full(len(ids), last + 1)
    np.minimum.at(first, codes, number)
    length = last - first + 1
    start = np.cumsum(length) - length
    flat = np.full(length.sum(), np.nan)
    flat[start[codes] + number - first[codes]] = value
    return SeriesGrid(ids, flat, start, length)


def _joined(grids: list[SeriesGrid]) -> SeriesGrid:
    if not grids:
        return SeriesGrid(pd.Index([]), np.empty(0), np.empty(0, int), np.empty(0, int))
    offsets = np.cumsum([0] + [len(g.flat) for g in grids[:-1]])
    return SeriesGrid(
        pd.Index(np.concatenate([np.asarray(g.ids, dtype=object) for g in grids])),
        np.concatenate([g.flat for g in grids]),
        np.concatenate([g.start + o for g, o in zip(grids, offsets, strict=True)]),
        np.concatenate([g.length for g in grids]),
    )


def series_by_id(
    values: pd.DataFrame, indicators: pd.DataFrame, quarter: Quarter
) -> dict[str, np.ndarray]:
    """Each indicator's values up to the quarter's end, one per period, gaps as NaN.

    Monthly indicators get every month end, quarterly ones every quarter end (the latest
    value within each quarter), from their first period to the quarter's end.
    """
    return series_grid(values, indicators, quarter).by_id()
