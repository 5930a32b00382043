"""qprlib: the logic and pipeline behind the council's Quarterly Performance Report workbook."""

from qprlib.startup import defer_iri_grammar

__version__ = "0.1.0"

defer_iri_grammar()  # ~2 s less start-up in every build process that reads notebooks
