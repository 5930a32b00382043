"""The council beside comparator councils: each group's mean, median and quartiles, and the
council's rank and quartile in it (polarity-aware: rank 1 and the 1st quartile are the best).

Comparator figures are published figures of other areas for the same indicator and period
(data/comparators.csv, tidy as LG Inform and DfE LAIT export them). Params name the groups:
a *ranked group* is a list of area codes (e.g. the council's nearest neighbours), a
*published figure* is one area code whose figure is shown as it is (e.g. England's).

Definitions (README "Comparing with other councils"):

- The group's statistics (mean, median, lower and upper quartile) are of the group's areas,
  the council left out, so "the median of similar councils" is theirs, not ours. Quartile
  cut points are linear interpolation between order statistics (numpy/pandas default, the
  same as Excel's QUARTILE.INC), so anyone can check them in a spreadsheet.
- The council's rank is among the group's areas and the council (n = group + 1), best first:
  highest value first when higher is better, lowest first when lower is better. Tied values
  share the best of their ranks (1, 2, 2, 4: "competition" ranking).
- The council's quartile is its band in that ranked list split into four equal parts:
  quartile = ceil(4 x rank / n), so 1st = the best quarter, 4th = the worst. This is the
  rank-banding that benchmarking tools print as "quartile banding" (A to D in DfE's LAIT);
  it always puts the best-ranked area in the 1st quartile and the worst in the 4th, which
  comparing against interpolated cut points does not for small groups.
- A quarter's comparison uses the latest period on or before the quarter's end that has
  comparator figures (published figures lag: a Quarter 2 report may compare June's).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from qprlib.rag import POLARITY_SIGN

Groups = Mapping[str, str | tuple[str, ...]]  # name -> area codes (ranked) or one code (published)


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


QUARTILE_WORDS = {1: "1st (best) quartile", 2: "2nd quartile", 3: "3rd quartile",
                  4: "4th (worst) quartile"}  # fmt: skip
COMPARISON_COLUMNS = [
    "id", "group", "published", "period", "count", "rank", "quartile", "mean", "median",
    "lower_quartile", "upper_quartile", "value", "own", "better",
]  # fmt: skip
# What the assessment table gains (qprlib.assess.add_comparison): the first ranked group's
# figures, the first published figure, and `comparison`, the words for every group.
ASSESSMENT_COLUMNS = [
    "comparison", "comparator_group", "comparator_period", "comparator_count", "comparator_rank",
    "comparator_quartile", "comparator_mean", "comparator_median", "comparator_lower_quartile",
    "comparator_upper_quartile", "published_group", "published_period", "published_value",
    "comparator_value", "published_better",
]  # fmt: skip


def groups_from_json(text: str) -> dict[str, str | tuple[str, ...]]:
    """The groups as params passes them to a notebook (JSON text); '' is no groups."""
    if not text:
        return {}
    raw = json.loads(text)
    return {name: codes if isinstance(codes, str) else tuple(codes) for name, codes in raw.items()}


def groups_to_json(groups: Groups) -> str:
    """The groups as one line of JSON text (a notebook parameter must be plain text)."""
    if not groups:
        return ""
    plain = {k: v if isinstance(v, str) else list(v) for k, v in groups.items()}
    return json.dumps(plain, ensure_ascii=False)


def rank(value: float, others, polarity: str) -> tuple[int, int] | None:
    """(rank, n): the council's place among `others` and itself, 1 = best; ties share the
    better rank. None when the value is missing or polarity has no better direction."""
    sign = POLARITY_SIGN.get(polarity)
    if sign is None or value is None or np.isnan(value):
        return None
    others = np.asarray(others, dtype=float)
    others = others[~np.isnan(others)]
    better = int((sign * others > sign * value).sum())
    return better + 1, len(others) + 1


MIN_FOR_QUARTILES = 4  # fewer areas than quarters: a rank, but no quartile


def quartile(rank_: int, n: int) -> int | None:
    """The quarter of a best-first ranked list of n that rank falls in: 1 (best) to 4; None
    when n < 4 (the best of two would otherwise be '2nd quartile')."""
    if n < MIN_FOR_QUARTILES:
        return None
    return math.ceil(4 * rank_ / n)


def summary_stats(values) -> dict[str, float]:
    """mean, median, lower_quartile, upper_quartile of a group's figures (NaN when none)."""
    x = pd.Series(values, dtype=float).dropna()
    if x.empty:
        return dict.fromkeys(("mean", "median", "lower_quartile", "upper_quartile"), np.nan)
    return {
        "mean": float(x.mean()),
        "median": float(x.median()),
        "lower_quartile": float(x.quantile(0.25)),  # linear: Excel QUARTILE.INC
        "upper_quartile": float(x.quantile(0.75)),
    }


