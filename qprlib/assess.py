"""The quarter's assessment: one row per reported indicator with RAG, direction, SPC and call-in.

A recipe of small DataFrame verbs (`add_*`), each taking the table and returning a new one.
An indicator is reported in a quarter when targets.csv has a row for it for the quarter's
financial year; that row's target and floor (KPIs) or lower and upper bounds (activity
indicators) are the ones it is judged against.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from qprlib.compare import ASSESSMENT_COLUMNS, assessment_columns, comparisons, groups_from_json
from qprlib.io import QprData
from qprlib.periods import Quarter
from qprlib.rag import RED, rag, worsened
from qprlib.series import (  # noqa: F401  (moved; importable from here as before)
    GRID_STEP,
    PERIODS_PER_YEAR,
    SeriesGrid,
    _grid,
    _joined,
    series_by_id,
    series_grid,
)
from qprlib.settings import notebook_default as default
from qprlib.spc import spc_summary
from qprlib.trend import IMPROVING, WORSENING, directions
from qprlib.vocabulary import STABLE_WORDS

COLUMNS = [
    "quarter", "id", "name", "directorate", "service_area", "kind", "polarity", "unit",
    "frequency", "definition", "owner", "period_end", "value", "target", "floor", "lower",
    "upper", "rag", "previous_rag", "direction", "spc_variation", "spc_assurance",
    "spc_trial_limits", "activity_alert", "commentary", "action", "author", "call_in",
    "call_in_reason", "missing_action", "value_status", *ASSESSMENT_COLUMNS, "risks",
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

ABOVE, BELOW, WITHIN = "above", "below", "within"
WORSENED_REASON = "RAG worsened from {previous} to {current}"
RED_WORSENING_REASON = "Red and worsening"
RED_NOT_IMPROVING_REASON = f"Red and not improving ({STABLE_WORDS})"
RED_NO_DIRECTION_REASON = "Red, with no direction of travel yet (too few results for a trend)"


@dataclass(frozen=True)
class AssessSettings:
    """Every method choice behind the assessment, with the KCC defaults (see DESIGN.md); the
    defaults and help are `qprlib.settings.DECLARED`'s (its `method` settings)."""

    dot_method: str = default("dot_method")
    dot_window_quarters: int = default("dot_window_quarters")
    dot_window_months: int = default("dot_window_months")
    dot_alpha: float = default("dot_alpha")
    amber_mode: str = default("amber_mode")
    amber_tolerance: float = default("amber_tolerance")
    spc_screen_outliers: bool = default("spc_screen_outliers")
    # SPC baseline: the process limits (and the SPC chart) use the most recent periods up to
    # the quarter's end, not the whole history since the data began. Making Data Count
    # (domain.md 3.4): limits from fewer than 12-13 points are only "trial limits", and the
    # MDC tool shows icons from 13 points; longer baselines mix in processes that have since
    # changed (MDC rebases when the process changes). So: two years of monthly points (24, as
    # the direction-of-travel window and the KCC charts) and 13 quarterly points (the fewest
    # that give full, not trial, limits). Gaps count as periods, as for direction of travel.
    spc_baseline_months: int = default("spc_baseline_months")
    spc_baseline_quarters: int = default("spc_baseline_quarters")
    # Comparators (qprlib.compare; params area_code and comparator_groups): the council's own
    # area code and the groups as JSON text ('' = none: no comparison columns are filled).
    area_code: str = default("area_code")
    comparator_groups: str = default("comparator_groups")

    def spc_baseline(self, frequency: str) -> int:
        """Periods in the SPC baseline for a monthly or quarterly indicator."""
        return self.spc_baseline_months if frequency == "monthly" else self.spc_baseline_quarters


def assess(
    data: QprData, quarter: Quarter | str, settings: AssessSettings = AssessSettings()
) -> pd.DataFrame:
    """The quarter's assessment table: one row per reported indicator, in indicators.csv order.

    Columns as `COLUMNS` (docs/internals.md); `missing_action` flags a Red KPI without a
    management action in commentary.csv, so reports can show the gap instead of failing.
    """
    quarter = Quarter.parse(quarter)
    series = series_grid(data.values, data.indicators, quarter)
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
        .pipe(add_comparison, data, quarter, settings)
    )
    return table.assign(quarter=str(quarter))[COLUMNS].reset_index(drop=True)


def made_from(
    data: QprData, quarter: Quarter | str, settings: AssessSettings, library: str
) -> dict:
    """What an assessment is made from: quarter, settings, data hash and `library` (qprlib's
    source hash). The build saves it with the assessment it shares with the notebooks, which
    reuse that assessment only when all of it matches their own."""
    return {
        "quarter": str(Quarter.parse(quarter)),
        "settings": asdict(settings),
        "data_hash": data.data_hash,
        "qprlib": library,
    }


def reported(data: QprData, quarter: Quarter) -> pd.DataFrame:
    """Indicators with a targets row for the quarter's financial year, with that row's targets."""
    targets = data.targets.loc[data.targets["year"] == quarter.financial_year]
    targets = targets.drop_duplicates("id", keep="last")[["id", *TARGET_COLUMNS]]
    return data.indicators.merge(targets, on="id", how="inner", sort=False)


