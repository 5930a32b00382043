"""The sample council (data/*.csv) reproduces seed 001 and carries the awkward cases.

Expected figures come from seed 001 (Kent CC Cabinet, 4 January 2024: Quarter 2, 2023/24)
and its changes on the previous quarter, not from a run of the generator. The quarter is
assessed here with qprlib.rag and qprlib.trend directly, by the rules in data/README.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qprlib import io
from qprlib.rag import rag
from qprlib.trend import direction
from tests.seed001 import SEED_001_REDS

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

DATA_FILES = (
    "indicators.csv", "targets.csv", "values.csv", "commentary.csv", "milestones.csv",
    "comparators.csv",
)  # fmt: skip
COLUMNS = {  # DESIGN.md "Data model"
    "indicators.csv": [
        "id", "name", "directorate", "service_area", "kind", "polarity", "unit", "frequency",
        "definition", "owner",
    ],
    "targets.csv": ["id", "year", "target", "floor", "lower", "upper"],
    "values.csv": ["id", "period_end", "value"],
    "commentary.csv": ["id", "quarter", "commentary", "action", "author"],
    "milestones.csv": [
        "directorate", "objective", "milestone", "due", "quarter", "status", "commentary",
    ],
    "comparators.csv": ["id", "area_code", "area_name", "period", "value"],  # issue 17
}  # fmt: skip
WINDOW = {"monthly": 24, "quarterly": 8}  # DESIGN.md defaults: 24 months, 8 quarters
PERIODS_PER_YEAR = {"monthly": 12, "quarterly": 4}
QUARTER_END = {
    "2022/23 Q3": "2022-12-31", "2022/23 Q4": "2023-03-31", "2023/24 Q1": "2023-06-30",
    "2023/24 Q2": "2023-09-30",
}  # fmt: skip

# The same Reds by id (data/README.md, "What the data reproduce").
SEED_001_RED_IDS = ["CS02", "GL01", "GL02", "CYPE01", "CYPE02", "CYPE03", "CYPE04", "ASC01"]


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """The committed CSV files, read as text (blank cells as ''), numbers converted."""
    out = {
        name: pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False) for name in DATA_FILES
    }
    for column in ("target", "floor", "lower", "upper"):
        out["targets.csv"][column] = pd.to_numeric(out["targets.csv"][column])
    out["values.csv"]["value"] = pd.to_numeric(out["values.csv"]["value"])
    out["values.csv"]["period_end"] = pd.to_datetime(out["values.csv"]["period_end"])
    return out


def periods(frequency: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """Every month end, or every quarter end (June, September, December, March)."""
    months = pd.date_range(first, last, freq="ME")
    return months[months.month % 3 == 0] if frequency == "quarterly" else months


def assess(frames: dict[str, pd.DataFrame], quarter: str) -> pd.DataFrame:
    """Reported indicators (a targets row for the quarter's year) with value, rag, direction."""
    end = pd.Timestamp(QUARTER_END[quarter])
    targets = frames["targets.csv"][frames["targets.csv"]["year"] == quarter[:7]]
    table = frames["indicators.csv"].merge(targets, on="id")
    values = frames["values.csv"]
    latest, directions = [], []
    for ind in table.itertuples():
        mine = values[values["id"] == ind.id].set_index("period_end")["value"]
        grid = periods(ind.frequency, mine.index.min(), end)
        series = mine.reindex(grid)  # missing periods become NaN in place
        in_quarter = series[series.index > end - pd.offsets.MonthEnd(3)].dropna()
        latest.append(in_quarter.iloc[-1] if len(in_quarter) else np.nan)
        directions.append(
            direction(
                series.to_numpy(),
                ind.polarity,
                window=WINDOW[ind.frequency],
                alpha=0.05,
                periods_per_year=PERIODS_PER_YEAR[ind.frequency],  # a quarter is 3 months or 1
            )
        )
    table = table.assign(value=latest, direction=directions)
    ratings = [
        rag(v, t, f, p) if kind == "kpi" else None
        for v, t, f, p, kind in zip(
            table["value"], table["target"], table["floor"], table["polarity"], table["kind"],
            strict=True,
        )
    ]  # fmt: skip
    return table.assign(rag=ratings)


@pytest.fixture(scope="module")
def assessed(frames) -> dict[str, pd.DataFrame]:
    return {quarter: assess(frames, quarter) for quarter in QUARTER_END}


def kpis(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["kind"] == "kpi"]


# --- seed 001 --------------------------------------------------------------------------------


@pytest.mark.parametrize("quarter", ["2023/24 Q1", "2023/24 Q2"])
def test_38_kpis_are_reported(assessed, quarter):
    assert len(kpis(assessed[quarter])) == 38


@pytest.mark.parametrize(
    "quarter, green, amber, red",
    [
        ("2023/24 Q2", 15, 15, 8),  # seed 001, 2.2
        ("2023/24 Q1", 16, 11, 11),  # "one fewer", "four more", "three fewer" than Q1
    ],
)
def test_rag_counts_match_seed_001(assessed, quarter, green, amber, red):
    counts = kpis(assessed[quarter])["rag"].value_counts().to_dict()
    assert counts == {"Green": green, "Amber": amber, "Red": red}


@pytest.mark.parametrize(
    "quarter, improving, stable, worsening",
    [
        ("2023/24 Q2", 7, 19, 12),  # seed 001, 2.4
        ("2023/24 Q1", 4, 24, 10),  # "three more", "five fewer", "two more" than Q1
    ],
)
def test_direction_counts_match_seed_001(assessed, quarter, improving, stable, worsening):
    counts = kpis(assessed[quarter])["direction"].value_counts(dropna=False).to_dict()
    assert counts == {"improving": improving, "stable": stable, "worsening": worsening}


def test_q2_red_kpis_are_seed_001s_by_service_area(assessed):
    table = kpis(assessed["2023/24 Q2"])
    reds = table[table["rag"] == "Red"]
    by_area = {
        area: list(group["name"]) for area, group in reds.groupby("service_area", sort=False)
    }
    assert by_area == SEED_001_REDS  # same areas, in seed 001's order, and the same names


def test_red_list_is_written_correctly():
    names = [name for area in SEED_001_REDS.values() for name in area]
    assert not any("(Fol)" in name for name in names)


@pytest.mark.parametrize("quarter", ["2023/24 Q1", "2023/24 Q2"])
def test_every_red_kpi_has_commentary_and_a_management_action(assessed, frames, quarter):
    table = kpis(assessed[quarter])
    comments = frames["commentary.csv"]
    mine = comments[comments["quarter"] == quarter].set_index("id")
    for id_ in table.loc[table["rag"] == "Red", "id"]:
        assert mine.loc[id_, "commentary"], id_
        assert mine.loc[id_, "action"], id_


def test_rag_moves_and_the_call_in_list_are_data_readmes(assessed):
    """PAT's rule: RAG worsened since the previous quarter, or Red and not improving.

    data/README.md: Amber->Red GL01, CYPE03; Green->Amber HT01, WM01, CYPE08, ASC05;
    Red->Amber CS01, HT02, CYPE06, ASC03; Red->Green PH03; Amber->Green GT01, PH01; and none
    of the 8 Reds improving, so 12 are called in."""
    order = {"Red": 0, "Amber": 1, "Green": 2}
    now = kpis(assessed["2023/24 Q2"]).set_index("id")
    before = kpis(assessed["2023/24 Q1"]).set_index("id")["rag"]
    moved = {
        i: f"{before[i]}->{now.loc[i, 'rag']}"
        for i in now.index
        if i in before.index and before[i] != now.loc[i, "rag"]
    }
    assert moved == {
        "GL01": "Amber->Red", "CYPE03": "Amber->Red",
        "HT01": "Green->Amber", "WM01": "Green->Amber", "CYPE08": "Green->Amber",
        "ASC05": "Green->Amber",
        "CS01": "Red->Amber", "HT02": "Red->Amber", "CYPE06": "Red->Amber", "ASC03": "Red->Amber",
        "PH03": "Red->Green", "GT01": "Amber->Green", "PH01": "Amber->Green",
    }  # fmt: skip
    worsened = {i for i in moved if order[now.loc[i, "rag"]] < order[before[i]]}
    red_not_improving = set(now.index[(now["rag"] == "Red") & (now["direction"] != "improving")])
    assert red_not_improving == set(SEED_001_RED_IDS)
    assert worsened | red_not_improving == {*SEED_001_RED_IDS, "HT01", "WM01", "CYPE08", "ASC05"}


def test_q2_activity_indicators_are_above_below_and_within_range(assessed):
    activity = assessed["2023/24 Q2"].query("kind == 'activity'")
    alerts = np.where(
        activity["value"] > activity["upper"],
        "above",
        np.where(activity["value"] < activity["lower"], "below", "within"),
    )
    found = dict(zip(activity["id"], alerts, strict=True))
    # data/README.md: GLA01, CYPEA01 and ASCA01 above; CSA02 and PHA01 below; seven within.
    assert {i: a for i, a in found.items() if a != "within"} == {
        "GLA01": "above", "CYPEA01": "above", "ASCA01": "above",
        "CSA02": "below", "PHA01": "below",
    }  # fmt: skip
    assert len(found) == 12


@pytest.mark.parametrize(
    "quarter, green, amber, red, improving, stable, worsening",
    [  # data/README.md, "Earlier quarters"; a 2022/23 Q4 report compares it with Q3
        ("2022/23 Q3", 11, 19, 8, 6, 15, 17),
        ("2022/23 Q4", 17, 14, 7, 4, 23, 11),
    ],
)
def test_the_previous_financial_year_is_data_readmes(
    assessed, quarter, green, amber, red, improving, stable, worsening
):
    table = kpis(assessed[quarter])
    assert len(table) == 38 and "HT05" in set(table["id"]) and "GL03" not in set(table["id"])
    assert table["rag"].value_counts().to_dict() == {"Green": green, "Amber": amber, "Red": red}
    directions = table["direction"].value_counts(dropna=False).to_dict()
    assert directions == {"improving": improving, "stable": stable, "worsening": worsening}


# --- the awkward cases -----------------------------------------------------------------------


def test_one_monthly_kpi_misses_december_2022(frames):
    cs01 = set(frames["values.csv"].query("id == 'CS01'")["period_end"])
    assert pd.Timestamp("2022-12-31") not in cs01
    assert {pd.Timestamp("2022-11-30"), pd.Timestamp("2023-01-31")} <= cs01
    assert len(cs01) == 53  # April 2019 to September 2023 is 54 months


def test_every_other_indicator_has_every_period(frames):
    indicators = frames["indicators.csv"].set_index("id")
    for id_, group in frames["values.csv"].groupby("id"):
        if id_ == "CS01":
            continue
        dates = group["period_end"]
        expected = periods(indicators.loc[id_, "frequency"], dates.min(), dates.max())
        assert list(dates) == list(expected), id_


def test_a_kpi_new_in_2023_24(frames, assessed):
    values = frames["values.csv"].query("id == 'GL03'")
    assert values["period_end"].min() == pd.Timestamp("2023-04-30")
    assert len(values) == 6
    assert set(frames["targets.csv"].query("id == 'GL03'")["year"]) == {"2023/24"}
    assert "GL03" in set(assessed["2023/24 Q1"]["id"])
    assert "GL03" not in set(assessed["2022/23 Q4"]["id"])


def test_a_kpi_retired_at_the_end_of_2022_23(frames, assessed):
    values = frames["values.csv"].query("id == 'HT05'")
    assert values["period_end"].max() == pd.Timestamp("2023-03-31")
    years = set(frames["targets.csv"].query("id == 'HT05'")["year"])
    assert years == {"2019/20", "2020/21", "2021/22", "2022/23"}
    assert "HT05" in set(assessed["2022/23 Q4"]["id"])
    assert "HT05" not in set(assessed["2023/24 Q2"]["id"])


def test_values_on_the_boundaries_are_rated_inclusively(assessed):
    table = kpis(assessed["2023/24 Q2"]).set_index("id")
    assert table.loc["PH02", "value"] == table.loc["PH02", "target"]
    assert table.loc["PH02", "rag"] == "Green"
    assert table.loc["CS03", "value"] == table.loc["CS03", "floor"]
    assert table.loc["CS03", "rag"] == "Amber"


# --- the files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATA_FILES)
def test_files_have_the_design_columns(frames, name):
    assert list(frames[name].columns) == COLUMNS[name]


def test_vocabularies(frames):
    ind = frames["indicators.csv"]
    assert set(ind["kind"]) == {"kpi", "activity"}
    assert set(ind["polarity"]) == {"higher", "lower", "none"}
    assert set(ind["unit"]) <= {"percent", "number", "days", "currency", "rate"}
    assert set(ind["frequency"]) == {"monthly", "quarterly"}
    assert set(ind.loc[ind["kind"] == "activity", "polarity"]) == {"none"}
    assert set(frames["milestones.csv"]["status"]) == {
        "on_track", "uncertain", "off_track", "complete",
    }  # fmt: skip


def test_comparators_cover_the_statutory_measures_with_15_neighbours_and_england(frames):
    """data/README.md "Comparators": 12 KPIs, 15 similar councils and England, quarter ends
    June 2021 to June 2023, every figure for a period the council has its own figure for."""
    comparators, values = frames["comparators.csv"], frames["values.csv"]
    assert comparators["id"].nunique() == 12
    per_row = comparators.groupby(["id", "period"])["area_code"].nunique()
    assert set(per_row) == {16}
    assert set(comparators.loc[comparators["area_name"] == "England", "area_code"]) == {"E92000001"}
    assert sorted(comparators["period"].unique())[0] == "2021-06-30"
    assert sorted(comparators["period"].unique())[-1] == "2023-06-30"
    own = set(zip(values["id"], values["period_end"].dt.strftime("%Y-%m-%d"), strict=True))
    assert set(zip(comparators["id"], comparators["period"], strict=True)) <= own


def test_directorates_and_service_areas(frames):
    ind = frames["indicators.csv"]
    assert list(ind["service_area"].drop_duplicates()) == [
        "Customer Services", "Governance and Law", "Growth, Environment and Transport",
        "Children, Young People and Education", "Adult Social Care", "Public Health",
    ]  # fmt: skip
    assert set(ind["directorate"]) == set(frames["milestones.csv"]["directorate"])
    assert len(set(ind["directorate"])) == 5
    assert (ind["kind"] == "activity").sum() == 12


def test_targets_and_floors_for_every_kpi_year(frames):
    ind = frames["indicators.csv"].set_index("id")
    targets = frames["targets.csv"].join(ind[["kind", "polarity", "unit"]], on="id")
    kpi = targets[targets["kind"] == "kpi"]
    assert kpi[["target", "floor"]].notna().all().all()
    assert kpi[["lower", "upper"]].isna().all().all()
    higher, lower = kpi[kpi["polarity"] == "higher"], kpi[kpi["polarity"] == "lower"]
    assert (higher["floor"] < higher["target"]).all()
    assert (lower["floor"] > lower["target"]).all()
    activity = targets[targets["kind"] == "activity"]
    assert (activity["lower"] < activity["upper"]).all()
    assert activity[["target", "floor"]].isna().all().all()
    for id_ in ind.index[ind["kind"] == "kpi"].drop(["GL03", "HT05"]):
        years = set(targets.loc[targets["id"] == id_, "year"])
        assert years == {"2019/20", "2020/21", "2021/22", "2022/23", "2023/24"}, id_


def test_some_kpis_are_retargeted_between_years(frames):
    targets = frames["targets.csv"].dropna(subset=["target"])
    changed = targets.groupby("id")["target"].nunique()
    # data/README.md: 34 KPIs retargeted at least once; CS02, GL01, HT03 and CYPE06 keep one
    # target every year, and GL03 has only 2023/24's.
    assert (changed > 1).sum() == 34
    assert set(changed.index[changed == 1]) == {"CS02", "GL01", "HT03", "CYPE06", "GL03"}
    assert targets.query("id == 'CS01'")["target"].tolist() == [87, 89, 84, 84, 85]


def test_percent_values_are_between_0_and_100(frames):
    units = frames["indicators.csv"].set_index("id")["unit"]
    values = frames["values.csv"]
    percent = values[values["id"].map(units) == "percent"]["value"]
    assert percent.between(0, 100).all()
    assert (values["value"] >= 0).all()


def test_commentary_has_real_world_text(frames):
    comments = frames["commentary.csv"]
    hard = comments[comments["commentary"].map(lambda t: "'" in t and "&" in t and "%" in t)]
    assert "CYPE01" in set(hard["id"])  # data/README.md: CYPE01's commentary has all three


def test_milestones_cover_every_directorate_in_both_quarters(frames):
    milestones = frames["milestones.csv"]
    counts = milestones.groupby(["directorate", "quarter"]).size()
    assert set(milestones["quarter"]) == {"2023/24 Q1", "2023/24 Q2"}
    assert (counts == 4).all() and len(counts) == 10  # four per directorate, Q1 and Q2


def test_qprlib_io_loads_the_sample_data_without_problems():
    assert len(io.load(DATA_DIR).indicators) == 51


# --- the generator ---------------------------------------------------------------------------


def test_the_generator_reproduces_the_committed_files_byte_for_byte(tmp_path):
    script = DATA_DIR / "generate_sample.py"
    run = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    for name in DATA_FILES:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name
