"""Quarterly returns: the Excel workbook each directorate fills in with its quarter's figures.

One workbook per directorate (`qpr returns QUARTER`): an Instructions sheet; an Indicators
sheet, one row per indicator with what it measures, this year's target and floor (or expected
range), the last four quarters for context, yellow cells for this quarter's values and columns
for commentary and management action; and a hidden `qpr_return` sheet recording the quarter,
directorate, ids and every locked cell as generated, so that `qpr import` (qprlib.imports) can
check a workbook came back as it was sent. Reading returns back lives in qprlib.imports.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from qprlib import io
from qprlib.errors import DataError
from qprlib.periods import Quarter
from qprlib.rag import FLOOR_RULE, RatingRule
from qprlib.return_layout import (  # noqa: F401  (moved; importable from here as before)
    _GREY,
    _HEADER_FILL,
    _HEADING,
    _INPUT_FILL,
    _RED_FILL,
    _RED_FONT,
    _TITLE,
    _UNLOCKED,
    _WRAP,
    ABOUT,
    ACTION_COL,
    AUTHOR_CELL,
    AUTHOR_ROW,
    BETTER,
    COMMENTARY_COL,
    CONTEXT_COL,
    CONTEXT_QUARTERS,
    FIRST_ROW,
    FORMAT,
    GROUP_ROW,
    HEADER_ROW,
    INDICATORS,
    INSTRUCTIONS,
    LAST_COL,
    META,
    META_COLUMNS,
    MONTH_COL,
    NOT_APPLICABLE,
    NOTE_ROW,
    TITLE_ROW,
    UNIT_LIMITS,
    UNIT_WORDS,
    _missing,
    input_periods,
    is_red,
    month_label,
    number_text,
    quarter_heading,
    rating_text,
    red_threshold,
    return_filename,
)
from qprlib.return_sheets import (  # noqa: F401  (moved; importable from here as before)
    _highlight_red,
    _indicator_row,
    _indicators_sheet,
    _instructions,
    _jsonable,
    _meta_sheet,
    _num,
    _put,
    _save_atomically,
    _validate_inputs,
    return_workbook,
)


def context_values(values: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """Each id's latest value in each of the previous quarters: index id, one column per quarter.

    Needs values' id, period_end, value; columns are quarter headings, oldest first.
    """
    quarters = [quarter]
    for _ in range(CONTEXT_QUARTERS):
        quarters.insert(0, quarters[0].previous())
    known = values.dropna(subset=["value"])
    columns = {}
    for q in quarters[:-1]:
        start, end = pd.Timestamp(q.start), pd.Timestamp(q.end)
        within = known[(known["period_end"] >= start) & (known["period_end"] <= end)]
        latest = within.sort_values("period_end").groupby("id")["value"].last()
        columns[quarter_heading(q)] = latest
    return pd.DataFrame(columns)


def return_rows(
    data: io.QprData, quarter: Quarter, directorate: str, rule: RatingRule = FLOOR_RULE
) -> pd.DataFrame:
    """One row per indicator of the directorate reported in the quarter's year (it has a
    targets.csv row for that year, as in qprlib.assess): what the Indicators sheet shows.

    Columns: the indicator's own, target/floor/lower/upper for the quarter's year, better,
    rating, red_floor, one per context quarter, `periods` (tuple of month ends to report),
    `held` (dict period -> value already in values.csv) and the commentary held for the quarter.
    """
    year = quarter.financial_year
    targets = data.targets[data.targets["year"] == year].drop(columns="year")
    rows = data.indicators[data.indicators["directorate"] == directorate].merge(
        targets,
        on="id",
        how="inner",  # retired indicators (no row for the year) are left out
    )
    context = context_values(data.values, quarter)
    rows = rows.merge(context, left_on="id", right_index=True, how="left")
    held_values = _held_values(data.values, quarter)
    held_comments = data.commentary[data.commentary["quarter"] == str(quarter)].set_index("id")
    return rows.assign(
        better=rows["polarity"].map(BETTER).fillna(NOT_APPLICABLE),
        rating=[rating_text(r, year, rule) for _, r in rows.iterrows()],
        red_floor=pd.Series(  # object: None (not rated) must not become NaN
            [red_threshold(r.kind, r.polarity, r.target, r.floor, rule) for r in rows.itertuples()],
            index=rows.index,
            dtype=object,
        ),
        periods=[input_periods(f, quarter) for f in rows["frequency"]],
        held=[held_values.get(i, {}) for i in rows["id"]],
        commentary=[_held(held_comments, i, "commentary") for i in rows["id"]],
        action=[_held(held_comments, i, "action") for i in rows["id"]],
    )


def check_quarter_known(data: io.QprData, quarter: Quarter) -> None:
    """Raise DataError unless targets.csv has targets for the quarter's financial year."""
    if not (data.targets["year"] == quarter.financial_year).any():
        raise DataError(
            f"targets.csv has no targets for {quarter.financial_year}, so {quarter} is not a "
            f"quarter the data knows; add the year's targets to targets.csv first"
        )


