"""Run parameters: `params/defaults.yml` + `params/<quarter-slug>.yml`, checked once.

Both files are flat YAML mappings with the keys in `SETTINGS`; the quarter file's values win.
Loading is `yaml.SafeLoader` only (a `!!python/...` tag is an error, never executed) and every
problem is reported with the file, line and key, and what is expected.
"""

from __future__ import annotations

import calendar
import contextlib
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from qprlib.atomic import write_atomic
from qprlib.compare import groups_to_json
from qprlib.errors import ParamsError, QprError, quote
from qprlib.periods import FIRST_DAY, LAST_DAY, Quarter

DEFAULTS_FILE = "defaults.yml"
MAX_PARAMS_BYTES = 256 * 1024  # a params file is a few dozen lines; a bigger one is refused unread
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")  # but \t \n \r
PARAMS_DIR = "params"
DOT_METHODS = ("regression", "previous", "same_period_last_year")  # qprlib.trend methods
AMBER_MODES = ("floor", "tolerance")  # qprlib.rag: KCC floor standard, or within N% of target
COVER_STYLES = ("kcc", "halton")  # seed 001 (Kent Cabinet) or seed 004 (Halton Executive Board)
# seed 004's sections 4.0-9.0 and header lines, each a paragraph (or line) the council writes
HALTON_TEXTS = (
    "reporting_officer", "portfolio", "wards", "policy_implications", "other_implications",
    "priorities_implications", "risk_analysis", "equality_and_diversity", "background_papers",
)  # fmt: skip
# a directorate dashboard's own addressing (seed 003), under `dashboards: {directorate: ...}`
DASHBOARD_FIELDS = ("committee", "meeting_date", "from", "contacts", "background_documents")


