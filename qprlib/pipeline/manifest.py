"""build/<slug>/manifest.json: the latest build of a quarter, for people and `qpr status`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path

from qprlib import provenance
from qprlib.atomic import write_atomic
from qprlib.params import RunParams
from qprlib.pipeline.outcome import EXIT_OK, FAILED, Outcome, RenderOutcome
from qprlib.pipeline.plan import Paths
from qprlib.pipeline.stamps import read_stamp

MANIFEST = "manifest.json"


def write_manifest(
    outcome: Outcome,
    out: Path,
    params: RunParams,
    data,
    engine: str,
    formats: Sequence[str],
    paths: Paths,
) -> None:
    """build/<slug>/manifest.json: the latest build; reports not in it keep their last entry.

    `engine` and `published_formats` describe the site as last rendered: a build that did not
    render (render=False, nothing built) keeps the previous build's.
    """
    last = read_stamp(out / MANIFEST)
    finished = provenance.utc_now()
    render = RenderOutcome(outcome.render)
    manifest = {
        "quarter": str(params.quarter),
        "started": outcome.started,
        "finished": finished,
        "exit_status": outcome.exit_status,
        "outcome": "success" if outcome.exit_status == EXIT_OK else str(FAILED),
        "engine": _engine(render, engine, last),
        "engine_requested": engine,
        "formats": list(formats),
        "published_formats": list(formats) if render.published else last.get("published_formats"),
        "git_commit": provenance.git_commit(paths.root),
        "data_dir": str(Path(data.source).resolve()),
        "data_hash": data.data_hash,
        "qprlib_hash": provenance.source_hash(),
        "params_files": [str(p) for p in params.sources],
        "versions": provenance.versions(),
        "kpis": outcome.kpis_text,
        "completeness": outcome.completeness,
        "render": {"outcome": str(render), "failures": outcome.render_failures},
        "reports": report_entries(outcome, last, finished),
    }
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def report_entries(outcome: Outcome, last: dict, finished: str) -> dict:
    """Each report's entry: this build's runs, and the last entry of reports not in it."""
    previous = last.get("reports", {})
    reports = dict(previous) if isinstance(previous, dict) else {}
    for result in outcome.results:
        entry = {"outcome": str(result.outcome), "seconds": round(result.seconds, 1)}
        if result.outcome == FAILED:
            entry |= {"cell": result.cell, "error": result.error}
            entry["failed_notebook"] = f"{result.report}.failed.ipynb"
        entry["notebook"] = f"{result.report}.ipynb"
        entry["checked"] = finished
        reports[result.report] = entry
    return reports


def _engine(render: RenderOutcome, engine: str, last: dict) -> str | None:
    """The engine of the site as published now.

    An up-to-date site was rendered by the same engine (render_key holds it): reading it from
    the last manifest spares a no-change rebuild importing the engines (~0.5 s).
    """
    if render == RenderOutcome.UP_TO_DATE and last.get("engine"):
        return last.get("engine")
    return engine_used(engine) if render.published else last.get("engine")


def engine_used(engine: str) -> str:
    """The renderer `engine` (auto, quarto, builtin) stands for here: quarto or builtin."""
    with contextlib.suppress(Exception):
        from qprlib.pipeline.engines import choose_engine

        return choose_engine(engine)
    return engine
