"""The only module that reads or writes data files: load the data directory, checked and typed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from qprlib.errors import DataError  # noqa: F401  (re-exported: io raises DataError)

DATA_FILES = ("indicators.csv", "targets.csv", "values.csv", "commentary.csv", "milestones.csv")


@dataclass(frozen=True)
class QprData:
    """The council's data, validated. DataFrames are never mutated by anyone downstream.

    indicators: id, name, directorate, service_area, kind, polarity, unit, frequency, definition, owner
    targets:    id, year ('2023/24'), target, floor, lower, upper (floats, NaN where not set)
    values:     id, period_end (datetime64, month end), value (float; NaN = missing)
    commentary: id, quarter ('2023/24 Q2'), commentary, action, author
    milestones: directorate, objective, milestone, due (datetime64), quarter, status, commentary
    """

    indicators: pd.DataFrame
    targets: pd.DataFrame
    values: pd.DataFrame
    commentary: pd.DataFrame
    milestones: pd.DataFrame
    source: Path
    data_hash: str


def load(data_dir: str | Path) -> QprData:
    """Read and validate every data file; raise one DataError listing every problem found."""
    raise NotImplementedError
