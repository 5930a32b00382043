"""The Quarto engine: one `quarto render` of a scratch copy of the project (+ one for Word).

Used when Quarto 1.9 or newer is on PATH (or asked for), with execution off: the notebooks in
build/ are already executed. Quarto is given what the built-in engine renders (each output's
representation in NOTEBOOK_PRIORITY), the built-in Typst template (with Quarto's partials)
and the same Lua filter (templates/qpr.lua, `at: pre-ast`), so members get the same reports
from both engines. A report Quarto cannot render fails alone, with Quarto's own error line.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import yaml

from qprlib.atomic import write_atomic
from qprlib.names import report_label
from qprlib.pipeline.engines.builtin import NOTEBOOK_PRIORITY
from qprlib.pipeline.notebooks import (
    ERROR_CELL_TAG,
    Rendered,
    RenderError,
    Report,
    read_front_matter,
)
from qprlib.pipeline.pages import (
    DEFAULT_COUNCIL,
    DOCX_REPORTS,
    REPO,
    SUFFIX,
    TEMPLATES,
    one_line,
    provenance,
    report_formats,
    stylesheet,
    typst_colours,
)
from qprlib.tables import md_escape

log = logging.getLogger(__name__)

QUARTO_MIN_VERSION = (1, 9)  # pdf-standard (tagged PDF/UA-1 from Typst) came in Quarto 1.9
QUARTO_ASSETS = "_quarto-assets"  # beside the notebooks: the Typst template and the stylesheet
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|\[(?:\d{1,3};)*\d{1,3}m")


class QuartoVersionError(RenderError):
    """The Quarto on PATH is too old for the Quarto engine (exit status 2)."""


@functools.lru_cache(maxsize=8)
def _quarto_version(quarto: str, mtime: float) -> str:
    try:
        result = subprocess.run(
            [quarto, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return clean_terminal_text(result.stdout).strip() if result.returncode == 0 else ""


def quarto_version(quarto: str) -> str:
    """What `quarto --version` prints ('1.10.18'), or '' when it cannot be run (asked once
    per installed file: a build asks several times)."""
    try:
        mtime = os.stat(quarto).st_mtime
    except OSError:
        return ""
    return _quarto_version(quarto, mtime)


def check_quarto_version(quarto: str) -> str:
    """The version of `quarto`; QuartoVersionError when older than QUARTO_MIN_VERSION."""
    version = quarto_version(quarto)
    match = re.match(r"^v?(\d+)\.(\d+)", version)
    needed = ".".join(map(str, QUARTO_MIN_VERSION))
    if not match:
        raise QuartoVersionError(
            f"--engine quarto: '{quarto} --version' did not give a version "
            f"({version or 'no output'}); the Quarto engine needs Quarto {needed} or newer"
        )
    if (int(match[1]), int(match[2])) < QUARTO_MIN_VERSION:
        raise QuartoVersionError(
            f"--engine quarto: {quarto} is Quarto {version}; the Quarto engine needs Quarto "
            f"{needed} or newer (for tagged PDF, pdf-standard: ua-1). Install a newer Quarto "
            "(quarto.org, or `conda env update -f environment.yml`) or use --engine builtin"
        )
    return version


def clean_terminal_text(text: str) -> str:
    """`text` without terminal colour and cursor escapes (also their fragments, '[39m')."""
    return _ESCAPE.sub("", text).replace("\x1b", "")


def quarto_error(output: str, returncode: int) -> str:
    """One line for a failed `quarto render`: its error lines, cleaned of terminal escapes."""
    lines = [" ".join(line.split()) for line in clean_terminal_text(output).splitlines()]
    lines = [line for line in lines if line and not line.startswith("at ")]
    errors = [line for line in lines if re.search(r"\berror\b", line, re.IGNORECASE)]
    chosen = list(dict.fromkeys(errors))[-4:] or lines[-3:]
    return one_line(f"quarto render failed (exit {returncode}): " + " | ".join(chosen))


def quarto_typst_template() -> str:
    """The built-in engine's Typst template, made a Quarto template.

    Quarto's partials it may rely on come first (`definitions.typ`); the RAG colours, which
    the built-in engine passes as a variable, are written in.
    """
    source = (TEMPLATES / "report.typ").read_text(encoding="utf-8")
    colours = typst_colours().replace("$", "$$")
    source = source.replace("$rag-definitions$", colours)
    head = (
        "// Made by qprlib.render from report.typ for Quarto: do not edit (edit report.typ).\n"
        "$definitions.typ()$\n\n"
        "$for(header-includes)$\n$header-includes$\n$endfor$\n\n"
    )
    return head + source


def write_quarto_assets(folder: Path) -> dict[str, Path]:
    """The generated files a Quarto render of the reports uses, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"template": folder / "report.typ", "css": folder / "qpr.css"}
    write_atomic(files["template"], quarto_typst_template())
    write_atomic(files["css"], stylesheet())
    return files


