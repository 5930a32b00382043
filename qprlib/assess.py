"""The quarter's assessment: one row per reported indicator with RAG, direction, SPC and call-in.

A recipe of small DataFrame verbs (`add_*`), each taking the table and returning a new one.
An indicator is reported in a quarter when targets.csv has a row for it for the quarter's
financial year; that row's target and floor (KPIs) or lower and upper bounds (activity
indicators) are the ones it is judged against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qprlib.io import QprData
from qprlib.periods import Quarter
from qprlib.rag import RED, rag, worsened
from qprlib.spc import spc_summary
from qprlib.trend import IMPROVING, WORSENING, direction

COLUMNS = [
    "quarter", "id", "name", "directorate", "service_area", "kind", "polarity", "unit",
    "frequency", "definition", "owner", "period_end", "value", "target", "floor", "lower",
    "upper", "rag", "previous_rag", "direction", "spc_variation", "spc_assurance",
    "spc_trial_limits", "activity_alert", "commentary", "action", "author", "call_in",
    "call_in_reason", "missing_action",
]  # fmt: skip
HISTORY_COLUMNS = [
    "id",
    "period_end",
    "quarter",
    "value",
    "target",
    "floor",
    "lower",
    "upper",
    "rag",
]
TARGET_COLUMNS = ["target", "floor", "lower", "upper"]
COMMENTARY_COLUMNS = ["commentary", "action", "author"]
TABLE_COLUMNS = ["id", "name", "rag", "previous_rag", "direction", "value", "target", "floor"]
NAME_WIDTH = 50  # characters of the indicator name shown by `qpr assess --format table`

IMPROVEMENT = {"higher": "increase", "lower": "decrease"}  # polarity -> spc(improvement=...)
PERIODS_PER_YEAR = {"monthly": 12, "quarterly": 4}
# A calendar quarter ends where a financial quarter does (June, September, December, March).
GRID_STEP = {"monthly": pd.offsets.MonthEnd(0), "quarterly": pd.offsets.QuarterEnd(0)}

ABOVE, BELOW, WITHIN = "above", "below", "within"
WORSENED_REASON = "RAG worsened from {previous} to {current}"
RED_WORSENING_REASON = "Red and worsening"
RED_NOT_IMPROVING_REASON = "Red and not improving (stable or no clear trend)"


@dataclass(frozen=True)
class AssessSettings:
    """Every method choice behind the assessment, with the KCC defaults (see DESIGN.md)."""

    dot_method: str = "regression"  # or "previous", "same_period_last_year"
    dot_window_quarters: int = 8  # regression window for quarterly indicators
    dot_window_months: int = 24  # regression window for monthly indicators
    dot_alpha: float = 0.05  # two-sided p-value below which a slope is a trend
    amber_mode: str = "floor"  # or "tolerance": Amber within amber_tolerance of target
    amber_tolerance: float = 0.05
    spc_screen_outliers: bool = True  # drop moving ranges >= 3.267 x mean from the limits


def assess(
    data: QprData, quarter: Quarter | str, settings: AssessSettings = AssessSettings()
) -> pd.DataFrame:
    """The quarter's assessment table: one row per reported indicator, in indicators.csv order.

    Columns as `COLUMNS` (docs/internals.md); `missing_action` flags a Red KPI without a
    management action in commentary.csv, so reports can show the gap instead of failing.
    """
    quarter = Quarter.parse(quarter)
    series = series_by_id(data.values, data.indicators, quarter)
    previous = quarter.previous()
    previous_rags = (
        reported(data, previous)
        .pipe(add_latest_value, data.values, previous)
        .pipe(add_rag, settings)
    )
    table = (
        reported(data, quarter)
        .pipe(add_latest_value, data.values, quarter)
        .pipe(add_rag, settings)
        .pipe(add_previous_rag, previous_rags)
        .pipe(add_direction, series, settings)
        .pipe(add_spc, series, settings)
        .pipe(add_activity_alert)
        .pipe(add_commentary, data.commentary, quarter)
        .pipe(add_call_in)
        .pipe(add_missing_action)
    )
    return table.assign(quarter=str(quarter))[COLUMNS].reset_index(drop=True)


def reported(data: QprData, quarter: Quarter) -> pd.DataFrame:
    """Indicators with a targets row for the quarter's financial year, with that row's targets."""
    targets = data.targets.loc[data.targets["year"] == quarter.financial_year]
    targets = targets.drop_duplicates("id", keep="last")[["id", *TARGET_COLUMNS]]
    return data.indicators.merge(targets, on="id", how="inner", sort=False)


def add_latest_value(table: pd.DataFrame, values: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """Add period_end and value: the latest non-missing value dated within the quarter."""
    start, end = pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)
    in_quarter = values.loc[
        values["period_end"].between(start, end) & values["value"].notna(),
        ["id", "period_end", "value"],
    ]
    latest = in_quarter.sort_values("period_end", kind="stable").drop_duplicates("id", keep="last")
    return table.merge(latest, on="id", how="left", sort=False)


def add_rag(table: pd.DataFrame, settings: AssessSettings = AssessSettings()) -> pd.DataFrame:
    """Add rag (KPIs only) from value, target, floor and polarity."""
    rating = rag(
        table["value"],
        table["target"],
        table["floor"],
        table["polarity"],
        amber=settings.amber_mode,
        tolerance=settings.amber_tolerance,
    )
    is_kpi = (table["kind"] == "kpi").to_numpy()
    return table.assign(rag=_objects(np.where(is_kpi, rating.to_numpy(), None)))


def add_previous_rag(table: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Add previous_rag from the previous quarter's table (id, rag); None if not reported then."""
    before = previous[["id", "rag"]].rename(columns={"rag": "previous_rag"})
    merged = table.merge(before, on="id", how="left", sort=False)
    return merged.assign(previous_rag=_objects(merged["previous_rag"]))