def directorates(data: io.QprData, quarter: Quarter) -> list[str]:
    """The directorates in indicators.csv order, among indicators reported in the quarter."""
    reported = data.targets.loc[data.targets["year"] == quarter.financial_year, "id"]
    chosen = data.indicators[data.indicators["id"].isin(reported)]
    return list(dict.fromkeys(chosen["directorate"]))


def write_returns(
    quarter: str | Quarter,
    data_dir: str | Path = "data",
    out_dir: str | Path = "returns",
    only: list[str] | tuple[str, ...] = (),
    rule: RatingRule = FLOOR_RULE,
) -> list[Path]:
    """Write one return workbook per directorate into `out_dir/<quarter-slug>/`; return paths.

    `only`: just these directorates' workbooks (`qpr returns QUARTER --directorate D`), e.g.
    a fresh one for a directorate that lost or spoiled its own. `rule` is the quarter's RAG
    rule (params amber_mode, amber_tolerance): the workbook marks Red values by it and records
    it, so `qpr import` asks for an action exactly where the report will rate the KPI Red.
    """
    quarter = Quarter.parse(quarter)
    data = io.load(data_dir)
    check_quarter_known(data, quarter)
    chosen = directorates(data, quarter)
    unknown = [d for d in only if d not in chosen]
    if unknown:
        raise DataError(
            [
                f"--directorate: '{d}' has no indicators reported in {quarter}; expected one "
                f"of: {', '.join(chosen)}"
                for d in unknown
            ]
        )
    folder = Path(out_dir) / quarter.slug
    folder.mkdir(parents=True, exist_ok=True)
    generated = datetime.now(UTC).replace(microsecond=0).isoformat()
    paths = []
    for directorate in [d for d in chosen if not only or d in only]:
        rows = return_rows(data, quarter, directorate, rule)
        meta = {
            "format": FORMAT,
            "quarter": str(quarter),
            "directorate": directorate,
            "generated": generated,
            "data_hash": data.data_hash,
            "workbook_id": str(uuid.uuid4()),
            **rule.as_meta(),
        }
        path = folder / return_filename(quarter, directorate)
        _save_atomically(return_workbook(rows, quarter, meta), path)
        paths.append(path)
    return paths


# --- which returns are in: `qpr returns --status QUARTER` ----------------------------------

RETURNED, PARTLY, OUTSTANDING = "returned", "partly", "outstanding"
STATUS_COLUMNS = ["directorate", "service_area", "cells", "filled", "status", "missing"]


def _status_word(filled: int, cells: int) -> str:
    return RETURNED if filled == cells else OUTSTANDING if filled == 0 else PARTLY


