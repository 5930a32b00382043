"""What the report notebooks call: one `prepare` per notebook, then one call per output.

Each call returns a display object whose Markdown is what both render engines use: `Markdown`
(text, pipe tables, headings from `###` down, images as data URIs) or `charts.Chart`. Never
HTML output: Quarto injects CDN scripts into pages that have it, so tables are handed over as
their Markdown only (`tables.Table` keeps its HTML form for interactive use). Notebook
headings are `##`; sections with several headings (one per service area or KPI) emit `###`
and `####`.
Every number comes from the assessment; data text is escaped with `tables.md_escape`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from qprlib import briefing, charts, compare, io, provenance, summary, tables
from qprlib.assess import (
    IMPROVEMENT,
    AssessSettings,
    assess,
    history,
    made_from,
    series_by_id,
)
from qprlib.errors import ParamsError
from qprlib.periods import Quarter
from qprlib.rag import RED
from qprlib.spc import spc
from qprlib.summary import (
    DIRECTION_ORDER,
    RAG_ORDER,
    Summary,
    awaiting_commentary,
    cardinal,
    commentary_due,
    number_words,
    summarise,
)
from qprlib.tables import md_escape
from qprlib.trend import WORSENING

REPO = Path(__file__).resolve().parent.parent
COMMENTARY_AWAITED = "Commentary awaited"  # where commentary is due and missing (finding 12)
GRID_FREQ = {"monthly": "ME", "quarterly": "QE"}  # assess.series_by_id's period grid
HALTON_TEXTS = (
    "reporting_officer", "portfolio", "wards", "policy_implications", "other_implications",
    "priorities_implications", "risk_analysis", "equality_and_diversity", "background_papers",
)  # fmt: skip  # seed 004's header lines and sections 4.0-9.0 (params.HALTON_TEXTS)
REPORT_PARAMETERS = (
    "quarter", "data_dir", "directorate", "council", "committee", "meeting_date", "author",
    "decision_no", "contacts", "directorate_committee", "directorate_author",
    "directorate_meeting_date", "directorate_contacts", "directorate_background",
    "build_details", "directorates", *HALTON_TEXTS,
    "assurance_meeting", "assurance_meeting_date",
)  # fmt: skip


@dataclass(frozen=True)
class Markdown:
    """A block of Markdown for the report (shown as Markdown in JupyterLab and rendered)."""

    text: str

    def _repr_markdown_(self) -> str:
        return self.text

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.text)


def _block(*parts: object) -> Markdown:
    """Join paragraphs, lists, tables and charts into one Markdown block, blank-line separated."""
    texts = [p._repr_markdown_() if hasattr(p, "_repr_markdown_") else str(p) for p in parts]
    return Markdown("\n\n".join(t.strip("\n") for t in texts if t) + "\n")


def _fenced(*parts: object, kind: str = "kpi") -> str:
    """Parts in one fenced div of class `kind`: a KPI's heading, status line, chart, caption,
    commentary and action, which the renderer never splits across pages (templates/qpr.lua,
    print CSS). Data text never starts a line with ':' (md_escape), so it cannot close it."""
    # four colons: the block holds "Show the data" divs of three (show_data)
    return f":::: {{.{kind}}}\n\n" + _block(*parts).text.strip("\n") + "\n\n::::"


def _table(table: tables.Table) -> Markdown:
    """A table as Markdown only: no text/html output in the executed notebook."""
    return Markdown(table._repr_markdown_())


@dataclass(frozen=True)
class Context:
    """Everything a report needs for one quarter (and one directorate, or the whole council).

    current/previous: assessment tables (qprlib.assess.assess), filtered to the directorate;
    history: every period up to the quarter's end (qprlib.assess.history), same filter.
    """

    data: io.QprData
    quarter: Quarter
    settings: AssessSettings
    current: pd.DataFrame
    previous: pd.DataFrame | None
    history: pd.DataFrame
    summary: Summary
    directorate: str | None = None
    council: str = ""
    committee: str = "Cabinet"
    meeting_date: str = ""
    author: str = ""
    decision_no: str = ""  # the cover report's "Decision No" (blank: n/a, as seed 001)
    contacts: tuple[str, ...] = ()  # the cover report's contact details, one block per person
    background_documents: tuple[str, ...] = ()  # a dashboard's section 4 (seed 003)
    build_details: bool = False  # `about` prints the build record (commit, data, parameters)
    directorates: tuple[str, ...] = ()  # the dashboards built (halton cover's appendices)
    texts: dict[str, str] = field(default_factory=dict)  # HALTON_TEXTS given
    assurance_meeting: str = ""  # the call-in briefing's meeting (seed 002: PAT)
    assurance_meeting_date: str = ""  # ISO date of that meeting
    provenance: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, object] = field(default_factory=dict)

    @property
    def from_lines(self) -> list[str]:
        """Who the paper is from, one person per line ('Roger Gough – Leader of the Council')."""
        return [line.strip() for line in self.author.splitlines() if line.strip()]

    @property
    def kpis(self) -> pd.DataFrame:
        """The quarter's KPIs (activity indicators left out)."""
        return self.current.loc[self.current["kind"] == "kpi"]

    @property
    def activity(self) -> pd.DataFrame:
        """The quarter's activity indicators."""
        return self.current.loc[self.current["kind"] == "activity"]

    @property
    def period_words(self) -> str:
        """'the end of September 2023'."""
        return f"the end of {self.quarter.end:%B %Y}"


def prepare(
    quarter: str | None,
    data_dir: str | Path | None = "../data",
    *,
    directorate: str | None = None,
    council: str = "",
    committee: str = "Cabinet",
    meeting_date: str = "",
    author: str = "",
    decision_no: str = "",
    contacts: str | list[str] | tuple[str, ...] = "",
    directorate_committee: str = "",
    directorate_author: str = "",
    directorate_meeting_date: str = "",
    directorate_contacts: str = "",
    directorate_background: str = "",
    build_details: bool = False,
    directorates: str = "",
    assurance_meeting: str = "",
    assurance_meeting_date: str = "",
    git_commit: str = "",
    data_hash: str = "",
    run_time: str = "",
    assessment_path: str | Path = "",
    **settings: object,
) -> Context:
    """Load the data, assess the quarter and the one before, summarise: one call per notebook.

    `settings` are AssessSettings fields (dot_method, dot_window_quarters, dot_window_months,
    dot_alpha, amber_mode, amber_tolerance, spc_screen_outliers). Provenance values left blank
    are computed now (git commit of this checkout, hash of the data files, the current time).
    `assessment_path`: the build's assessment of both quarters (build/<quarter>/assessment.json),
    used when made from this data, quarter, settings and qprlib; otherwise assessed now.
    `decision_no`, `contacts`: the cover report's (seed 001). A directorate dashboard goes to
    `directorate_committee` on `directorate_meeting_date` from `directorate_author`, with
    `directorate_contacts` and `directorate_background` (one document a line), when given.
    `author`: one person a line. `build_details`: `about` prints the build record.
    `directorates` (one a line) and the HALTON_TEXTS settings: the halton cover's.

    A notebook run by hand leaves settings as None (and `quarter` 'latest', `data_dir` None):
    those are read from params/defaults.yml and the quarter's file, as `qpr build` reads them
    (`params.for_notebook`); values given here, or injected by papermill, win.
    """
    named = {
        "council": council, "committee": committee, "meeting_date": meeting_date,
        "author": author, "decision_no": decision_no, "contacts": contacts,
        "directorate_committee": directorate_committee,
        "directorate_author": directorate_author,
        "directorate_meeting_date": directorate_meeting_date,
        "directorate_contacts": directorate_contacts,
        "directorate_background": directorate_background,
        "build_details": build_details, "directorates": directorates,
        "assurance_meeting": assurance_meeting,
        "assurance_meeting_date": assurance_meeting_date, **settings,
    }  # fmt: skip
    if data_dir is None or None in named.values() or str(quarter).lower() in _NAMED_QUARTERS:
        from qprlib.params import for_notebook

        quarter, data_dir, named = for_notebook(quarter, data_dir, named, directorate=directorate)
    settings = {k: v for k, v in named.items() if k in settings}
    texts = {k: settings.pop(k) for k in HALTON_TEXTS if k in settings}
    parameters = {
        "quarter": quarter, "data_dir": str(data_dir), "directorate": directorate, **named,
        "contacts": _contact_blocks(named["contacts"]),
        "directorate_contacts": _contact_blocks(named["directorate_contacts"]),
        "directorate_background": _lines(named["directorate_background"]),
        "directorates": _lines(named["directorates"]), **texts, **settings,
    }  # fmt: skip
    # comparator groups given (as `qpr build` passes them): comparators.csv is checked
    # against them; none ('' as a notebook's default): the build checked, or nothing to check
    groups = str(settings.get("comparator_groups") or "")
    data = io.load(
        data_dir,
        area_code=str(settings.get("area_code", "")),
        comparator_groups=compare.groups_from_json(groups) if groups else None,
        params_where="the parameters 'area_code' and 'comparator_groups'",
    )
    recorded = {
        "git_commit": git_commit or provenance.git_commit(REPO),
        "data_hash": data_hash or data.data_hash,
        "run_time": run_time or provenance.utc_now(),
    }
    saved = io.read_frames_json(assessment_path) if assessment_path else None
    return context(data, quarter, parameters=parameters, provenance=recorded, saved=saved)


