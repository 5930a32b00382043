"""Render a quarter's executed notebooks and publish them: the only code that writes `_site/`.

Publishing never leaves a half-written site: a copy of the site is built beside it
(`.<site>.new-<pid>-<token>`) and swapped in with two renames; leftovers of a killed build
are recovered or removed by the next run. A report is published only when every format
asked for rendered; otherwise its previous files stay and it is returned as a failure.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import secrets
import shutil
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from qprlib import produced
from qprlib.atomic import copy_atomic, write_atomic
from qprlib.completeness import COMPLETENESS_FILE
from qprlib.errors import QprError
from qprlib.names import KPIS_FILE, SERIES_FILE, TREND_CHART, TREND_FILE, report_rank
from qprlib.periods import Quarter
from qprlib.pipeline import engines, site_index, stamps
from qprlib.pipeline.notebooks import (
    OUTPUT_ERRNOS,
    SAFE_NAME,
    OutputError,
    Rendered,
    RenderError,
    check_reports,
)
from qprlib.pipeline.outcome import Outcome, RenderOutcome
from qprlib.pipeline.pages import DEFAULT_COUNCIL, SUFFIX, stylesheet

logger = logging.getLogger(__name__)

MANIFEST = site_index.MANIFEST
_LEFTOVER = re.compile(r"^\.(?P<site>.+)\.(?P<kind>new|old|work)-(?P<pid>\d+)-(?P<tok>[0-9a-f]+)$")


def render_site(outcome: Outcome, out: Path, site: Path, reports, formats, engine, params, log):
    """Render the current reports into `site` (skipped when its stamp is up to date).

    Sets `outcome.render` and `outcome.render_failures`; an OutputError (the site cannot be
    written at all) goes through: exit 2, the published site unchanged.
    """
    if not reports:
        outcome.render = RenderOutcome.SKIPPED
        log.line("Rendering skipped: no report was built.")
        return
    key = stamps.render_key(out, site, reports, formats, engine, params.council)
    stamp = out / stamps.RENDER_STAMP
    if stamps.stamped(stamp, key) and (site / out.name).is_dir():
        outcome.render = RenderOutcome.UP_TO_DATE
        log.line(f"up to date  site {site / out.name}")
        return
    log.line(f"rendering   {len(reports)} reports to {', '.join(formats)}")
    try:
        failures = render_quarter(out, site, list(reports), tuple(formats), engine, params.council)
    except OutputError:
        raise
    except Exception as error:
        failures = [("site", f"{type(error).__name__}: {error}")]
        if not isinstance(error, QprError):
            log.detail("".join(traceback.format_exception(error)))
    outcome.render_failures = list(failures)
    outcome.render = RenderOutcome.FAILED if failures else RenderOutcome.RENDERED
    if failures:
        stamp.unlink(missing_ok=True)
        for report, message in failures:
            log.error(f"FAILED      render {report}: {message}")
    else:
        stamps.write_key(stamp, key)
        log.line(f"rendered    {site / out.name}")


def render_quarter(
    quarter_dir: Path,
    site_dir: Path,
    reports: list[str],
    formats: tuple[str, ...],
    engine: str = "auto",
    council: str = DEFAULT_COUNCIL,
) -> list[tuple[str, str]]:
    """Render `quarter_dir/<report>.ipynb` for each report and publish into `site_dir`.

    Writes `<slug>/<report>.html|.pdf` (+ `.docx` for the cover when asked), copies
    `quarter_dir/kpis.csv` and `series.csv` to `<slug>/`, regenerates `index.html`, then swaps
    the new site in. Returns the failures as (report, message); the others are still published.
    """
    # absolute: pandoc runs in the report's work folder for Word (images are found there)
    quarter_dir, site_dir = Path(quarter_dir).absolute(), Path(site_dir).absolute()
    formats = engines.check_formats(formats)
    render = engines.engine(engines.choose_engine(engine))
    slug = quarter_dir.name
    if not SAFE_NAME.match(slug.lower()):
        raise RenderError(f"'{slug}' is not a quarter folder name like 2023-24-q2")
    if site_dir.exists() and not site_dir.is_dir():
        raise OutputError(
            f"{site_dir}: is a file, not a folder; the site is published there, so move the "
            "file away (nothing was changed)"
        )
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    staging, work = _sibling(site_dir, "new", token), _sibling(site_dir, "work", token)
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        recover_site(site_dir)
        work.mkdir()
        from qprlib.pipeline.engines.quarto import write_quarto_metadata

        write_quarto_metadata(quarter_dir.parent, council)  # for a plain `quarto render`
        checked, failures = check_reports(quarter_dir, reports)
        rendered, render_failures = render(checked, formats, work, council, slug)
        failures += render_failures
        if rendered:
            _copy_site(site_dir, staging)
            _publish(rendered, staging / slug)
            _write_produced(checked, staging / slug, council)
            _copy_kpis(quarter_dir, staging / slug)
            write_index(staging, council)
            _swap(staging, site_dir, token)
    except OSError as error:
        if error.errno not in OUTPUT_ERRNOS:
            raise
        raise output_error(site_dir, error) from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    order = {name: i for i, name in enumerate(reports)}
    return sorted(failures, key=lambda f: order.get(f[0], len(order)))


def output_error(site_dir: Path, error: OSError) -> OutputError:
    """The message for a site that cannot be written: where, why, and that nothing changed."""
    where = f" ({error.filename})" if error.filename else ""
    reason = error.strerror or str(error)
    if error.errno in (errno.EBUSY, errno.EXDEV):
        advice = (
            f"{site_dir.name} is published by renaming a complete new copy into place, which "
            "cannot be done when it is a mount point of its own (or in use): mount the disk "
            "one folder up, or publish to a folder that is not a mount point"
        )
    elif error.errno in (errno.EACCES, errno.EPERM):
        advice = "Make the folder writable for you"
    else:
        advice = "Free some disk space or make the folder writable"
    return OutputError(
        f"{site_dir}: cannot write the site{where}: {reason}; the published site is unchanged. "
        f"{advice}, then build again"
    )


def write_index(site_dir: Path, council: str = DEFAULT_COUNCIL) -> Path:
    """Regenerate `site_dir/index.html`: every quarter in the site, newest first."""
    target = Path(site_dir) / "index.html"
    write_atomic(target, site_index.index_page(site_dir, council))
    return target


def _sibling(site_dir: Path, kind: str, token: str) -> Path:
    return site_dir.with_name(f".{site_dir.name}.{kind}-{token}")


def recover_site(site_dir: Path) -> None:
    """Undo what a killed build left beside `site_dir` (builds still running are left alone).

    Killed between the two renames of the swap, the site is missing: the complete new copy
    (or, failing that, the old site) is put back. Other leftovers are deleted.
    """
    site_dir = Path(site_dir)
    if not site_dir.parent.is_dir():
        return
    stale: dict[tuple[str, str], dict[str, Path]] = {}
    for path in site_dir.parent.iterdir():
        match = _LEFTOVER.match(path.name)
        if not match or match["site"] != site_dir.name or _alive(int(match["pid"]), path):
            continue
        stale.setdefault((match["pid"], match["tok"]), {})[match["kind"]] = path
    if not site_dir.exists():
        for parts in stale.values():
            if "old" in parts:  # the swap was cut short: old renamed away, new not yet in
                chosen = parts.get("new", parts["old"])
                os.rename(chosen, site_dir)
                logger.warning("recovered %s from an interrupted build (%s)", site_dir, chosen.name)
                break
    for parts in stale.values():
        for path in parts.values():
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int, path: Path) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would terminate the process on Windows; go by age instead
        return time.time() - path.stat().st_mtime < 6 * 3600
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _copy_site(site_dir: Path, staging: Path) -> None:
    """Start the new site as the current one: hard links where possible (files are only ever
    replaced, never rewritten in place, so the live site is not touched)."""
    if site_dir.is_dir():
        shutil.copytree(site_dir, staging, copy_function=_link_or_copy, symlinks=True)
    else:
        staging.mkdir()


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _publish(rendered: Sequence[Rendered], quarter: Path) -> None:
    """Move each rendered report's files in, replacing all its earlier files, and record it."""
    quarter.mkdir(parents=True, exist_ok=True)
    manifest = site_index.read_reports(quarter)
    for report in rendered:
        for suffix in SUFFIX.values():  # a format not asked for this time must not go stale
            (quarter / f"{report.name}{suffix}").unlink(missing_ok=True)
        for fmt, path in report.files.items():
            os.replace(path, quarter / f"{report.name}{SUFFIX[fmt]}")
        manifest["reports"][report.name] = {"label": report.label, "title": report.title}
    write_atomic(quarter / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def _write_produced(reports: Sequence, quarter: Path, council: str) -> None:
    """The quarter's "How this was produced" page: the build record the papers leave out."""
    q = Quarter.parse(quarter.name)
    ordered = sorted(reports, key=lambda r: (report_rank(r.name), r.name))
    council = council or DEFAULT_COUNCIL
    write_atomic(
        quarter / produced.PAGE,
        produced.produced_page(ordered, q.label, str(q), council, stylesheet()),
    )


def _copy_kpis(quarter_dir: Path, quarter: Path) -> None:
    # completeness and the trend: the index's words, table and chart
    for name in (KPIS_FILE, SERIES_FILE, TREND_FILE, TREND_CHART, COMPLETENESS_FILE):
        if (quarter_dir / name).is_file():
            copy_atomic(quarter_dir / name, quarter / name)


def _swap(staging: Path, site_dir: Path, token: str) -> None:
    """Put the new site in place: rename the old away, rename the new in, delete the old."""
    old = _sibling(site_dir, "old", token)
    if site_dir.exists():
        os.rename(site_dir, old)
    os.rename(staging, site_dir)
    shutil.rmtree(old, ignore_errors=True)
