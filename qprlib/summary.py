"""The cover report's numbers and sentences: RAG and direction counts with change on the
previous quarter, the Red list by service area and the call-in list (KCC Cabinet cover
report, Quarter 2 2023/24, paragraphs 2.2 to 2.4)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from qprlib.rag import AMBER, GREEN, RED
from qprlib.trend import IMPROVING, STABLE, WORSENING

RAG_ORDER = (GREEN, AMBER, RED)  # the order the cover report lists them in
DIRECTION_ORDER = (IMPROVING, STABLE, WORSENING)
CALL_IN_COLUMNS = [
    "id",
    "name",
    "service_area",
    "previous_rag",
    "rag",
    "direction",
    "call_in_reason",
]
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
RAG_MEANING = {  # the KCC key, as the cover report words it
    GREEN: "the target was achieved or exceeded",
    AMBER: "performance achieved or exceeded the expected floor standard but did not meet target",
    RED: "performance did not meet the expected floor standard",
}


def number_words(n: int) -> str:
    """One to ten in words, digits above (house style of the cover report): 7 -> 'seven'."""
    return NUMBER_WORDS[n] if 1 <= n <= 10 else str(n)


UNITS = ("zero", *NUMBER_WORDS[1:], "eleven", "twelve", "thirteen", "fourteen", "fifteen",
         "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def cardinal(n: int) -> str:
    """Any whole number from 0 to 999 in words, as seed 003 spells them: 31 -> 'thirty-one',
    19 -> 'nineteen', 105 -> 'one hundred and five' (British usage); digits from 1,000."""
    if not 0 <= n < 1000:
        return f"{n:,}"
    if n < 20:
        return UNITS[n]
    if n < 100:
        return TENS[n // 10] + (f"-{UNITS[n % 10]}" if n % 10 else "")
    rest = n % 100
    return f"{UNITS[n // 100]} hundred" + (f" and {cardinal(rest)}" if rest else "")


def change_words(delta: int, noun: str = "") -> str:
    """A change in a count in words: 0 'no change', 1 'one more', -3 'three fewer'."""
    if delta == 0:
        return "no change"
    words = f"{number_words(abs(delta))} {'more' if delta > 0 else 'fewer'}"
    return f"{words} {noun}" if noun else words


def _since(delta: int | None, among: int | None = None) -> str:
    """' (one fewer than the previous Quarter)', or '' when there is no previous quarter.

    `among`: the change is over only the KPIs reported in both quarters (some have no figure
    in one of them, e.g. returns not yet in), and the clause says so."""
    if delta is None:
        return ""
    both = f", of the {among} KPIs reported in both Quarters" if among is not None else ""
    if delta == 0:
        return f" (no change on the previous Quarter{both})"
    return f" ({change_words(delta)} than the previous Quarter{both})"


def compared_kpis(
    current: pd.DataFrame, previous: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The KPI rows of each quarter for the KPIs with a value in both, when that is not all
    the KPIs of either quarter (else None: the plain comparison is over the same KPIs).

    Issue 12: with two directorates' returns outstanding, 'four fewer Red than the previous
    Quarter' was only missing figures; changes are counted over the KPIs both quarters report.
    """
    if not {"id", "value"} <= set(current.columns) or not {"id", "value"} <= set(previous):
        return None
    now, before = _kpis(current), _kpis(previous)
    now_ids = set(now.loc[now["value"].notna(), "id"])
    before_ids = set(before.loc[before["value"].notna(), "id"])
    if now_ids == before_ids == set(now["id"]) == set(before["id"]):
        return None
    both = now_ids & before_ids
    return now.loc[now["id"].isin(both)], before.loc[before["id"].isin(both)]


def _counts(table: pd.DataFrame, column: str, levels: tuple[str, ...]) -> dict[str, int]:
    counts = table[column].value_counts()
    return {level: int(counts.get(level, 0)) for level in levels}


def _kpis(table: pd.DataFrame) -> pd.DataFrame:
    return table.loc[table["kind"] == "kpi"]


def _has_value(kpis: pd.DataFrame) -> pd.Series:
    """KPIs with a value this quarter (a table without a value column: all of them)."""
    if "value" not in kpis.columns:
        return pd.Series(True, index=kpis.index)
    return kpis["value"].notna()


