import base64
import io
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from qprlib import charts

MONTHS = pd.date_range("2021-10-31", periods=24, freq="ME")
NAME = "Percentage of complaints responded to within timescale"


def kpi_history():
    values = np.linspace(88, 72, 24).round(1)
    values[-1] = 71.3
    target = np.where(MONTHS < "2022-04-01", 80.0, 85.0)
    floor = np.where(MONTHS < "2022-04-01", 70.0, 75.0)
    rag = np.where(values >= target, "Green", np.where(values >= floor, "Amber", "Red"))
    return pd.DataFrame(
        {"period_end": MONTHS, "value": values, "target": target, "floor": floor, "rag": rag}
    )


def decode(chart):
    match = re.fullmatch(
        r"!\[(.+)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", chart._repr_markdown_()
    )
    assert match, "markdown must be one image with alt text and a PNG data URI"
    image = Image.open(io.BytesIO(base64.b64decode(match[2])))
    image.load()
    return match[1], image


def test_kpi_chart_alt_text_says_what_it_shows():
    chart = charts.kpi_chart(NAME, kpi_history(), "percent", "higher")
    assert chart.alt == (
        "Line chart of Percentage of complaints responded to within timescale, monthly from "
        "October 2021 to September 2023 (higher is better): latest 71.3% in September 2023, "
        "below the floor standard of 75% (Red); target 85%."
    )


def test_kpi_chart_markdown_is_an_image_that_decodes():
    chart = charts.kpi_chart(NAME, kpi_history(), "percent", "higher")
    alt, image = decode(chart)
    assert alt.startswith("Line chart of Percentage of complaints")
    assert image.format == "PNG"
    assert image.size == (round(charts.WIDTH * charts.DPI), round(charts.HEIGHT * charts.DPI))
    assert chart._repr_png_() == chart.png


def test_alt_text_is_escaped_for_markdown():
    history = kpi_history()
    chart = charts.kpi_chart("Calls [answered] <in> 20s", history, "percent", "higher")
    alt, _ = decode(chart)
    assert "\\[answered\\] \\<in\\>" in alt


@pytest.mark.parametrize(
    "rag, polarity, words",
    [
        (
            "Amber",
            "higher",
            "meeting the floor standard of 75% but below the target of 85% (Amber)",
        ),
        ("Green", "higher", "meeting the target of 85% (Green)"),
        ("Red", "lower", "above the floor standard of 75% (Red)"),
    ],
)
def test_kpi_alt_text_places_the_latest_point(rag, polarity, words):
    history = kpi_history().assign(rag=rag)
    assert words in charts.kpi_alt(NAME, "monthly", history, "percent", polarity)


def test_activity_chart_alt_text_gives_the_expected_range():
    history = pd.DataFrame(
        {
            "period_end": MONTHS,
            "value": np.r_[np.full(23, 1200.0), 1600.0],
            "lower": 1000.0,
            "upper": 1400.0,
        }
    )
    chart = charts.activity_chart("Calls to the contact centre", history, "number")
    assert chart.alt.endswith(
        "latest 1,600 in September 2023, above the expected range of 1,000 to 1,400."
    )
    decode(chart)


def test_rag_by_area_chart_counts_in_alt_text():
    assessment = pd.DataFrame(
        {
            "service_area": ["Customer Services"] * 3 + ["Adult Social Care"] * 2,
            "rag": ["Green", "Red", "Red", "Amber", None],
        }
    )
    chart = charts.rag_by_area_chart(assessment)
    assert chart.alt == (
        "Stacked bar chart of KPIs by RAG rating in each service area: Customer Services "
        "1 Green, 0 Amber, 2 Red; Adult Social Care 0 Green, 1 Amber, 0 Red."
    )
    decode(chart)


def test_rag_by_area_chart_draws_grid_lines_behind_the_bars(monkeypatch):
    # seen in the rendered QPR: white hatching plus grid lines striped across the bars
    drawn = {}
    encode = charts._encode

    def capture(fig, alt):
        drawn["axisbelow"] = fig.axes[0].get_axisbelow()
        return encode(fig, alt)

    monkeypatch.setattr(charts, "_encode", capture)
    charts.rag_by_area_chart(pd.DataFrame({"service_area": ["A", "B"], "rag": ["Green", "Red"]}))
    assert drawn["axisbelow"] is True


