"""Reading one data file: its bytes within the limits, its encoding, its rows, its header
and its typed table, every problem a Problem naming file, row and column (io.load reads each
file with these).
"""

from __future__ import annotations

import csv
import os
import re
import stat
from collections.abc import Iterator
from io import StringIO
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from qprlib.errors import DataError, quote
from qprlib.schema import (
    COMPARATORS_FILE,
    DATA_FILES,
    OPTIONAL,
    OTHER_SEPARATORS,
    SCHEMA,
    Column,
    Problem,
    Uncounted,
    _Invalid,
    column_names,
    optional_names,
)

# --- reading one file --------------------------------------------------------------------

MAX_FILE_BYTES = 256 * 2**20  # a data file larger than this is refused before it is read
MAX_ROWS = 2_000_000  # rows per data file (1 million value rows validate in a few seconds)
MAX_LISTED = 50  # problems listed per file; the rest are counted ("… and 199,950 more")


def read_bytes(folder: Path) -> dict[str, bytes | Problem | None]:
    """Each data file's bytes, read once (what is hashed is what is checked): None when
    missing, a Problem when it is there but must not or cannot be read (see `open_problem`)."""
    if not folder.is_dir():
        expected = ", ".join(DATA_FILES)
        what = "is a file, not a folder" if folder.exists() else "data folder not found"
        raise DataError(f"{folder}: {what}; expected a folder holding {expected}")
    contents = {file: read_data_file(folder, file) for file in DATA_FILES}
    comparators = read_data_file(folder, COMPARATORS_FILE)
    if comparators is not None:  # optional: absent, the hash is as it always was
        contents[COMPARATORS_FILE] = comparators
    return contents


def read_data_file(folder: Path, file: str) -> bytes | Problem | None:
    """One data file's bytes, or None (missing), or the Problem that stops it being read."""
    path = folder / file
    problem = open_problem(path, folder.resolve().parent, MAX_FILE_BYTES)
    if problem == "missing":
        return None
    if problem:
        return Problem(file, None, None, problem)
    try:
        return path.read_bytes()
    except OSError as error:
        return Problem(file, None, None, f"{os_reason(error)}; expected a CSV file you can read")


def open_problem(path: Path, project: Path, max_bytes: int) -> str | None:
    """Why `path` must not be read as an input file ('missing' when it is not there), or None.

    An input is a regular file inside the project: a link leading out of the project is refused
    without reading what it points at (it could be anyone's file, or /dev/zero), and so is a
    folder, a device or a pipe (reading a pipe never ends). A file over `max_bytes` is refused
    before it is read.
    """
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return (
            f"is a link to {os.readlink(path)}, which does not exist"
            if path.is_symlink()
            else "missing"
        )
    except (OSError, RuntimeError) as error:  # a loop of links, a permission on the way
        return f"cannot be opened ({getattr(error, 'strerror', None) or error})"
    if path.is_symlink() and not target.is_relative_to(project):
        return (
            f"is a link to {target}, outside the project folder {project}; expected the file "
            "itself in the project (copy it in rather than linking to it)"
        )
    try:
        status = target.stat()
    except OSError as error:
        return os_reason(error)
    if stat.S_ISDIR(status.st_mode):
        return "is a folder, not a file; expected a CSV file of that name"
    if not stat.S_ISREG(status.st_mode):
        return "is not a regular file (a device or pipe?); expected a CSV file"
    if status.st_size > max_bytes:
        return (
            f"is {size_text(status.st_size)}, over the limit of {size_text(max_bytes)} for one "
            "file; expected a smaller file (is it the right one?)"
        )
    if not os.access(target, os.R_OK):
        return "cannot be read: permission denied (check the file's permissions)"
    return None


