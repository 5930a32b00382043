"""Financial-year quarters: April to March, as UK councils report them."""

from datetime import date

import pytest

from qprlib.errors import QprError
from qprlib.periods import ACCEPTED_FORMS, Quarter, financial_year_of, parse_quarters, quarter_range

Q2 = Quarter(2023, 2)


@pytest.mark.parametrize(
    "text",
    [
        "2023/24 Q2",  # the report's own spelling
        "2023-24-Q2",
        "2023-24 Q2",
        "2023-24-q2",  # the slug
        "2023/24 q2",  # case does not matter
        "  2023/24 Q2 ",
    ],
)
def test_parse_accepts_the_documented_spellings(text):
    assert Quarter.parse(text) == Q2


def test_parse_passes_a_quarter_through():
    assert Quarter.parse(Q2) is Q2


def test_parse_reads_the_century_boundary():
    assert Quarter.parse("1999/00 Q4") == Quarter(1999, 4)


@pytest.mark.parametrize(
    "text",
    ["2023 Q2", "Q2 2023/24", "2023/24 Q5", "2023/24 Q0", "2023/24", "2023/2024 Q2", "", "Q2"],
)
def test_parse_rejects_other_forms_and_lists_the_accepted_ones(text):
    with pytest.raises(QprError) as error:
        Quarter.parse(text)
    assert ACCEPTED_FORMS in str(error.value)
    assert "2023/24 Q2" in str(error.value)


def test_parse_rejects_a_year_that_is_not_a_financial_year():
    with pytest.raises(QprError, match="must be followed by 24") as error:
        Quarter.parse("2023/25 Q2")
    assert ACCEPTED_FORMS in str(error.value)


def test_quarter_number_must_be_one_to_four():
    with pytest.raises(QprError):
        Quarter(2023, 5)


@pytest.mark.parametrize(
    "number, start, end",
    [
        (1, date(2023, 4, 1), date(2023, 6, 30)),
        (2, date(2023, 7, 1), date(2023, 9, 30)),
        (3, date(2023, 10, 1), date(2023, 12, 31)),
        (4, date(2024, 1, 1), date(2024, 3, 31)),  # Q4 is in the next calendar year
    ],
)
def test_start_and_end(number, start, end):
    quarter = Quarter(2023, number)
    assert (quarter.start, quarter.end) == (start, end)


def test_month_ends_include_a_leap_february():
    assert Quarter(2023, 4).month_ends == (date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31))
    assert Quarter(2022, 4).month_ends[1] == date(2023, 2, 28)


def test_previous_crosses_the_financial_year():
    assert Quarter(2023, 1).previous() == Quarter(2022, 4)
    assert Quarter(2023, 2).previous() == Quarter(2023, 1)


def test_next_crosses_the_financial_year():
    assert Quarter(2022, 4).next() == Quarter(2023, 1)


def test_same_quarter_last_year():
    assert Q2.same_quarter_last_year() == Quarter(2022, 2)
    assert Quarter(2023, 4).same_quarter_last_year().end == date(2023, 3, 31)


def test_names():
    assert Q2.label == "Quarter 2, 2023/24"
    assert Q2.slug == "2023-24-q2"
    assert str(Q2) == "2023/24 Q2"
    assert Q2.financial_year == "2023/24"


def test_slug_and_str_round_trip():
    assert Quarter.parse(Q2.slug) == Q2
    assert Quarter.parse(str(Q2)) == Q2


def test_ordering_follows_time():
    quarters = [Quarter(2023, 1), Quarter(2022, 4), Quarter(2023, 2), Quarter(2022, 1)]
    assert sorted(quarters) == [Quarter(2022, 1), Quarter(2022, 4), Quarter(2023, 1), Q2]
    assert Quarter(2022, 4) < Quarter(2023, 1)
    assert max(quarters) == Q2
    assert len({Quarter(2023, 2), Quarter.parse("2023-24-Q2")}) == 1  # hashable, by value


@pytest.mark.parametrize(
    "day, quarter",
    [
        (date(2024, 3, 31), Quarter(2023, 4)),
        (date(2024, 4, 1), Quarter(2024, 1)),
        (date(2023, 6, 30), Quarter(2023, 1)),
        (date(2023, 7, 1), Quarter(2023, 2)),
        (date(2024, 1, 1), Quarter(2023, 4)),
        (date(2023, 12, 31), Quarter(2023, 3)),
    ],
)
def test_containing(day, quarter):
    assert Quarter.containing(day) == quarter


