"""`qpr build`: one papermill run per report, in parallel, then render and publish.

The recipe (`build`): check the params, load the data, plan the runs, skip those that are up
to date, execute the rest in worker processes, render the site, write the manifest.

Everything for a quarter goes in `build/<quarter-slug>/`:

    <report>.ipynb          the executed notebook (replaced only by a successful run)
    <report>.failed.ipynb   the last failed run, papermill's red error cell first
    <report>.params.yml     the parameters passed: `papermill <nb> out.ipynb -f <this>` repeats it
    <report>.stamp.json     what the last successful run was made from (incremental builds)
    kpis.csv                the quarter's assessment (open data)
    manifest.json           the latest build: times, outcome per report, versions, commit, data
    build.log               timestamped log of every build of the quarter (appended)

A run is up to date when its notebook file, its parameters (less `run_time` and `git_commit`:
a commit that changes neither the notebook nor qprlib nor the data changes no number), the
front matter, the data hash and the qprlib source hash all match its stamp.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
import unicodedata
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from qprlib import papers, provenance
from qprlib.errors import ParamsError, QprError
from qprlib.params import (
    RunParams,
    check_meeting_date,
    find_project_root,
    load_params,
    resolve_quarter,
)
from qprlib.periods import Quarter

EXIT_OK, EXIT_REPORT_FAILED = 0, 1  # as qprlib.cli; 2 is any QprError, raised to the CLI
CORPORATE_REPORTS = ("cover", "qpr")
DIRECTORATE_NOTEBOOK = "directorate"
KERNEL = "python3"  # resolves to this environment's Python without kernel registration
BUILT, UP_TO_DATE, FAILED = "built", "up to date", "failed"
NOT_STAMPED = ("run_time", "git_commit")  # provenance only: never a reason to re-run
PARTIAL_DIR = ".partial"  # runs in progress; renamed into place only on success
ERROR_CELL_TAG = "papermill-error-cell-tag"
INJECTED_TAG = "injected-parameters"
KERNEL_NOISE = (  # harmless kernel chatter (tooling.md §2.5), kept out of the log
    "Kernel is running over TCP without encryption",
    "KeyboardInterrupt caught in kernel",
)
KERNEL_START_RACE = ("Address already in use", "Kernel didn't respond", "Kernel died before")
SLUG_MAX = 60
ASSESSMENT_FILE = "assessment.json"  # both quarters' assessment, for notebooks' assessment_path
FORMATS = ("html", "pdf", "docx")  # as qprlib.render
DEFAULT_FORMATS = ("html", "pdf")  # a quarter's first build, unless --to says otherwise


@dataclass(frozen=True)
class Paths:
    """Where a build reads and writes; each defaults to a folder of the project root."""

    root: Path
    notebooks: Path
    params: Path
    build: Path
    site: Path

    @classmethod
    def at(
        cls,
        root: Path | None = None,
        notebooks: Path | None = None,
        params: Path | None = None,
        build: Path | None = None,
        site: Path | None = None,
    ) -> Paths:
        """The project's paths, found from the working folder unless `root` is given."""
        root = Path(root).resolve() if root else find_project_root()
        return cls(
            root=root,
            notebooks=Path(notebooks or root / "notebooks").resolve(),
            params=Path(params or root / "params").resolve(),
            build=Path(build or root / "build").resolve(),
            site=Path(site or root / "_site").resolve(),
        )


@dataclass(frozen=True)
class Run:
    """One papermill run: a template notebook, its parameters and where the result goes."""

    report: str  # cover | qpr | directorate-<slug>
    template: Path
    output: Path  # build/<slug>/<report>.ipynb
    parameters: dict[str, Any]  # only those the notebook declares
    front_matter: dict[str, str]
    timeout: int
    cwd: Path  # the project root: the parameters' relative paths start there
    notebook_sha: str
    declared: tuple[str, ...]
    inputs: dict[str, Any]  # everything the stamp key is made from

    @property
    def key(self) -> str:
        """A hash of the run's inputs: equal keys, equal notebook."""
        return provenance.text_hash(json.dumps(self.inputs, sort_keys=True, default=str))

    def sibling(self, suffix: str) -> Path:
        """`build/<slug>/<report><suffix>`, e.g. '.params.yml'."""
        return self.output.with_name(f"{self.report}{suffix}")


@dataclass(frozen=True)
class RunResult:
    """How one run went; `cell` and `error` say where and why a failed run stopped."""

    report: str
    outcome: str  # built | up to date | failed
    seconds: float = 0.0
    cell: str = ""  # e.g. 'cell 4 (In [3]) "plot_history(table)"'
    error: str = ""  # ename: evalue
    log: tuple[str, ...] = ()  # the kernel's own stderr, noise removed


