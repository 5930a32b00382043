"""Draft and final: `qpr publish QUARTER` keeps the quarter's site as published (issue 12).

Publishing copies `_site/<slug>/` as it is into `published/<slug>/v<N>/` (beside `_site/`,
so no later build can touch it), with the build's manifest and a `publication.json` (version,
time, commit, data hash, completeness, and each file's sha256), and makes every file and
folder of the copy read-only. `build/<slug>/final.json` marks the quarter final.

A later build of a final quarter that changes the papers (what members read: the reports and
kpis.csv, not the build record page) publishes them as the next version, v2 beside v1 and
marked as its revision, never over it (`revise`); `qpr build --replace` writes them over the
latest version instead. A draft or failed build of a final quarter publishes nothing.

Only a quarter whose last build succeeded, was not a draft and is complete can be published.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

from qprlib import provenance
from qprlib.errors import QprError

FINAL_FILE = "final.json"  # build/<slug>/final.json: the quarter is final
PUBLISHED_DIR = "published"  # <project>/published/<slug>/v<N>/
PUBLICATION_FILE = "publication.json"
# not papers: the publication's own records, and the build record page (its run times change
# with every run, the papers do not)
NOT_PAPERS = (PUBLICATION_FILE, "manifest.json", "how-this-was-produced.html")
# what changes in a PDF or Word file when the same paper is made again: the time it was made
_PDF_DATE = re.compile(rb"\(D:\d{4}[^)]*\)")
_XMP_DATE = re.compile(rb"<xmp:(\w+Date)>[^<]*</xmp:\1>")
_DOCX_DATE = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")


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


def publish(quarter, root: Path, build_dir: Path, site_dir: Path, replace: bool = False) -> Path:
    """Copy the quarter's published site into published/<slug>/v<N>/, read-only; mark it
    final. Raise QprError (exit 2, nothing written) unless its last build can be published.
    `replace`: write over the latest version (same number) instead of adding the next."""
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
    latest = (versions(folder) or [0])[-1]
    version = latest if replace and latest else latest + 1
    target = folder / f"v{version}"
    earlier = _record(target) if target.is_dir() else {}
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
            # a later version is a revision of the one before; a replaced one says when
            "revises": earlier.get("revises") if earlier else (version - 1 or None),
            "replaces": [*earlier.get("replaces", []), earlier.get("published")] if earlier else [],
            "files": {
                p.relative_to(staging).as_posix(): _sha256(p)
                for p in sorted(staging.rglob("*"))
                if p.is_file()
            },
        }
        (staging / PUBLICATION_FILE).write_text(json.dumps(record, indent=2) + "\n")
        if earlier:  # --replace: the old copy goes only once the new one is complete
            _writable(target)
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _read_only(target)
    final = {"version": version, "published": published, "path": str(target)}
    (out / FINAL_FILE).write_text(json.dumps(final, indent=2) + "\n", encoding="utf-8")
    return target


def revise(quarter, root: Path, build_dir: Path, site_dir: Path, replace: bool = False) -> str:
    """After a build: when the quarter is final and its papers changed, publish them as the
    next version (or over the latest, `replace`). Returns the line the build says about it,
    '' when the quarter is not final or its papers are as published."""
    slug = quarter.slug
    record = read_final(Path(build_dir) / slug)
    folder = Path(root) / PUBLISHED_DIR / slug
    numbers = versions(folder)
    site = Path(site_dir) / slug
    if not record or not numbers or not site.is_dir():
        return ""
    latest = folder / f"v{numbers[-1]}"
    if papers(site) == papers(latest):
        return ""
    manifest = _manifest(Path(build_dir) / slug)
    if manifest.get("outcome") != "success" or (manifest.get("completeness") or {}).get("draft"):
        kind = "a draft" if (manifest.get("completeness") or {}).get("draft") else "not a success"
        return (
            f"{quarter} is final: this build was {kind}, so it is not published; "
            f"{latest} is unchanged"
        )
    target = publish(quarter, root, build_dir, site_dir, replace=replace)
    if replace:
        return f"{quarter} is final: its papers changed and were written over {target} (--replace)"
    return (
        f"{quarter} is final: its papers changed, so they are published as {target.name}, a "
        f"revision of {latest.name} (kept unchanged): {target}"
    )


def published_versions(root: Path, slug: str) -> list[dict]:
    """Each published version's publication.json (version, published, revises), ascending."""
    folder = Path(root) / PUBLISHED_DIR / slug
    return [_record(folder / f"v{n}") | {"version": n} for n in versions(folder)]


def papers(folder: Path) -> dict[str, str]:
    """What members read in a site folder, as {path: fingerprint}: every file but NOT_PAPERS,
    with the time a PDF or Word file was made left out (the same paper made again is equal)."""
    return {
        p.relative_to(folder).as_posix(): _fingerprint(p)
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file() and p.name not in NOT_PAPERS
    }


def _fingerprint(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".pdf":
        data = _XMP_DATE.sub(b"", _PDF_DATE.sub(b"(D:)", data))
    elif path.suffix == ".docx":
        try:
            with zipfile.ZipFile(path) as docx:
                parts = [(n, _DOCX_DATE.sub(b"", docx.read(n))) for n in sorted(docx.namelist())]
        except (zipfile.BadZipFile, OSError):
            parts = []
        data = b"".join(name.encode() + b"\0" + part for name, part in parts) if parts else data
    return hashlib.sha256(data).hexdigest()


def _record(version_dir: Path) -> dict:
    try:
        record = json.loads((version_dir / PUBLICATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _manifest(out: Path) -> dict:
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _writable(folder: Path) -> None:
    """Undo _read_only (shallowest first), so a replaced version can be removed."""
    folder.chmod(0o755)
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts)):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_only(folder: Path) -> None:
    """Files r--r--r--, folders r-xr-xr-x (deepest first, so the walk can finish)."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        mode = 0o555 if path.is_dir() else 0o444
        path.chmod(mode)
    folder.chmod(0o555)