def test_spc_chart_states_variation_and_assurance_in_words():
    values = np.r_[np.full(20, 80.0) + np.tile([1, -1], 10), 60.0]
    points = pd.DataFrame(
        {"value": values, "mean": 80.0, "lpl": 74.7, "upl": 85.3, "point_type": "common_cause"}
    )
    points.loc[20, "point_type"] = "special_cause_concern"
    dates = pd.date_range("2022-01-31", periods=21, freq="ME")
    chart = charts.spc_chart(
        NAME,
        dates,
        points,
        "percent",
        target=85.0,
        variation="special_cause_concern",
        assurance="inconsistent",
    )
    assert "mean 80%, process limits 74.7% to 85.3%, target 85%" in chart.alt
    assert "1 special-cause point;" in chart.alt
    assert "Special cause variation: concerning" in chart.alt
    assert "Inconsistently passing and falling short of the target" in chart.alt
    decode(chart)


@pytest.mark.slow  # fifty charts: ~13 s on a shared core
def test_charts_leave_no_open_figures():
    before = plt.get_fignums()
    for _ in range(50):
        charts.kpi_chart(NAME, kpi_history(), "percent", "higher")
    assert plt.get_fignums() == before


def test_chart_is_immutable():
    chart = charts.kpi_chart(NAME, kpi_history(), "percent", "higher")
    with pytest.raises(AttributeError):
        chart.alt = "changed"


# --- code review findings 7 and 10


def test_alt_text_never_rounds_a_value_onto_its_target():
    history = kpi_history()
    history.loc[23, ["value", "rag"]] = [84.96, "Amber"]  # 75 <= 84.96 < 85
    chart = charts.kpi_chart(NAME, history, "percent", "higher")
    assert "latest 84.96% in September 2023" in chart.alt
    assert "below the target of 85% (Amber)" in chart.alt


@pytest.mark.parametrize(
    "unit, ticks, labels",
    [
        ("percent", [84.9, 84.95, 85.0, 85.05, 85.1], ["84.90%", "84.95%", "85.00%", "85.05%",
                                                       "85.10%"]),
        ("percent", [80.0, 82.5, 85.0], ["80.0%", "82.5%", "85.0%"]),
        ("number", [1000.0, 2000.0], ["1,000", "2,000"]),
        ("currency", [9_000_000.0, 9_250_000.0, 9_500_000.0], ["£9,000,000", "£9,250,000",
                                                               "£9,500,000"]),
    ],
)  # fmt: skip
def test_tick_labels_are_distinct_and_exact(unit, ticks, labels):
    assert charts._axis_formatter(unit).format_ticks(ticks) == labels


def test_narrow_range_chart_has_no_repeated_tick_labels():
    history = kpi_history().assign(value=lambda h: 85 + np.tile([0.02, -0.02], 12))
    fig, ax = charts._figure()
    ax.plot(history["period_end"], history["value"])
    charts._style_time_axis(ax, history["period_end"], "percent")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert len(labels) == len(set(labels)) >= 3


def test_spc_chart_with_a_missing_month_counts_only_real_points():
    values = np.r_[np.full(20, 80.0) + np.tile([1, -1], 10), np.nan, 81.0]
    points = pd.DataFrame(
        {"value": values, "mean": 80.0, "lpl": 74.7, "upl": 85.3, "point_type": "common_cause"}
    )
    points.loc[20, "point_type"] = None  # the missing month has no point type
    dates = pd.date_range("2022-01-31", periods=22, freq="ME")
    targets = np.r_[np.full(14, 82.0), np.full(8, 85.0)]  # the target changes in April 2023
    chart = charts.spc_chart(NAME, dates, points, "percent", 85.0, "common_cause", None,
                             targets=targets)  # fmt: skip
    assert "0 special-cause points; latest 81%." in chart.alt
    decode(chart)


def test_y_ticks_fall_on_round_steps():
    history = kpi_history()
    fig, ax = charts._figure()
    ax.plot(history["period_end"], history["value"])
    charts._style_time_axis(ax, history["period_end"], "percent")
    ax.set_ylim(77, 84)  # matplotlib's own steps would tick 76.5, 78, 79.5, ...
    ticks = ax.get_yticks()
    step = ticks[1] - ticks[0]
    assert any(np.isclose(step, s * 10.0**k) for s in (1, 2, 2.5, 5) for k in (-1, 0, 1)), ticks
