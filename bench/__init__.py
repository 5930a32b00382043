"""Benchmarks: `make bench` (python -m bench) prints the table recorded in docs/benchmarks.md."""
