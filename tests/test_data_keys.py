"""Per-report up-to-date keys: only the rows a report reads (qprlib.data_keys, issue 12)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from qprlib import io
from qprlib.data_keys import data_key

DATA = Path(__file__).resolve().parents[1] / "data"
Q2 = "2023/24 Q2"
CED, PH = "Chief Executive's Department", "Public Health"
REPORTS = [("cover", ""), ("qpr", ""), ("directorate-ced", CED), ("directorate-ph", PH)]


@pytest.fixture(scope="module")
def sample() -> io.QprData:
    return io.load(DATA)


def keys(data) -> dict[str, str]:
    return {report: data_key(data, Q2, d, report.split("-")[0]) for report, d in REPORTS}


def changed(before: dict, after: dict) -> list[str]:
    return [report for report in before if before[report] != after[report]]


def test_a_later_quarters_rows_leave_every_key_unchanged(sample):
    later = pd.DataFrame(
        {"id": ["GL01", "PH02"], "period_end": pd.to_datetime(["2023-10-31", "2023-12-31"]),
         "value": [50.0, 60.0], "status": ["", "provisional"]}
    )  # fmt: skip
    more = replace(sample, values=pd.concat([sample.values, later], ignore_index=True))
    assert changed(keys(sample), keys(more)) == []


def test_a_commentary_fix_changes_only_the_reports_that_print_it(sample):
    commentary = sample.commentary.copy()
    at = commentary.index[(commentary["id"] == "GL01") & (commentary["quarter"] == Q2)][0]
    commentary.loc[at, "commentary"] += " (corrected)"
    fixed = replace(sample, commentary=commentary)
    assert changed(keys(sample), keys(fixed)) == ["qpr", "directorate-ced"]
    commentary.loc[at, "action"] = ""  # an action removed: the cover counts those
    assert "cover" in changed(keys(sample), keys(replace(sample, commentary=commentary)))


def test_an_earlier_value_changes_the_reports_of_its_directorate(sample):
    values = sample.values.copy()
    at = values.index[(values["id"] == "PH02") & (values["period_end"] == "2023-06-30")][0]
    values.loc[at, "value"] += 1
    assert changed(keys(sample), keys(replace(sample, values=values))) == [
        "cover", "qpr", "directorate-ph",
    ]  # fmt: skip
