"""The site's "How this was produced" page for a quarter: the build record that committee
papers no longer carry (review of the sample quarter, blocker 1).

It says, for officers and auditors, which code and data made the quarter's reports, when,
and with which parameters, and how to run it again. Written from the executed notebooks'
papermill parameters, so it describes exactly the runs that were published.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

PAGE = "how-this-was-produced.html"
LINK_TEXT = "How this was produced"
PROVENANCE = ("git_commit", "data_hash", "run_time")  # shown once, above the tables
HIDDEN = ("assessment_path",)  # a build's scratch file, not a setting


def produced_page(
    reports: Sequence, quarter_label: str, quarter: str, council: str, style: str
) -> str:
    """The page as HTML. `reports`: objects with .name, .title and .parameters (a dict, as
    papermill recorded it), in the order the index lists them."""
    first = next((r.parameters for r in reports if r.parameters), {})
    record = [
        ("Code version (git commit)", first.get("git_commit") or "not recorded"),
        ("Data version (SHA-256 of the data files)", first.get("data_hash") or "not recorded"),
        ("Run time (UTC)", _latest([r.parameters.get("run_time") for r in reports])),
    ]
    sections = [_report_section(r) for r in reports]
    title = f"{LINK_TEXT}: {quarter_label}"
    return PAGE_TEMPLATE.format(
        title=_e(title),
        council=_e(council),
        style=style,
        quarter=_e(quarter_label),
        record="\n".join(f"<dt>{_e(k)}</dt><dd><code>{_e(v)}</code></dd>" for k, v in record),
        commit=_e(first.get("git_commit") or "COMMIT"),
        quarter_arg=_e(quarter),
        reports="\n".join(sections),
    )


def _report_section(report) -> str:
    rows = [
        f'<tr><th scope="row"><code>{_e(k)}</code></th><td>{_e(_shown(v))}</td></tr>'
        for k, v in report.parameters.items()
        if k not in PROVENANCE and k not in HIDDEN
    ]
    ident = f"report-{report.name}"
    return (
        f'<section aria-labelledby="{ident}">\n<h2 id="{ident}">{_e(report.title)}</h2>\n'
        f"<p>Notebook parameters of <code>build/…/{_e(report.name)}.ipynb</code> "
        f"(<code>{_e(report.name)}.params.yml</code> beside it).</p>\n"
        '<div class="table-wrap" role="region" tabindex="0" '
        f'aria-label="Parameters of {_e(report.title)}">\n'
        f"<table>\n<caption>Parameters of {_e(report.title)}</caption>\n"
        '<thead><tr><th scope="col">Parameter</th><th scope="col">Value</th></tr></thead>\n'
        f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>\n</div>\n</section>"
    )


def _latest(stamps: list[object]) -> str:
    found = [str(s) for s in stamps if s]
    return max(found) if found else "not recorded"


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return "(blank)"
    return " / ".join(line.strip() for line in str(value).splitlines() if line.strip())


def _e(text: object) -> str:
    return html.escape(str(text))


PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="qprlib">
<title>{title} – {council}</title>
<style>
{style}</style>
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<div class="wrap">
<p class="council">{council}</p>
<nav aria-label="Site"><a href="../index.html">All quarterly performance reports</a></nav>
</div>
</header>
<main id="main" class="wrap">
<header class="title-block">
<h1>{title}</h1>
<p class="subtitle">The build record of the {quarter} reports, for officers: the papers
themselves carry none of it.</p>
</header>
<p>Every number and sentence in the reports is computed from the council's data by the QPR
workbook. These are the code, the data and the parameters that made them.</p>
<dl class="build-record">
{record}
</dl>
<p>To make the same reports again, check out that commit with the same data files and run
<code>qpr build "{quarter_arg}" --force</code>, or run one notebook with the stock papermill
command <code>papermill notebooks/&lt;notebook&gt;.ipynb out.ipynb -f
build/&lt;quarter&gt;/&lt;report&gt;.params.yml</code> (commit <code>{commit}</code>).</p>
{reports}
</main>
</body>
</html>
"""