@dataclass(frozen=True)
class RunParams:
    """The checked parameters shared by every report of one quarter's build."""

    quarter: Quarter
    council: str
    committee: str
    meeting_date: str = ""  # ISO date of the meeting the reports go to
    author: str = ""
    directorates: tuple[str, ...] = ()  # empty: every directorate in the data
    dot_method: str = "regression"
    dot_window_quarters: int = 8
    dot_window_months: int = 24
    dot_alpha: float = 0.05
    amber_mode: str = "floor"
    amber_tolerance: float = 0.05
    spc_screen_outliers: bool = True
    spc_baseline_months: int = 24  # SPC limits from the last 24 months (AssessSettings)
    spc_baseline_quarters: int = 13  # ... or 13 quarters
    decision_no: str = ""  # the cover report's "Decision No" (blank: n/a)
    contacts: tuple[str, ...] = ()  # the cover report's contact details, one entry per person
    directorate_committee: str = ""  # the committee directorate dashboards go to (blank: committee)
    directorate_author: str = ""  # who the dashboards are from (blank: author)
    execution_timeout: int = 600  # seconds one notebook cell may run before the run fails
    assurance_meeting: str = ""  # the call-in briefing goes to (seed 002; blank: PAT)
    assurance_meeting_date: str = ""  # ISO date of that meeting
    area_code: str = ""  # the council's own area code in comparators.csv (e.g. E10000099)
    # comparator groups (qprlib.compare): name -> a list of area codes (a ranked group, e.g.
    # nearest neighbours) or one area code (a published figure, e.g. England's)
    comparator_groups: tuple[tuple[str, str | tuple[str, ...]], ...] = ()
    # per directorate: committee, meeting_date, from, contacts, background_documents (seed 003)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    background_documents: tuple[str, ...] = ()  # a dashboard's section 4 when it sets none
    build_details: bool = False  # print commit, data hash, run time, parameters in each paper
    cover_style: str = "kcc"  # kcc: seed 001's Cabinet cover; halton: seed 004's
    reporting_officer: str = ""  # halton cover: REPORTING OFFICER
    portfolio: str = ""  # halton cover: PORTFOLIO
    wards: str = ""  # halton cover: WARDS (blank: Borough wide)
    policy_implications: str = ""  # halton cover, 4.0 (blank: None identified)
    other_implications: str = ""  # 5.0
    priorities_implications: str = ""  # 6.0
    risk_analysis: str = ""  # 7.0
    equality_and_diversity: str = ""  # 8.0
    background_papers: str = ""  # 9.0 (blank: none under the meaning of the Act)
    # the share (0-1] of the quarter's KPIs that must have a figure before `qpr build` makes
    # final papers (below it: exit 2 unless --draft); 1: every KPI (qprlib.completeness)
    completeness: float = 1.0
    returns_deadline: str = ""  # ISO date the directorates' returns are due (qpr returns --status)
    sources: tuple[Path, ...] = ()  # the params files these came from, defaults first

    def notebook_values(self) -> dict[str, Any]:
        """The values a notebook `parameters` cell may declare (plain str/int/float/bool)."""
        return {
            "quarter": str(self.quarter),
            "council": self.council,
            "committee": self.committee,
            "meeting_date": self.meeting_date,
            "author": self.author,
            "dot_method": self.dot_method,
            "dot_window_quarters": self.dot_window_quarters,
            "dot_window_months": self.dot_window_months,
            "dot_alpha": self.dot_alpha,
            "amber_mode": self.amber_mode,
            "amber_tolerance": self.amber_tolerance,
            "spc_screen_outliers": self.spc_screen_outliers,
            "spc_baseline_months": self.spc_baseline_months,
            "spc_baseline_quarters": self.spc_baseline_quarters,
            "decision_no": self.decision_no,
            # a notebook parameter is plain text: one block per person, blank-line separated
            "contacts": "\n\n".join(self.contacts),
            "directorate_committee": self.directorate_committee,
            "directorate_author": self.directorate_author,
            "assurance_meeting": self.assurance_meeting,
            "assurance_meeting_date": self.assurance_meeting_date,
            "area_code": self.area_code,
            # a notebook parameter is plain text: the groups as one line of JSON
            "comparator_groups": groups_to_json(dict(self.comparator_groups)),
            "build_details": self.build_details,
            "directorates": "\n".join(self.directorates),
            **{name: getattr(self, name) for name in HALTON_TEXTS},
        }

    def dashboard_values(self, directorate: str) -> dict[str, Any]:
        """A directorate dashboard's addressing as notebook parameters (plain text): its entry
        in `dashboards`, else the single settings (committee, meeting_date, author, contacts).
        Lines of `directorate_author` are people, blocks of `directorate_contacts` (blank-line
        separated) contacts, lines of `directorate_background` background documents."""
        own = self.dashboards.get(directorate, {})
        return {
            "directorate_committee": own.get("committee") or self.directorate_committee,
            "directorate_meeting_date": own.get("meeting_date") or self.meeting_date,
            "directorate_author": own.get("from") or self.directorate_author,
            "directorate_contacts": "\n\n".join(own.get("contacts") or self.contacts),
            "directorate_background": "\n".join(
                own.get("background_documents") or self.background_documents
            ),
        }

    def groups(self) -> dict[str, str | tuple[str, ...]]:
        """The comparator groups as a dict (name -> codes, or one code)."""
        return dict(self.comparator_groups)

    def where(self) -> str:
        """The params files, for messages about a setting ('params/defaults.yml')."""
        return " and ".join(_shown(s) for s in self.sources) or "params"

    def assess_settings(self):
        """The method settings as `qprlib.assess.AssessSettings`."""
        from qprlib.assess import AssessSettings

        names = {f.name for f in fields(AssessSettings)}
        return AssessSettings(**{k: v for k, v in self.notebook_values().items() if k in names})


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


