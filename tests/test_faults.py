"""Faults during `qpr build`, as a user meets them: what they are told, the exit status, and
that nothing already published is lost.

Already proved elsewhere (not repeated here):
- a notebook that raises and one that hangs past the per-cell timeout fail alone, the others
  are built, exit 1, the summary names report, cell and error, the last good notebook stays:
  tests/test_build.py::test_a_failing_and_a_hanging_notebook_fail_alone;
- a failed run is never rendered and its previously published pages stay:
  tests/test_render.py::test_a_failed_run_is_not_rendered_and_its_previous_report_stays,
  ::test_a_render_failure_in_one_format_keeps_both_previous_files;
- a build killed in the middle of the site swap is recovered by the next one:
  tests/test_render.py::test_a_build_killed_mid_swap_is_recovered.

Each test works in a throwaway project in tmp_path (tests/fixtures/notebooks + one KPI per
directorate); the fixture directorate notebook sleeps for the directorate "Slow".
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qprlib import cli, render
from qprlib.pipeline.engines import builtin as builtin_engine

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
SLUG = "2023-24-q2"
QPR = [sys.executable, "-m", "qprlib"]
PARAMS = "quarter: 2023/24 Q2\nmeeting_date: 2024-01-04\nauthor: Chief Executive\n"


def make_project(root: Path, directorates: list[str], timeout: int = 300) -> Path:
    """A project with the fixture notebooks and one quarterly KPI per directorate."""
    shutil.copytree(FIXTURES, root / "notebooks")
    (root / "params").mkdir()
    (root / "params" / "defaults.yml").write_text(
        f"council: Fixture Council\ncommittee: Cabinet\nexecution_timeout: {timeout}\n"
    )
    (root / "params" / f"{SLUG}.yml").write_text(PARAMS)
    data = root / "data"
    data.mkdir()
    ids = [f"K{i}" for i in range(len(directorates))]
    (data / "indicators.csv").write_text(
        "id,name,directorate,service_area,kind,polarity,unit,frequency,definition,owner\n"
        + "".join(
            f"{i},Measure {i},{d},Area,kpi,higher,percent,quarterly,A measure,Someone\n"
            for i, d in zip(ids, directorates, strict=True)
        )
    )
    (data / "targets.csv").write_text(
        "id,year,target,floor,lower,upper\n" + "".join(f"{i},2023/24,80,70,,\n" for i in ids)
    )
    (data / "values.csv").write_text(
        "id,period_end,value\n" + "".join(f"{i},2023-06-30,75\n{i},2023-09-30,82\n" for i in ids)
    )
    (data / "commentary.csv").write_text("id,quarter,commentary,action,author\n")
    (data / "milestones.csv").write_text(
        "directorate,objective,milestone,due,quarter,status,commentary\n"
    )
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(site: Path) -> list[str]:
    return sorted(p.name for p in site.parent.iterdir() if p.name.startswith(f".{site.name}."))


def qpr(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`qpr ...` in a separate process, from the project folder."""
    return subprocess.run(
        [*QPR, *args], cwd=project, capture_output=True, text=True, timeout=600, env=env
    )


def cli_build(project: Path, monkeypatch, *args: str) -> int:
    """`qpr build ...` in this process (so a fault can be injected), from the project folder."""
    monkeypatch.chdir(project)
    return cli.main(["build", "--engine", "builtin", *args])


def running_in(project: Path) -> list[int]:
    """Processes other than this one working in `project`: a build's workers (in the project
    folder) and its kernels (in notebooks/). Zombies, already dead, are not counted."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        if int(proc.name) != os.getpid() and state != "Z" and cwd.is_relative_to(project):
            found.append(int(proc.name))
    return found


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for {what}")
        time.sleep(0.2)


# ---------------------------------------------------------------- the Jupyter kernel

# Run in the child processes only: jupyter_client finds no kernel spec at all, as on a machine
# where ipykernel was never installed (the venv's own python3 spec cannot be removed for a test).
NO_KERNEL = """\
import jupyter_client.kernelspec as kernelspec