@dataclass
class Outcome:
    """The whole build, for the summary and manifest."""

    quarter: Quarter
    started: str
    results: list[RunResult] = field(default_factory=list)
    kpis: str = ""  # written | up to date | failed: ...
    render: str = "not requested"  # rendered | up to date | unavailable | skipped | failed
    render_failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.outcome == FAILED]

    @property
    def exit_status(self) -> int:
        broken = self.failed or self.render_failures or self.kpis.startswith(FAILED)
        return EXIT_REPORT_FAILED if broken else EXIT_OK


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
) -> int:
    """Build a quarter's reports; exit status 0, or 1 when a report or the render failed.

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
            render=render, interactive=interactive, quiet=quiet, notifier=notifier,
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


def _build(
    quarter: str | None,
    directorates: Sequence[str],
    formats: Sequence[str] | None,
    jobs: int | None,
    engine: str,
    force: bool,
    data_dir: Path,
    paths: Paths,
    *,
    render: bool,
    interactive: bool | None,
    quiet: bool,
    notifier,
) -> int:
    started = provenance.utc_now()
    params = load_params(resolve_quarter(quarter, paths.params), paths.params)
    data = load_data(_under_root(Path(data_dir), paths.root), params)
    check_quarter(data, params.quarter)
    check_meeting_date(params)  # empty (new-quarter) or an earlier quarter's: not for Cabinet
    if render and engine == "quarto":
        check_engine(engine)  # quarto asked for but not installed: stop before running anything
    names = choose_directorates(
        data, directorates or params.directorates, bool(directorates), params.sources
    )
    out = paths.build / params.quarter.slug
    runs = plan_runs(params, names, not directorates, data, paths, out, started)
    kpis_key, assessment = plan_assessment(params, data, out, force)
    outcome = Outcome(params.quarter, started)
    if interactive is None:
        interactive = sys.stdout.isatty()
    if any(force or not up_to_date(run) for run in runs):
        check_kernel()  # no kernel, no report: say so before anything is written
    with build_lock(paths.build), BuildLog(out / "build.log", interactive, quiet) as log:
        log.line(f"Building {params.quarter} ({len(runs)} reports) from {data.source}")
        formats = choose_formats(formats, out, log)
        shutil.rmtree(out / PARTIAL_DIR, ignore_errors=True)  # left by a killed build
        outcome.kpis = write_assessment(assessment, kpis_key, out, log)
        stale = [run for run in runs if force or not up_to_date(run)]
        share_assessment(stale, assessment, kpis_key, data, params, out, log)
        outcome.results = [skipped(run, log) for run in runs if run not in stale]
        outcome.results += execute(stale, jobs or os.cpu_count() or 1, log)
        current = current_reports(outcome, runs, out, partial=bool(directorates))
        if render:
            render_site(outcome, out, paths.site, current, formats, engine, params, log)
        write_manifest(outcome, out, params, data, engine, formats, paths)
        log.summary(outcome, out, paths)
        notifier.finished(str(params.quarter), outcome.exit_status, log.summary_text(), log)
    return outcome.exit_status


def choose_formats(formats: Sequence[str] | None, out: Path, log: BuildLog) -> tuple[str, ...]:
    """The formats to render: those asked for, else those last published for the quarter.

    A plain `qpr build` after `make report` (which adds the Word cover) keeps the Word cover;
    an explicit --to that leaves out a published format says so in the log.
    """
    manifest = read_stamp(out / "manifest.json")
    published = manifest.get("published_formats", manifest.get("formats"))
    published = tuple(f for f in published if f in FORMATS) if isinstance(published, list) else ()
    if formats is None:
        chosen = published or DEFAULT_FORMATS
        if published:
            log.line(f"formats     {', '.join(chosen)} (as last published; --to to change)")
        return chosen
    dropped = [f for f in published if f not in formats]
    if dropped:
        log.line(f"formats     {', '.join(formats)}: no longer publishing {', '.join(dropped)}")
    return tuple(formats)


# --- inputs: data, directorates, engine


def load_data(data_dir: Path, params: RunParams | None = None):
    """The validated data (`qprlib.io.load`); bad data raises DataError before anything runs.
    With `params`, comparators.csv is checked against its area_code and comparator_groups."""
    from qprlib import io

    if params is None:
        return io.load(Path(data_dir))
    return io.load(
        Path(data_dir),
        area_code=params.area_code,
        comparator_groups=params.groups(),
        params_where=params.where(),
    )


def check_quarter(data, quarter: Quarter) -> None:
    """Stop (exit 2) unless the data can report the quarter: it has ended, some KPI has a
    target for its year and the quarter has figures (`qprlib.io.check_quarter`)."""
    from qprlib import io

    io.check_quarter(data, quarter)


def _under_root(folder: Path, root: Path) -> Path:
    """A relative --data folder missing from the working folder is taken from the project."""
    return folder if folder.is_absolute() or folder.exists() else root / folder


def check_kernel() -> None:
    """Raise (exit 2) when the Jupyter kernel the notebooks run on is not installed."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        raise QprError(
            f"Jupyter kernel '{KERNEL}' not found for {sys.executable}, so no notebook can run; "
            "install ipykernel in this environment (`make setup`, or `python -m pip install "
            "ipykernel`), then build again"
        ) from None


def check_engine(engine: str) -> None:
    """Raise (exit 2) when the chosen renderer cannot run (qprlib.render.choose_engine)."""
    if importlib.util.find_spec("qprlib.render") is not None:
        from qprlib import render

        if hasattr(render, "choose_engine"):
            render.choose_engine(engine)


