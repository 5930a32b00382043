"""`qpr build --on-success CMD --on-failure CMD`: tell someone how a scheduled build went.

The command runs through the shell (`sh -c CMD`, so pipes and quoting work as in a crontab)
in the working folder, with the build's summary on standard input and these variables:

    QPR_QUARTER      the quarter, e.g. '2023/24 Q2' (as given when it could not be read)
    QPR_OUTCOME      success | failed (a report or the render failed) | not started
                     (bad data, params or usage, or another build running: nothing ran)
    QPR_EXIT_STATUS  0 | 1 | 2, the build's own exit status
    QPR_LOG          the build's log file (build/<slug>/build.log); empty when not started

A notifier that fails, is missing or runs longer than NOTIFY_TIMEOUT seconds is logged and
never changes the build's exit status: the reports are what matter.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

NOTIFY_TIMEOUT = 120  # seconds: a webhook or `mail` that hangs must not hold the build lock
OUTCOMES = {0: "success", 1: "failed", 2: "not started"}
OUTPUT_KEPT = 2000  # characters of a failing notifier's output kept in the log


@dataclass(frozen=True)
class Notified:
    """How a notification command went: `ok`, and a line for the log."""

    ok: bool
    message: str


def notify(
    command: str,
    summary: str,
    quarter: str,
    exit_status: int,
    log_path: Path | None,
    timeout: float = NOTIFY_TIMEOUT,
) -> Notified:
    """Run `command` with `sh -c`, the summary on stdin and the QPR_* variables; never raises."""
    env = os.environ | {
        "QPR_QUARTER": quarter,
        "QPR_OUTCOME": OUTCOMES.get(exit_status, "failed"),
        "QPR_EXIT_STATUS": str(exit_status),
        "QPR_LOG": str(Path(log_path).resolve()) if log_path else "",
    }
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as output:
        stdin.write(summary.encode("utf-8"))
        stdin.seek(0)
        try:  # files, not pipes: a notifier that ignores stdin or forks can never block us
            process = subprocess.Popen(
                ["/bin/sh", "-c", command],
                stdin=stdin,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group, so a timeout ends it all
            )
        except OSError as error:
            return Notified(False, f"could not start: {error}")
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end_group(process)
            return Notified(False, f"still running after {timeout:g} s; stopped")
        if status == 0:
            return Notified(True, "done")
        output.seek(0)
        said = output.read().decode("utf-8", "replace").strip()[-OUTPUT_KEPT:]
        why = "command not found" if status == 127 else f"exit status {status}"
        return Notified(False, f"{why}" + (f": {said}" if said else ""))


def _end_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


class Notifier:
    """The build's --on-success / --on-failure commands (either may be None)."""

    def __init__(self, on_success: str | None = None, on_failure: str | None = None):
        self.on_success, self.on_failure = on_success, on_failure

    def command(self, exit_status: int) -> tuple[str, str | None]:
        if exit_status == 0:
            return "--on-success", self.on_success
        return "--on-failure", self.on_failure

    def finished(self, quarter: str, exit_status: int, summary: str, log) -> None:
        """After a build that ran: notify and write how it went to the build's log."""
        option, command = self.command(exit_status)
        if not command:
            return
        result = notify(command, summary, quarter, exit_status, log.path)
        if result.ok:
            log.line(f"notified    {option} command: {result.message}")
        else:
            log.error(f"NOT NOTIFIED {option} command failed: {result.message}")

    def stopped(self, quarter: str, error: BaseException, exit_status: int = 2) -> None:
        """After a build that stopped: on bad input (exit 2) with the problems, else the error."""
        option, command = self.command(exit_status)
        if not command:
            return
        if hasattr(error, "problems"):
            summary = f"qpr build: {len(error.problems)} problem(s) found:\n"
            summary += "".join(f"  - {line}\n" for line in error.problems)
        else:
            summary = f"qpr build stopped by an error in qpr: {type(error).__name__}: {error}\n"
        result = notify(command, summary, quarter, exit_status, None)
        if not result.ok:
            print(
                f"qpr build: NOT NOTIFIED {option} command failed: {result.message}",
                file=sys.stderr,
            )
