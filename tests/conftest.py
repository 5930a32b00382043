"""Fixtures shared across test files: the repository and its sample council, loaded once."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's top folder (data/, params/, notebooks/ live here)."""
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sample_data(repo_root):
    """The committed sample council (data/*.csv), loaded and validated by qprlib.io."""
    from qprlib import io

    return io.load(repo_root / "data")
