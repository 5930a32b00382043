"""Render executed report notebooks to HTML, PDF and Word, and publish them into the site.

`render_quarter` is the one entry point (called by `qprlib.build` after papermill). Two
engines give members the same reports from the same executed notebooks:

- Quarto, when `quarto` is on PATH (or asked for): the project in `_quarto.yml`, execution off.
- The built-in engine: nbconvert Markdown (inputs removed, text/markdown outputs first) then
  pandoc (`pypandoc-binary`) to self-contained HTML and DOCX, and pandoc → Typst → tagged
  PDF/UA-1 with the `typst` package. Templates, stylesheet and filter live in `templates/`.

Publishing never leaves a half-written site: a copy of the site is built beside it
(`.<site>.new-<pid>-<token>`) and swapped in with two renames; leftovers of a killed build
are recovered or removed by the next run. A report is published only when every format
asked for rendered; otherwise its previous files stay and it is returned as a failure.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import html
import json
import logging
import os
import re
import secrets
import shutil
import string
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import nbformat
import yaml

from qprlib.errors import QprError
from qprlib.periods import Quarter
from qprlib.tables import DIRECTION_COLOURS, NO_RATING_COLOUR, RAG_COLOURS, rag_css

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
REPO = Path(__file__).resolve().parents[3]
FORMATS = ("html", "pdf", "docx")
SUFFIX = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}
FORMAT_WORDS = {"html": "HTML", "pdf": "PDF", "docx": "Word document"}
DOCX_REPORTS = ("cover",)  # committee systems take the Cabinet cover report as Word
DEFAULT_COUNCIL = "Wealdshire County Council"  # the sample council (params/defaults.yml)
MANIFEST = "reports.json"  # per quarter: each report's label and title, for the index
KPIS = "kpis.csv"
# Markdown from notebooks: raw HTML/TeX/attributes and YAML blocks are switched off, so text
# from data can never become markup (a <script> shows as text) or override the title; no
# "smart" quotes or dashes, so names read exactly as in the data (council's, not council’s).
READER = "markdown-raw_html-raw_tex-raw_attribute-yaml_metadata_block-smart"
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # report names become file names and URLs
LANG_TAG = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{2}|\d{3}))?(?:-[A-Za-z0-9]{1,8})*$")
ERROR_CELL_TAG = "papermill-error-cell-tag"
TOC_MIN_SECTIONS = 4  # long reports (the corporate QPR) get a contents list
NO_TOC_REPORTS = ("cover",)  # ... but never the cover report: a committee paper has none
NOTEBOOK_PRIORITY = ["text/markdown", "image/png", "image/jpeg", "text/plain"]


class RenderError(QprError):
    """A report could not be rendered; the message says which and why."""


class OutputError(RenderError):
    """The site cannot be written at all (disk full, read-only, a file in the way): the
    build stops with exit status 2 and the published site is left as it was."""


# OSErrors that mean "this place cannot be written", not "this report is broken"
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}  # whatever is being written
OUTPUT_ERRNOS = DISK_ERRNOS | {errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}


@dataclass(frozen=True)
class Report:
    """An executed notebook checked fit to render, with what the pages say about it."""

    name: str
    notebook: Path
    nb: nbformat.NotebookNode = field(repr=False)
    front_matter: dict
    parameters: dict

    @property
    def title(self) -> str:
        """The front matter's title, or the report's label when there is none."""
        return _text(self.front_matter.get("title")) or report_label(self.name, self.parameters)


@dataclass(frozen=True)
class Rendered:
    """One report's output files (in a work directory) and its entry for the index."""

    name: str
    files: dict[str, Path]
    label: str
    title: str


# ---------------------------------------------------------------- entry point


