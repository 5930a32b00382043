"""The no-change fast path of `qpr build`: compare the raw input files' hashes with those of
the last successful build before pandas is imported or any data is loaded.

A build that ends with exit 0 writes `build/<slug>/inputs.stamp.json`: a hash of every input
file's bytes (data/, params/*.yml, notebooks/*.ipynb, qprlib's source and templates) and the
options that shape the output. When the next `qpr build` of the same quarters with the same
options finds the same hash, its outputs still there, it says so and exits 0: nothing to
rebuild, and nothing the full checks could refuse (they passed on these very bytes). Any
difference, however small, takes the full path, which validates the data (exit 2 on bad data)
and re-runs what changed. This module imports only the standard library, provenance and
periods, so the fast path costs milliseconds, not pandas' import.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from datetime import date
from pathlib import Path

from qprlib import provenance
from qprlib.periods import Quarter, parse_quarters

STAMP = "inputs.stamp.json"
MANIFEST = "manifest.json"


def inputs_key(root: Path, data_dir: Path, options: dict) -> str:
    """A hash of every input file (names and bytes) and the options of the build."""
    digest = hashlib.sha256()
    root = Path(root).resolve()
    folders = (
        (Path(data_dir).resolve(), "*"),
        (root / "params", "*.yml"),
        (root / "notebooks", "*.ipynb"),
    )
    for folder, pattern in folders:
        for path in sorted(folder.glob(pattern)) if folder.is_dir() else []:
            if path.is_file():
                digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
                digest.update(path.read_bytes())
    fixed = {
        "folders": [str(folder) for folder, _ in folders],
        "qprlib": provenance.source_hash(),
        "python": sys.executable,
        "quarto": shutil.which("quarto") or "",
        **options,
    }
    digest.update(json.dumps(fixed, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def options_of(quarters, directorates, formats, engine, draft, render) -> dict:
    """The options of a build that shape its output (not --jobs, --quiet, notifications)."""
    return {
        "quarters": [str(q) for q in quarters],
        "directorates": list(directorates),
        "formats": list(formats) if formats else None,
        "engine": engine,
        "draft": draft,
        "render": render,
    }


def selected_quarters(text: str | None, params_dir: Path, today: date | None = None):
    """QUARTER's quarters as `params.resolve_quarter` reads them, without loading params; None
    when that cannot be worked out here (the full path then says what is wrong)."""
    try:
        stems = [path.stem for path in params_dir.glob("*.yml") if path.stem != "defaults"]
        files = sorted(Quarter.parse(stem) for stem in stems)
    except Exception:
        return None
    aliases = {"current": Quarter.last_ended(today or date.today())}
    if files:
        aliases["latest"] = files[-1]
    try:
        chosen = parse_quarters(text or "latest", aliases)
    except Exception:
        return None
    return chosen if all(q in files for q in chosen) else None


def write_stamp(out: Path, key: str) -> None:
    """After a successful build of the quarter in `out`: the key it was built from."""
    from qprlib.atomic import write_atomic

    write_atomic(out / STAMP, json.dumps({"key": key}))


def unchanged(build_dir: Path, site_dir: Path, quarters, key: str, render: bool) -> list[dict]:
    """Each quarter's last manifest when every one was built successfully from `key` and its
    notebooks (and site) are still there; [] when any is not: then build in full."""
    manifests = []
    for quarter in quarters:
        out = build_dir / quarter.slug
        try:
            stamp = json.loads((out / STAMP).read_text(encoding="utf-8"))
            manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(stamp, dict) or stamp.get("key") != key:
            return []
        if not isinstance(manifest, dict) or manifest.get("exit_status") != 0:
            return []
        reports = manifest.get("reports") or {}
        # the outputs and the up-to-date stamps the full path would find (one removed, say to
        # make the site again, or kpis.csv to write again, takes the full path)
        needed = ["kpis.csv", "kpis.stamp.json", *(["render.stamp.json"] * render)]
        needed += [f"{r}{suffix}" for r in reports for suffix in (".ipynb", ".stamp.json")]
        if not all((out / name).is_file() for name in needed):
            return []
        if render and not (site_dir / quarter.slug).is_dir():
            return []
        manifests.append(manifest)
    return manifests


def project_root(start: Path | None = None) -> Path | None:
    """The folder holding params/, from the working folder up (as params.find_project_root)."""
    start = (start or Path.cwd()).resolve()
    return next((f for f in (start, *start.parents) if (f / "params").is_dir()), None)


def fast_build(args, root: Path | None) -> int | None:
    """`qpr build` when no input changed since the last successful build: the summary and
    exit 0; None when the build must run in full."""
    if args.force or args.all_quarters or args.project:
        return None
    if root is None:
        return None
    quarters = selected_quarters(args.quarter, root / "params")
    if not quarters:
        return None
    data_dir = args.data  # as plan.under_root finds it: here, else in the project
    data_dir = data_dir if data_dir.is_absolute() or data_dir.exists() else root / data_dir
    options = options_of(quarters, args.directorate, args.to, args.engine, args.draft, True)
    key = inputs_key(root, data_dir, options)
    manifests = unchanged(root / "build", root / "_site", quarters, key, render=True)
    if not manifests:
        return None
    summary = ""
    for quarter, manifest in zip(quarters, manifests, strict=True):
        count = len(manifest.get("reports") or {})
        line = (
            f"{quarter}: 0 built, {count} up to date (no input file changed since the build "
            f"of {manifest.get('finished', '')})"
        )
        _append_log(root / "build" / quarter.slug / "build.log", line)
        summary += line + "\n"
    sys.stdout.write(summary)  # shown even when quiet, as a full build's summary is
    _notify(args, quarters, summary, root)
    return 0


def _append_log(path: Path, text: str) -> None:
    from datetime import datetime

    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"\n{stamp} {text}\n")


class _Log:
    """What notify.Notifier.finished writes to: the quarter's build.log."""

    def __init__(self, path: Path):
        self.path = path

    def line(self, text: str) -> None:
        _append_log(self.path, text)
        print(text, flush=True)

    error = line


def _notify(args, quarters, summary: str, root: Path) -> None:
    if not args.on_success:
        return
    from qprlib import notify

    named = str(quarters[0]) if len(quarters) == 1 else f"{quarters[0]}..{quarters[-1]}"
    log = _Log(root / "build" / quarters[-1].slug / "build.log")
    notify.Notifier(args.on_success, args.on_failure).finished(named, 0, summary, log)
