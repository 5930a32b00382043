"""The build's log: a progress bar on a terminal, timestamped lines otherwise; always build.log."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime
from pathlib import Path

from qprlib.pipeline.outcome import BUILT, FAILED, UP_TO_DATE, Outcome, RenderOutcome, RunResult
from qprlib.pipeline.plan import Paths, shown


class BuildLog:
    """Console and build.log output of one build.

    On a terminal: a progress bar and plain lines. Otherwise (cron, a pipe): no bar and no
    colour, one timestamped line per event, as in build.log. `quiet`: the console gets only
    the summary and errors; build.log always gets everything.
    """

    def __init__(self, path: Path, interactive: bool, quiet: bool = False, label: str = ""):
        self.path, self.interactive, self.quiet = path, interactive, quiet
        self.label = label  # names the quarter (and project) of a run when a build has many
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
            self.record(f"started     {self.label}{report}")
        else:
            self.line(f"started     {self.label}{report}")

    def finished(self, result: RunResult) -> None:
        with contextlib.suppress(ValueError):
            self.running.remove(result.report)
        if result.outcome == FAILED:
            self.error(
                f"FAILED      {self.label}{result.report} ({result.seconds:.1f} s): {result.error}"
            )
        else:
            self.line(f"built       {self.label}{result.report} ({result.seconds:.1f} s)")
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
        built = [r.report for r in outcome.results if r.outcome == BUILT]
        if built and len(built) < len(outcome.results):  # which re-ran, when not all did
            lines.append(f"  built: {', '.join(built)}")
        done = outcome.completeness
        if done and (done.get("draft") or done.get("reported") != done.get("expected")):
            missing = done.get("expected", 0) - done.get("reported", 0)
            draft = "DRAFT: " if done.get("draft") else ""
            lines.append(
                f"  {draft}{done.get('reported')} of {done.get('expected')} KPIs have a figure; "
                f"{missing} not yet reported"
            )
        for result in outcome.failed:
            where = f" at {result.cell}" if result.cell else ""
            lines.append(f"  FAILED {result.report}{where}: {result.error}")
            failed = out / f"{result.report}.failed.ipynb"
            if failed.is_file():
                lines.append(f"    the error is highlighted in {shown(failed)}")
        for report, message in outcome.render_failures:
            lines.append(f"  FAILED to render {report}: {message}")
        if outcome.kpis == FAILED:
            lines.append(f"  FAILED kpis.csv: {outcome.kpis_error}")
        lines.append(f"Executed notebooks and log: {shown(out)}/")
        if outcome.render in (RenderOutcome.RENDERED, RenderOutcome.UP_TO_DATE):
            lines.append(f"Site: {shown(paths.site / out.name)}/")
        for text in lines:
            self.line(text, always=True)
        self.summary_lines += lines

    def summary_text(self) -> str:
        """The summary as plain lines (no timestamps), e.g. for a notification's stdin."""
        return "".join(f"{text}\n" for text in self.summary_lines)


class CombinedLog:
    """One progress display over the runs of many quarters (or projects) in one pool; each
    run's lines go to its own quarter's BuildLog (and so its build.log)."""

    def __init__(self, logs: dict[Path, BuildLog]):  # by the quarter's build/<slug>/ folder
        self.logs = logs
        self.first = next(iter(logs.values()))
        for log in logs.values():
            log.running = self.first.running  # the bar names every run in progress

    def for_run(self, run) -> BuildLog:
        return self.logs[run.output.parent]

    def start_progress(self, total: int) -> None:
        self.first.start_progress(total)
        for log in self.logs.values():
            log.bar = self.first.bar

    def stop_progress(self) -> None:
        self.first.stop_progress()
        for log in self.logs.values():
            log.bar = None
