"""The only module that reads or writes data files: load the data directory, checked and typed.

`load` reads the five CSV files, checks them and returns a `QprData`, or raises one
`DataError` listing every problem found, each as `file, row N, column 'c': ...` with the row
counted as a spreadsheet shows it (the header is row 1). Unknown extra columns are not errors:
they are ignored with a `DataWarning` (`warnings.warn`), so `qpr validate` can show them.

What an Excel user can send and still be understood (decided here, once):

- Encoding: UTF-8, with or without the byte-order mark Excel's "CSV UTF-8" writes, else
  Windows-1252 (Excel's plain "CSV" on UK Windows).
- Every cell is read as text first (so messages quote it as typed) and stripped of surrounding
  spaces; headings match ignoring case and spaces (`Period End` is `period_end`); rows with
  every cell blank are skipped but still counted, so row numbers match the spreadsheet.
- Numbers: thousands separators are dropped (`1,234` is 1234, but `12,4` is an error, not
  124) and a trailing percent sign is dropped (`85.5%` is 85.5, on the 0-100 scale the data
  uses, never 0.855). A blank value cell is a missing value (NaN), which is allowed.
- Dates: ISO `2023-09-30` or UK day-first `30/09/2023`.
- Vocabulary words (kind, polarity, unit, frequency, status) match ignoring case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os  # noqa: F401  (io.os.replace is the rename every write ends with; tests patch it)
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qprlib.atomic import write_atomic
from qprlib.checks import (  # noqa: F401  (moved; importable from here as before)
    CROSS_CHECKS,
    FILE_CHECKS,
    TARGET_PAIRS,
    check_activity_ranges,
    check_comparator_periods,
    check_floor_side,
    check_known_ids,
    check_kpi_targets,
    check_milestone_directorates,
    check_some_indicators,
    check_status_has_value,
    check_target_pairs,
    check_unique_comparator_rows,
    check_unique_ids,
    check_unique_periods,
    check_unique_quarters,
    check_unique_target_years,
    check_unit_limits,
    did_you_mean,
    limit_problem,
    lookup,
    one_row_per,
    repeats,
    show_periods,
)
from qprlib.errors import DataError, DataWarning, located
from qprlib.files import (  # noqa: F401  (moved; importable from here as before)
    _SAVE_AS,
    _UTF8_CHARACTER,
    MAX_FILE_BYTES,
    MAX_LISTED,
    MAX_ROWS,
    Records,
    _BadRecord,
    _binary_kind,
    _cells,
    _empty,
    _heading_shown,
    _line_of,
    _lines,
    _long_row,
    _short_row,
    check_header,
    decode,
    heading,
    missing_file,
    open_problem,
    os_reason,
    read_bytes,
    read_data_file,
    read_table,
    records,
    size_text,
    split_rows,
    text_table,
    typed_column,
    typed_table,
)
from qprlib.periods import (
    Quarter,
    quarter_range,
)
from qprlib.schema import (  # noqa: F401  (moved; importable from here as before)
    _CONTROL,
    _CONTROL_IN_LINES,
    _FINANCIAL_YEAR,
    _NUMBER,
    _OUT_OF_YEARS,
    _THOUSANDS,
    CHARACTER_NAMES,
    COMPARATORS_FILE,
    DATA_FILES,
    DATE_FORMATS,
    ENCODINGS,
    EXCEL_CELL_CHARS,
    FREQUENCIES,
    INDICATOR_ID,
    KINDS,
    LARGEST,
    OPTIONAL,
    OTHER_SEPARATORS,
    POLARITIES,
    SCHEMA,
    STATUSES,
    TARGET_COLUMNS,
    UNIT_LIMITS,
    UNITS,
    VALUE_STATUSES,
    Column,
    Problem,
    Uncounted,
    _Invalid,
    _text_reader,
    _word_reader,
    column_names,
    commentary_text,
    date,
    empty_table,
    financial_year,
    month_end,
    number,
    optional_names,
    read_date,
    read_financial_year,
    read_month_end,
    read_number,
    read_quarter,
    read_text,
    show,
    show_key,
    text,
    word,
)


@dataclass(frozen=True)
class QprData:
    """The council's data, validated. DataFrames are never mutated by anyone downstream.

    indicators: id, name, directorate, service_area, kind, polarity, unit, frequency,
                definition, owner (text; '' where blank)
    targets:    id, year ('2023/24'), target, floor, lower, upper (floats, NaN where not set)
    values:     id, period_end (datetime64, month end), value (float; NaN = missing),
                status ('' = final, or provisional/estimate/revised; '' when the file has no
                status column)
    commentary: id, quarter ('2023/24 Q2'), commentary, action, author, risks ('' when the
                file has no risks column)
    milestones: directorate, objective, milestone, due (datetime64), quarter, status, commentary
    comparators: id, area_code, area_name, period (datetime64, month end), value (float) from
                the optional comparators.csv; no rows when the council has no such file
    """

    indicators: pd.DataFrame
    targets: pd.DataFrame
    values: pd.DataFrame
    commentary: pd.DataFrame
    milestones: pd.DataFrame
    source: Path
    data_hash: str
    comparators: pd.DataFrame = field(default_factory=lambda: empty_table(COMPARATORS_FILE))


# --- load: the recipe ----------------------------------------------------------------------


def load(
    data_dir: str | Path,
    *,
    area_code: str = "",
    comparator_groups: dict[str, str | tuple[str, ...]] | None = None,
    params_where: str = "params",
) -> QprData:
    """Read and validate every data file; raise one DataError listing every problem found.

    Unknown extra columns are ignored with a DataWarning each. Frames keep the files' row
    order, with the columns and dtypes listed on QprData. `area_code` and
    `comparator_groups` (from params; `params_where` names the files): comparators.csv is
    also checked against them (`check_comparator_areas`); None leaves that check out.
    """
    folder = Path(data_dir)
    contents = read_bytes(folder)
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    notes: list[Problem] = []
    for file, data in contents.items():
        if data is None:  # comparators.csv is only in contents when it is there
            problems.append(missing_file(file, folder))
            continue
        if isinstance(data, Problem):
            problems.append(data)
            continue
        table, found, noted = read_table(file, data)
        problems += found
        notes += noted
        if table is not None:
            tables[file] = table
            problems += [p for check in FILE_CHECKS[file] for p in check(table)]
    said = {  # an unreadable cell: said once
        (p.file, p.row, p.column) for p in problems if not isinstance(p, Uncounted)
    }
    for check, needs in CROSS_CHECKS.items():
        if tables.keys() >= set(needs):
            problems += [p for p in check(tables) if (p.file, p.row, p.column) not in said]
    if comparator_groups is not None and {COMPARATORS_FILE, "values.csv"} <= tables.keys():
        found = check_comparator_areas(tables, area_code, comparator_groups, params_where)
        problems += [p for p in found if (p.file, p.row, p.column) not in said]
    for note in notes:
        warnings.warn(str(note), DataWarning, stacklevel=2)
    if problems:
        raise DataError(*listed(problems))
    comparators = tables.get(COMPARATORS_FILE, empty_table(COMPARATORS_FILE))
    return QprData(
        *(tables[file].reset_index(drop=True) for file in DATA_FILES),
        source=folder,
        data_hash=data_hash(contents),  # type: ignore[arg-type]
        comparators=comparators.reset_index(drop=True),
    )


def check_comparator_areas(
    tables: dict[str, pd.DataFrame],
    area_code: str,
    groups: dict[str, str | tuple[str, ...]],
    where: str = "params",
) -> list[Problem]:
    """Every comparators.csv row is for an area the params name: the council's own
    `area_code` (its figure then agrees with values.csv) or an area in one of the comparator
    `groups` (name -> a list of area codes, or one code: a published figure such as
    England's). `where` names the params files in messages."""
    table = tables[COMPARATORS_FILE]
    if table.empty:
        return []
    if not groups:
        message = (
            f"has {plural(len(table), 'row')} but {where} set no comparator_groups; expected "
            "area_code and comparator_groups (nearest neighbours as a list of area codes, "
            f"England as one code) in params/defaults.yml, or no {COMPARATORS_FILE}"
        )
        return [Problem(COMPARATORS_FILE, None, None, message)]
    known = {code for codes in groups.values() for code in _codes(codes)}
    values = tables["values.csv"]
    own = dict(
        zip(zip(values["id"], values["period_end"], strict=True), values["value"], strict=True)
    )
    problems = []
    for row, record in zip(table.index, table.itertuples(index=False), strict=True):
        code = record.area_code
        if code and code == area_code:
            mine = own.get((record.id, record.period), np.nan)
            if abs(mine - record.value) > 1e-9:  # NaN on either side compares False
                message = (
                    f"{show(record.value)} for the council's own area {code} differs from "
                    f"values.csv's {show(mine)} for '{record.id}' on {record.period:%Y-%m-%d}; "
                    "expected the same figure (or leave the council's own rows out: its "
                    "values.csv figure is the one ranked)"
                )
                problems.append(Problem(COMPARATORS_FILE, row, "value", message))
        elif code and code not in known:
            name = f" ({record.area_name})" if record.area_name else ""
            own_code = f" ({area_code})" if area_code else ""
            message = (
                f"'{code}'{name} is in no comparator group in {where} and is not the "
                f"council's own area_code{own_code}{did_you_mean(code, known)}; expected an "
                f"area code listed in comparator_groups ({', '.join(groups)}), or the row "
                "removed"
            )
            problems.append(Problem(COMPARATORS_FILE, row, "area_code", message))
    return problems


def _codes(codes: str | tuple[str, ...]) -> tuple[str, ...]:
    return (codes,) if isinstance(codes, str) else tuple(codes)


def check_quarter(data: QprData, quarter: Quarter | str, today: dt.date | None = None) -> None:
    """Raise DataError unless the data can report `quarter`: it has ended, some KPI has a
    targets.csv row for its financial year, and some such KPI has a value dated in it.

    (`assess` itself gives a table of unrated KPIs for any quarter; a report of one must
    not reach Cabinet.)
    """
    quarter = Quarter.parse(quarter)
    today = today or dt.date.today()
    if quarter.end >= today:
        raise DataError(
            f"QUARTER {quarter}: has not ended yet (it ends {quarter.end:%Y-%m-%d}); expected "
            f"a quarter that has ended, such as {Quarter.last_ended(today)}"
        )
    year = quarter.financial_year
    indicators, targets, values = data.indicators, data.targets, data.values
    kpis = set(indicators.loc[indicators["kind"] == "kpi", "id"])
    reported = kpis & set(targets.loc[targets["year"] == year, "id"])
    if not reported:
        raise DataError(
            located(
                "targets.csv",
                None,
                "year",
                f"no KPI has a row for {year}, so none would be rated in {quarter}; expected "
                f"a row with the target and floor of each KPI reported in {year}",
            )
        )
    figures = values[values["id"].isin(reported) & values["value"].notna()]
    start, end = pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)
    if not figures["period_end"].between(start, end).any():
        latest = figures["period_end"].max()
        held = f"the latest is for {latest:%Y-%m-%d}" if len(figures) else "there are none"
        raise DataError(
            located(
                "values.csv",
                None,
                "period_end",
                f"no value in {quarter} ({start:%Y-%m-%d} to {end:%Y-%m-%d}) for any of the "
                f"{plural(len(reported), 'KPI')} reported in {year} ({held}); expected the "
                "quarter's figures (import the returns with `qpr import`)",
            )
        )


