"""Plan a build: where it reads and writes, which reports, which formats, one Run per report.

Nothing here writes a file: a plan that cannot be made (bad params, an unknown directorate, a
missing notebook) raises a QprError before anything runs.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qprlib import papers, provenance
from qprlib.completeness import DRAFT_KEY, DRAFT_MARK_KEY, completeness, draft_mark
from qprlib.data_keys import data_key
from qprlib.errors import ParamsError, QprError
from qprlib.names import CORPORATE_REPORTS, ReportKind, directorate_report, slugify
from qprlib.params import RunParams, find_project_root
from qprlib.periods import Quarter
from qprlib.pipeline import stamps

REQUIRED_REPORTS = (ReportKind.COVER, ReportKind.QPR)  # the briefing only with its notebook
ASSESSMENT_FILE = "assessment.json"  # both quarters' assessment, for notebooks' assessment_path
FORMATS = ("html", "pdf", "docx")
DEFAULT_FORMATS = ("html", "pdf")  # a quarter's first build, unless --to says otherwise


@dataclass(frozen=True)
class Paths:
    """Where a build reads and writes; each defaults to a folder of the project root."""

    root: Path
    notebooks: Path
    params: Path
    build: Path
    site: Path

    @classmethod
    def at(
        cls,
        root: Path | None = None,
        notebooks: Path | None = None,
        params: Path | None = None,
        build: Path | None = None,
        site: Path | None = None,
    ) -> Paths:
        """The project's paths, found from the working folder unless `root` is given."""
        root = Path(root).resolve() if root else find_project_root()
        return cls(
            root=root,
            notebooks=Path(notebooks or root / "notebooks").resolve(),
            params=Path(params or root / "params").resolve(),
            build=Path(build or root / "build").resolve(),
            site=Path(site or root / "_site").resolve(),
        )


@dataclass(frozen=True)
class Run:
    """One papermill run: a template notebook, its parameters and where the result goes."""

    report: str  # cover | qpr | directorate-<slug>
    template: Path
    output: Path  # build/<slug>/<report>.ipynb
    parameters: dict[str, Any]  # only those the notebook declares
    front_matter: dict[str, str]
    timeout: int
    cwd: Path  # the project root: the parameters' relative paths start there
    notebook_sha: str
    declared: tuple[str, ...]
    inputs: dict[str, Any]  # everything the stamp key is made from (stamps.run_inputs)

    @property
    def key(self) -> str:
        """A hash of the run's inputs: equal keys, equal notebook."""
        return stamps.key_of(self.inputs)

    def sibling(self, suffix: str) -> Path:
        """`build/<slug>/<report><suffix>`, e.g. '.params.yml'."""
        return self.output.with_name(f"{self.report}{suffix}")


# --- inputs: data, directorates, formats


def load_data(data_dir: Path, params: RunParams | None = None):
    """The validated data (`qprlib.io.load`); bad data raises DataError before anything runs.
    With `params`, comparators.csv is checked against its area_code and comparator_groups."""
    from qprlib import io

    if params is None:
        return io.load(Path(data_dir))
    return io.load(
        Path(data_dir),
        area_code=params.area_code,
        comparator_groups=params.groups(),
        params_where=params.where(),
    )


def check_quarter(data, quarter: Quarter) -> None:
    """Stop (exit 2) unless the data can report the quarter (`qprlib.io.check_quarter`)."""
    from qprlib import io

    io.check_quarter(data, quarter)


def under_root(folder: Path, root: Path) -> Path:
    """A relative --data folder missing from the working folder is taken from the project."""
    return folder if folder.is_absolute() or folder.exists() else root / folder


def portable(path: Path, root: Path) -> str:
    """`path` relative to the project root (where kernels run) when inside it, else absolute.

    So `<report>.params.yml` works from any copy of the project: `papermill
    notebooks/qpr.ipynb out.ipynb -f build/<slug>/qpr.params.yml` run in the project root.
    """
    path = Path(path).resolve()
    try:
        return path.relative_to(Path(root).resolve()).as_posix() or "."
    except ValueError:
        return str(path)


