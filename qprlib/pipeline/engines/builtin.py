"""The built-in engine: nbconvert Markdown (inputs removed, text/markdown outputs first), then
pandoc (`pypandoc-binary`) to self-contained HTML and Word, and pandoc → Typst → a tagged
PDF/UA-1 with the `typst` package. Templates, stylesheet and Lua filter live in `templates/`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from qprlib import word
from qprlib.names import ReportKind, report_label
from qprlib.pipeline.notebooks import (
    DISK_ERRNOS,
    ERROR_CELL_TAG,
    Rendered,
    RenderError,
    Report,
)
from qprlib.pipeline.pages import (
    TEMPLATES,
    count_sections,
    metadata_args,
    one_line,
    report_formats,
    stylesheet,
    typst_colours,
    typst_lang,
)

log = logging.getLogger(__name__)

# Markdown from notebooks: raw HTML/TeX/attributes and YAML blocks are switched off, so text
# from data can never become markup (a <script> shows as text) or override the title; no
# "smart" quotes or dashes, so names read exactly as in the data (council's, not council’s).
READER = "markdown-raw_html-raw_tex-raw_attribute-yaml_metadata_block-smart"
TOC_MIN_SECTIONS = 4  # long reports (the corporate QPR) get a contents list
NO_TOC_REPORTS = (ReportKind.COVER,)  # ... but never the cover report: a committee paper has none
NOTEBOOK_PRIORITY = ["text/markdown", "image/png", "image/jpeg", "text/plain"]


def render_builtin(
    reports: Sequence[Report], formats: Sequence[str], work: Path, council: str, slug: str
) -> tuple[list[Rendered], list[tuple[str, str]]]:
    """Render each report with nbconvert + pandoc (+ typst), one report per core at a time."""
    assets = _Assets.create(work)
    workers = max(1, min(len(reports), _cores()))

    def one(report: Report) -> Rendered | tuple[str, str]:
        try:
            out = work / report.name
            out.mkdir()
            files = render_report(
                report, report_formats(report.name, formats), out, council, assets
            )
        except Exception as error:  # one report's failure must not stop the others
            if isinstance(error, OSError) and error.errno in DISK_ERRNOS:
                raise  # the disk, not the report: nothing can be published (render_quarter)
            expected = isinstance(error, (RenderError, RuntimeError, OSError))
            log.warning("render %s failed: %s", report.name, error, exc_info=not expected)
            return (report.name, one_line(error))
        label = report_label(report.name, report.parameters)
        return Rendered(report.name, files, label, report.title)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, reports))
    rendered = [r for r in results if isinstance(r, Rendered)]
    failures = [r for r in results if not isinstance(r, Rendered)]
    return rendered, failures


def _cores() -> int:
    """Cores this process may use (a container's limit, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def render_report(
    report: Report, formats: Sequence[str], out: Path, council: str, assets: _Assets | None = None
) -> dict[str, Path]:
    """Render one checked report into `out/<name>.<ext>` for each format; returns the paths."""
    import pypandoc

    assets = assets or _Assets.create(out)
    markdown = notebook_markdown(report.nb)
    meta = metadata_args(report, council, formats)
    common = ["--standalone", "--wrap=none", f"--lua-filter={TEMPLATES / 'qpr.lua'}", *meta]
    # A committee cover paper (seed 001) has no contents list, in HTML, PDF or Word.
    if report.name not in NO_TOC_REPORTS and count_sections(markdown) >= TOC_MIN_SECTIONS:
        common += ["--toc", "--toc-depth=2"]
    files: dict[str, Path] = {}
    # Images go to files first: pandoc is much slower on megabytes of base64 in Markdown,
    # and Typst cannot read data: URIs. The HTML gets them back inline (one file to send).
    media_markdown = extract_images(markdown, out / "media")
    if "html" in formats:
        target = out / f"{report.name}.html"
        args = [f"--template={TEMPLATES / 'report.html'}", f"--include-in-header={assets.style}"]
        page = pypandoc.convert_text(
            media_markdown, "html5", format=READER, extra_args=common + args
        )
        target.write_text(inline_images(page, out / "media"), encoding="utf-8")
        files["html"] = target
    if "pdf" in formats:
        lang, region = typst_lang(report.front_matter.get("lang"))
        args = [
            f"--template={TEMPLATES / 'report.typ'}",
            f"--variable=typst-lang:{lang}",
            f"--variable=rag-definitions:{typst_colours()}",
        ]
        if region:
            args.append(f"--variable=typst-region:{region}")
        source = pypandoc.convert_text(
            media_markdown, "typst", format=READER, extra_args=common + args
        )
        files["pdf"] = compile_pdf(source, out, out / f"{report.name}.pdf", assets)
    if "docx" in formats:
        target = out / f"{report.name}.docx"
        args = [f"--resource-path={out}", f"--reference-doc={assets.reference_docx()}"]
        pypandoc.convert_text(
            media_markdown,
            "docx",
            format=READER,
            outputfile=str(target),
            extra_args=common + args,
            cworkdir=str(out),
        )
        files["docx"] = target
    return files