SETTINGS: dict[str, Callable[[Any], Any]] = {
    "quarter": _quarter,
    "council": _text,
    "committee": _text,
    "meeting_date": _date_or_blank,
    "author": _people,
    "directorates": _text_list,
    "dot_method": _one_of(*DOT_METHODS),
    "dot_window_quarters": _whole(2),
    "dot_window_months": _whole(2),
    "dot_alpha": _fraction,
    "amber_mode": _one_of(*AMBER_MODES),
    "amber_tolerance": _fraction,
    "spc_screen_outliers": _flag,
    "spc_baseline_months": _whole(3),
    "spc_baseline_quarters": _whole(3),
    "decision_no": _optional_text,
    "contacts": _contacts,
    "directorate_committee": _optional_text,
    "directorate_author": _people,
    "execution_timeout": _whole(1),
    "assurance_meeting": _optional_text,
    "assurance_meeting_date": _iso_date,
    "area_code": _area_code,
    "comparator_groups": _comparator_groups,
    "dashboards": _dashboards,
    "background_documents": _text_lines,
    "build_details": _flag,
    "cover_style": _one_of(*COVER_STYLES),
    "completeness": _share,
    "returns_deadline": _date_or_blank,
    **dict.fromkeys(HALTON_TEXTS, _paragraph),
}
QUARTER_FILE_ONLY = ("quarter",)
REQUIRED = ("council", "committee")


def _where(path: Path, line: int | None = None, key: str | None = None) -> str:
    parts = [_shown(path)]
    if line is not None:
        parts.append(f"line {line}")
    if key is not None:
        parts.append(f"key {quote(key)}")
    return ", ".join(parts)


def _shown(path: Path) -> str:
    """A params file as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_params_file(path: Path) -> dict[str, Any]:
    """One params file as {key: checked value}; every problem in it raised as one ParamsError."""
    from qprlib.io import open_problem, os_reason

    problem = open_problem(path, path.absolute().parent.resolve().parent, MAX_PARAMS_BYTES)
    if problem == "missing":
        raise ParamsError(f"{_shown(path)}: file not found")
    if problem:
        raise ParamsError(f"{_shown(path)}: {problem}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParamsError(f"{_shown(path)}: {os_reason(error)}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ParamsError(
            f"{_where(path, line)}: has a byte (0x{data[error.start]:02x}) that is not UTF-8 "
            "text; expected the file saved as UTF-8"
        ) from None
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ParamsError(
            f"{_where(path, line)}: has a control character (U+{ord(bad[0]):04X}); expected "
            "plain text (only line breaks and tabs)"
        )
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        return _check_mapping(path, loader, root, text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        context = ""
        if error.context and error.context_mark and error.context_mark.line + 1 != line:
            context = f"{error.context} from line {error.context_mark.line + 1}: "
        raise ParamsError(
            f"{_where(path, line)}: not valid YAML ({context}{error.problem}); write one "
            "`key: value` per line and quote values that contain ':' or '#'"
        ) from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{_shown(path)}: not valid YAML ({error})") from None
    except RecursionError:
        raise ParamsError(
            f"{_shown(path)}: values nested too deeply to read; expected `key: value` lines"
        ) from None
    finally:
        loader.dispose()


def _as_written(text: str, node: yaml.Node) -> str:
    """A node as it is typed in the file (a key or value quoted back in a message)."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return " ".join(text[node.start_mark.index : node.end_mark.index].split())