kernelspec.KernelSpecManager._find_spec_directory = lambda self, name: None
"""


@pytest.mark.slow
def test_a_missing_jupyter_kernel_is_exit_2_with_a_clear_message_before_anything_runs(tmp_path):
    project = make_project(tmp_path / "project", ["Fine"])
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(NO_KERNEL)
    env = os.environ | {"PYTHONPATH": str(shim)}
    done = qpr(project, "build", "--engine", "builtin", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Jupyter kernel 'python3'" in done.stderr
    assert "ipykernel" in done.stderr  # what to install
    assert "Traceback" not in done.stdout + done.stderr
    assert not (project / "build").exists() and not (project / "_site").exists()


# ---------------------------------------------------------------- killed, or run twice


@pytest.mark.slow
def test_a_second_build_is_refused_and_a_killed_build_loses_nothing(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path / "project", ["Fine", "Slow"])
    site, out = project / "_site", project / "build" / SLUG
    (site / "2023-24-q1").mkdir(parents=True)  # what members have now
    (site / "2023-24-q1" / "cover.html").write_text("<p>last quarter's report</p>")
    (site / "index.html").write_text("<p>the published index</p>")
    published = snapshot(site)

    first = subprocess.Popen(
        [*QPR, "build", "--engine", "builtin", "--to", "html", "--jobs", "2"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its workers, to clean up if the test fails
    )
    try:
        log = out / "build.log"
        wait_for(
            lambda: log.is_file() and "started     directorate-slow" in log.read_text(),
            240,
            "the first build to start its notebooks",
        )
        wait_for(lambda: any((out / ".partial").glob("*.ipynb")), 60, "papermill's partial run")

        # two builds at once: the second stops at once with a clear message and never starts
        capsys.readouterr()
        assert cli_build(project, monkeypatch) == 2
        message = capsys.readouterr().err
        assert "another `qpr build` is running in this project" in message
        assert "Traceback" not in message
        assert log.read_text().count("Building 2023/24 Q2") == 1  # only the first one's
        assert first.poll() is None  # the first carries on

        # killed part-way, without warning (kill -9, the OOM killer, a cancelled CI job)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert snapshot(site) == published  # the site members see is exactly as it was
        assert leftovers(site) == []
        assert not (out / "directorate-slow.ipynb").exists()  # no half-run notebook published
        # its workers and kernels stop with it, so nothing can write into build/ afterwards
        wait_for(lambda: running_in(project) == [], 30, "the killed build's workers and kernels")
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)  # the session this test started
        for pid in running_in(project):  # its workers and kernels, if they outlived it
            os.kill(pid, signal.SIGKILL)

    # the next build recovers on its own: no stale lock, .partial/ cleared, site published
    assert (project / "build" / ".lock").exists()  # left behind, but not held by anyone
    (project / "notebooks" / "directorate.ipynb").write_text(
        (FIXTURES / "directorate.ipynb").read_text().replace("time.sleep(120)", "pass")
    )
    done = qpr(project, "build", "--engine", "builtin", "--to", "html")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (out / ".partial").exists()
    assert {"directorate-fine.ipynb", "directorate-slow.ipynb"} <= {p.name for p in out.iterdir()}
    assert (site / SLUG / "directorate-slow.html").is_file()
    assert (site / "2023-24-q1" / "cover.html").read_bytes() == published["2023-24-q1/cover.html"]
    assert leftovers(site) == []


# ---------------------------------------------------------------- output that cannot be written


def test_a_file_where_the_build_folder_must_be_is_exit_2_naming_it(tmp_path, monkeypatch, capsys):
    # Read-only output. Tests run as root in CI, and chmod does not stop root, so the folder is
    # made unwritable for everyone by putting a regular file where build/ must be created.
    project = make_project(tmp_path / "project", ["Fine"])
    (project / "build").write_text("not a folder")
    assert cli_build(project, monkeypatch) == 2
    message = capsys.readouterr().err
    assert str(project / "build") in message
    assert "Traceback" not in message
    assert (project / "build").read_text() == "not a folder"
    assert not (project / "_site").exists()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A project whose quarter was built and published once (the state faults must keep)."""
    project = make_project(tmp_path_factory.mktemp("faults") / "project", ["Fine"])
    done = qpr(project, "build", "--engine", "builtin", "--to", "html")
    assert done.returncode == 0, done.stdout + done.stderr
    return project


def rerender(project: Path) -> None:
    """Make the next build render the site again (its notebooks stay up to date, not re-run)."""
    (project / "build" / SLUG / "render.stamp.json").unlink(missing_ok=True)


@pytest.mark.slow
@pytest.mark.xdist_group("faults-built")
def test_a_file_where_the_site_must_be_is_exit_2_and_is_left_alone(built, monkeypatch, capsys):
    # Read-only output, root-proof as above: a regular file where the _site folder must be.
    site = built / "_site"
    moved = built / "_site.moved"
    site.rename(moved)
    try:
        site.write_text("someone's file, not the site")
        rerender(built)
        assert cli_build(built, monkeypatch, "--to", "html") == 2
        message = capsys.readouterr().err
        assert f"{site}: is a file, not a folder" in message
        assert "Traceback" not in message
        assert site.read_text() == "someone's file, not the site"
        assert leftovers(site) == []
    finally:
        site.unlink(missing_ok=True)
        moved.rename(site)


