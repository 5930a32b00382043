import base64
import re
from pathlib import Path
from xml.etree import ElementTree

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import pytest

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
        r"!\[(.+)\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", chart._repr_markdown_()
    )
    assert match, "markdown must be one image with alt text and an SVG data URI"
    svg = ElementTree.fromstring(base64.b64decode(match[2]))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    return match[1], svg


def test_kpi_chart_alt_text_says_what_it_shows():
    chart = charts.kpi_chart(NAME, kpi_history(), "percent", "higher")
    assert chart.alt == (
        "Line chart of Percentage of complaints responded to within timescale, monthly from "
        "October 2021 to September 2023 (higher is better): latest 71.3% in September 2023, "
        "below the floor standard of 75% (Red); target 85%. The line runs from 88% in October "
        "2021 to 71.3% in September 2023; the target changed from 80% to 85% in April 2022."
    )


def test_kpi_alt_text_gives_the_shape_the_gaps_and_the_direction_of_travel():
    # review major 13 and minor 5: the alt gave the latest point only; a missing month was
    # silent; the direction of travel (judged over the period shown) was not in it
    history = kpi_history()
    history.loc[5, "value"] = 95.0  # a peak in March 2022
    history.loc[14, ["value", "rag"]] = [np.nan, None]  # nothing for December 2022
    alt = charts.kpi_chart(NAME, history, "percent", "higher", direction="worsening").alt
    assert "The line runs from 88% in October 2021 to 71.3% in September 2023, " in alt
    assert "highest 95% in March 2022" in alt
    assert "; no value for December 2022;" in alt
    assert alt.endswith("Direction of travel over the period shown: Worsening.")


def test_kpi_chart_markdown_is_a_vector_image_that_decodes():
    # review major 7: charts were 112 ppi PNGs, soft in print and unusable zoomed on a phone
    chart = charts.kpi_chart(NAME, kpi_history(), "percent", "higher")
    alt, svg = decode(chart)
    assert alt.startswith("Line chart of Percentage of complaints")
    assert svg.get("width") == f"{charts.WIDTH * 72:g}pt"
    assert svg.find(".//{http://www.w3.org/2000/svg}image") is None  # no raster inside
    assert chart._repr_svg_() == chart.svg.decode()


def test_same_chart_same_bytes():
    # build stamps and reviews compare outputs: no date or random ids in the SVG
    one = charts.kpi_chart(NAME, kpi_history(), "percent", "higher")
    assert charts.kpi_chart(NAME, kpi_history(), "percent", "higher").svg == one.svg


def _text_sizes(monkeypatch, make) -> list[float]:
    sizes = []
    encode = charts._encode

    def capture(fig, alt):
        fig.canvas.draw()
        sizes.extend(
            t.get_fontsize()
            for t in fig.findobj(match=matplotlib.text.Text)
            if t.get_visible() and t.get_text().strip()
        )
        return encode(fig, alt)

    monkeypatch.setattr(charts, "_encode", capture)
    make()
    return sizes


def test_chart_text_is_at_least_9pt_printed_and_14px_on_screen(monkeypatch):
    # review major 7: tick and legend labels were 6-7 pt beside 10 pt body text
    css = (Path(charts.__file__).parent / "templates" / "qpr.css").read_text()
    shown_px = float(re.search(r"figure img \{[^}]*width: (\d+)rem", css)[1]) * 16
    a4_text_width_in = (210 - 2 * 18) / 25.4  # report.typ margins
    history = kpi_history()
    values = np.r_[np.full(20, 80.0) + np.tile([1, -1], 10), 60.0]
    points = pd.DataFrame(
        {"value": values, "mean": 80.0, "lpl": 74.7, "upl": 85.3, "point_type": "common_cause"}
    )
    makers = [
        lambda: charts.kpi_chart(NAME, history, "percent", "higher"),
        lambda: charts.rag_by_area_chart(pd.DataFrame({"service_area": ["A"], "rag": ["Red"]})),
        lambda: charts.spc_chart(NAME, pd.date_range("2022-01-31", periods=21, freq="ME"),
                                 points, "percent", 85.0, "common_cause", "inconsistent"),
    ]  # fmt: skip
    for make in makers:
        smallest = min(_text_sizes(monkeypatch, make))
        assert smallest * a4_text_width_in / charts.WIDTH >= 9
        assert smallest * 96 / 72 * shown_px / (charts.WIDTH * 96) >= 14


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
    assert "mean 80%, normal range (process limits) 74.7% to 85.3%, target 85%" in chart.alt
    assert "1 special-cause point;" in chart.alt
    assert "The latest month shows an unusual change for the worse" in chart.alt
    assert "the target will be met in some months and missed in others." in chart.alt
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


def test_headline_trend_chart_says_every_quarters_counts():
    from qprlib.summary import trend_table

    def kpis(green, amber, red):
        rags = ["Green"] * green + ["Amber"] * amber + ["Red"] * red
        return pd.DataFrame({"kind": "kpi", "rag": rags, "value": 1.0, "direction": "stable"})

    trend = trend_table({"2023/24 Q1": kpis(16, 11, 11), "2023/24 Q2": kpis(15, 15, 8)})
    chart = charts.headline_trend_chart(trend)
    assert b"<svg" in chart.svg
    assert chart.alt == (
        "Stacked bar chart of KPIs by RAG rating in each of the last 2 quarters: "
        "2023/24 Q1 16 Green, 11 Amber, 11 Red; 2023/24 Q2 15 Green, 15 Amber, 8 Red."
    )


def test_kpi_chart_draws_the_comparator_median_and_england_labelled():
    periods = [MONTHS[-7], MONTHS[-4], pd.Timestamp("2019-06-30")]  # the last is off the chart
    lines = pd.DataFrame(
        {
            "id": "K",
            "group": ["similar councils"] * 3 + ["England"] * 3,
            "published": [False] * 3 + [True] * 3,
            "period": periods * 2,
            "value": [80.0, 81.3, 60.0, 82.0, 83.0, 61.0],
        }
    )
    chart = charts.kpi_chart(NAME, kpi_history(), "percent", "higher", comparators=lines)
    assert chart.alt.endswith(
        f"Median of similar councils 81.3% and England 83% in {MONTHS[-4]:%B %Y}."
    )
    labels = re.findall(rb"<!-- (.*?) -->", chart.svg)
    assert b"Median of similar" in labels and b"England" in labels  # in the legend
    assert labels.index(b"England") < labels.index(b"Target")  # beside target and floor
    without = charts.kpi_chart(NAME, kpi_history(), "percent", "higher")
    assert b"England" not in without.svg and "Median" not in without.alt
