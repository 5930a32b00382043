"""What every rendered page says and looks like: metadata, the provenance footer, the style.

Shared by both engines and the site index, so HTML, PDF and Word carry the same title, dates,
colours and footer whichever engine made them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from qprlib import papers
from qprlib.completeness import DRAFT_MARK_KEY
from qprlib.names import ReportKind
from qprlib.pipeline.notebooks import Report, text
from qprlib.tables import DIRECTION_COLOURS, NO_RATING_COLOUR, RAG_COLOURS, rag_css

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
REPO = Path(__file__).resolve().parents[2]
FORMATS = ("html", "pdf", "docx")
SUFFIX = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}
FORMAT_WORDS = {"html": "HTML", "pdf": "PDF", "docx": "Word document"}
DOCX_REPORTS = (ReportKind.COVER,)  # committee systems take the Cabinet cover report as Word
DEFAULT_COUNCIL = "Wealdshire County Council"  # the sample council (params/defaults.yml)
LANG_TAG = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{2}|\d{3}))?(?:-[A-Za-z0-9]{1,8})*$")


def report_formats(name: str, formats: Sequence[str]) -> tuple[str, ...]:
    """The formats a report is rendered to: Word only for the cover report."""
    return tuple(f for f in formats if f != "docx" or name in DOCX_REPORTS)


def stylesheet() -> str:
    """The reports' CSS: the house style plus the RAG/direction colours from qprlib.tables."""
    return (TEMPLATES / "qpr.css").read_text(encoding="utf-8") + "\n" + rag_css()


def typst_colours() -> str:
    """Typst definitions of the RAG and direction colours (the same dicts as the CSS)."""
    colours = {name.lower(): c for name, c in RAG_COLOURS.items()} | {"none": NO_RATING_COLOUR}
    entries = [
        f'"{name}": (fill: rgb("{c["fill"]}"), text: rgb("{c["text"]}"), edge: rgb("{c["edge"]}"))'
        for name, c in colours.items()
    ]
    dots = [f'"{name}": rgb("{colour}")' for name, colour in DIRECTION_COLOURS.items()]
    return f"#let rag-colours = ({', '.join(entries)})\n#let dot-colours = ({', '.join(dots)},)"


def metadata_args(report: Report, council: str, formats: Sequence[str]) -> list[str]:
    """Front matter as pandoc -M options: literal strings, escaped by each writer."""
    front = report.front_matter
    meta = {
        "title": report.title,
        "subtitle": text(front.get("subtitle")),
        "date": long_date(front.get("date")),
        "lang": lang_tag(front.get("lang")),
        "council": text(council) or DEFAULT_COUNCIL,
        "provenance": provenance(report),
        "draft-mark": text(front.get(DRAFT_MARK_KEY)),  # a draft: on every page
    }
    meta["appendix"], meta["display-title"] = papers.display_title(report.title)
    if "pdf" in formats:
        meta["pdf-href"] = f"{report.name}.pdf"
    if "docx" in formats:
        meta["docx-href"] = f"{report.name}.docx"
    args = [f"--metadata={key}={value}" for key, value in meta.items() if value]
    authors = front.get("author") or []
    for author in authors if isinstance(authors, list) else [authors]:
        name = text(author.get("name") if isinstance(author, dict) else author)
        if name:
            args.append(f"--metadata=author={name}")
    return args


def provenance(report: Report) -> str:
    """A one-line footer: the data and code versions the report was produced from."""
    given = report.front_matter.get("provenance")
    if isinstance(given, str):
        return text(given)
    source = given if isinstance(given, dict) else report.parameters
    commit, data = text(source.get("git_commit")), text(source.get("data_hash"))
    # a paper's one footer line: no run time (the build record is on the site's "How this
    # was produced" page)
    return papers.footer_line(commit, data)


def when(stamp: str) -> str:
    """An ISO time as the footer says it: '4 January 2024 at 09:30 UTC'; other text as is."""
    try:
        moment = datetime.fromisoformat(stamp.replace(" UTC", "+00:00").replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M}" + (
        " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    )


def long_date(value: object) -> str:
    """An ISO date as members write it (`2024-01-04` -> `4 January 2024`); other text as is."""
    written = text(value)
    try:
        day = date.fromisoformat(written)
    except ValueError:
        return written
    return f"{day.day} {day:%B %Y}"


def lang_tag(value: object) -> str:
    """The front matter's language tag when it is one (BCP 47), else en-GB."""
    tag = text(value)
    return tag if LANG_TAG.match(tag) else "en-GB"


def typst_lang(value: object) -> tuple[str, str]:
    """The language tag as Typst's (language, region): ('en', 'GB')."""
    match = LANG_TAG.match(lang_tag(value))
    return match[1].lower(), (match[2] or "").upper()


def count_sections(markdown: str) -> int:
    """The number of level-2 headings."""
    return len(re.findall(r"^##\s", markdown, re.MULTILINE))


def one_line(error: object) -> str:
    """An error as one line of at most 500 characters."""
    return " ".join(str(error).split())[:500]
