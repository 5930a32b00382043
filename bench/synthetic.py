"""Synthetic councils for benchmarks and equivalence tests: any number of indicators and months."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from qprlib.io import QprData
from qprlib.periods import Quarter, financial_year_of

SAMPLE_QUARTER = Quarter(2023, 2)  # the sample council's quarter (params/2023-24-q2.yml)
EMPTY_COMMENTARY = pd.DataFrame(columns=["id", "quarter", "commentary", "action", "author"])
EMPTY_MILESTONES = pd.DataFrame(
    columns=["directorate", "objective", "milestone", "due", "quarter", "status", "commentary"]
)


def synthetic_data(
    n_indicators: int,
    n_months: int = 60,
    last: Quarter = SAMPLE_QUARTER,
    directorates: int = 5,
    seed: int = 0,
    awkward: bool = False,
) -> QprData:
    """A council of `n_indicators` monthly indicators (about 1 in 6 activity) over `n_months`.

    awkward=True mixes in what real councils have, for equivalence tests: quarterly
    indicators (some reported mid-quarter, some months twice), series starting late (a few
    points only), indicators with no values, indicators not reported in the last year,
    flat series, more gaps and values exactly on target or floor.
    """
    rng = np.random.default_rng(seed)
    ends = pd.date_range(end=pd.Timestamp(last.end), periods=n_months, freq="ME")
    ids = [f"K{i:05d}" for i in range(n_indicators)]
    kind = np.where(rng.random(n_indicators) < 1 / 6, "activity", "kpi")
    polarity = np.where(kind == "activity", "none", rng.choice(["higher", "lower"], n_indicators))
    quarterly = awkward & (rng.random(n_indicators) < 0.3)
    directorate = [f"Directorate {d + 1}" for d in rng.integers(0, directorates, n_indicators)]
    indicators = pd.DataFrame(
        {
            "id": ids,
            "name": [f"Synthetic indicator {i}" for i in range(n_indicators)],
            "directorate": directorate,
            "service_area": [f"{d} services" for d in directorate],
            "kind": kind,
            "polarity": polarity,
            "unit": "percent",
            "frequency": np.where(quarterly, "quarterly", "monthly"),
            "definition": "Synthetic",
            "owner": "Benchmark",
        }
    )
    level = rng.uniform(30, 70, n_indicators)
    slope = rng.normal(0, 0.3, n_indicators) * (rng.random(n_indicators) < 0.4)
    noise = rng.normal(0, 3, (n_indicators, n_months))
    grid = np.clip(level[:, None] + slope[:, None] * np.arange(n_months) + noise, 0, 100).round(1)
    grid[rng.random(grid.shape) < (0.1 if awkward else 0.01)] = np.nan  # the odd missing month
    if awkward:
        grid = _awkward(grid, quarterly, ends, rng)
    values = pd.DataFrame(
        {
            "id": np.repeat(ids, n_months),
            "period_end": np.tile(ends.values, n_indicators),
            "value": grid.ravel(),
        }
    ).dropna(subset=["value"])
    years = sorted({financial_year_of(d.date()) for d in ends})
    sign = np.where(polarity == "lower", -1.0, 1.0)
    latest = grid[np.arange(n_indicators), -1]
    rows = []
    for year in years:
        target = (level + sign * rng.uniform(0, 8, n_indicators)).round(1)
        floor = (target - sign * rng.uniform(3, 10, n_indicators)).round(1)
        if awkward:  # boundaries are inclusive: put some latest values exactly on them
            target = np.where(rng.random(n_indicators) < 0.1, latest, target)
            floor = np.where(rng.random(n_indicators) < 0.1, latest, floor)
            floor = np.where(sign * floor > sign * target, target, floor)
        is_kpi = kind == "kpi"
        lower, upper = (level - 8).round(1), (level + 8).round(1)
        reported = ~(awkward & (year == years[-1]) & (rng.random(n_indicators) < 0.05))
        rows.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "year": year,
                    "target": np.where(is_kpi, target, np.nan),
                    "floor": np.where(is_kpi, floor, np.nan),
                    "lower": np.where(is_kpi, np.nan, lower),
                    "upper": np.where(is_kpi, np.nan, upper),
                }
            ).loc[reported]
        )
    return QprData(
        indicators=indicators,
        targets=pd.concat(rows, ignore_index=True),
        values=values.sort_values(["id", "period_end"]).reset_index(drop=True),
        commentary=EMPTY_COMMENTARY.copy(),
        milestones=EMPTY_MILESTONES.copy(),
        source=Path("<synthetic>"),
        data_hash=f"synthetic-{n_indicators}-{n_months}-{seed}-{awkward}",
    )


def _awkward(grid: np.ndarray, quarterly: np.ndarray, ends: pd.DatetimeIndex, rng) -> np.ndarray:
    """Blank cells of the month grid so that series start late, stop, go flat or are quarterly."""
    grid = grid.copy()
    n, months = grid.shape
    late = rng.random(n) < 0.15  # new indicators: from 1 to 14 months of history
    starts = np.where(late, months - rng.integers(1, 15, n), 0)
    grid[np.arange(months)[None, :] < starts[:, None]] = np.nan
    grid[rng.random(n) < 0.03] = np.nan  # no values at all
    flat = rng.random(n) < 0.05
    grid[flat] = np.where(np.isnan(grid[flat]), np.nan, 0.1)  # constant (0.1 is not exact)
    # Quarterly: one value per quarter, usually at its end, sometimes a month early or twice.
    quarter_end = np.asarray(ends.month % 3 == 0)
    early = rng.random(grid.shape) < 0.1
    keep = quarter_end[None, :] | (early & ~quarter_end[None, :])
    grid[quarterly[:, None] & ~keep] = np.nan
    return grid


def council_of(directorates: int, per_directorate: int = 10, seed: int = 0) -> QprData:
    """A sample-sized council per directorate: `per_directorate` monthly indicators each (the
    sample council has about ten), named 'Directorate 1', 'Directorate 2', ..."""
    data = synthetic_data(directorates * per_directorate, seed=seed)
    names = [f"Directorate {i // per_directorate + 1}" for i in range(len(data.indicators))]
    indicators = data.indicators.assign(
        directorate=names, service_area=[f"{name} services" for name in names]
    )
    return replace(data, indicators=indicators)


def write_council(data: QprData, folder: Path) -> Path:
    """Write the five data files `qprlib.io.load` reads (commentary and milestones empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    data.indicators.to_csv(folder / "indicators.csv", index=False)
    data.targets.to_csv(folder / "targets.csv", index=False)
    data.values.to_csv(folder / "values.csv", index=False, date_format="%Y-%m-%d")
    data.commentary.to_csv(folder / "commentary.csv", index=False)
    data.milestones.to_csv(folder / "milestones.csv", index=False)
    return folder
