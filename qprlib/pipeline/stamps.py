"""Up-to-date keys: what each build output is made from, and the stamps that remember it.

One rule for the build and `qpr status`: an output is up to date exactly when its stamp holds
the key its inputs make now.

    <report>.stamp.json   a run: notebook, parameters (less provenance), front matter, data,
                          qprlib, kernel
    kpis.stamp.json       kpis.csv and assessment.json: settings, data, qprlib
    render.stamp.json     the published site: the notebooks, kpis.csv, formats, engine, council
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qprlib import provenance
from qprlib.atomic import write_atomic
from qprlib.pipeline.outcome import BUILT, UP_TO_DATE

KERNEL = "python3"  # resolves to this environment's Python without kernel registration
# provenance only: never a reason to re-run (the data a run reads is its own input,
# data_keys.data_key; the whole data hash would re-run every report for any change)
NOT_STAMPED = ("run_time", "git_commit", "data_hash")
KPIS_STAMP, RENDER_STAMP, ASSESSMENT_STAMP = (
    "kpis.stamp.json",
    "render.stamp.json",
    "assessment.stamp.json",
)
RUN_STAMP = ".stamp.json"  # build/<slug>/<report>.stamp.json


def key_of(inputs: Any) -> str:
    """A hash of some inputs (JSON-able): equal keys, equal output."""
    return provenance.text_hash(json.dumps(inputs, sort_keys=True, default=str))


def run_inputs(
    notebook_sha: str, parameters: dict, front: dict, data_hash: str, library: str
) -> dict[str, Any]:
    """What a run's notebook is made from (a commit that changes neither the notebook nor
    qprlib nor the data changes no number, so `run_time` and `git_commit` are left out)."""
    return {
        "notebook": notebook_sha,
        "parameters": {k: v for k, v in parameters.items() if k not in NOT_STAMPED},
        "front_matter": front,
        "data_hash": data_hash,
        "qprlib": library,
        "kernel": KERNEL,
    }


def assessment_key(params, data) -> str:
    """What kpis.csv (and assessment.json) are made from: the method settings (those
    `qprlib.settings` declares `method`, as `AssessSettings` holds them), the quarter's own
    rows of the data (data_keys: a later quarter's figures leave it current) and qprlib."""
    from dataclasses import asdict

    from qprlib.data_keys import data_key

    settings = asdict(params.assess_settings())
    inputs = [settings, data_key(data, params.quarter), provenance.source_hash()]
    return provenance.text_hash(json.dumps(inputs, default=str))


def _hash_if_file(path: Path) -> str:
    return provenance.file_hash(path) if path.is_file() else ""


def render_key(
    out: Path, site: Path, reports: Sequence[str], formats: Sequence[str], engine: str, council: str
) -> str:
    """What the published site of a quarter is made from (render.stamp.json holds the last)."""
    kpis = out / "kpis.csv"
    inputs = {
        "reports": {r: provenance.file_hash(out / f"{r}.ipynb") for r in reports},
        "kpis": provenance.file_hash(kpis) if kpis.is_file() else "",
        **{name: _hash_if_file(out / name) for name in ("series.csv", "trend.csv", "trend.svg")},
        "formats": list(formats),
        "engine": engine,
        "quarto": shutil.which("quarto") if engine == "auto" else "",
        "council": council,
        "qprlib": provenance.source_hash(),
        "site": str(site),
    }
    return provenance.text_hash(json.dumps(inputs))


def read_stamp(path: Path) -> dict:
    """A stamp (or the manifest) as a dict; {} when missing or unreadable."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def stamped(path: Path, key: str) -> bool:
    """True when the stamp at `path` holds `key`."""
    return read_stamp(path).get("key") == key


def write_key(path: Path, key: str) -> None:
    """A stamp holding only its key (kpis, assessment, render)."""
    write_atomic(path, json.dumps({"key": key}))


def up_to_date(run) -> bool:
    """True when the last successful run had the same inputs and its notebook is still there."""
    return run.output.is_file() and stamped(run.sibling(RUN_STAMP), run.key)


def write_stamp(run, result) -> None:
    """The stamp of a successful run: its key, inputs and the parameters its notebook declares."""
    content = {
        "key": run.key,
        "notebook_sha256": run.notebook_sha,
        "declared": list(run.declared),
        "built": provenance.utc_now(),
        "seconds": round(result.seconds, 1),
        "inputs": run.inputs,
    }
    write_atomic(run.sibling(RUN_STAMP), json.dumps(content, indent=1, default=str))


def declared_cache(out: Path) -> dict[str, tuple[str, ...]]:
    """Parameters declared by notebooks seen before (by file hash), read from their stamps."""
    known = {}
    for stamp in out.glob(f"*{RUN_STAMP}"):
        content = read_stamp(stamp)
        if isinstance(content.get("notebook_sha256"), str) and isinstance(
            content.get("declared"), list
        ):
            known[content["notebook_sha256"]] = tuple(content["declared"])
    return known


def built_reports(out: Path) -> list[str]:
    """Reports of the quarter with a stamp and an executed notebook, by name."""
    names = []
    for stamp in out.glob(f"*{RUN_STAMP}"):
        name = stamp.name.removesuffix(RUN_STAMP)
        if (
            stamp.name not in (KPIS_STAMP, RENDER_STAMP, ASSESSMENT_STAMP)
            and (out / f"{name}.ipynb").is_file()
        ):
            names.append(name)
    return sorted(names)


def current_reports(results, runs, out: Path, partial: bool) -> list[str]:
    """Reports whose notebook matches this build's inputs: built now or up to date, in plan
    order. A --directorate build (`partial`) also keeps the quarter's other built reports."""
    current = [r.report for r in results if r.outcome in (BUILT, UP_TO_DATE)]
    order = [run.report for run in runs]
    current.sort(key=order.index)
    if partial:
        current += [name for name in built_reports(out) if name not in set(order)]
    return current
