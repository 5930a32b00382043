"""Every run setting params/ may hold, declared once: its name and checker (SETTINGS), the
vocabularies of the choice settings, which are required and which belong in a quarter's own
file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qprlib.checkers import (
    _area_code,
    _comparator_groups,
    _contacts,
    _dashboards,
    _date_or_blank,
    _flag,
    _fraction,
    _iso_date,
    _one_of,
    _optional_text,
    _paragraph,
    _people,
    _quarter,
    _share,
    _text,
    _text_lines,
    _text_list,
    _whole,
)

DOT_METHODS = ("regression", "previous", "same_period_last_year")  # qprlib.trend methods
AMBER_MODES = ("floor", "tolerance")  # qprlib.rag: KCC floor standard, or within N% of target
COVER_STYLES = ("kcc", "halton")  # seed 001 (Kent Cabinet) or seed 004 (Halton Executive Board)
# seed 004's sections 4.0-9.0 and header lines, each a paragraph (or line) the council writes
HALTON_TEXTS = (
    "reporting_officer", "portfolio", "wards", "policy_implications", "other_implications",
    "priorities_implications", "risk_analysis", "equality_and_diversity", "background_papers",
)  # fmt: skip


SETTINGS: dict[str, Callable[[Any], Any]] = {
    "quarter": _quarter,
    "council": _text,
    "committee": _text,
    "meeting_date": _date_or_blank,
    "author": _people,
    "directorates": _text_list,
    "dot_method": _one_of(*DOT_METHODS),
    "dot_window_quarters": _whole(2),
    "dot_window_months": _whole(2),
    "dot_alpha": _fraction,
    "amber_mode": _one_of(*AMBER_MODES),
    "amber_tolerance": _fraction,
    "spc_screen_outliers": _flag,
    "spc_baseline_months": _whole(3),
    "spc_baseline_quarters": _whole(3),
    "decision_no": _optional_text,
    "contacts": _contacts,
    "directorate_committee": _optional_text,
    "directorate_author": _people,
    "execution_timeout": _whole(1),
    "assurance_meeting": _optional_text,
    "assurance_meeting_date": _iso_date,
    "area_code": _area_code,
    "comparator_groups": _comparator_groups,
    "dashboards": _dashboards,
    "background_documents": _text_lines,
    "build_details": _flag,
    "cover_style": _one_of(*COVER_STYLES),
    "completeness": _share,
    "returns_deadline": _date_or_blank,
    **dict.fromkeys(HALTON_TEXTS, _paragraph),
}
QUARTER_FILE_ONLY = ("quarter",)
REQUIRED = ("council", "committee")
