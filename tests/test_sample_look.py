"""How the rendered sample quarter looks in print and on screen (issue 13, part B): the
review of the sample quarter (shared/reviews/2026-12-sample-quarter.md) found these on the
output, so each is checked on the output, built once by conftest's `sample_site`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sample-site")]

SLUG = "2023-24-q2"
PDFS = ["cover", "qpr"] + [
    f"directorate-{d}"
    for d in (
        "chief-executives-department",
        "growth-environment-and-transport",
        "children-young-people-and-education",
        "adult-social-care-and-health",
        "public-health",
    )
]


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} (poppler-utils) is needed: make system-deps", pytrace=False)
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=True)
    return done.stdout


def pdf(site: Path, report: str) -> str:
    return str(site / SLUG / f"{report}.pdf")


@pytest.mark.parametrize("report", PDFS)
def test_no_pdf_holds_a_raster_chart(sample_site, report):
    # review major 7: every chart was a 770x286 PNG at 112 ppi, soft beside the vector text
    listing = poppler("pdfimages", "-list", pdf(sample_site, report)).splitlines()
    assert listing[2:] == [], listing