def slugify(name: str) -> str:
    """A directorate name as a safe file name: 'Adults & Health' -> 'adults-health'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = ascii_name.lower().replace("'", "")  # "Executive's" -> "executives"
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:SLUG_MAX].strip("-")


def choose_directorates(
    data, wanted: Sequence[str], from_command_line: bool, sources: Sequence[Path] = ()
) -> list[str]:
    """The directorates to build: `wanted` (checked against the data) or all, in file order.
    `sources` are the params files read (defaults first), to name the one that set them."""
    known = list(dict.fromkeys(data.indicators["directorate"].dropna().astype(str)))
    where = "--directorate" if from_command_line else f"{_setting_file(sources)}key 'directorates'"
    by_lower = {name.lower(): name for name in known}
    chosen, problems = [], []
    for name in wanted:
        match = by_lower.get(name.strip().lower())
        if match is None:
            problems.append(
                f"{where}: '{name}' is not a directorate in indicators.csv; "
                f"expected one of: {', '.join(known)}"
            )
        elif match not in chosen:
            chosen.append(match)
    chosen = chosen if wanted else known
    slugs: dict[str, str] = {}
    for name in chosen:
        slug = slugify(name)
        if not slug:
            problems.append(
                f"indicators.csv, column 'directorate': '{name}' has no letters or digits "
                "to name its report file with; rename it"
            )
        elif slug in slugs:
            problems.append(
                f"indicators.csv, column 'directorate': '{name}' and '{slugs[slug]}' would "
                f"share the report file directorate-{slug}; make the names differ in letters"
            )
        slugs[slug] = name
    if problems:
        raise ParamsError(problems)
    return chosen


def _setting_file(sources: Sequence[Path], key: str = "directorates") -> str:
    """'params/2023-24-q2.yml, ' for the last params file that sets `key`, else 'params, '."""
    for source in reversed(sources):
        try:
            lines = Path(source).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, start=1):
            if line.startswith(f"{key}:"):
                return f"{_shown(Path(source))}, line {number}, "
    return "params, "


# --- planning


def plan_runs(
    params: RunParams,
    directorates: Sequence[str],
    corporate: bool,
    data,
    paths: Paths,
    out: Path,
    run_time: str,
) -> list[Run]:
    """One Run per report: cover and qpr (when `corporate`), then one per directorate."""
    notebooks = {"cover": papers.cover_notebook(params)}  # seed 001 or seed 004's cover
    planned = [(r, notebooks.get(r, r), "") for r in CORPORATE_REPORTS if corporate]
    planned += [(f"directorate-{slugify(d)}", DIRECTORATE_NOTEBOOK, d) for d in directorates]
    missing = sorted(
        {nb for _, nb, _ in planned if not (paths.notebooks / f"{nb}.ipynb").is_file()}
    )
    if missing:
        raise QprError(
            [f"{paths.notebooks / nb}.ipynb: report notebook not found" for nb in missing]
        )
    values = params.notebook_values() | {  # paths as the kernel sees them, from the root
        "data_dir": portable(Path(data.source), paths.root),
        "git_commit": provenance.git_commit(paths.root),
        "data_hash": data.data_hash,
        "run_time": run_time,
        "assessment_path": portable(out / ASSESSMENT_FILE, paths.root),
    }
    library = provenance.source_hash()
    known = declared_cache(out)
    runs = []
    for report, notebook, directorate in planned:
        template = paths.notebooks / f"{notebook}.ipynb"
        sha = provenance.file_hash(template)
        declared = known.get(sha) or declared_parameters(template)
        known[sha] = declared
        offered = values | {"directorate": directorate}
        if directorate:  # the dashboard's own committee, date, From, contacts (seed 003)
            offered |= params.dashboard_values(directorate)
        parameters = {name: offered[name] for name in declared if name in offered}
        front = front_matter(report, params, directorate, known_directorates(data))
        stamped = {k: v for k, v in parameters.items() if k not in NOT_STAMPED}
        inputs = {
            "notebook": sha,
            "parameters": stamped,
            "front_matter": front,
            "data_hash": data.data_hash,
            "qprlib": library,
            "kernel": KERNEL,
        }
        runs.append(
            Run(report, template, out / f"{report}.ipynb", parameters, front,
                params.execution_timeout, paths.root, sha, declared, inputs)
        )  # fmt: skip
    return runs


def portable(path: Path, root: Path) -> str:
    """`path` relative to the project root (where kernels run) when inside it, else absolute.

    So `<report>.params.yml` works from any copy of the project: `papermill
    notebooks/qpr.ipynb out.ipynb -f build/<slug>/qpr.params.yml` run in the project root.
    """
    path = Path(path).resolve()
    try:
        return path.relative_to(Path(root).resolve()).as_posix() or "."
    except ValueError:
        return str(path)


def declared_cache(out: Path) -> dict[str, tuple[str, ...]]:
    """Parameters declared by notebooks seen before (by file hash), read from their stamps."""
    known = {}
    for stamp in out.glob("*.stamp.json"):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            content = json.loads(stamp.read_text(encoding="utf-8"))
            known[content["notebook_sha256"]] = tuple(content["declared"])
    return known


def declared_parameters(template: Path) -> tuple[str, ...]:
    """The names assigned in the notebook's `parameters` cell, in order.

    Read with `ast` (importing papermill for its inspect_notebook took ~1.3 s of every cold
    build); a cell that is not plain Python is left to papermill.inspect_notebook.
    """
    nb = json.loads(template.read_text(encoding="utf-8"))
    cells = [
        c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not cells:
        return ()
    source = cells[0].get("source", "")
    try:
        tree = ast.parse(source if isinstance(source, str) else "".join(source))
    except SyntaxError:
        import papermill

        return tuple(papermill.inspect_notebook(str(template)))
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", 0)]
        names += [target.id for target in targets if isinstance(target, ast.Name)]
    return tuple(dict.fromkeys(names))


def known_directorates(data) -> list[str]:
    """Every directorate in indicators.csv, in file order."""
    return list(dict.fromkeys(data.indicators["directorate"].dropna().astype(str)))


def front_matter(
    report: str, params: RunParams, directorate: str, directorates: Sequence[str] = ()
) -> dict[str, str]:
    """Title, subtitle, date, author and language for a report's front-matter cell."""
    return papers.front_matter(report, params, directorate, directorates)


