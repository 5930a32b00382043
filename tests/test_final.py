"""qpr publish: a final quarter's site kept as published, read-only, versioned (issue 12)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from qprlib.errors import QprError
from qprlib.final import PUBLICATION_FILE, publish, read_final, revise, versions
from qprlib.periods import Quarter

Q2 = Quarter.parse("2023/24 Q2")


def project(tmp_path: Path, *, outcome="success", draft=False) -> Path:
    root = tmp_path / "project"
    out, site = root / "build" / Q2.slug, root / "_site" / Q2.slug
    out.mkdir(parents=True)
    site.mkdir(parents=True)
    (site / "cover.html").write_text("<p>as sent to Cabinet</p>")
    manifest = {"outcome": outcome, "exit_status": 0, "completeness": {"draft": draft}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return root


def publish_in(root: Path) -> Path:
    return publish(Q2, root, root / "build", root / "_site")


def test_publish_keeps_a_read_only_copy_with_its_manifest_and_marks_the_quarter_final(tmp_path):
    root = project(tmp_path)
    target = publish_in(root)
    assert target == root / "published" / Q2.slug / "v1"
    assert (target / "cover.html").read_text() == "<p>as sent to Cabinet</p>"
    assert json.loads((target / "manifest.json").read_text())["outcome"] == "success"
    record = json.loads((target / "publication.json").read_text())
    assert record["version"] == 1 and "cover.html" in record["files"]
    for path in [target, *target.rglob("*")]:
        writable = stat.S_IMODE(path.stat().st_mode) & 0o222
        assert not writable, path
    assert read_final(root / "build" / Q2.slug)["version"] == 1


def test_publishing_again_writes_the_next_version_beside_the_first(tmp_path):
    root = project(tmp_path)
    first = publish_in(root)
    (root / "_site" / Q2.slug / "cover.html").write_text("<p>corrected</p>")  # a later build
    second = publish_in(root)
    assert second.name == "v2" and first.name == "v1"
    assert (first / "cover.html").read_text() == "<p>as sent to Cabinet</p>"  # never over it
    assert (second / "cover.html").read_text() == "<p>corrected</p>"
    assert read_final(root / "build" / Q2.slug)["version"] == 2


@pytest.mark.parametrize(
    "options, words", [({"draft": True}, "was a draft"), ({"outcome": "failed"}, "did not succeed")]
)
def test_a_draft_or_failed_build_cannot_be_published(tmp_path, options, words):
    root = project(tmp_path, **options)
    with pytest.raises(QprError, match=words):
        publish_in(root)
    assert not (root / "published").exists()
    assert read_final(root / "build" / Q2.slug) is None


def pdf(made: str) -> bytes:
    """A PDF as Typst writes it: the same paper made at another time differs only in dates."""
    return (
        f"%PDF-1.7\n<</ModDate(D:{made}Z)/CreationDate(D:{made}Z)>>\n"
        f"<xmp:ModifyDate>{made}</xmp:ModifyDate>\n(Red: 4 KPIs)\n%%EOF"
    ).encode()


def built_again(root: Path, cover: str, *, draft=False, outcome="success") -> None:
    """A later build of Q2: its site and manifest as `qpr build` leaves them."""
    site = root / "_site" / Q2.slug
    (site / "cover.html").write_text(cover)
    (site / "how-this-was-produced.html").write_text("<p>run at 10:02</p>")  # a record
    manifest = {"outcome": outcome, "exit_status": 0, "completeness": {"draft": draft}}
    (root / "build" / Q2.slug / "manifest.json").write_text(json.dumps(manifest))


def revise_in(root: Path, replace=False) -> str:
    return revise(Q2, root, root / "build", root / "_site", replace=replace)


def test_a_build_of_a_final_quarter_that_changes_the_papers_publishes_v2_beside_v1(tmp_path):
    root = project(tmp_path)
    (root / "_site" / Q2.slug / "cover.pdf").write_bytes(pdf("20240105093000"))
    first = publish_in(root)
    built_again(root, "<p>corrected</p>")
    line = revise_in(root)
    second = root / "published" / Q2.slug / "v2"
    assert line.startswith("2023/24 Q2 is final: its papers changed") and str(second) in line
    assert (first / "cover.html").read_text() == "<p>as sent to Cabinet</p>"  # never over it
    assert (second / "cover.html").read_text() == "<p>corrected</p>"
    assert json.loads((second / PUBLICATION_FILE).read_text())["revises"] == 1
    assert json.loads((first / PUBLICATION_FILE).read_text())["revises"] is None
    assert read_final(root / "build" / Q2.slug)["version"] == 2
    assert revise_in(root) == ""  # built again, nothing changed: still v2, no v3
    assert sorted(p.name for p in second.parent.iterdir()) == ["v1", "v2"]


def test_the_same_papers_made_again_are_not_a_new_version(tmp_path):
    root = project(tmp_path)
    (root / "_site" / Q2.slug / "cover.pdf").write_bytes(pdf("20240105093000"))
    publish_in(root)
    # re-run (--force, a qprlib change): same paper, PDF made later, a new build record page
    (root / "_site" / Q2.slug / "cover.pdf").write_bytes(pdf("20240109170000"))
    built_again(root, "<p>as sent to Cabinet</p>")
    assert revise_in(root) == ""
    assert versions(root / "published" / Q2.slug) == [1]


@pytest.mark.parametrize(
    "options, words", [({"draft": True}, "a draft"), ({"outcome": "failed"}, "not a success")]
)
def test_a_draft_or_failed_build_of_a_final_quarter_publishes_nothing(tmp_path, options, words):
    root = project(tmp_path)
    first = publish_in(root)
    built_again(root, "<p>draft</p>", **options)
    said = f"2023/24 Q2 is final: this build was {words}, so it is not published; {first} is"
    assert revise_in(root) == said + " unchanged"
    assert versions(root / "published" / Q2.slug) == [1]


def test_replace_writes_over_the_latest_version_when_told_to(tmp_path):
    root = project(tmp_path)
    first = publish_in(root)
    published = json.loads((first / PUBLICATION_FILE).read_text())["published"]
    built_again(root, "<p>typo fixed</p>")
    assert "written over" in revise_in(root, replace=True)
    assert versions(root / "published" / Q2.slug) == [1]
    assert (first / "cover.html").read_text() == "<p>typo fixed</p>"
    record = json.loads((first / PUBLICATION_FILE).read_text())
    assert record["replaces"] == [published] and record["revises"] is None
    assert not stat.S_IMODE((first / "cover.html").stat().st_mode) & 0o222  # read-only again


def test_a_quarter_never_published_is_left_to_the_build(tmp_path):
    root = project(tmp_path)
    built_again(root, "<p>new</p>")
    assert revise_in(root) == ""
    assert not (root / "published").exists()


def test_status_shows_every_published_version(tmp_path):
    from qprlib.status import final_words

    root = project(tmp_path)
    publish_in(root)
    out = root / "build" / Q2.slug
    assert final_words(out, root).startswith("v1, published ")
    built_again(root, "<p>corrected</p>")
    revise_in(root)
    words = final_words(out, root)
    assert words.startswith("v2, published ") and ", a revision of v1; v1, published " in words