def write_quarto_metadata(build_dir: Path, council: str = DEFAULT_COUNCIL) -> Path:
    """`build/_metadata.yml` (+ `build/_quarto-assets/`) for a plain `quarto render`.

    The repository's `_quarto.yml` renders the executed notebooks in `build/`; what those need
    beyond it (the generated template and stylesheet, the council's name) is written here by
    every `qpr build`, so `_quarto.yml` never points at a file that does not exist yet.
    """
    write_quarto_assets(build_dir / QUARTO_ASSETS)
    metadata = {
        "council": council or DEFAULT_COUNCIL,
        "format": {
            "html": {"css": [f"{QUARTO_ASSETS}/qpr.css"]},
            "typst": {"template": f"{QUARTO_ASSETS}/report.typ"},
        },
    }
    target = build_dir / "_metadata.yml"
    text = "# Written by qpr build for `quarto render` (qprlib.render); do not edit.\n"
    write_atomic(target, text + yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True))
    return target


def render_quarto(
    reports: Sequence[Report], formats: Sequence[str], work: Path, council: str, slug: str
) -> tuple[list[Rendered], list[tuple[str, str]]]:
    """Render with Quarto: one `quarto render` of a scratch copy of the project (+ one for Word).

    The scratch project is `_quarto.yml` with its render list narrowed to this run's checked
    notebooks, so a failed or stale notebook in `build/` is never rendered; outputs mirror the
    sources (`<out>/<slug>/<report>.html|.pdf`) and are published from there. When that render
    fails, each report without its files is rendered alone, so a failure is the failing
    report's, with its own message, and the others are still published.
    """
    if not reports:
        return [], []
    quarto = shutil.which("quarto")
    if quarto is None:
        raise RenderError("quarto is not on PATH; use the built-in engine")
    check_quarto_version(quarto)
    import nbformat

    project, out = work / "project", work / "out"
    (project / slug).mkdir(parents=True)
    for report in reports:
        copy = quarto_notebook(report.nb, {"provenance": provenance(report)})
        nbformat.write(copy, project / slug / f"{report.name}.ipynb")
    _write_quarto_project(project, slug, formats, council)
    failures: dict[str, str] = {}
    page_formats = [f for f in formats if f in ("html", "pdf")]

    def missing(report: Report, wanted: Sequence[str]) -> list[str]:
        names = [f"{report.name}{SUFFIX[f]}" for f in report_formats(report.name, wanted)]
        return [name for name in names if not (out / slug / name).is_file()]

    if page_formats:
        error = _run_quarto([quarto, "render", str(project), "--output-dir", str(out)], project)
        if error:
            log.info("quarto render of the project failed (%s); now one report at a time", error)
            for report in reports:
                if not missing(report, page_formats):
                    continue
                source = project / slug / f"{report.name}.ipynb"
                command = [quarto, "render", str(source), "--output-dir", str(out)]
                error = _run_quarto(command, project)
                if error:
                    failures[report.name] = error
    for report in reports:
        if report.name in failures or "docx" not in report_formats(report.name, formats):
            continue
        source = project / slug / f"{report.name}.ipynb"
        command = [quarto, "render", str(source), "--to", "docx", "--output-dir", str(out)]
        error = _run_quarto(command, project)
        if error:
            failures[report.name] = error
    rendered = []
    for report in reports:
        if report.name in failures:
            continue
        absent = missing(report, formats)
        if absent:
            failures[report.name] = f"quarto did not write {', '.join(absent)}"
            continue
        wanted = report_formats(report.name, formats)
        files = {f: out / slug / f"{report.name}{SUFFIX[f]}" for f in wanted}
        if "html" in files:
            skip_link_first(files["html"])
        outside = external_references(files["html"]) if "html" in files else []
        if outside:
            failures[report.name] = (
                "the Quarto HTML refers to files outside the page "
                f"({', '.join(outside[:3])}); not published"
            )
            continue
        label = report_label(report.name, report.parameters)
        rendered.append(Rendered(report.name, files, label, report.title))
    return rendered, list(failures.items())


_RESOURCE = re.compile(
    r"<(?:script|img|iframe|audio|video|source|embed)\b[^>]*?\ssrc\s*=\s*[\"']?([^\"'\s>]+)"
    r"|<link\b[^>]*?\shref\s*=\s*[\"']?([^\"'\s>]+)",
    re.IGNORECASE,
)


def external_references(page: Path) -> list[str]:
    """What a page loads from elsewhere (scripts, stylesheets, images not inline)."""
    text = page.read_text(encoding="utf-8", errors="replace")
    found = []
    for match in _RESOURCE.finditer(text):
        target = html.unescape(match[1] or match[2] or "")
        if target and not target.startswith(("data:", "#")):
            found.append(target)
    return list(dict.fromkeys(found))


_SKIP_LINK = re.compile(r'<a class="skip-link" href="#[^"]*">[^<]*</a>\n?')
_BODY = re.compile(r"<body\b[^>]*>\n?")


def skip_link_first(page: Path) -> None:
    """Move the skip link qpr.lua wrote to the top of the page (Quarto puts it in <main>),
    so it is the first thing the keyboard reaches, before the navigation bar."""
    text = page.read_text(encoding="utf-8")
    link, body = _SKIP_LINK.search(text), _BODY.search(text)
    if not link or not body or link.start() < body.end():
        return
    text = text[: link.start()] + text[link.end() :]
    text = text[: body.end()] + link[0].rstrip("\n") + "\n" + text[body.end() :]
    page.write_text(text, encoding="utf-8")


