"""The one error type users meet: bad data or parameters, located and explained."""

from __future__ import annotations


class QprError(Exception):
    """A problem the user can fix; the message says where it is and what is expected.

    The command line prints the message and exits with status 2, never a traceback.
    """

    def __init__(self, problems: str | list[str], count: int | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.count = len(self.problems) if count is None else count  # some may not be listed
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


QUOTE_CHARS = 80  # a message quotes at most this much of a bad value


def quote(value: object, width: int = QUOTE_CHARS) -> str:
    """A bad value as a message quotes it: in quotes, control characters shown as escapes
    ('\\x0b'), and cut to about `width` characters with its full length said."""
    text = str(value)
    shown = "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in text[:width])
    if len(shown) > width or len(text) > width:
        return f"'{shown[: width - 1]}…' ({len(text):,} characters)"
    return f"'{shown}'"


def _escape(ch: str) -> str:
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return named.get(ch, f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")


class DataWarning(UserWarning):
    """Something in the data that is ignored rather than wrong (an unknown extra column)."""
