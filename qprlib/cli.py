"""The `qpr` command: validate, assess, build, status and start a new quarter.

Exit status: 0 success; 1 some report failed (the others were still built), or for
`qpr status` some report is not current; 2 bad input or usage (the message names the file,
row and column; never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from qprlib.commands import (  # noqa: F401  (the exit statuses, importable from here as before)
    COMMANDS,
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REPORT_FAILED,
)
from qprlib.errors import DataWarning, QprError

FORMATS = ("html", "pdf", "docx")
MAX_LINES = 300  # problems printed at most (each data file lists its own first 50)
MAX_WARNINGS = 50  # warnings printed at most, the rest counted


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message (its default), never a traceback."""

    def error(self, message: str) -> None:  # pragma: no cover - argparse plumbing
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"qpr: error: {message}\n")


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a list of formats; "
            f"expected a comma-separated list of {', '.join(FORMATS)}"
        )
    return chosen


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least 1")
    return value


def version() -> str:
    """qprlib's version ('0.1.0'): qprlib.__version__, which pyproject.toml also reads."""
    from qprlib import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The `qpr` argument parser (public: the README and scheduled jobs rely on these options)."""
    parser = _Parser(prog="qpr", description="Quarterly Performance Report workbook")
    parser.add_argument(
        "--version", action="version", version=f"qpr (qprlib) {version()}", help="show the version"
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    build = commands.add_parser(
        "build",
        help="execute and render a quarter's reports",
        epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_build_options(build)
    _add_run_options(build)
    _add_many_options(build)
    _add_quarter_commands(commands)
    _add_returns_commands(commands)
    return parser


def _settings_epilog() -> str:
    """`qpr build --help`'s list of the run settings params files hold (settings.DECLARED)."""
    from qprlib.settings import describe

    return (
        "run settings (params/defaults.yml, overridden by params/<quarter>.yml), "
        "with their defaults:\n" + describe()
    )


def _add_build_options(build: argparse.ArgumentParser) -> None:
    """`qpr build`'s quarter and what to build: directorates, formats, jobs, engine, force."""
    build.add_argument(
        "quarter",
        nargs="?",
        help="e.g. '2023/24 Q2', 'latest' (the default: the latest params file) or 'current'",
    )
    build.add_argument(
        "--directorate",
        action="append",
        default=[],
        metavar="NAME",
        help="build only this directorate's dashboard (repeatable)",
    )
    build.add_argument(
        "--to",
        type=_formats,
        default=None,
        metavar="FORMATS",
        help="comma-separated: html,pdf,docx (docx for the cover); default: the formats "
        "last published for the quarter, or html,pdf",
    )
    build.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="notebooks run in parallel (default: number of cores)",
    )
    build.add_argument(
        "--engine",
        choices=("auto", "quarto", "builtin"),
        default="auto",
        help="renderer: quarto when on PATH (auto), or the built-in engine",
    )
    build.add_argument("--force", action="store_true", help="re-run reports that are up to date")


def _add_run_options(build: argparse.ArgumentParser) -> None:
    """`qpr build`'s draft/replace, data folder, output and the commands run after it."""
    build.add_argument(
        "--draft",
        action="store_true",
        help="build even when KPIs are not yet reported (below params completeness): every "
        "report then says DRAFT and what is missing",
    )
    build.add_argument(
        "--replace",
        action="store_true",
        help="a final quarter (qpr publish) whose papers change: write them over its latest "
        "published version instead of publishing the next version (v2) beside it",
    )
    build.add_argument("--data", type=Path, default=Path("data"), metavar="DIR")
    build.add_argument(
        "--quiet", action="store_true", help="print only the summary and errors (build.log has all)"
    )
    build.add_argument(
        "--on-success",
        metavar="CMD",
        help="shell command run after a successful build, the summary on its stdin",
    )
    build.add_argument(
        "--on-failure",
        metavar="CMD",
        help="shell command run when the build fails (exit 1 or 2), the summary on its stdin; "
        "it gets QPR_QUARTER, QPR_OUTCOME, QPR_EXIT_STATUS and QPR_LOG",
    )


def _add_quarter_commands(commands) -> None:
    """`qpr publish`, `status`, `validate`, `assess` and `new-quarter`."""
    publish = commands.add_parser(
        "publish",
        help="mark a quarter final: keep its site as published, read-only, in "
        "published/<quarter>/v<N>/ with its manifest",
    )
    publish.add_argument("quarter", help="e.g. '2023/24 Q2' or 'latest'")

    status = commands.add_parser(
        "status", help="when each quarter was built and which reports are current"
    )
    status.add_argument(
        "quarter", nargs="?", help="e.g. '2023/24 Q2', 'latest' or 'current' (default: all built)"
    )
    status.add_argument("--data", type=Path, default=Path("data"), metavar="DIR")
    status.add_argument("--format", choices=("table", "json"), default="table")

    validate = commands.add_parser("validate", help="check the data files and report problems")
    validate.add_argument("--data", type=Path, default=Path("data"), metavar="DIR")

    assess = commands.add_parser("assess", help="print a quarter's assessment table")
    assess.add_argument("quarter", help="e.g. '2023/24 Q2'")
    assess.add_argument("--data", type=Path, default=Path("data"), metavar="DIR")
    assess.add_argument("--format", choices=("table", "csv", "json"), default="table")

    new = commands.add_parser(
        "new-quarter", help="write params/<quarter>.yml from the previous one"
    )
    new.add_argument("quarter", help="e.g. '2023/24 Q3'")


