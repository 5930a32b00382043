"""Draft and final: `qpr publish QUARTER` keeps the quarter's site as published (issue 12).

Publishing copies `_site/<slug>/` as it is into `published/<slug>/v<N>/` (beside `_site/`,
so no later build can touch it), with the build's manifest and a `publication.json` (version,
time, commit, data hash, completeness, and each file's sha256), and makes every file and
folder of the copy read-only. `build/<slug>/final.json` marks the quarter final. A later
build of a final quarter writes only the working site `_site/<slug>/`; publishing again
writes the next version (v2) beside v1, never over it.

Only a quarter whose last build succeeded, was not a draft and is complete can be published.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from qprlib import provenance
from qprlib.errors import QprError

FINAL_FILE = "final.json"  # build/<slug>/final.json: the quarter is final
PUBLISHED_DIR = "published"  # <project>/published/<slug>/v<N>/
PUBLICATION_FILE = "publication.json"


def read_final(out: Path) -> dict | None:
    """build/<slug>/final.json as a dict (version, published, path), or None: not final."""
    try:
        record = json.loads((Path(out) / FINAL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "version" in record else None


def versions(folder: Path) -> list[int]:
    """The published version numbers in published/<slug>/, ascending."""
    if not folder.is_dir():
        return []
    found = [p.name[1:] for p in folder.iterdir() if p.is_dir() and p.name.startswith("v")]
    return sorted(int(n) for n in found if n.isdigit())


def publish(quarter, root: Path, build_dir: Path, site_dir: Path) -> Path:
    """Copy the quarter's published site into published/<slug>/v<N>/, read-only; mark it
    final. Raise QprError (exit 2, nothing written) unless its last build can be published."""
    slug = quarter.slug
    out, site = Path(build_dir) / slug, Path(site_dir) / slug
    manifest_path = out / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise QprError(
            f"{manifest_path}: {quarter} has not been built; run `qpr build '{quarter}'` first"
        ) from None
    completeness = manifest.get("completeness") or {}
    problems = []
    if manifest.get("outcome") != "success":
        problems.append(
            f"{manifest_path}: the last build of {quarter} did not succeed (exit status "
            f"{manifest.get('exit_status')}); fix it and build again before publishing"
        )
    if completeness.get("draft"):
        problems.append(
            f"{manifest_path}: the last build of {quarter} was a draft (--draft); build it "
            "without --draft (every KPI reported, or the completeness setting met) to publish"
        )
    if not site.is_dir():
        problems.append(f"{site}: no published site for {quarter}; build it with html or pdf")
    if problems:
        raise QprError(problems)
    folder = Path(root) / PUBLISHED_DIR / slug
    version = (versions(folder) or [0])[-1] + 1
    target = folder / f"v{version}"
    staging = folder / f".v{version}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(site, staging)
        shutil.copy2(manifest_path, staging / "manifest.json")
        published = provenance.utc_now()
        record = {
            "quarter": str(quarter),
            "version": version,
            "published": published,
            "git_commit": manifest.get("git_commit"),
            "data_hash": manifest.get("data_hash"),
            "completeness": completeness,
            "files": {
                p.relative_to(staging).as_posix(): _sha256(p)
                for p in sorted(staging.rglob("*"))
                if p.is_file()
            },
        }
        (staging / PUBLICATION_FILE).write_text(json.dumps(record, indent=2) + "\n")
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _read_only(target)
    final = {"version": version, "published": published, "path": str(target)}
    (out / FINAL_FILE).write_text(json.dumps(final, indent=2) + "\n", encoding="utf-8")
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_only(folder: Path) -> None:
    """Files r--r--r--, folders r-xr-xr-x (deepest first, so the walk can finish)."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        mode = 0o555 if path.is_dir() else 0o444
        path.chmod(mode)
    folder.chmod(0o555)
