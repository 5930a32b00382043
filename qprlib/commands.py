"""What each `qpr` command does, once `qprlib.cli` has parsed its arguments.

One function per command (`COMMANDS`), each taking the parsed arguments and returning the
exit status; the heavy modules (pandas, papermill) are imported inside them, so `qpr --help`
and the no-change fast path of `qpr build` stay quick.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from qprlib.errors import DataWarning, QprError

EXIT_OK, EXIT_REPORT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _comparator_params(quarter=None) -> dict:
    """io.load's comparator arguments from the project's params for `quarter` (the latest
    when None): comparators.csv is checked against the area codes they name. {} (no check)
    when there is no params folder or file for it."""
    from qprlib.params import PARAMS_DIR, find_project_root, load_params, quarter_files

    try:
        folder = find_project_root() / PARAMS_DIR
        files = quarter_files(folder)
    except QprError:
        return {}
    quarter = quarter or (max(files) if files else None)
    if quarter not in files:
        return {}
    params = load_params(quarter, folder)
    return {
        "area_code": params.area_code,
        "comparator_groups": params.groups(),
        "params_where": params.where(),
    }


def _comparator_settings(comparing: dict):
    """Default AssessSettings with the params' comparator groups (area_code, groups)."""
    from qprlib.assess import AssessSettings
    from qprlib.compare import groups_to_json

    return AssessSettings(
        area_code=comparing.get("area_code", ""),
        comparator_groups=groups_to_json(comparing.get("comparator_groups") or {}),
    )


def _validate(args: argparse.Namespace) -> int:
    from qprlib import io

    data = io.load(args.data, **_comparator_params())
    print(io.summary_line(data))
    for line in _commentary_warnings(data):
        warnings.warn(line, DataWarning, stacklevel=1)
    return EXIT_OK


def _commentary_warnings(data) -> list[str]:
    """KPIs of the latest quarter with a params file whose commentary is due and missing
    (summary.commentary_warnings); none when there is no such quarter the data can report."""
    from qprlib import io
    from qprlib.assess import assess
    from qprlib.params import find_project_root, load_params, resolve_quarter
    from qprlib.summary import commentary_warnings

    try:
        folder = find_project_root() / "params"
        params = load_params(resolve_quarter(None, folder), folder)
        io.check_quarter(data, params.quarter)
    except QprError:
        return []
    table = assess(data, params.quarter, params.assess_settings())
    return commentary_warnings(table, str(params.quarter))


def _assess(args: argparse.Namespace) -> int:
    from qprlib import io
    from qprlib.assess import assess, format_assessment
    from qprlib.periods import Quarter

    try:
        quarter = Quarter.parse(args.quarter)
    except QprError as error:
        raise QprError(f"QUARTER: {error}") from None
    comparing = _comparator_params(quarter)  # the comparison columns, as kpis.csv has them
    data = io.load(args.data, **comparing)
    io.check_quarter(data, quarter)  # a table of unrated KPIs is not an assessment
    table = assess(data, quarter, _comparator_settings(comparing))
    if args.format == "csv":  # the same table as kpis.csv, so as safe to open in a spreadsheet
        from qprlib.tables import csv_safe

        table = csv_safe(table)
    sys.stdout.write(format_assessment(table, args.format))
    return EXIT_OK


def _build(args: argparse.Namespace) -> int:
    if args.all_quarters and args.quarter:
        raise QprError(f"QUARTER '{args.quarter}' and --all: give one or the other")
    from qprlib.pipeline.unchanged import fast_build, project_root

    status = fast_build(args, project_root())  # no input changed: done before pandas loads
    if status is not None:
        return status
    from qprlib.build import build

    return build(
        quarter=args.quarter,
        directorates=args.directorate,
        formats=args.to,
        jobs=args.jobs,
        engine=args.engine,
        force=args.force,
        data_dir=args.data,
        quiet=args.quiet,
        on_success=args.on_success,
        on_failure=args.on_failure,
        draft=args.draft,
        replace=args.replace,
        all_quarters=args.all_quarters,
        projects=args.project,
        executor=args.executor,
        scheduler=args.scheduler,
    )


def _publish(args: argparse.Namespace) -> int:
    from qprlib.build import Paths
    from qprlib.final import publish
    from qprlib.params import resolve_quarter

    paths = Paths.at(None)
    quarter = resolve_quarter(args.quarter, paths.params)
    target = publish(quarter, paths.root, paths.build, paths.site)
    print(f"Published {quarter} as {target} (read-only); it is now final.")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from qprlib.status import format_status, quarter_status

    statuses = quarter_status(args.quarter, data_dir=args.data)
    sys.stdout.write(format_status(statuses, args.format))
    ready = bool(statuses) and all(s.all_current for s in statuses)
    return EXIT_OK if ready else EXIT_REPORT_FAILED  # 1: something to look at, for scripts


def _new_quarter(args: argparse.Namespace) -> int:
    from qprlib.params import new_quarter

    path = new_quarter(args.quarter)
    print(f"Wrote {path}: check the meeting date and author, then run `qpr build`.")
    return EXIT_OK


def _returns(args: argparse.Namespace) -> int:
    from qprlib.returns import write_returns

    if args.status:
        return _returns_status(args)
    rule = _rating_rule(args.quarter)
    paths = write_returns(
        args.quarter, data_dir=args.data, out_dir=args.out, only=args.directorate, rule=rule
    )
    for path in paths:
        print(f"Wrote {path}")
    print("Send each directorate its workbook; when they come back, run `qpr import`.")
    return EXIT_OK


def _rating_rule(quarter_text: str):
    """The quarter's RAG rule from its params file (amber_mode, amber_tolerance); the floor
    rule when the quarter has no params file yet."""
    from qprlib.params import PARAMS_DIR, find_project_root, load_params
    from qprlib.periods import Quarter
    from qprlib.rag import RatingRule

    quarter = Quarter.parse(quarter_text)
    params_dir = find_project_root() / PARAMS_DIR
    if not (params_dir / f"{quarter.slug}.yml").is_file():
        return RatingRule()
    return RatingRule.of(load_params(quarter, params_dir))


def _returns_status(args: argparse.Namespace) -> int:
    from qprlib import io
    from qprlib.params import PARAMS_DIR, find_project_root, load_params
    from qprlib.periods import Quarter
    from qprlib.returns import RETURNED, format_return_status, return_status

    quarter = Quarter.parse(args.quarter)
    status = return_status(io.load(args.data), quarter)
    if args.directorate:
        status = status.loc[status["directorate"].isin(args.directorate)]
    params_dir = find_project_root() / PARAMS_DIR
    has_file = (params_dir / f"{quarter.slug}.yml").is_file()
    deadline = load_params(quarter, params_dir).returns_deadline if has_file else ""
    sys.stdout.write(format_return_status(status, quarter, deadline))
    done = (status["status"] == RETURNED).all()
    return EXIT_OK if done else EXIT_REPORT_FAILED  # 1: returns still to come, for scripts


def _import(args: argparse.Namespace) -> int:
    from qprlib.imports import import_returns

    result = import_returns(
        args.files, data_dir=args.data, replace=args.replace, dry_run=args.dry_run
    )
    print(result.report())
    return EXIT_OK


COMMANDS = {"build": _build, "validate": _validate, "assess": _assess, "new-quarter": _new_quarter}
COMMANDS |= {"returns": _returns, "import": _import, "status": _status, "publish": _publish}