def _add_returns_commands(commands) -> None:
    """`qpr returns` (the Excel return workbooks, or --status) and `qpr import`."""
    returns = commands.add_parser(
        "returns", help="write the quarter's Excel return workbooks, one per directorate"
    )
    returns.add_argument("quarter", help="e.g. '2023/24 Q4'")
    returns.add_argument("--data", type=Path, default=Path("data"), metavar="DIR")
    returns.add_argument(
        "--out",
        type=Path,
        default=Path("returns"),
        metavar="DIR",
        help="workbooks go in DIR/<quarter-slug>/ (default: returns)",
    )
    returns.add_argument(
        "--directorate",
        action="append",
        default=[],
        metavar="NAME",
        help="write only this directorate's workbook (repeatable)",
    )
    returns.add_argument(
        "--status",
        action="store_true",
        help="write nothing: say which returns are in (returned, partly, outstanding) per "
        "directorate and service area, what is missing and the deadline (params "
        "returns_deadline); exit 1 while any is not complete",
    )

    imports = commands.add_parser(
        "import", help="check completed return workbooks and merge them into the data"
    )
    imports.add_argument("files", nargs="+", type=Path, metavar="FILE.xlsx")
    imports.add_argument("--data", type=Path, default=Path("data"), metavar="DIR")
    imports.add_argument(
        "--replace", action="store_true", help="overwrite values or commentary already held"
    )
    imports.add_argument(
        "--dry-run", action="store_true", help="show what would change; write nothing"
    )


def _add_many_options(build: argparse.ArgumentParser) -> None:
    """`qpr build`'s options for many quarters and projects in one pool (issue 18)."""
    build.add_argument(
        "--all",
        action="store_true",
        dest="all_quarters",
        help="build every quarter the data can report up to the latest params file, those "
        "without a file of their own from defaults.yml (QUARTER may also be a list or range: "
        "'2022/23 Q1..2023/24 Q2')",
    )
    build.add_argument(
        "--project",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="build this council's workbook (its data/, params/, notebooks/) into its own "
        "build/ and _site/; repeatable: all projects' reports run in one pool",
    )
    build.add_argument(
        "--executor",
        choices=("pool", "dask"),
        default="pool",
        help="where report runs execute: a process pool here (default) or a Dask cluster",
    )
    build.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --executor dask: the scheduler, e.g. tcp://host:8786 (default: "
        "QPR_DASK_SCHEDULER, else a LocalCluster of --jobs workers on this machine)",
    )


@contextlib.contextmanager
def _warnings_as_lines(command: str) -> Iterator[None]:
    """Show data warnings (an ignored column) as `qpr validate: warning: ...` lines on stderr,
    not as Python's `file.py:12: DataWarning` with a line of source code."""
    shown, count = warnings.showwarning, [0]

    def show(message, category, *args, **kwargs) -> None:
        if not issubclass(category, DataWarning):
            shown(message, category, *args, **kwargs)
            return
        count[0] += 1
        if count[0] <= MAX_WARNINGS:  # a million-row council can warn of thousands
            print(f"qpr {command}: warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", DataWarning)
            warnings.showwarning = show
            yield
    finally:
        if count[0] > MAX_WARNINGS:
            more = count[0] - MAX_WARNINGS
            print(f"qpr {command}: warning: … and {more:,} more warnings", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `qpr` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        with _warnings_as_lines(args.command):
            return COMMANDS[args.command](args)
    except QprError as error:
        print(f"qpr {args.command}: {error.count:,} problem(s) found:", file=sys.stderr)
        for line in error.problems[:MAX_LINES]:
            print(f"  - {line}", file=sys.stderr)
        if len(error.problems) > MAX_LINES:
            print(f"  - … and {len(error.problems) - MAX_LINES:,} more", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:  # the disk or the folders, not the input: full, read-only, in the way
        print(f"qpr {args.command}: {_os_problem(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("qpr: interrupted; the previous published site is unchanged.", file=sys.stderr)
        return 130


def _os_problem(error: OSError) -> str:
    """'<path>: <what is wrong>; what to do' for a file or folder that could not be written or
    read, said as it is (permission, a folder in the way, missing, disk full), not guessed."""
    where = error.filename or "a file"
    if error.filename2:
        where = f"{error.filename} -> {error.filename2}"
    reason = error.strerror or str(error)
    advice = {
        errno.EACCES: "permission denied: make it readable (and its folder writable) for you",
        errno.EPERM: "not permitted: check the file's permissions and owner",
        errno.ENOENT: "not found: check the path",
        errno.EISDIR: "is a folder where a file is expected: move the folder away",
        errno.ENOTDIR: "a file is where a folder must be: move the file away",
        errno.EEXIST: "a file is where a folder must be: move it away",
        errno.ENOSPC: "the disk is full: free some disk space",
        errno.EDQUOT: "the disk quota is used up: free some space",
        errno.EROFS: "the disk is read-only: use a writable folder",
        errno.EXDEV: "the two places are on different disks (mounts), so it cannot be moved "
        "in one step: keep them on one disk",
        errno.EBUSY: "it is in use or is a mount point, so it cannot be replaced: use a folder "
        "that is not a mount point",
        errno.ENAMETOOLONG: "the name is too long: shorten it",
    }.get(error.errno or 0)
    if advice is None:
        return f"{where}: {reason}: check the path and its permissions; then run it again"
    # the plain words first, then the system's own (what IT support will search for)
    what, todo = advice.split(": ", 1)
    return f"{where}: {what} ({reason}): {todo}; then run it again"


if __name__ == "__main__":
    sys.exit(main())
