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
from pathlib import Path

from qprlib import provenance
from qprlib.atomic import write_atomic
from qprlib.completeness import COMPLETENESS_FILE, check_complete, completeness, draft_notice
from qprlib.errors import QprError
from qprlib.final import revise
from qprlib.names import slugify
from qprlib.params import check_meeting_date, load_params, resolve_quarter, where_set
from qprlib.pipeline.engines import choose_engine
from qprlib.pipeline.execute import (
    PARTIAL_DIR,
    check_kernel,
    clear_partial,
    execute,
    execute_run,
    failing_cell,
    skip,
    write_params_file,
)
from qprlib.pipeline.kpis import (
    assess_quarter,
    plan_assessment,
    share_assessment,
    warn_commentary,
    write_assessment,
)
from qprlib.pipeline.lock import build_lock
from qprlib.pipeline.log import BuildLog
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
    """
    from qprlib import notify

    notifier = notify.Notifier(on_success, on_failure)
    try:
        paths = Paths.at(root, notebooks=notebooks_dir, build=build_dir, site=site_dir)
        return _build(
            quarter, directorates, formats, jobs, engine, force, data_dir, paths,
            render=render, interactive=interactive, quiet=quiet, notifier=notifier, draft=draft,
            replace=replace,
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


def _build(quarter, directorates, formats, jobs, engine, force, data_dir, paths, *,
           render, interactive, quiet, notifier, draft=False, replace=False) -> int:  # fmt: skip
    """The recipe: every check first (exit 2, nothing written), then run, render, record."""
    started = provenance.utc_now()
    params = load_params(resolve_quarter(quarter, paths.params), paths.params)
    data = load_data(under_root(Path(data_dir), paths.root), params)
    check_quarter(data, params.quarter)
    check_meeting_date(params)  # empty (new-quarter) or an earlier quarter's: not for Cabinet
    complete = completeness(data, params.quarter)
    if not draft:  # below the setting: refused, listing what is missing (exit 2)
        check_complete(complete, params.completeness, where_set(params.sources, "completeness"))
    if render and engine == "quarto":
        choose_engine(engine)  # quarto asked for but not installed: stop before running anything
    names = choose_directorates(
        data, directorates or params.directorates, bool(directorates), params.sources
    )
    out = paths.build / params.quarter.slug
    notice = draft_notice(complete) if draft else ""
    runs = plan_runs(params, names, not directorates, data, paths, out, started, draft=notice)
    kpis_key, assessment = plan_assessment(params, data, out, force)
    outcome = Outcome(params.quarter, started)
    outcome.completeness = complete.as_dict() | {"required": params.completeness, "draft": draft}
    interactive = sys.stdout.isatty() if interactive is None else interactive
    if any(force or not up_to_date(run) for run in runs):
        check_kernel()  # no kernel, no report: say so before anything is written
    with build_lock(paths.build), BuildLog(out / "build.log", interactive, quiet) as log:
        log.line(f"Building {params.quarter} ({len(runs)} reports) from {data.source}")
        formats = choose_formats(formats, out, log)
        clear_partial(out)  # left by a killed build
        outcome.kpis, outcome.kpis_error = write_assessment(assessment, kpis_key, out, log)
        warn_commentary(assessment, out, params.quarter, log)
        stale = [run for run in runs if force or not up_to_date(run)]
        share_assessment(stale, assessment, kpis_key, data, params, out, log)
        outcome.results = [skip(run, log) for run in runs if run not in stale]
        outcome.results += execute(stale, jobs or os.cpu_count() or 1, log)
        current = current_reports(outcome.results, runs, out, partial=bool(directorates))
        write_atomic(  # the index page says how complete each quarter is
            out / COMPLETENESS_FILE,
            json.dumps({"words": complete.site_words(draft), **outcome.completeness}, indent=1),
        )
        if render:
            render_site(outcome, out, paths.site, current, formats, engine, params, log)
        write_manifest(outcome, out, params, data, engine, formats, paths)
        if revised := revise(params.quarter, paths.root, paths.build, paths.site, replace):
            log.line(revised, always=True)  # a final quarter: v1 as sent, never written over
        log.summary(outcome, out, paths)
        notifier.finished(str(params.quarter), outcome.exit_status, log.summary_text(), log)
    return outcome.exit_status


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
