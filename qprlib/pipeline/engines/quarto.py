"""The Quarto engine: one `quarto render` of a scratch copy of the project (+ one for Word).

Used when `quarto` is on PATH (or asked for), with execution off: the notebooks in build/
are already executed.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import yaml

from qprlib.names import report_label
from qprlib.pipeline.engines.builtin import extract_images
from qprlib.pipeline.notebooks import Rendered, RenderError, Report
from qprlib.pipeline.pages import DEFAULT_COUNCIL, REPO, SUFFIX, report_formats, stylesheet

log = logging.getLogger(__name__)


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
    import nbformat

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


def _with_image_files(nb, folder: Path):
    """A copy of the notebook whose Markdown images are files in `folder/media/`.

    Charts arrive as data: URIs in text/markdown; Typst cannot read those, so the scratch
    copy points at files instead (HTML still embeds them: embed-resources).
    """
    import nbformat

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