def render_quarter(
    quarter_dir: Path,
    site_dir: Path,
    reports: list[str],
    formats: tuple[str, ...],
    engine: str = "auto",
    council: str = DEFAULT_COUNCIL,
) -> list[tuple[str, str]]:
    """Render `quarter_dir/<report>.ipynb` for each report and publish into `site_dir`.

    Writes `<slug>/<report>.html|.pdf` (+ `.docx` for the cover when asked), copies
    `quarter_dir/kpis.csv` to `<slug>/kpis.csv`, regenerates `index.html`, then swaps the new
    site in. Returns the failures as (report, message); the others are still published.
    """
    # absolute: pandoc runs in the report's work folder for Word (images are found there)
    quarter_dir, site_dir = Path(quarter_dir).absolute(), Path(site_dir).absolute()
    formats = _check_formats(formats)
    chosen = choose_engine(engine)
    slug = quarter_dir.name
    if not SAFE_NAME.match(slug.lower()):
        raise RenderError(f"'{slug}' is not a quarter folder name like 2023-24-q2")
    if site_dir.exists() and not site_dir.is_dir():
        raise OutputError(
            f"{site_dir}: is a file, not a folder; the site is published there, so move the "
            "file away (nothing was changed)"
        )
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    staging = _sibling(site_dir, "new", token)
    work = _sibling(site_dir, "work", token)
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        recover_site(site_dir)
        work.mkdir()
        checked, failures = check_reports(quarter_dir, reports)
        render = ENGINES[chosen]
        rendered, render_failures = render(checked, formats, work, council, slug)
        failures += render_failures
        if rendered:
            _copy_site(site_dir, staging)
            _publish(rendered, staging / slug, slug)
            _copy_kpis(quarter_dir, staging / slug)
            write_index(staging, council)
            _swap(staging, site_dir, token)
    except OSError as error:
        if error.errno not in OUTPUT_ERRNOS:
            raise
        raise output_error(site_dir, error) from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    order = {name: i for i, name in enumerate(reports)}
    return sorted(failures, key=lambda f: order.get(f[0], len(order)))


def output_error(site_dir: Path, error: OSError) -> OutputError:
    """The message for a site that cannot be written: where, why, and that nothing changed."""
    where = f" ({error.filename})" if error.filename else ""
    reason = error.strerror or str(error)
    return OutputError(
        f"{site_dir}: cannot write the site{where}: {reason}; the published site is unchanged. "
        "Free some disk space or make the folder writable, then build again"
    )


def choose_engine(engine: str = "auto") -> str:
    """'quarto' when asked or when `quarto` is on PATH (auto), else 'builtin'."""
    if engine not in ("auto", "quarto", "builtin"):
        raise RenderError(f"unknown engine '{engine}'; expected auto, quarto or builtin")
    if engine == "quarto" and shutil.which("quarto") is None:
        raise RenderError(
            "--engine quarto: quarto is not on PATH; install it (quarto.org or conda-forge) "
            "or use --engine builtin"
        )
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "builtin"
    return engine


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise RenderError(f"unknown format(s) {unknown or '(none)'}; expected {', '.join(FORMATS)}")
    return chosen


def report_formats(name: str, formats: Sequence[str]) -> tuple[str, ...]:
    """The formats a report is rendered to: Word only for the cover report."""
    return tuple(f for f in formats if f != "docx" or name in DOCX_REPORTS)


def report_label(name: str, parameters: dict | None = None) -> str:
    """What the index calls a report: 'Cover report', 'Public Health directorate dashboard'."""
    if name == "cover":
        return "Cover report"
    if name == "qpr":
        return "Quarterly Performance Report"
    if name.startswith("directorate-"):
        directorate = _text((parameters or {}).get("directorate"))
        if not directorate:
            directorate = name.removeprefix("directorate-").replace("-", " ").title()
        return f"{directorate} directorate dashboard"
    return name.replace("-", " ").capitalize()


# ---------------------------------------------------------------- checking notebooks


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


def read_front_matter(nb: nbformat.NotebookNode, path: Path) -> dict:
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


# ---------------------------------------------------------------- built-in engine


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
            return (report.name, _one_line(error))
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
    meta = _metadata_args(report, council, formats)
    common = ["--standalone", "--wrap=none", f"--lua-filter={TEMPLATES / 'qpr.lua'}", *meta]
    # A committee cover paper (seed 001) has no contents list, in HTML, PDF or Word.
    if report.name not in NO_TOC_REPORTS and _count_sections(markdown) >= TOC_MIN_SECTIONS:
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
        lang, region = _typst_lang(report.front_matter.get("lang"))
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
        args = [f"--resource-path={out}"]
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


