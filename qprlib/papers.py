"""How each committee paper is addressed: its title (with the quarter), subtitle, date and the
appendix it is, and which notebook writes the cover for the cover style.

Seed 001 (Kent Cabinet): the cover report's Appendix 1 is the Quarterly Performance Report.
Seed 003 (Kent cabinet committees): each directorate dashboard is its own paper, to its own
committee on its own date. Seed 004 (Halton Executive Board): the cover's appendices are the
directorates' reports, one each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qprlib.params import RunParams

COVER_NOTEBOOKS = {"kcc": "cover", "halton": "cover-halton"}  # params cover_style -> notebook


def cover_notebook(params: RunParams) -> str:
    """The notebook that writes the cover report in the params' `cover_style`."""
    return COVER_NOTEBOOKS[params.cover_style]


def qpr_title(params: RunParams) -> str:
    """'Quarterly Performance Report, Quarter 2, 2023/24'."""
    return f"Quarterly Performance Report, {params.quarter.label}"


def dashboard_title(directorate: str, params: RunParams) -> str:
    """'Public Health Directorate Dashboard, Quarter 2, 2023/24' (seed 003's subject)."""
    return f"{directorate} Directorate Dashboard, {params.quarter.label}"


def front_matter(
    report: str, params: RunParams, directorate: str = "", directorates: Sequence[str] = ()
) -> dict[str, str]:
    """Title, subtitle, date, author and language for a report's front-matter cell.

    Every title names the quarter (a browser tab, a PDF's Title). With the kcc cover the QPR
    is titled as its Appendix 1; with the halton cover each dashboard is the appendix of its
    place in `directorates` (the data's order). A dashboard's subtitle and date are its own
    committee's (params `dashboards`). The author is the council: who a paper is from is in
    its From lines, not repeated under the title.
    """
    halton = params.cover_style == "halton"
    committee, meeting = params.committee, params.meeting_date
    if report == "briefing":  # seed 002: to the performance assurance meeting, its date
        committee = params.assurance_meeting or "Performance Assurance Team"
        meeting = params.assurance_meeting_date or meeting
        title = f"Call-in briefing, {params.quarter.label}"
    elif report == "cover":
        title = (
            f"Directorate Performance Overview Reports, {params.quarter.label}"
            if halton
            else qpr_title(params)
        )
    elif directorate:
        own = params.dashboard_values(directorate)
        committee = own["directorate_committee"] or committee
        meeting = own["directorate_meeting_date"] or meeting
        title = dashboard_title(directorate, params)
        if halton and directorate in directorates:
            title = f"Appendix {list(directorates).index(directorate) + 1} – {title}"
    else:
        title = qpr_title(params) if halton else f"Appendix 1 – {qpr_title(params)}"
    fields = {
        "title": title,
        "subtitle": f"Report to {committee}",  # the date line under it names the council
        "date": meeting,
        "author": params.council,
        "lang": "en-GB",
    }
    return {key: value for key, value in fields.items() if value}


NBSP = "\u00a0"
_APPENDIX = re.compile(r"^(Appendix \d+) – (.+)$")
_QUARTER = re.compile(r"Quarter (\d), (\d{4}/\d{2})")


def display_title(title: str) -> tuple[str, str]:
    """(appendix label, title as shown): 'Appendix 1 – Quarterly Performance Report, Quarter
    2, 2023/24' shows 'Appendix 1' on a line above 'Quarterly Performance Report, Quarter 2,
    2023/24', with 'Quarter 2, 2023/24' joined by no-break spaces so a line never ends
    inside it (the PDF broke the title as '..., Quarter 2, / 2023/24')."""
    match = _APPENDIX.match(title)
    appendix, rest = (match[1], match[2]) if match else ("", title)
    return appendix, _QUARTER.sub(rf"Quarter{NBSP}\1,{NBSP}\2", rest)


def footer_line(git_commit: str, data_hash: str) -> str:
    """A paper's one footer line: 'Data version f3da9f6, code 41b205f.' (no run time: a paper
    for a January meeting does not say it was produced in December); '' when neither is known."""
    parts = []
    if data_hash:
        parts.append(f"Data version {data_hash[:7]}")
    if git_commit and git_commit != "not a git checkout":
        parts.append(f"code {git_commit[:7]}")
    return (", ".join(parts) + ".") if parts else ""
