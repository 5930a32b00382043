"""`make bench`: time the assessment and the build on this machine and print the table.

    python -m bench                 every row, at the sizes of issue 6 (about 15 min on 2 cores)
    python -m bench --quick         every row at small sizes: a smoke test (about 2 min)
    python -m bench --only assess,rebuild --repeat 5

Times are medians of --repeat runs (wall clock). Builds run in a temporary copy of the project
with PYTHONPATH pointing at the copy, so the real build/ and _site/ are untouched and the
copy's qprlib is the one that runs. The copy is the last commit (a clone of HEAD): in a checkout
shared with work in progress the numbers belong to a commit; --working-tree copies the files as
they are instead, uncommitted changes included. docs/benchmarks.md records a run and the targets.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from bench.baseline import baseline_assess
from bench.synthetic import SAMPLE_QUARTER, council_of, synthetic_data, write_council
from qprlib.assess import assess

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUARTER = str(SAMPLE_QUARTER)  # the sample quarter (params/2023-24-q2.yml)
NOT_COPIED = (".venv", "build", "_site", "naive", "node_modules", "qprlib.egg-info")
NOT_COPIED += (".pytest_cache", ".hypothesis", ".ruff_cache", "__pycache__")
SECTIONS = ("assess", "cold", "rebuild", "growth", "validate")
# Issue 6's targets.
ASSESS_SECONDS, ASSESS_SPEEDUP = 2.0, 20.0
COLD_RATIO = 0.4
REBUILD_SECONDS = 1.0
# Issue 16's: `qpr validate` on 1 million value rows, and refusing as many bad ones.
VALIDATE_SECONDS, VALIDATE_MB = 10.0, 500.0


@dataclass(frozen=True)
class Plan:
    """What to time, and how often."""

    indicators: int = 10_000  # x 60 monthly periods
    loop_indicators: int = 500  # the baseline loop is timed on this many, then scaled
    repeat: int = 3
    rebuild_repeat: int = 5
    cold_reports: str = "all"  # or "one": one directorate's dashboard
    growth: tuple[int, ...] = (1, 2, 4, 8, 16)
    growth_jobs: tuple[int, ...] = (1, 2)
    growth_repeat: int = 1
    per_directorate: int = 10  # indicators per synthetic directorate (the sample has ~10)
    validate_rows: int = 1_000_000  # values.csv rows for `qpr validate`


FULL = Plan()
QUICK = Plan(indicators=1_000, loop_indicators=50, repeat=1, rebuild_repeat=2,
             cold_reports="one", growth=(1, 2), validate_rows=100_000)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    plan = QUICK if options.quick else FULL
    if options.repeat:
        plan = dataclasses.replace(plan, repeat=options.repeat, rebuild_repeat=options.repeat)
    sections = options.only.split(",") if options.only else list(SECTIONS)
    print(machine_line(), flush=True)
    lines = []
    with tempfile.TemporaryDirectory(prefix="qpr-bench-") as scratch:
        work = Path(scratch)
        project = copy_project(work / "project", options.working_tree)
        print(f"measuring {describe(project, options.working_tree)}", flush=True)
        if "assess" in sections:
            lines += assessment_rows(plan)
        if "cold" in sections or "rebuild" in sections:
            lines += build_rows(plan, project, work, sections)
        if "growth" in sections:
            lines += growth_rows(plan, project, work)
        if "validate" in sections:
            lines += validate_rows(plan, project, work)
    print("\n" + "\n".join(lines))
    print(f"\n{machine_line()} (at the end)")
    return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--repeat", type=int, help="runs per timing (median reported)")
    parser.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument(
        "--working-tree",
        action="store_true",
        help="measure the files as they are, uncommitted changes included (default: HEAD)",
    )
    return parser.parse_args(argv)


def machine_line() -> str:
    """Cores, load and versions: the numbers only mean something next to these."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{datetime.now():%Y-%m-%d %H:%M} · {usable} cores usable ({os.cpu_count()} in the machine)"
        f" · load average {load} · Python {platform.python_version()} · {platform.machine()}"
    )


# ---------------------------------------------------------------- timing