def return_status(data: io.QprData, quarter: str | Quarter) -> pd.DataFrame:
    """Per directorate and service area (indicators.csv order): the return's figures (one
    per indicator per input period, as in its workbook), how many are in values.csv, the
    status (returned / partly / outstanding) and what is missing ('PH03 Nov 2023').

    One row per service area, then one per directorate with service_area '' (its total).
    """
    quarter = Quarter.parse(quarter)
    check_quarter_known(data, quarter)
    held = data.values.dropna(subset=["value"])
    have = set(zip(held["id"], held["period_end"].dt.date, strict=True))
    rows = []
    for directorate in directorates(data, quarter):
        chosen = return_rows(data, quarter, directorate)
        total: list[str] = []
        count = 0
        for area in dict.fromkeys(chosen["service_area"]):
            missing, cells = [], 0
            for row in chosen.loc[chosen["service_area"] == area].itertuples():
                for day in row.periods:
                    cells += 1
                    if (row.id, day) not in have:
                        missing.append(f"{row.id} {month_label(day)}")
            filled = cells - len(missing)
            rows.append([directorate, area, cells, filled, _status_word(filled, cells), missing])
            total += missing
            count += cells
        filled = count - len(total)
        rows.append([directorate, "", count, filled, _status_word(filled, count), total])
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def format_return_status(
    status: pd.DataFrame, quarter: str | Quarter, deadline: str = "", today: date | None = None
) -> str:
    """The status table as `qpr returns --status` prints it, with the deadline from params."""
    quarter = Quarter.parse(quarter)
    today = today or date.today()
    lines = [f"Returns for {quarter}: {_deadline_words(deadline, today)}"]
    late = bool(deadline) and today > date.fromisoformat(deadline)
    for directorate, rows in status.groupby("directorate", sort=False):
        total = rows.loc[rows["service_area"] == ""].iloc[0]
        overdue = "  (overdue)" if late and total["status"] != RETURNED else ""
        lines.append(
            f"{directorate}: {total['status']} ({total['filled']} of {total['cells']} "
            f"figures){overdue}"
        )
        for area in rows.loc[rows["service_area"] != ""].itertuples():
            missing = (
                "; nothing in yet"
                if area.status == OUTSTANDING
                else f"; missing {', '.join(area.missing)}"
                if area.missing
                else ""
            )
            lines.append(
                f"  {area.service_area}: {area.status} ({area.filled} of {area.cells}){missing}"
            )
    totals = status.loc[status["service_area"] == ""]
    counts = totals["status"].value_counts()
    lines.append(
        f"{len(totals)} directorates: {counts.get(RETURNED, 0)} returned, "
        f"{counts.get(PARTLY, 0)} partly, {counts.get(OUTSTANDING, 0)} outstanding."
    )
    return "\n".join(lines) + "\n"


def _deadline_words(deadline: str, today: date) -> str:
    if not deadline:
        return "no deadline set (params returns_deadline)"
    due = date.fromisoformat(deadline)
    days = (due - today).days
    when = (
        "today"
        if days == 0
        else f"in {days} day{'s' if days != 1 else ''}"
        if days > 0
        else f"passed {-days} day{'s' if days != -1 else ''} ago"
    )
    return f"due {due.day} {due:%B %Y} ({when})"


def _held_values(values: pd.DataFrame, quarter: Quarter) -> dict[str, dict[date, float]]:
    """id -> {month end: value} already held for the quarter (pre-filled for corrections)."""
    start, end = pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)
    within = values[(values["period_end"] >= start) & (values["period_end"] <= end)]
    held: dict[str, dict[date, float]] = {}
    for row in within.dropna(subset=["value"]).itertuples():
        held.setdefault(row.id, {})[row.period_end.date()] = float(row.value)
    return held


def _held(comments: pd.DataFrame, indicator: str, column: str) -> str:
    if indicator not in comments.index:
        return ""
    value = comments.loc[indicator, column]
    if isinstance(value, pd.Series):  # io rejects duplicates; take the last to be safe
        value = value.iloc[-1]
    return "" if _missing(value) else str(value)
