"""Execute planned runs with papermill, in worker processes, and record how each one went.

A run writes into `build/<slug>/.partial/` and is renamed into place only when it succeeds;
a failed run is kept as `<report>.failed.ipynb` with papermill's error cell, and the failing
cell and error are returned for the log and manifest. Workers exit when the build's process
is gone (a killed build leaves no orphan writing into build/).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import replace
from pathlib import Path

import yaml

from qprlib.atomic import write_atomic
from qprlib.errors import QprError
from qprlib.pipeline.notebooks import ERROR_CELL_TAG
from qprlib.pipeline.outcome import BUILT, FAILED, UP_TO_DATE, RunResult
from qprlib.pipeline.plan import Run, fill_front_matter, portable
from qprlib.pipeline.stamps import KERNEL, write_stamp

PARTIAL_DIR = ".partial"  # runs in progress; renamed into place only on success
INJECTED_TAG = "injected-parameters"
KERNEL_NOISE = (  # harmless kernel chatter (tooling.md §2.5), kept out of the log
    "Kernel is running over TCP without encryption",
    "KeyboardInterrupt caught in kernel",
)
KERNEL_START_RACE = ("Address already in use", "Kernel didn't respond", "Kernel died before")


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


def skip(run: Run, log) -> RunResult:
    """An up-to-date run: not executed; a failed notebook left by an earlier run goes."""
    run.sibling(".failed.ipynb").unlink(missing_ok=True)  # superseded by the good notebook
    log.line(f"up to date  {run.report}")
    return RunResult(run.report, UP_TO_DATE)


def clear_partial(out: Path) -> None:
    """Remove the runs in progress a killed build left in `out/.partial/`."""
    shutil.rmtree(out / PARTIAL_DIR, ignore_errors=True)


def execute(runs: list[Run], jobs: int, log) -> list[RunResult]:
    """Run each notebook in a worker process, `jobs` at a time; stamp each success."""
    return [result for _, result in execute_runs(runs, jobs, log)]


def execute_runs(runs: list[Run], jobs: int, log, executor=None) -> list[tuple[Run, RunResult]]:
    """`execute`, each result with its run, in the order they finished.

    `runs` may come from many quarters (and projects): one pool and one progress display
    for them all. `log` is a BuildLog, or anything with `for_run(run)` giving the BuildLog a
    run's lines go to (pipeline.log.CombinedLog) plus the progress methods. `executor`: a
    concurrent.futures executor to submit to (pipeline.executors: a Dask cluster's); None
    starts today's process pool of `jobs` workers, which also announce each run as it starts.
    """
    if not runs:
        return []
    log_of = getattr(log, "for_run", lambda run: log)
    by_output = {str(run.output): run for run in runs}
    context = multiprocessing.get_context("spawn")  # no kernel state shared by fork
    events = context.Queue() if executor is None else None
    results = []
    log.start_progress(len(runs))
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(
                ProcessPoolExecutor(
                    min(jobs, len(runs)),
                    mp_context=context,
                    initializer=_worker_init,
                    initargs=(events, os.getpid()),
                )
            )
        pending = {executor.submit(execute_run, run): run for run in runs}
        try:
            while pending:
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(events, by_output, log_of)
                for future in done:
                    run = pending.pop(future)
                    result = _result_of(future, run)
                    if result.outcome == BUILT:
                        write_stamp(run, result)
                    log_of(run).finished(result)
                    results.append((run, result))
        except BaseException:
            for future in pending:
                future.cancel()
            if isinstance(executor, ProcessPoolExecutor):
                executor.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            _drain(events, by_output, log_of)
            log.stop_progress()
    for out in dict.fromkeys(run.output.parent for run in runs):
        clear_partial(out)
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
    write_atomic(run.sibling(".params.yml"), header + body)


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


def _drain(events, by_output: dict, log_of) -> None:
    if events is None:  # a Dask cluster's workers do not announce their runs
        return
    with contextlib.suppress(Exception):
        while not events.empty():
            run = by_output[events.get_nowait()]
            log_of(run).started(run.report)


def execute_run(run: Run) -> RunResult:
    """Execute one run with papermill (in a worker); never raises, reports what went wrong."""
    if _EVENTS is not None:
        _EVENTS.put(str(run.output))  # the output names the run across quarters
    clock = time.monotonic()
    partial = run.output.parent / PARTIAL_DIR / run.output.name
    partial.parent.mkdir(parents=True, exist_ok=True)
    with _captured_output() as captured:
        error = _execute_with_retry(run, partial)
        if error is None:
            _keep(partial, run, run.output)
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


def _keep(partial: Path, run: Run, target: Path) -> None:
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
        _keep(partial, run, run.sibling(".failed.ipynb"))
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
