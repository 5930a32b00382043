"""How a build went: each run's outcome, the kpis.csv and render outcomes, and the exit status.

The outcomes are `StrEnum`s, so they compare equal to (and are written to the manifest as)
the words they always were: 'built', 'up to date', 'failed'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from qprlib.periods import Quarter

EXIT_OK, EXIT_REPORT_FAILED = 0, 1  # as qprlib.cli; 2 is any QprError, raised to the CLI


class RunOutcome(StrEnum):
    """One report's run (also kpis.csv's, with WRITTEN)."""

    BUILT = "built"
    UP_TO_DATE = "up to date"
    FAILED = "failed"
    WRITTEN = "written"


class RenderOutcome(StrEnum):
    """The site's render."""

    NOT_REQUESTED = "not requested"
    RENDERED = "rendered"
    UP_TO_DATE = "up to date"
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def published(self) -> bool:
        """The site was (or still is) rendered by this build's engine and formats."""
        return self in (RenderOutcome.RENDERED, RenderOutcome.UP_TO_DATE, RenderOutcome.FAILED)


BUILT, UP_TO_DATE, FAILED = RunOutcome.BUILT, RunOutcome.UP_TO_DATE, RunOutcome.FAILED


@dataclass(frozen=True)
class RunResult:
    """How one run went; `cell` and `error` say where and why a failed run stopped."""

    report: str
    outcome: RunOutcome
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
    kpis: RunOutcome | None = None  # written | up to date | failed
    kpis_error: str = ""  # why kpis.csv failed: 'ename: message'
    render: RenderOutcome = RenderOutcome.NOT_REQUESTED
    render_failures: list[tuple[str, str]] = field(default_factory=list)
    completeness: dict = field(default_factory=dict)  # completeness.as_dict() + required, draft

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.outcome == FAILED]

    @property
    def kpis_text(self) -> str:
        """kpis.csv's outcome as the manifest words it: 'written', 'failed: ValueError: ...'."""
        if self.kpis == FAILED:
            return f"{FAILED}: {self.kpis_error}"
        return str(self.kpis or "")

    @property
    def exit_status(self) -> int:
        broken = self.failed or self.render_failures or self.kpis == FAILED
        return EXIT_REPORT_FAILED if broken else EXIT_OK