def series_by_id(
    values: pd.DataFrame, indicators: pd.DataFrame, quarter: Quarter
) -> dict[str, np.ndarray]:
    """Each indicator's values up to the quarter's end, one per period, gaps as NaN.

    Monthly indicators get every month end, quarterly ones every quarter end (the latest
    value within each quarter), from their first period to the quarter's end.
    """
    end = pd.Timestamp(quarter.end)
    frequency = indicators.set_index("id")["frequency"]
    upto = values.loc[values["period_end"] <= end, ["id", "period_end", "value"]]
    upto = upto.assign(frequency=upto["id"].map(frequency)).dropna(subset=["frequency"])
    series = {}
    for freq, group in upto.groupby("frequency", sort=False):
        step = PERIODS_PER_YEAR[freq]
        periods = group["period_end"] + GRID_STEP[freq]
        number = (periods.dt.year * 12 + periods.dt.month) * step // 12
        last = (end.year * 12 + end.month) * step // 12
        ordered = group.assign(number=number).sort_values(["id", "number", "period_end"])
        # Within a period keep the latest non-missing value (quarterly data given monthly).
        ordered = ordered.dropna(subset=["value"]).drop_duplicates(["id", "number"], keep="last")
        series.update(_grids(ordered, last))
    return series


def _grids(ordered: pd.DataFrame, last: int) -> dict[str, np.ndarray]:
    """Lay each id's (number, value) rows on its own grid first..last in one flat array."""
    codes, ids = pd.factorize(ordered["id"], sort=False)
    number = ordered["number"].to_numpy()
    first = pd.Series(number).groupby(codes).min().to_numpy()
    length = last - first + 1
    flat = np.full(length.sum(), np.nan)
    start = np.cumsum(length) - length
    flat[start[codes] + number - first[codes]] = ordered["value"].to_numpy()
    return dict(zip(ids, np.split(flat, np.cumsum(length)[:-1]), strict=True))


