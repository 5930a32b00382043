"""Which KPIs a quarter should report, and which have a figure yet (issue 12).

A KPI is *expected* in a quarter when it has a targets.csv row for the quarter's financial
year (as `qprlib.assess.reported`), and *reported* when values.csv has a value dated in the
quarter (the value the assessment rates). `qpr build` refuses a quarter below the params
setting `completeness` (the share of expected KPIs that must be reported; default 1, every
one) unless `--draft`; a draft says on every report what is missing; `qpr status` and the
site index show each quarter's completeness. Pure: DataFrames in, a Completeness out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from qprlib.io import QprData
from qprlib.periods import Quarter

COLUMNS = ["id", "name", "directorate", "service_area", "reported"]
# build/<slug>/completeness.json, copied into the site beside kpis.csv for the index page
COMPLETENESS_FILE = "completeness.json"


@dataclass(frozen=True)
class Completeness:
    """The quarter's expected KPIs (COLUMNS, indicators.csv order) and which are reported."""

    quarter: str
    expected: pd.DataFrame

    @property
    def expected_count(self) -> int:
        return len(self.expected)

    @property
    def reported_count(self) -> int:
        return int(self.expected["reported"].sum())

    @property
    def missing(self) -> pd.DataFrame:
        """The expected KPIs with no figure yet."""
        return self.expected.loc[~self.expected["reported"].astype(bool)]

    @property
    def fraction(self) -> float:
        """Reported / expected (1.0 when nothing is expected)."""
        return self.reported_count / self.expected_count if self.expected_count else 1.0

    @property
    def complete(self) -> bool:
        return self.reported_count == self.expected_count

    def meets(self, required: float) -> bool:
        """At least `required` (0-1) of the expected KPIs are reported."""
        return self.fraction >= required - 1e-9

    def by_directorate(self) -> dict[str, list[str]]:
        """Directorate (indicators.csv order) -> 'ID name' of each missing KPI."""
        missing = self.missing
        return {
            directorate: [f"{r.id} {r.name}" for r in rows.itertuples()]
            for directorate, rows in missing.groupby("directorate", sort=False)
        }

    def headline(self) -> str:
        """'36 of 38 KPIs have a figure for 2023/24 Q3 (95%); 2 not yet reported'."""
        n, k = self.expected_count, self.reported_count
        text = f"{k} of {n} KPIs have a figure for {self.quarter} ({self.percent()})"
        return text if k == n else f"{text}; {n - k} not yet reported"

    def percent(self) -> str:
        """The share reported as a whole percentage, never rounded up to 100% when not all."""
        share = 100 * self.fraction
        whole = int(share) if self.reported_count < self.expected_count else round(share)
        return f"{whole}%"

    def missing_lines(self) -> list[str]:
        """One line per directorate with missing KPIs: 'Public Health (2 of 5): PH01 ..., ...'."""
        counts = self.expected.groupby("directorate", sort=False).size()
        return [
            f"{directorate} ({len(names)} of {counts[directorate]} not yet reported): "
            + "; ".join(names)
            for directorate, names in self.by_directorate().items()
        ]

    def site_words(self, draft: bool) -> str:
        """What the site index says under the quarter: the headline, and that it is a draft."""
        words = self.headline() + "."
        return words + " These are draft reports." if draft else words

    def as_dict(self) -> dict:
        """For build/<quarter>/manifest.json and the site index: counts and missing ids."""
        return {
            "expected": self.expected_count,
            "reported": self.reported_count,
            "missing": {
                d: list(rows["id"]) for d, rows in self.missing.groupby("directorate", sort=False)
            },
        }


def completeness(data: QprData, quarter: Quarter | str) -> Completeness:
    """The quarter's expected KPIs and whether each has a value dated in the quarter."""
    quarter = Quarter.parse(quarter)
    year = data.targets.loc[data.targets["year"] == quarter.financial_year, "id"]
    kpis = data.indicators.loc[
        (data.indicators["kind"] == "kpi") & data.indicators["id"].isin(set(year))
    ]
    start, end = pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)
    values = data.values
    dated = values.loc[values["period_end"].between(start, end) & values["value"].notna(), "id"]
    expected = kpis[COLUMNS[:-1]].assign(reported=kpis["id"].isin(set(dated)))
    return Completeness(str(quarter), expected.reset_index(drop=True))


DRAFT_KEY = "qpr-draft"  # front-matter field the build turns into the draft notice cell
# front-matter field kept in a draft's executed notebook: the line every page of it carries
# (the PDF's page header, the HTML banner; templates/report.typ and report.html)
DRAFT_MARK_KEY = "qpr-page-banner"


def check_complete(c: Completeness, required: float, where: str) -> None:
    """Raise DataError (exit 2) unless at least `required` of the KPIs are reported, listing
    the missing ones by directorate; `where` names the setting (params file and line)."""
    from qprlib.errors import DataError

    if c.meets(required):
        return
    raise DataError(
        [
            f"{c.quarter}: {c.headline()}, below the completeness setting ({where}: "
            f"{required:g}); import the missing returns (`qpr returns --status '{c.quarter}'` "
            "says which), lower the setting, or build a draft with --draft",
            *c.missing_lines(),
        ]
    )


def draft_mark(c: Completeness) -> str:
    """The plain-text line on every page of a draft: DRAFT, the count, and how many KPIs each
    directorate has still to report ('...; 2 not yet reported (Public Health 1; ...)')."""
    counts = "; ".join(f"{d} {len(names)}" for d, names in c.by_directorate().items())
    text = f"DRAFT – not for publication. {c.headline()}"
    return f"{text} ({counts})" if counts else text


def draft_notice(c: Completeness) -> str:
    """The Markdown block at the top of every report of a draft build: DRAFT, and what is
    missing by directorate."""
    from qprlib.tables import md_escape

    text = (
        f"**DRAFT – not for publication.** {md_escape(c.headline())}. The figures, ratings "
        "and counts may change when the missing returns are in."
    )
    lines = [md_escape(line) for line in c.missing_lines()]
    if lines:
        text += " Not yet reported:\n\n" + "\n".join(f"- {line}" for line in lines)
    return text + "\n"