def size_text(size: float) -> str:
    """A file size as people say it: '256 KB', '48 MB'."""
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{size:,.0f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def os_reason(error: OSError) -> str:
    """What an OSError reading a file means, in words: 'cannot be read: permission denied'."""
    if isinstance(error, PermissionError):
        return "cannot be read: permission denied (check the file's permissions)"
    if isinstance(error, IsADirectoryError):
        return "is a folder, not a file"
    return f"cannot be read ({error.strerror or error})"


def missing_file(file: str, folder: Path) -> Problem:
    """The problem for a data file that is not there (pointing at an Excel copy if there is one)."""
    workbook = folder / f"{Path(file).stem}.xlsx"
    hint = f" (there is {workbook.name}: save it as CSV UTF-8)" if workbook.exists() else ""
    expected = f"a CSV file with the columns {', '.join(column_names(file))}"
    return Problem(file, None, None, f"not found in {folder}{hint}; expected {expected}")


_UTF8_CHARACTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_SAVE_AS = "expected a file saved from Excel as 'CSV UTF-8 (Comma delimited)'"


def decode(file: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """The file's text: UTF-8 (BOM or not), else Windows-1252; never a mixture of the two."""
    if b"\x00" in data:
        return None, [Problem(file, None, None, f"{_binary_kind(data)}; {_SAVE_AS}")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        bad = error.start
    utf8 = _UTF8_CHARACTER.search(data)
    if utf8:  # well-formed UTF-8 characters elsewhere: a file put together from two sources
        good, line = data[utf8.start() : utf8.end()].decode("utf-8"), _line_of(data, bad)
        byte = data[bad : bad + 1]
        message = (
            f"is not a CSV text file in one encoding: line {_line_of(data, utf8.start())} has "
            f"UTF-8 text ('{good}') but line {line} has a byte that is not UTF-8 (0x{byte.hex()},"
            f" '{byte.decode('cp1252', 'replace')}' in Windows-1252); expected one encoding "
            f"for the whole file: retype line {line}'s accented letters or symbols and save it "
            "again as 'CSV UTF-8 (Comma delimited)'"
        )
        return None, [Problem(file, None, None, message)]
    try:
        return data.decode("cp1252"), []
    except UnicodeDecodeError as error:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: not Windows-1252 either
        at = error.start
        message = (
            f"is not a CSV text file: line {_line_of(data, at)} has a byte (0x{data[at]:02x}) "
            f"that is neither UTF-8 nor Windows-1252 text; {_SAVE_AS}"
        )
        return None, [Problem(file, None, None, message)]


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _binary_kind(data: bytes) -> str:
    """What a file holding NUL bytes is: a workbook, UTF-16 text, or text with a NUL in it."""
    if data.startswith(b"PK\x03\x04"):
        return "is not a CSV text file: it is an Excel workbook (.xlsx) named .csv"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "is not a CSV text file: it is an old Excel workbook (.xls) named .csv"
    sample = data[:400]
    alternate = max(sample[0::2].count(0), sample[1::2].count(0))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or alternate > len(sample) // 4:
        return "is not a CSV text file: it is saved as Unicode (UTF-16) text"
    line = _line_of(data, data.index(b"\x00"))
    return f"is not a CSV text file: line {line} has a NUL byte (a zero byte)"


class Records(NamedTuple):
    """A CSV file read as text: its header and the schema's columns of its other rows."""

    header: list[str]
    table: pd.DataFrame  # the schema's columns as text, indexed by spreadsheet row number
    problems: list[Problem]


def records(file: str, content: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row, stripped cells) for each record; a broken one raises _BadRecord."""
    reader = csv.reader(_lines(content), strict=True)
    row = 0
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _BadRecord(row + 1, start, reader.line_num, str(error)) from None
        row += 1
        yield row, [cell.strip() for cell in cells]


class _BadRecord(Exception):
    def __init__(self, row: int, start: int, line: int, reason: str):
        super().__init__(reason)
        self.row, self.start, self.line, self.reason = row, start, line, reason

    def problem(self, file: str) -> Problem:
        if "end of data" in self.reason:
            what = (
                f'a quote (") opened on line {self.start} is never closed, so the rest of the '
                "file would be one cell; expected a closing quote at the end of that cell"
            )
        elif "field larger than field limit" in self.reason:
            what = (
                f"line {self.start} has a cell of more than {csv.field_size_limit():,} "
                "characters (an unclosed quote?); expected cells of ordinary length"
            )
        else:
            what = (
                f"line {self.line} cannot be read as CSV ({self.reason}); expected a quoted cell "
                'to be quoted whole, with any quote inside it doubled ("")'
            )
        return Problem(file, self.row, None, what)


def _lines(content: str, chunk: int = 1 << 20) -> Iterator[str]:
    """The text's lines with their ends (as `StringIO(content, newline="")` gives them),
    read a megabyte at a time: StringIO holds 4 bytes a character, and a file can be 100 MB."""
    start = 0
    while start < len(content):
        end = content.find("\n", start + chunk)
        end = len(content) if end < 0 else end + 1
        yield from StringIO(content[start:end], newline="")
        start = end


def split_rows(file: str, content: str) -> tuple[list[list[str]] | None, list[Problem]]:
    """The file's records as lists of stripped cells (record k is spreadsheet row k + 1)."""
    try:
        rows = [cells for _, cells in records(file, content)]
    except _BadRecord as bad:
        return None, [bad.problem(file)]
    if not any(any(row) for row in rows):
        return None, [_empty(file)]
    return rows, []


def heading(raw: str) -> str:
    """How a header cell is matched: 'Period End ' -> 'period_end'."""
    return re.sub(r"\s+", "_", raw.strip().lower())


def check_header(file: str, header: list[str]) -> tuple[list[Problem], list[Problem]]:
    """Problems (wrong separator, repeated or missing columns) and warnings (unknown columns)."""
    wanted = column_names(file)
    for separator, name in OTHER_SEPARATORS.items():
        if len(header) == 1 and separator in header[0]:
            message = f"looks like it is separated by {name} — save it as comma-separated (CSV)"
            return [Problem(file, 1, None, message)], []
    names = [heading(cell) for cell in header]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    problems = [
        Problem(file, 1, _heading_shown(name), "appears more than once; expected each column once")
        for name in repeated
    ]
    missing = [name for name in wanted if name not in names]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        found = ", ".join(_heading_shown(cell) for cell in header[:12] if cell) or "nothing"
        found += f" and {len(header) - 12:,} more" if len(header) > 12 else ""
        message = (
            f"missing column {listed}; expected the columns {', '.join(wanted)} (found: {found})"
        )
        return [*problems, Problem(file, 1, None, message)], []
    known = wanted + optional_names(file)
    unknown = [cell for cell, name in zip(header, names, strict=True) if cell and name not in known]
    notes = [
        Problem(
            file,
            1,
            _heading_shown(cell),
            f"is not a known column and is ignored; expected {', '.join(known)}",
        )
        for cell in unknown[:MAX_LISTED]
    ]
    return problems, notes


def _heading_shown(cell: str, most: int = 40) -> str:
    """A header cell as a message names it: control characters escaped, cut to `most`."""
    return quote(cell, most)[1:-1] if len(cell) <= most else quote(cell, most).split("' (")[0][1:]


def _empty(file: str) -> Problem:
    expected = f"a header row: {', '.join(column_names(file))}"
    return Problem(file, None, None, f"the file is empty; expected {expected}")


def _too_many_rows(file: str, content: str) -> Problem | None:
    """The problem of a file with more lines than MAX_ROWS rows and its header, or None."""
    lines = content.count("\n") or content.count("\r")
    if lines > MAX_ROWS + 1:
        message = (
            f"has {lines:,} lines, over the limit of {MAX_ROWS:,} rows for one file; expected "
            "a smaller file (is it the right one?)"
        )
        return Problem(file, None, None, message)
    return None


def text_table(file: str, content: str) -> tuple[pd.DataFrame | None, list[Problem], list[Problem]]:
    """The data rows as text in the schema's columns, indexed by spreadsheet row number; the
    problems (header, rows of the wrong length) and warnings (unknown columns).

    Blank rows are dropped (their numbers are kept by the others). Equal cells share one
    string and each distinct text is stripped once, so a million rows of a few thousand ids
    cost a few thousand strings.
    """
    too_long = _too_many_rows(file, content)
    if too_long:
        return None, [too_long], []
    reader = csv.reader(_lines(content), strict=True)
    row = ended = 0
    try:
        header = [cell.strip() for cell in next(reader, [])]
        row, ended = 1, reader.line_num
        if not any(header):
            more = any(any(cell.strip() for cell in cells) for cells in reader)
            return None, check_header(file, header)[0] if more else [_empty(file)], []
        problems, notes = check_header(file, header)
        if problems:
            return None, problems, notes
        names = [heading(cell) for cell in header]
        absent = [name for name in optional_names(file) if name not in names]  # read as blank
        wanted = [name for name in column_names(file) + optional_names(file) if name in names]
        positions = [names.index(name) for name in wanted]
        pick, last, width = itemgetter(*positions), max(positions), len(header)
        index: list[int] = []
        rows: list[tuple[str, ...]] = []
        same = {}.setdefault  # one string object per distinct text
        for cells in reader:
            row += 1
            ended = reader.line_num
            if len(cells) != width:
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                    problems.append(_long_row(file, row, cells, header))
                    continue
                if len(cells) <= last:
                    problems.append(_short_row(file, row, cells, header))
                    continue
            picked = pick(cells)
            index.append(row)
            rows.append(tuple(map(same, picked, picked)))
    except csv.Error as error:
        return None, [_BadRecord(row + 1, ended + 1, reader.line_num, str(error)).problem(file)], []
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in wanted]
    del rows
    table = {}
    for name, column in zip(wanted, columns, strict=True):  # each distinct text stripped once
        codes, texts = pd.factorize(np.array(column, dtype=object), sort=False)
        table[name] = np.array([text.strip() for text in texts], dtype=object)[codes]
    table |= {name: np.full(len(index), "", dtype=object) for name in absent}
    everything = column_names(file) + optional_names(file)
    frame = pd.DataFrame(table, index=pd.Index(index, dtype=int), columns=everything, dtype=object)
    return frame[(frame != "").any(axis=1)], problems, notes


def _cells(cells: list[str], shown: int = 6) -> str:
    listed = ", ".join(quote(cell.strip(), 24) for cell in cells[:shown])
    return listed + (f" and {len(cells) - shown} more" if len(cells) > shown else "")


def _long_row(file: str, row: int, cells: list[str], header: list[str]) -> Problem:
    """A row with more filled cells than the header has columns (usually an unquoted comma)."""
    return Problem(
        file,
        row,
        None,
        f"has {len(cells)} cells ({_cells(cells)}) but the header has {len(header)} columns; "
        "expected one cell per column (put quotes round a cell that contains a comma)",
    )


def _short_row(file: str, row: int, cells: list[str], header: list[str]) -> Problem:
    """A row that stops before the header's last column: a cell is missing, not blank."""
    missing = ", ".join(header[len(cells) :][:3]) + (", …" if len(header) - len(cells) > 3 else "")
    return Problem(
        file,
        row,
        None,
        f"has {len(cells)} cells ({_cells(cells)}) but the header has {len(header)} columns, so "
        f"the row stops before {missing}; expected one cell per column: a cell left out at the "
        "end of the line is not read as blank (write its comma for a blank cell)",
    )


def typed_column(file: str, table: pd.DataFrame, column: Column) -> tuple[pd.Series, list[Problem]]:
    """One column read cell by cell; every unreadable or missing cell becomes a Problem.

    Each distinct text is read once (a million value rows hold a few thousand distinct
    cells), and its reading or its problem is given to every row holding it.
    """
    codes, texts = pd.factorize(table[column.name].to_numpy(dtype=object), sort=False)
    read, wrong = [], {}
    for code, raw in enumerate(texts):
        if raw == "":
            read.append(column.blank)
            if column.required:
                wrong[code] = f"is empty; expected {column.expected}"
            continue
        try:
            read.append(column.read(raw))
        except _Invalid as bad:
            read.append(column.blank)
            wrong[code] = f"{quote(raw)} {bad}; expected {column.expected}"
    typed = pd.Series(read, dtype=column.dtype).to_numpy()
    series = pd.Series(typed[codes], index=table.index, dtype=column.dtype, name=column.name)
    problems = []
    if wrong:
        rows, bad = table.index.to_numpy(), np.flatnonzero(np.isin(codes, list(wrong)))
        for at in bad[:MAX_LISTED]:  # only these can be listed; the rest are counted
            problems.append(Problem(file, int(rows[at]), column.name, wrong[codes[at]]))
        if len(bad) > MAX_LISTED:
            problems.append(Uncounted(file, len(bad) - MAX_LISTED))
    return series, problems


def typed_table(file: str, table: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """The text table converted column by column as SCHEMA (then OPTIONAL) says."""
    columns, problems = [], []
    for column in (*SCHEMA[file], *OPTIONAL.get(file, ())):
        series, found = typed_column(file, table, column)
        columns.append(series)
        problems += found
    return pd.concat(columns, axis=1), problems


def read_table(file: str, data: bytes) -> tuple[pd.DataFrame | None, list[Problem], list[Problem]]:
    """One file's typed table (None when unreadable), its problems and its warnings."""
    content, problems = decode(file, data)
    if content is None:
        return None, problems, []
    table, problems, notes = text_table(file, content)
    if table is None:
        return None, problems, notes
    table, found = typed_table(file, table)
    return table, problems + found, notes
