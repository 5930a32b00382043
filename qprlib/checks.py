"""The data's consistency checks: within one file (unique ids, periods, years) and across
files (known ids, unit limits, floor side, target pairs, KPI targets), each returning the
Problems it finds; io.load runs them (CROSS_CHECKS names the files each needs).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from qprlib.periods import (
    FIRST_MONTH,
    financial_year_label,
)
from qprlib.rag import POLARITY_SIGN
from qprlib.schema import (
    COMPARATORS_FILE,
    TARGET_COLUMNS,
    UNIT_LIMITS,
    Problem,
    show,
    show_key,
)

# --- checks within one file ----------------------------------------------------------------


def repeats(table: pd.DataFrame, keys: list[str]) -> Iterator[tuple[int, tuple, int]]:
    """(row, key, first row) for each row whose key was already used higher up."""
    first: dict[tuple, int] = {}
    usable = table.dropna(subset=keys)  # an unreadable cell is reported already
    usable = usable[usable.duplicated(keys, keep=False)]  # only keys used twice can repeat
    for row, key in zip(usable.index, usable[keys].itertuples(index=False, name=None), strict=True):
        if "" in key:  # so is a blank one
            continue
        if key in first:
            yield row, key, first[key]
        first.setdefault(key, row)


def check_unique_ids(indicators: pd.DataFrame) -> list[Problem]:
    """Each indicator id once in indicators.csv."""
    return [
        Problem(
            "indicators.csv",
            row,
            "id",
            f"'{id_}' is already the id on row {first}; expected each indicator once",
        )
        for row, (id_,), first in repeats(indicators, ["id"])
    ]


def one_row_per(table: pd.DataFrame, file: str, key: str, holds: str, per: str) -> list[Problem]:
    """Problems for rows repeating an (id, key) pair: one row per indicator per `per`."""
    return [
        Problem(
            file,
            row,
            key,
            f"'{id_}' already has {holds} for {show_key(when)} on row {first}; "
            f"expected one row per indicator per {per}",
        )
        for row, (id_, when), first in repeats(table, ["id", key])
    ]


def check_unique_periods(values: pd.DataFrame) -> list[Problem]:
    """One values.csv row per indicator per period."""
    return one_row_per(values, "values.csv", "period_end", "a value", "period")


def check_status_has_value(values: pd.DataFrame) -> list[Problem]:
    """A status (provisional, estimate, revised) describes a figure: a blank value has none."""
    flagged = values[(values["status"] != "") & values["value"].isna()]
    return [
        Problem(
            "values.csv",
            row,
            "status",
            f"'{status}' is given for '{id_}' but its value is blank (not yet available); "
            "expected a value, or the status left blank",
        )
        for row, id_, status in zip(flagged.index, flagged["id"], flagged["status"], strict=True)
    ]


def check_unique_target_years(targets: pd.DataFrame) -> list[Problem]:
    """One targets.csv row per indicator per financial year."""
    return one_row_per(targets, "targets.csv", "year", "a target row", "year")


def check_unique_quarters(commentary: pd.DataFrame) -> list[Problem]:
    """One commentary.csv row per indicator per quarter."""
    return one_row_per(commentary, "commentary.csv", "quarter", "commentary", "quarter")


def check_activity_ranges(targets: pd.DataFrame) -> list[Problem]:
    """An expected range's lower bound is not above its upper bound."""
    wrong = targets[targets["lower"] > targets["upper"]]
    return [
        Problem(
            "targets.csv",
            row,
            "lower",
            f"{show(lower)} is above the upper bound {show(upper)} for '{id_}'; "
            "expected lower at or below upper",
        )
        for row, id_, lower, upper in zip(
            wrong.index, wrong["id"], wrong["lower"], wrong["upper"], strict=True
        )
    ]


def check_some_indicators(indicators: pd.DataFrame) -> list[Problem]:
    """indicators.csv lists at least one indicator (the other files may have no rows yet)."""
    if len(indicators):
        return []
    return [Problem("indicators.csv", 2, None, "has no indicators; expected one row each")]


def check_unique_comparator_rows(comparators: pd.DataFrame) -> list[Problem]:
    """One comparators.csv row per indicator per area per period."""
    return [
        Problem(
            COMPARATORS_FILE,
            row,
            "period",
            f"'{id_}' already has a figure for area {area} for {show_key(when)} on row "
            f"{first}; expected one row per indicator, area and period",
        )
        for row, (id_, area, when), first in repeats(comparators, ["id", "area_code", "period"])
    ]


FILE_CHECKS: dict[str, tuple[Callable[[pd.DataFrame], list[Problem]], ...]] = {
    "indicators.csv": (check_some_indicators, check_unique_ids),
    "targets.csv": (check_unique_target_years, check_activity_ranges),
    "values.csv": (check_unique_periods, check_status_has_value),
    "commentary.csv": (check_unique_quarters,),
    "milestones.csv": (),
    COMPARATORS_FILE: (check_unique_comparator_rows,),
}


