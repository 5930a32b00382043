"""The method settings are declared once, as `qprlib.assess.AssessSettings`: every notebook
that assesses declares each of them in its `parameters` cell (None: the declared default)
and passes each to `report.prepare`, and params/defaults.yml and RunParams agree with it.

A notebook that left one out re-assessed with the default whenever a quarter changed it, and
could not use the build's shared assessment (the cover and QPR notebooks lacked spc_*).
"""

from __future__ import annotations

import ast
import json
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from qprlib.assess import AssessSettings
from qprlib.params import SETTINGS, RunParams

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DECLARED = {f.name: f.default for f in fields(AssessSettings)}


def cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ] + [
        "parameters:" + "".join(c["source"])
        for c in nb["cells"]
        if "parameters" in c.get("metadata", {}).get("tags", [])
    ]


def parameters(path: Path) -> dict[str, object]:
    """The names the parameters cell assigns, with their values."""
    source = next(c for c in cells(path) if c.startswith("parameters:")).removeprefix("parameters:")
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            found[target.id] = ast.literal_eval(node.value) if node.value else None
    return found


def prepare_keywords(path: Path) -> set[str]:
    """The keyword arguments of the notebook's `report.prepare(...)` call."""
    for source in cells(path):
        if "report.prepare(" in source and not source.startswith("parameters:"):
            tree = ast.parse(source)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "prepare":
                    return {k.arg for k in node.keywords}
    return set()


ASSESSING = [p for p in NOTEBOOKS if prepare_keywords(p)]


def test_every_report_notebook_assesses():
    names = {p.stem for p in ASSESSING}
    assert {"cover", "qpr", "directorate"} <= names


@pytest.mark.parametrize("notebook", ASSESSING, ids=lambda p: p.stem)
def test_each_notebook_declares_every_method_setting_and_passes_it_on(notebook):
    declared = parameters(notebook)
    missing = sorted(set(DECLARED) - set(declared))
    assert not missing, f"{notebook.name}: parameters cell lacks {missing}"
    assert {name: declared[name] for name in DECLARED} == dict.fromkeys(DECLARED)  # None
    passed = prepare_keywords(notebook)
    assert not sorted(set(DECLARED) - passed), f"{notebook.name}: prepare() is not given them"


def test_defaults_yml_and_run_params_agree_with_the_declaration():
    defaults = yaml.safe_load((ROOT / "params" / "defaults.yml").read_text(encoding="utf-8"))
    run_params = {f.name: f.default for f in fields(RunParams)}
    for name, default in DECLARED.items():
        assert name in SETTINGS, f"params has no checker for {name}"
        if name.startswith(("dot_", "amber_", "spc_")):  # methods; area_code is the council's
            assert run_params[name] == default, name
            assert defaults.get(name, default) == default, f"defaults.yml {name}"
