"""The bad-input corpus (tests/bad_inputs/, issue 5): every case through the real `qpr` command.

Each case is the corpus's valid base council (base/: data/ and params/) with one defect: the
case folder's own data/ or params/ files replace the base's, and its case.yml may remove
files, change one cell or add rows. case.yml names the command to run and the message
fragments it must produce (file, row or line, column or key, what is expected). Every case
must exit with its status (2 unless it says otherwise), print no traceback, and write
nothing: the project folder (data/, params/, and no build/ or _site/) is byte-for-byte as
it was. Cases run in-process (`qprlib.cli.main`); a few also through the console script.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from qprlib.cli import main

CORPUS = Path(__file__).with_name("bad_inputs")
BASE = CORPUS / "base"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.yml").is_file())
QPR = Path(sys.executable).with_name("qpr")  # the console script installed beside this Python
CONSOLE_CASES = [  # one of each kind, through the real entry point
    "non-numeric-value",
    "extra-unknown-column",
    "python-object-tag",
    "malformed-yaml",
]
CASE_KEYS = {
    "workbook",
    "junk_rows",
    "pad",
    "about",
    "run",
    "exit",
    "stderr",
    "stdout",
    "remove",
    "set",
    "append",
    "folder",
    "link",
}


def read_case(name: str) -> dict:
    case = yaml.safe_load((CORPUS / name / "case.yml").read_text(encoding="utf-8"))
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{name}/case.yml: unknown keys {unknown}"
    return case


def make_project(name: str, folder: Path) -> Path:
    """The base council with case `name`'s defect, in `folder`."""
    case, source = read_case(name), CORPUS / name
    shutil.copytree(BASE, folder)
    for sub in ("data", "params"):
        if (source / sub).is_dir():
            shutil.copytree(source / sub, folder / sub, dirs_exist_ok=True)
    for path in case.get("remove", []):
        (folder / path).unlink()
    for path, row, column, value in case.get("set", []):
        rows = read_csv(folder / path)
        rows[row - 1][rows[0].index(column)] = value  # a spreadsheet's row: the header is 1
        write_csv(folder / path, rows)
    for path, added in case.get("append", {}).items():
        write_csv(folder / path, read_csv(folder / path) + [[str(c) for c in r] for r in added])
    for path, count in case.get("junk_rows", {}).items():  # rows of a pasted-in mess
        with (folder / path).open("a", encoding="utf-8") as handle:
            handle.writelines(f"ASC01,not a date {i},junk\n" for i in range(count))
    for path, size in case.get("pad", {}).items():  # a file grown to `size` bytes of comments
        with (folder / path).open("a", encoding="utf-8") as handle:
            handle.write("# padding\n" * (size // 10))
    for path in case.get("folder", []):  # a folder where the file should be
        (folder / path).unlink()
        (folder / path).mkdir()
    for path, target in case.get("link", {}).items():  # the file replaced by a symbolic link
        outside = folder.parent / "outside.csv"  # someone else's file, beside the project
        outside.write_text("SECRET,first,line\n", encoding="utf-8")
        (folder / path).unlink()
        (folder / path).symlink_to(target.replace("{outside}", str(outside)))
    if "workbook" in case:
        make_return(folder, case["workbook"])
    return folder


def make_return(project: Path, spec: dict) -> Path:
    """The quarter's return for one directorate, written by `qpr returns` beside the project
    (outside it: the project must be left as it was) and then edited as a service might:
    `value`/`commentary`/`action` {id: text} set the indicator's last value cell or its text
    cells (text starting with '=' is stored as a formula); `unpacked_mb` adds a part of that
    many MB of zeros (a zip bomb); `cells` adds a sheet of that many empty cells;
    `long_cell` a cell of that many characters; `author` fills in who completed it; `damage` zeroes
    the byte that far (0 to 1) into the file. The
    path replaces "{workbook}" in `run`."""
    from openpyxl import load_workbook

    from qprlib.imports import _read_meta
    from qprlib.returns import META, write_returns

    out = project.parent / "returns"
    paths = write_returns(spec.get("quarter", "2023/24 Q2"), project / "data", out)
    path = next(p for p in paths if spec.get("directorate", "adult") in p.name)
    for other in paths:  # one return, so "{workbook}" names it
        if other != path:
            other.unlink()
    book = load_workbook(path)
    meta, table = _read_meta(book[META])
    sheet = book[meta["sheet"]]
    rows = {entry["id"]: entry for entry in table if entry["id"]}
    for id_, text in spec.get("value", {}).items():
        column = str(rows[id_]["inputs"]).split(";")[-1].split("=")[0]
        sheet[f"{column}{rows[id_]['row']}"] = text
    for field in ("commentary", "action"):
        for id_, text in spec.get(field, {}).items():
            sheet[f"{meta[f'{field}_column']}{rows[id_]['row']}"] = text
    if "author" in spec:
        sheet[meta["author_cell"]] = spec["author"]
    book.save(path)
    if "damage" in spec:  # one byte zeroed that far into the file (found by the fuzz tests)
        data = bytearray(path.read_bytes())
        data[int(spec["damage"] * len(data))] = 0
        path.write_bytes(bytes(data))
    if {"cells", "unpacked_mb", "long_cell"} & spec.keys():  # parts openpyxl would not write
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
            if "long_cell" in spec:
                cell = f'<c t="inlineStr"><is><t>{"x" * spec["long_cell"]}</t></is></c>'
                archive.writestr("xl/worksheets/sheet98.xml", f"<worksheet>{cell}</worksheet>")
            if "cells" in spec:
                cells = "<c/>" * spec["cells"]
                archive.writestr("xl/worksheets/sheet99.xml", f"<worksheet>{cells}</worksheet>")
            if "unpacked_mb" in spec:
                archive.writestr("xl/media/padding.bin", bytes(spec["unpacked_mb"] * 2**20))
    return path


def workbook_of(project: Path) -> str:
    """The return `make_return` wrote for the project ('' when the case has none)."""
    books = sorted((project.parent / "returns").rglob("*.xlsx"))
    return str(books[0]) if books else ""


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file and folder under folder by relative path: what a run must leave as it found
    it (a link by where it points, never read)."""
    return {
        str(p.relative_to(folder)): (
            os.readlink(p).encode() if p.is_symlink() else p.read_bytes() if p.is_file() else b"/"
        )
        for p in folder.rglob("*")
    }  # a folder as b"/": an empty folder left behind is something written


def check_outcome(case: dict, status: int, out: str, err: str) -> None:
    assert status == case.get("exit", 2), f"exit {status}\nstdout:\n{out}\nstderr:\n{err}"
    assert "Traceback" not in out + err
    for fragment in case.get("stderr", []):
        assert fragment in err, f"{fragment!r} not in stderr:\n{err}"
    for fragment in case.get("stdout", []):
        assert fragment in out, f"{fragment!r} not in stdout:\n{out}"
    if status == 2:
        assert "problem(s) found" in err  # the CLI's own message, not argparse or a crash


def test_the_corpus_is_big_enough_and_every_case_says_what_it_expects():
    assert len(CASES) >= 30
    for name in CASES:
        case = read_case(name)
        assert case["about"] and case["run"], name
        assert case.get("stderr") or case.get("stdout"), f"{name}: no message to look for"


@pytest.mark.parametrize("argv", [["validate"], ["assess", "2023/24 Q2"]])
def test_the_base_is_valid(tmp_path, monkeypatch, capsys, argv):
    """So each case's failure comes from its one defect."""
    shutil.copytree(BASE, tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    assert main(argv) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name", CASES)
def test_case(name, tmp_path, monkeypatch, capsys):
    case = read_case(name)
    project = make_project(name, tmp_path / "project")
    before = snapshot(project)
    monkeypatch.chdir(project)
    status = main([str(arg).replace("{workbook}", workbook_of(project)) for arg in case["run"]])
    out, err = capsys.readouterr()
    check_outcome(case, status, out, err)
    assert "SECRET" not in out + err, "a linked file outside the project was read"
    assert snapshot(project) == before, "the run wrote or changed files"


@pytest.mark.slow
@pytest.mark.parametrize("name", CONSOLE_CASES)
def test_case_through_the_console_script(name, tmp_path):
    case = read_case(name)
    project = make_project(name, tmp_path / "project")
    before = snapshot(project)
    done = subprocess.run(
        [str(QPR), *map(str, case["run"])],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    check_outcome(case, done.returncode, done.stdout, done.stderr)
    assert snapshot(project) == before


@pytest.mark.parametrize(
    "name, encoding, marker",
    [
        ("utf8-bom-loads", "utf-8-sig", b"\xef\xbb\xbf"),
        ("windows-1252-loads", "cp1252", b"\x92"),  # Excel's right single quote
    ],
)
def test_encoding_cases_hold_the_bytes_they_claim(name, encoding, marker):
    raw = (CORPUS / name / "data" / "indicators.csv").read_bytes()
    assert marker in raw
    raw.decode(encoding)
    if encoding == "cp1252":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
