"""`qpr status`: per quarter, when it was last built, by which engine, and which reports are
current, stale (inputs changed since: data, params, templates, qprlib) or failed.

One rule with the build: a report is current exactly when `qpr build` would skip it
(`stamps.up_to_date` on the run `plan.plan_runs` plans now); the stamp of its last success
says which inputs changed. The last build's outcome comes from `build/<slug>/manifest.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from qprlib.completeness import completeness, draft_notice
from qprlib.errors import QprError
from qprlib.params import load_params, resolve_quarter
from qprlib.periods import Quarter
from qprlib.pipeline import plan, stamps
from qprlib.pipeline.outcome import FAILED as RUN_FAILED

CURRENT, STALE, FAILED, NOT_BUILT, UNKNOWN = "current", "stale", "failed", "not built", "unknown"
INPUT_NAMES = {  # a stamp's inputs as the user knows them
    "notebook": "template",
    "parameters": "params",
    "front_matter": "params",
    "data_hash": "data",
    "qprlib": "qprlib",
    "kernel": "kernel",
}


@dataclass(frozen=True)
class ReportStatus:
    """One report: current | stale | failed | not built | unknown, and why."""

    report: str
    state: str
    reason: str = ""  # stale: 'data, params changed'; failed: the error and cell
    built: str = ""  # when its notebook was last built (UTC, from its stamp)


@dataclass(frozen=True)
class QuarterStatus:
    """A quarter's last build (from its manifest) and the state of each report now."""

    quarter: str
    folder: str
    started: str = ""
    finished: str = ""
    outcome: str = "never built"  # success | failed | never built
    exit_status: int | None = None
    engine: str = ""
    formats: tuple[str, ...] = ()
    reports: tuple[ReportStatus, ...] = ()
    kpis: str = NOT_BUILT  # current | stale | not built | unknown
    site: str = "not rendered"  # current | stale | not rendered | unknown
    problem: str = ""  # why the state could not be worked out (bad params or data)
    stale_inputs: tuple[str, ...] = field(default=())
    completeness: str = ""  # '36 of 38 KPIs have a figure for 2023/24 Q3 (94%); ...' (now)
    complete: bool | None = None  # every expected KPI has a figure now
    draft: bool = False  # the last build was a --draft
    final: str = ""  # 'v1, published 2024-01-05 09:30 UTC' once `qpr publish` made it final

    @property
    def all_current(self) -> bool:
        """Every report, kpis.csv and the published site current, nothing failed: the quarter
        is ready and `qpr build` would do nothing (a site left stale by a failed render is
        not, so the verdict never says "all reports current" under "site  stale")."""
        reports = bool(self.reports) and all(r.state == CURRENT for r in self.reports)
        return reports and self.kpis == CURRENT and self.site == CURRENT


def quarter_status(
    quarter: str | None = None,
    data_dir: Path = Path("data"),
    *,
    root: Path | None = None,
    notebooks_dir: Path | None = None,
    build_dir: Path | None = None,
    site_dir: Path | None = None,
) -> list[QuarterStatus]:
    """The status of `quarter` (a quarter, 'latest' or 'current'), or of every quarter built."""
    paths = plan.Paths.at(root, notebooks=notebooks_dir, build=build_dir, site=site_dir)
    if quarter is None:
        quarters = built_quarters(paths.build)
    else:
        quarters = [resolve_quarter(quarter, paths.params)]
    if not quarters:
        return []
    try:
        data = plan.load_data(plan.under_root(Path(data_dir), paths.root))
    except QprError as error:
        data = error
    return [status_of(q, data, paths) for q in quarters]


def built_quarters(build_dir: Path) -> list[Quarter]:
    """Quarters with a manifest in build/, oldest first (other folders are ignored)."""
    found = []
    for manifest in build_dir.glob("*/manifest.json"):
        try:
            found.append(Quarter.parse(manifest.parent.name))
        except QprError:
            continue
    return sorted(found)


def status_of(quarter: Quarter, data, paths: plan.Paths) -> QuarterStatus:
    """One quarter: its manifest, then each planned report checked as the build would."""
    out = paths.build / quarter.slug
    manifest = stamps.read_stamp(out / "manifest.json")
    entries = manifest.get("reports") if isinstance(manifest.get("reports"), dict) else {}
    formats = manifest.get("published_formats") or manifest.get("formats") or ()
    last = QuarterStatus(
        quarter=str(quarter),
        folder=str(out),
        started=str(manifest.get("started", "")),
        finished=str(manifest.get("finished", "")),
        outcome=str(manifest.get("outcome", "never built")),
        exit_status=manifest.get("exit_status"),
        engine=str(manifest.get("engine") or ""),
        formats=tuple(formats),
    )
    try:
        if isinstance(data, QprError):
            raise data
        params = load_params(quarter, paths.params)
        names = plan.choose_directorates(data, params.directorates, False, params.sources)
        complete = completeness(data, quarter)
        draft = bool((manifest.get("completeness") or {}).get("draft"))
        notice = draft_notice(complete) if draft else ""  # as that build planned its runs
        runs = plan.plan_runs(params, names, True, data, paths, out, run_time="", draft=notice)
    except QprError as error:
        unknown = tuple(ReportStatus(name, UNKNOWN, error.problems[0]) for name in sorted(entries))
        return replace(last, reports=unknown, kpis=UNKNOWN, site=UNKNOWN, problem=error.problems[0])
    reports = tuple(report_status(run, entries.get(run.report)) for run in runs)
    kpis = _kpis_state(out, stamps.assessment_key(params, data))
    current = [r.report for r in reports if r.state == CURRENT]
    site = _site_state(out, paths.site, current, manifest, params.council)
    changed = [r.reason.removesuffix(" changed").split(", ") for r in reports if r.state == STALE]
    stale_inputs = sorted({name for names in changed for name in names})
    return replace(
        last, reports=reports, kpis=kpis, site=site, stale_inputs=tuple(stale_inputs),
        completeness=complete.headline(), complete=complete.complete, draft=draft,
        final=final_words(out, paths.root),
    )  # fmt: skip