def listed(problems: list[Problem | Uncounted], most: int = MAX_LISTED) -> tuple[list[str], int]:
    """The problems to show, file by file in reading order, at most `most` per file with the
    rest of each file counted in one line; and the total number of problems."""
    lines, by_file, uncounted = [], {}, {}
    for problem in problems:
        if isinstance(problem, Uncounted):
            uncounted[problem.file] = uncounted.get(problem.file, 0) + problem.count
    said = [p for p in problems if not isinstance(p, Uncounted)]
    for problem in sorted(said, key=reading_order):
        by_file.setdefault(problem.file, []).append(problem)
    for file in sorted(by_file.keys() | uncounted.keys(), key=_file_order):
        found = by_file.get(file, [])
        lines += [str(p) for p in found[:most]]
        more = len(found[most:]) + uncounted.get(file, 0)
        if more:
            lines.append(f"… and {more:,} more in {file}")
    return lines, len(said) + sum(uncounted.values())


def _file_order(file: str) -> int:
    files = (*DATA_FILES, COMPARATORS_FILE)
    return files.index(file) if file in files else len(files)


def reportable_quarters(data: QprData, today: dt.date | None = None) -> list[Quarter]:
    """Every quarter the data can report (`check_quarter` passes for it), oldest first: from
    the quarter of the earliest value to the last one that has ended (`qpr build --all`)."""
    today = today or dt.date.today()
    dated = data.values.loc[data.values["value"].notna(), "period_end"].dropna()
    if dated.empty:
        return []
    first = Quarter.containing(dated.min().date())
    last = min(Quarter.containing(dated.max().date()), Quarter.last_ended(today))
    found = []
    for quarter in quarter_range(first, last):
        try:
            check_quarter(data, quarter, today)
        except DataError:
            continue
        found.append(quarter)
    return found


