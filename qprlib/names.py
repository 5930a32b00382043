"""What reports and files are called: the report kinds, file-safe slugs and index labels."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

SLUG_MAX = 60


class ReportKind(StrEnum):
    """The kinds of report; each is made from the notebook of the same name."""

    COVER = "cover"
    QPR = "qpr"
    DIRECTORATE = "directorate"
    BRIEFING = "briefing"  # the call-in briefing for the performance assurance meeting (seed 002)

    @classmethod
    def of(cls, report: str) -> ReportKind | None:
        """The kind of a report name ('directorate-public-health' -> DIRECTORATE), or None."""
        if report.startswith(f"{cls.DIRECTORATE}-"):
            return cls.DIRECTORATE
        return cls._value2member_map_.get(report)  # type: ignore[return-value]


CORPORATE_REPORTS = (ReportKind.COVER, ReportKind.QPR, ReportKind.BRIEFING)


def slugify(name: str) -> str:
    """A directorate name as a safe file name: 'Adults & Health' -> 'adults-health'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = ascii_name.lower().replace("'", "")  # "Executive's" -> "executives"
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:SLUG_MAX].strip("-")


def directorate_report(directorate: str) -> str:
    """The report name of a directorate's dashboard: 'directorate-<slug>'."""
    return f"{ReportKind.DIRECTORATE}-{slugify(directorate)}"


def report_label(name: str, parameters: dict | None = None) -> str:
    """What the index calls a report: 'Cover report', 'Public Health directorate dashboard'."""
    kind = ReportKind.of(name)
    if kind is ReportKind.COVER:
        return "Cover report"
    if kind is ReportKind.QPR:
        return "Quarterly Performance Report"
    if kind is ReportKind.BRIEFING:
        return "Call-in briefing for the performance assurance meeting"
    if kind is ReportKind.DIRECTORATE:
        directorate = " ".join(str((parameters or {}).get("directorate") or "").split())
        if not directorate:
            directorate = name.removeprefix("directorate-").replace("-", " ").title()
        return f"{directorate} directorate dashboard"
    return name.replace("-", " ").capitalize()


def report_rank(name: str) -> int:
    """The index order of kinds: cover, QPR, dashboards, the call-in briefing, anything else."""
    order = {ReportKind.COVER: 0, ReportKind.QPR: 1, ReportKind.DIRECTORATE: 2,
             ReportKind.BRIEFING: 3}  # fmt: skip
    return order.get(ReportKind.of(name), 4)


KPIS_FILE = "kpis.csv"  # the quarter's assessment, open data: build/<slug>/ and _site/<slug>/
SERIES_FILE = "series.csv"  # every charted point of the quarter, open data: beside kpis.csv
TREND_FILE = "trend.csv"  # the headline counts of the last 8 quarters (summary.headline_trend)
TREND_CHART = "trend.svg"  # the same as a chart, for the site index
