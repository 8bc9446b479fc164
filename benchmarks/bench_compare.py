"""Comparisons at scale: benchmark and recent trend for 10 million values (goal: < 10 s).

The workload is every small area x indicator x period: at scale 1, 1,000,000 series (20,000
areas x 50 indicators) of 10 annual periods, 10 million values in all, as one Polars table.
No peer package computes Fingertips' judgements, so each line reports our time, throughput
and the process CPU time (which, unlike wall time, does not grow when other work shares the
machine).
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from benchmarks._harness import line, median_seconds, peak_rss_mb
from healthgap.compare import benchmark, recent_trend

GOAL_SECONDS = 10.0


def _values(n_rows: int, seed: int = 20261123) -> pl.DataFrame:
    """Proportions for small areas x indicators x 10 periods, with Wilson-like 95% limits."""
    rng = np.random.default_rng(seed)
    periods = 10
    n_series = n_rows // periods
    denominators = rng.integers(200, 5_000, n_rows)
    p = rng.uniform(0.02, 0.4, n_series).repeat(periods)
    counts = rng.binomial(denominators, p)
    value = counts / denominators
    half = 1.96 * np.sqrt(np.maximum(value * (1 - value), 1e-4) / denominators)
    series = np.arange(n_series).repeat(periods)
    return pl.DataFrame(
        {
            "area": series // 50,
            "indicator": series % 50,
            "period": np.tile(np.arange(2014, 2014 + periods), n_series),
            "x": counts,
            "n": denominators,
            "value": value,
            "lowercl": value - half,
            "uppercl": value + half,
            "england": np.full(n_rows, 0.2),
        }
    )


def run(scale: float = 1.0) -> None:
    n_rows = max(int(10_000_000 * scale) // 10 * 10, 10)
    df = _values(n_rows)
    size = f"{n_rows:,} values"

    def compare() -> pl.DataFrame:
        return benchmark(df, benchmark_value="england", polarity="low_is_good")

    def compare_two_levels() -> pl.DataFrame:
        return benchmark(
            df,
            "value",
            ["lowercl", "lowercl"],
            ["uppercl", "uppercl"],
            "england",
            polarity="low_is_good",
            confidence=(95, 99.8),
        )

    def trend() -> pl.DataFrame:
        return recent_trend(
            df, "x", "n", "period", group_by=["area", "indicator"], polarity="low_is_good"
        )

    memory, out = peak_rss_mb(compare)
    assert len(out) == n_rows
    seconds = median_seconds(compare, repeat=3)
    line(
        "benchmark (95% CI overlap)",
        size,
        seconds,
        extra=f"{n_rows / seconds:,.0f} rows/s  peak +{memory:,.0f} MB",
    )
    seconds = median_seconds(compare_two_levels, repeat=3)
    line("benchmark (95%/99.8%)", size, seconds, extra=f"{n_rows / seconds:,.0f} rows/s")

    memory, out = peak_rss_mb(trend)
    assert len(out) == n_rows // 10
    seconds = median_seconds(trend, repeat=3)
    line(
        "recent_trend (proportions)",
        size,
        seconds,
        extra=f"{n_rows / seconds:,.0f} rows/s  {len(out):,} series  peak +{memory:,.0f} MB",
    )

    cpu = time.process_time()
    total = median_seconds(lambda: (compare(), trend()), repeat=3)
    cpu = (time.process_time() - cpu) / 3
    verdict = ""
    if scale == 1:
        verdict = f"  goal < {GOAL_SECONDS:g} s: {'met' if total < GOAL_SECONDS else 'MISSED'}"
    line("benchmark + recent_trend", size, total, extra=f"cpu {cpu:.3f} s{verdict}")
