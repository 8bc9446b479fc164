"""The main job (``healthgap demo`` without the reports): time per stage, real and synthetic.

The issue's budget for the whole ``make demo`` (the real London job, the synthetic pipeline,
exports and both reports) is 2 minutes on 2 cores; this prints the jobs' share, stage by
stage, and their peak memory.
"""

from __future__ import annotations

import tempfile
import time

from benchmarks._harness import line, peak_rss_mb
from healthgap.london import job
from healthgap.london.synthetic import pipeline


def run_bench(scale: float = 1.0) -> None:
    """Run the main job on ``round(11 * scale)`` years (at least 3) and print stage times."""
    n_years = max(3, round(11 * scale))
    years = tuple(range(2024 - n_years, 2024))
    finished: dict[str, float] = {}
    start = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:
            finished[stage] = time.perf_counter()

    with tempfile.TemporaryDirectory() as out:
        peak, result = peak_rss_mb(lambda: pipeline.run(out, years=years, progress=progress))
    total = time.perf_counter() - start
    size = f"{n_years} years, 33 boroughs"
    previous = start
    for stage in pipeline.STAGES:
        line(f"demo pipeline: {stage}", size, finished[stage] - previous)
        previous = finished[stage]
    line(
        "demo pipeline: total",
        size,
        total,
        extra=f"{result.n_values:,} values, {result.n_values / total:,.0f} values/s, "
        f"peak +{peak:,.0f} MB",
    )


def run_london() -> None:
    """Run the real London job on the shipped snapshot (its size is fixed) and print stages."""
    finished: dict[str, float] = {}
    start = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:
            finished[stage] = time.perf_counter()

    with tempfile.TemporaryDirectory() as out:
        peak, result = peak_rss_mb(lambda: job.run(out, progress=progress))
    total = time.perf_counter() - start
    size = f"{len(result.source_vintages)} sources, 33 boroughs"
    previous = start
    for stage in job.STAGES:
        line(f"london job: {stage}", size, finished[stage] - previous)
        previous = finished[stage]
    line(
        "london job: total", size, total, extra=f"{result.n_values:,} values, peak +{peak:,.0f} MB"
    )


def run(scale: float = 1.0) -> None:
    """Entry point for ``python -m benchmarks``."""
    run_london()
    run_bench(scale)