def add_direction(
    table: pd.DataFrame, series: dict[str, np.ndarray], settings: AssessSettings = AssessSettings()
) -> pd.DataFrame:
    """Add direction of travel from each indicator's series (see qprlib.trend.direction)."""
    empty = np.array([], dtype=float)
    window = {"monthly": settings.dot_window_months, "quarterly": settings.dot_window_quarters}
    directions = [
        direction(
            series.get(id_, empty),
            polarity,
            method=settings.dot_method,
            window=window[freq],
            alpha=settings.dot_alpha,
            periods_per_year=PERIODS_PER_YEAR[freq],
        )
        for id_, polarity, freq in zip(
            table["id"], table["polarity"], table["frequency"], strict=True
        )
    ]
    return table.assign(direction=_objects(directions))


def add_spc(
    table: pd.DataFrame, series: dict[str, np.ndarray], settings: AssessSettings = AssessSettings()
) -> pd.DataFrame:
    """Add spc_variation, spc_assurance and spc_trial_limits (XmR over the whole series).

    The same chart as `qprlib.spc.spc(values, improvement, target, screen_outliers)` per
    indicator, computed for all indicators at once with `spc_summary`.
    """
    kept = {id_: v[~np.isnan(v)] for id_ in table["id"] if (v := series.get(id_)) is not None}
    kept = {id_: v for id_, v in kept.items() if len(v)}
    if not kept:
        return table.assign(spc_variation=None, spc_assurance=None, spc_trial_limits=None)
    improvement = table["polarity"].map(IMPROVEMENT).fillna("neutral")
    settings_by_id = pd.DataFrame(
        {"id": table["id"], "improvement": improvement, "target": table["target"]}
    ).drop_duplicates("id")
    long = pd.DataFrame(
        {
            "id": np.repeat(list(kept), [len(v) for v in kept.values()]),
            "value": np.concatenate([np.empty(0), *kept.values()]),
        }
    ).merge(settings_by_id, on="id", how="left", sort=False)
    summary = spc_summary(
        long,
        improvement="improvement",
        target="target",
        screen_outliers=settings.spc_screen_outliers,
    )
    found = table[["id"]].merge(summary, on="id", how="left", sort=False)
    trial = found["trial_limits"].map(lambda t: None if pd.isna(t) else bool(t))
    return table.assign(
        spc_variation=_objects(found["variation"]),
        spc_assurance=_objects(found["assurance"]),
        spc_trial_limits=_objects(trial),
    )


def add_activity_alert(table: pd.DataFrame) -> pd.DataFrame:
    """Add activity_alert for activity indicators: above/below/within the (inclusive) range."""
    value = table["value"]
    alert = np.select(
        [value > table["upper"], value < table["lower"], value.notna()],
        [ABOVE, BELOW, WITHIN],
        default=None,
    )
    is_activity = (table["kind"] == "activity").to_numpy()
    return table.assign(activity_alert=_objects(np.where(is_activity, alert, None)))