def notebook_markdown(nb) -> str:
    """The notebook as pandoc Markdown: outputs only (text/markdown first), no raw cells."""
    exporter = _exporter()
    body, _ = exporter.from_notebook_node(nb)
    return body


_local = threading.local()


def _exporter():
    """One nbconvert MarkdownExporter per thread (its Jinja environment is not shared)."""
    if not hasattr(_local, "exporter"):
        from nbconvert import MarkdownExporter
        from traitlets.config import Config

        config = Config()
        config.NbConvertBase.display_data_priority = NOTEBOOK_PRIORITY
        config.ExtractOutputPreprocessor.enabled = False  # images stay inline as data: URIs
        config.TemplateExporter.exclude_input = True
        config.TemplateExporter.exclude_input_prompt = True
        config.TemplateExporter.exclude_output_prompt = True
        config.TemplateExporter.exclude_raw = True  # the front matter goes in as metadata
        config.TagRemovePreprocessor.enabled = True
        config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", ERROR_CELL_TAG}
        config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
        _local.exporter = MarkdownExporter(
            config=config,
            template_file=str(TEMPLATES / "notebook.md.j2"),
            extra_template_basedirs=[str(TEMPLATES)],
        )
    return _local.exporter


_DATA_IMAGE = re.compile(
    r"(?<!\\)\]\(data:image/(png|jpeg|gif|svg\+xml);base64,([A-Za-z0-9+/=\s]+)\)", re.IGNORECASE
)


def extract_images(markdown: str, media: Path) -> str:
    """Write each data-URI image to `media/<sha1>.<ext>` and point the Markdown at it.

    Typst reads images from files, not data: URIs (pandoc's own --extract-media runs after
    Lua filters, too late for the filter that gives Typst its alt text).
    """

    def save(match: re.Match) -> str:
        ext = {"jpeg": "jpg", "svg+xml": "svg"}.get(match[1].lower(), match[1].lower())
        try:
            data = base64.b64decode("".join(match[2].split()), validate=True)
        except binascii.Error:
            return match[0]
        name = f"{hashlib.sha1(data).hexdigest()}.{ext}"
        media.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(data)
        return f"](media/{name})"

    return _DATA_IMAGE.sub(save, markdown)


_MEDIA_SRC = re.compile(r'src="media/([0-9a-f]{40})\.(png|jpg|gif|svg)"')
_MIME = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml"}


def inline_images(page: str, media: Path) -> str:
    """Put the images `extract_images` wrote back into the HTML as data: URIs."""

    def data_uri(match: re.Match) -> str:
        path = media / f"{match[1]}.{match[2]}"
        if not path.is_file():  # a hand-written media/ path in a notebook: nothing to show
            return 'src="data:,"'
        data = path.read_bytes()
        return f'src="data:{_MIME[match[2]]};base64,{base64.b64encode(data).decode("ascii")}"'

    return _MEDIA_SRC.sub(data_uri, page)


def compile_pdf(source: str, root: Path, target: Path, assets: _Assets) -> Path:
    """Typst source → tagged PDF/UA-1 (plain tagged PDF, with a warning, if UA-1 refuses)."""
    import typst

    compiler = assets.compiler()
    stamp = os.environ.get("SOURCE_DATE_EPOCH")
    options = {"root": str(root), "timestamp": int(stamp) if stamp else None}
    try:
        _, warnings = compiler.compile_with_warnings(
            input=source.encode("utf-8"), output=str(target), pdf_standards=["ua-1"], **options
        )
    except typst.TypstError as error:
        if "PDF/UA" not in str(error):
            raise RenderError(f"Typst could not make the PDF: {one_line(error)}") from error
        log.warning("PDF/UA-1 refused (%s); writing a tagged PDF without the standard", error)
        _, warnings = compiler.compile_with_warnings(
            input=source.encode("utf-8"), output=str(target), **options
        )
    for warning in warnings:
        log.info("typst: %s", one_line(warning))
    return target


@dataclass
class _Assets:
    """Files and objects shared by every report of a run: the style block, Typst compilers."""

    style: Path
    fonts: object = None
    _compilers: threading.local = field(default_factory=threading.local)
    _reference: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reference_docx(self) -> Path:
        """The A4 Word reference document (header, page numbers), made once per run."""
        with self._lock:
            if not self._reference:
                import pypandoc

                target = self.style.with_name("reference.docx")
                self._reference.append(word.reference_docx(pypandoc.get_pandoc_path(), target))
            return self._reference[0]

    @classmethod
    def create(cls, work: Path) -> _Assets:
        style = Path(work) / "style.html"
        style.write_text(f"<style>\n{stylesheet()}</style>\n", encoding="utf-8")
        return cls(style)

    def compiler(self):
        """A typst.Compiler per thread, sharing one font search (the slow part)."""
        import typst

        if self.fonts is None:
            self.fonts = typst.Fonts(include_system_fonts=True, include_embedded_fonts=True)
        if not hasattr(self._compilers, "compiler"):
            self._compilers.compiler = typst.Compiler(font_paths=self.fonts)
        return self._compilers.compiler