def shown(path: Path) -> str:
    """A path as the user sees it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def choose_directorates(
    data, wanted: Sequence[str], from_command_line: bool, sources: Sequence[Path] = ()
) -> list[str]:
    """The directorates to build: `wanted` (checked against the data) or all, in file order.
    `sources` are the params files read (defaults first), to name the one that set them."""
    known = known_directorates(data)
    where = "--directorate" if from_command_line else f"{_setting_file(sources)}key 'directorates'"
    by_lower = {name.lower(): name for name in known}
    chosen, problems = [], []
    for name in wanted:
        match = by_lower.get(name.strip().lower())
        if match is None:
            problems.append(
                f"{where}: '{name}' is not a directorate in indicators.csv; "
                f"expected one of: {', '.join(known)}"
            )
        elif match not in chosen:
            chosen.append(match)
    chosen = chosen if wanted else known
    problems += _slug_clashes(chosen)
    if problems:
        raise ParamsError(problems)
    return chosen


def _slug_clashes(names: Sequence[str]) -> list[str]:
    """Directorate names that make no report file name, or the same one as another."""
    problems, slugs = [], {}
    for name in names:
        slug = slugify(name)
        if not slug:
            problems.append(
                f"indicators.csv, column 'directorate': '{name}' has no letters or digits "
                "to name its report file with; rename it"
            )
        elif slug in slugs:
            problems.append(
                f"indicators.csv, column 'directorate': '{name}' and '{slugs[slug]}' would "
                f"share the report file directorate-{slug}; make the names differ in letters"
            )
        slugs[slug] = name
    return problems


def _setting_file(sources: Sequence[Path], key: str = "directorates") -> str:
    """'params/2023-24-q2.yml, ' for the last params file that sets `key`, else 'params, '."""
    for source in reversed(sources):
        try:
            lines = Path(source).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, start=1):
            if line.startswith(f"{key}:"):
                return f"{shown(Path(source))}, line {number}, "
    return "params, "


def choose_formats(formats: Sequence[str] | None, out: Path, log) -> tuple[str, ...]:
    """The formats to render: those asked for, else those last published for the quarter.

    A plain `qpr build` after `make report` (which adds the Word cover) keeps the Word cover;
    an explicit --to that leaves out a published format says so in the log.
    """
    manifest = stamps.read_stamp(out / "manifest.json")
    published = manifest.get("published_formats", manifest.get("formats"))
    published = tuple(f for f in published if f in FORMATS) if isinstance(published, list) else ()
    if formats is None:
        chosen = published or DEFAULT_FORMATS
        if published:
            log.line(f"formats     {', '.join(chosen)} (as last published; --to to change)")
        return chosen
    dropped = [f for f in published if f not in formats]
    if dropped:
        log.line(f"formats     {', '.join(formats)}: no longer publishing {', '.join(dropped)}")
    return tuple(formats)


# --- the runs


def plan_runs(
    params: RunParams,
    directorates: Sequence[str],
    corporate: bool,
    data,
    paths: Paths,
    out: Path,
    run_time: str,
    draft: str = "",
) -> list[Run]:
    """One Run per report: cover, qpr and the call-in briefing (when `corporate`), then one
    per directorate. The briefing is optional: a project without notebooks/briefing.ipynb
    builds the others as before.

    `draft`: the draft notice (completeness.draft_notice) every report then opens with, its
    title starting 'DRAFT:', and its front matter the line every page then carries
    (completeness.draft_mark). Each run's data input is only the rows it reads (data_keys)."""
    notebooks = {ReportKind.COVER: papers.cover_notebook(params)}  # seed 001 or seed 004's cover
    planned = [
        (str(k), notebooks.get(k, str(k)), "")
        for k in CORPORATE_REPORTS
        if corporate and (k in REQUIRED_REPORTS or (paths.notebooks / f"{k}.ipynb").is_file())
    ]
    planned += [(directorate_report(d), str(ReportKind.DIRECTORATE), d) for d in directorates]
    missing = sorted(
        {nb for _, nb, _ in planned if not (paths.notebooks / f"{nb}.ipynb").is_file()}
    )
    if missing:
        raise QprError(
            [f"{paths.notebooks / nb}.ipynb: report notebook not found" for nb in missing]
        )
    values = params.notebook_values() | {  # paths as the kernel sees them, from the root
        "data_dir": portable(Path(data.source), paths.root),
        "git_commit": provenance.git_commit(paths.root),
        "data_hash": data.data_hash,
        "run_time": run_time,
        "assessment_path": portable(out / ASSESSMENT_FILE, paths.root),
    }
    library = provenance.source_hash()
    known = stamps.declared_cache(out)
    mark = draft_mark(completeness(data, params.quarter)) if draft else ""
    runs = []
    for report, notebook, directorate in planned:
        template = paths.notebooks / f"{notebook}.ipynb"
        sha = provenance.file_hash(template)
        declared = known.get(sha) or declared_parameters(template)
        known[sha] = declared
        offered = values | {"directorate": directorate}
        if directorate:  # the dashboard's own committee, date, From, contacts (seed 003)
            offered |= params.dashboard_values(directorate)
        parameters = {name: offered[name] for name in declared if name in offered}
        front = front_matter(report, params, directorate, known_directorates(data))
        if draft:
            title = f"DRAFT: {front['title']}"
            front = {**front, "title": title, DRAFT_KEY: draft, DRAFT_MARK_KEY: mark}
        key = data_key(data, params.quarter, directorate, report)
        inputs = stamps.run_inputs(sha, parameters, front, key, library)
        runs.append(
            Run(report, template, out / f"{report}.ipynb", parameters, front,
                params.execution_timeout, paths.root, sha, declared, inputs)
        )  # fmt: skip
    return runs