_NAMED_QUARTERS = ("", "latest", "current", "none")


def _contact_blocks(contacts: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Contact details as one block per person: text with blocks separated by a blank line
    (as params passes them to a notebook), or a list of blocks."""
    if isinstance(contacts, str):
        contacts = re.split(r"\n\s*\n", contacts)
    return tuple(c.strip() for c in contacts or () if c.strip())


def _lines(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Text with one item a line (as params passes a list to a notebook), or the list."""
    items = text.splitlines() if isinstance(text, str) else (text or ())
    return tuple(" ".join(str(i).split()) for i in items if str(i).strip())


def context(
    data: io.QprData,
    quarter: str | Quarter,
    *,
    parameters: dict[str, object] | None = None,
    provenance: dict[str, str] | None = None,
    saved: tuple[dict, dict[str, pd.DataFrame]] | None = None,
) -> Context:
    """The Context for loaded data: `parameters` as `prepare` takes them (minus data_dir);
    `saved`: a precomputed assessment as `io.read_frames_json` returns it (see `assessed`)."""
    p = {"directorate": None, "council": "", "committee": "Cabinet", "meeting_date": "",
         "author": "", "decision_no": "", "contacts": (), "directorate_committee": "",
         "directorate_author": "", "directorate_meeting_date": "", "directorate_contacts": (),
         "directorate_background": (), "build_details": False, "directorates": (),
         "assurance_meeting": "", "assurance_meeting_date": "",
         **(parameters or {})}  # fmt: skip
    known = {f.name for f in fields(AssessSettings)}
    settings = {k: v for k, v in p.items() if k in known}
    unknown = sorted(set(p) - known - set(REPORT_PARAMETERS))
    if unknown:
        raise ParamsError(f"unknown parameter(s) {', '.join(unknown)}")
    quarter_ = Quarter.parse(quarter)
    assess_settings = AssessSettings(**settings)
    current, previous = assessed(data, quarter_, assess_settings, saved)
    past = history(data, quarter_, assess_settings)
    directorate = p["directorate"] or None
    if directorate:
        _check_directorate(data, directorate)
        current, previous = _only(current, directorate), _only(previous, directorate)
        past = past.loc[past["id"].isin(current["id"])]
    previous = previous if len(previous) else None  # a first quarter has nothing to compare
    committee, author, meeting = p["committee"], p["author"], p["meeting_date"]
    contacts = _contact_blocks(p["contacts"])
    if directorate:  # a dashboard goes to its own cabinet committee when one is given
        committee = p["directorate_committee"] or committee
        author = p["directorate_author"] or author
        meeting = p["directorate_meeting_date"] or meeting
        contacts = _contact_blocks(p["directorate_contacts"]) or contacts
    return Context(
        data=data, quarter=quarter_, settings=assess_settings, current=current,
        previous=previous, history=past, summary=summarise(current, previous),
        directorate=directorate, council=p["council"], committee=committee,
        meeting_date=meeting, author=author, decision_no=p["decision_no"] or "",
        contacts=contacts, background_documents=_lines(p["directorate_background"]),
        build_details=bool(p["build_details"]), directorates=_lines(p["directorates"]),
        texts={k: " ".join(str(p[k]).split()) for k in HALTON_TEXTS if p.get(k)},
        assurance_meeting=p["assurance_meeting"] or "",
        assurance_meeting_date=p["assurance_meeting_date"] or "",
        provenance=provenance or {}, parameters={"quarter": str(quarter_), **p},
    )  # fmt: skip


def assessed(
    data: io.QprData,
    quarter: Quarter,
    settings: AssessSettings,
    saved: tuple[dict, dict[str, pd.DataFrame]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quarter's and the previous quarter's assessment: `saved` ("current", "previous")
    when it was made from exactly these inputs (`assess.made_from`), else assessed now."""
    if saved is not None:
        header, tables = saved
        if header == made_from(data, quarter, settings, provenance.source_hash()):
            return tables["current"], tables["previous"]
    return assess(data, quarter, settings), assess(data, quarter.previous(), settings)


def _only(table: pd.DataFrame, directorate: str) -> pd.DataFrame:
    return table.loc[table["directorate"] == directorate].reset_index(drop=True)


def _check_directorate(data: io.QprData, directorate: str) -> None:
    known = list(dict.fromkeys(data.indicators["directorate"]))
    if directorate not in known:
        raise ParamsError(
            f"parameter 'directorate': {directorate!r} is not a directorate in indicators.csv; "
            f"expected one of {', '.join(known)}"
        )


# ---------------------------------------------------------------- cover report (seed 001)


def _quarter_words(ctx: Context) -> str:
    """'Quarter 2, 2023/24'."""
    return ctx.quarter.label


def _date_words(iso: str) -> str:
    return tables.format_date(iso) if iso else "date to be confirmed"


def _from(ctx: Context) -> str:
    """'**From:** Roger Gough – Leader of the Council' with each further person on a line."""
    people = [md_escape(line) for line in ctx.from_lines] or ["Not given"]
    return "**From:** " + "\\\n".join(people)


def cover_header(ctx: Context) -> Markdown:
    """From / To / Subject / Classification, as on a committee paper."""
    lines = [
        _from(ctx),
        f"**To:** {md_escape(ctx.committee)} – {_date_words(ctx.meeting_date)}",
        f"**Decision No:** {md_escape(ctx.decision_no or 'n/a')}",
        f"**Subject:** Quarterly Performance Report, {_quarter_words(ctx)}",
        "**Classification:** Unrestricted",
    ]
    return Markdown("\\\n".join(lines) + "\n")


def _contact_lines(contacts: tuple[str, ...]) -> Markdown:
    """One block per person (name, job title, phone, email lines), as params gives them."""
    if not contacts:
        return Markdown("No contact details were given for this report.\n")
    blocks = [
        "\\\n".join(md_escape(line) for line in contact.splitlines() if line.strip())
        for contact in contacts
    ]
    return Markdown("\n\n".join(blocks) + "\n")


def cover_contacts(ctx: Context) -> Markdown:
    """Section 4, contact details: one block per person (name, job title, phone, email lines),
    as params `contacts` gives them."""
    return _contact_lines(ctx.contacts)


QPR_REPORT = "qpr"  # the corporate QPR's report name: the cover's Appendix 1 (seed 001)


def appendices(ctx: Context) -> list[tuple[str, str]]:
    """The cover's appendices as (title, report name): seed 001's one, the QPR; the halton
    cover's one per directorate dashboard (seed 004, 3.6)."""
    return [(f"Quarterly Performance Report, {_quarter_words(ctx)}", QPR_REPORT)]


def _appendix_list(items: list[tuple[str, str]]) -> Markdown:
    """'- [Appendix 1 – Quarterly Performance Report, Quarter 2, 2023/24](qpr.html)': linked
    to the report beside this one (HTML; the PDF and Word copies link to its PDF)."""
    lines = [
        f"- [Appendix {n} – {md_escape(title)}]({name}.html)"
        for n, (title, name) in enumerate(items, 1)
    ]
    return Markdown("\n".join(lines) + "\n")


def cover_appendices(ctx: Context) -> Markdown:
    """The papers attached to the cover, each linked: 'Appendix 1 – Quarterly Performance
    Report, Quarter 2, 2023/24'."""
    return _appendix_list(appendices(ctx))


def dashboard_header(ctx: Context) -> Markdown:
    """From / To / Subject / Classification for a directorate dashboard (seed 003)."""
    lines = [
        _from(ctx),
        f"**To:** {md_escape(ctx.committee)} – {_date_words(ctx.meeting_date)}",
        f"**Subject:** {md_escape(_directorate_name(ctx))} Directorate Dashboard, "
        f"{_quarter_words(ctx)}",
        "**Classification:** Unrestricted",
    ]
    return Markdown("\\\n".join(lines) + "\n")


def _directorate_name(ctx: Context) -> str:
    return ctx.directorate or ctx.council or "Council"


def cover_summary(ctx: Context) -> Markdown:
    """The summary box: purpose, period, the RAG counts sentence and the recommendation."""
    committee = md_escape(ctx.committee)
    return _block(
        "The purpose of the Quarterly Performance Report (QPR) is to inform CMT and "
        f"{committee} about key areas of performance for the authority. This report presents "
        f"performance to {ctx.period_words} ({_quarter_words(ctx)}).",
        ctx.summary.summary_paragraph(),
        f"**Recommendation(s):** {_recommendation(ctx)} and the actions being taken to address "
        "areas where performance is not as targeted.",
    )


def _recommendation(ctx: Context) -> str:
    return (
        f"{md_escape(ctx.committee)} is asked to NOTE the Quarter {ctx.quarter.number} "
        "Performance Report"
    )


def cover_introduction(ctx: Context) -> Markdown:
    """Paragraphs 1.1 and 1.2."""
    n = ctx.summary.kpi_count
    kpis = f"{n} Key Performance Indicator{_s(n)} (KPI{_s(n)})" if n else "no KPIs"
    where = "whose results are" if n == 1 else "where results are"
    return _block(
        "1.1. The Quarterly Performance Report (QPR) is a key mechanism within the Performance "
        "Management Framework for the Council. The report summary for "
        f"{_quarter_words(ctx)} is attached at Appendix 1, and includes data up to "
        f"{ctx.period_words}.",
        f"1.2. The QPR includes {kpis} {where} assessed against Targets set at the start of "
        "the financial year.",
    )


def rag_counts(ctx: Context) -> Markdown:
    """'15 are rated Green (one fewer than the previous Quarter) – ...' as a bullet list."""
    return Markdown("".join(f"- {s}\n" for s in ctx.summary.rag_sentences()))


def red_list(ctx: Context) -> Markdown:
    """The Red KPIs, nested under their service areas (indicators.csv order)."""
    if not ctx.summary.red_by_service_area:
        return Markdown(ctx.summary.red_intro() + "\n")
    lines = [ctx.summary.red_intro(), ""]
    for area, names in ctx.summary.red_by_service_area.items():
        lines.append(f"- {md_escape(area)}")
        lines += [f"    - {md_escape(name)}" for name in names]
    return Markdown("\n".join(lines) + "\n")


def cover_performance(ctx: Context) -> Markdown:
    """Paragraphs 2.1 to 2.4: RAG key, counts with change, the Red list, direction of travel."""
    n = ctx.summary.kpi_count
    red = red_list(ctx).text
    of = f"Of the {n} KPIs included" if n != 1 else "For the one KPI included"
    return _block(
        "2.1. Results for KPIs compared to Target are assessed using a Red/Amber/Green (RAG) "
        "status.",
        f"2.2. {of} in the report, the latest RAG status are as follows:",
        rag_counts(ctx),
        "2.3. " + red,
        f"2.4. {ctx.summary.direction_sentence()}",
        *_comparison_paragraph(ctx, "2.5. "),
    )


def _comparison_paragraph(ctx: Context, number: str = "") -> list[str]:
    """The comparator sentence as its own paragraph, or nothing without comparator data."""
    sentence = summary.comparison_sentence(ctx.current)
    return [number + md_escape(sentence)] if sentence else []


def cover_recommendation(ctx: Context) -> Markdown:
    """Section 3: what the committee is asked to do."""
    return Markdown(f"{_recommendation(ctx)}.\n")


# ---------------------------------------------------------------- halton cover (seed 004)

NONE_IDENTIFIED = "None identified."
NO_BACKGROUND_PAPERS = "There are no background papers under the meaning of the Act."


def _directorates(ctx: Context) -> list[str]:
    """The dashboards' directorates: as params lists them, else every one in the data."""
    known = list(dict.fromkeys(ctx.data.indicators["directorate"].dropna().astype(str)))
    return list(ctx.directorates) or known


def dashboard_report_name(directorate: str) -> str:
    """A directorate dashboard's report (file) name, as the build names it."""
    from qprlib.names import slugify

    return f"directorate-{slugify(directorate)}"


def halton_header(ctx: Context) -> Markdown:
    """Seed 004's REPORT TO / DATE / REPORTING OFFICER / PORTFOLIO / SUBJECT / WARDS lines."""
    t = ctx.texts
    lines = [
        f"**REPORT TO:** {md_escape(ctx.committee)}",
        f"**DATE:** {_date_words(ctx.meeting_date)}",
        f"**REPORTING OFFICER:** {md_escape(t.get('reporting_officer') or 'Not given')}",
        f"**PORTFOLIO:** {md_escape(t.get('portfolio') or 'Not given')}",
        f"**SUBJECT:** Directorate Performance Overview Reports for Quarter "
        f"{ctx.quarter.number} {ctx.quarter.financial_year}",
        f"**WARDS:** {md_escape(t.get('wards') or 'Borough wide')}",
    ]
    return Markdown("\\\n".join(lines) + "\n")


def halton_purpose(ctx: Context) -> Markdown:
    """Seed 004, 1.1: the period and how many directorates the report describes."""
    n = len(_directorates(ctx))
    ordinal = ("first", "second", "third", "fourth")[ctx.quarter.number - 1]
    return Markdown(
        f"1.1 To report the Council's performance for the {ordinal} quarter period to "
        f"{ctx.quarter.end.day} {ctx.quarter.end:%B %Y}. The report details progress against "
        "key objectives/milestones and performance targets, and describes factors affecting "
        f"each of the {cardinal(n)} Directorate{_s(n)}.\n"
    )


def halton_recommended(ctx: Context) -> Markdown:
    """Seed 004, 2.0: the board is to note the report and raise any questions."""
    return Markdown(
        f"1) **{md_escape(ctx.committee)} note the information contained in the report**\n\n"
        "2) **Consider the progress and performance information and raise any questions or "
        "points for clarification.**\n"
    )


def halton_supporting(ctx: Context) -> Markdown:
    """Seed 004, 3.0: what the overview reports contain, the quarter's counts, the appendices."""
    items = [(d, dashboard_report_name(d)) for d in _directorates(ctx)]
    links = "\n".join(
        f"- [Appendix {n} – {md_escape(name)}]({report}.html)"
        for n, (name, report) in enumerate(items, 1)
    )
    return _block(
        "3.1 The Directorate Performance Overview Report provides a strategic summary of the "
        "key issues arising from performance in the relevant quarter for each Directorate. "
        "Such information is central to the Council's performance management arrangements "
        f"and {md_escape(ctx.committee)} has a key role in monitoring performance and "
        "strengthening accountability.",
        f"3.2 {ctx.summary.summary_paragraph().replace('within the QPR', 'within the reports')}",
        "3.3 Information for each of the Council's Directorates is contained within the "
        "following appendices:",
        links,
    )


def _halton_text(ctx: Context, name: str, number: int) -> Markdown:
    """One of seed 004's sections 4.0 to 9.0: its paragraph as params gives it (HALTON_TEXTS),
    numbered `<number>.1`; blank says none was identified (9.0: no background papers)."""
    default = NO_BACKGROUND_PAPERS if name == "background_papers" else NONE_IDENTIFIED
    return Markdown(f"{number}.1 {md_escape(ctx.texts.get(name) or default)}\n")


def halton_policy_implications(ctx: Context) -> Markdown:
    """Seed 004, 4.0 Policy implications (params `policy_implications`)."""
    return _halton_text(ctx, "policy_implications", 4)


def halton_other_implications(ctx: Context) -> Markdown:
    """Seed 004, 5.0 Other implications (params `other_implications`)."""
    return _halton_text(ctx, "other_implications", 5)


def halton_priorities_implications(ctx: Context) -> Markdown:
    """Seed 004, 6.0 Implications for the Council's priorities (`priorities_implications`)."""
    return _halton_text(ctx, "priorities_implications", 6)


def halton_risk_analysis(ctx: Context) -> Markdown:
    """Seed 004, 7.0 Risk analysis (params `risk_analysis`)."""
    return _halton_text(ctx, "risk_analysis", 7)


def halton_equality_and_diversity(ctx: Context) -> Markdown:
    """Seed 004, 8.0 Equality and diversity issues (params `equality_and_diversity`)."""
    return _halton_text(ctx, "equality_and_diversity", 8)


def halton_background_papers(ctx: Context) -> Markdown:
    """Seed 004, 9.0 Background papers under section 100D of the Local Government Act 1972."""
    return _halton_text(ctx, "background_papers", 9)


# ---------------------------------------------------------------- corporate QPR


def executive_summary(ctx: Context) -> Markdown:
    """Counts with change on the previous quarter, direction of travel and the call-in count."""
    s = ctx.summary
    calls = len(s.call_in)
    call_words = (
        f"{number_words(calls).capitalize()} KPI{'s are' if calls != 1 else ' is'} on the "
        "call-in list (see the Call-in list section)."
        if calls
        else "No KPIs meet the call-in criteria this Quarter."
    )
    return _block(
        f"This report presents performance to {ctx.period_words} ({_quarter_words(ctx)}).",
        s.summary_paragraph(),
        rag_counts(ctx),
        s.direction_sentence(),
        *_comparison_paragraph(ctx),
        call_words,
    )


def headline_trend(ctx: Context) -> Markdown:
    """The RAG and direction-of-travel counts of the last 8 quarters the data can report
    (summary.headline_trend): a sentence, a small chart and the table of counts."""
    trend = summary.headline_trend(ctx.data, ctx.quarter, ctx.settings, ctx.directorate)
    if len(trend) < 2:
        return Markdown("There is no earlier quarter to compare with yet.\n")
    caption = (
        f"KPIs by RAG rating and direction of travel, {trend['quarter'].iloc[0]} to "
        f"{trend['quarter'].iloc[-1]}"
    )
    return _block(
        summary.trend_sentence(trend),
        charts.headline_trend_chart(trend),
        _table(tables.trend_table(trend, caption)),
    )


def rag_chart(ctx: Context) -> Markdown:
    """RAG counts by service area as a stacked bar chart, with its data (HTML: "Show the
    data")."""
    kpis = ctx.kpis
    rated = kpis.loc[kpis["rag"].isin(list(tables.RAG_COLOURS))]
    areas = list(dict.fromkeys(kpis["service_area"]))
    counts = (
        pd.crosstab(rated["service_area"], rated["rag"])
        .reindex(index=areas, columns=list(tables.RAG_COLOURS), fill_value=0)
        .astype(int)
    )
    rows = [[area, *map(str, counts.loc[area])] for area in areas]
    data = tables.table(
        ["Service area", *tables.RAG_COLOURS], rows,
        f"Data for the chart: KPIs by RAG rating in each service area, {_quarter_words(ctx)}",
        "tbl-data-rag-by-area", align="lrrr", classes=("row-headers",),
    )  # fmt: skip
    return _block(charts.rag_by_area_chart(kpis), show_data(data))


def show_data(table: tables.Table) -> str:
    """A chart's data table, folded under "Show the data" in HTML (templates/qpr.lua; print
    and Word leave it out: they have the chart's full alt text as its caption)."""
    return "::: {.show-data}\n\n" + table._repr_markdown_().strip("\n") + "\n\n:::"


def _period_label(day: object, frequency: str) -> str:
    day = pd.Timestamp(day)
    return str(Quarter.containing(day.date())) if frequency == "quarterly" else f"{day:%B %Y}"


def kpi_chart_data(ctx: Context, row: pd.Series) -> str:
    """The points of a KPI's chart as a table: period, value, target, floor standard, RAG."""
    h = _shown_history(ctx, row)
    if h["value"].notna().sum() == 0:
        return ""
    unit = row["unit"]
    rows = [
        [
            _period_label(p["period_end"], row["frequency"]),
            tables.format_value(p["value"], unit, against=(p["target"], p["floor"])),
            tables.format_value(p["target"], unit),
            tables.format_value(p["floor"], unit),
            p["rag"] if isinstance(p["rag"], str) else "Not rated",
        ]
        for _, p in h.iterrows()
    ]
    data = tables.table(
        ["Period", "Value", "Target", "Floor standard", "RAG"], rows,
        f"Data for the chart: {row['name']}", f"tbl-data-{tables._class_name(row['id'])}",
        align="lrrrl", classes=("row-headers",),
    )  # fmt: skip
    return show_data(data)


def activity_chart_data(ctx: Context, row: pd.Series, h: pd.DataFrame) -> str:
    """The points of an activity indicator's chart: period, value, expected range."""
    unit = row["unit"]
    rows = [
        [
            _period_label(p["period_end"], row["frequency"]),
            tables.format_value(p["value"], unit, against=(p["lower"], p["upper"])),
            tables.format_value(p["lower"], unit),
            tables.format_value(p["upper"], unit),
        ]
        for _, p in h.iterrows()
    ]
    data = tables.table(
        ["Period", "Value", "Expected range from", "Expected range to"], rows,
        f"Data for the chart: {row['name']}", f"tbl-data-{tables._class_name(row['id'])}",
        align="lrrr", classes=("row-headers",),
    )  # fmt: skip
    return show_data(data)


SPC_POINT_WORDS = {
    "common_cause": "Normal variation",
    "special_cause_improvement": "Unusual: better",
    "special_cause_concern": "Unusual: worse",
    "special_cause_neutral_high": "Unusual: higher",
    "special_cause_neutral_low": "Unusual: lower",
}  # the SPC chart's legend (charts.SPC_STYLE)


def spc_chart_data(row: pd.Series, dates, points: pd.DataFrame) -> str:
    """The points of a KPI's SPC chart: period, value, mean, normal range, reading."""
    unit = row["unit"]
    rows = [
        [
            _period_label(day, row["frequency"]),
            tables.format_value(p["value"], unit),
            tables.format_value(p["mean"], unit),
            tables.format_value(p["lpl"], unit),
            tables.format_value(p["upl"], unit),
            SPC_POINT_WORDS.get(p["point_type"], "No data"),
        ]
        for day, (_, p) in zip(dates, points.iterrows(), strict=True)
    ]
    data = tables.table(
        ["Period", "Value", "Mean", "Normal range from", "Normal range to", "Reading"], rows,
        f"Data for the SPC chart: {row['name']}",
        f"tbl-data-spc-{tables._class_name(row['id'])}", align="lrrrrl",
        classes=("row-headers",),
    )  # fmt: skip
    return show_data(data)


SERIES_COLUMNS = {  # series.csv: the words of the charts' "Show the data" tables
    "id": "ID", "name": "Indicator", "directorate": "Directorate",
    "service_area": "Service area", "unit": "Unit", "period": "Period",
    "period_end": "Period end", "value": "Value", "target": "Target", "floor": "Floor standard",
    "lower": "Expected range from", "upper": "Expected range to", "rag": "RAG",
}  # fmt: skip
NOT_RATED = "Not rated"


def _charted_months(ctx: Context, row: pd.Series) -> int:
    """The months a KPI's charts cover: the direction of travel's window, or the SPC chart's
    baseline where that is longer (a dashboard's second panel); an activity indicator's
    chart shows the window only."""
    window = _window_months(ctx, row["frequency"])
    if row["kind"] != "kpi":
        return window
    per_period = 1 if row["frequency"] == "monthly" else 3
    return max(window, per_period * ctx.settings.spc_baseline(row["frequency"]))


def chart_series(ctx: Context) -> pd.DataFrame:
    """Every point the reports chart, one row per indicator and period (series.csv, open
    data): the periods of its charts, a missing one with no value and RAG 'No data'. Numbers
    as recorded; column names and words as the charts' data tables say them."""
    frames = []
    for _, row in ctx.current.iterrows():
        h = _shown_history(ctx, row, months=_charted_months(ctx, row))
        if h.empty:
            continue
        kpi = row["kind"] == "kpi"
        rag = [
            (r if isinstance(r, str) else NOT_RATED) if pd.notna(v) else tables.NO_DATA
            for r, v in zip(h["rag"], h["value"], strict=True)
        ]
        frames.append(
            h.assign(
                name=row["name"],
                directorate=row["directorate"],
                service_area=row["service_area"],
                unit=row["unit"],
                period=[_period_label(d, row["frequency"]) for d in h["period_end"]],
                period_end=pd.to_datetime(h["period_end"]).dt.strftime("%Y-%m-%d"),
                target=h["target"] if kpi else np.nan,
                floor=h["floor"] if kpi else np.nan,
                lower=np.nan if kpi else h["lower"],
                upper=np.nan if kpi else h["upper"],
                rag=rag if kpi else "",
            )  # fmt: skip
        )
    columns = list(SERIES_COLUMNS)
    if not frames:
        return pd.DataFrame(columns=list(SERIES_COLUMNS.values()))
    return pd.concat(frames, ignore_index=True)[columns].rename(columns=SERIES_COLUMNS)


def kpi_table(ctx: Context) -> Markdown:
    """Every KPI: latest value, target, floor, RAG now and last quarter, direction of travel."""
    caption = f"Every KPI, {_quarter_words(ctx)}: RAG rating, previous RAG and direction of travel"
    return _table(tables.kpi_table(ctx.kpis, caption))


def _window_months(ctx: Context, frequency: str) -> int:
    s = ctx.settings
    return s.dot_window_months if frequency == "monthly" else 3 * s.dot_window_quarters


def _shown_history(ctx: Context, row: pd.Series, months: int | None = None) -> pd.DataFrame:
    """The periods a chart shows: the direction-of-travel window (KCC: 'the timeframe shown'),
    or the last `months` months.

    The window is counted in time, as assess counts it (a missing month is still a month):
    every period of the window is a row, a missing one with value NaN (the chart's line
    breaks there) and its year's target and floor (the target line goes on).
    """
    end = pd.Timestamp(ctx.quarter.end)
    start = end - pd.DateOffset(months=months or _window_months(ctx, row["frequency"]))
    h = ctx.history.loc[ctx.history["id"] == row["id"]]
    h = h.loc[(h["period_end"] > start) & (h["period_end"] <= end)]
    if h.empty:
        return h
    grid = pd.date_range(h["period_end"].min(), end, freq=GRID_FREQ[row["frequency"]])
    missing = grid.difference(pd.DatetimeIndex(h["period_end"]))
    if len(missing):
        gaps = pd.DataFrame({"id": row["id"], "period_end": missing, "value": np.nan})
        quarters = [str(Quarter.containing(d.date())) for d in missing]
        gaps = gaps.assign(
            **_year_targets(ctx, row["id"], gaps["period_end"]), quarter=quarters, rag=None
        )
        h = pd.concat([h, gaps[h.columns]], ignore_index=True)
    return h.sort_values("period_end", kind="stable").reset_index(drop=True)


def _year_targets(ctx: Context, id_: str, dates: pd.Series) -> dict[str, np.ndarray]:
    """target, floor, lower and upper in force on each date (its financial year's row)."""
    years = [Quarter.containing(d.date()).financial_year for d in pd.to_datetime(dates)]
    mine = ctx.data.targets.loc[ctx.data.targets["id"] == id_].drop_duplicates("year", keep="last")
    by_year = mine.set_index("year")
    columns = ("target", "floor", "lower", "upper")
    return {c: np.array([by_year[c].get(y, np.nan) for y in years], dtype=float) for c in columns}


def kpi_chart(ctx: Context, row: pd.Series) -> charts.Chart | Markdown:
    """One KPI's history chart, or a sentence when it has no values."""
    h = _shown_history(ctx, row)
    if h["value"].notna().sum() == 0:
        return Markdown("No values have been recorded for this indicator.\n")
    lines = compare.series([row["id"]], ctx.data.comparators, _groups(ctx))
    return charts.kpi_chart(
        row["name"],
        h,
        row["unit"],
        row["polarity"],
        row["frequency"],
        comparators=lines,
        direction=row["direction"],
    )


def _groups(ctx: Context) -> dict:
    """The comparator groups the assessment was made with (none: no comparator lines)."""
    return compare.groups_from_json(ctx.settings.comparator_groups)


def _kpi_facts(row: pd.Series) -> str:
    unit = row["unit"]
    previous = row["previous_rag"] or "not rated"
    target, floor = (
        tables.format_value(row["target"], unit),
        tables.format_value(row["floor"], unit),
    )
    if pd.isna(row["value"]):
        return (
            f"**RAG:** {tables.rag_cell(None).markdown()} (previous Quarter: {previous}). "
            "**No data this Quarter:** no result has been recorded, so there is no rating, "
            f"direction of travel or SPC reading. Target {target}; floor standard {floor}."
        )
    latest = tables.format_value(row["value"], unit, against=(row["target"], row["floor"]))
    when = "" if pd.isna(row["period_end"]) else f" in {row['period_end']:%B %Y}"
    return (
        f"**RAG:** {tables.rag_cell(row['rag']).markdown()} (previous Quarter: {previous}). "
        f"**Direction of travel:** {_direction(row).markdown()}. "
        f"**Latest:** {latest}{when}; target {target}; floor standard {floor}."
    )


def _direction(row: pd.Series) -> tables.Cell:
    """The direction of travel cell, its arrow following the line on the KPI's chart."""
    return tables.direction_cell(row["direction"], polarity=row.get("polarity"))


def _commentary(row: pd.Series, required: bool = False) -> list[str]:
    """Commentary and management action paragraphs. 'Commentary awaited' where it is due and
    missing (`required`, or Amber and worsening or called in: summary.commentary_due); with
    `required` (a Red KPI) a missing management action is said too."""
    parts = []
    by = f" ({md_escape(row['author'])})" if row["author"] else ""
    if row["commentary"]:
        parts.append(f"**Commentary{by}:** {md_escape(row['commentary'])}")
    elif required or bool(commentary_due(row.to_frame().T).iloc[0]):
        parts.append(f"**{COMMENTARY_AWAITED}.**")
    if row["action"]:
        parts.append(f"**Management action:** {md_escape(row['action'])}")
    elif required:
        parts.append("**Management action:** none has been recorded for this Quarter.")
    return parts


def service_areas(ctx: Context) -> Markdown:
    """One `###` section per service area, one `####` per KPI: facts, chart, commentary."""
    parts = []
    for area, kpis in ctx.kpis.groupby("service_area", sort=False):
        parts.append(f"### {md_escape(area)}")
        for _, row in kpis.iterrows():
            block = [f"#### {md_escape(row['name'])}", _kpi_facts(row), kpi_chart(ctx, row)]
            block.append(kpi_chart_data(ctx, row))
            block += _commentary(row, required=row["rag"] == RED)
            parts.append(_fenced(*block))
    return _block(*parts) if parts else Markdown("There are no KPIs to report this Quarter.\n")


def activity_table(ctx: Context) -> Markdown:
    """Activity indicators: latest value, expected range and alert."""
    if ctx.activity.empty:
        return Markdown("There are no activity indicators to report this Quarter.\n")
    caption = f"Activity indicators, {_quarter_words(ctx)}: latest result and expected range"
    return _table(tables.activity_table(ctx.activity, caption))


def activity_charts(ctx: Context) -> Markdown:
    """One `###` section per activity indicator with its chart against the expected range."""
    parts = []
    for _, row in ctx.activity.iterrows():
        h = _shown_history(ctx, row)
        block = [f"### {md_escape(row['name'])}"]
        if h["value"].notna().sum() == 0:
            block.append("No values have been recorded for this indicator.")
        else:
            block.append(charts.activity_chart(row["name"], h, row["unit"], row["frequency"]))
            block.append(activity_chart_data(ctx, row, h))
        block += _commentary(row)
        parts.append(_fenced(*block))
    return _block(*parts) if parts else Markdown("There are no activity indicators.\n")


def call_in(ctx: Context) -> Markdown:
    """PAT's exception list: KPIs whose RAG worsened, or Red and not improving, with reasons."""
    listed = ctx.kpis.loc[ctx.kpis["call_in"].astype(bool)]
    if listed.empty:
        return Markdown("No KPIs meet the call-in criteria this Quarter.\n")
    caption = f"KPIs called in, {_quarter_words(ctx)}: RAG worsened, or Red and not improving"
    return _table(tables.call_in_table(listed, caption))


# ---------------------------------------------------------------- call-in briefing (seed 002)

DEFAULT_ASSURANCE_MEETING = "Performance Assurance Team"


def _assurance_meeting(ctx: Context) -> str:
    return ctx.assurance_meeting or DEFAULT_ASSURANCE_MEETING


def briefing_header(ctx: Context) -> Markdown:
    """To / From / Subject / Classification of the call-in briefing (seed 002)."""
    lines = [
        f"**To:** {md_escape(_assurance_meeting(ctx))} – {_date_words(ctx.assurance_meeting_date)}",
        _from(ctx),
        f"**Subject:** Indicators called in from the Quarterly Performance Report, "
        f"{_quarter_words(ctx)}",
        "**Classification:** Unrestricted",
    ]
    return Markdown("\\\n".join(lines) + "\n")


def briefing_introduction(ctx: Context) -> Markdown:
    """What the briefing covers and the call-in rule, in the words of seed 002."""
    meeting = md_escape(_assurance_meeting(ctx))
    n = len(ctx.summary.call_in)
    rule = (
        "An indicator is called in when its RAG rating worsened since the previous Quarter, "
        "or when it is rated Red and its direction of travel is not improving."
    )
    if n == 0:
        called = f"No indicators met the call-in criteria for the {meeting} this Quarter."
    else:
        what = "one indicator" if n == 1 else f"{number_words(n)} indicators"
        called = (
            f"The {meeting} called in {what} from the latest Quarterly Performance Report "
            f"({_quarter_words(ctx)}, to {ctx.period_words}) for detailed discussion."
        )
    return _block(
        f"This briefing is for the {meeting} meeting on {_date_words(ctx.assurance_meeting_date)}.",
        f"{called} {rule}",
        "For each indicator it gives the reason it was called in, the latest figures, the "
        "commentary, management action, owner and risks recorded for the Quarter, and space "
        f"for the {meeting}'s decision.",
    )


def _figures_sentence(row: pd.Series, figures) -> str:
    """'It was 33.7% in June 2022 and 30.6% in September 2023.' (the trend's two ends)."""
    if figures is None:
        return ""
    then, now = figures
    unit = row["unit"]
    return (
        f" It was {tables.format_value(then['value'], unit)} in {then['period_end']:%B %Y} and "
        f"{tables.format_value(now['value'], unit)} in {now['period_end']:%B %Y}."
    )


def _latest_sentence(row: pd.Series) -> str:
    unit = row["unit"]
    if pd.isna(row["value"]):
        return "No result was recorded this Quarter."
    value = tables.format_value(row["value"], unit, against=(row["target"], row["floor"]))
    target, floor = (tables.format_value(row[c], unit) for c in ("target", "floor"))
    direction = tables.DIRECTION_WORDS.get(row["direction"], ("no direction of travel yet",))[0]
    previous = row["previous_rag"] or "not rated"
    return (
        f"Latest: {value} in {row['period_end']:%B %Y} against a target of {target} and a "
        f"floor standard of {floor}: rated {row['rag'] or 'not rated'} (previous Quarter: "
        f"{previous}); direction of travel: {direction.lower()}."
    )


def _recorded(value: object, missing: str) -> str:
    return md_escape(value) if isinstance(value, str) and value.strip() else missing


def briefing_items(ctx: Context) -> Markdown:
    """One section per called-in KPI: why, the figures, commentary, action, owner, risks,
    comparison, and space for the meeting's decision."""
    listed = ctx.kpis.loc[ctx.kpis["call_in"].astype(bool)]
    if listed.empty:
        return Markdown("No indicators were called in this Quarter.\n")
    meeting = md_escape(_assurance_meeting(ctx))
    parts = []
    for _, row in listed.iterrows():
        because, figures = briefing.called_in_because(row, _shown_history(ctx, row))
        author = f" ({md_escape(row['author'])})" if row["author"] else ""
        comparison = (
            f"Compared with other councils: {md_escape(row['comparison'])}."
            if isinstance(row.get("comparison"), str)
            else ""
        )
        decision = tables.table(
            ["Item", "Record"],
            [["Decision", ""], ["Further action and owner", ""], ["Review date", ""]],
            f"Decision of the {_assurance_meeting(ctx)}: {row['name']}",
            f"tbl-decision-{tables._class_name(row['id'])}",
            widths=[1, 3],
        )
        parts += [
            f"### {md_escape(row['name'])}",
            md_escape(because + _figures_sentence(row, figures)),
            " ".join(t for t in (md_escape(_latest_sentence(row)), comparison) if t),
            f"**Commentary**{author}: "
            + _recorded(row["commentary"], "No commentary was provided for this Quarter."),
            "**Management action:** "
            + _recorded(row["action"], "No management action has been recorded."),
            "**Owner:** " + _recorded(row["owner"], "Not recorded in indicators.csv."),
            "**Risks:** " + _recorded(row.get("risks"), "No risks have been recorded."),
            f"**{meeting} decision:**",
            _table(decision),
        ]
    return _block(*parts)


# ---------------------------------------------------------------- directorate dashboard


def _the(committee: str) -> str:
    """A committee as a sentence names it: 'the Policy and Resources Cabinet Committee' (seed
    003), but 'Cabinet' and 'Executive Board' bare (seeds 001 and 004)."""
    name = md_escape(committee)
    return f"the {name}" if committee.strip().lower().endswith("committee") else name


def _count_words(n: int, noun: str) -> str:
    """Seed 003's 2.3: 'thirty-one (31) KPIs', 'one (1) KPI', 'no KPIs'."""
    return f"{cardinal(n)} ({n}) {noun}{_s(n)}" if n else f"no {noun}s"


def dashboard_summary(ctx: Context) -> Markdown:
    """Seed 003's Summary and Recommendation(s): the committee is asked to NOTE the report."""
    name = md_escape(_directorate_name(ctx))
    return _block(
        f"The {name} Directorate Dashboard shows progress made against targets set for Key "
        "Performance Indicators.",
        f"**Recommendation(s):** {_dashboard_recommendation(ctx)} the report.",
    )


def _dashboard_recommendation(ctx: Context) -> str:
    return f"{_the(ctx.committee)[:1].upper()}{_the(ctx.committee)[1:]} is asked to NOTE"


def dashboard_introduction(ctx: Context) -> Markdown:
    """Seed 003's paragraphs 1.1 and 1.2: the committee's role and the period reported."""
    return _block(
        "1.1. Part of the role of the Committee is to review the performance of services which "
        "the Committee has oversight of.",
        f"1.2. Performance Dashboards are regularly reported to {_the(ctx.committee)} "
        f"throughout the year, and the current report includes data up to {ctx.period_words}.",
    )


def dashboard_performance(ctx: Context) -> Markdown:
    """Seed 003's paragraphs 2.1 to 2.8, every count from the assessment: how many KPIs and
    activity indicators, the RAG counts in words, commentary for Reds, net direction of travel."""
    s, name = ctx.summary, md_escape(_directorate_name(ctx))
    n, activity = s.kpi_count, len(ctx.activity)
    if activity:
        context_words = (
            f"2.4. The Dashboard also includes {_count_words(activity, 'activity indicator')}, "
            f"which help{'s' if activity == 1 else ''} give context to the Key Performance "
            "Indicators."
        )
    else:
        context_words = "2.4. The Dashboard includes no activity indicators."
    return _block(
        f"2.1. The {name} Performance Dashboard is attached at Appendix 1.",
        f"2.2. The Dashboard includes results up to {ctx.period_words} for the Key Performance "
        f"Indicators (KPIs) reported for the directorate in {_quarter_words(ctx)}.",
        f"2.3. The Dashboard includes {_count_words(n, 'KPI')}.",
        context_words,
        "2.5. Key Performance Indicators are presented with RAG (Red/Amber/Green) alerts to show "
        "progress against targets. Details of how the alerts are generated are outlined in the "
        "Guidance Notes, included with the Dashboard in Appendix 1.",
        f"2.6. {_ratings_sentence(ctx)}",
        f"2.7. {_red_commentary_sentence(ctx)}",
        f"2.8. {_net_direction_sentence(ctx)}",
    )


def _ratings_sentence(ctx: Context) -> str:
    """'Within the report, of the 31 KPIs included, current performance is Green for nineteen
    indicators, Amber for five indicators and Red for seven indicators.' (seed 003, 2.6)"""
    s = ctx.summary
    n = s.kpi_count
    if not n:
        return "There are no KPIs to rate this Quarter."
    rated = [f"{k} for {_indicators(s.rag_counts[k], words=cardinal)}" for k in RAG_ORDER]
    rated = [r for r, k in zip(rated, RAG_ORDER, strict=True) if s.rag_counts[k]]
    none = [k for k in RAG_ORDER if not s.rag_counts[k]]
    of = "of the one KPI included" if n == 1 else f"of the {n} KPIs included"
    if rated:
        listed = ", ".join(rated[:-1]) + (" and " if len(rated) > 1 else "") + rated[-1]
        text = f"Within the report, {of}, current performance is {listed}"
        text += f"; none is {' or '.join(none)}." if none else "."
    else:
        text = f"Within the report, {of}, none has a rating this Quarter."
    if s.unrated_count:
        u = s.unrated_count
        text += f" {_indicators(u, words=cardinal).capitalize()} {_has(u)} no data for the Quarter."
    return text


def _red_commentary_sentence(ctx: Context) -> str:
    """Seed 003, 2.7: 'Commentary is provided within the Dashboard for indicators which are
    currently showing as Red', said only when true; then whether each has its action."""
    reds = ctx.kpis.loc[ctx.kpis["rag"] == RED]
    if reds.empty:
        text = _actions_sentence(ctx)  # no management action is required only if none worsens
    elif reds["commentary"].notna().all():
        text = (
            "Commentary is provided within the Dashboard for indicators which are currently "
            "showing as Red."
        )
    else:
        awaited = reds.loc[reds["commentary"].isna(), "name"]
        text = (
            f"Commentary is provided within the Dashboard for {len(reds) - len(awaited)} of the "
            f"{len(reds)} indicators currently showing as Red; it is awaited for: "
            f"{'; '.join(md_escape(m) for m in awaited)}."
        )
    if not reds.empty:
        text += " " + _actions_sentence(ctx)
    others = awaiting_commentary(ctx.kpis.loc[ctx.kpis["rag"] != RED])
    if len(others):
        why = {True: "Amber and worsening", False: "on the call-in list"}
        awaited = [
            f"{md_escape(row['name'])} ({why[row['direction'] == WORSENING]})"
            for _, row in others.iterrows()
        ]
        text += f" Commentary is awaited for: {'; '.join(awaited)}."
    return text


def _net_direction_sentence(ctx: Context) -> str:
    """Seed 003, 2.8: 'Net Direction of Travel for July was positive with 14 KPIs showing
    improvement ... and with 10 showing lower results', for the Quarter's direction of travel."""
    up, flat, down = (ctx.summary.direction_counts[k] for k in DIRECTION_ORDER)
    if not ctx.summary.kpi_count:
        return "There are no KPIs, so there is no direction of travel."
    net = "positive" if up > down else "negative" if down > up else "neutral"
    text = (
        f"Net Direction of Travel for Quarter {ctx.quarter.number} was {net}, with {up} "
        f"KPI{_s(up)} showing improvement and with {down} showing a negative trend; {flat} "
        f"{'is' if flat == 1 else 'are'} stable or with no clear trend."
    )
    if ctx.summary.no_data_count:
        u = ctx.summary.no_data_count
        text += (
            f" {number_words(u).capitalize()} KPI{_s(u)} with no data this Quarter "
            f"{_has(u)} no direction of travel."
        )
    return text


def dashboard_recommendation(ctx: Context) -> Markdown:
    """Seed 003, section 3: 'The ... Cabinet Committee is asked to NOTE this report.'"""
    return Markdown(f"{_dashboard_recommendation(ctx)} this report.\n")


def dashboard_background(ctx: Context) -> Markdown:
    """Seed 003, section 4: the background documents, one a paragraph, as params lists them."""
    if not ctx.background_documents:
        return Markdown("None.\n")
    return _block(*(md_escape(doc) for doc in ctx.background_documents))


def dashboard_contacts(ctx: Context) -> Markdown:
    """Seed 003, section 5: the report's contacts (the dashboard's own, else the cover's)."""
    return _contact_lines(ctx.contacts)


def _actions_sentence(ctx: Context) -> str:
    """Whether every Red KPI has its management action: say so only when true; else name them."""
    reds = ctx.kpis.loc[ctx.kpis["rag"] == RED]
    if reds.empty:
        worsening = int((ctx.kpis["direction"] == WORSENING).sum())
        if not worsening:
            return "No indicators are rated Red this Quarter, so no management action is required."
        return (
            f"No indicators are rated Red this Quarter; {_indicators(worsening)} "
            f"{'is' if worsening == 1 else 'are'} showing a negative trend."
        )
    missing = reds.loc[reds["action"].isna(), "name"].tolist()
    if not missing:
        provided = (
            "Commentary and management action are"
            if reds["commentary"].notna().all()
            else ("Management action is")
        )
        every = "the one indicator" if len(reds) == 1 else "every indicator"
        return f"{provided} provided for {every} rated Red."
    names = "; ".join(md_escape(m) for m in missing)
    if len(missing) == len(reds):
        whose = "the indicator" if len(reds) == 1 else f"any of the {len(reds)} indicators"
        return f"No management action has been recorded for {whose} rated Red: {names}."
    return (
        f"Management action has been recorded for {len(reds) - len(missing)} of the {len(reds)} "
        f"indicators rated Red; none has been recorded for: {names}."
    )


def _has(n: int) -> str:
    return "has" if n == 1 else "have"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _indicators(n: int, noun: str = "indicator", words=number_words) -> str:
    """'no indicators', 'one indicator', 'seven indicators', '19 indicators' (seed 001 style);
    with words=cardinal 'nineteen indicators' (seed 003, 2.6)."""
    return f"{words(n) if n else 'no'} {noun}{_s(n)}"


def dashboard(ctx: Context) -> Markdown:
    """The directorate's KPIs: latest value, target, RAG, direction and SPC in words."""
    if ctx.kpis.empty:
        return Markdown("There are no KPIs to report this Quarter.\n")
    caption = (
        f"{ctx.directorate or 'Council'} dashboard, {_quarter_words(ctx)}: RAG rating, previous "
        "RAG and direction of travel"
    )
    return _table(tables.dashboard_table(ctx.kpis, caption))


def spc_points(ctx: Context, row: pd.Series) -> tuple[pd.DatetimeIndex, pd.DataFrame, object]:
    """The dates, points and result of the SPC that assess rated this KPI with: the SPC
    baseline (`AssessSettings.spc_baseline`, the last periods up to the quarter's end).
    Empty when the KPI has no value this quarter (assess gives it no SPC reading)."""
    series = series_by_id(ctx.data.values, ctx.data.indicators, ctx.quarter).get(row["id"])
    if series is None or pd.isna(row["value"]):
        return pd.DatetimeIndex([]), pd.DataFrame(), None
    series = series[-ctx.settings.spc_baseline(row["frequency"]) :]
    if np.isnan(series).all():
        return pd.DatetimeIndex([]), pd.DataFrame(), None
    dates = pd.date_range(
        end=pd.Timestamp(ctx.quarter.end), periods=len(series), freq=GRID_FREQ[row["frequency"]]
    )
    result = spc(  # a missing period stays in .points as NaN: the chart's line breaks there
        series,
        improvement=IMPROVEMENT.get(row["polarity"], "neutral"),
        target=None if pd.isna(row["target"]) else float(row["target"]),
        screen_outliers=ctx.settings.spc_screen_outliers,
    )
    return dates, result.points, result


def _period(row: pd.Series) -> str:
    return "quarter" if row["frequency"] == "quarterly" else "month"


def window_words(ctx: Context, frequency: str) -> str:
    """The direction of travel's window in words: 'two years', '18 months'."""
    months = _window_months(ctx, frequency)
    if months % 12 == 0:
        years = months // 12
        return f"{number_words(years)} year{_s(years)}"
    return f"{months} months"


def _movement(direction: str | None, polarity: str | None) -> str:
    """Which way the number moved: 'Upward' or 'Downward' (improving where lower is better is
    a downward line)."""
    up = (direction == "improving") != (polarity == "lower")
    return "Upward" if up else "Downward"


SPC_GOOD, SPC_BAD = "special_cause_improvement", "special_cause_concern"


def trend_reconciliation(ctx: Context, row: pd.Series) -> str:
    """One sentence where the direction of travel and the SPC reading seem to disagree, saying
    how both are true ('Downward over two years (worsening); the latest month is within normal
    variation.'); '' where they agree or either is missing."""
    direction, variation = row["direction"], row["spc_variation"]
    if pd.isna(row["value"]) or not isinstance(variation, str) or not isinstance(direction, str):
        return ""
    if ctx.settings.dot_method != "regression":
        over = "since the comparison period"
    else:
        over = f"over {window_words(ctx, row['frequency'])}"
    period, polarity = _period(row), row.get("polarity")
    if direction in ("improving", "worsening"):
        trend = f"{_movement(direction, polarity)} {over} ({direction})"
        if variation == "common_cause":
            return (
                f"{trend}; the latest {period} is within normal variation, so no single {period} "
                "stands out."
            )
        if (direction, variation) in (("improving", SPC_BAD), ("worsening", SPC_GOOD)):
            unusual = "good" if variation == SPC_GOOD else "poor"
            return f"{trend}, but the latest {period} is unusually {unusual}."
        return ""
    if direction == "stable" and variation in (SPC_GOOD, SPC_BAD):
        unusual = "good" if variation == SPC_GOOD else "poor"
        return (
            f"No clear trend {over}, but the latest {period} is unusually {unusual}: it may be "
            "the start of a change."
        )
    return ""


def spc_reading(row: pd.Series) -> str:
    """The KPI's SPC reading in members' words (charts.spc_reading)."""
    return charts.spc_reading(
        row["spc_variation"], row["spc_assurance"], bool(row["spc_trial_limits"]), _period(row)
    )


def _spc_panel(ctx: Context, row: pd.Series) -> list[object]:
    """The SPC part of a KPI's block: the reading, the reconciling sentence, the SPC chart."""
    dates, points, result = spc_points(ctx, row)
    if pd.isna(row["value"]):
        return ["**Statistical process control:** no data this Quarter, so there is no reading."]
    if result is None:
        return ["**Statistical process control:** no values have been recorded."]
    reading = f"**Statistical process control:** {spc_reading(row)}"
    reconcile = trend_reconciliation(ctx, row)
    if reconcile:
        reading += f" **Direction of travel and SPC:** {reconcile}"
    window_start = pd.Timestamp(ctx.quarter.end) - pd.DateOffset(
        months=_window_months(ctx, row["frequency"])
    )
    chart = charts.spc_chart(
        row["name"], dates, points, row["unit"], row["target"], row["spc_variation"],
        row["spc_assurance"], bool(row["spc_trial_limits"]),
        targets=_year_targets(ctx, row["id"], pd.Series(dates))["target"],
        period=_period(row),
        window_start=window_start if ctx.settings.dot_method == "regression" else None,
    )  # fmt: skip
    return [reading, chart, spc_chart_data(row, dates, points)]


def spc_charts(ctx: Context) -> Markdown:
    """One `###` block per KPI, as KCC's dashboards: the status line, the chart against target
    and floor over the direction of travel's window, then the statistical process control
    panel: its reading in members' words, a sentence reconciling it with the direction of
    travel where they seem to differ, and the SPC chart (the window shaded)."""
    parts = []
    for _, row in ctx.kpis.iterrows():
        block = [f"### {md_escape(row['name'])}", _kpi_facts(row), kpi_chart(ctx, row)]
        block += [kpi_chart_data(ctx, row), *_spc_panel(ctx, row)]
        parts.append(_fenced(*block))
    return _block(*parts) if parts else Markdown("There are no KPIs to report this Quarter.\n")


def red_commentary(ctx: Context) -> Markdown:
    """Every Red KPI: its facts, commentary and management action (or that none is recorded)."""
    reds = ctx.kpis.loc[ctx.kpis["rag"] == RED]
    if reds.empty:
        return Markdown("No indicators are rated Red this Quarter.\n")
    parts = []
    for _, row in reds.iterrows():
        block = [f"### {md_escape(row['name'])}", _kpi_facts(row)]
        block += _commentary(row, required=True)
        parts.append(_fenced(*block))
    return _block(*parts)


def milestones(ctx: Context) -> Markdown:
    """Halton-style milestones for the directorate and quarter, status as symbol and word."""
    m = ctx.data.milestones
    m = m.loc[m["quarter"] == str(ctx.quarter)]
    if ctx.directorate:
        m = m.loc[m["directorate"] == ctx.directorate]
    if m.empty:
        return Markdown("No milestones were reported for this Quarter.\n")
    caption = f"Key objectives and milestones, {_quarter_words(ctx)}: {tables.status_key()}"
    return _table(tables.milestones_table(m, caption))


def _direction_words(ctx: Context) -> str:
    """How the direction of travel is judged, in members' words, with this run's window."""
    s = ctx.settings
    monthly, quarterly = window_words(ctx, "monthly"), window_words(ctx, "quarterly")
    if s.dot_method == "regression":
        return (
            f"It is judged over the last {s.dot_window_months} months ({monthly}) for monthly "
            f"KPIs and the last {s.dot_window_quarters} quarters ({quarterly}) for quarterly "
            "ones, up to the end of the Quarter: the period each KPI's "
            "chart shows. It is *Improving* or *Worsening* only when the results over that "
            "period show a clear, steady trend (one very unlikely to be chance), not just a "
            f"change since last Quarter; otherwise it is *{tables.DIRECTION_WORDS['stable'][0]}*, "
            "as it is "
            "with fewer than three results."
        )
    if s.dot_method == "previous":
        return (
            "It compares the Quarter's latest result with the previous Quarter's (for monthly "
            "KPIs, normally the last month of each Quarter)."
        )
    return "It compares the Quarter's latest result with the same Quarter a year earlier."


def ratings_key(ctx: Context) -> Markdown:
    """The key to the ratings, in members' words (KCC's QPR opens with one): RAG with target
    and floor standard, what the direction of travel arrows mean whichever way the number
    moves, the window it is judged over, and activity indicators' expected range."""
    s = ctx.settings
    if s.amber_mode == "tolerance":
        amber = f"short of the target by no more than {s.amber_tolerance:.0%} of it."
    else:
        amber = "short of the target, but meeting the floor standard."
    badge = {r: tables.rag_cell(r).markdown() for r in ("Green", "Amber", "Red")}
    improving, worsening, stable = (
        tables.direction_cell(d, polarity=p).markdown()
        for d, p in (("improving", "higher"), ("worsening", "higher"), ("stable", "higher"))
    )
    falling_good = tables.direction_cell("improving", polarity="lower").markdown()
    rising_bad = tables.direction_cell("worsening", polarity="lower").markdown()
    return _block(
        "Each KPI has a **target** and a lower **floor standard**, the least that is "
        "acceptable, both set for the financial year. Its latest result is rated:",
        f"- {badge['Green']}: the target was met or beaten.\n"
        f"- {badge['Amber']}: {amber}\n"
        f"- {badge['Red']}: the floor standard was not met.\n"
        "- Not rated: no result this Quarter.",
        "A result exactly on the target is Green, and exactly on the floor standard Amber. For "
        "a KPI where a lower number is better (a waiting time, say) the comparison is "
        "reversed. Each rating also has its own shape (● Green, ◆ Amber, ✖ Red), the same "
        "as the points on the charts, so it reads in black and white.",
        "**Direction of travel** says whether performance is getting better or worse, "
        f"whichever way the number moves: {improving} or {worsening} where a higher number is "
        f"better, {falling_good} or {rising_bad} where a lower number is better, and {stable}. "
        "The arrow points the way the number moved, as the line on the chart does; the word "
        f"says whether that is better or worse. {_direction_words(ctx)}",
        "**Activity indicators** give context and are not rated: each has an expected range "
        "for the year (the outlined band on its chart), and the alert says whether the latest "
        "result is above, within or below it; its arrow says whether it is increasing or "
        "decreasing.",
    )


def guidance_notes(ctx: Context) -> Markdown:
    """How each alert is generated, in members' words, with this run's settings: the key to
    ratings, statistical process control, milestones."""
    s = ctx.settings
    screened = (
        " A single very large jump between two results is left out when the normal range is "
        "worked out, so that one unusual month does not widen it."
        if s.spc_screen_outliers
        else ""
    )
    return _block(
        "### Key to ratings",
        ratings_key(ctx),
        "### Statistical process control (SPC)",
        "SPC, as in NHS England's *Making Data Count*, is a second reading for officers, shown "
        "beside each KPI's chart: it asks whether the latest result is within the normal ups "
        "and downs of the service or is unusual, and whether, as things are, the target will "
        f"be met. It uses the last {s.spc_baseline_months} months (monthly KPIs) or "
        f"{s.spc_baseline_quarters} quarters (quarterly KPIs), so its chart can start earlier "
        "than the direction of travel's period, which is shaded on it.",
        "The dashed lines on an SPC chart mark the normal range: results between them are "
        "normal variation. A result is *unusual* when it falls outside that range, or is part "
        "of a long run of results all rising, all falling or all on one side of the average, "
        f"or of several results close to the edge of the range.{screened} The target is drawn "
        "too (the floor standard is on the first chart): when the whole normal range is on the "
        "right side of the target, it should be met every time; when it is all on the wrong "
        "side, it will be missed until something changes; otherwise it will be met some "
        "months and missed in others. With fewer than 13 results the reading is provisional.",
        "The direction of travel remains the headline trend. The two can differ without either "
        "being wrong: a steady slide over two years can still leave the latest month within "
        "normal variation, and one unusual month does not make a trend. Where they differ, a "
        "sentence beside the chart says how.",
        "### Milestones",
        "Each milestone's status is shown by a symbol and a word:",
        "- ✔ **Complete**: the milestone has been achieved.\n"
        "- ● **On track**: it is expected to be achieved on time.\n"
        "- ? **Uncertain**: it is too early to say, or there are risks to it.\n"
        "- ✖ **Off track**: it will not be achieved on time.",
    )


# ---------------------------------------------------------------- every report


def about(ctx: Context) -> Markdown:
    """The build record, only with the `build_details` setting: a committee paper carries none
    (it stays in build/<quarter>/ and on the site's 'How this was produced' page).

    With it: `## About this report`, the git commit, data hash, run time and a parameters
    table listing what was passed with a value (a blank or unset parameter means nothing),
    then every method setting in force, passed or default, so it says how each number was made.
    """
    if not ctx.build_details:
        return Markdown("")
    p = {"git_commit": "not recorded", "data_hash": "not recorded", "run_time": "not recorded"}
    p |= ctx.provenance
    passed = {k: v for k, v in ctx.parameters.items() if not _blank(v)}
    in_force = {k: v for k, v in asdict(ctx.settings).items() if k not in passed}
    rows = [(k, _shown(v)) for k, v in (passed | in_force).items()]
    settings = tables.table(
        ["Parameter", "Value"], rows, "Parameters of this run", "tbl-parameters", widths=(1, 2)
    )
    return _block(
        "## About this report",
        "This report was generated by the QPR workbook: every number and sentence in it is "
        "computed from the council's data with the parameters below.",
        f"- **Quarter:** {_quarter_words(ctx)}\n"
        f"- **Code version (git commit):** {md_escape(p['git_commit'])}\n"
        f"- **Data (SHA-256 of the data files):** {md_escape(p['data_hash'])}\n"
        f"- **Run time:** {md_escape(p['run_time'])}",
        settings,
    )


def _blank(value: object) -> bool:
    if isinstance(value, list | tuple):
        return not value
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: object) -> str:
    """A parameter's value as text: true/false as YAML writes them, lists joined by ';'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(" ".join(str(v).split()) for v in value)
    return str(value)
