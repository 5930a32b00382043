"""The no-change fast path (pipeline.unchanged): the raw input files' hashes against the last
successful build's, before pandas is imported; any change takes the full path, which still
refuses bad data (exit 2) and rebuilds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qprlib.periods import Quarter
from qprlib.pipeline import unchanged
from tests.test_build import make_project, write_data

OPTIONS = unchanged.options_of([Quarter(2023, 2)], [], None, "auto", False, True)


def key(root: Path) -> str:
    return unchanged.inputs_key(root, root / "data", OPTIONS)


@pytest.mark.parametrize(
    "changed",
    ["data/values.csv", "params/2023-24-q2.yml", "params/defaults.yml", "notebooks/qpr.ipynb"],
)
def test_a_change_to_any_input_file_changes_the_key(tmp_path, changed):
    root = make_project(tmp_path, ["Fine"])
    before = key(root)
    assert key(root) == before  # the same bytes, the same key
    with open(root / changed, "ab") as file:
        file.write(b"\n")
    assert key(root) != before


def test_a_new_data_file_or_other_options_change_the_key(tmp_path):
    root = make_project(tmp_path, ["Fine"])
    before = key(root)
    other = unchanged.options_of([Quarter(2023, 2)], ["Fine"], None, "auto", False, True)
    assert unchanged.inputs_key(root, root / "data", other) != before
    (root / "data" / "comparators.csv").write_text("id\n")
    assert key(root) != before


def test_quarters_are_read_as_the_full_path_reads_them(tmp_path):
    root = make_project(tmp_path, ["Fine"])
    assert unchanged.selected_quarters(None, root / "params") == [Quarter(2023, 2)]
    assert unchanged.selected_quarters("2023-24 Q2", root / "params") == [Quarter(2023, 2)]
    assert unchanged.selected_quarters("2023/24 Q3", root / "params") is None  # no params
    assert unchanged.selected_quarters("Q9", root / "params") is None  # the full path says why


def qpr_build(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`qpr build` in its own process, saying at the end whether pandas was imported."""
    script = (
        "import sys; from qprlib import cli; "
        f"status = cli.main(['build', '--to', 'html', '--engine', 'builtin', *{list(args)!r}]); "
        "print('exit', status, 'pandas' in sys.modules)"
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_no_change_skips_pandas_but_changed_bad_data_is_refused_and_changes_rebuild(tmp_path):
    root = make_project(tmp_path, ["Fine"])
    first = qpr_build(root, "--jobs", "2")
    assert first.stdout.splitlines()[-1] == "exit 0 True", first.stderr
    again = qpr_build(root)
    assert again.stdout.splitlines()[-1] == "exit 0 False", again.stderr  # no pandas
    assert "0 built, 3 up to date (no input file changed" in again.stdout
    assert "no input file changed" in (root / "build" / "2023-24-q2" / "build.log").read_text()

    values = root / "data" / "values.csv"
    good = values.read_text()
    values.write_text(good.replace("2023-09-30,82", "2023-09-30,8 2"))  # bad data, changed
    refused = qpr_build(root)
    assert refused.stdout.splitlines()[-1] == "exit 2 True"
    assert "values.csv, row 3, column 'value'" in refused.stderr

    write_data(root / "data", ["Fine"], value=65)  # good data, changed
    rebuilt = qpr_build(root)
    assert rebuilt.stdout.splitlines()[-1] == "exit 0 True", rebuilt.stderr
    assert "no input file changed" not in rebuilt.stdout
    assert "built       qpr" in rebuilt.stdout