def fill_front_matter(nb, fields: dict[str, str]):
    """A copy of `nb` whose first raw cell is YAML front matter updated with `fields`.

    Written with yaml.safe_dump, so a title containing quotes, colons or newlines stays text.
    """
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    first = nb.cells[0] if nb.cells else None
    current: dict = {}
    if first is not None and first.cell_type == "raw" and first.source.lstrip().startswith("---"):
        body = first.source.strip().removeprefix("---").removesuffix("---")
        loaded = yaml.safe_load(body) if body.strip() else {}
        current = loaded if isinstance(loaded, dict) else {}
    else:
        first = nbformat.v4.new_raw_cell("")
        nb.cells.insert(0, first)
    merged = fields | {key: value for key, value in current.items() if key not in fields}
    first.source = "---\n" + yaml.safe_dump(merged, sort_keys=False, allow_unicode=True) + "---"
    return nb


# --- incremental builds


def up_to_date(run: Run) -> bool:
    """True when the last successful run had the same inputs and its notebook is still there."""
    return run.output.is_file() and read_stamp(run.sibling(".stamp.json")).get("key") == run.key


def read_stamp(path: Path) -> dict:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def write_stamp(run: Run, result: RunResult) -> None:
    content = {
        "key": run.key,
        "notebook_sha256": run.notebook_sha,
        "declared": list(run.declared),
        "built": provenance.utc_now(),
        "seconds": round(result.seconds, 1),
        "inputs": run.inputs,
    }
    write_text_atomic(run.sibling(".stamp.json"), json.dumps(content, indent=1, default=str))


def skipped(run: Run, log: BuildLog) -> RunResult:
    run.sibling(".failed.ipynb").unlink(missing_ok=True)  # superseded by the good notebook
    log.line(f"up to date  {run.report}")
    return RunResult(run.report, UP_TO_DATE)


def write_text_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{time.monotonic_ns()}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8") as stream:  # usual permissions (umask)
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- the assessment (kpis.csv)


def plan_assessment(params: RunParams, data, out: Path, force: bool):
    """(stamp key, assessment table or None when kpis.csv is up to date).

    Computed before anything is written, so a quarter the data cannot assess stops the build.
    """
    key = assessment_key(params, data)
    stamp = read_stamp(out / "kpis.stamp.json")
    if not force and stamp.get("key") == key and (out / "kpis.csv").is_file():
        return key, None
    try:
        return key, assess_quarter(data, params)
    except QprError:
        raise
    except Exception as error:  # a library fault: report it, still build the notebooks
        return key, error


def assessment_key(params: RunParams, data) -> str:
    """What kpis.csv (and assessment.json) are made from: settings, data and qprlib."""
    inputs = [params.notebook_values(), data.data_hash, provenance.source_hash()]
    return provenance.text_hash(json.dumps(inputs, default=str))


def assess_quarter(data, params: RunParams):
    """The quarter's assessment table (`qprlib.assess.assess` with the params' settings)."""
    from qprlib.assess import assess

    return assess(data, params.quarter, params.assess_settings())


def write_assessment(assessment, key: str, out: Path, log: BuildLog) -> str:
    """Write build/<slug>/kpis.csv (atomically) unless it is up to date."""
    if assessment is None:
        log.line("up to date  kpis.csv")
        return UP_TO_DATE
    if isinstance(assessment, Exception):
        log.error(f"FAILED kpis.csv: {type(assessment).__name__}: {assessment}")
        log.detail("".join(traceback.format_exception(assessment)))
        return f"{FAILED}: {type(assessment).__name__}: {assessment}"
    from qprlib import io
    from qprlib.tables import csv_safe

    target = out / "kpis.csv"
    assessment = csv_safe(assessment)  # open data: no cell a spreadsheet would run as a formula
    writer = getattr(io, "write_csv_atomic", None)
    if writer is not None:
        writer(assessment, target)
    else:
        write_text_atomic(target, assessment.to_csv(index=False))
    write_text_atomic(out / "kpis.stamp.json", json.dumps({"key": key}))
    log.line(f"written     kpis.csv ({len(assessment)} indicators)")
    return "written"


