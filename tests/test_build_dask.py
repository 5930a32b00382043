"""`qpr build --executor dask`: the same runs through a Dask cluster's concurrent.futures
executor (a LocalCluster here), failures isolated as in the process pool; an unreachable
scheduler is exit 2 naming it."""

from __future__ import annotations

import shutil
import socket

import pytest

import qprlib.pipeline.publish
from qprlib import provenance
from qprlib.pipeline import executors
from tests.test_build import cli_build, make_project, manifest, out_dir, stdout_of
from tests.test_build import project as project  # noqa: F401 - the fixture, assessment stubbed


def unused_port() -> int:
    with socket.socket() as probe:  # bound then closed: nothing listens on it afterwards
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_is_exit_2_naming_it(project, monkeypatch, capsys):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 1)
    address = f"tcp://127.0.0.1:{unused_port()}"
    status = cli_build(project, monkeypatch, "--executor", "dask", "--scheduler", address)
    assert status == 2
    err = capsys.readouterr().err
    assert f"Dask scheduler {address}" in err and "Traceback" not in err
    assert not (project / "build").exists()  # nothing ran, nothing written


def test_the_scheduler_address_can_come_from_the_environment(project, monkeypatch, capsys):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 1)
    address = f"tcp://127.0.0.1:{unused_port()}"
    monkeypatch.setenv(executors.SCHEDULER_ENV, address)
    assert cli_build(project, monkeypatch, "--executor", "dask") == 2
    assert f"Dask scheduler {address}" in capsys.readouterr().err


@pytest.mark.slow
def test_a_local_cluster_builds_what_the_pool_builds_and_a_failure_fails_alone(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(provenance, "source_hash", lambda package_dir=None: "qprlib")
    published = []

    def fake_render(quarter_dir, site_dir, reports, formats, engine, council):
        published.append((quarter_dir.parents[2].name, sorted(reports)))
        (site_dir / quarter_dir.name).mkdir(parents=True, exist_ok=True)
        return []

    monkeypatch.setattr(qprlib.pipeline.publish, "render_quarter", fake_render)
    pool = make_project(tmp_path / "pool", ["Fine", "Broken"])
    dask = make_project(tmp_path / "dask", ["Fine", "Broken"])
    options = ["--to", "html", "--engine", "builtin", "--jobs", "2"]
    assert cli_build(pool, monkeypatch, *options) == 1
    assert cli_build(dask, monkeypatch, *options, "--executor", "dask") == 1
    good = ["cover", "directorate-fine", "qpr"]
    for root in (pool, dask):
        reports = manifest(root)["reports"]
        assert reports["directorate-broken"]["outcome"] == "failed"
        assert "Broken" in reports["directorate-broken"]["error"]
        assert {reports[name]["outcome"] for name in good} == {"built"}
        assert (out_dir(root) / "directorate-broken.failed.ipynb").is_file()
    assert published == [(name, good) for name in ("pool", "dask")]  # the others published
    for name in good:  # the same notebooks, the same text
        assert stdout_of(out_dir(dask) / f"{name}.ipynb") == stdout_of(
            out_dir(pool) / f"{name}.ipynb"
        )
    assert "FAILED directorate-broken" in capsys.readouterr().out
    shutil.rmtree(tmp_path)


KILLER = """import os, signal
if directorate == "Killed":  # the Dask worker process running this report dies (kill -9)
    os.kill(os.getppid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_a_killed_worker_fails_its_run_not_the_build(tmp_path, monkeypatch, capsys):
    import dask
    import nbformat

    monkeypatch.setattr(provenance, "source_hash", lambda package_dir=None: "qprlib")
    published = []

    def fake_render(quarter_dir, site_dir, reports, formats, engine, council):
        published.append(sorted(reports))
        (site_dir / quarter_dir.name).mkdir(parents=True, exist_ok=True)
        return []

    monkeypatch.setattr(qprlib.pipeline.publish, "render_quarter", fake_render)
    root = make_project(tmp_path, ["Fine", "Killed"])
    template = root / "notebooks" / "directorate.ipynb"
    nb = nbformat.read(template, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(KILLER))  # after the parameters cell
    nbformat.write(nb, template)
    options = ["--to", "html", "--engine", "builtin", "--jobs", "2", "--executor", "dask"]
    # Dask retries a run whose worker died (allowed-failures, 3 by default); once is enough here
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        assert cli_build(root, monkeypatch, *options) == 1
    reports = manifest(root)["reports"]
    killed = reports["directorate-killed"]
    assert killed["outcome"] == "failed"
    assert "worker" in killed["error"] and "died" in killed["error"], killed["error"]
    good = ["cover", "directorate-fine", "qpr"]
    assert {reports[name]["outcome"] for name in good} == {"built"}
    assert published == [good]  # the others published
    assert "FAILED directorate-killed" in capsys.readouterr().out
    assert not list(out_dir(root).glob(".partial/*"))  # no half-written notebook left
    shutil.rmtree(tmp_path)
