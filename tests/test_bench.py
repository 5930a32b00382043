"""The benchmark (`make bench`) keeps working: every row runs at --quick sizes.

No timing is asserted (speed is measured by `make bench`, not by tests); only that each row
is produced with a verdict, so the bench cannot rot unnoticed.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import fit_line, verdict

ROOT = Path(__file__).resolve().parent.parent


def test_the_growth_fit_recovers_a_straight_line():
    assert fit_line((1, 2, 4, 8), [3.0 + 2.5 * n for n in (1, 2, 4, 8)]) == (
        "3.0 s + 2.50 s/report (R² 1.000)"
    )
    assert fit_line((1,), [4.0]) == "n/a"


def test_a_verdict_says_by_how_much_a_target_is_missed():
    assert verdict(True, "(0.3x)") == "met"
    assert verdict(False, "(0.55x)") == "**missed** (0.55x)"


@pytest.mark.slow
def test_quick_bench_prints_every_row(tmp_path):
    """`python -m bench --quick` from another folder, its scratch copy under tmp_path."""
    env = os.environ | {"TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--working-tree"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "cores usable" in out and "measuring commit" in out
    rows = {
        "assessment, 1,000 monthly indicators": "< 2 s and >= 20x",
        "cold build of the sample quarter, 1 report": "<= 0.4x",
        "no-change rebuild": "< 1 s",
        "`qpr validate`, 100,000 valid value rows": "<= 10 s and <= 500 MB",
        "`qpr validate`, 100,000 value rows, each with two problems": "<= 10 s and <= 500 MB",
    }
    for start, target in rows.items():
        [row] = [line for line in out.splitlines() if line.startswith(f"| {start}")]
        assert target in row
        assert row.rstrip(" |").endswith("met") or "**missed**" in row, row
    assert "| 1 | " in out and "| 2 | " in out  # growth: 1 and 2 directorates
    assert "s/report (R²" in out
    assert not list(tmp_path.glob("qpr-bench-*"))  # the scratch copy is removed
