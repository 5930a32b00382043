"""Fixtures shared across test files: the repository and its sample council, loaded once."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE_QUARTER = "2023/24 Q2"  # seed 001's quarter, the latest in the sample data
PROJECT_PARTS = ("data", "notebooks", "params")  # all `qpr build` reads besides qprlib
BUILD_TIMEOUT = 900  # seconds; ~50 s alone on 2 cores


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

    A session fixture is made once per xdist worker, so every test module using it is marked
    `pytest.mark.xdist_group("sample-site")`: with `-n 2 --dist loadgroup` they all run on one
    worker and the quarter is built once."""
    project = tmp_path_factory.mktemp("sample-project")
    for part in PROJECT_PARTS:
        shutil.copytree(
            repo_root / part,
            project / part,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
        )
    command = [sys.executable, "-m", "qprlib", "build", SAMPLE_QUARTER]
    command += ["--to", "html,pdf,docx", "--engine", "builtin"]
    done = subprocess.run(
        command, cwd=project, capture_output=True, text=True, timeout=BUILD_TIMEOUT
    )
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {done.returncode} in {project}:\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}",
            pytrace=False,
        )
    return project / "_site"