def _check_mapping(path: Path, loader: yaml.SafeLoader, root: yaml.Node | None, text: str) -> dict:
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise ParamsError(
            f"{_where(path, root.start_mark.line + 1)}: expected `key: value` lines, "
            f"found a {root.id}"
        )
    problems, values = [], {}
    for key_node, value_node in root.value:
        line, key = key_node.start_mark.line + 1, _as_written(text, key_node)
        where = _where(path, line, key)
        if key not in SETTINGS:
            problems.append(f"{where}: unknown setting{_did_you_mean(key)}")
            continue
        if key in values:
            problems.append(f"{where}: set twice in this file; keep one")
            continue
        if key in QUARTER_FILE_ONLY and path.name == DEFAULTS_FILE:
            problems.append(f"{where}: belongs in the quarter's own file, not {DEFAULTS_FILE}")
            continue
        impossible = [
            _calendar_problem(node.value)
            for node in _scalars(value_node)
            if node.tag == "tag:yaml.org,2002:timestamp"
        ]
        if any(impossible):
            shown = quote(_as_written(text, value_node))
            problems.append(f"{where}: {shown} is not valid; {next(filter(None, impossible))}")
            continue
        try:
            raw = loader.construct_object(value_node, deep=True)
        except (ValueError, OverflowError) as error:  # anything else YAML's own reading refuses
            problems.append(f"{where}: cannot be read ({error}); write a plain value")
            continue
        except yaml.constructor.ConstructorError as error:
            problems.append(
                f"{where}: cannot be read ({error.problem}); write a plain value, "
                "YAML tags such as !!python/object are not allowed"
            )
            continue
        try:
            values[key] = SETTINGS[key](raw)
        except ValueError as error:
            problems.append(
                f"{where}: {quote(_as_written(text, value_node))} is not valid; {error}"
            )
    if problems:
        raise ParamsError(problems)
    return values


def _scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    """The scalar nodes in a value (a list's items, a mapping's keys and values)."""
    if isinstance(node, yaml.ScalarNode):
        return [node]
    if isinstance(node, yaml.SequenceNode):
        return [s for item in node.value for s in _scalars(item)]
    if isinstance(node, yaml.MappingNode):
        return [s for pair in node.value for item in pair for s in _scalars(item)]
    return []