def final_words(out: Path, root: Path) -> str:
    """'v1, published 2024-01-05 09:30 UTC' when the quarter is final (qprlib.final); with
    later versions, each: 'v2, published ..., a revision of v1; v1, published ...'."""
    from qprlib.final import published_versions, read_final

    record = read_final(out)
    if not record:
        return ""
    latest = f"v{record['version']}, published {_when(str(record.get('published', '')))}"
    found = published_versions(root, out.name)
    if len(found) < 2:
        return latest
    words = []
    for entry in reversed(found):  # newest first, as the latest line
        text = f"v{entry['version']}, published {_when(str(entry.get('published', '')))}"
        if entry.get("revises"):
            text += f", a revision of v{entry['revises']}"
        if entry.get("replaces"):
            text += " (written over with --replace)"
        words.append(text)
    return "; ".join(words)


def report_status(run: plan.Run, entry: dict | None) -> ReportStatus:
    """current (the build would skip it), failed (its last run failed), stale or not built."""
    stamp = stamps.read_stamp(run.sibling(".stamp.json"))
    built = str(stamp.get("built", ""))
    if isinstance(entry, dict) and entry.get("outcome") == RUN_FAILED:
        where = f" at {entry['cell']}" if entry.get("cell") else ""
        return ReportStatus(run.report, FAILED, f"{entry.get('error', '')}{where}", built)
    if stamps.up_to_date(run):
        return ReportStatus(run.report, CURRENT, "", built)
    if not run.output.is_file():
        return ReportStatus(run.report, NOT_BUILT)
    return ReportStatus(run.report, STALE, changed_inputs(stamp.get("inputs"), run.inputs), built)


def changed_inputs(before, now: dict) -> str:
    """Which inputs differ from the last success's: e.g. 'data, qprlib changed'."""
    if not isinstance(before, dict):
        return "inputs changed"
    names = []
    for key, value in now.items():
        old = before.get(key)
        if key == "parameters" and isinstance(old, dict):  # its data_hash is the data's
            old, value = ({k: v for k, v in p.items() if k != "data_hash"} for p in (old, value))
        if old != value:
            names.append(INPUT_NAMES.get(key, key))
    return (", ".join(dict.fromkeys(names)) or "inputs") + " changed"


def _kpis_state(out: Path, key: str) -> str:
    if not (out / "kpis.csv").is_file():
        return NOT_BUILT
    return CURRENT if stamps.read_stamp(out / "kpis.stamp.json").get("key") == key else STALE


def _site_state(out: Path, site: Path, reports: list[str], manifest: dict, council: str) -> str:
    """current when the render stamp matches what the build would render now."""
    formats = manifest.get("published_formats")
    if not isinstance(formats, list) or not (site / out.name).is_dir():
        return "not rendered"
    if not reports:  # published, but from notebooks that are no longer current
        return STALE
    engine = str(manifest.get("engine_requested") or "auto")
    key = stamps.render_key(out, site, reports, formats, engine, council)
    return CURRENT if stamps.read_stamp(out / "render.stamp.json").get("key") == key else STALE


# --- output


def format_status(statuses: list[QuarterStatus], fmt: str = "table") -> str:
    """The statuses as a text table (one block per quarter) or as JSON."""
    if fmt == "json":
        return json.dumps([as_json(s) for s in statuses], indent=2, ensure_ascii=False) + "\n"
    if not statuses:
        return "No quarter has been built yet: run `qpr build`.\n"
    return "\n".join(_table(s) for s in statuses)


def as_json(status: QuarterStatus) -> dict:
    """A QuarterStatus as plain JSON values (with `all_current`)."""
    content = asdict(status)
    content["formats"] = list(status.formats)
    content["stale_inputs"] = list(status.stale_inputs)
    content["all_current"] = status.all_current
    return content


def _table(status: QuarterStatus) -> str:
    if status.finished:
        how = f"exit status {status.exit_status}"
        engine = f" by the {status.engine} engine" if status.engine else ""
        head = f"last built {_when(status.finished)} ({status.outcome}, {how}){engine}"
    else:
        head = "never built"
    lines = [f"{status.quarter}: {head}"]
    if status.final:
        lines.append(f"  final       {status.final} (qpr publish)")
    if status.completeness:
        kind = "draft build" if status.draft else "final build" if status.final else "build"
        lines.append(f"  complete    {status.completeness} (last {kind})")
    if status.problem:
        lines.append(f"  cannot check the reports: {status.problem}")
    width = max([len(r.report) for r in status.reports] + [len("kpis.csv")])
    for report in status.reports:
        built = f"  (built {_when(report.built)})" if report.built else ""
        reason = f": {report.reason}" if report.reason else ""
        lines.append(f"  {report.report:<{width}}  {report.state}{reason}{built}")
    lines.append(f"  {'kpis.csv':<{width}}  {status.kpis}")
    formats = f" ({', '.join(status.formats)})" if status.formats else ""
    lines.append(f"  {'site':<{width}}  {status.site}{formats}")
    verdict = "all reports current" if status.all_current else "NOT all reports current"
    lines.append(f"  {verdict}")
    return "\n".join(lines) + "\n"


def _when(stamp: str) -> str:
    """'2024-01-04T09:30:00Z' -> '2024-01-04 09:30 UTC'."""
    if len(stamp) >= 16 and stamp.endswith("Z"):
        return stamp[:10] + " " + stamp[11:16] + " UTC"
    return stamp
