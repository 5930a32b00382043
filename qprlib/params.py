"""Run parameters: `params/defaults.yml` + `params/<quarter-slug>.yml`, checked once.

Both files are flat YAML mappings with the keys in `SETTINGS`; the quarter file's values win.
Loading is `yaml.SafeLoader` only (a `!!python/...` tag is an error, never executed) and every
problem is reported with the file, line and key, and what is expected.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from qprlib import settings
from qprlib.atomic import write_atomic
from qprlib.checkers import (  # noqa: F401  (moved; importable from here as before)
    AREA_CODE,
    DASHBOARD_FIELDS,
)
from qprlib.errors import ParamsError, QprError
from qprlib.params_file import (  # noqa: F401  (moved; importable from here as before)
    _CONTROL,
    DEFAULTS_FILE,
    MAX_PARAMS_BYTES,
    _as_written,
    _check_mapping,
    _did_you_mean,
    _scalars,
    _shown,
    _where,
    read_params_file,
)
from qprlib.periods import Quarter
from qprlib.settings import (  # noqa: F401  (moved; importable from here as before)
    AMBER_MODES,
    COVER_STYLES,
    DECLARED,
    DEFAULTS,
    DOT_METHODS,
    HALTON_TEXTS,
    QUARTER_FILE_ONLY,
    REQUIRED,
    SETTINGS,
)

PARAMS_DIR = "params"


@dataclass(frozen=True)
class RunParams:
    """The checked parameters shared by every report of one quarter's build."""

    # defaults and one line of help each: qprlib.settings.DECLARED
    quarter: Quarter
    council: str  # required
    committee: str  # required
    meeting_date: str = DEFAULTS["meeting_date"]
    author: str = DEFAULTS["author"]
    directorates: tuple[str, ...] = DEFAULTS["directorates"]
    dot_method: str = DEFAULTS["dot_method"]
    dot_window_quarters: int = DEFAULTS["dot_window_quarters"]
    dot_window_months: int = DEFAULTS["dot_window_months"]
    dot_alpha: float = DEFAULTS["dot_alpha"]
    amber_mode: str = DEFAULTS["amber_mode"]
    amber_tolerance: float = DEFAULTS["amber_tolerance"]
    spc_screen_outliers: bool = DEFAULTS["spc_screen_outliers"]
    spc_baseline_months: int = DEFAULTS["spc_baseline_months"]
    spc_baseline_quarters: int = DEFAULTS["spc_baseline_quarters"]
    decision_no: str = DEFAULTS["decision_no"]
    contacts: tuple[str, ...] = DEFAULTS["contacts"]
    directorate_committee: str = DEFAULTS["directorate_committee"]
    directorate_author: str = DEFAULTS["directorate_author"]
    execution_timeout: int = DEFAULTS["execution_timeout"]
    assurance_meeting: str = DEFAULTS["assurance_meeting"]
    assurance_meeting_date: str = DEFAULTS["assurance_meeting_date"]
    area_code: str = DEFAULTS["area_code"]
    comparator_groups: tuple[tuple[str, str | tuple[str, ...]], ...] = DEFAULTS["comparator_groups"]
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    background_documents: tuple[str, ...] = DEFAULTS["background_documents"]
    build_details: bool = DEFAULTS["build_details"]
    cover_style: str = DEFAULTS["cover_style"]
    reporting_officer: str = DEFAULTS["reporting_officer"]
    portfolio: str = DEFAULTS["portfolio"]
    wards: str = DEFAULTS["wards"]
    policy_implications: str = DEFAULTS["policy_implications"]
    other_implications: str = DEFAULTS["other_implications"]
    priorities_implications: str = DEFAULTS["priorities_implications"]
    risk_analysis: str = DEFAULTS["risk_analysis"]
    equality_and_diversity: str = DEFAULTS["equality_and_diversity"]
    background_papers: str = DEFAULTS["background_papers"]
    completeness: float = DEFAULTS["completeness"]
    returns_deadline: str = DEFAULTS["returns_deadline"]
    sources: tuple[Path, ...] = ()  # the params files these came from, defaults first

    def notebook_values(self) -> dict[str, Any]:
        """The values a notebook `parameters` cell may declare (plain str/int/float/bool), as
        `qprlib.settings` declares them."""
        return settings.notebook_values({f.name: getattr(self, f.name) for f in fields(self)})

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
        """The method settings (`settings.METHOD_SETTINGS`) as `qprlib.assess.AssessSettings`."""
        from qprlib.assess import AssessSettings

        values = self.notebook_values()
        return AssessSettings(**{name: values[name] for name in settings.METHOD_SETTINGS})


def load_params(quarter: Quarter | str, params_dir: Path, *, history: bool = False) -> RunParams:
    """The checked parameters for `quarter`: defaults.yml overlaid with params/<slug>.yml.

    `history` (`qpr build --all`): a past quarter with no file of its own, reported before
    the workbook kept one, takes defaults.yml alone instead of being refused."""
    quarter = Quarter.parse(quarter)
    quarter_file = params_dir / f"{quarter.slug}.yml"
    own = quarter_file.exists() or quarter_file.is_symlink()
    if not own and not history:
        raise ParamsError(
            f"{_shown(quarter_file)}: no params file for {quarter}; "
            f"create it with `qpr new-quarter '{quarter}'`"
        )
    defaults_file = params_dir / DEFAULTS_FILE
    sources = [defaults_file] if defaults_file.exists() or defaults_file.is_symlink() else []
    merged: dict[str, Any] = {}
    problems: list[str] = []
    if own:
        sources.append(quarter_file)
    for source in sources:
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
    return RunParams(quarter=quarter, sources=tuple(sources), **merged)


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
