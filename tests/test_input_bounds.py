"""Bounds on hostile input files (issue 16): what is refused before it is read, how much of a
bad value a message quotes, how many problems are listed, and what an OS error is said to be.

The named, one-defect cases are in tests/bad_inputs/; these are the ones that need a file too
big to commit (made sparse or generated here) or a condition a case folder cannot hold.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path

import pytest

from qprlib import files, io, params
from qprlib.cli import _os_problem, main
from qprlib.errors import DataError, ParamsError, quote

CORPUS = Path(__file__).with_name("bad_inputs") / "base"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(CORPUS, tmp_path / "project")
    return tmp_path / "project"


def run(project: Path, capsys, *argv: str) -> tuple[int, str, str]:
    cwd = Path.cwd()
    os.chdir(project)
    try:
        status = main(list(argv))
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    return status, out, err


# --- quoting ---------------------------------------------------------------------------------


def test_quote_cuts_to_80_characters_and_says_how_long():
    shown = quote("x" * 10_000)
    assert shown == f"'{'x' * 79}…' (10,000 characters)"


def test_quote_shows_control_characters_as_escapes():
    assert quote("a\x0bb\tc\nd\x00\u2028") == "'a\\x0bb\\tc\\nd\\x00\\u2028'"
    assert quote("café – ok") == "'café – ok'"  # printable Unicode as it is


def test_a_huge_bad_cell_is_quoted_to_80_characters(project, capsys):
    values = project / "data" / "values.csv"
    values.write_text(values.read_text() + "ASC01,2023-10-31," + "9" * 5000 + "x\n")
    status, _, err = run(project, capsys, "validate")
    assert status == 2
    line = next(x for x in err.splitlines() if "column 'value'" in x)
    assert "(5,001 characters) is not a number" in line
    assert len(line) < 250


# --- how many problems are listed ----------------------------------------------------------


def test_100000_junk_rows_list_50_problems_and_count_the_rest(project, capsys):
    values = project / "data" / "values.csv"
    junk = "".join(f"ASC01,not a date {i},junk\n" for i in range(100_000))
    values.write_text(values.read_text() + junk)
    start = time.perf_counter()
    status, _, err = run(project, capsys, "validate")
    assert time.perf_counter() - start < 60  # seconds under load; a few on a quiet machine
    assert status == 2
    lines = err.splitlines()
    assert lines[0] == "qpr validate: 200,000 problem(s) found:"
    assert "  - … and 199,950 more in values.csv" in lines
    assert len(lines) == 1 + 50 + 1
    assert lines[1].startswith("  - values.csv, row 16, column 'period_end': 'not a date 0'")


def test_listed_keeps_each_files_first_problems_in_reading_order():
    found = [io.Problem("values.csv", row, "value", "bad") for row in range(200, 100, -1)]
    found.append(io.Problem("indicators.csv", 3, "name", "bad"))
    lines, count = io.listed(found, most=5)
    assert count == 101
    assert lines[0] == "indicators.csv, row 3, column 'name': bad"
    assert lines[1:6] == [f"values.csv, row {r}, column 'value': bad" for r in range(101, 106)]
    assert lines[6] == "… and 95 more in values.csv"


# --- what is refused before it is read ------------------------------------------------------


def test_a_data_file_over_the_size_limit_is_refused_unread(project, capsys, monkeypatch):
    values = project / "data" / "values.csv"
    with values.open("r+b") as handle:  # sparse: takes no disk space
        handle.truncate(io.MAX_FILE_BYTES + 1)
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        assert self.name != "values.csv", f"{self} was read"
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    status, _, err = run(project, capsys, "validate")
    assert status == 2
    assert "values.csv: is 256 MB, over the limit of 256 MB for one file" in err


def test_more_rows_than_the_limit_are_refused(project, capsys, monkeypatch):
    monkeypatch.setattr(files, "MAX_ROWS", 10)  # io reads files with qprlib.files
    status, _, err = run(project, capsys, "validate")
    assert status == 2
    assert "values.csv: has 15 lines, over the limit of 10 rows for one file" in err


def test_a_big_params_file_is_refused_quickly(project, capsys):
    quarter = project / "params" / "2023-24-q2.yml"
    quarter.write_text(quarter.read_text() + "# padding\n" * 5_000_000)  # 50 MB
    start = time.perf_counter()
    status, _, err = run(project, capsys, "build")
    assert time.perf_counter() - start < 10  # a minute before: PyYAML read it all
    assert status == 2
    assert "params/2023-24-q2.yml: is 48 MB, over the limit of 256 KB" in err


def test_params_nested_too_deeply_are_refused(project, capsys):
    quarter = project / "params" / "2023-24-q2.yml"
    quarter.write_text(quarter.read_text() + "contacts: " + "[" * 5000 + "]" * 5000 + "\n")
    status, _, err = run(project, capsys, "build")
    assert status == 2
    assert "Traceback" not in err
    assert "params/2023-24-q2.yml" in err


def test_a_control_character_in_params_is_refused_with_its_line(project, capsys):
    quarter = project / "params" / "2023-24-q2.yml"
    quarter.write_text(quarter.read_text() + "decision_no: 'A\x1b[31mB'\n")
    status, _, err = run(project, capsys, "build")
    assert status == 2
    assert "params/2023-24-q2.yml, line 5: has a control character (U+001B)" in err


def test_a_pipe_named_like_a_data_file_is_refused_without_blocking(project, capsys):
    values = project / "data" / "values.csv"
    values.unlink()
    os.mkfifo(values)  # reading it would wait for a writer for ever
    status, _, err = run(project, capsys, "validate")
    assert status == 2
    assert "values.csv: is not a regular file (a device or pipe?); expected a CSV file" in err


def test_an_unreadable_file_says_permission_denied(project, capsys, monkeypatch):
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if "targets" in str(p) else real(p, m))
    status, _, err = run(project, capsys, "validate")
    assert status == 2
    assert "targets.csv: cannot be read: permission denied (check the file's permissions)" in err
    assert "disk space" not in err


def test_a_link_inside_the_project_is_followed(project, capsys):
    data = project / "data"
    (project / "kept").mkdir()
    shutil.move(data / "values.csv", project / "kept" / "values.csv")
    (data / "values.csv").symlink_to(project / "kept" / "values.csv")
    assert run(project, capsys, "validate")[0] == 0


def test_a_params_link_outside_the_project_is_refused(project, capsys, tmp_path):
    outside = tmp_path / "elsewhere.yml"
    shutil.move(project / "params" / "defaults.yml", outside)
    (project / "params" / "defaults.yml").symlink_to(outside)
    with pytest.raises(ParamsError, match="is a link to .*outside the project folder"):
        params.read_params_file(project / "params" / "defaults.yml")


def test_load_reports_a_data_folder_that_is_a_file(tmp_path):
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(DataError, match="data: is a file, not a folder"):
        io.load(tmp_path / "data")


# --- what an OS error is said to be ---------------------------------------------------------


@pytest.mark.parametrize(
    "code, words",
    [
        (errno.EACCES, "permission denied"),
        (errno.EISDIR, "is a folder where a file is expected"),
        (errno.ENOENT, "not found"),
        (errno.ENOSPC, "free some disk space"),
        (errno.EXDEV, "on different disks"),
        (errno.EBUSY, "mount point"),
    ],
)
def test_os_errors_are_said_as_they_are(code, words):
    message = _os_problem(OSError(code, os.strerror(code), "/some/file"))
    assert message.startswith("/some/file: ")
    assert words in message
    if code != errno.ENOSPC:
        assert "disk space" not in message
