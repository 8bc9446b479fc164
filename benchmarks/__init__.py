"""Benchmarks: run with ``make bench`` (``python -m benchmarks [topic ...] [--scale S]``)."""