def share_assessment(runs, assessment, key: str, data, params: RunParams, out: Path, log) -> None:
    """build/<slug>/assessment.json: the quarter's and the previous quarter's assessment, made
    once for the runs whose notebook declares `assessment_path` instead of once per notebook.

    Notebooks use it only when made from their own inputs (qprlib.report.assessed); if it
    cannot be made it is removed and each notebook assesses the data itself.
    """
    if not any("assessment_path" in run.declared for run in runs):
        return
    target, stamp = out / ASSESSMENT_FILE, out / "assessment.stamp.json"
    if read_stamp(stamp).get("key") == key and target.is_file():
        return
    from qprlib import io
    from qprlib.assess import assess, made_from

    try:
        settings = params.assess_settings()
        done = assessment is not None and not isinstance(assessment, Exception)
        current = assessment if done else assess_quarter(data, params)
        previous = assess(data, params.quarter.previous(), settings)
        header = made_from(data, params.quarter, settings, provenance.source_hash())
        io.write_frames_json(target, {"current": current, "previous": previous}, header)
    except Exception as error:  # the notebooks will meet (and report) the same problem
        target.unlink(missing_ok=True)
        stamp.unlink(missing_ok=True)
        log.line(f"not written {ASSESSMENT_FILE}: {type(error).__name__}: {error}")
        return
    write_text_atomic(stamp, json.dumps({"key": key}))
    log.line(f"written     {ASSESSMENT_FILE} (this quarter and the previous one)")


# --- execution


def execute(runs: list[Run], jobs: int, log: BuildLog) -> list[RunResult]:
    """Run each notebook in a worker process, `jobs` at a time; stamp each success."""
    if not runs:
        return []
    context = multiprocessing.get_context("spawn")  # no kernel state shared by fork
    events = context.Queue()
    results = []
    log.start_progress(len(runs))
    with ProcessPoolExecutor(
        min(jobs, len(runs)),
        mp_context=context,
        initializer=_worker_init,
        initargs=(events, os.getpid()),
    ) as pool:
        pending = {pool.submit(execute_run, run): run for run in runs}
        try:
            while pending:
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(events, log)
                for future in done:
                    run = pending.pop(future)
                    result = _result_of(future, run)
                    if result.outcome == BUILT:
                        write_stamp(run, result)
                    log.finished(result)
                    results.append(result)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            _drain(events, log)
            log.stop_progress()
    shutil.rmtree(runs[0].output.parent / PARTIAL_DIR, ignore_errors=True)
    return results


def write_params_file(run: Run) -> None:
    """`<report>.params.yml`: exactly the parameters passed, for `papermill -f`."""
    template = portable(run.template, run.cwd)
    params_file = portable(run.sibling(".params.yml"), run.cwd)
    header = (
        f"# The parameters `qpr build` passed to {run.report}. To repeat the run, in the\n"
        f"# project folder (paths below are relative to it):\n"
        f"#   papermill {template} out.ipynb -f {params_file} -k {KERNEL}\n"
    )
    body = yaml.safe_dump(run.parameters, sort_keys=False, allow_unicode=True)
    write_text_atomic(run.sibling(".params.yml"), header + body)


def _result_of(future, run: Run) -> RunResult:
    try:
        return future.result()
    except Exception as error:  # the worker process itself died
        return RunResult(run.report, FAILED, error=f"{type(error).__name__}: {error}")


_EVENTS = None  # the queue a worker announces runs on (set in each worker process)


def _worker_init(events, build_pid: int | None = None) -> None:
    global _EVENTS
    _EVENTS = events
    if build_pid is not None:
        threading.Thread(target=_exit_with, args=(build_pid,), daemon=True).start()


def _exit_with(build_pid: int) -> None:
    """End this worker soon after `qpr build` dies (kill -9): an orphan could otherwise write
    into build/ under the next build's lock. Its kernel watches it and stops too."""
    while os.getppid() == build_pid:
        time.sleep(0.5)
    os._exit(1)


def _drain(events, log: BuildLog) -> None:
    with contextlib.suppress(Exception):
        while not events.empty():
            log.started(events.get_nowait())


def execute_run(run: Run) -> RunResult:
    """Execute one run with papermill (in a worker); never raises, reports what went wrong."""
    if _EVENTS is not None:
        _EVENTS.put(run.report)
    clock = time.monotonic()
    partial = run.output.parent / PARTIAL_DIR / run.output.name
    partial.parent.mkdir(parents=True, exist_ok=True)
    with _captured_output() as captured:
        error = _execute_with_retry(run, partial)
        if error is None:
            _publish(partial, run, run.output)
            write_params_file(run)  # beside its notebook (a failed run's are in its metadata)
            run.sibling(".failed.ipynb").unlink(missing_ok=True)
            result = RunResult(run.report, BUILT, time.monotonic() - clock)
        else:
            cell, message = _describe_failure(run, partial, error)
            result = RunResult(run.report, FAILED, time.monotonic() - clock, cell, message)
        partial.unlink(missing_ok=True)
        return replace(result, log=captured.lines())


