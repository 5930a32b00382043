"""Which quarters `qpr build --all` and quarter ranges build (issue 18).

Expected values come from quarter arithmetic: the sample data runs from April 2019 to
September 2023 with targets for every financial year 2019/20 to 2023/24, so it can report
2019/20 Q1 to 2023/24 Q2: four years of four quarters and two more, 18.
"""

from dataclasses import replace
from datetime import date

from qprlib import io
from qprlib.periods import Quarter, quarter_range


def test_the_sample_data_can_report_eighteen_quarters(sample_data):
    quarters = io.reportable_quarters(sample_data, today=date(2026, 1, 1))
    assert quarters == quarter_range(Quarter(2019, 1), Quarter(2023, 2))
    assert len(quarters) == 4 * 4 + 2


def test_a_quarter_that_has_not_ended_is_not_reportable(sample_data):
    # On 30 September 2023 the quarter 2023/24 Q2 has not ended (it ends that day).
    quarters = io.reportable_quarters(sample_data, today=date(2023, 9, 30))
    assert quarters[-1] == Quarter(2023, 1)
    assert len(quarters) == 17


def test_a_year_without_targets_is_left_out(sample_data):
    targets = sample_data.targets[sample_data.targets["year"] != "2021/22"]
    quarters = io.reportable_quarters(replace(sample_data, targets=targets), date(2026, 1, 1))
    assert len(quarters) == 18 - 4
    assert not [q for q in quarters if q.financial_year == "2021/22"]
    assert Quarter(2020, 4) in quarters and Quarter(2022, 1) in quarters


def test_no_values_no_quarters(sample_data):
    empty = replace(sample_data, values=sample_data.values.iloc[:0])
    assert io.reportable_quarters(empty, date(2026, 1, 1)) == []
