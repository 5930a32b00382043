"""qpr publish: a final quarter's site kept as published, read-only, versioned (issue 12)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from qprlib.errors import QprError
from qprlib.final import publish, read_final
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
