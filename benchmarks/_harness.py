"""Timing, memory and agreement helpers shared by every benchmark module."""

from __future__ import annotations

import gc
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import psutil


def median_seconds(fn: Callable[[], Any], repeat: int = 5, min_total: float = 0.0) -> float:
    """Median wall time of ``repeat`` warm calls of ``fn`` (call it once before to warm up)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if min_total and sum(times) > min_total:
            break
    return statistics.median(times)


def peak_rss_mb(fn: Callable[[], Any], interval: float = 0.005) -> tuple[float, Any]:
    """Peak resident memory growth (MB) of this process while ``fn`` runs, and its result.

    Sampled from a thread every ``interval`` seconds (psutil), so it counts memory allocated
    by native code (numpy, Arrow, DuckDB, R-free peers) as well as Python objects.
    """
    proc = psutil.Process()
    gc.collect()
    base = proc.memory_info().rss
    peak = base
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, proc.memory_info().rss)
            time.sleep(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        result = fn()
    finally:
        done.set()
        thread.join()
    peak = max(peak, proc.memory_info().rss)
    return (peak - base) / 2**20, result


def traced_peak_mb(fn: Callable[[], Any]) -> float:
    """Peak of the allocations tracemalloc sees (MB) while ``fn`` runs.

    numpy, pandas and Python objects are traced; Arrow's and Polars' own allocators are not.
    """
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def max_rel_diff(a: Any, b: Any) -> float:
    """Largest relative difference between two numeric arrays (NaN == NaN)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
    rel = np.where(both_nan | (a == b), 0.0, rel)
    return float(np.nanmax(rel)) if rel.size else 0.0


def line(
    name: str,
    size: str,
    ours: float,
    peer: float | None = None,
    diff: float | None = None,
    extra: str = "",
) -> None:
    """Print one result line: workload, size, our time, peer time and ratio, difference."""
    text = f"{name:<34} {size:<22} healthgap {ours:8.3f} s"
    if peer is not None:
        text += f"  peer {peer:8.3f} s  {peer / ours:7.1f}x faster"
    if diff is not None:
        text += f"  max rel diff {diff:.1e}"
    if extra:
        text += f"  {extra}"
    print(text, flush=True)
