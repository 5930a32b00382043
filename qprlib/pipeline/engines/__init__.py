"""Renderers of executed notebooks: the built-in engine and Quarto."""
