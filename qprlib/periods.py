"""Financial-year quarters (April to March), as councils report them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import total_ordering

from qprlib.errors import QprError, quote

ACCEPTED_FORMS = "'2023/24 Q2', '2023-24-Q2' or '2023-24 Q2'"
_PATTERN = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2})\s*[-\s]\s*Q([1-4])\s*$", re.IGNORECASE)
FIRST_MONTH = 4  # UK local government financial year starts 1 April
# The years a council's figures can be about: dates and quarters outside them are refused at
# the edge (validation, the command line), before any date arithmetic could overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2100
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, FIRST_MONTH, 1), date(LAST_YEAR + 1, FIRST_MONTH - 1, 31)


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def financial_year_label(start_year: int) -> str:
    """`2023` -> `'2023/24'`."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def financial_year_of(day: date) -> str:
    """The financial year label a date falls in: 2024-03-31 -> '2023/24'."""
    return financial_year_label(day.year if day.month >= FIRST_MONTH else day.year - 1)


@total_ordering
@dataclass(frozen=True)
class Quarter:
    """A financial-year quarter: `year` is the calendar year the financial year starts in."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise QprError(f"quarter number must be 1 to 4, not {self.number}")
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise QprError(
                f"the financial year {self.year} is outside the years the workbook reports "
                f"({financial_year_label(FIRST_YEAR)} to {financial_year_label(LAST_YEAR)})"
            )

    @classmethod
    def parse(cls, text: str | Quarter) -> Quarter:
        """Read `2023/24 Q2`, `2023-24-Q2`, `2023-24 Q2` or the slug `2023-24-q2`."""
        if isinstance(text, Quarter):
            return text
        match = _PATTERN.match(str(text))
        if not match:
            raise QprError(f"{quote(text)} is not a quarter: write it as {ACCEPTED_FORMS}")
        start, end, number = int(match[1]), int(match[2]), int(match[3])
        if (start + 1) % 100 != end:
            raise QprError(
                f"{quote(text)} is not a financial year: {start} must be followed by "
                f"{(start + 1) % 100:02d} (write it as {ACCEPTED_FORMS})"
            )
        if not FIRST_YEAR <= start <= LAST_YEAR:
            raise QprError(
                f"{quote(text)} is outside the years the workbook reports: expected a quarter from "
                f"{cls(FIRST_YEAR, 1)} to {cls(LAST_YEAR, 4)}"
            )
        return cls(start, number)

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """The quarter a date falls in: 2023-09-30 -> 2023/24 Q2."""
        start_year = day.year if day.month >= FIRST_MONTH else day.year - 1
        months_in = (day.month - FIRST_MONTH) % 12
        return cls(start_year, months_in // 3 + 1)

    @classmethod
    def last_ended(cls, today: date) -> Quarter:
        """The most recent quarter that has ended by `today` (the one being reported)."""
        return cls.containing(today).previous()

    @property
    def start(self) -> date:
        """First day of the quarter."""
        month = FIRST_MONTH + 3 * (self.number - 1)
        return date(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter: 2023/24 Q2 ends 2023-09-30."""
        return self.month_ends[-1]

    @property
    def month_ends(self) -> tuple[date, date, date]:
        """The three month-end dates of the quarter, in order."""
        first = self.start
        return tuple(
            _month_end(first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1)
            for k in range(3)
        )

    @property
    def financial_year(self) -> str:
        """`'2023/24'`: the key targets are set against."""
        return financial_year_label(self.year)

    @property
    def label(self) -> str:
        """`'Quarter 2, 2023/24'`."""
        return f"Quarter {self.number}, {self.financial_year}"

    @property
    def slug(self) -> str:
        """`'2023-24-q2'`: safe in file names and URLs."""
        return f"{self.year}-{(self.year + 1) % 100:02d}-q{self.number}"

    def previous(self) -> Quarter:
        """The quarter before: Q1 goes back to Q4 of the previous financial year."""
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        """The quarter after: Q4 goes on to Q1 of the next financial year."""
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def same_quarter_last_year(self) -> Quarter:
        """The same quarter of the previous financial year."""
        return Quarter(self.year - 1, self.number)

    def __lt__(self, other: Quarter) -> bool:
        if not isinstance(other, Quarter):
            return NotImplemented
        return (self.year, self.number) < (other.year, other.number)

    def __str__(self) -> str:
        return f"{self.financial_year} Q{self.number}"


RANGE_SEPARATOR = ".."
SELECTION_FORMS = (
    "a quarter ('2023/24 Q2'), a range FIRST..LAST ('2022/23 Q1..2023/24 Q2') "
    "or a comma-separated list of them"
)


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from `first` to `last`, both included, in order (empty if last < first)."""
    quarters, quarter = [], first
    while quarter <= last:
        quarters.append(quarter)
        quarter = quarter.next()
    return quarters


def parse_quarters(text: str, aliases: dict[str, Quarter] | None = None) -> list[Quarter]:
    """The quarters a selection names, in order, each once.

    `text` is a comma-separated list of quarters and ranges `FIRST..LAST` (both included):
    '2022/23 Q1..2023/24 Q2, 2019/20 Q4'. `aliases` maps words such as 'latest' (any case) to
    the quarter they stand for, usable wherever a quarter is. A range that ends before it
    starts, or a part that is not a quarter, is an error naming the part and what is expected.
    """
    words = {word.lower(): quarter for word, quarter in (aliases or {}).items()}
    problems, chosen = [], set()

    def one(part: str, where: str) -> Quarter | None:
        word = part.strip().lower()
        if word in words:
            return words[word]
        try:
            return Quarter.parse(part)
        except QprError as error:
            problems.append(f"{where}{error.problems[0]}")
            return None

    parts = [part.strip() for part in str(text).split(",")]
    if not any(parts):
        problems.append(f"'{text}' names no quarter; expected {SELECTION_FORMS}")
    for part in parts:
        if not part:
            if any(parts):
                problems.append(
                    f"'{text}': an empty item between commas; expected {SELECTION_FORMS}"
                )
            continue
        ends = part.split(RANGE_SEPARATOR)
        if len(ends) == 1:
            quarter = one(part, "")
            chosen.update([quarter] if quarter else [])
            continue
        if len(ends) != 2 or not ends[0].strip() or not ends[1].strip():
            problems.append(
                f"'{part}' is not a range: expected FIRST..LAST with a quarter on each side "
                f"of '..', e.g. '2022/23 Q1..2023/24 Q2'"
            )
            continue
        first = one(ends[0], f"range '{part}', before '..': ")
        last = one(ends[1], f"range '{part}', after '..': ")
        if first is None or last is None:
            continue
        if last < first:
            problems.append(
                f"'{part}' ends before it starts ({last} is earlier than {first}); expected "
                f"FIRST..LAST with FIRST no later than LAST, e.g. '{last}..{first}'"
            )
            continue
        chosen.update(quarter_range(first, last))
    if problems:
        raise QprError(problems)
    return sorted(chosen)
