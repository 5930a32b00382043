"""One build at a time per project: `build/.lock`, held with flock while a build runs.

The kernel releases an flock when its holder dies, so a killed build (kill -9, the OOM
killer) leaves the file but never a stale lock. Kept on the standard library rather than the
`filelock` package: flock meets every guarantee the build needs on the systems it runs on,
and filelock 4 would add a dependency (and its own lock-file management) for Windows alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from qprlib.errors import QprError

LOCK_FILE = ".lock"


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold `build_dir/.lock`; a second build stops at once with a clear message (exit 2)."""
    build_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    with open(build_dir / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise QprError(
                f"{build_dir}: another `qpr build` is running in this project; "
                "wait for it to finish, then run this one again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
