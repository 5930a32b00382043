"""The quarter's cycle as a performance team runs it (issue 12, "Done when"), on the sample
council in a throwaway copy: 2023/24 Q2 built and published; Q3's returns filled in with
openpyxl as services would, one with a cell left blank, two directorates late; the build
refuses the incomplete quarter without --draft, the draft says what is missing, the late
returns arrive, the final build is complete, and Q2 stays current and final. Then a one-row
commentary fix re-runs only the reports that show it (read from the build's own summary).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook

from qprlib import cli, io
from qprlib.imports import _read_meta
from qprlib.returns import INDICATORS, META

ROOT = Path(__file__).resolve().parent.parent
Q2, Q3 = "2023/24 Q2", "2023/24 Q3"
# Two dashboards (with the cover and the QPR: four reports a build) keep the walk quick; the
# completeness rule is over every KPI of every directorate all the same.
BUILT = ["Chief Executive's Department", "Public Health"]
LATE = ["Children, Young People and Education", "Adult Social Care and Health"]


def fill_return(path: Path, targets: dict[str, tuple[float, float]], blank: str = "") -> None:
    """Type every value cell of a return: each KPI at its target (Green, so no action is
    needed), each activity indicator inside its expected range; `blank`: leave that id's
    first cell empty (a figure not yet available). GL01 gets a comment."""
    book = load_workbook(path)
    sheet = book[INDICATORS]
    meta, table = _read_meta(book[META])
    sheet["B2"] = "A. Officer"
    for entry in table:
        if not entry["id"]:
            continue
        target, low = targets[entry["id"]]
        cells = [pair.split("=")[0] for pair in str(entry["inputs"]).split(";") if pair]
        for k, column in enumerate(cells):
            if entry["id"] == blank and k == 0:
                continue
            sheet[f"{column}{entry['row']}"] = target if target == target else low
        if entry["id"] == "GL01":
            sheet[f"{meta['commentary_column']}{entry['row']}"] = "Backlog cleared in December."
    book.save(path)


def summary(capsys) -> str:
    return capsys.readouterr().out


@pytest.mark.slow
def test_a_quarter_with_partial_and_late_returns_from_draft_to_final(tmp_path, monkeypatch, capsys):
    root = tmp_path / "council"
    for folder in ("data", "params", "notebooks"):
        shutil.copytree(ROOT / folder, root / folder)
    text = (root / "params" / "2023-24-q2.yml").read_text()
    (root / "params" / "2023-24-q2.yml").write_text(
        text.replace("directorates: []", f"directorates: {json.dumps(BUILT)}")
    )
    monkeypatch.chdir(root)

    # Q2, as sent to Cabinet: built and published.
    assert cli.main(["build", Q2, "--to", "html"]) == 0
    assert cli.main(["publish", Q2]) == 0
    published = root / "published" / "2023-24-q2" / "v1"
    assert (published / "cover.html").is_file() and (published / "manifest.json").is_file()
    as_sent = {p.name: p.read_bytes() for p in published.iterdir()}
    capsys.readouterr()

    # Q3: new quarter (meeting date to set), returns out.
    assert cli.main(["new-quarter", Q3]) == 0
    q3_params = root / "params" / "2023-24-q3.yml"
    assert 'meeting_date: ""' in q3_params.read_text()
    assert cli.main(["build", Q3]) == 2  # no figures yet, and no meeting date
    q3_params.write_text(
        q3_params.read_text().replace('meeting_date: ""', "meeting_date: 2024-03-07")
    )
    assert cli.main(["returns", Q3]) == 0
    data = io.load(root / "data")
    year = data.targets.loc[data.targets["year"] == "2023/24"].set_index("id")
    targets = {i: (row["target"], row["lower"]) for i, row in year.iterrows()}
    workbooks = {p.name: p for p in (root / "returns" / "2023-24-q3").glob("*.xlsx")}
    assert len(workbooks) == 5
    on_time, late = [], []
    for name, path in sorted(workbooks.items()):
        is_late = any(slug in name for slug in ("children", "adult-social-care"))
        fill_return(path, targets, blank="" if is_late or "public-health" not in name else "PH02")
        (late if is_late else on_time).append(str(path))

    capsys.readouterr()
    assert cli.main(["import", *on_time]) == 0
    assert "Left empty, so not yet available (1" in summary(capsys)  # PH02's October
    assert cli.main(["returns", "--status", Q3]) == 1
    status = summary(capsys)
    assert "Public Health: partly" in status
    for directorate in LATE:
        assert f"{directorate}: outstanding" in status

    # Incomplete: refused without --draft, listing the missing KPIs by directorate.
    assert cli.main(["build", Q3]) == 2
    refused = capsys.readouterr().err
    assert "below the completeness setting" in refused and "--draft" in refused
    for directorate in LATE:
        assert f"- {directorate} (" in refused
    assert "Public Health" not in refused.split("setting")[1]  # PH02 has Nov and Dec
    assert not (root / "build" / "2023-24-q3").exists()

    # The draft says so on every report, and what is missing.
    assert cli.main(["build", Q3, "--draft", "--to", "html"]) == 0
    assert "DRAFT: " in summary(capsys)
    out = root / "build" / "2023-24-q3"
    for report in ("cover", "qpr", "directorate-public-health"):
        nb = nbformat.read(out / f"{report}.ipynb", as_version=4)
        assert nb.cells[0].source.splitlines()[1].startswith("title: 'DRAFT: ")
        assert nb.cells[1].source.startswith("**DRAFT – not for publication.**")
        for directorate in LATE:
            assert directorate in nb.cells[1].source

    # The late returns arrive: the final build is complete.
    assert cli.main(["import", *late]) == 0
    assert cli.main(["build", Q3]) == 0
    final = summary(capsys)
    assert "DRAFT" not in final and "not yet reported" not in final
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["completeness"]["draft"] is False
    assert manifest["completeness"]["reported"] == manifest["completeness"]["expected"]
    nb = nbformat.read(out / "cover.ipynb", as_version=4)
    assert "DRAFT" not in nb.cells[0].source + nb.cells[1].source
    index = (root / "_site" / "index.html").read_text(encoding="utf-8")
    assert "KPIs have a figure for 2023/24 Q3 (100%)." in index  # the site says so too

    # Q2 is untouched by Q3's rows: current, and final.
    assert cli.main(["status", Q2]) == 0
    q2 = summary(capsys)
    assert "all reports current" in q2 and "NOT" not in q2
    assert "final       v1, published" in q2

    # One commentary row of one directorate: only the reports that show it re-run.
    commentary = root / "data" / "commentary.csv"
    text = commentary.read_text(encoding="utf-8")
    assert "Backlog cleared in December." in text
    commentary.write_text(
        text.replace("Backlog cleared in December.", "Backlog cleared by 20 December."),
        encoding="utf-8",
    )
    assert cli.main(["build", Q3]) == 0
    rerun = summary(capsys)
    assert "3 built, 2 up to date" in rerun
    built = next(line for line in rerun.splitlines() if "  built: " in line)
    assert sorted(built.split("built: ")[1].split(", ")) == [
        "briefing",  # it prints the commentary of whichever KPIs the figures call in
        "directorate-chief-executives-department",
        "qpr",
    ]  # not the cover (it counts commentary, not its words), nor Public Health's dashboard

    # A correction to Q2 after it went to Cabinet: the build publishes it as v2, a revision
    # of v1, beside it; v1 stays as sent.
    text = commentary.read_text(encoding="utf-8")
    sent = "as new advisors completed training"
    assert sent in text
    commentary.write_text(text.replace(sent, "as 12 new advisors completed training"), "utf-8")
    assert cli.main(["build", Q2, "--to", "html"]) == 0
    v2 = root / "published" / "2023-24-q2" / "v2"
    assert "its papers changed, so they are published as v2, a revision of v1" in summary(capsys)
    assert {p.name: p.read_bytes() for p in published.iterdir()} == as_sent
    assert "as 12 new advisors" in (v2 / "qpr.html").read_text(encoding="utf-8")
    assert "as 12 new advisors" not in (published / "qpr.html").read_text(encoding="utf-8")
    assert cli.main(["status", Q2]) == 0
    assert ", a revision of v1; v1, published " in summary(capsys)