def _direction_counts(kpis: pd.DataFrame) -> dict[str, int]:
    # KCC's middle category is "stable or no clear trend": a KPI with a value but too few
    # points for a direction has no clear trend, so it is counted there. A KPI with no value
    # this quarter has no direction at all and is not counted (nothing travelled).
    reported = kpis.loc[_has_value(kpis)]
    return _counts(reported.fillna({"direction": STABLE}), "direction", DIRECTION_ORDER)


def _changes(now: dict[str, int], before: dict[str, int] | None) -> dict[str, int] | None:
    return None if before is None else {k: now[k] - before[k] for k in now}


@dataclass(frozen=True)
class Summary:
    """The quarter in numbers, and the cover report's sentences built from them."""

    kpi_count: int
    rag_counts: dict[str, int]  # Green, Amber, Red
    rag_changes: dict[str, int] | None  # on the previous quarter; None for a first quarter
    direction_counts: dict[str, int]  # improving, stable, worsening
    direction_changes: dict[str, int] | None
    red_by_service_area: dict[str, list[str]]  # service area -> KPI names, in table order
    call_in: pd.DataFrame  # CALL_IN_COLUMNS
    no_data_count: int = 0  # KPIs with no value this quarter: no rating, no direction
    compared_count: int | None = None  # changes are over only these KPIs (in both quarters)

    @property
    def unrated_count(self) -> int:
        """KPIs without a rating this quarter (no value in the quarter)."""
        return self.kpi_count - sum(self.rag_counts.values())

    def summary_paragraph(self) -> str:
        """The cover report's summary: 'Of the 38 Key Performance Indicators (KPIs) ...'."""
        n, green, amber, red = self.kpi_count, *(self.rag_counts[k] for k in RAG_ORDER)
        if n == 0:
            return "The QPR contains no Key Performance Indicators (KPIs) this Quarter."
        of = (
            "The QPR contains one Key Performance Indicator (KPI):"
            if n == 1
            else f"Of the {n} Key Performance Indicators (KPIs) contained within the QPR,"
        )
        text = (
            f"{of} {_count(green)} achieved target (Green), {_count(amber)} achieved or "
            "exceeded the floor standard but did not meet target (Amber). "
        )
        if red:
            text += f"{red} KPI{_s(red)} did not meet the floor standard (Red)."
        else:
            text += "No KPIs are rated Red (below the floor standard)."
        if self.unrated_count:
            u = self.unrated_count
            text += f" {u} KPI{_s(u)} {_has(u)} no data for the quarter."
        if self.compared_count is not None:
            c = self.compared_count
            text += (
                f" Changes on the previous Quarter are over the {c} KPI{_s(c)} reported in "
                "both Quarters."
            )
        return text

    def rag_sentences(self) -> list[str]:
        """One bullet per RAG status: '15 are rated Green (one fewer than ...) – the target ...'."""
        changes = self.rag_changes or {}
        return [
            f"{_count(self.rag_counts[k]).capitalize()} {_are(self.rag_counts[k])} rated {k}"
            f"{_since(changes.get(k), self.compared_count)} – {RAG_MEANING[k]}."
            for k in RAG_ORDER
        ]

    def red_intro(self) -> str:
        """'The 8 indicators where the RAG rating is Red, are in:' (paragraph 2.3)."""
        red = self.rag_counts[RED]
        if red == 0:
            return "No KPIs are rated Red this Quarter."
        if red == 1:
            return "The one indicator where the RAG rating is Red is in:"
        return f"The {red} indicators where the RAG rating is Red, are in:"

    def direction_sentence(self) -> str:
        """'With regards to Direction of Travel, seven indicators show a positive trend ...'."""
        up, flat, down = (self.direction_counts[k] for k in DIRECTION_ORDER)
        changes = self.direction_changes or {}
        shows = "shows" if up == 1 else "show"
        improving = (
            f"{number_words(up)} indicator{_s(up)} {shows} a positive trend"
            if up
            else "no indicators show a positive trend"
        )
        among = self.compared_count
        text = (
            f"With regards to Direction of Travel, {improving}"
            f"{_since(changes.get(IMPROVING), among)}, {_subject(flat)} stable or with no clear "
            f"trend{_since(changes.get(STABLE), among)}, and {_subject(down)} showing a "
            f"negative trend{_since(changes.get(WORSENING), among)}."
        )
        if self.no_data_count:
            u = self.no_data_count
            text += (
                f" {number_words(u).capitalize()} KPI{_s(u)} with no data this Quarter "
                f"{_has(u)} no direction of travel."
            )
        return text


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


def _has(n: int) -> str:
    return "has" if n == 1 else "have"