def _codes(codes: str | tuple[str, ...]) -> tuple[str, ...]:
    return (codes,) if isinstance(codes, str) else tuple(codes)


def comparisons(
    kpis: pd.DataFrame,
    values: pd.DataFrame,
    comparators: pd.DataFrame,
    groups: Groups,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """One row per KPI per group with comparator figures on or before `end` (COMPARISON_COLUMNS).

    kpis: id, polarity. values: id, period_end, value (the council's own, values.csv).
    comparators: id, area_code, period, value (comparators.csv). A ranked group's row has
    count, rank, quartile and the statistics; a published figure's row has `value`. A KPI
    with no comparator figures has no rows (it shows none).
    """
    polarity = dict(zip(kpis["id"], kpis["polarity"], strict=True))
    own = values.dropna(subset=["value"]).drop_duplicates(["id", "period_end"], keep="last")
    own = own.set_index(["id", "period_end"])["value"]
    figures = comparators.loc[
        comparators["id"].isin(polarity)
        & (comparators["period"] <= end)
        & comparators["value"].notna()
    ]
    rows = []
    for name, codes in groups.items():
        published = isinstance(codes, str)
        mine = figures.loc[figures["area_code"].isin(_codes(codes))]
        for id_, held in mine.groupby("id", sort=False):
            period = held["period"].max()
            latest = held.loc[held["period"] == period, "value"].to_numpy(dtype=float)
            row = dict.fromkeys(COMPARISON_COLUMNS, np.nan) | {
                "id": id_, "group": name, "published": published, "period": period,
            }  # fmt: skip
            row["own"] = own.get((id_, period), np.nan)  # the council's figure then
            if published:
                row["value"] = float(latest[0])
                sign = POLARITY_SIGN.get(polarity[id_])
                if sign is not None and not np.isnan(row["own"]):
                    row["better"] = bool(sign * row["own"] > sign * row["value"])
            else:
                row["value"] = own.get((id_, period), np.nan)  # the council's, ranked
                place = rank(row["value"], latest, polarity[id_])
                row |= summary_stats(latest)
                row["count"] = len(latest) if place is None else place[1]
                if place is not None:
                    row["rank"], row["quartile"] = place[0], quartile(*place) or np.nan
            rows.append(row)
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    order = {id_: i for i, id_ in enumerate(kpis["id"])}
    table = table.sort_values("id", key=lambda ids: ids.map(order), kind="stable")
    return table.astype({"period": "datetime64[ns]"}).reset_index(drop=True)


def comparison_words(rows: pd.DataFrame, unit: str) -> str | None:
    """'2nd quartile of 16 similar councils; England 81.3% (June 2023)': every group of one
    KPI (rows of `comparisons`), the period said once when all share it. None without rows."""
    from qprlib.tables import format_value  # presentation of numbers, in one place

    if rows.empty:
        return None
    parts = []
    for row in rows.itertuples(index=False):
        if row.published:
            parts.append(f"{row.group} {format_value(row.value, unit)}")
        elif not np.isnan(row.quartile):
            parts.append(f"{QUARTILE_WORDS[int(row.quartile)]} of {int(row.count)} {row.group}")
        elif not np.isnan(row.rank):  # too few areas to quarter
            parts.append(f"ranked {ordinal(int(row.rank))} of {int(row.count)} {row.group}")
        else:
            parts.append(f"{row.group}: median {format_value(row.median, unit)}")
    periods = rows["period"].drop_duplicates()
    if len(periods) == 1:
        return f"{'; '.join(parts)} ({periods.iloc[0]:%B %Y})"
    dated = [f"{p} ({d:%B %Y})" for p, d in zip(parts, rows["period"], strict=True)]
    return "; ".join(dated)


# Which `comparisons` column each assessment column takes from the first group of its kind.
RANKED_FIELDS = {
    "comparator_group": "group", "comparator_period": "period", "comparator_count": "count",
    "comparator_rank": "rank", "comparator_quartile": "quartile", "comparator_mean": "mean",
    "comparator_median": "median", "comparator_lower_quartile": "lower_quartile",
    "comparator_upper_quartile": "upper_quartile", "comparator_value": "own",
}  # fmt: skip
PUBLISHED_FIELDS = {
    "published_group": "group", "published_period": "period", "published_value": "value",
}  # fmt: skip


def _first(rows: pd.DataFrame, fields: dict[str, str]) -> dict[str, object]:
    first = rows.iloc[0]
    return {column: first[source] for column, source in fields.items()}


def assessment_columns(kpis: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """ASSESSMENT_COLUMNS for each of `kpis` (id, unit) from `comparisons` rows; empty
    (None/NaN) for a KPI without comparator figures."""
    out = []
    by_id = {id_: rows for id_, rows in found.groupby("id", sort=False)}  # each KPI's, found once
    none = found.iloc[0:0]
    for id_, unit in zip(kpis["id"], kpis["unit"], strict=True):
        mine = by_id.get(id_, none)
        row: dict[str, object] = dict.fromkeys(ASSESSMENT_COLUMNS)
        if mine.empty:  # no comparator figures: every column empty
            out.append(row)
            continue
        row["comparison"] = comparison_words(mine, unit)
        ranked, published = mine.loc[~mine["published"]], mine.loc[mine["published"]]
        if len(ranked):
            row |= _first(ranked, RANKED_FIELDS)
        if len(published):
            row |= _first(published, PUBLISHED_FIELDS)
            better = published.iloc[0]["better"]
            row["published_better"] = None if pd.isna(better) else bool(better)
        out.append(row)
    table = pd.DataFrame(out, columns=ASSESSMENT_COLUMNS, index=kpis.index)
    numbers = [c for c in ASSESSMENT_COLUMNS if c.startswith(("comparator_", "published_value"))]
    numbers = [c for c in numbers if c not in ("comparator_group", "comparator_period")]
    dates = ["comparator_period", "published_period"]
    return table.astype(dict.fromkeys(numbers, "float64") | dict.fromkeys(dates, "datetime64[ns]"))


def series(ids, comparators: pd.DataFrame, groups: Groups) -> pd.DataFrame:
    """Every period's comparator line for charts: id, group, published, period, value (the
    ranked group's median, or the published figure), in period order."""
    rows = []
    wanted = comparators.loc[comparators["id"].isin(list(ids)) & comparators["value"].notna()]
    for name, codes in groups.items():
        published = isinstance(codes, str)
        mine = wanted.loc[wanted["area_code"].isin(_codes(codes))]
        for (id_, period), held in mine.groupby(["id", "period"], sort=True):
            figure = held["value"].iloc[0] if published else held["value"].median()
            rows.append({"id": id_, "group": name, "published": published,
                         "period": period, "value": float(figure)})  # fmt: skip
    return pd.DataFrame(rows, columns=["id", "group", "published", "period", "value"])