def notebook_markdown(nb: nbformat.NotebookNode) -> str:
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
            raise RenderError(f"Typst could not make the PDF: {_one_line(error)}") from error
        log.warning("PDF/UA-1 refused (%s); writing a tagged PDF without the standard", error)
        _, warnings = compiler.compile_with_warnings(
            input=source.encode("utf-8"), output=str(target), **options
        )
    for warning in warnings:
        log.info("typst: %s", _one_line(warning))
    return target


@dataclass
class _Assets:
    """Files and objects shared by every report of a run: the style block, Typst compilers."""

    style: Path
    fonts: object = None
    _compilers: threading.local = field(default_factory=threading.local)

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


def stylesheet() -> str:
    """The reports' CSS: the house style plus the RAG/direction colours from qprlib.tables."""
    return (TEMPLATES / "qpr.css").read_text(encoding="utf-8") + "\n" + rag_css()


def typst_colours() -> str:
    """Typst definitions of the RAG and direction colours (the same dicts as the CSS)."""
    colours = {name.lower(): c for name, c in RAG_COLOURS.items()} | {"none": NO_RATING_COLOUR}
    entries = [
        f'"{name}": (fill: rgb("{c["fill"]}"), text: rgb("{c["text"]}"), edge: rgb("{c["edge"]}"))'
        for name, c in colours.items()
    ]
    dots = [f'"{name}": rgb("{colour}")' for name, colour in DIRECTION_COLOURS.items()]
    return f"#let rag-colours = ({', '.join(entries)})\n#let dot-colours = ({', '.join(dots)},)"


def _metadata_args(report: Report, council: str, formats: Sequence[str]) -> list[str]:
    """Front matter as pandoc -M options: literal strings, escaped by each writer."""
    front = report.front_matter
    meta = {
        "title": report.title,
        "subtitle": _text(front.get("subtitle")),
        "date": _long_date(front.get("date")),
        "lang": _lang(front.get("lang")),
        "council": _text(council) or DEFAULT_COUNCIL,
        "provenance": provenance(report),
    }
    if "pdf" in formats:
        meta["pdf-href"] = f"{report.name}.pdf"
    if "docx" in formats:
        meta["docx-href"] = f"{report.name}.docx"
    args = [f"--metadata={key}={value}" for key, value in meta.items() if value]
    authors = front.get("author") or []
    for author in authors if isinstance(authors, list) else [authors]:
        name = _text(author.get("name") if isinstance(author, dict) else author)
        if name:
            args.append(f"--metadata=author={name}")
    return args


def provenance(report: Report) -> str:
    """A one-line footer: when the report was produced, from which code and data."""
    given = report.front_matter.get("provenance")
    if isinstance(given, str):
        return _text(given)
    source = given if isinstance(given, dict) else report.parameters
    run_time = _text(source.get("run_time")) or _text(
        report.nb.metadata.get("papermill", {}).get("end_time")
    )
    commit, data = _text(source.get("git_commit")), _text(source.get("data_hash"))
    parts = []
    if run_time:
        parts.append(f"Produced {_when(run_time)}")
    if commit:
        parts.append(f"code version {commit[:10]}")
    if data:
        parts.append(f"data version {data[:12]}")
    return ("; ".join(parts) + ".") if parts else ""


def _when(stamp: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp.replace(" UTC", "+00:00").replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M}" + (
        " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    )


def _long_date(value: object) -> str:
    """An ISO date as members write it (`2024-01-04` -> `4 January 2024`); other text as is."""
    text = _text(value)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day.day} {day:%B %Y}"


def _lang(value: object) -> str:
    text = _text(value)
    return text if LANG_TAG.match(text) else "en-GB"


