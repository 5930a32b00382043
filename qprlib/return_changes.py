"""What returns change in the data: new, changed and unchanged values and commentary against
what is held, the conflicts that need --replace, and the merged rows of values.csv and
commentary.csv (qprlib.imports writes them).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from qprlib import io
from qprlib.errors import DataError
from qprlib.return_workbook import _text
from qprlib.returns import (
    number_text,
)


def value_changes(incoming: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """Filled value cells against values.csv: adds old and change ('new'|'changed'|'same')."""
    filled = incoming.dropna(subset=["value"])
    merged = filled.merge(
        held.rename(columns={"value": "old"})[["id", "period_end", "old"]],
        on=["id", "period_end"],
        how="left",
    )
    same = [_close(new, old) for new, old in zip(merged["value"], merged["old"], strict=True)]
    change = [
        "same" if s else "new" if pd.isna(o) else "changed"
        for s, o in zip(same, merged["old"], strict=True)
    ]
    return merged.assign(change=pd.Series(change, index=merged.index, dtype=object))


def commentary_changes(incoming: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """Filled commentary against commentary.csv: adds old_commentary, old_action, change
    ('new'|'changed'|'same') and overwrites (the held fields, commentary/action, it replaces).

    A blank commentary, action or author keeps what is held (a blank never erases).
    """
    old = held.rename(columns=lambda c: c if c in ("id", "quarter") else f"old_{c}")
    merged = incoming.merge(
        old[["id", "quarter", "old_commentary", "old_action", "old_author"]],
        on=["id", "quarter"],
        how="left",
    )
    held_row = merged["old_commentary"].notna() | merged["old_action"].notna()
    old_c, old_a = merged["old_commentary"].map(_text), merged["old_action"].map(_text)
    new_c = merged["commentary"].where(merged["commentary"] != "", old_c)
    new_a = merged["action"].where(merged["action"] != "", old_a)
    same = (new_c == old_c) & (new_a == old_a)
    # Filling a blank held field overwrites nothing; replacing held text needs --replace.
    overwrites = (
        ((old_c != "") & (new_c != old_c)).map({True: "commentary", False: ""})
        + " "
        + ((old_a != "") & (new_a != old_a)).map({True: "action", False: ""})
    ).str.split()
    change = [
        "same" if s else "changed" if h else "new" for s, h in zip(same, held_row, strict=True)
    ]
    author = merged["author"].where(merged["author"] != "", merged["old_author"].map(_text))
    return merged.assign(
        commentary=new_c,
        action=new_a,
        author=author,
        old_commentary=old_c,
        old_action=old_a,
        change=pd.Series(change, index=merged.index, dtype=object),
        overwrites=overwrites,
    )


def conflicts(values: pd.DataFrame, commentary: pd.DataFrame) -> list[str]:
    """One line per value or comment that would overwrite a different one already held."""
    lines = [
        f"{v.file}: {v.cell} ({v.id} {v.name}, {v.label}): values.csv already holds "
        f"{number_text(v.old, v.unit)} and the return says {number_text(v.value, v.unit)}; "
        f"run again with --replace to overwrite it"
        for v in values[values["change"] == "changed"].itertuples()
    ]
    lines += [
        f"{c.file}: {getattr(c, f'{field}_cell')} ({c.id} {c.name}): commentary.csv already "
        f"holds this {field} for {c.quarter}: {_short(getattr(c, f'old_{field}'), 60)!r}, and "
        f"the return says {_short(getattr(c, field), 60)!r}; run again with --replace to "
        f"overwrite it"
        for c in commentary.itertuples()
        for field in c.overwrites
    ]
    return lines


def value_updates(changes: pd.DataFrame) -> dict[tuple, dict[str, str]]:
    """(id, period_end) -> the values.csv cells to write, for new and changed values.

    `status` (written only where values.csv has that optional column): a changed value is
    `revised`; a new one is a final figure (blank).
    """
    chosen = changes[changes["change"] != "same"]
    return {
        (v.id, pd.Timestamp(v.period_end)): {
            "id": v.id,
            "period_end": f"{pd.Timestamp(v.period_end):%Y-%m-%d}",
            "value": _csv_number(v.value),
            "status": "revised" if v.change == "changed" else "",
        }
        for v in chosen.itertuples()
    }


def commentary_updates(changes: pd.DataFrame) -> dict[tuple, dict[str, str]]:
    """(id, quarter) -> the commentary.csv cells to write, for new and changed commentary."""
    chosen = changes[changes["change"] != "same"]
    columns = ["id", "quarter", "commentary", "action", "author"]
    return {
        (c.id, c.quarter): {k: _text(getattr(c, k)) for k in columns} for c in chosen.itertuples()
    }


def merge_rows(
    rows: list[list[str]], keys: list[str], read_key, updates: dict[tuple, dict[str, str]]
) -> pd.DataFrame:
    """A data file's records (header first, as text) with `updates` merged in, as a frame.

    A held key has only its other cells replaced; every other row stays exactly as it was
    (so the file's diff shows just the import). New keys are appended, and the whole file is
    put in key order only when it was already in key order.
    """
    header = rows[0]
    at = {}
    for position, cell in enumerate(header):
        at.setdefault(io.heading(cell), position)
    body = [(row + [""] * len(header))[: len(header)] for row in rows[1:]]
    found = [_key(row, keys, at, read_key) for row in body]
    where = {key: i for i, key in enumerate(found) if key is not None}
    was_sorted = None not in found and found == sorted(found)
    for key, cells in updates.items():
        if key not in where:
            body.append([""] * len(header))
            found.append(key)
            where[key] = len(body) - 1
            cells = {**cells}
        else:
            cells = {c: text for c, text in cells.items() if c not in keys}
        for column, text in cells.items():
            if column in at:  # an optional column the file does not have is left out
                body[where[key]][at[column]] = text
    if was_sorted:
        body = [body[i] for i in sorted(range(len(body)), key=lambda i: found[i])]
    return pd.DataFrame(body, columns=header, dtype=object)


def _key(row: list[str], keys: list[str], at: dict[str, int], read_key) -> tuple | None:
    try:
        return read_key(*(row[at[k]] for k in keys))
    except ValueError:  # a blank row: kept where it is
        return None


def _value_key(id_: str, period_end: str) -> tuple:
    return (id_, io.read_date(period_end))


def _commentary_key(id_: str, quarter: str) -> tuple:
    return (id_, io.read_quarter(quarter))


def _file_rows(path: Path) -> list[list[str]]:
    """A data file's records as text, read by io's own reader (encoding, quoting, stripping)."""
    content, problems = io.decode(path.name, path.read_bytes())
    rows, more = io.split_rows(path.name, content) if content is not None else (None, [])
    if rows is None:
        raise DataError([str(problem) for problem in problems + more])
    return rows


def _close(new: float, old: float | None) -> bool:
    return (
        old is not None and not pd.isna(old) and math.isclose(new, old, rel_tol=1e-9, abs_tol=1e-9)
    )


def _short(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _csv_number(x) -> str:
    if pd.isna(x):
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
