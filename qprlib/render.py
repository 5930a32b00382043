"""Render executed report notebooks to HTML, PDF and Word, and publish them into the site.

Moved into `qprlib.pipeline` (docs/internals.md has the map); the names stay importable here:
`render_quarter` (publish), the engines (`engines.builtin`, `engines.quarto`, `choose_engine`),
reading executed notebooks (`notebooks`), the pages' metadata and style (`pages`) and the
index page (`site_index`).
"""

import os  # noqa: F401 - tests patch render.os / render.shutil, the same modules
import shutil  # noqa: F401

from qprlib.names import report_label
from qprlib.pipeline.engines import ENGINES, check_formats, choose_engine
from qprlib.pipeline.engines.builtin import (
    NOTEBOOK_PRIORITY,
    READER,
    _Assets,
    compile_pdf,
    extract_images,
    inline_images,
    notebook_markdown,
    render_builtin,
    render_report,
)
from qprlib.pipeline.engines.quarto import render_quarto
from qprlib.pipeline.notebooks import (
    DISK_ERRNOS,
    ERROR_CELL_TAG,
    OUTPUT_ERRNOS,
    SAFE_NAME,
    OutputError,
    Rendered,
    RenderError,
    Report,
    check_reports,
    read_front_matter,
    read_report,
)
from qprlib.pipeline.pages import (
    DEFAULT_COUNCIL,
    DOCX_REPORTS,
    FORMAT_WORDS,
    FORMATS,
    REPO,
    SUFFIX,
    TEMPLATES,
    provenance,
    report_formats,
    stylesheet,
    typst_colours,
)
from qprlib.pipeline.publish import output_error, recover_site, render_quarter, write_index
from qprlib.pipeline.site_index import KPIS, MANIFEST, index_page

__all__ = [
    "DEFAULT_COUNCIL", "DISK_ERRNOS", "DOCX_REPORTS", "ENGINES", "ERROR_CELL_TAG", "FORMATS",
    "FORMAT_WORDS", "KPIS", "MANIFEST", "NOTEBOOK_PRIORITY", "OUTPUT_ERRNOS", "READER", "REPO",
    "SAFE_NAME", "SUFFIX", "TEMPLATES", "OutputError", "RenderError", "Rendered", "Report",
    "_Assets", "check_formats", "check_reports", "choose_engine", "compile_pdf",
    "extract_images", "index_page", "inline_images", "notebook_markdown", "output_error",
    "provenance", "read_front_matter", "read_report", "recover_site", "render_builtin",
    "render_quarter", "render_quarto", "render_report", "report_formats", "report_label",
    "stylesheet", "typst_colours", "write_index",
]  # fmt: skip