def reading_order(problem: Problem) -> tuple[int, float]:
    """Problems file by file, top to bottom; those about a whole file after its rows."""
    files = (*DATA_FILES, COMPARATORS_FILE)
    return files.index(problem.file), problem.row if problem.row is not None else np.inf


def data_hash(contents: dict[str, bytes]) -> str:
    """sha256 over each file's name, size and bytes, files in name order."""
    digest = hashlib.sha256()
    for name in sorted(contents):
        digest.update(f"{name}\0{len(contents[name])}\0".encode())
        digest.update(contents[name])
    return digest.hexdigest()


def summary_line(data: QprData) -> str:
    """One line for `qpr validate`: indicators by kind, periods and quarters covered."""
    kinds = data.indicators["kind"]
    line = (
        f"{plural(len(kinds), 'indicator')} ({plural((kinds == 'kpi').sum(), 'KPI')}, "
        f"{(kinds == 'activity').sum()} activity)"
    )
    periods = data.values["period_end"].dropna().sort_values().unique()
    if len(periods) == 0:
        return f"{line}, no values yet"
    first, last = pd.Timestamp(periods[0]), pd.Timestamp(periods[-1])
    quarters = f"{Quarter.containing(first.date())} to {Quarter.containing(last.date())}"
    return (
        f"{line}, {plural(len(periods), 'monthly period')} from {first:%Y-%m-%d} to "
        f"{last:%Y-%m-%d}, quarters {quarters}"
    )


