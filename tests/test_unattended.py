"""Scheduled, unattended builds (issue 8): plain timestamped output when nobody is watching,
--quiet, `current`/`latest` from a crontab, notification commands, and formats kept.

Each test works in a throwaway project (tests/fixtures/notebooks, a tiny data set, params) as
test_build.py does; the fixture directorate notebook raises for the directorate "Broken".
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from test_build import SLUG, make_project

from qprlib import build as build_module
from qprlib import cli, notify, params, provenance
from qprlib.build import build

STAMPED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (.*)$")  # local time to the second
ANSI = re.compile(r"\x1b\[")


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = make_project(tmp_path, ["Fine", "Broken"])
    monkeypatch.setattr(
        build_module,
        "assess_quarter",
        lambda data, params: pd.DataFrame({"id": list(data.indicators["id"]), "rag": "Green"}),
    )
    # qprlib's own hash held still: others editing this checkout must not make runs stale
    monkeypatch.setattr(provenance, "source_hash", lambda package_dir=None: "qprlib")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def fake_render(monkeypatch) -> list[tuple]:
    """render_quarter replaced: records its calls and publishes an empty folder."""
    import qprlib.pipeline.publish

    calls = []

    def render_quarter(quarter_dir, site_dir, reports, formats, engine, council):
        calls.append((list(reports), tuple(formats)))
        (Path(site_dir) / Path(quarter_dir).name).mkdir(parents=True, exist_ok=True)
        return []

    monkeypatch.setattr(qprlib.pipeline.publish, "render_quarter", render_quarter)
    return calls


def log_file(project: Path) -> Path:
    return project / "build" / SLUG / "build.log"


def events(text: str) -> list[str]:
    """The text of each line, with its timestamp checked and removed."""
    lines = text.splitlines()
    assert lines, "no output"
    bodies = []
    for line in lines:
        match = STAMPED.match(line)
        assert match, f"not a timestamped line: {line!r}"
        bodies.append(match.group(1))
    return bodies


def notifier_command(folder: Path, name: str) -> str:
    """A shell command that saves its stdin and the QPR_* variables under `folder`."""
    stdin, env = shlex.quote(str(folder / f"{name}.stdin")), shlex.quote(str(folder / name))
    return f"cat > {stdin}; env | grep '^QPR_' | sort > {env}.env"


def read_env(path: Path) -> dict[str, str]:
    """The QPR_* variables the build gave the notifier (not those this test run inherited,
    such as CI's QPR_FAIL_ON_SKIP)."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines())
    return {name: value for name, value in pairs if os.environ.get(name) != value}


# --- output when nobody is watching


@pytest.mark.slow
def test_unattended_output_is_timestamped_lines_without_bar_or_colour(project, capsys):
    status = build(directorates=["Fine", "Broken"], jobs=2, render=False)  # stdout not a tty
    assert status == 1
    out = capsys.readouterr().out
    assert not ANSI.search(out) and "\r" not in out
    assert "report/s" not in out and "%|" not in out  # no tqdm progress bar
    said = events(out)
    for report in ("directorate-fine", "directorate-broken"):
        assert f"started     {report}" in said
    assert any(line.startswith("built       directorate-fine (") for line in said)
    assert any(line.startswith("FAILED      directorate-broken (") for line in said)
    summary = said.index("2023/24 Q2: 1 built, 1 failed")  # the summary comes last
    assert any(
        line.startswith("  FAILED directorate-broken at cell 4") for line in said[summary + 1 :]
    )  # after "  built: ..." (issue 12)
    assert said[-1] == f"Executed notebooks and log: build/{SLUG}/"
    logged = [
        STAMPED.match(line).group(1)
        for line in log_file(project).read_text().splitlines()
        if STAMPED.match(line)
    ]
    assert logged == said  # the same log in build/<slug>/build.log

    capsys.readouterr()
    assert build(directorates=["Fine"], render=False) == 0  # nothing changed: skipped
    said = events(capsys.readouterr().out)
    assert "up to date  directorate-fine" in said
    assert said[-2:] == [
        "2023/24 Q2: 0 built, 1 up to date",
        f"Executed notebooks and log: build/{SLUG}/",
    ]


@pytest.mark.slow
def test_quiet_prints_only_the_summary_and_errors(project, fake_render, capsys):
    status = cli.main(["build", "--directorate", "Broken", "--quiet", "--engine", "builtin"])
    assert status == 1
    said = events(capsys.readouterr().out)
    assert said[0].startswith("FAILED      directorate-broken (")  # the error, as it happens
    assert said[1:3] == [
        "2023/24 Q2: 0 built, 1 failed",
        '  FAILED directorate-broken at cell 4 (In [3]) "import time": '
        "ValueError: no data for Broken",
    ]
    assert not [line for line in said if line.startswith(("started", "written", "rendering"))]
    assert "started     directorate-broken" in log_file(project).read_text()  # all logged


# --- `latest` and `current` as a crontab gives them


class _Today(date):
    fixed = date(2024, 1, 1)

    @classmethod
    def today(cls) -> date:
        return cls.fixed


@pytest.mark.parametrize(
    "today, expected",
    [  # the quarter that has ended by the morning of `today` (test_params has the rule)
        (date(2024, 3, 31), "2023/24 Q3"),  # Q4 ends at the end of the day
        (date(2024, 4, 1), "2023/24 Q4"),
        (date(2024, 6, 30), "2023/24 Q4"),
        (date(2024, 7, 1), "2024/25 Q1"),
    ],
)
def test_current_on_the_command_line_uses_todays_date(
    project, monkeypatch, capsys, tmp_path, today, expected
):
    monkeypatch.setattr(_Today, "fixed", today)
    monkeypatch.setattr(params, "date", _Today)
    command = notifier_command(tmp_path, "failure")
    assert cli.main(["build", "current", "--quiet", "--on-failure", command]) == 2
    slug = expected.replace("/", "-").replace(" ", "-").lower()
    err = capsys.readouterr().err
    assert f"params/{slug}.yml" in err and f"qpr new-quarter '{expected}'" in err
    variables = read_env(tmp_path / "failure.env")  # the scheduled job hears of it
    assert variables["QPR_QUARTER"] == expected
    assert variables["QPR_OUTCOME"] == "not started"
    assert variables["QPR_EXIT_STATUS"] == "2"
    assert variables["QPR_LOG"] == ""  # nothing ran, nothing was logged
    assert f"qpr new-quarter '{expected}'" in (tmp_path / "failure.stdin").read_text()
    assert not (project / "build" / slug).exists()  # nothing written on exit 2


def test_latest_is_the_newest_params_file_from_the_command_line(project, monkeypatch, capsys):
    shutil.copy(project / "params" / f"{SLUG}.yml", project / "params" / "2023-24-q3.yml")
    text = (project / "params" / "2023-24-q3.yml").read_text().replace("Q2", "Q3")
    (project / "params" / "2023-24-q3.yml").write_text(text)
    assert cli.main(["status", "latest"]) == 1  # not built yet
    assert capsys.readouterr().out.startswith("2023/24 Q3: never built")


# --- notifications


@pytest.mark.slow
def test_notifiers_get_the_summary_and_variables_and_cannot_fail_the_build(
    project, tmp_path, capsys
):
    success, failure = notifier_command(tmp_path, "success"), notifier_command(tmp_path, "failure")
    options = {"render": False, "on_success": success, "on_failure": failure}
    assert build(directorates=["Broken"], **options) == 1
    assert not (tmp_path / "success.env").exists()
    variables = read_env(tmp_path / "failure.env")
    assert variables == {
        "QPR_EXIT_STATUS": "1",
        "QPR_LOG": str(log_file(project)),
        "QPR_OUTCOME": "failed",
        "QPR_QUARTER": "2023/24 Q2",
    }
    summary = (tmp_path / "failure.stdin").read_text()
    assert summary.startswith("2023/24 Q2: 0 built, 1 failed\n")
    assert "ValueError: no data for Broken" in summary

    assert build(directorates=["Fine"], **options) == 0
    assert read_env(tmp_path / "success.env")["QPR_OUTCOME"] == "success"
    assert read_env(tmp_path / "success.env")["QPR_EXIT_STATUS"] == "0"
    assert (tmp_path / "success.stdin").read_text().startswith("2023/24 Q2: 1 built\n")
    assert "notified    --on-success command: done" in log_file(project).read_text()

    capsys.readouterr()
    for broken in ("echo 'webhook refused' >&2; exit 3", "no-such-notifier-qpr --to team"):
        assert build(directorates=["Fine"], render=False, on_success=broken) == 0
    out = capsys.readouterr().out
    assert "NOT NOTIFIED --on-success command failed: exit status 3: webhook refused" in out
    assert "NOT NOTIFIED --on-success command failed: command not found" in out
    assert out.count("NOT NOTIFIED") == 2
    assert log_file(project).read_text().count("NOT NOTIFIED") == 2


@pytest.mark.slow
def test_a_notifier_that_hangs_is_stopped_with_what_it_started(tmp_path):
    marker = tmp_path / "late"
    command = f"(sleep 3; touch {shlex.quote(str(marker))}) & sleep 30"
    clock = time.monotonic()
    result = notify.notify(command, "summary\n", "2023/24 Q2", 0, None, timeout=0.5)
    assert time.monotonic() - clock < 5
    assert not result.ok and "still running after 0.5 s" in result.message
    time.sleep(3.5)
    assert not marker.exists()  # the whole process group was stopped


def test_a_notifier_that_ignores_a_long_summary_does_not_block(tmp_path):
    result = notify.notify("true", "x" * 1_000_000, "2023/24 Q2", 1, None, timeout=10)
    assert result.ok


def test_bad_data_is_exit_2_and_notifies_failure(project, tmp_path, capsys):
    (project / "data" / "values.csv").write_text("id,period_end,value\nK0,2023-09-30,lots\n")
    command = notifier_command(tmp_path, "failure")
    assert cli.main(["build", "--on-failure", command]) == 2
    assert "values.csv" in capsys.readouterr().err
    stdin = (tmp_path / "failure.stdin").read_text()
    assert stdin.startswith("qpr build: 1 problem(s) found:\n  - values.csv, row 2")
    assert read_env(tmp_path / "failure.env")["QPR_QUARTER"] == "2023/24 Q2"


def test_a_fault_in_qpr_itself_still_notifies_failure(project, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(build_module, "plan_assessment", broken)
    command = notifier_command(tmp_path, "failure")
    with pytest.raises(RuntimeError):
        build(on_failure=command, render=False)
    variables = read_env(tmp_path / "failure.env")
    assert (variables["QPR_OUTCOME"], variables["QPR_EXIT_STATUS"]) == ("failed", "1")
    stdin = (tmp_path / "failure.stdin").read_text()
    assert stdin == "qpr build stopped by an error in qpr: RuntimeError: a bug\n"


# --- formats already published are kept


def test_a_plain_build_keeps_the_formats_last_published(tmp_path):
    out = tmp_path / "build" / SLUG
    out.mkdir(parents=True)
    lines = []
    log = type("Log", (), {"line": staticmethod(lines.append)})
    assert build_module.choose_formats(None, out, log) == ("html", "pdf")  # a first build
    manifest = {"formats": ["html", "pdf", "docx"], "published_formats": ["html", "pdf", "docx"]}
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert build_module.choose_formats(None, out, log) == ("html", "pdf", "docx")
    assert lines[-1] == "formats     html, pdf, docx (as last published; --to to change)"
    assert build_module.choose_formats(("html",), out, log) == ("html",)  # asked for: obeyed
    assert lines[-1] == "formats     html: no longer publishing pdf, docx"
    (out / "manifest.json").write_text(json.dumps({"formats": ["html", "docx"]}))  # older
    assert build_module.choose_formats(None, out, log) == ("html", "docx")


@pytest.mark.slow
def test_make_report_then_qpr_build_keeps_the_word_cover(project, fake_render):
    assert cli.main(["build", "--directorate", "Fine", "--to", "html,pdf,docx"]) == 0
    assert fake_render == [(["directorate-fine"], ("html", "pdf", "docx"))]
    assert cli.main(["build", "--directorate", "Fine"]) == 0  # as `qpr build` after make report
    assert len(fake_render) == 1  # the site, Word cover included, is up to date: not re-rendered
    (project / "build" / SLUG / "render.stamp.json").unlink()
    assert cli.main(["build", "--directorate", "Fine"]) == 0
    assert fake_render[-1] == (["directorate-fine"], ("html", "pdf", "docx"))
    manifest = json.loads((project / "build" / SLUG / "manifest.json").read_text())
    assert manifest["published_formats"] == ["html", "pdf", "docx"]
    assert manifest["engine"] in ("builtin", "quarto")  # the engine used, not 'auto'
    assert manifest["engine_requested"] == "auto"
