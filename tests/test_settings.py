"""The method settings are declared once, as `qprlib.assess.AssessSettings`: every notebook
that assesses declares each of them in its `parameters` cell (None: the declared default)
and passes each to `report.prepare`, and params/defaults.yml and RunParams agree with it.

A notebook that left one out re-assessed with the default whenever a quarter changed it, and
could not use the build's shared assessment (the cover and QPR notebooks lacked spc_*).
"""

from __future__ import annotations

import ast
import json
from dataclasses import MISSING, fields, replace
from pathlib import Path

import pytest
import yaml

from qprlib import settings
from qprlib.assess import AssessSettings
from qprlib.params import SETTINGS, RunParams
from qprlib.periods import Quarter

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


# --- the one declaration (qprlib.settings.DECLARED) drives the rest ---------------------------

NOTEBOOK_SETTINGS = {s.name for s in settings.DECLARED if s.notebook is not None}
# what the build passes a run besides the settings (pipeline.plan) and a dashboard's own
# addressing (RunParams.dashboard_values)
RUN_VALUES = {"data_dir", "directorate", "git_commit", "data_hash", "run_time", "assessment_path"}


def sample_params() -> RunParams:
    return RunParams(quarter=Quarter.parse("2023/24 Q2"), council="C", committee="Cabinet")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_parameters_cell_declares_only_declared_settings_and_run_values(notebook):
    dashboard = set(sample_params().dashboard_values("any"))
    declared = parameters(notebook)
    unknown = sorted(set(declared) - NOTEBOOK_SETTINGS - RUN_VALUES - dashboard)
    assert not unknown, f"{notebook.name}: parameters not declared in qprlib.settings: {unknown}"
    # a setting left None is read from params/ (params.for_notebook); quarter says 'latest'
    assert {n: v for n, v in declared.items() if n in NOTEBOOK_SETTINGS - {"quarter"}} == (
        dict.fromkeys(set(declared) & (NOTEBOOK_SETTINGS - {"quarter"}))
    )


def test_run_params_and_assess_settings_take_their_fields_and_defaults_from_the_declaration():
    run_fields = {f.name: f for f in fields(RunParams)}
    assert set(run_fields) - {"sources"} == set(settings.BY_NAME)
    for s in settings.DECLARED:
        if s.name == "quarter" or s.required:
            continue
        field_default = run_fields[s.name].default
        if field_default is MISSING:
            field_default = run_fields[s.name].default_factory()
        assert field_default == s.default, s.name
        assert isinstance(s.default, s.type), s.name
    assert tuple(DECLARED) == settings.METHOD_SETTINGS
    for name, default in DECLARED.items():
        assert default == settings.BY_NAME[name].notebook(settings.BY_NAME[name].default)


def test_the_checker_table_and_the_required_settings_come_from_the_declaration():
    assert list(SETTINGS) == [s.name for s in settings.DECLARED]
    assert all(SETTINGS[s.name] is s.check for s in settings.DECLARED)
    assert settings.REQUIRED == ("council", "committee")


def test_notebook_values_are_the_declared_notebook_settings():
    values = sample_params().notebook_values()
    assert set(values) == NOTEBOOK_SETTINGS
    assert values["quarter"] == "2023/24 Q2" and values["contacts"] == ""


def test_defaults_yml_sets_only_declared_settings_with_checked_values():
    defaults = yaml.safe_load((ROOT / "params" / "defaults.yml").read_text(encoding="utf-8"))
    for name, raw in defaults.items():
        assert name in settings.BY_NAME, name
        settings.BY_NAME[name].check(raw)  # raises ValueError when it would not load


def test_describe_lists_every_setting_once_with_its_help():
    text = settings.describe()
    for s in settings.DECLARED:
        assert sum(line.split()[0] == s.name for line in text.splitlines()) == 1, s.name
        assert s.help in text


def test_the_assessment_key_follows_the_method_settings_only():
    from qprlib import io
    from qprlib.pipeline.stamps import assessment_key

    data = io.load(ROOT / "data")
    base = sample_params()
    assert assessment_key(replace(base, council="Other"), data) == assessment_key(base, data)
    changed = replace(base, amber_mode="tolerance")
    assert assessment_key(changed, data) != assessment_key(base, data)


def test_docs_list_every_declared_setting_with_its_help():
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for s in settings.DECLARED:
        assert f"| `{s.name}` |" in page, f"docs/settings.md lacks {s.name}"
        assert s.help.replace("|", "&#124;") in page, s.name