def declared_parameters(template: Path) -> tuple[str, ...]:
    """The names assigned in the notebook's `parameters` cell, in order.

    Read with `ast` (importing papermill for its inspect_notebook took ~1.3 s of every cold
    build); a cell that is not plain Python is left to papermill.inspect_notebook.
    """
    nb = json.loads(template.read_text(encoding="utf-8"))
    cells = [
        c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not cells:
        return ()
    source = cells[0].get("source", "")
    try:
        tree = ast.parse(source if isinstance(source, str) else "".join(source))
    except SyntaxError:
        import papermill

        return tuple(papermill.inspect_notebook(str(template)))
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", 0)]
        names += [target.id for target in targets if isinstance(target, ast.Name)]
    return tuple(dict.fromkeys(names))


def known_directorates(data) -> list[str]:
    """Every directorate in indicators.csv, in file order."""
    return list(dict.fromkeys(data.indicators["directorate"].dropna().astype(str)))


def front_matter(
    report: str, params: RunParams, directorate: str, directorates: Sequence[str] = ()
) -> dict[str, str]:
    """Title, subtitle, date, author and language for a report's front-matter cell."""
    return papers.front_matter(report, params, directorate, directorates)


def fill_front_matter(nb, fields: dict[str, str]):
    """A copy of `nb` whose first raw cell is YAML front matter updated with `fields`.

    Written with yaml.safe_dump, so a title containing quotes, colons or newlines stays text.
    """
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    fields = dict(fields)
    notice = fields.pop(DRAFT_KEY, "")
    first = nb.cells[0] if nb.cells else None
    current: dict = {}
    if first is not None and first.cell_type == "raw" and first.source.lstrip().startswith("---"):
        body = first.source.strip().removeprefix("---").removesuffix("---")
        loaded = yaml.safe_load(body) if body.strip() else {}
        current = loaded if isinstance(loaded, dict) else {}
    else:
        first = nbformat.v4.new_raw_cell("")
        nb.cells.insert(0, first)
    merged = fields | {key: value for key, value in current.items() if key not in fields}
    first.source = "---\n" + yaml.safe_dump(merged, sort_keys=False, allow_unicode=True) + "---"
    if notice:  # a draft: the notice opens the report, before anything the notebook shows
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(notice, id="qpr-draft-notice"))
    return nb
