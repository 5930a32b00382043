"""One checker per kind of setting value: (raw YAML value) -> the checked value, or a
ValueError saying what is expected (qprlib.settings names the checker of each setting).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from qprlib.errors import QprError
from qprlib.periods import FIRST_DAY, LAST_DAY, Quarter

# a directorate dashboard's own addressing (seed 003), under `dashboards: {directorate: ...}`
DASHBOARD_FIELDS = ("committee", "meeting_date", "from", "contacts", "background_documents")


# --- one checker per kind of value: (raw YAML value) -> checked value, or ValueError(expected)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected some text")
    return value.strip()


def _optional_text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("expected some text (quote it if it looks like a number or date)")
    return value.strip()


def _date_or_blank(value: Any) -> str:
    """A date, or blank: not set yet (`qpr new-quarter` leaves the meeting date so, and
    `qpr build` refuses it until it is set: check_meeting_date)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    return _iso_date(value)


def _iso_date(value: Any) -> str:
    if not isinstance(value, date):
        problem = _calendar_problem(str(value).strip())
        if problem:
            raise ValueError(problem)
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError("expected a date written YYYY-MM-DD, e.g. 2024-01-04") from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(
            f"expected a date from {FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d} (the years the "
            "workbook reports)"
        )
    return value.isoformat()


_YAML_DATE = re.compile(r"(\d{4})-(\d\d?)-(\d\d?)(?:[Tt ].*)?")


def _calendar_problem(text: str) -> str | None:
    """Why a date-shaped value is no day of the calendar (2024-02-30), or None.

    Checked before YAML reads the value: PyYAML turns an unquoted 2024-02-30 into a date
    itself and fails with a bare ValueError.
    """
    match = _YAML_DATE.fullmatch(text)
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return f"there is no month {month}; expected a date written YYYY-MM-DD, e.g. 2024-01-04"
    try:
        date(year, month, day)
    except ValueError:
        last = calendar.monthrange(year, month)[1]
        return (
            f"there is no day {day} in {calendar.month_name[month]} {year} (it has {last} "
            "days); expected a real date written YYYY-MM-DD, e.g. 2024-01-04"
        )
    return None


def _text_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("expected a list of names, e.g. [Adult Social Care], or [] for all")
    return tuple(v.strip() for v in value)


def _people(value: Any) -> str:
    """Who a paper is from: a list of people, each `{name: ..., role: ...}` (or a line of
    text), one per line as seed 001 prints them ('Roger Gough – Leader of the Council');
    or, as before, one line of text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if not isinstance(value, list):
        return _optional_text(value)  # "expected some text (quote it if ...)"
    expected = (
        "expected a list of people, each `- {name: Roger Gough, role: Leader of the Council}`, "
        "or one line of text"
    )
    if not isinstance(value, list):
        raise ValueError(expected)
    lines = []
    for person in value:
        if isinstance(person, str) and person.strip():
            lines.append(" ".join(person.split()))
            continue
        if not isinstance(person, dict):
            raise ValueError(expected)
        extra = sorted(map(str, set(person) - {"name", "role"}))
        if extra:
            raise ValueError(
                f"'{extra[0]}' is neither name nor role; each person is "
                "`{name: ..., role: ...}`, and a role containing a comma is quoted: "
                'role: "Director of Growth, Environment and Transport"'
            )
        name, role = (_optional_text(person.get(k)) for k in ("name", "role"))
        if not name and not role:
            raise ValueError(expected)
        lines.append(" – ".join(part for part in (name, role) if part))
    return "\n".join(lines)


def _dashboards(value: Any) -> dict[str, dict[str, Any]]:
    """`dashboards:` a mapping of directorate (as in indicators.csv) to its dashboard's
    committee, meeting_date, from, contacts and background_documents (each optional)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(
            "expected a mapping of directorate to its dashboard's settings, e.g. "
            "`Public Health: {committee: Health Reform and Public Health Cabinet Committee}`"
        )
    checks = {
        "committee": _optional_text, "meeting_date": _iso_date, "from": _people,
        "contacts": lambda v: list(_contacts(v)),
        "background_documents": lambda v: list(_text_lines(v)),
    }  # fmt: skip
    checked = {}
    for directorate, settings in value.items():
        if not isinstance(directorate, str) or not directorate.strip():
            raise ValueError(f"'{directorate}' is not a directorate name")
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise ValueError(
                f"'{directorate}': expected its settings ({', '.join(DASHBOARD_FIELDS)})"
            )
        unknown = sorted(set(map(str, settings)) - set(DASHBOARD_FIELDS))
        if unknown:
            raise ValueError(
                f"'{directorate}': unknown setting '{unknown[0]}'; expected "
                f"{', '.join(DASHBOARD_FIELDS)}"
            )
        entry = {}
        for key, raw in settings.items():
            try:
                entry[key] = checks[key](raw)
            except ValueError as error:
                raise ValueError(f"'{directorate}', '{key}': {error}") from None
        checked[directorate.strip()] = entry
    return checked


def _text_lines(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("expected a list of lines of text, e.g. [Strategic Statement 2023]")
    return tuple(" ".join(v.split()) for v in value)


def _paragraph(value: Any) -> str:
    return " ".join(_optional_text(value).split())


def _contacts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("expected a list of contacts, each a block of text (name, job, phone…)")
    return tuple(v.strip() for v in value)


AREA_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")  # ONS codes (E10000016), or local


def _area_code(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not AREA_CODE.fullmatch(value.strip()):
        raise ValueError("expected an area code such as E10000016 (letters and digits)")
    return value.strip()


def _comparator_groups(value: Any) -> tuple[tuple[str, str | tuple[str, ...]], ...]:
    expected = (
        "expected a mapping of group name to area codes, e.g. `similar councils: [E10000002, "
        "E10000003]` (a ranked group) or `England: E92000001` (a published figure)"
    )
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ValueError(expected)
    groups = []
    for name, codes in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{name!r} is not a group name; {expected}")
        if isinstance(codes, list) and codes:
            checked = tuple(c.strip() if isinstance(c, str) else "" for c in codes)
            if not all(AREA_CODE.fullmatch(c) for c in checked):
                raise ValueError(f"group '{name}' has a code that is not an area code; {expected}")
            groups.append((name.strip(), checked))
        elif isinstance(codes, str) and codes.strip():
            groups.append((name.strip(), _area_code(codes)))
        else:
            raise ValueError(f"group '{name}' has no area codes; {expected}")
    return tuple(groups)


def _whole(minimum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"expected a whole number of at least {minimum}")
        return value

    return check


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError("expected a number between 0 and 1, e.g. 0.05")
    return float(value)


def _share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError(
            "expected a share of the KPIs above 0 and at most 1, e.g. 0.9 (1 = every KPI)"
        )
    return float(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _one_of(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return check


def _quarter(value: Any) -> Quarter:
    try:
        return Quarter.parse(str(value))
    except QprError as error:
        raise ValueError(str(error)) from None