def _count(n: int) -> str:
    """A count in digits as the cover report prints them ('15'), 'none' for zero."""
    return str(n) if n else "none"


def _subject(n: int) -> str:
    """'19 are', 'one is', 'none are'."""
    return "none are" if n == 0 else f"{number_words(n)} {_are(n)}"


def commentary_due(table: pd.DataFrame) -> pd.Series:
    """KPIs whose commentary members expect: Amber and worsening, or on the call-in list (the
    review of the sample quarter, finding 12). Needs kind, rag, direction and call_in."""
    kpi = table["kind"] == "kpi"
    worsening_amber = (table["rag"] == AMBER) & (table["direction"] == WORSENING)
    called_in = table["call_in"].map(lambda v: bool(v) if pd.notna(v) else False)
    return kpi & (worsening_amber | called_in.astype(bool))


def _blank(column: pd.Series) -> pd.Series:
    return column.isna() | (column.astype(str).str.strip() == "")


def awaiting_commentary(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of `table` whose commentary is due (`commentary_due`) but not given."""
    return table.loc[commentary_due(table) & _blank(table["commentary"])]


def commentary_warnings(table: pd.DataFrame, quarter: str) -> list[str]:
    """One line per KPI awaiting commentary, naming the file and row to add (a warning for
    `qpr validate` and `qpr build`: the reports print 'Commentary awaited', nothing fails)."""
    lines = []
    for _, row in awaiting_commentary(table).iterrows():
        why = (
            "is Amber and worsening"
            if row["rag"] == AMBER and row["direction"] == WORSENING
            else "is on the call-in list"
        )
        lines.append(
            f"commentary.csv: {row['id']} ({row['name']}) {why} in {quarter} but has no "
            "commentary; the reports say 'Commentary awaited'"
        )
    return lines


def summarise(current: pd.DataFrame, previous: pd.DataFrame | None = None) -> Summary:
    """Summarise an assessment table (qprlib.assess.assess), with change on `previous`.

    Needs columns kind, name, service_area, rag, direction, call_in and CALL_IN_COLUMNS.
    Counts are of KPIs; activity indicators are not rated. previous=None (a first quarter)
    gives no change figures and no change clauses in the sentences.
    """
    kpis = _kpis(current)
    before = None if previous is None else _kpis(previous)
    rag_counts = _counts(kpis, "rag", RAG_ORDER)
    direction_counts = _direction_counts(kpis)
    both = None if previous is None else compared_kpis(current, previous)
    rag_changes = direction_changes = None
    if both is not None:  # over the KPIs both quarters report
        rag_changes = _changes(
            _counts(both[0], "rag", RAG_ORDER), _counts(both[1], "rag", RAG_ORDER)
        )
        direction_changes = _changes(_direction_counts(both[0]), _direction_counts(both[1]))
    elif before is not None:
        rag_changes = _changes(rag_counts, _counts(before, "rag", RAG_ORDER))
        direction_changes = _changes(direction_counts, _direction_counts(before))
    red = kpis.loc[kpis["rag"] == RED]
    areas = current["service_area"].drop_duplicates()  # indicators.csv order
    red_by_area = {
        area: red.loc[red["service_area"] == area, "name"].tolist()
        for area in areas
        if (red["service_area"] == area).any()
    }
    return Summary(
        kpi_count=len(kpis),
        rag_counts=rag_counts,
        rag_changes=rag_changes,
        direction_counts=direction_counts,
        direction_changes=direction_changes,
        red_by_service_area=red_by_area,
        no_data_count=int((~_has_value(kpis)).sum()),
        compared_count=None if both is None else len(both[0]),
        call_in=current.loc[current["call_in"].astype(bool), CALL_IN_COLUMNS].reset_index(
            drop=True
        ),
    )


# --- the headline trend: the counts of the last 8 quarters (issue 17) -------------------------

TREND_QUARTERS = 8  # two years of quarters, as the direction-of-travel window
TREND_COLUMNS = ["quarter", "kpis", *RAG_ORDER, "no_data", *DIRECTION_ORDER]


def headline_counts(quarter: str, table: pd.DataFrame) -> dict[str, object]:
    """One quarter's headline counts from its assessment table, counted as `summarise`
    counts them: KPIs by RAG, KPIs with no data, and KPIs with a value by direction."""
    kpis = _kpis(table)
    return {
        "quarter": quarter,
        "kpis": len(kpis),
        **_counts(kpis, "rag", RAG_ORDER),
        "no_data": int((~_has_value(kpis)).sum()),
        **_direction_counts(kpis),
    }


def trend_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """TREND_COLUMNS, one row per quarter, oldest first: the headline counts of each
    assessment table (quarter label -> table, in time order)."""
    rows = [headline_counts(quarter, table) for quarter, table in tables.items()]
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def reportable_quarters(data, quarter, count: int = TREND_QUARTERS) -> list:
    """The last `count` quarters up to `quarter` that the data can report (io.check_quarter
    passes: some KPI has a target row for the year and a value in the quarter), oldest first."""
    import datetime as dt

    from qprlib.errors import DataError
    from qprlib.io import check_quarter
    from qprlib.periods import Quarter

    quarter = Quarter.parse(quarter)
    first = data.values["period_end"].min()
    found = []
    while len(found) < count and not pd.isna(first) and quarter.end >= first.date():
        try:
            check_quarter(data, quarter, today=quarter.end + dt.timedelta(days=1))
        except DataError:
            pass
        else:
            found.append(quarter)
        quarter = quarter.previous()
    return found[::-1]


def headline_trend(
    data, quarter, settings=None, directorate: str | None = None, count: int = TREND_QUARTERS
) -> pd.DataFrame:
    """The RAG and direction-of-travel counts of each of the last `count` quarters the data
    can report, up to `quarter` (TREND_COLUMNS; `directorate`: its KPIs only). Each quarter
    is assessed with the same settings, as its own report would be."""
    from qprlib.assess import AssessSettings, assess

    settings = settings or AssessSettings()
    tables = {}
    for q in reportable_quarters(data, quarter, count):
        table = assess(data, q, settings)
        if directorate:
            table = table.loc[table["directorate"] == directorate]
        tables[str(q)] = table
    return trend_table(tables)


def trend_sentence(trend: pd.DataFrame) -> str:
    """'Over the last 8 quarters (2021/22 Q3 to 2023/24 Q2) the number of KPIs rated Red
    went from 9 to 8 and the number rated Green from 14 to 15.' ('' with fewer than 2)."""
    if len(trend) < 2:
        return ""
    first, last = trend.iloc[0], trend.iloc[-1]
    span = f"the last {len(trend)} quarters ({first['quarter']} to {last['quarter']})"
    parts = []
    for level in (RED, GREEN):
        a, b = int(first[level]), int(last[level])
        moved = f"stayed at {b}" if a == b else f"went from {a} to {b}"
        parts.append(f"the number of KPIs rated {level} {moved}")
    return f"Over {span}, {parts[0]} and {parts[1]}."


# --- comparators: the cover's sentence (issue 17) ---------------------------------------------

QUARTILE_PLACES = {1: "the best quartile", 2: "the second quartile", 3: "the third quartile",
                   4: "the worst quartile"}  # fmt: skip


def comparison_sentence(table: pd.DataFrame) -> str:
    """'Of the 12 KPIs with comparator data, four are in the best quartile of similar
    councils, one is in the second quartile, five are in the third quartile and two are in
    the worst quartile; four are better than the England figure.' ('' when no KPI has
    comparator data).

    Needs the assessment's comparator_group, comparator_quartile, published_group and
    published_better columns (qprlib.compare); KPIs only.
    """
    kpis = _kpis(table)
    if "comparator_quartile" not in kpis.columns:
        return ""
    ranked = kpis.loc[kpis["comparator_quartile"].notna()]
    published = kpis.loc[kpis["published_better"].notna()]
    compared = kpis.loc[kpis.index.isin(ranked.index) | kpis.index.isin(published.index)]
    if compared.empty:
        return ""
    n = len(compared)
    text = f"Of the {n} KPI{_s(n)} with comparator data, "
    clauses = []
    if len(ranked):
        group = ranked["comparator_group"].iloc[0]
        counts = ranked["comparator_quartile"].astype(int).value_counts()
        for q, place in QUARTILE_PLACES.items():
            k = int(counts.get(q, 0))
            if k:
                clauses.append(f"{_subject(k)} in {place}")
        clauses[0] += f" of {group}"
        text += _listed(clauses)
    if len(published):
        name = published["published_group"].iloc[0]
        better = int(published["published_better"].astype(bool).sum())
        than = f"better than the {name} figure"
        clause = f"{_subject(better)} {than}" if better else f"none are {than}"
        text += ("; " if len(ranked) else "") + clause
    return text + "."


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