def add_latest_value(table: pd.DataFrame, values: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """Add period_end, value and value_status: the latest non-missing value dated within the
    quarter, with its values.csv status ('provisional', 'estimate', 'revised'; None = final)."""
    start, end = pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)
    if "status" not in values:  # a frame made without the optional column: all final
        values = values.assign(status="")
    in_quarter = values.loc[
        values["period_end"].between(start, end) & values["value"].notna(),
        ["id", "period_end", "value", "status"],
    ]
    latest = in_quarter.sort_values("period_end", kind="stable").drop_duplicates("id", keep="last")
    latest = latest.rename(columns={"status": "value_status"})
    merged = table.merge(latest, on="id", how="left", sort=False)
    return merged.assign(value_status=_objects(merged["value_status"].map(_text)))


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


def add_direction(
    table: pd.DataFrame, series: SeriesGrid, settings: AssessSettings = AssessSettings()
) -> pd.DataFrame:
    """Add direction of travel from each indicator's series (the rule of
    qprlib.trend.direction, for all indicators of a frequency at once). A quarter with no
    value has no direction (trend: the latest quarter of the series is empty)."""
    window = {"monthly": settings.dot_window_months, "quarterly": settings.dot_window_quarters}
    found = np.full(len(table), None, dtype=object)
    for freq, per_year in PERIODS_PER_YEAR.items():
        rows = (table["frequency"] == freq).to_numpy()
        if rows.any():
            width = max(window[freq], 5 * per_year // 4)  # room for same_period_last_year
            found[rows] = directions(
                series.tails(table["id"][rows], width),
                table["polarity"][rows].to_numpy(),
                method=settings.dot_method,
                window=window[freq],
                alpha=settings.dot_alpha,
                periods_per_year=per_year,
            )
    return table.assign(direction=_objects(found))


def add_spc(
    table: pd.DataFrame, series: SeriesGrid, settings: AssessSettings = AssessSettings()
) -> pd.DataFrame:
    """Add spc_variation, spc_assurance and spc_trial_limits: an XmR chart over the SPC
    baseline (the last `settings.spc_baseline(frequency)` periods up to the quarter's end).

    The same chart as `qprlib.spc.spc(values, improvement, target, screen_outliers)` per
    indicator, computed for all indicators at once with `spc_summary`. An indicator with no
    value in the quarter has no SPC reading: the latest point would be an older quarter's.
    """
    width = table["frequency"].map(settings.spc_baseline).to_numpy(dtype=int)
    row, value = series.points(table["id"], width)
    has_value = table["value"].notna().to_numpy()
    keep = has_value[row]
    row, value = row[keep], value[keep]
    if not len(row):
        return table.assign(spc_variation=None, spc_assurance=None, spc_trial_limits=None)
    improvement = table["polarity"].map(IMPROVEMENT).fillna("neutral").to_numpy(dtype=object)
    target = table["target"].to_numpy(dtype=float)
    long = pd.DataFrame(
        {"row": row, "value": value, "improvement": improvement[row], "target": target[row]}
    )
    summary = spc_summary(
        long,
        by="row",
        improvement="improvement",
        target="target",
        screen_outliers=settings.spc_screen_outliers,
    )
    found = pd.DataFrame({"row": np.arange(len(table))}).merge(summary, on="row", how="left")
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
    """Add commentary, action, author and risks from commentary.csv for the quarter."""
    columns = [*COMMENTARY_COLUMNS, "risks"]  # risks: commentary.csv's optional column
    mine = commentary.reindex(columns=["id", "quarter", *columns])
    mine = mine.loc[mine["quarter"] == str(quarter), ["id", *columns]]
    merged = table.merge(mine.drop_duplicates("id", keep="last"), on="id", how="left", sort=False)
    return merged.assign(**{c: _objects(merged[c].map(_text)) for c in columns})


def call_in_reason(previous_rag: str | None, rag: str | None, direction: str | None) -> str | None:
    """Why PAT would call the indicator in, or None: RAG worsened, or Red and not improving."""
    reasons = []
    if worsened(previous_rag, rag):
        reasons.append(WORSENED_REASON.format(previous=previous_rag, current=rag))
    if rag == RED and direction != IMPROVING:
        if direction is None:  # a value but too few points: say so, claim no trend
            reasons.append(RED_NO_DIRECTION_REASON)
        else:
            worse = direction == WORSENING
            reasons.append(RED_WORSENING_REASON if worse else RED_NOT_IMPROVING_REASON)
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


def add_comparison(
    table: pd.DataFrame, data: QprData, quarter: Quarter, settings: AssessSettings
) -> pd.DataFrame:
    """Add compare.ASSESSMENT_COLUMNS for KPIs: the council against its comparator groups at
    the latest comparator period on or before the quarter's end (empty without figures)."""
    groups = groups_from_json(settings.comparator_groups)
    kpis = table.loc[table["kind"] == "kpi"]
    found = comparisons(kpis, data.values, data.comparators, groups, pd.Timestamp(quarter.end))
    columns = assessment_columns(table, found)  # a KPI without figures (or an activity): empty
    texts = columns.select_dtypes(object).columns
    return table.assign(**{c: _objects(columns[c]) if c in texts else columns[c] for c in columns})


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