@pytest.mark.parametrize(
    "today, reported",
    [
        (date(2024, 3, 31), Quarter(2023, 3)),  # Q4 has not ended until the day is over
        (date(2024, 4, 1), Quarter(2023, 4)),
        (date(2023, 6, 30), Quarter(2022, 4)),
        (date(2023, 7, 1), Quarter(2023, 1)),
    ],
)
def test_last_ended(today, reported):
    assert Quarter.last_ended(today) == reported


@pytest.mark.parametrize(
    "day, year",
    [(date(2024, 3, 31), "2023/24"), (date(2024, 4, 1), "2024/25"), (date(2000, 1, 1), "1999/00")],
)
def test_financial_year_of(day, year):
    assert financial_year_of(day) == year


# --- selections: lists and ranges (`qpr build "2022/23 Q1..2023/24 Q2"`)


def test_quarter_range_counts_four_a_year_and_crosses_financial_years():
    quarters = quarter_range(Quarter(2022, 3), Quarter(2023, 2))
    assert quarters == [Quarter(2022, 3), Quarter(2022, 4), Quarter(2023, 1), Quarter(2023, 2)]
    # The sample data: 2019/20 Q1 to 2023/24 Q2 is 4 full years and 2 quarters.
    assert len(quarter_range(Quarter(2019, 1), Quarter(2023, 2))) == 4 * 4 + 2
    assert quarter_range(Q2, Q2) == [Q2]
    assert quarter_range(Q2, Quarter(2023, 1)) == []


def test_parse_quarters_reads_a_range_both_ends_included():
    assert parse_quarters("2022/23 Q1..2023/24 Q2") == quarter_range(Quarter(2022, 1), Q2)
    assert len(parse_quarters("2022/23 Q1..2023/24 Q2")) == 6
    assert parse_quarters("2022-23-q4 .. 2023-24-q1") == [Quarter(2022, 4), Quarter(2023, 1)]


def test_parse_quarters_reads_a_list_in_time_order_each_once():
    text = "2023/24 Q2, 2019/20 Q4, 2023-24-q2, 2022/23 Q4..2023/24 Q1"
    assert parse_quarters(text) == [Quarter(2019, 4), Quarter(2022, 4), Quarter(2023, 1), Q2]
    assert parse_quarters("2023/24 Q2") == [Q2]


def test_parse_quarters_takes_aliases_anywhere_a_quarter_goes():
    latest = {"latest": Q2}
    assert parse_quarters("2023/24 Q1..latest", latest) == [Quarter(2023, 1), Q2]
    assert parse_quarters("LATEST", latest) == [Q2]


def test_a_range_that_ends_before_it_starts_says_which_way_round():
    with pytest.raises(QprError) as error:
        parse_quarters("2023/24 Q2..2022/23 Q1")
    [message] = error.value.problems
    assert "'2023/24 Q2..2022/23 Q1' ends before it starts" in message
    assert "2022/23 Q1 is earlier than 2023/24 Q2" in message
    assert "'2022/23 Q1..2023/24 Q2'" in message  # the range the right way round


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022/23 Q1..", "with a quarter on each side of '..'"),
        ("..2023/24 Q2", "with a quarter on each side of '..'"),
        ("2022/23 Q1..2022/23 Q3..2023/24 Q2", "is not a range"),
        ("", "names no quarter"),
        (" , ", "names no quarter"),
        ("2023/24 Q2,,2023/24 Q1", "an empty item between commas"),
    ],
)
def test_a_malformed_selection_names_what_is_expected(text, expected):
    with pytest.raises(QprError) as error:
        parse_quarters(text)
    assert expected in str(error.value)


def test_every_bad_part_is_reported_at_once():
    with pytest.raises(QprError) as error:
        parse_quarters("2023/24 Q5..2023/24 Q2, 2023 Q1")
    first, second = error.value.problems
    assert first.startswith("range '2023/24 Q5..2023/24 Q2', before '..': '2023/24 Q5'")
    assert ACCEPTED_FORMS in first
    assert second.startswith("'2023 Q1' is not a quarter")