def quarto_notebook(nb, front: dict | None = None):
    """A copy of an executed notebook showing Quarto what the built-in engine shows.

    Each output keeps only the representation the built-in engine renders (NOTEBOOK_PRIORITY:
    the Markdown of tables and charts, not their HTML, so Quarto adds no script from a CDN);
    an image-only output becomes a Markdown image with the built-in engine's alt text; stderr,
    errors, raw cells after the front matter and cells tagged remove-cell are left out. `front`
    adds keys to the front matter (what the built-in engine passes to pandoc as metadata).
    """
    import nbformat

    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    if front and copy.cells and copy.cells[0].cell_type == "raw":
        matter = read_front_matter(copy, Path("notebook"))
        matter.update({key: md_escape(value) for key, value in front.items() if value})
        dumped = yaml.safe_dump(matter, sort_keys=False, allow_unicode=True)
        copy.cells[0].source = f"---\n{dumped}---\n"
    cells = []
    for index, cell in enumerate(copy.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"remove-cell", ERROR_CELL_TAG} or (cell.cell_type == "raw" and index > 0):
            continue
        if cell.cell_type == "code":
            outputs = [] if "remove-output" in tags else cell.get("outputs", [])
            cell.outputs = [shown for shown in map(_shown_output, outputs) if shown is not None]
        cells.append(cell)
    copy.cells = cells
    return copy


_IMAGE_ALT = {"image/jpeg": "Image without a text description"}


def _shown_output(output: dict) -> dict | None:
    kind = output.get("output_type")
    if kind == "stream":
        return output if output.get("name") == "stdout" else None
    if kind not in ("display_data", "execute_result"):
        return None
    data = output.get("data", {})
    mime = next((m for m in NOTEBOOK_PRIORITY if m in data), None)
    if mime is None:
        return None
    value = data[mime]
    value = "".join(value) if isinstance(value, list) else value
    if mime.startswith("image/"):
        if mime == "image/svg+xml":
            value = base64.b64encode(value.encode("utf-8")).decode("ascii")
        alt = _IMAGE_ALT.get(mime, "Chart without a text description")
        mime, value = "text/markdown", f"![{alt}](data:{mime};base64,{''.join(value.split())})"
    shown = {"output_type": kind, "metadata": {}, "data": {mime: value}}
    if kind == "execute_result":
        shown["execution_count"] = output.get("execution_count")
    import nbformat

    return nbformat.from_dict(shown)


def _write_quarto_project(project: Path, slug: str, formats: Sequence[str], council: str) -> None:
    """The repository's `_quarto.yml`, narrowed to this run, with the generated assets."""
    source = REPO / "_quarto.yml"
    if not source.is_file():
        raise RenderError(f"{source}: the Quarto project is missing; use --engine builtin")
    config = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    config.setdefault("project", {})
    config["project"]["render"] = ["index.qmd", f"{slug}/*.ipynb"]
    config["project"].pop("output-dir", None)
    config["project"].pop("pre-render", None)
    config.setdefault("website", {})["title"] = council or DEFAULT_COUNCIL
    config["council"] = council or DEFAULT_COUNCIL
    config["qpr-formats"] = list(formats)
    config["qpr-docx-reports"] = [str(report) for report in DOCX_REPORTS]
    config["filters"] = [
        {**f, "path": str(REPO / f["path"])} if isinstance(f, dict) and "path" in f else f
        for f in config.get("filters", [])
    ]
    assets = write_quarto_assets(project / QUARTO_ASSETS)
    wanted = {"html": "html", "pdf": "typst"}
    config["format"] = {
        key: value
        for key, value in (config.get("format") or {}).items()
        if key in {wanted[f] for f in formats if f in wanted}
    }
    html_format = config["format"].get("html")
    if isinstance(html_format, dict):
        html_format["css"] = [str(assets["css"].relative_to(project))]
        themes = html_format.get("theme", [])
        themes = themes if isinstance(themes, list) else [themes]
        for i, theme in enumerate(themes):
            if str(theme).endswith(".scss") and (REPO / theme).is_file():
                shutil.copy2(REPO / theme, project / Path(theme).name)
                themes[i] = Path(theme).name
        html_format["theme"] = themes
    typst_format = config["format"].get("typst")
    if isinstance(typst_format, dict):
        typst_format["template"] = str(assets["template"].relative_to(project))
    (project / "index.qmd").write_text(
        '---\ntitle: "All quarterly performance reports"\nformat: html\n---\n', encoding="utf-8"
    )
    (project / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _run_quarto(command: list[str], cwd: Path) -> str:
    """Run quarto; '' on success, else its error lines (no terminal escapes) as the message."""
    log.info("running %s", " ".join(command))
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    if result.returncode == 0:
        return ""
    return quarto_error(f"{result.stdout}\n{result.stderr}", result.returncode)
