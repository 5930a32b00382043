"""Every run setting, declared once: name, type, default, checker and one line of help.

`DECLARED` is the one list. From it come the checker table `params/defaults.yml` and the
quarter files are read with (`SETTINGS`), `RunParams`' and `AssessSettings`' defaults, the
values a notebook `parameters` cell may declare (`notebook_values`; tests/test_settings.py
diffs each notebook's cell against it), the method settings behind the assessment and its
up-to-date key (`METHOD_SETTINGS`), and the list `qpr build --help` and docs print
(`describe`). To add a setting: add its `Setting` here (and its field to `RunParams`; to
`AssessSettings` too when `method`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qprlib.checkers import (
    _area_code,
    _comparator_groups,
    _contacts,
    _dashboards,
    _date_or_blank,
    _flag,
    _fraction,
    _iso_date,
    _one_of,
    _optional_text,
    _paragraph,
    _people,
    _quarter,
    _share,
    _text,
    _text_lines,
    _text_list,
    _whole,
)
from qprlib.periods import Quarter

DOT_METHODS = ("regression", "previous", "same_period_last_year")  # qprlib.trend methods
AMBER_MODES = ("floor", "tolerance")  # qprlib.rag: KCC floor standard, or within N% of target
COVER_STYLES = ("kcc", "halton")  # seed 001 (Kent Cabinet) or seed 004 (Halton Executive Board)
# seed 004's sections 4.0-9.0 and header lines, each a paragraph (or line) the council writes
HALTON_TEXTS = (
    "reporting_officer", "portfolio", "wards", "policy_implications", "other_implications",
    "priorities_implications", "risk_analysis", "equality_and_diversity", "background_papers",
)  # fmt: skip


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Setting:
    """One run setting. `notebook`: how a notebook parameter holds it (plain text, numbers,
    true/false), None when no notebook declares it; `method`: a method choice of the
    assessment (an `AssessSettings` field, part of the assessment's key)."""

    name: str
    type: type
    default: Any
    check: Callable[[Any], Any]
    help: str
    notebook: Callable[[Any], Any] | None = _same
    method: bool = False
    required: bool = False  # a params file must give it (no default)


def _lines(value: tuple[str, ...]) -> str:
    return "\n".join(value)


def _blocks(value: tuple[str, ...]) -> str:  # one block per person, blank-line separated
    return "\n\n".join(value)


def _groups(value: tuple) -> str:  # a notebook parameter is plain text: one line of JSON
    from qprlib.compare import groups_to_json  # here: compare needs pandas, settings does not

    return groups_to_json(dict(value))


S = Setting
DECLARED: tuple[Setting, ...] = (
    S("quarter", Quarter, None, _quarter, "the quarter a file is for (its own file only)", str),
    S("council", str, "", _text, "the council, as on every report", required=True),
    S("committee", str, "", _text, "the committee the reports go to", required=True),
    S("meeting_date", str, "", _date_or_blank, "the meeting's date, YYYY-MM-DD (needed to build)"),
    S("author", str, "", _people, "who the papers are from: - {name: ..., role: ...} a line"),
    S("directorates", tuple, (), _text_list, "directorates with a dashboard ([]: all)", _lines),
    S("dot_method", str, "regression", _one_of(*DOT_METHODS),
      "direction of travel: " + " | ".join(DOT_METHODS), method=True),
    S("dot_window_quarters", int, 8, _whole(2),
      "points in the regression, quarterly indicators", method=True),
    S("dot_window_months", int, 24, _whole(2),
      "points in the regression, monthly indicators", method=True),
    S("dot_alpha", float, 0.05, _fraction,
      "a slope is a trend when its two-sided p-value is below this", method=True),
    S("amber_mode", str, "floor", _one_of(*AMBER_MODES),
      "RAG: floor (floor standard) | tolerance (Amber within amber_tolerance)", method=True),
    S("amber_tolerance", float, 0.05, _fraction,
      "tolerance mode: Amber within this share of target", method=True),
    S("spc_screen_outliers", bool, True, _flag,
      "SPC: leave moving ranges >= 3.267 x mean out of the limits", method=True),
    S("spc_baseline_months", int, 24, _whole(3),
      "SPC limits from this many months (monthly indicators)", method=True),
    S("spc_baseline_quarters", int, 13, _whole(3),
      "SPC limits from this many quarters (quarterly indicators)", method=True),
    S("decision_no", str, "", _optional_text, "the cover's Decision No (blank: n/a)"),
    S("contacts", tuple, (), _contacts, "the cover's contact details, a block each", _blocks),
    S("directorate_committee", str, "", _optional_text,
      "the committee dashboards go to (blank: committee)"),
    S("directorate_author", str, "", _people, "who dashboards are from (blank: author)"),
    S("execution_timeout", int, 600, _whole(1),
      "seconds a notebook cell may run before its report fails", None),
    S("assurance_meeting", str, "", _optional_text,
      "the meeting the call-in briefing goes to (blank: PAT)"),
    S("assurance_meeting_date", str, "", _iso_date, "that meeting's date, YYYY-MM-DD"),
    S("area_code", str, "", _area_code,
      "the council's own area code in comparators.csv", method=True),
    S("comparator_groups", tuple, (), _comparator_groups,
      "group -> area codes (ranked) or one code (a published figure)", _groups, method=True),
    S("dashboards", dict, {}, _dashboards,
      "per directorate: committee, meeting_date, from, contacts, background_documents", None),
    S("background_documents", tuple, (), _text_lines,
      "a dashboard's Background Documents when it sets none", None),
    S("build_details", bool, False, _flag, "print the build record in every paper (officers)"),
    S("cover_style", str, "kcc", _one_of(*COVER_STYLES),
      "the cover: kcc (seed 001) | halton (seed 004)", None),
    S("completeness", float, 1.0, _share,
      "share of KPIs with a figure needed for final papers (1: all)", None),
    S("returns_deadline", str, "", _date_or_blank,
      "the date returns are due, YYYY-MM-DD (qpr returns --status)", None),
    *(S(name, str, "", _paragraph, f"halton cover: {name.replace('_', ' ')}")
      for name in HALTON_TEXTS),
)  # fmt: skip
del S

BY_NAME: dict[str, Setting] = {s.name: s for s in DECLARED}
SETTINGS: dict[str, Callable[[Any], Any]] = {s.name: s.check for s in DECLARED}
DEFAULTS: dict[str, Any] = {s.name: s.default for s in DECLARED}
METHOD_SETTINGS = tuple(s.name for s in DECLARED if s.method)
QUARTER_FILE_ONLY = ("quarter",)
REQUIRED = tuple(s.name for s in DECLARED if s.required)


def notebook_values(values: dict[str, Any]) -> dict[str, Any]:
    """`values` (a setting name -> its checked value) as notebook parameters: plain text,
    numbers and true/false, only the settings a notebook may declare."""
    return {
        name: BY_NAME[name].notebook(value)
        for name, value in values.items()
        if name in BY_NAME and BY_NAME[name].notebook is not None
    }


def notebook_default(name: str) -> Any:
    """A method setting's default as a notebook (and `AssessSettings`) holds it."""
    return BY_NAME[name].notebook(BY_NAME[name].default)


def describe() -> str:
    """Every setting, a line each: name, default and help (`qpr build --help`, docs)."""
    lines = []
    for s in DECLARED:
        default = "required" if s.required else repr(s.default)
        lines.append(f"  {s.name:<24} {s.help} [{default}]")
    return "\n".join(lines)