def plural(count: int, noun: str) -> str:
    """'1 indicator', '2 indicators'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- writing -------------------------------------------------------------------------------


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    """Write frame as UTF-8 CSV (no index); readers see the old file or the new, never half."""
    write_atomic(Path(path), frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def write_frames_json(path: str | Path, frames: dict[str, pd.DataFrame], meta: dict) -> None:
    """Write named tables and a header as one JSON file that `read_frames_json` gives back
    exactly: dtypes, dates, None and every float digit (the build's shared assessment)."""
    payload = {"meta": meta, "frames": {name: _frame_json(f) for name, f in frames.items()}}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(Path(path), json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def read_frames_json(path: str | Path) -> tuple[dict, dict[str, pd.DataFrame]] | None:
    """(header, tables) as `write_frames_json` wrote them; None when the file is missing or
    not such a file (callers then compute the tables themselves)."""
    try:
        payload = json.loads(Path(path).read_bytes())
        frames = {name: _json_frame(f) for name, f in payload["frames"].items()}
        return payload["meta"], frames
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _frame_json(frame: pd.DataFrame) -> dict:
    columns = {}
    for name, column in frame.items():
        if pd.api.types.is_datetime64_any_dtype(column):
            values = [None if pd.isna(v) else v.isoformat() for v in column]
        else:  # tolist: plain Python values; repr of a float keeps every digit
            values = [None if _is_missing(v) else v for v in column.tolist()]
        columns[str(name)] = {"dtype": str(column.dtype), "values": values}
    return columns


def _json_frame(columns: dict) -> pd.DataFrame:
    frame = {}
    for name, column in columns.items():
        dtype, values = column["dtype"], column["values"]
        if dtype.startswith("datetime64"):
            frame[name] = pd.to_datetime(pd.Series(values, dtype=object)).astype(dtype)
        elif dtype == "object":
            frame[name] = pd.Series(values, dtype=object)
        elif dtype.startswith("float"):
            frame[name] = pd.Series([np.nan if v is None else v for v in values], dtype=dtype)
        else:
            frame[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(frame)


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def keep_read_only_copy(source: str | Path, folder: str | Path) -> Path:
    """Copy source byte for byte into folder, read-only; an identical file there is reused."""
    source, folder = Path(source), Path(folder)
    data = source.read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    for existing in sorted(folder.iterdir()):
        if existing.is_file() and existing.read_bytes() == data:
            return existing
    target, counter = folder / source.name, 2
    while target.exists():
        target, counter = folder / f"{source.stem}-{counter}{source.suffix}", counter + 1
    write_atomic(target, data, mode=0o444)
    return target
