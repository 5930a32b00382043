"""The site's index page: every quarter published, newest first, each report in every format,
and the headline counts of every quarter built (RAG and direction of travel, from its kpis.csv).

The page is `templates/index.html` (a Jinja2 template, HTML-escaped throughout) filled from
what is in the site folder and each quarter's `reports.json` (labels and titles, written by
`qprlib.pipeline.publish`). This module only makes the page's text; publish writes it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from qprlib import produced
from qprlib.completeness import COMPLETENESS_FILE
from qprlib.errors import QprError
from qprlib.names import KPIS_FILE as KPIS
from qprlib.names import SERIES_FILE as SERIES
from qprlib.names import TREND_CHART, TREND_FILE, report_label, report_rank
from qprlib.periods import Quarter
from qprlib.pipeline.notebooks import text
from qprlib.pipeline.pages import (
    DEFAULT_COUNCIL,
    FORMAT_WORDS,
    FORMATS,
    SUFFIX,
    TEMPLATES,
    stylesheet,
    when,
)

MANIFEST = "reports.json"  # per quarter: each report's label and title, for the index


def index_page(site_dir: Path, council: str = DEFAULT_COUNCIL) -> str:
    """The HTML of `site_dir/index.html` as the site stands now."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    site_dir = Path(site_dir)
    quarters = sorted(site_quarters(site_dir), key=lambda q: q[0], reverse=True)
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template("index.html").render(
        council=council or DEFAULT_COUNCIL,
        style=stylesheet(),
        quarters=[quarter_entry(folder, quarter) for quarter, folder in quarters],
        trend=headline_rows(quarters),
        recent=recent_trend(quarters),
        updated=when(datetime.now(UTC).isoformat(timespec="minutes")),
    )


def read_reports(quarter: Path) -> dict:
    """A quarter's reports.json ({'reports': {name: {label, title}}}); empty when unreadable."""
    try:
        manifest = json.loads((quarter / MANIFEST).read_text(encoding="utf-8"))
        if isinstance(manifest, dict) and isinstance(manifest.get("reports"), dict):
            return manifest
    except (OSError, ValueError):
        pass
    return {"reports": {}}


def site_quarters(site_dir: Path) -> list[tuple[Quarter, Path]]:
    """The quarter folders of the site (named by their slug), in no order."""
    found = []
    for path in site_dir.iterdir() if site_dir.is_dir() else []:
        if not path.is_dir() or path.name.startswith("."):
            continue
        try:
            quarter = Quarter.parse(path.name)
        except QprError:
            continue
        if quarter.slug == path.name:
            found.append((quarter, path))
    return found


def quarter_entry(folder: Path, quarter: Quarter) -> dict:
    """One quarter's section: its reports (cover, QPR, dashboards) and the open data."""
    labels = read_reports(folder)["reports"]
    names = {p.stem for p in folder.iterdir() if p.suffix in SUFFIX.values() and p.is_file()}
    names.discard(Path(produced.PAGE).stem)  # listed after the reports, as the build record
    short = f"Quarter {quarter.number} {quarter.financial_year}"
    items = []
    for name in sorted(names, key=lambda n: _order(n, labels)):
        label = text(labels.get(name, {}).get("label")) or report_label(name)
        links = [
            _link(
                f"{folder.name}/{name}{SUFFIX[fmt]}",
                f"{label}, {short} ({FORMAT_WORDS[fmt]}{_download_size(folder, name, fmt)})",
            )
            for fmt in FORMATS
            if (folder / f"{name}{SUFFIX[fmt]}").is_file()
        ]
        items.append({"heading": label, "links": links})
    data = []
    if (folder / KPIS).is_file():
        words = f"Open data: the assessment of every indicator, {short} (CSV{_size(folder / KPIS)})"
        data.append(_link(f"{folder.name}/{KPIS}", words))
    if (folder / SERIES).is_file():
        size = _size(folder / SERIES)
        words = f"Open data: every point charted in the reports, {short} (CSV{size})"
        data.append(_link(f"{folder.name}/{SERIES}", words))
    if data:
        items.append({"heading": "Open data", "links": data})
    if (folder / produced.PAGE).is_file():
        words = f"{produced.LINK_TEXT}, {short}: the code, data and parameters of the reports"
        link = _link(f"{folder.name}/{produced.PAGE}", words)
        items.append({"heading": produced.LINK_TEXT, "links": [link]})
    return {
        "slug": folder.name,
        "label": quarter.label,
        "reports": items,
        "completeness": _completeness_words(folder),
    }


