"""The words reports say, each once: direction of travel, milestone status, activity alerts.

Tables, charts, the narrative, the call-in reasons (and so kpis.csv's `call_in_reason`) and
the briefing read them from here, so "stable or no clear trend" is written once (KCC's key).
RAG words are the rule's own (`qprlib.rag`: GREEN, AMBER, RED); their colours and shapes are
presentation (`qprlib.tables.RAG_COLOURS`, `RAG_SYMBOLS`).
"""

from __future__ import annotations

STABLE_WORDS = "stable or no clear trend"  # how "stable" is said to members (KCC key)
# Direction of travel: the word is the content; the arrow is a decorative cue (aria-hidden).
DIRECTION_WORDS = {
    "improving": ("Improving", "↑"),
    "stable": (STABLE_WORDS.capitalize(), "→"),  # "Stable or no clear trend"
    "worsening": ("Worsening", "↓"),
    "increasing": ("Increasing", "↑"),
    "no change": ("No clear trend", "→"),  # the KPIs' "no clear trend", without a polarity
    "decreasing": ("Decreasing", "↓"),
}
# Milestone status, Halton style: a symbol that also carries a word.
STATUS_WORDS = {
    "complete": ("Complete", "✔"),
    "on_track": ("On track", "●"),
    "uncertain": ("Uncertain", "?"),
    "off_track": ("Off track", "✖"),
}
ACTIVITY_WORDS = {"above": "Above range", "below": "Below range", "within": "Within range"}
NO_DATA = "No data"
