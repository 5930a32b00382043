"""Fixtures shared across test files: the repository and its sample council, loaded once."""

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# `.ci/run` sets this: on CI every system tool (chromium, axe-core, poppler, LibreOffice) is
# installed by scripts/install-system-deps.sh, so a skipped browser, PDF or Calc test means
# an install step broke, and a green run would hide that the accessibility checks never ran.
# Only Quarto, which cannot be installed here, may skip.
STRICT_SKIPS = os.environ.get("QPR_FAIL_ON_SKIP") == "1"
MAY_SKIP = {"quarto"}  # markers of tests allowed to skip under QPR_FAIL_ON_SKIP

SAMPLE_QUARTER = "2023/24 Q2"  # seed 001's quarter, the latest in the sample data
PROJECT_PARTS = ("data", "notebooks", "params")  # all `qpr build` reads besides qprlib
BUILD_TIMEOUT = 900  # seconds; ~50 s alone on 2 cores

# Property tests on the rules (rag, trend, spc) are about values, not speed: hypothesis's
# default 200 ms deadline failed test_rag under CI-like load. Derandomised so a CI failure
# reproduces; tests/test_fuzz.py sets its own bounded settings on top of this profile.
settings.register_profile("qpr", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("qpr")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's top folder (data/, params/, notebooks/ live here)."""
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sample_data(repo_root):
    """The committed sample council (data/*.csv), loaded and validated by qprlib.io."""
    from qprlib import io

    return io.load(repo_root / "data")


@pytest.fixture(scope="session")
def sample_site(repo_root, tmp_path_factory) -> Path:
    """`_site/` of `qpr build "2023/24 Q2" --to html,pdf,docx --engine builtin` on the committed
    sample data, as a user runs it, in a temporary copy of the project (so the checkout's
    build/ and _site/ are never touched).

    Built once per test run. Its users share the xdist group "sample-site", but the build does
    not rely on that (pytest 9 silently broke xdist grouping once; see pyproject.toml): under
    `-n 2` each worker may ask for it. The first builds in the run's shared temporary folder
    under a file lock; the others wait and reuse it, failing with the same message if the
    build failed."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # popen-gw0/, popen-gw1/ ... share their parent
    project, outcome = root / "sample-project", root / "sample-project.outcome.json"
    with open(root / "sample-project.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not outcome.exists():
            outcome.write_text(json.dumps(_build_sample(repo_root, project)), encoding="utf-8")
    failure = json.loads(outcome.read_text(encoding="utf-8"))
    if failure:
        pytest.fail(failure, pytrace=False)
    return project / "_site"


def _build_sample(repo_root: Path, project: Path) -> str:
    """Copy the project's inputs to `project` and build the sample quarter there; '' on
    success, else what failed."""
    for part in PROJECT_PARTS:
        shutil.copytree(
            repo_root / part,
            project / part,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
        )
    command = [sys.executable, "-m", "qprlib", "build", SAMPLE_QUARTER]
    command += ["--to", "html,pdf,docx", "--engine", "builtin"]
    try:
        done = subprocess.run(
            command, cwd=project, capture_output=True, text=True, timeout=BUILD_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return f"{' '.join(command)} took over {BUILD_TIMEOUT} s in {project}"
    if done.returncode == 0:
        return ""
    return (
        f"{' '.join(command)} exited {done.returncode} in {project}:\n"
        f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under QPR_FAIL_ON_SKIP=1, a skipped test fails, naming why it skipped."""
    outcome = yield
    report = outcome.get_result()
    if not (STRICT_SKIPS and report.skipped) or any(item.get_closest_marker(m) for m in MAY_SKIP):
        return
    if hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under QPR_FAIL_ON_SKIP=1 (CI installs every tool): {reason}"