def add_commentary(table: pd.DataFrame, commentary: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """Add commentary, action and author from commentary.csv for the quarter."""
    mine = commentary.loc[commentary["quarter"] == str(quarter), ["id", *COMMENTARY_COLUMNS]]
    merged = table.merge(mine.drop_duplicates("id", keep="last"), on="id", how="left", sort=False)
    return merged.assign(**{c: _objects(merged[c].map(_text)) for c in COMMENTARY_COLUMNS})


def call_in_reason(previous_rag: str | None, rag: str | None, direction: str | None) -> str | None:
    """Why PAT would call the indicator in, or None: RAG worsened, or Red and not improving."""
    reasons = []
    if worsened(previous_rag, rag):
        reasons.append(WORSENED_REASON.format(previous=previous_rag, current=rag))
    if rag == RED and direction != IMPROVING:
        reasons.append(RED_WORSENING_REASON if direction == WORSENING else RED_NOT_IMPROVING_REASON)
    return "; ".join(reasons) or None


def add_call_in(table: pd.DataFrame) -> pd.DataFrame:
    """Add call_in (bool) and call_in_reason from previous_rag, rag and direction."""
    reasons = [
        call_in_reason(p, r, d)
        for p, r, d in zip(table["previous_rag"], table["rag"], table["direction"], strict=True)
    ]
    return table.assign(
        call_in=[reason is not None for reason in reasons], call_in_reason=_objects(reasons)
    )


def add_missing_action(table: pd.DataFrame) -> pd.DataFrame:
    """Add missing_action: a Red KPI with no management action recorded for the quarter."""
    return table.assign(missing_action=(table["rag"] == RED) & table["action"].isna())


def history(
    data: QprData, quarter: Quarter | str, settings: AssessSettings = AssessSettings()
) -> pd.DataFrame:
    """Every period of the quarter's reported indicators up to its end, rated against that
    period's own financial-year targets (for charts).

    Columns: id, period_end, quarter ('2023/24 Q2'), value, target, floor, lower, upper, rag.
    """
    quarter = Quarter.parse(quarter)
    shown = reported(data, quarter)[["id", "kind", "polarity"]]
    values = data.values.loc[data.values["period_end"] <= pd.Timestamp(quarter.end)]
    rows = shown.merge(values[["id", "period_end", "value"]], on="id", sort=False)
    rows = rows.sort_values(["id", "period_end"], kind="stable").pipe(_restore_order, shown)
    quarters = _quarters_of(rows["period_end"])
    year = quarters.map({q: Quarter.parse(q).financial_year for q in quarters.unique()})
    rows = rows.assign(quarter=quarters, year=year).merge(
        data.targets[["id", "year", *TARGET_COLUMNS]].drop_duplicates(["id", "year"], keep="last"),
        on=["id", "year"],
        how="left",
        sort=False,
    )
    return rows.pipe(add_rag, settings)[HISTORY_COLUMNS].reset_index(drop=True)


def format_assessment(table: pd.DataFrame, fmt: str = "table") -> str:
    """The assessment as text for `qpr assess --format table|csv|json`."""
    if fmt == "csv":
        return table.to_csv(index=False, date_format="%Y-%m-%d")
    if fmt == "json":
        dated = table.assign(period_end=table["period_end"].dt.strftime("%Y-%m-%d"))
        records = json.loads(dated.to_json(orient="records"))
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if fmt == "table":
        return _fixed_width(table[TABLE_COLUMNS])
    raise ValueError(f"format must be 'table', 'csv' or 'json', not {fmt!r}")


def _fixed_width(table: pd.DataFrame) -> str:
    numeric = {"value", "target", "floor"}
    cells = {
        column: [_number(v) if column in numeric else _short(v) for v in table[column].tolist()]
        for column in table.columns
    }
    widths = {c: max([len(c), *map(len, cells[c])]) for c in table.columns}

    def line(values: dict[str, str]) -> str:
        parts = [
            values[c].rjust(widths[c]) if c in numeric else values[c].ljust(widths[c])
            for c in table.columns
        ]
        return "  ".join(parts).rstrip()

    lines = [line({c: c for c in table.columns}), line({c: "-" * widths[c] for c in widths})]
    lines += [line({c: cells[c][i] for c in table.columns}) for i in range(len(table))]
    return "\n".join(lines) + "\n"


def _short(value: object) -> str:
    text = "" if _missing(value) else str(value)
    return text if len(text) <= NAME_WIDTH else text[: NAME_WIDTH - 1] + "…"


def _number(value: object) -> str:
    if _missing(value):
        return ""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _quarters_of(period_end: pd.Series) -> pd.Series:
    """'2023/24 Q2' for each date: Quarter.containing once per distinct date (long histories)."""
    names = {day: str(Quarter.containing(day.date())) for day in period_end.unique()}
    return period_end.map(names)


def _restore_order(rows: pd.DataFrame, order: pd.DataFrame) -> pd.DataFrame:
    position = {id_: i for i, id_ in enumerate(order["id"])}
    return rows.sort_values("id", key=lambda ids: ids.map(position), kind="stable")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT


def _text(value: object) -> str | None:
    """Blank or missing text is None (so 'no action recorded' is one test)."""
    if _missing(value) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _objects(values) -> np.ndarray:
    """An object array with None (never NaN) for missing: clean JSON, clean `is None` tests."""
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    array[pd.isna(array)] = None
    return array