def _typst_lang(value: object) -> tuple[str, str]:
    match = LANG_TAG.match(_lang(value))
    return match[1].lower(), (match[2] or "").upper()


def _count_sections(markdown: str) -> int:
    return len(re.findall(r"^##\s", markdown, re.MULTILINE))


def _text(value: object) -> str:
    """A metadata value as one plain line ('' for None); never raises."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def _one_line(error: object) -> str:
    return " ".join(str(error).split())[:500]


# ---------------------------------------------------------------- Quarto engine


def render_quarto(
    reports: Sequence[Report], formats: Sequence[str], work: Path, council: str, slug: str
) -> tuple[list[Rendered], list[tuple[str, str]]]:
    """Render with Quarto: one `quarto render` of a scratch copy of the project (+ one for Word).

    The scratch project is `_quarto.yml` with its render list narrowed to this run's checked
    notebooks, so a failed or stale notebook in `build/` is never rendered; outputs mirror the
    sources (`<out>/<slug>/<report>.html|.pdf`) and are published from there.
    """
    if not reports:
        return [], []
    quarto = shutil.which("quarto")
    if quarto is None:
        raise RenderError("quarto is not on PATH; use the built-in engine")
    project, out = work / "project", work / "out"
    (project / slug).mkdir(parents=True)
    for report in reports:
        nbformat.write(
            _with_image_files(report.nb, project / slug), project / slug / f"{report.name}.ipynb"
        )
    _write_quarto_project(project, slug, formats, council)
    failures: list[tuple[str, str]] = []
    page_formats = [f for f in formats if f in ("html", "pdf")]
    if page_formats:
        error = _run_quarto([quarto, "render", str(project), "--output-dir", str(out)], project)
        if error:
            return [], [(r.name, error) for r in reports]
    docx = [r for r in reports if "docx" in report_formats(r.name, formats)]
    for report in docx:
        source = project / slug / f"{report.name}.ipynb"
        command = [quarto, "render", str(source), "--to", "docx", "--output-dir", str(out)]
        error = _run_quarto(command, project)
        if error:
            failures.append((report.name, error))
    rendered = []
    failed = {name for name, _ in failures}
    for report in reports:
        if report.name in failed:
            continue
        files, missing = {}, []
        for fmt in report_formats(report.name, formats):
            path = out / slug / f"{report.name}{SUFFIX[fmt]}"
            (files.__setitem__(fmt, path) if path.is_file() else missing.append(path.name))
        if missing:
            failures.append((report.name, f"quarto did not write {', '.join(missing)}"))
            continue
        label = report_label(report.name, report.parameters)
        rendered.append(Rendered(report.name, files, label, report.title))
    return rendered, failures


def _with_image_files(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """A copy of the notebook whose Markdown images are files in `folder/media/`.

    Charts arrive as data: URIs in text/markdown; Typst cannot read those, so the scratch
    copy points at files instead (HTML still embeds them: embed-resources).
    """
    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in copy.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                text = data["text/markdown"]
                text = "".join(text) if isinstance(text, list) else text
                data["text/markdown"] = extract_images(text, folder / "media")
    return copy


def _write_quarto_project(project: Path, slug: str, formats: Sequence[str], council: str) -> None:
    """The repository's `_quarto.yml`, narrowed to this run and pointed at our stylesheet."""
    source = REPO / "_quarto.yml"
    if not source.is_file():
        raise RenderError(f"{source}: the Quarto project is missing; use --engine builtin")
    config = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    config.setdefault("project", {})
    config["project"]["render"] = ["index.qmd", f"{slug}/*.ipynb"]
    config["project"].pop("output-dir", None)
    config.setdefault("website", {})["title"] = council or DEFAULT_COUNCIL
    wanted = {"html": "html", "pdf": "typst"}
    config["format"] = {
        key: value
        for key, value in (config.get("format") or {}).items()
        if key in {wanted[f] for f in formats if f in wanted}
    }
    html_format = config["format"].get("html")
    if isinstance(html_format, dict):
        html_format["css"] = "qpr.css"  # the house style plus the RAG colours
        themes = html_format.get("theme", [])
        themes = themes if isinstance(themes, list) else [themes]
        for i, theme in enumerate(themes):
            if str(theme).endswith(".scss") and (REPO / theme).is_file():
                shutil.copy2(REPO / theme, project / Path(theme).name)
                themes[i] = Path(theme).name
        html_format["theme"] = themes
    (project / "qpr.css").write_text(stylesheet(), encoding="utf-8")
    (project / "index.qmd").write_text(
        '---\ntitle: "All quarterly performance reports"\n---\n', encoding="utf-8"
    )
    (project / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _run_quarto(command: list[str], cwd: Path) -> str:
    """Run quarto; '' on success, else the last lines of its output as the failure message."""
    log.info("running %s", " ".join(command))
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return ""
    tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
    return f"quarto render failed (exit {result.returncode}): " + " | ".join(tail)


ENGINES: dict[str, Callable] = {"builtin": render_builtin, "quarto": render_quarto}


# ---------------------------------------------------------------- publishing


def _sibling(site_dir: Path, kind: str, token: str) -> Path:
    return site_dir.with_name(f".{site_dir.name}.{kind}-{token}")


_LEFTOVER = re.compile(r"^\.(?P<site>.+)\.(?P<kind>new|old|work)-(?P<pid>\d+)-(?P<tok>[0-9a-f]+)$")


def recover_site(site_dir: Path) -> None:
    """Undo what a killed build left beside `site_dir` (builds still running are left alone).

    Killed between the two renames of the swap, the site is missing: the complete new copy
    (or, failing that, the old site) is put back. Other leftovers are deleted.
    """
    site_dir = Path(site_dir)
    if not site_dir.parent.is_dir():
        return
    stale: dict[tuple[str, str], dict[str, Path]] = {}
    for path in site_dir.parent.iterdir():
        match = _LEFTOVER.match(path.name)
        if not match or match["site"] != site_dir.name or _alive(int(match["pid"]), path):
            continue
        stale.setdefault((match["pid"], match["tok"]), {})[match["kind"]] = path
    if not site_dir.exists():
        for parts in stale.values():
            if "old" in parts:  # the swap was cut short: old renamed away, new not yet in
                chosen = parts.get("new", parts["old"])
                os.rename(chosen, site_dir)
                log.warning("recovered %s from an interrupted build (%s)", site_dir, chosen.name)
                break
    for parts in stale.values():
        for path in parts.values():
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int, path: Path) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would terminate the process on Windows; go by age instead
        return time.time() - path.stat().st_mtime < 6 * 3600
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _copy_site(site_dir: Path, staging: Path) -> None:
    """Start the new site as the current one: hard links where possible (files are only ever
    replaced, never rewritten in place, so the live site is not touched)."""
    if site_dir.is_dir():
        shutil.copytree(site_dir, staging, copy_function=_link_or_copy, symlinks=True)
    else:
        staging.mkdir()


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _publish(rendered: Sequence[Rendered], quarter: Path, slug: str) -> None:
    """Move each rendered report's files in, replacing all its earlier files, and record it."""
    quarter.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(quarter)
    for report in rendered:
        for suffix in SUFFIX.values():  # a format not asked for this time must not go stale
            (quarter / f"{report.name}{suffix}").unlink(missing_ok=True)
        for fmt, path in report.files.items():
            os.replace(path, quarter / f"{report.name}{SUFFIX[fmt]}")
        manifest["reports"][report.name] = {"label": report.label, "title": report.title}
    _write_atomic(quarter / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def _read_manifest(quarter: Path) -> dict:
    try:
        manifest = json.loads((quarter / MANIFEST).read_text(encoding="utf-8"))
        if isinstance(manifest, dict) and isinstance(manifest.get("reports"), dict):
            return manifest
    except (OSError, ValueError):
        pass
    return {"reports": {}}


def _copy_kpis(quarter_dir: Path, quarter: Path) -> None:
    source = quarter_dir / KPIS
    if source.is_file():
        temporary = quarter / f".{KPIS}.tmp"
        shutil.copyfile(source, temporary)
        os.replace(temporary, quarter / KPIS)


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _swap(staging: Path, site_dir: Path, token: str) -> None:
    """Put the new site in place: rename the old away, rename the new in, delete the old."""
    old = _sibling(site_dir, "old", token)
    if site_dir.exists():
        os.rename(site_dir, old)
    os.rename(staging, site_dir)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- the index page


def write_index(site_dir: Path, council: str = DEFAULT_COUNCIL) -> Path:
    """Regenerate `site_dir/index.html`: every quarter in the site, newest first."""
    site_dir = Path(site_dir)
    quarters = sorted(_site_quarters(site_dir), key=lambda q: q[0], reverse=True)
    sections = [_quarter_section(site_dir / quarter.slug, quarter) for quarter, _ in quarters]
    if not sections:
        sections = ["<p>No reports have been published yet.</p>"]
    page = string.Template((TEMPLATES / "index.html").read_text(encoding="utf-8")).substitute(
        council=html.escape(council or DEFAULT_COUNCIL),
        style=stylesheet(),
        quarters="\n".join(sections),
        updated=html.escape(_when(datetime.now(UTC).isoformat(timespec="minutes"))),
    )
    target = site_dir / "index.html"
    _write_atomic(target, page)
    return target


def _site_quarters(site_dir: Path) -> list[tuple[Quarter, Path]]:
    found = []
    for path in site_dir.iterdir() if site_dir.is_dir() else []:
        if not path.is_dir() or path.name.startswith("."):
            continue
        try:
            quarter = Quarter.parse(path.name)
        except QprError:
            continue
        if quarter.slug == path.name:
            found.append((quarter, path))
    return found


def _quarter_section(folder: Path, quarter: Quarter) -> str:
    manifest = _read_manifest(folder)["reports"]
    names = {p.stem for p in folder.iterdir() if p.suffix in SUFFIX.values() and p.is_file()}
    short = f"Quarter {quarter.number} {quarter.financial_year}"
    items = []
    for name in sorted(names, key=lambda n: _report_order(n, manifest)):
        label = _text(manifest.get(name, {}).get("label")) or report_label(name)
        links = [
            _link(
                f"{folder.name}/{name}{SUFFIX[fmt]}",
                f"{label}, {short} ({FORMAT_WORDS[fmt]}{_download_size(folder, name, fmt)})",
            )
            for fmt in FORMATS
            if (folder / f"{name}{SUFFIX[fmt]}").is_file()
        ]
        items.append(_item(html.escape(label), links))
    if (folder / KPIS).is_file():
        text = f"Open data: the assessment of every indicator, {short} (CSV{_size(folder / KPIS)})"
        items.append(_item("Open data", [_link(f"{folder.name}/{KPIS}", text)]))
    ident = f"quarter-{folder.name}"
    return (
        f'<section class="quarter" aria-labelledby="{ident}">\n'
        f'<h2 id="{ident}">{html.escape(quarter.label)}</h2>\n'
        f'<ul class="report-list">\n' + "\n".join(items) + "\n</ul>\n</section>"
    )


def _report_order(name: str, manifest: dict) -> tuple[int, str]:
    rank = {"cover": 0, "qpr": 1}.get(name, 2 if name.startswith("directorate-") else 3)
    return rank, (_text(manifest.get(name, {}).get("label")) or name).lower()


def _item(heading: str, links: list[str]) -> str:
    inner = "".join(f"<li>{link}</li>" for link in links)
    return f'<li><span class="report-name">{heading}</span><ul>{inner}</ul></li>'


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(quote(href))}">{html.escape(text)}</a>'


def _download_size(folder: Path, name: str, fmt: str) -> str:
    """', 245 KB' for files people download; nothing for the web page itself."""
    return "" if fmt == "html" else _size(folder / f"{name}{SUFFIX[fmt]}")


def _size(path: Path) -> str:
    size = path.stat().st_size
    if size >= 1_000_000:
        return f", {size / 1_000_000:.1f} MB"
    return f", {max(1, round(size / 1000))} KB"