def median_time(action: Callable[[], object], repeat: int) -> float:
    """Median wall-clock seconds of `repeat` runs of `action`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(command: list[str], cwd: Path, log: Path) -> None:
    """Run a command in the project copy (its qprlib first on the path); stop on failure."""
    env = os.environ | {"PYTHONPATH": str(cwd), "BIN": str(BIN)}
    with open(log, "a", encoding="utf-8") as out:
        done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = "".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[-30:])
        raise SystemExit(f"{' '.join(command)} failed (exit {done.returncode}):\n{tail}")


def fresh(project: Path) -> None:
    """Remove every build output from the copy: the next build is cold."""
    for folder in ("build", "_site", "naive"):
        shutil.rmtree(project / folder, ignore_errors=True)


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def verdict(met: bool, by: str = "") -> str:
    return "met" if met else f"**missed** {by}".rstrip()


# ---------------------------------------------------------------- assessment at scale


def assessment_rows(plan: Plan) -> list[str]:
    """assess on the whole synthetic council against the baseline loop on a subset, scaled."""
    print(f"assessment: {plan.indicators:,} indicators x 60 months ...", flush=True)
    data = synthetic_data(plan.indicators)
    quarter = SAMPLE_QUARTER
    assess(data, quarter)  # warm-up: first-call imports, as a long-running build has them
    fast = median_time(lambda: assess(data, quarter), max(plan.repeat, 3))
    # The loop sees the whole council's values (it filters them for every indicator) but only
    # the first `loop_indicators` rows of indicators.csv: its cost per indicator at full size.
    subset = dataclasses.replace(data, indicators=data.indicators.iloc[: plan.loop_indicators])
    print(f"baseline loop: {plan.loop_indicators} of them ...", flush=True)
    loop = median_time(lambda: baseline_assess(subset, quarter), plan.repeat)
    scale = plan.indicators / plan.loop_indicators
    speedup = loop * scale / fast
    met = fast < ASSESS_SECONDS and speedup >= ASSESS_SPEEDUP
    return [
        "| measure | qpr | naive | qpr vs naive | target | |",
        "|---|---|---|---|---|---|",
        f"| assessment, {plan.indicators:,} monthly indicators x 60 months "
        f"({plan.indicators * 60:,} rows; RAG, previous RAG, regression direction, SPC) "
        f"| {seconds(fast)} | {seconds(loop * scale)} (loop timed on {plan.loop_indicators:,} "
        f"indicators: {seconds(loop)}, x {scale:g}) | {speedup:.0f}x faster "
        f"| < {ASSESS_SECONDS:g} s and >= {ASSESS_SPEEDUP:g}x | "
        f"{verdict(met, f'({seconds(fast)}, {speedup:.0f}x)')} |",
    ]


# ---------------------------------------------------------------- cold build, rebuild


def build_rows(plan: Plan, project: Path, work: Path, sections: list[str]) -> list[str]:
    """`qpr build` from nothing vs bench/naive.sh, then `qpr build` again with nothing changed."""
    log = work / "build.log"
    scope = [] if plan.cold_reports == "all" else [first_directorate(project)]
    qpr = [qpr_command(), "build", QUARTER, *[f"--directorate={d}" for d in scope]]
    label = "7 reports" if not scope else f"1 report ({scope[0]})"
    rows = []
    if "cold" in sections:
        print(f"cold build: qpr build, {label} ...", flush=True)
        cold = median_time(lambda: (fresh(project), run(qpr, project, log)), plan.repeat)
        print(f"cold build: bench/naive.sh, {label} ...", flush=True)
        naive_cmd = ["bash", "bench/naive.sh", QUARTER, *scope]
        naive = median_time(lambda: (fresh(project), run(naive_cmd, project, log)), plan.repeat)
        ratio = cold / naive
        rows.append(
            f"| cold build of the sample quarter, {label}, HTML + PDF (`qpr build`, "
            f"--jobs {os.cpu_count()}) | {seconds(cold)} | {seconds(naive)} (bench/naive.sh: "
            f"papermill, nbconvert, pandoc, typst per report, in turn) | {ratio:.2f}x the time "
            f"| <= {COLD_RATIO:g}x | {verdict(ratio <= COLD_RATIO, f'({ratio:.2f}x)')} |"
        )
    if "rebuild" in sections:
        fresh(project)
        run(qpr, project, log)  # the build the rebuilds find up to date
        print("no-change rebuild ...", flush=True)
        again = median_time(lambda: run(qpr, project, log), plan.rebuild_repeat)
        rows.append(
            f"| no-change rebuild (`qpr build` again: every report and the site up to date) "
            f"| {seconds(again)} | | | < {REBUILD_SECONDS:g} s "
            f"| {verdict(again < REBUILD_SECONDS, f'({seconds(again)})')} |"
        )
    return rows


def qpr_command() -> str:
    return str(BIN / "qpr") if (BIN / "qpr").exists() else "qpr"


def first_directorate(project: Path) -> str:
    from qprlib import io

    return str(io.load(project / "data").indicators["directorate"].iloc[0])


# ---------------------------------------------------------------- growth


def growth_rows(plan: Plan, project: Path, work: Path) -> list[str]:
    """Directorate dashboards only, for 1, 2, 4... synthetic directorates, --jobs 1 and 2."""
    log = work / "growth.log"
    times: dict[tuple[int, int], float] = {}
    for count in plan.growth:
        data_dir = write_council(council_of(count, plan.per_directorate), work / f"data-{count}")
        names = [f"--directorate=Directorate {i + 1}" for i in range(count)]
        for jobs in plan.growth_jobs:
            print(f"growth: {count} directorates, --jobs {jobs} ...", flush=True)
            command = [qpr_command(), "build", QUARTER, f"--data={data_dir}", f"--jobs={jobs}"]
            command += names
            times[count, jobs] = median_time(
                lambda command=command: (fresh(project), run(command, project, log)),
                plan.growth_repeat,
            )
    header = " | ".join(f"--jobs {j}" for j in plan.growth_jobs)
    rows = [
        "",
        f"Growth: directorate dashboards only (HTML + PDF), {plan.per_directorate} monthly "
        f"indicators x 60 months per synthetic directorate, cold builds "
        f"({plan.growth_repeat} run per point)",
        "",
        f"| directorates (reports) | {header} | --jobs 1 / --jobs {plan.growth_jobs[-1]} |",
        "|---|" + "---|" * (len(plan.growth_jobs) + 1),
    ]
    for count in plan.growth:
        cells = " | ".join(seconds(times[count, j]) for j in plan.growth_jobs)
        speedup = times[count, plan.growth_jobs[0]] / times[count, plan.growth_jobs[-1]]
        rows.append(f"| {count} | {cells} | {speedup:.2f}x |")
    fits = [fit_line(plan.growth, [times[c, j] for c in plan.growth]) for j in plan.growth_jobs]
    rows.append("| fit: fixed + per report (R²) | " + " | ".join(fits) + " | |")
    return rows


def fit_line(x: tuple[int, ...], y: list[float]) -> str:
    """Least-squares `a + b n`: the per-report cost b, and how straight the line is (R²)."""
    if len(x) < 2:
        return "n/a"
    slope, intercept = np.polyfit(x, y, 1)
    predicted = intercept + slope * np.asarray(x)
    spread = np.sum((np.asarray(y) - np.mean(y)) ** 2)
    r2 = 1 - np.sum((np.asarray(y) - predicted) ** 2) / spread if spread else 1.0
    return f"{intercept:.1f} s + {slope:.2f} s/report (R² {r2:.3f})"


# ---------------------------------------------------------------- validating at scale


def validate_rows(plan: Plan, project: Path, work: Path) -> list[str]:
    """`qpr validate` (a process of its own: wall time and peak memory) on a values.csv of
    `plan.validate_rows` rows, valid, then with every value and date unreadable."""
    indicators = plan.validate_rows // 59 + 1  # about 1% of months are missing
    print(f"validate: {indicators:,} indicators x 60 months ...", flush=True)
    data = synthetic_data(indicators)
    good = write_council(dataclasses.replace(data, values=data.values[: plan.validate_rows]),
                         work / "validate-good")  # fmt: skip
    bad = Path(shutil.copytree(good, work / "validate-bad"))
    rows = len(data.values[: plan.validate_rows])
    with open(bad / "values.csv", "w", encoding="utf-8") as out:  # every row two problems
        out.write("id,period_end,value\n")
        out.writelines(f"{id_},not a date,junk\n" for id_ in data.values["id"][:rows])
    lines = [
        "",
        "| measure | wall time | CPU time | peak memory | target | |",
        "|---|---|---|---|---|---|",
    ]
    runs = [(f"{rows:,} valid value rows", good, 0)]
    runs.append((f"{rows:,} value rows, each with two problems", bad, 2))
    for label, folder, status in runs:
        command = [qpr_command(), "validate", f"--data={folder}"]
        timings = [child_run(command, project, status) for _ in range(plan.repeat)]
        wall = statistics.median(t for t, _, _ in timings)
        cpu = statistics.median(c for _, c, _ in timings)
        peak = max(m for _, _, m in timings)
        met = wall <= VALIDATE_SECONDS and peak <= VALIDATE_MB
        lines.append(
            f"| `qpr validate`, {label} | {seconds(wall)} | {seconds(cpu)} | {peak:,.0f} MB "
            f"| <= {VALIDATE_SECONDS:g} s and <= {VALIDATE_MB:g} MB "
            f"| {verdict(met, f'({seconds(wall)}, {peak:,.0f} MB)')} |"
        )
    return lines


def child_run(command: list[str], cwd: Path, status: int) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB) of one run of `command`, which must exit
    `status` (CPU time: what the run costs whatever else the machine is doing)."""
    env = os.environ | {"PYTHONPATH": str(cwd)}
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    _, code, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(code)
    if child.returncode != status:
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}, not {status}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # KB on Linux


# ---------------------------------------------------------------- the project copy


def copy_project(target: Path, working_tree: bool = False) -> Path:
    """A clone of HEAD, or (`working_tree`, or no git) the files as they are, with .git for
    provenance and without outputs, caches or the venv."""
    if not working_tree and (ROOT / ".git").exists():
        command = ["git", "clone", "--quiet", "--shared", str(ROOT), str(target)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return target
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    return target


def describe(project: Path, working_tree: bool) -> str:
    """Which code the numbers belong to: 'commit 05effe7' or '... plus uncommitted changes'."""
    done = subprocess.run(
        ["git", "-C", str(project), "log", "-1", "--format=%h %s"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    commit = done.stdout.strip() if done.returncode == 0 else "an unversioned copy"
    commit = commit if len(commit) <= 70 else commit[:69] + "…"
    return f"commit {commit}" + (" plus uncommitted changes" if working_tree else "")


if __name__ == "__main__":
    sys.exit(main())