def _execute_with_retry(run: Run, partial: Path) -> BaseException | None:
    """None on success, else the error; a kernel start-up port clash is retried once."""
    for attempt in (1, 2):
        partial.unlink(missing_ok=True)
        try:
            _papermill(run, partial)
            return None
        except Exception as error:
            race = any(text in str(error) for text in KERNEL_START_RACE)
            race = race or type(error).__name__ == "ZMQError"
            if attempt == 2 or not race or _any_cell_ran(partial):
                return error
            print(f"kernel start failed ({error}); retrying once", file=sys.stderr)
    return None  # pragma: no cover - the loop always returns


def _papermill(run: Run, partial: Path) -> None:
    import nbformat
    import papermill

    template = nbformat.read(run.template, as_version=4)
    papermill.execute_notebook(
        fill_front_matter(template, run.front_matter),
        str(partial).replace("{", "{{").replace("}", "}}"),  # papermill formats output paths
        parameters=run.parameters,
        kernel_name=KERNEL,
        cwd=str(run.cwd),
        progress_bar=False,
        log_output=False,
        execution_timeout=run.timeout,
    )


def _any_cell_ran(partial: Path) -> bool:
    if not partial.is_file():
        return False
    content = json.loads(partial.read_text(encoding="utf-8"))
    return any(cell.get("execution_count") for cell in content.get("cells", []))


def _publish(partial: Path, run: Run, target: Path) -> None:
    """Record the template (not the in-memory copy) as the input, then rename into place."""
    import nbformat

    nb = nbformat.read(partial, as_version=4)
    record = nb.metadata.setdefault("papermill", {})
    record["input_path"] = str(run.template)
    record["output_path"] = str(target)
    nbformat.write(nb, partial)
    os.replace(partial, target)


def _describe_failure(run: Run, partial: Path, error: BaseException) -> tuple[str, str]:
    """(failing cell, 'ename: evalue'); saves the failed notebook as <report>.failed.ipynb."""
    message = f"{type(error).__name__}: {error}".strip()
    if hasattr(error, "ename"):  # PapermillExecutionError: the cell raised
        message = f"{error.ename}: {error.evalue}".rstrip(": ")
    if type(error).__name__ == "CellTimeoutError":
        message = (
            f"TimeoutError: a cell was still running after {run.timeout} s "
            "(the execution_timeout setting in params)"
        )
    if not partial.is_file():
        return "", message
    import nbformat

    try:
        nb = nbformat.read(partial, as_version=4)
        if type(error).__name__ == "CellTimeoutError":
            nb = _mark_timed_out_cell(nb, partial, message)
            nbformat.write(nb, partial)
        cell = failing_cell(nb)
        _publish(partial, run, run.sibling(".failed.ipynb"))
    except Exception as problem:  # an unreadable partial notebook must not hide the error
        print(f"could not save the failed notebook: {problem!r}", file=sys.stderr)
        return "", message
    return cell, message


