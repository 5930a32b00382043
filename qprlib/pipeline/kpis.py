"""The quarter's assessment as build outputs: kpis.csv and series.csv (open data) and
assessment.json (shared by the notebooks that declare `assessment_path`), each rewritten only
when its key changed."""

from __future__ import annotations

import traceback
from pathlib import Path

from qprlib import provenance
from qprlib.errors import QprError
from qprlib.names import KPIS_FILE as KPIS
from qprlib.names import SERIES_FILE, TREND_CHART, TREND_FILE
from qprlib.params import RunParams
from qprlib.pipeline import stamps
from qprlib.pipeline.outcome import FAILED, UP_TO_DATE, RunOutcome
from qprlib.pipeline.plan import ASSESSMENT_FILE


def plan_assessment(params: RunParams, data, out: Path, force: bool):
    """(stamp key, assessment table or None when kpis.csv is up to date).

    Computed before anything is written, so a quarter the data cannot assess stops the build.
    """
    key = stamps.assessment_key(params, data)
    if not force and stamps.stamped(out / stamps.KPIS_STAMP, key) and (out / KPIS).is_file():
        return key, None
    try:
        return key, assess_quarter(data, params)
    except QprError:
        raise
    except Exception as error:  # a library fault: report it, still build the notebooks
        return key, error


def assess_quarter(data, params: RunParams):
    """The quarter's assessment table (`qprlib.assess.assess` with the params' settings)."""
    from qprlib.assess import assess

    return assess(data, params.quarter, params.assess_settings())


def write_assessment(assessment, key: str, out: Path, log) -> tuple[RunOutcome, str]:
    """Write build/<slug>/kpis.csv (atomically) unless it is up to date: (outcome, error)."""
    if assessment is None:
        log.line("up to date  kpis.csv")
        return UP_TO_DATE, ""
    if isinstance(assessment, Exception):
        error = f"{type(assessment).__name__}: {assessment}"
        log.error(f"FAILED kpis.csv: {error}")
        log.detail("".join(traceback.format_exception(assessment)))
        return FAILED, error
    from qprlib import io
    from qprlib.tables import csv_safe

    table = csv_safe(assessment)  # open data: no cell a spreadsheet would run as a formula
    io.write_csv_atomic(table, out / KPIS)
    stamps.write_key(out / stamps.KPIS_STAMP, key)
    log.line(f"written     kpis.csv ({len(table)} indicators)")
    return RunOutcome.WRITTEN, ""


def write_series(assessment, data, params: RunParams, out: Path, log) -> None:
    """build/<slug>/series.csv: every point the reports chart (`qprlib.report.chart_series`),
    written with kpis.csv (same key) or when missing. It cannot be made: removed and said,
    the reports still build (their charts meet the same problem and report it)."""
    target = out / SERIES_FILE
    if isinstance(assessment, Exception):
        target.unlink(missing_ok=True)
        return
    if assessment is None and target.is_file():
        log.line(f"up to date  {SERIES_FILE}")
        return
    from dataclasses import asdict

    from qprlib import io
    from qprlib.report import chart_series, context
    from qprlib.tables import csv_safe

    try:
        ctx = context(data, params.quarter, parameters=asdict(params.assess_settings()))
        table = csv_safe(chart_series(ctx))
    except Exception as error:
        target.unlink(missing_ok=True)
        log.line(f"not written {SERIES_FILE}: {type(error).__name__}: {error}")
        return
    io.write_csv_atomic(table, target)
    log.line(f"written     {SERIES_FILE} ({len(table)} charted points)")


def write_trend(assessment, data, params: RunParams, out: Path, log) -> None:
    """build/<slug>/trend.csv and trend.svg: the headline counts of the last 8 quarters the
    data can report (`summary.headline_trend`, the QPR's first-page table and chart), for the
    site index; written with kpis.csv (same key) or when missing, removed when they cannot be
    made (the reports meet the same problem and report it)."""
    targets = [out / TREND_FILE, out / TREND_CHART]
    if isinstance(assessment, Exception):
        for target in targets:
            target.unlink(missing_ok=True)
        return
    if assessment is None and all(target.is_file() for target in targets):
        log.line(f"up to date  {TREND_FILE}")
        return
    from qprlib import io
    from qprlib.atomic import write_atomic
    from qprlib.charts import headline_trend_chart
    from qprlib.summary import headline_trend

    try:
        trend = headline_trend(data, params.quarter, params.assess_settings())
        chart = headline_trend_chart(trend).svg if len(trend) >= 2 else b""
    except Exception as error:
        for target in targets:
            target.unlink(missing_ok=True)
        log.line(f"not written {TREND_FILE}: {type(error).__name__}: {error}")
        return
    io.write_csv_atomic(trend, out / TREND_FILE)
    if chart:
        write_atomic(out / TREND_CHART, chart)
    else:
        (out / TREND_CHART).unlink(missing_ok=True)
    log.line(f"written     {TREND_FILE} ({len(trend)} quarters)")


def share_assessment(runs, assessment, key: str, data, params: RunParams, out: Path, log) -> None:
    """build/<slug>/assessment.json: the quarter's and the previous quarter's assessment, made
    once for the runs whose notebook declares `assessment_path` instead of once per notebook.

    Notebooks use it only when made from their own inputs (qprlib.report.assessed); if it
    cannot be made it is removed and each notebook assesses the data itself.
    """
    if not any("assessment_path" in run.declared for run in runs):
        return
    target, stamp = out / ASSESSMENT_FILE, out / stamps.ASSESSMENT_STAMP
    if stamps.stamped(stamp, key) and target.is_file():
        return
    from qprlib import io
    from qprlib.assess import assess, made_from

    try:
        settings = params.assess_settings()
        done = assessment is not None and not isinstance(assessment, Exception)
        current = assessment if done else assess_quarter(data, params)
        previous = assess(data, params.quarter.previous(), settings)
        header = made_from(data, params.quarter, settings, provenance.source_hash())
        io.write_frames_json(target, {"current": current, "previous": previous}, header)
    except Exception as error:  # the notebooks will meet (and report) the same problem
        target.unlink(missing_ok=True)
        stamp.unlink(missing_ok=True)
        log.line(f"not written {ASSESSMENT_FILE}: {type(error).__name__}: {error}")
        return
    stamps.write_key(stamp, key)
    log.line(f"written     {ASSESSMENT_FILE} (this quarter and the previous one)")


def warn_commentary(assessment, out: Path, quarter, log) -> None:
    """A warning line per KPI whose commentary is due but missing (Amber and worsening, or
    called in): the reports say 'Commentary awaited'; nothing fails. From the assessment just
    made, else from the up-to-date kpis.csv."""
    import pandas as pd

    from qprlib.summary import commentary_warnings

    table = assessment
    if not isinstance(table, pd.DataFrame):
        try:
            table = pd.read_csv(out / KPIS, dtype=str, keep_default_na=False)
        except (OSError, ValueError):
            return
        table = table.assign(
            call_in=table.get("call_in", "").isin(["True", "true", "yes"]),
            commentary=table.get("commentary", "").replace("", None),
        )
    needed = {"id", "name", "kind", "rag", "direction", "call_in", "commentary"}
    if not needed <= set(table.columns):
        return
    for line in commentary_warnings(table, str(quarter)):
        log.line(f"warning     {line}", always=True)
