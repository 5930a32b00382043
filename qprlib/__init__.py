"""qprlib: the logic and pipeline behind the council's Quarterly Performance Report workbook."""

__version__ = "0.1.0"
