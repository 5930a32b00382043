"""The test suite's own set-up: tests that share a build must share a worker.

`make test` runs `pytest -n 2 --dist loadgroup`, and the slow tests that build or render a
quarter once and check it many times are grouped with `xdist_group`. If grouping stops working
(pytest 9 with pytest-xdist 3.8 silently ignored it), those builds run twice, in parallel,
and the suite gets slower and racier without any test failing — except this one.
"""

import os
import time
from pathlib import Path

import pytest

GROUP = "suite-config-group-check"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _record(tmp_path_factory, name: str) -> Path:
    # The run's shared temporary root: the same folder for every xdist worker.
    shared = tmp_path_factory.getbasetemp().parent / GROUP
    shared.mkdir(exist_ok=True)
    (shared / name).write_text(_worker())
    return shared


@pytest.mark.xdist_group(GROUP)
def test_grouped_tests_run_on_one_worker_first(tmp_path_factory):
    _record(tmp_path_factory, "first")


@pytest.mark.xdist_group(GROUP)
def test_grouped_tests_run_on_one_worker_second(tmp_path_factory):
    shared = _record(tmp_path_factory, "second")
    first = shared / "first"
    deadline = time.monotonic() + 60
    while not first.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first.exists(), "the first grouped test never ran"
    assert first.read_text() == _worker(), (
        "tests marked with one xdist_group ran on different workers: --dist loadgroup is "
        "not grouping (check the pytest and pytest-xdist versions in pyproject.toml)"
    )
