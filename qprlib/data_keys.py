"""The data each report reads, as a key: a report re-runs only when its own rows change.

A report's up-to-date key used to hold the hash of every data file, so one commentary fix
re-ran all seven reports and a new quarter's rows made every past quarter stale (issue 12).
`data_key` hashes only the rows a report can show:

- indicators, targets (years up to the quarter's), values and comparators (dated up to the
  quarter's end): every window a report draws on (previous quarter, same quarter last year,
  direction of travel, SPC baseline, headline trend) ends at the quarter's end, so later
  rows never change it;
- a directorate dashboard (`directorate-<slug>`): only its directorate's indicators, and its
  directorate's milestones of the quarter;
- commentary of the quarter: its text for the reports that print it (the QPR, dashboards,
  and any other report); for the cover, which only counts and lists, whether each KPI has
  commentary and an action (so a fix to a comment's wording leaves the cover current).

Pure: QprData in, a hex key out.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from qprlib.io import QprData
from qprlib.periods import Quarter

PRESENCE_ONLY = ("cover",)  # reports that use commentary only as given / not given


def report_rows(
    data: QprData, quarter: Quarter | str, directorate: str = "", report: str = ""
) -> dict[str, pd.DataFrame]:
    """The rows of each data table that `report` (for `directorate`) reads for `quarter`."""
    quarter = Quarter.parse(quarter)
    end = pd.Timestamp(quarter.end)
    indicators = data.indicators
    if directorate:
        indicators = indicators.loc[indicators["directorate"] == directorate]
    ids = set(indicators["id"])
    targets = data.targets.loc[
        data.targets["id"].isin(ids) & (data.targets["year"] <= quarter.financial_year)
    ]
    values = data.values.loc[data.values["id"].isin(ids) & (data.values["period_end"] <= end)]
    commentary = data.commentary.loc[
        data.commentary["id"].isin(ids) & (data.commentary["quarter"] == str(quarter))
    ]
    if report in PRESENCE_ONLY:
        text = [c for c in commentary.columns if c not in ("id", "quarter")]
        given = commentary[text].apply(lambda column: column.astype(str).str.strip() != "")
        commentary = pd.concat([commentary[["id", "quarter"]], given], axis=1)
    milestones = data.milestones.loc[data.milestones["quarter"] == str(quarter)]
    if directorate:
        milestones = milestones.loc[milestones["directorate"] == directorate]
    rows = {
        "indicators": indicators,
        "targets": targets,
        "values": values,
        "commentary": commentary,
        "milestones": milestones,
    }
    comparators = getattr(data, "comparators", None)
    if comparators is not None and len(comparators):
        rows["comparators"] = comparators.loc[
            comparators["id"].isin(ids) & (comparators["period"] <= end)
        ]
    return rows


def data_key(data: QprData, quarter: Quarter | str, directorate: str = "", report: str = "") -> str:
    """sha256 of the rows `report_rows` selects (column names, then the rows as CSV)."""
    digest = hashlib.sha256()
    for name, frame in report_rows(data, quarter, directorate, report).items():
        digest.update(f"\n[{name}]\n".encode())
        digest.update(frame.to_csv(index=False, date_format="%Y-%m-%d").encode())
    return digest.hexdigest()
