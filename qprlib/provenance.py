"""Provenance of a build: which code, data and parameters produced a report, and when.

Cheap on purpose (no heavy imports): a rebuild with nothing changed computes all of this.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

NOT_A_CHECKOUT = "not a git checkout"
UNCOMMITTED = "(uncommitted changes)"
PACKAGE_DIR = Path(__file__).resolve().parent
VERSIONED = ("qprlib", "papermill", "nbclient", "ipykernel", "pandas", "numpy", "scipy")
VERSIONED += ("matplotlib", "seaborn", "nbconvert")
COMPILED = (".pyc", ".pyo")  # made by Python from the source: not an input


def git_commit(root: Path) -> str:
    """`<sha>`, `<sha> (uncommitted changes)` when the checkout differs, or 'not a git checkout'."""
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        return NOT_A_CHECKOUT
    changes = _git(root, "status", "--porcelain")
    return f"{head} {UNCOMMITTED}" if changes else head


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def file_hash(path: Path) -> str:
    """sha256 hex of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_hash(package_dir: Path | None = None) -> str:
    """sha256 over qprlib's files (names and bytes): its Python source and the render templates
    and stylesheet in templates/, so a change to how reports look makes them stale too."""
    package_dir = Path(package_dir or PACKAGE_DIR)
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        parts = path.relative_to(package_dir).parts
        if not path.is_file() or path.suffix in COMPILED or _ignored(parts):
            continue
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _ignored(parts: tuple[str, ...]) -> bool:
    """Caches and hidden files (editor swap files, .DS_Store) are not the library."""
    return any(part == "__pycache__" or part.startswith(".") for part in parts)


def text_hash(text: str) -> str:
    """sha256 hex of a string (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_now() -> str:
    """The current time as ISO 8601 UTC to the second: `2024-01-04T09:30:00Z`."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def versions() -> dict[str, str]:
    """Python and the installed versions of the packages that shape a report."""
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
