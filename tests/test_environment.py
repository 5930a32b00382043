"""The reproducible environment: lock files that cover pyproject.toml, pre-commit hooks at
the locked versions, the licence in PEP 639 form and `qpr --version` (issue 12)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from qprlib import __version__
from qprlib.cli import main

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
HOOKS = {  # pre-commit repository -> the package whose version its rev must be
    "https://github.com/astral-sh/ruff-pre-commit": ("ruff", "v"),
    "https://github.com/kynan/nbstripout": ("nbstripout", ""),
}


def pins(name: str) -> dict[str, str]:
    """requirements/<name>.txt as {canonical package name: exact version}."""
    found = {}
    for line in (ROOT / "requirements" / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line.strip())
            assert match, f"requirements/{name}.txt: {line!r} is not an exact pin"
            found[canonicalize_name(match[1])] = match[2]
    return found


@pytest.mark.parametrize(
    "lock, requirements",
    [
        ("runtime", PYPROJECT["project"]["dependencies"]),
        (
            "dev",
            PYPROJECT["project"]["dependencies"]
            + PYPROJECT["project"]["optional-dependencies"]["dev"],
        ),
    ],
)
def test_the_lock_pins_every_dependency_within_pyproject_ranges(lock, requirements):
    pinned = pins(lock)
    for text in requirements:
        wanted = Requirement(text)
        name = canonicalize_name(wanted.name)
        assert name in pinned, f"{name} is in pyproject.toml but not in requirements/{lock}.txt"
        assert wanted.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/{lock}.txt pins {name}=={pinned[name]}, outside {wanted.specifier}: "
            "run make lock"
        )
    assert "qprlib" not in pinned  # installed from the checkout, not from an index


def test_runtime_and_dev_locks_agree():
    runtime, dev = pins("runtime"), pins("dev")
    assert {name: dev.get(name) for name in runtime} == runtime


def test_pre_commit_hooks_run_the_locked_versions():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    dev = pins("dev")
    revs = {repo["repo"]: repo["rev"] for repo in config["repos"]}
    assert set(revs) == set(HOOKS)
    for repo, (package, prefix) in HOOKS.items():
        assert revs[repo] == f"{prefix}{dev[package]}", f"{repo}: rev is not {package} in the lock"


def test_make_setup_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "LOCK   := requirements/dev.txt" in makefile
    assert "pip install --quiet -r $(LOCK)" in makefile and "--no-deps -e ." in makefile
    assert re.search(r"^lock: .*\n\t@bash scripts/lock.sh$", makefile, flags=re.MULTILINE)


def test_the_licence_is_an_spdx_expression():
    assert PYPROJECT["project"]["license"] == "MIT"  # PEP 639: a string, not a table
    requires = PYPROJECT["build-system"]["requires"]
    assert any(Requirement(r).name == "setuptools" and "77" in str(r) for r in requires)


def test_qpr_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"qpr (qprlib) {__version__}"
    assert version("qprlib") == __version__  # pyproject reads it from qprlib.__version__
