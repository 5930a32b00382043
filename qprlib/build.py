"""`qpr build`: one papermill run per report, in parallel, then render and publish.

The recipe (`build`): check the params, load the data, plan the runs, skip those that are up
to date, execute the rest in worker processes, render the site, write the manifest. Each step
is one module of `qprlib.pipeline` (docs/internals.md has the map); nothing imports this one
but the command line.

Everything for a quarter goes in `build/<quarter-slug>/`:

    <report>.ipynb          the executed notebook (replaced only by a successful run)
    <report>.failed.ipynb   the last failed run, papermill's red error cell first
    <report>.params.yml     the parameters passed: `papermill <nb> out.ipynb -f <this>` repeats it
    <report>.stamp.json     what the last successful run was made from (incremental builds)
    kpis.csv                the quarter's assessment (open data)
    manifest.json           the latest build: times, outcome per report, versions, commit, data
    build.log               timestamped log of every build of the quarter (appended)
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qprlib import provenance
from qprlib.atomic import write_atomic
from qprlib.completeness import COMPLETENESS_FILE, check_complete, completeness, draft_notice
from qprlib.errors import ParamsError, QprError
from qprlib.final import revise
from qprlib.names import slugify
from qprlib.params import (
    check_meeting_date,
    load_params,
    quarter_files,
    resolve_quarter,
    where_set,
)
from qprlib.pipeline import unchanged
from qprlib.pipeline.engines import choose_engine
from qprlib.pipeline.execute import (
    PARTIAL_DIR,
    check_kernel,
    clear_partial,
    execute,
    execute_run,
    execute_runs,
    failing_cell,
    skip,
    write_params_file,
)
from qprlib.pipeline.executors import DEFAULT_EXECUTOR, dask_executor, scheduler_address
from qprlib.pipeline.kpis import (
    assess_quarter,
    plan_assessment,
    share_assessment,
    warn_commentary,
    write_assessment,
    write_series,
    write_trend,
)
from qprlib.pipeline.lock import build_lock
from qprlib.pipeline.log import BuildLog, CombinedLog
from qprlib.pipeline.manifest import engine_used, write_manifest
from qprlib.pipeline.outcome import (
    BUILT,
    EXIT_OK,
    EXIT_REPORT_FAILED,
    FAILED,
    UP_TO_DATE,
    Outcome,
    RenderOutcome,
    RunOutcome,
    RunResult,
)
from qprlib.pipeline.plan import (
    ASSESSMENT_FILE,
    DEFAULT_FORMATS,
    FORMATS,
    Paths,
    Run,
    check_quarter,
    choose_directorates,
    choose_formats,
    declared_parameters,
    fill_front_matter,
    front_matter,
    known_directorates,
    load_data,
    plan_runs,
    portable,
    shown,
    under_root,
)
from qprlib.pipeline.publish import render_site
from qprlib.pipeline.stamps import (
    KERNEL,
    NOT_STAMPED,
    assessment_key,
    current_reports,
    read_stamp,
    render_key,
    up_to_date,
    write_stamp,
)

_under_root = under_root  # the name qprlib.status used


def build(
    quarter: str | None = None,
    directorates: Sequence[str] = (),
    formats: Sequence[str] | None = None,
    jobs: int | None = None,
    engine: str = "auto",
    force: bool = False,
    data_dir: Path = Path("data"),
    *,
    root: Path | None = None,
    notebooks_dir: Path | None = None,
    build_dir: Path | None = None,
    site_dir: Path | None = None,
    render: bool = True,
    interactive: bool | None = None,
    quiet: bool = False,
    on_success: str | None = None,
    on_failure: str | None = None,
    draft: bool = False,
    replace: bool = False,
    all_quarters: bool = False,
    projects: Sequence[Path] = (),
    executor: str = DEFAULT_EXECUTOR,
    scheduler: str | None = None,
) -> int:
    """Build a quarter's reports; exit status 0, or 1 when a report or the render failed.

    A quarter with fewer KPIs reported than params `completeness` asks (default: all) stops
    with exit 2 listing the missing ones, unless `draft`: then every report says DRAFT and
    what is missing (qprlib.completeness). A final quarter (`qpr publish`) whose papers the
    build changes is published as its next version beside the last (qprlib.final.revise),
    or over the last when `replace`.

    Bad params or data raise a QprError (the CLI prints it and exits 2) before any notebook
    runs or anything is written. `directorates` (the CLI's --directorate) builds only those
    dashboards; otherwise the cover, the corporate QPR and every directorate's dashboard.
    `formats` None means the formats last published for the quarter (else html and pdf), so
    a plain rebuild never drops a format published before. `on_success`/`on_failure` are shell
    commands run at the end (qprlib.notify), also when the build stops on bad input.

    Many quarters (issue 18): `quarter` may be a list or range ('2022/23 Q1..2023/24 Q2'),
    and `all_quarters` builds every quarter the data can report up to the latest params file
    (those without a file of their own from defaults.yml: choose_quarters).
    `projects` (project roots; else `root`) builds each of them. Every report run of every
    quarter and project goes through one pool; each quarter keeps its own build/<slug>/,
    manifest and build.log, and each project its own _site/, as a build of it alone would.
    `executor` 'dask' runs them on a Dask cluster (`scheduler`, else QPR_DASK_SCHEDULER, else
    a LocalCluster of `jobs` workers; pipeline.executors).
    """
    from qprlib import notify

    notifier = notify.Notifier(on_success, on_failure)
    try:
        roots = list(projects) or [root]
        many = len(roots) > 1
        each = [
            Paths.at(
                one,
                notebooks=None if many else notebooks_dir,
                build=None if many else build_dir,
                site=None if many else site_dir,
            )
            for one in roots
        ]
        return _build(
            quarter, directorates, formats, jobs, engine, force, data_dir, each,
            render=render, interactive=interactive, quiet=quiet, notifier=notifier, draft=draft,
            replace=replace, all_quarters=all_quarters, executor=executor, scheduler=scheduler,
        )  # fmt: skip
    except QprError as error:  # exit 2: nothing ran; the scheduled job still hears of it
        notifier.stopped(_quarter_named(quarter, root), error)
        raise
    except Exception as error:  # a fault in qpr itself: the traceback follows, but say so
        notifier.stopped(_quarter_named(quarter, root), error, exit_status=EXIT_REPORT_FAILED)
        raise


def _quarter_named(quarter: str | None, root: Path | None) -> str:
    """The quarter as canonical text when it can be worked out, else as given."""
    with contextlib.suppress(QprError, OSError):
        return str(resolve_quarter(quarter, Paths.at(root).params))
    return quarter or "latest"


@dataclass
class QuarterPlan:
    """One quarter of one project, checked and planned; nothing written yet."""

    paths: Paths
    params: object  # RunParams
    data: object  # QprData
    runs: list[Run]
    out: Path
    kpis_key: str
    assessment: object
    outcome: Outcome
    complete: object  # Completeness
    label: str = ""
    stale: list[Run] = field(default_factory=list)
    log: BuildLog | None = None
    formats: tuple[str, ...] = ()  # chosen inside the lock (those last published)
    history: bool = False  # --all: a past quarter with no params file of its own


def _build(quarter, directorates, formats, jobs, engine, force, data_dir, projects, *, render,
           interactive, quiet, notifier, draft=False, replace=False, all_quarters=False,
           executor=DEFAULT_EXECUTOR, scheduler=None) -> int:  # fmt: skip
    """The recipe: every check first (exit 2, nothing written), then run, render, record."""
    started = provenance.utc_now()
    plans, key = [], None
    for paths in projects:
        loaded = {}  # the data, once per comparator settings (usually once per project)
        chosen = choose_quarters(quarter, all_quarters, paths, data_dir, loaded)
        if len(projects) == 1 and not all_quarters and paths == Paths.at(paths.root):
            options = unchanged.options_of(chosen, directorates, formats, engine, draft, render)
            data = under_root(Path(data_dir), paths.root)  # the raw files, before io reads them
            key = unchanged.inputs_key(paths.root, data, options)
        own = quarter_files(paths.params) if all_quarters else {}
        for one in chosen:
            history = all_quarters and one not in own  # before the workbook kept params
            plan = _plan(one, directorates, force, data_dir, paths, started, loaded,
                         draft=draft, history=history)  # fmt: skip
            plans.append(plan)
    if render and engine == "quarto":
        choose_engine(engine)  # quarto asked for but not installed: stop before running anything
    if len(plans) > 1:
        for plan in plans:
            where = f"{plan.paths.root.name} " if len(projects) > 1 else ""
            plan.label = f"{where}{plan.params.quarter} "
    interactive = sys.stdout.isatty() if interactive is None else interactive
    to_run = sum(force or not up_to_date(run) for plan in plans for run in plan.runs)
    if to_run:
        check_kernel()  # no kernel, no report: say so before anything is written
    workers = jobs or os.cpu_count() or 1
    with contextlib.ExitStack() as stack:
        pool = None  # the process pool, started when the runs are known
        if executor == "dask" and to_run:  # connect first: no scheduler, exit 2, nothing written
            address = scheduler_address(scheduler)
            pool = stack.enter_context(dask_executor(min(workers, to_run), address))
        for folder in sorted({plan.paths.build for plan in plans}):
            stack.enter_context(build_lock(folder))
        for plan in plans:
            plan.log = stack.enter_context(
                BuildLog(plan.out / "build.log", interactive, quiet, plan.label)
            )
            _start(plan, formats, force, directorates)
        logs = CombinedLog({plan.out: plan.log for plan in plans})
        stale = [run for plan in plans for run in plan.stale]
        finished = execute_runs(stale, workers, logs, pool)
        for plan in plans:
            plan.outcome.results += [r for run, r in finished if run.output.parent == plan.out]
            order = [run.report for run in plan.runs]  # the manifest's, whichever ran first
            plan.outcome.results.sort(key=lambda result: order.index(result.report))
            _finish(plan, directorates, engine, render, replace)
        exit_status = max(plan.outcome.exit_status for plan in plans)
        for plan in plans if key and exit_status == 0 else []:  # the no-change fast path's
            unchanged.write_stamp(plan.out, key)
        summary = "".join(plan.log.summary_text() for plan in plans)
        if len(plans) > 1:
            summary += _overall(plans, plans[-1].log)
        named = str(plans[0].params.quarter) if len(plans) == 1 else _named(plans)
        notifier.finished(named, exit_status, summary, plans[-1].log)
    return exit_status


def choose_quarters(text, all_quarters, paths, data_dir, loaded) -> list:
    """The quarters to build: QUARTER as given (a quarter, `latest`, `current`, or a list or
    range of them), or with `all_quarters` every quarter the data can report up to the latest
    params file: a past quarter without a file of its own (reported before the workbook kept
    one) builds from defaults.yml, and one after the latest file (being prepared: no meeting
    date yet) is left out until `qpr new-quarter` makes its file."""
    from qprlib import io
    from qprlib.periods import parse_quarters

    if all_quarters:
        newest = resolve_quarter(None, paths.params)
        data = _data(load_params(newest, paths.params), paths, data_dir, loaded)
        chosen = [q for q in io.reportable_quarters(data) if q <= newest]
        if not chosen:
            raise ParamsError(
                f"{shown(paths.params)}: no quarter the data can report up to {newest}, the "
                "latest params file; import its figures, or create a later quarter's file "
                "with `qpr new-quarter QUARTER`"
            )
        return chosen
    if text is None or not any(mark in text for mark in (",", "..")):
        return [resolve_quarter(text, paths.params)]
    aliases = {}
    for word in ("latest", "current"):
        with contextlib.suppress(QprError):
            aliases[word] = resolve_quarter(word, paths.params)
    try:
        return parse_quarters(text, aliases)
    except QprError as error:
        raise ParamsError([f"QUARTER: {problem}" for problem in error.problems]) from None


def _data(params, paths, data_dir, loaded):
    """The project's data, checked against these params' comparator settings (cached)."""
    key = (params.area_code, json.dumps(params.groups(), sort_keys=True, default=str))
    if key not in loaded:
        loaded[key] = load_data(under_root(Path(data_dir), paths.root), params)
    return loaded[key]


def _plan(
    quarter, directorates, force, data_dir, paths, started, loaded, *, draft, history=False
) -> QuarterPlan:
    """Check one quarter's params and data (exit 2 on a problem) and plan its runs; a
    `history` quarter (no params file of its own) takes defaults.yml and has no meeting."""
    params = load_params(quarter, paths.params, history=history)
    data = _data(params, paths, data_dir, loaded)
    check_quarter(data, params.quarter)
    if not history:  # empty (new-quarter) or an earlier quarter's: not for Cabinet
        check_meeting_date(params)
    complete = completeness(data, params.quarter)
    if not draft:  # below the setting: refused, listing what is missing (exit 2)
        check_complete(complete, params.completeness, where_set(params.sources, "completeness"))
    names = choose_directorates(
        data, directorates or params.directorates, bool(directorates), params.sources
    )
    out = paths.build / params.quarter.slug
    notice = draft_notice(complete) if draft else ""
    runs = plan_runs(params, names, not directorates, data, paths, out, started, draft=notice)
    kpis_key, assessment = plan_assessment(params, data, out, force)
    outcome = Outcome(params.quarter, started)
    outcome.completeness = complete.as_dict() | {"required": params.completeness, "draft": draft}
    return QuarterPlan(
        paths, params, data, runs, out, kpis_key, assessment, outcome, complete, history=history
    )


def _start(plan: QuarterPlan, formats, force, directorates) -> None:
    """Inside the lock: kpis.csv, the shared assessment, the runs that are up to date."""
    log, out = plan.log, plan.out
    log.line(f"Building {plan.params.quarter} ({len(plan.runs)} reports) from {plan.data.source}")
    if plan.history:
        log.line(
            f"{plan.params.quarter}: no params file of its own, so built from "
            f"{plan.params.where()} (the cover's meeting date: 'date to be confirmed')"
        )
    plan.formats = choose_formats(formats, out, log)
    clear_partial(out)  # left by a killed build
    plan.outcome.kpis, plan.outcome.kpis_error = write_assessment(
        plan.assessment, plan.kpis_key, out, log
    )
    write_series(plan.assessment, plan.data, plan.params, out, log)
    write_trend(plan.assessment, plan.data, plan.params, out, log)
    warn_commentary(plan.assessment, out, plan.params.quarter, log)
    plan.stale = [run for run in plan.runs if force or not up_to_date(run)]
    share_assessment(plan.stale, plan.assessment, plan.kpis_key, plan.data, plan.params, out, log)
    plan.outcome.results = [skip(run, log) for run in plan.runs if run not in plan.stale]


def _finish(plan: QuarterPlan, directorates, engine, render, replace=False) -> None:
    """After the runs: completeness.json, render and publish, the manifest, the summary."""
    outcome, out, log, paths = plan.outcome, plan.out, plan.log, plan.paths
    current = current_reports(outcome.results, plan.runs, out, partial=bool(directorates))
    write_atomic(  # the index page says how complete each quarter is
        out / COMPLETENESS_FILE,
        json.dumps(
            {
                "words": plan.complete.site_words(outcome.completeness["draft"]),
                **outcome.completeness,
            },
            indent=1,
        ),
    )
    if render:
        render_site(outcome, out, paths.site, current, plan.formats, engine, plan.params, log)
    write_manifest(outcome, out, plan.params, plan.data, engine, plan.formats, paths)
    if revised := revise(plan.params.quarter, paths.root, paths.build, paths.site, replace):
        log.line(revised, always=True)  # a final quarter: v1 as sent, never written over
    log.summary(outcome, out, paths)


def _overall(plans: list[QuarterPlan], log: BuildLog) -> str:
    """The one line over every quarter of a many-quarter build (shown even when quiet)."""
    results = [result for plan in plans for result in plan.outcome.results]
    counts = {word: sum(r.outcome == word for r in results) for word in (BUILT, UP_TO_DATE, FAILED)}
    failed = [plan.label.strip() for plan in plans if plan.outcome.exit_status]
    projects = len({plan.paths.root for plan in plans})
    text = f"All {len(plans)} quarters" + (f" of {projects} projects" if projects > 1 else "")
    text += ": " + ", ".join(f"{n} {word}" for word, n in counts.items() if n or word == BUILT)
    text += f"; failed in {', '.join(failed)}" if failed else ""
    log.line(text, always=True)
    return text + "\n"


def _named(plans: list[QuarterPlan]) -> str:
    """QPR_QUARTER of a many-quarter build: its first and last quarter."""
    quarters = sorted({plan.params.quarter for plan in plans})
    return f"{quarters[0]}..{quarters[-1]}"


__all__ = [  # the names qprlib.build has always offered (tests, scripts, qprlib.status)
    "ASSESSMENT_FILE", "BUILT", "DEFAULT_FORMATS", "EXIT_OK", "EXIT_REPORT_FAILED", "FAILED",
    "FORMATS", "KERNEL", "NOT_STAMPED", "PARTIAL_DIR", "UP_TO_DATE", "BuildLog", "Outcome",
    "Paths", "RenderOutcome", "Run", "RunOutcome", "RunResult", "assess_quarter",
    "assessment_key", "build", "build_lock", "check_kernel", "check_quarter",
    "choose_directorates", "choose_formats", "current_reports", "declared_parameters",
    "engine_used", "execute", "execute_run", "failing_cell", "fill_front_matter", "front_matter",
    "known_directorates",
    "load_data", "plan_assessment", "plan_runs", "portable", "read_stamp", "render_key",
    "render_site", "share_assessment", "skip", "slugify", "up_to_date", "warn_commentary",
    "write_assessment",
    "write_manifest", "write_params_file", "write_stamp",
]  # fmt: skip