def headline_rows(quarters: list[tuple[Quarter, Path]]) -> dict:
    """The headline trend of the quarters built, in the given order (newest first): each
    quarter's counts as `summary.headline_counts` makes them (the cover's), recounted from
    the kpis.csv the site publishes; a quarter without a readable kpis.csv is left out.
    {'headings': [...], 'rows': [[quarter, count, ...], ...]} (no rows: no table)."""
    import pandas as pd

    from qprlib.summary import TREND_COLUMNS, headline_counts
    from qprlib.tables import TREND_HEADINGS

    rows = []
    for quarter, folder in quarters:
        try:
            table = pd.read_csv(folder / KPIS, usecols=["kind", "value", "rag", "direction"])
            counts = headline_counts(quarter.label, table)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        rows.append([counts[c] for c in TREND_COLUMNS])
    headings = [TREND_HEADINGS.get(c, "KPIs") for c in TREND_COLUMNS]
    return {"headings": headings, "rows": rows}


def recent_trend(quarters: list[tuple[Quarter, Path]]) -> dict:
    """The last 8 quarters the data can report, as the newest built quarter's reports count
    them (its trend.csv, written by the build from `summary.headline_trend`): the sentence,
    the chart (its trend.svg, with alt text from the same counts) and the table, oldest
    first as in the QPR. {} when no quarter has a readable trend.csv of 2 quarters or more."""
    import pandas as pd

    from qprlib.charts import headline_trend_alt
    from qprlib.summary import TREND_COLUMNS, trend_sentence
    from qprlib.tables import TREND_HEADINGS

    for quarter, folder in quarters:  # newest first
        try:
            trend = pd.read_csv(folder / TREND_FILE, dtype={"quarter": str})
            trend = trend[TREND_COLUMNS]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if len(trend) < 2:
            continue
        columns = [c for c in TREND_HEADINGS if c != "no_data" or trend["no_data"].any()]
        chart = folder / TREND_CHART
        return {
            "quarter": quarter.label,
            "sentence": trend_sentence(trend),
            "chart": quote(f"{folder.name}/{TREND_CHART}") if chart.is_file() else "",
            "alt": headline_trend_alt(trend),
            "headings": [TREND_HEADINGS[c] for c in columns],
            "rows": [[str(row[c]) for c in columns] for _, row in trend.iterrows()],
            "caption": f"KPIs by RAG rating and direction of travel, {trend['quarter'].iloc[0]} "
            f"to {trend['quarter'].iloc[-1]}",
        }
    return {}


def _completeness_words(folder: Path) -> str:
    """'36 of 38 KPIs have a figure for 2023/24 Q3 (94%); 2 not yet reported.' from the
    quarter's completeness.json (written by the build); '' when there is none."""
    try:
        words = json.loads((folder / COMPLETENESS_FILE).read_text(encoding="utf-8"))["words"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return words if isinstance(words, str) else ""


def _order(name: str, labels: dict) -> tuple[int, str]:
    return report_rank(name), (text(labels.get(name, {}).get("label")) or name).lower()


def _link(href: str, words: str) -> dict:
    return {"href": quote(href), "text": words}


def _download_size(folder: Path, name: str, fmt: str) -> str:
    """', 245 KB' for files people download; nothing for the web page itself."""
    return "" if fmt == "html" else _size(folder / f"{name}{SUFFIX[fmt]}")


def _size(path: Path) -> str:
    size = path.stat().st_size
    if size >= 1_000_000:
        return f", {size / 1_000_000:.1f} MB"
    return f", {max(1, round(size / 1000))} KB"
