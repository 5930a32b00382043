"""Executed notebooks as the renderers read them, and the ways rendering can fail.

A notebook is fit to render when papermill's run succeeded (no error cell, no exception) and
its first cell is the raw YAML front-matter cell.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qprlib.errors import QprError
from qprlib.names import report_label

SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # report names become file names and URLs
ERROR_CELL_TAG = "papermill-error-cell-tag"


class RenderError(QprError):
    """A report could not be rendered; the message says which and why."""


class OutputError(RenderError):
    """The site cannot be written at all (disk full, read-only, a file in the way): the
    build stops with exit status 2 and the published site is left as it was."""


# OSErrors that mean "this place cannot be written", not "this report is broken"
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}  # whatever is being written
OUTPUT_ERRNOS = DISK_ERRNOS | {errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}
# the site swapped in by renames: a site folder that is its own mount cannot be renamed
OUTPUT_ERRNOS |= {errno.EBUSY, errno.EXDEV}


@dataclass(frozen=True)
class Report:
    """An executed notebook checked fit to render, with what the pages say about it."""

    name: str
    notebook: Path
    nb: object = field(repr=False)  # nbformat.NotebookNode
    front_matter: dict
    parameters: dict

    @property
    def title(self) -> str:
        """The front matter's title, or the report's label when there is none."""
        return text(self.front_matter.get("title")) or report_label(self.name, self.parameters)


@dataclass(frozen=True)
class Rendered:
    """One report's output files (in a work directory) and its entry for the index."""

    name: str
    files: dict[str, Path]
    label: str
    title: str


def check_reports(quarter_dir: Path, reports: Sequence[str]) -> tuple[list[Report], list]:
    """Read each report's executed notebook; failures for missing, failed or unsafe ones."""
    checked, failures = [], []
    for name in reports:
        try:
            checked.append(read_report(quarter_dir, name))
        except RenderError as error:
            failures.append((name, str(error)))
    return checked, failures


def read_report(quarter_dir: Path, name: str) -> Report:
    """The executed notebook `quarter_dir/<name>.ipynb`, refused if papermill's run failed."""
    if not SAFE_NAME.match(name):
        raise RenderError(
            f"'{name}' is not a safe report name (lower-case letters, digits, '-' and '_')"
        )
    path = Path(quarter_dir) / f"{name}.ipynb"
    if not path.is_file():
        raise RenderError(f"{path}: no executed notebook to render")
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several types for a damaged file
        raise RenderError(f"{path}: not a readable notebook ({error})") from error
    papermill = nb.metadata.get("papermill", {})
    if papermill.get("exception") or any(
        ERROR_CELL_TAG in c.get("metadata", {}).get("tags", []) for c in nb.cells
    ):
        raise RenderError(f"{path}: the notebook failed when it ran; not rendered")
    return Report(name, path, nb, read_front_matter(nb, path), papermill.get("parameters", {}))


def read_front_matter(nb, path: Path) -> dict:
    """The YAML mapping in the first cell, which must be a raw cell (Quarto's convention)."""
    if not nb.cells or nb.cells[0].cell_type != "raw":
        raise RenderError(f"{path}: the first cell is not the raw YAML front-matter cell")
    source = nb.cells[0].source.strip()
    source = re.sub(r"^---\s*\n", "", source)
    source = re.sub(r"\n(---|\.\.\.)\s*$", "", source)
    try:
        front = yaml.safe_load(source) if source and source != "---" else {}
    except yaml.YAMLError as error:
        raise RenderError(f"{path}: the front matter is not valid YAML ({error})") from error
    if not isinstance(front, dict):
        raise RenderError(f"{path}: the front matter is not a YAML mapping of keys to values")
    return front


def text(value: object) -> str:
    """A metadata value as one plain line ('' for None); never raises."""
    if value is None:
        return ""
    return " ".join(str(value).split())