@pytest.mark.slow
@pytest.mark.xdist_group("faults-built")
@pytest.mark.parametrize(
    "code, words",
    [
        (errno.ENOSPC, "No space left on device"),  # a full disk
        (errno.EROFS, "Read-only file system"),  # read-only, simulated in-process (root-proof)
        (errno.EACCES, "Permission denied"),
    ],
)
def test_a_site_that_cannot_be_written_is_exit_2_and_the_published_site_stays(
    built, monkeypatch, capsys, code, words
):
    site = built / "_site"
    published = snapshot(site)
    real_replace = os.replace

    def no_room(source, target, *args, **kwargs):  # render moves each new file into the site
        if ".new-" in str(target):
            raise OSError(code, os.strerror(code), str(target))
        return real_replace(source, target, *args, **kwargs)

    rerender(built)
    monkeypatch.setattr(render.os, "replace", no_room)
    assert cli_build(built, monkeypatch, "--to", "html") == 2
    message = capsys.readouterr().err
    assert f"{site}: cannot write the site" in message and words in message
    assert "Traceback" not in message
    assert snapshot(site) == published
    assert leftovers(site) == []


@pytest.mark.slow
@pytest.mark.xdist_group("faults-built")
@pytest.mark.parametrize("code", [errno.EBUSY, errno.EXDEV])
def test_a_site_on_its_own_mount_is_exit_2_with_a_plain_message(built, monkeypatch, capsys, code):
    """_site as a mount point: renaming it away fails (EBUSY; EXDEV across mounts). It was
    exit 1 with a raw OSError; the README promises exit 2 and a plain message."""
    site = built / "_site"
    published = snapshot(site)
    real_rename = os.rename

    def mounted(source, target, *args, **kwargs):
        if Path(source) == site:
            raise OSError(code, os.strerror(code), str(source))
        return real_rename(source, target, *args, **kwargs)

    rerender(built)
    monkeypatch.setattr(render.os, "rename", mounted)
    assert cli_build(built, monkeypatch, "--to", "html") == 2
    message = capsys.readouterr().err
    assert f"{site}: cannot write the site" in message and "mount point" in message
    assert "Traceback" not in message and "OSError" not in message
    assert snapshot(site) == published
    assert leftovers(site) == []


@pytest.mark.slow
@pytest.mark.xdist_group("faults-built")
def test_a_disk_that_fills_while_rendering_stops_the_build_not_just_one_report(
    built, monkeypatch, capsys
):
    site = built / "_site"
    published = snapshot(site)

    def full(report, formats, out, council, assets=None):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out / f"{report.name}.pdf"))

    rerender(built)
    monkeypatch.setattr(builtin_engine, "render_report", full)
    assert cli_build(built, monkeypatch, "--to", "html") == 2
    message = capsys.readouterr().err
    assert f"{site}: cannot write the site" in message and "No space left on device" in message
    assert snapshot(site) == published
    assert leftovers(site) == []


@pytest.mark.slow
@pytest.mark.xdist_group("faults-built")
def test_a_full_disk_in_the_build_folder_is_exit_2_and_keeps_the_last_kpis(
    built, monkeypatch, capsys
):
    from qprlib import io

    out = built / "build" / SLUG
    kept = (out / "kpis.csv").read_bytes()
    published = snapshot(built / "_site")
    (out / "kpis.stamp.json").unlink()  # kpis.csv is written again by the next build

    def full(frame, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(io, "write_csv_atomic", full)
    assert cli_build(built, monkeypatch, "--to", "html") == 2
    message = capsys.readouterr().err
    assert str(out / "kpis.csv") in message and "No space left on device" in message
    assert "Traceback" not in message
    assert (out / "kpis.csv").read_bytes() == kept
    assert snapshot(built / "_site") == published


# ---------------------------------------------------------------- nothing lost


@pytest.mark.slow
@pytest.mark.xdist_group("faults-built")
def test_a_failed_run_keeps_the_last_good_notebook_and_published_page(built, monkeypatch, capsys):
    out, site = built / "build" / SLUG, built / "_site" / SLUG
    notebook = built / "notebooks" / "directorate.ipynb"
    good = notebook.read_text()
    kept = {name: (out / name).read_bytes() for name in ("directorate-fine.ipynb",)}
    page = (site / "directorate-fine.html").read_bytes()
    notebook.write_text(good.replace('if directorate == \\"Broken\\"', "if True"))
    try:
        assert cli_build(built, monkeypatch, "--to", "html") == 1
        summary = capsys.readouterr().out
        assert "FAILED directorate-fine at cell 4" in summary
        assert "ValueError: no data for Fine" in summary
        assert {name: (out / name).read_bytes() for name in kept} == kept
        assert (out / "directorate-fine.failed.ipynb").is_file()
        assert (site / "directorate-fine.html").read_bytes() == page
    finally:
        notebook.write_text(good)


def test_new_quarter_never_overwrites_a_params_file(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path / "project", ["Fine"])
    edited = project / "params" / "2023-24-q3.yml"
    edited.write_text("quarter: 2023/24 Q3\nauthor: edited by hand  # keep me\n")
    before = edited.read_bytes()
    monkeypatch.chdir(project)
    assert cli.main(["new-quarter", "2023/24 Q3"]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert edited.read_bytes() == before
    assert sorted(p.name for p in (project / "params").iterdir()) == [
        "2023-24-q2.yml",
        "2023-24-q3.yml",
        "defaults.yml",
    ]  # no temporary file left either