def _mark_timed_out_cell(nb, partial: Path, message: str):
    """Give the cell that timed out an error output and papermill's error highlighting."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import raise_for_execution_errors

    started = [
        cell
        for cell in nb.cells
        if cell.cell_type == "code" and cell.metadata.get("papermill", {}).get("start_time")
    ]
    if not started:
        return nb
    cell = started[-1]  # cells run in order: the last one started is the one that hung
    ename, _, evalue = message.partition(": ")
    cell.setdefault("outputs", []).append(
        nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[message])
    )
    cell.metadata["papermill"] |= {"status": "failed", "exception": True}
    nb.metadata.setdefault("papermill", {})["exception"] = True
    with contextlib.suppress(PapermillExecutionError):
        raise_for_execution_errors(nb, str(partial).replace("{", "{{").replace("}", "}}"))
    return nbformat.read(partial, as_version=4)


def failing_cell(nb) -> str:
    """The first cell with an error, as 'cell N (In [k]) "first line"', N counted in the template.

    Papermill's injected-parameters and error-marker cells are not counted, so N is the
    cell's position as the analyst sees it in notebooks/<name>.ipynb.
    """
    number = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if ERROR_CELL_TAG in tags or INJECTED_TAG in tags:
            continue
        number += 1
        errored = any(out.get("output_type") == "error" for out in cell.get("outputs", []))
        if errored or cell.metadata.get("papermill", {}).get("exception"):
            lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
            first = lines[0] if lines else ""
            first = first if len(first) <= 70 else first[:67] + "..."
            return f'cell {number} (In [{cell.get("execution_count") or " "}]) "{first}"'
    return ""


class _Captured:
    def __init__(self, stream):
        self.stream = stream

    def lines(self) -> tuple[str, ...]:
        self.stream.seek(0)
        text = self.stream.read().decode("utf-8", "replace")
        return tuple(
            line
            for line in text.splitlines()
            if line.strip() and not any(noise in line for noise in KERNEL_NOISE)
        )


@contextlib.contextmanager
def _captured_output() -> Iterator[_Captured]:
    """Send this process's stdout/stderr (and the kernel's, which inherits them) to a file."""
    with tempfile.TemporaryFile() as stream:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(stream.fileno(), 1)
        os.dup2(stream.fileno(), 2)
        try:
            yield _Captured(stream)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


# --- rendering, manifest


def current_reports(outcome: Outcome, runs: list[Run], out: Path, partial: bool) -> list[str]:
    """Reports whose notebook matches this build's inputs: built now or up to date.

    A --directorate build also keeps the quarter's other built reports (not re-checked).
    """
    current = [r.report for r in outcome.results if r.outcome in (BUILT, UP_TO_DATE)]
    order = [run.report for run in runs]
    current.sort(key=order.index)
    if partial:
        planned = set(order)
        current += sorted(
            stamp.name.removesuffix(".stamp.json")
            for stamp in out.glob("*.stamp.json")
            if stamp.name != "kpis.stamp.json"
            and stamp.name.removesuffix(".stamp.json") not in planned
            and stamp.with_name(stamp.name.replace(".stamp.json", ".ipynb")).is_file()
        )
    return current


def render_site(
    outcome: Outcome,
    out: Path,
    site: Path,
    reports: list[str],
    formats: Sequence[str],
    engine: str,
    params: RunParams,
    log: BuildLog,
) -> None:
    """Render the current reports into `site` with qprlib.render (skipped when up to date)."""
    if importlib.util.find_spec("qprlib.render") is None:
        outcome.render = "unavailable"
        log.line("Rendering skipped: qprlib.render is not available in this checkout.")
        return
    if not reports:
        outcome.render = "skipped"
        log.line("Rendering skipped: no report was built.")
        return
    key = render_key(out, site, reports, formats, engine, params.council)
    stamp = out / "render.stamp.json"
    if read_stamp(stamp).get("key") == key and (site / out.name).is_dir():
        outcome.render = UP_TO_DATE
        log.line(f"up to date  site {site / out.name}")
        return
    from qprlib.render import OutputError, render_quarter

    log.line(f"rendering   {len(reports)} reports to {', '.join(formats)}")
    try:
        failures = render_quarter(out, site, list(reports), tuple(formats), engine, params.council)
    except OutputError:
        raise  # the site cannot be written at all: exit 2, the published site is unchanged
    except Exception as error:
        failures = [("site", f"{type(error).__name__}: {error}")]
        if not isinstance(error, QprError):
            log.detail("".join(traceback.format_exception(error)))
    outcome.render_failures = list(failures)
    outcome.render = FAILED if failures else "rendered"
    if failures:
        stamp.unlink(missing_ok=True)
        for report, message in failures:
            log.error(f"FAILED      render {report}: {message}")
    else:
        write_text_atomic(stamp, json.dumps({"key": key}))
        log.line(f"rendered    {site / out.name}")


def render_key(
    out: Path, site: Path, reports: Sequence[str], formats: Sequence[str], engine: str, council: str
) -> str:
    """What the published site of a quarter is made from (render.stamp.json holds the last)."""
    kpis = out / "kpis.csv"
    inputs = {
        "reports": {r: provenance.file_hash(out / f"{r}.ipynb") for r in reports},
        "kpis": provenance.file_hash(kpis) if kpis.is_file() else "",
        "formats": list(formats),
        "engine": engine,
        "quarto": shutil.which("quarto") if engine == "auto" else "",
        "council": council,
        "qprlib": provenance.source_hash(),
        "site": str(site),
    }
    return provenance.text_hash(json.dumps(inputs))


def write_manifest(
    outcome: Outcome,
    out: Path,
    params: RunParams,
    data,
    engine: str,
    formats: Sequence[str],
    paths: Paths,
) -> None:
    """build/<slug>/manifest.json: the latest build; reports not in it keep their last entry.

    `engine` and `published_formats` describe the site as last rendered: a build that did not
    render (render=False, nothing built) keeps the previous build's.
    """
    last = read_stamp(out / "manifest.json")
    previous = last.get("reports", {})
    reports = dict(previous) if isinstance(previous, dict) else {}
    finished = provenance.utc_now()
    for result in outcome.results:
        entry = {"outcome": result.outcome, "seconds": round(result.seconds, 1)}
        if result.outcome == FAILED:
            entry |= {"cell": result.cell, "error": result.error}
            entry["failed_notebook"] = f"{result.report}.failed.ipynb"
        entry["notebook"] = f"{result.report}.ipynb"
        entry["checked"] = finished
        reports[result.report] = entry
    rendered = outcome.render in ("rendered", UP_TO_DATE, FAILED)
    # An up-to-date site was rendered by the same engine (render_key holds it): reading it from
    # the last manifest spares a no-change rebuild importing qprlib.render (~0.5 s).
    same = last.get("engine") if outcome.render == UP_TO_DATE else None
    manifest = {
        "quarter": str(params.quarter),
        "started": outcome.started,
        "finished": finished,
        "exit_status": outcome.exit_status,
        "outcome": "success" if outcome.exit_status == EXIT_OK else FAILED,
        "engine": same or (engine_used(engine) if rendered else last.get("engine")),
        "engine_requested": engine,
        "formats": list(formats),
        "published_formats": list(formats) if rendered else last.get("published_formats"),
        "git_commit": provenance.git_commit(paths.root),
        "data_dir": str(Path(data.source).resolve()),
        "data_hash": data.data_hash,
        "qprlib_hash": provenance.source_hash(),
        "params_files": [str(p) for p in params.sources],
        "versions": provenance.versions(),
        "kpis": outcome.kpis,
        "render": {"outcome": outcome.render, "failures": outcome.render_failures},
        "reports": reports,
    }
    write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")


def engine_used(engine: str) -> str:
    """The renderer `engine` (auto, quarto, builtin) stands for here: quarto or builtin."""
    with contextlib.suppress(Exception):
        from qprlib.render import choose_engine

        return choose_engine(engine)
    return engine


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """One build at a time per project: a second one stops with a clear message."""
    build_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    with open(build_dir / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise QprError(
                f"{build_dir}: another `qpr build` is running in this project; "
                "wait for it to finish, then run this one again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- the log: progress bar on a terminal, timestamped lines otherwise; always build.log


class BuildLog:
    """Console and build.log output of one build.

    On a terminal: a progress bar and plain lines. Otherwise (cron, a pipe): no bar and no
    colour, one timestamped line per event, as in build.log. `quiet`: the console gets only
    the summary and errors; build.log always gets everything.
    """

    def __init__(self, path: Path, interactive: bool, quiet: bool = False):
        self.path, self.interactive, self.quiet = path, interactive, quiet
        self.file = None
        self.bar = None
        self.running: list[str] = []
        self.summary_lines: list[str] = []

    def __enter__(self) -> BuildLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in __exit__
        self.file.write("\n")
        return self

    def __exit__(self, *exc_info) -> None:
        if exc_info[0] is not None:
            self.line(f"Build stopped: {exc_info[0].__name__}: {exc_info[1]}", always=True)
        self.stop_progress()
        self.file.close()

    def line(self, text: str, *, always: bool = False) -> None:
        """One timestamped line in build.log and on the console (`always`: even when quiet)."""
        stamp = self.record(text)
        if self.quiet and not always:
            return
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
        elif self.interactive:
            print(text, flush=True)
        else:
            print(f"{stamp} {text}", flush=True)

    def record(self, text: str) -> str:
        """One timestamped line in build.log only; returns the timestamp."""
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
        self.file.write(f"{stamp} {text}\n")
        self.file.flush()
        return stamp

    def error(self, text: str) -> None:
        """A line that is shown even with --quiet."""
        self.line(text, always=True)

    def detail(self, text: str) -> None:
        """Detail for build.log only (tracebacks, kernel output)."""
        for part in text.rstrip().splitlines():
            self.file.write(f"    {part}\n")
        self.file.flush()

    def start_progress(self, total: int) -> None:
        if self.interactive and not self.quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="report", file=sys.stdout, dynamic_ncols=True)

    def stop_progress(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def started(self, report: str) -> None:
        self.running.append(report)
        if self.bar is not None:
            self.bar.set_postfix_str(", ".join(self.running), refresh=True)
            self.record(f"started     {report}")
        else:
            self.line(f"started     {report}")

    def finished(self, result: RunResult) -> None:
        with contextlib.suppress(ValueError):
            self.running.remove(result.report)
        if result.outcome == FAILED:
            self.error(f"FAILED      {result.report} ({result.seconds:.1f} s): {result.error}")
        else:
            self.line(f"built       {result.report} ({result.seconds:.1f} s)")
        if result.log:
            self.detail("\n".join(result.log))
        if self.bar is not None:
            self.bar.set_postfix_str(", ".join(self.running), refresh=False)
            self.bar.update(1)

    def summary(self, outcome: Outcome, out: Path, paths: Paths) -> None:
        """The summary: counts, each failure and where to look (shown even when quiet)."""
        counts = {
            word: sum(r.outcome == word for r in outcome.results)
            for word in (BUILT, UP_TO_DATE, FAILED)
        }
        lines = [
            f"{outcome.quarter}: "
            + ", ".join(f"{n} {word}" for word, n in counts.items() if n or word == BUILT)
        ]
        for result in outcome.failed:
            where = f" at {result.cell}" if result.cell else ""
            lines.append(f"  FAILED {result.report}{where}: {result.error}")
            failed = out / f"{result.report}.failed.ipynb"
            if failed.is_file():
                lines.append(f"    the error is highlighted in {_shown(failed)}")
        for report, message in outcome.render_failures:
            lines.append(f"  FAILED to render {report}: {message}")
        if outcome.kpis.startswith(FAILED):
            lines.append(f"  FAILED kpis.csv: {outcome.kpis.removeprefix(FAILED + ': ')}")
        lines.append(f"Executed notebooks and log: {_shown(out)}/")
        if outcome.render in ("rendered", UP_TO_DATE):
            lines.append(f"Site: {_shown(paths.site / out.name)}/")
        for text in lines:
            self.line(text, always=True)
        self.summary_lines += lines

    def summary_text(self) -> str:
        """The summary as plain lines (no timestamps), e.g. for a notification's stdin."""
        return "".join(f"{text}\n" for text in self.summary_lines)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
