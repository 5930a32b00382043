"""Report words are written once (qprlib.vocabulary) and read from there by every output."""

from __future__ import annotations

import ast
from pathlib import Path

from qprlib import assess, briefing, tables, trend, vocabulary

QPRLIB = Path(vocabulary.__file__).parent


def test_stable_is_said_as_the_kcc_key_says_it():
    assert vocabulary.STABLE_WORDS == "stable or no clear trend"  # KCC QPR key to DoT
    assert vocabulary.DIRECTION_WORDS["stable"][0] == "Stable or no clear trend"


def test_the_call_in_reason_and_the_briefing_say_the_same_words():
    assert vocabulary.STABLE_WORDS in assess.RED_NOT_IMPROVING_REASON  # so kpis.csv too
    assert vocabulary.STABLE_WORDS in briefing.DIRECTION_REASON[trend.STABLE]


def test_tables_and_trend_read_the_words_from_the_vocabulary():
    assert tables.DIRECTION_WORDS is vocabulary.DIRECTION_WORDS
    assert tables.STATUS_WORDS is vocabulary.STATUS_WORDS
    assert tables.ACTIVITY_WORDS is vocabulary.ACTIVITY_WORDS
    assert trend.STABLE_WORDS == vocabulary.STABLE_WORDS


def phrases(path: Path) -> list[str]:
    """The string constants of a module that are not docstrings (prose may quote the words)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


def test_the_phrase_is_not_written_again_in_the_library_code():
    written = [
        path.name
        for path in QPRLIB.rglob("*.py")
        if path.name != "vocabulary.py"
        and any("stable or no clear trend" in text.lower() for text in phrases(path))
    ]
    assert not written
