"""The one error type users meet: bad data or parameters, located and explained."""

from __future__ import annotations


class QprError(Exception):
    """A problem the user can fix; the message says where it is and what is expected.

    The command line prints the message and exits with status 2, never a traceback.
    """

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class DataError(QprError):
    """One or more problems in the data files (file, row, column, value, what is expected)."""


class ParamsError(QprError):
    """One or more problems in the parameters (file, key, value, what is expected)."""


def located(file: str, row: int | None, column: str | None, message: str) -> str:
    """Format one problem as `file, row N, column 'c': message` (row as a spreadsheet counts it)."""
    where = [file]
    if row is not None:
        where.append(f"row {row}")
    if column is not None:
        where.append(f"column '{column}'")
    return f"{', '.join(where)}: {message}"


class DataWarning(UserWarning):
    """Something in the data that is ignored rather than wrong (an unknown extra column)."""
