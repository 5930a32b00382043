"""Which KPIs a quarter should report and which have a figure (qprlib.completeness)."""

from __future__ import annotations

import pandas as pd
import pytest

from qprlib.completeness import completeness
from qprlib.io import QprData


def council(values: list[tuple[str, str, float]]) -> QprData:
    """Four KPIs over two directorates and one activity indicator, all with 2023/24 targets
    except K4 (retired: no targets row for 2023/24)."""
    indicators = pd.DataFrame(
        {
            "id": ["K1", "K2", "K3", "K4", "A1"],
            "name": ["One", "Two", "Three", "Four", "Activity"],
            "directorate": ["Adults", "Adults", "Place", "Place", "Place"],
            "service_area": ["Care", "Care", "Roads", "Roads", "Roads"],
            "kind": ["kpi", "kpi", "kpi", "kpi", "activity"],
        }
    )
    targets = pd.DataFrame({"id": ["K1", "K2", "K3", "A1"], "year": "2023/24"})
    frame = pd.DataFrame(values, columns=["id", "period_end", "value"])
    frame = frame.astype({"period_end": "datetime64[ns]", "value": float})
    empty = pd.DataFrame()
    return QprData(indicators, targets, frame, empty, empty, source=None, data_hash="")


def test_expected_kpis_have_a_targets_row_and_reported_ones_a_value_in_the_quarter():
    data = council(
        [
            ("K1", "2023-12-31", 80),  # Q3: reported
            ("K2", "2023-09-30", 70),  # Q2 only: not reported in Q3
            ("K2", "2023-11-30", float("nan")),  # a blank: not yet available
            ("K3", "2023-10-31", 5),  # October only: still reported (rated on it)
            ("K4", "2023-12-31", 1),  # not expected (retired), even with a value
            ("A1", "2023-12-31", 1),  # activity: not a KPI
        ]
    )
    c = completeness(data, "2023/24 Q3")
    assert c.expected["id"].tolist() == ["K1", "K2", "K3"]
    assert c.expected_count == 3 and c.reported_count == 2
    assert c.missing["id"].tolist() == ["K2"]
    assert c.by_directorate() == {"Adults": ["K2 Two"]}
    assert c.missing_lines() == ["Adults (1 of 2 not yet reported): K2 Two"]
    assert c.headline() == "2 of 3 KPIs have a figure for 2023/24 Q3 (66%); 1 not yet reported"
    assert c.as_dict() == {"expected": 3, "reported": 2, "missing": {"Adults": ["K2"]}}
    assert not c.complete


@pytest.mark.parametrize(
    "required, meets", [(1.0, False), (0.67, False), (2 / 3, True), (0.5, True)]
)
def test_meets_compares_the_share_reported_with_the_setting(required, meets):
    data = council([("K1", "2023-12-31", 80), ("K3", "2023-12-31", 5)])
    assert completeness(data, "2023/24 Q3").meets(required) is meets


def test_a_complete_quarter_says_so():
    data = council([(k, "2023-12-31", 1.0) for k in ("K1", "K2", "K3")])
    c = completeness(data, "2023/24 Q3")
    assert c.complete and c.meets(1.0) and c.missing_lines() == []
    assert c.headline() == "3 of 3 KPIs have a figure for 2023/24 Q3 (100%)"


def test_the_sample_quarter_is_complete():
    from pathlib import Path

    from qprlib import io

    data = io.load(Path(__file__).resolve().parents[1] / "data")
    c = completeness(data, "2023/24 Q2")
    assert c.expected_count == 38 and c.complete  # data/README.md: 38 KPIs, all reported


def test_the_site_index_says_how_complete_each_quarter_is(tmp_path):
    import json

    from qprlib.completeness import COMPLETENESS_FILE
    from qprlib.pipeline.site_index import index_page

    data = council([("K1", "2023-12-31", 80), ("K3", "2023-12-31", 5)])
    words = completeness(data, "2023/24 Q3").site_words(draft=True)
    assert words == (
        "2 of 3 KPIs have a figure for 2023/24 Q3 (66%); 1 not yet reported. "
        "These are draft reports."
    )
    folder = tmp_path / "site" / "2023-24-q3"
    folder.mkdir(parents=True)
    (folder / "cover.html").write_text("<p>cover</p>")
    (folder / COMPLETENESS_FILE).write_text(json.dumps({"words": words}))
    page = index_page(tmp_path / "site")
    assert f'<p class="meta">{words}</p>' in page


def test_the_line_on_every_page_of_a_draft_says_draft_and_who_has_not_reported():
    from qprlib.completeness import draft_mark

    # K1 reported; K2 (Adults) and K3 (Place) not: two directorates with one missing each
    c = completeness(council([("K1", "2023-12-31", 80)]), "2023/24 Q3")
    assert draft_mark(c) == (
        "DRAFT – not for publication. 1 of 3 KPIs have a figure for 2023/24 Q3 (33%); "
        "2 not yet reported (Adults 1; Place 1)"
    )
    complete = completeness(
        council([(k, "2023-12-31", 1.0) for k in ("K1", "K2", "K3")]), "2023/24 Q3"
    )
    assert draft_mark(complete) == (  # a draft of a complete quarter still says DRAFT
        "DRAFT – not for publication. 3 of 3 KPIs have a figure for 2023/24 Q3 (100%)"
    )
