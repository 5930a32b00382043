"""The one way qprlib writes a file: to a temporary file beside it, then renamed into place.

Readers see the old file or the new one, never half of either. The temporary name is unique
per write (two writers never share one), it is removed when the write fails, and the rename
is made durable (the file and its folder are fsynced). A new file gets the usual permissions
(umask), a replaced one keeps its own, unless `mode` is given. Imports nothing from qprlib.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path, mode: int | None = None, replace: bool = True) -> Iterator[Path]:
    """A temporary path beside `path` to write to; renamed onto `path` when the block ends.

    `replace=False` refuses to replace a file that exists (FileExistsError), atomically.
    Nothing is left behind when the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # unique per write; the same suffix, for writers that go by it (openpyxl: .xlsx)
    temporary = path.with_name(f".{os.getpid()}-{secrets.token_hex(4)}.{path.name}")
    try:
        yield temporary
        _sync(temporary)
        if mode is not None:
            os.chmod(temporary, mode)
        elif replace and path.exists():
            shutil.copymode(path, temporary)
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # refuses to replace a file that appeared meanwhile
    finally:
        temporary.unlink(missing_ok=True)  # only still there if something failed (or linked)
    fsync_folder(path.parent)


def write_atomic(
    path: str | Path, data: str | bytes, mode: int | None = None, replace: bool = True
) -> None:
    """Write `data` (text as UTF-8) to `path` atomically (see `atomic_path`)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, mode, replace) as temporary, open(temporary, "xb") as handle:
        handle.write(payload)


def copy_atomic(source: str | Path, target: str | Path) -> None:
    """Copy `source` onto `target` atomically."""
    with atomic_path(target) as temporary:
        shutil.copyfile(source, temporary)


def _sync(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def fsync_folder(folder: Path) -> None:
    """Make a rename in folder durable (POSIX; other systems have nothing to do)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