# --- checks across files (each run when the files it needs could be read) -------------------


def lookup(indicators: pd.DataFrame, column: str) -> dict[str, object]:
    """id -> the indicator's `column` (the last row wins if an id is repeated)."""
    return dict(zip(indicators["id"], indicators[column], strict=True))


def check_known_ids(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every id in targets, values and commentary is an indicator in indicators.csv."""
    known = set(tables["indicators.csv"]["id"])
    problems = []
    files = ("targets.csv", "values.csv", "commentary.csv", COMPARATORS_FILE)
    for file in [f for f in files if f in tables]:
        ids = tables[file]["id"]
        for row, id_ in ids[~ids.isin(known)].items():
            if id_ and id_ not in known:
                message = f"'{id_}' is not an indicator in indicators.csv{did_you_mean(id_, known)}"
                problems.append(Problem(file, row, "id", f"{message}; expected an id listed there"))
    return problems


def did_you_mean(id_: str, known: set[str]) -> str:
    """' (did you mean 'ASC01'?)' for the closest known id, ignoring case; '' if none is close."""
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(id_.lower(), by_lower, n=1)
    return f" (did you mean '{by_lower[close[0]]}'?)" if close else ""


def limit_problem(x: float, id_: str, unit: object) -> str | None:
    """Why x cannot be a figure for a `unit` indicator, or None when it can."""
    low, high = UNIT_LIMITS.get(unit, (None, None))  # type: ignore[call-overload]
    if low is not None and x < low:
        side = f"below {show(low)}"
    elif high is not None and x > high:
        side = f"above {show(high)}"
    else:
        return None
    allowed = f"from {show(low)} to {show(high)}" if high is not None else f"of {show(low)} or more"
    return f"{show(x)} is {side} for '{id_}', a {unit} indicator; expected a value {allowed}"


def check_unit_limits(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Values and targets within their unit's limits: percents 0-100, counts not negative."""
    units = lookup(tables["indicators.csv"], "unit")
    problems = []
    checked = (("targets.csv", TARGET_COLUMNS), ("values.csv", ("value",)))
    checked += ((COMPARATORS_FILE, ("value",)),) if COMPARATORS_FILE in tables else ()
    for file, columns in checked:
        table = tables[file]
        unit = table["id"].map(units)
        low = unit.map({u: low for u, (low, _) in UNIT_LIMITS.items()}).astype(float)
        high = unit.map({u: high for u, (_, high) in UNIT_LIMITS.items()}).astype(float)
        for column in columns:
            outside = table[(table[column] < low) | (table[column] > high)]  # NaN: False
            for row, id_, x in zip(outside.index, outside["id"], outside[column], strict=True):
                message = limit_problem(x, id_, units.get(id_))
                if message:
                    problems.append(Problem(file, row, column, message))
    return problems


def check_floor_side(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """The floor is on the failing side of the target: below it when higher is better."""
    polarity = lookup(tables["indicators.csv"], "polarity")
    targets = tables["targets.csv"]
    problems = []
    for row, id_, target, floor in zip(
        targets.index, targets["id"], targets["target"], targets["floor"], strict=True
    ):
        sign = POLARITY_SIGN.get(polarity.get(id_))  # type: ignore[arg-type]
        if sign is not None and sign * floor > sign * target:  # NaN compares False
            side, allowed = ("above", "at or below") if sign > 0 else ("below", "at or above")
            message = (
                f"{show(floor)} is {side} the target {show(target)} for '{id_}', where "
                f"{polarity[id_]} is better; expected a floor {allowed} the target"
            )
            problems.append(Problem("targets.csv", row, "floor", message))
    return problems


TARGET_PAIRS = {  # kind -> the two targets.csv cells its rating needs, and what they are
    "kpi": {"target": "the year's target", "floor": "the floor standard"},
    "activity": {"lower": "the bottom of the expected range", "upper": "the top of the range"},
}


def check_target_pairs(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """A KPI's row has both a target and a floor; an activity's both ends of its range.

    With only one of the two an indicator would be silently unrated (RAG needs the target
    and the floor: DESIGN.md), so a half-filled row is an error, and so is an empty one: a
    row in targets.csv is what makes an indicator reported in the year.
    """
    kinds = lookup(tables["indicators.csv"], "kind")
    problems = []
    targets = tables["targets.csv"]
    for row, record in zip(targets.index, targets.to_dict("records"), strict=True):
        kind = kinds.get(record["id"])
        if kind not in TARGET_PAIRS:
            continue
        needed = TARGET_PAIRS[kind]  # type: ignore[index]
        noun = "KPI" if kind == "kpi" else "activity indicator"
        held = {column: record[column] for column in needed if not np.isnan(record[column])}
        if len(held) == 1:
            ((have, x),) = held.items()
            (lacking,) = needed.keys() - held.keys()
            problems.append(
                Problem(
                    "targets.csv",
                    row,
                    lacking,
                    f"is empty for {noun} '{record['id']}' in {record['year']}, which has "
                    f"{have} {show(x)}; expected {needed[lacking]} as well (with only one of "
                    "the two it cannot be rated)",
                )
            )
        elif not held:
            first, second = needed
            problems.append(
                Problem(
                    "targets.csv",
                    row,
                    first,
                    f"{noun} '{record['id']}' has a row for {record['year']} with no {first} "
                    f"and no {second}; expected {needed[first]} and {needed[second]} (or no "
                    "row, if it is not reported that year)",
                )
            )
    return problems


def check_milestone_directorates(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every milestone's directorate is one in indicators.csv (else no dashboard shows it)."""
    known = set(tables["indicators.csv"]["directorate"])
    problems = []
    for row, name in tables["milestones.csv"]["directorate"].items():
        if name and name not in known:
            message = (
                f"'{name}' is not a directorate in indicators.csv{did_you_mean(name, known)}; "
                f"expected one of: {', '.join(sorted(known))}"
            )
            problems.append(Problem("milestones.csv", row, "directorate", message))
    return problems


def check_kpi_targets(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """A KPI with values in a financial year has a targets.csv row for that year."""
    indicators, values = tables["indicators.csv"], tables["values.csv"]
    kpis = set(indicators.loc[indicators["kind"] == "kpi", "id"])
    has_row = set(zip(tables["targets.csv"]["id"], tables["targets.csv"]["year"], strict=True))
    reported = values[values["id"].isin(kpis) & values["value"].notna()].dropna()
    day = reported["period_end"]
    start = day.dt.year - (day.dt.month < FIRST_MONTH)  # financial_year_of, for every row
    years = start.map({y: financial_year_label(y) for y in start.unique()})
    pairs = pd.DataFrame({"id": reported["id"], "year": years}).drop_duplicates()
    first = dict(zip(zip(pairs["id"], pairs["year"], strict=True), pairs.index, strict=True))
    return [
        Problem(
            "targets.csv",
            None,
            None,
            f"no row for KPI '{id_}' in {year}, though values.csv has values for it in that "
            f"year (from row {row}); expected a row with id '{id_}' and year '{year}'",
        )
        for (id_, year), row in first.items()
        if (id_, year) not in has_row
    ]


def check_comparator_periods(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Each comparators.csv row is for a KPI that can be ranked (higher or lower is better)
    and for a period that KPI has a value for in values.csv: the council's own figure, which
    is ranked among the others (a figure for another period compares unlike with unlike)."""
    indicators, values = tables["indicators.csv"], tables["values.csv"]
    kind, polarity = lookup(indicators, "kind"), lookup(indicators, "polarity")
    held = values.loc[values["value"].notna()]
    periods = held.groupby("id")["period_end"].agg(lambda days: sorted(days))
    own = set(zip(held["id"], held["period_end"], strict=True))
    problems = []
    table = tables[COMPARATORS_FILE]
    for row, id_, day in zip(table.index, table["id"], table["period"], strict=True):
        if id_ not in kind or pd.isna(day):
            continue  # an unknown id or an unreadable date: said already
        if kind[id_] != "kpi" or polarity[id_] not in POLARITY_SIGN:
            message = (
                f"'{id_}' is {'an activity indicator' if kind[id_] != 'kpi' else 'a KPI'} "
                f"with polarity '{polarity[id_]}', which cannot be ranked; expected a KPI "
                "where higher or lower is better"
            )
            problems.append(Problem(COMPARATORS_FILE, row, "id", message))
        elif (id_, day) not in own:
            mine = periods.get(id_, [])
            near = f"; it has {show_periods(mine)}" if len(mine) else "; it has none"
            message = (
                f"{day:%Y-%m-%d} is not a period KPI '{id_}' has a value for in values.csv"
                f"{near}; expected a period of the council's own figures"
            )
            problems.append(Problem(COMPARATORS_FILE, row, "period", message))
    return problems


def show_periods(days: list[pd.Timestamp]) -> str:
    """'values from 2021-04-30 to 2023-09-30' (first and last)."""
    return f"values from {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"


CROSS_CHECKS = {  # check -> the files it needs
    check_known_ids: ("indicators.csv",),
    check_unit_limits: ("indicators.csv", "targets.csv", "values.csv"),
    check_floor_side: ("indicators.csv", "targets.csv"),
    check_kpi_targets: ("indicators.csv", "targets.csv", "values.csv"),
    check_target_pairs: ("indicators.csv", "targets.csv"),
    check_milestone_directorates: ("indicators.csv", "milestones.csv"),
    check_comparator_periods: ("indicators.csv", "values.csv", COMPARATORS_FILE),
}