def _did_you_mean(key: str) -> str:
    close = difflib.get_close_matches(key, SETTINGS, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; expected one of {', '.join(SETTINGS)}"


def load_params(quarter: Quarter | str, params_dir: Path) -> RunParams:
    """The checked parameters for `quarter`: defaults.yml overlaid with params/<slug>.yml."""
    quarter = Quarter.parse(quarter)
    quarter_file = params_dir / f"{quarter.slug}.yml"
    if not (quarter_file.exists() or quarter_file.is_symlink()):
        raise ParamsError(
            f"{_shown(quarter_file)}: no params file for {quarter}; "
            f"create it with `qpr new-quarter '{quarter}'`"
        )
    defaults_file = params_dir / DEFAULTS_FILE
    sources = [defaults_file] if defaults_file.exists() or defaults_file.is_symlink() else []
    merged: dict[str, Any] = {}
    problems: list[str] = []
    for source in [*sources, quarter_file]:
        try:
            merged |= read_params_file(source)
        except ParamsError as error:
            problems += error.problems
    if problems:
        raise ParamsError(problems)
    if merged.get("quarter", quarter) != quarter:
        raise ParamsError(
            f"{_where(quarter_file, key='quarter')}: says {merged['quarter']} but the file is "
            f"named for {quarter}; rename the file or correct the quarter"
        )
    missing = [key for key in REQUIRED if key not in merged]
    if missing:
        raise ParamsError(
            [
                f"{_shown(quarter_file)}, key '{key}': missing; set it here or in {DEFAULTS_FILE}"
                for key in missing
            ]
        )
    merged.pop("quarter", None)
    return RunParams(quarter=quarter, sources=(*sources, quarter_file), **merged)


def quarter_files(params_dir: Path) -> dict[Quarter, Path]:
    """Every params/<quarter-slug>.yml by quarter (a file not named for a quarter is an error)."""
    found: dict[Quarter, Path] = {}
    for path in sorted(params_dir.glob("*.yml")):
        if path.name == DEFAULTS_FILE:
            continue
        try:
            found[Quarter.parse(path.stem)] = path
        except QprError:
            raise ParamsError(
                f"{_shown(path)}: the file name is not a quarter; name quarter files like "
                f"2023-24-q2.yml, and put shared settings in {DEFAULTS_FILE}"
            ) from None
    return found


def resolve_quarter(text: str | None, params_dir: Path, today: date | None = None) -> Quarter:
    """QUARTER as given on the command line: a quarter, `latest` (default) or `current`."""
    if text is None or text.strip().lower() == "latest":
        files = quarter_files(params_dir)
        if not files:
            raise ParamsError(
                f"{_shown(params_dir)}: no quarter params files (like 2023-24-q2.yml); "
                "create one with `qpr new-quarter QUARTER`"
            )
        return max(files)
    if text.strip().lower() == "current":
        return Quarter.last_ended(today or date.today())
    try:
        return Quarter.parse(text)
    except QprError as error:
        raise ParamsError(f"QUARTER: {error}; or use 'latest' or 'current'") from None


def find_project_root(start: Path | None = None) -> Path:
    """The folder holding params/: the working folder or the nearest one above it."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / PARAMS_DIR).is_dir():
            return folder
    package_checkout = Path(__file__).resolve().parents[1]
    if (package_checkout / PARAMS_DIR).is_dir():
        return package_checkout
    raise ParamsError(f"{start}: no {PARAMS_DIR}/ folder here or above; run qpr in the project")


def for_notebook(
    quarter: str | None,
    data_dir: str | Path | None,
    given: Mapping[str, Any],
    start=None,
    directorate: str | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """What a notebook run by hand uses, read from the same files as `qpr build`.

    A notebook's `parameters` cell leaves a setting as None to mean "as params/ says": the
    project is the folder holding params/ (the working folder or above it, so JupyterLab in
    notebooks/ and stock papermill in the project root find the same one); `quarter` may be
    'latest' (the latest params/*.yml) or 'current'; a None in `given` is replaced by the value
    defaults.yml + the quarter's file give it (as RunParams.notebook_values), data_dir None by
    the project's data/. Any value set in the cell (or injected by papermill) is kept. For a
    `directorate` dashboard its addressing is `RunParams.dashboard_values`, as the build's.
    Returns (quarter, data_dir, given with its None values filled in).
    """
    needs_params = any(value is None for value in given.values())
    text = str(quarter).strip() if quarter is not None else "latest"
    named = text.lower() in ("", "latest", "current")
    if not (needs_params or named or data_dir is None):
        return text, str(data_dir), dict(given)
    root = find_project_root(Path(start) if start else None)
    params_dir = root / PARAMS_DIR
    chosen = resolve_quarter(None if text == "" else text, params_dir)
    filled = dict(given)
    if needs_params:
        loaded = load_params(chosen, params_dir)
        values = loaded.notebook_values()
        if directorate:
            values |= loaded.dashboard_values(directorate)
        unknown = [k for k, v in given.items() if v is None and k not in values]
        if unknown:
            raise ParamsError(
                f"notebook parameters {', '.join(unknown)}: None, but params/ has no such "
                f"setting; expected a value in the parameters cell"
            )
        filled = {k: values[k] if v is None else v for k, v in given.items()}
    folder = root / "data" if data_dir is None else Path(data_dir)
    return str(chosen), str(folder), filled


def new_quarter(text: str, params_dir: Path | None = None) -> Path:
    """Write params/<slug>.yml for the quarter from the latest earlier one; never overwrite."""
    params_dir = params_dir or find_project_root() / PARAMS_DIR
    quarter = resolve_quarter(text, params_dir)
    target = params_dir / f"{quarter.slug}.yml"
    if target.exists():
        raise ParamsError(
            f"{_shown(target)}: already exists and is never overwritten; edit it instead"
        )
    earlier = {q: p for q, p in quarter_files(params_dir).items() if q < quarter}
    if not earlier:
        raise ParamsError(
            f"{_shown(params_dir)}: no params file for a quarter before {quarter} to start "
            "from; copy an existing one by hand"
        )
    previous = max(earlier)
    values = read_params_file(earlier[previous])
    _write_new(target, _next_quarter_text(quarter, previous, earlier[previous].name, values))
    load_params(quarter, params_dir)  # what we wrote must load
    return target


CARRIED = {
    "author": "carried over from {previous}: check",
    "assurance_meeting_date": "carried over from {previous}: set this quarter's date",
}
CLEARED = {  # a new quarter's value of these is never the previous quarter's
    "meeting_date": (
        '""',
        "TODO the date of this quarter's meeting, YYYY-MM-DD (qpr build refuses it empty)",
    ),
    "returns_deadline": ('""', "TODO the date the returns are due, YYYY-MM-DD"),
}


def where_set(sources: tuple[Path, ...], key: str) -> str:
    """'params/2023-24-q3.yml, line 4, key 'meeting_date'': the last file setting `key` (the
    one that wins) and its line; the quarter's own file when no file sets it."""
    for source in reversed(sources):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            lines = source.read_text(encoding="utf-8-sig").splitlines()
            for number, line in enumerate(lines, start=1):
                if line.startswith(f"{key}:"):
                    return _where(source, number, key)
    return _where(sources[-1], key=key) if sources else f"params, key '{key}'"


def check_meeting_date(params: RunParams) -> None:
    """Raise ParamsError unless the meeting date is set and after the quarter ended: an empty
    date (as `qpr new-quarter` writes it) or one from an earlier quarter's cycle (carried over
    from the previous file) must not reach a cover report."""
    quarter, where = params.quarter, where_set(params.sources, "meeting_date")
    ended = quarter.end.isoformat()
    if not params.meeting_date:
        raise ParamsError(
            f"{where}: empty; expected the date of the meeting the {quarter} reports go to, "
            f"written YYYY-MM-DD, after the quarter ended on {ended}"
        )
    if params.meeting_date <= ended:
        raise ParamsError(
            f"{where}: {params.meeting_date} is not after {quarter} ended ({ended}), so it is an "
            f"earlier quarter's meeting; expected the date of the meeting the {quarter} reports "
            "go to, written YYYY-MM-DD"
        )


def _next_quarter_text(
    quarter: Quarter, previous: Quarter, source: str, values: Mapping[str, Any]
) -> str:
    lines = [
        f"# Parameters for the {quarter} Quarterly Performance Report (flat keys; shared",
        f"# settings are in {DEFAULTS_FILE}). Written by `qpr new-quarter` from {source}.",
        f"quarter: {_scalar(str(quarter))}",
    ]
    for key, value in values.items():
        if key == "quarter":
            continue
        shown = list(value) if isinstance(value, tuple) else value
        if key == "comparator_groups":  # (name, codes) pairs back to a mapping of lists
            shown = {name: c if isinstance(c, str) else list(c) for name, c in value}
        line = f"{key}: {_scalar(shown)}"
        if key in CLEARED:
            line = f"{key}: {CLEARED[key][0]}  # {CLEARED[key][1]}"
        elif key in CARRIED:
            line += f"  # TODO {CARRIED[key].format(previous=previous)}"
        if key == "directorates" and not shown:
            line += "  # empty: every directorate in the data"
        lines.append(line)
    lines += [
        f"{key}: {text}  # {note}" for key, (text, note) in CLEARED.items() if key not in values
    ]
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    """One value as inline YAML that reads back identically (quotes, colons, '#' made safe)."""
    dumped = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=10_000)
    return dumped.strip()[1:-1]


def _write_new(target: Path, text: str) -> None:
    """Create `target` with `text`; fail rather than replace a file that appeared meanwhile."""
    try:
        write_atomic(target, text, replace=False)
    except FileExistsError:
        raise ParamsError(f"{_shown(target)}: already exists and is never overwritten") from None
