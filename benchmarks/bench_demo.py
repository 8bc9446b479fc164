"""``healthgap demo``: the jobs' time per stage, real and synthetic, and the whole demo.

The issue's budget for the whole ``make demo`` (the real London job, the synthetic pipeline,
exports and both reports) is 2 minutes on 2 cores; this prints the jobs' share, stage by
stage, and their peak memory; then the whole demo with both reports and PDFs, its two halves
side by side (:func:`healthgap.london.demo.run`, as ``healthgap demo`` runs) against the
same work one half after the other (as it ran before), with the CPU time of each and a check
that both wrote the same bytes.
"""

from __future__ import annotations

import hashlib
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._harness import line, peak_rss_mb
from healthgap.london import demo, job
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


def _cpu_seconds() -> float:
    """User and system CPU time of this process and of its ended children."""
    mine, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def _published(out: Path) -> dict[str, str]:
    """SHA-256 of every file both halves wrote but the stores (which record when)."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.suffix != ".duckdb"
    }


def _quiet(stage: str, done: int, total: int) -> None:
    """Report no progress."""


def _one_after_the_other(out: Path, years: tuple[int, ...]) -> None:
    """The demo as it ran before: the real half, then the synthetic half, in one process."""
    real = job.run(out / "london")
    demo.publish(
        real.store_path, real.vintage, out / "london", pdf=True, every_vintage=True, progress=_quiet
    )
    fake = pipeline.run(out / "synthetic", years=years)
    demo.publish(
        fake.store_path,
        fake.vintage,
        out / "synthetic",
        pdf=True,
        every_vintage=False,
        progress=_quiet,
    )


def _cold(variant: str, out: Path, years: tuple[int, ...]) -> tuple[float, float]:
    """Wall and CPU seconds of one variant run by a fresh interpreter, as ``make demo`` is."""
    code = (
        "from pathlib import Path\n"
        "from benchmarks import bench_demo\n"
        f"bench_demo._VARIANTS[{variant!r}](Path({str(out)!r}), {years!r})\n"
    )
    cpu, t0 = _cpu_seconds(), time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
    return time.perf_counter() - t0, _cpu_seconds() - cpu


def _side_by_side(out: Path, years: tuple[int, ...]) -> None:
    demo.run(out, seed=pipeline.DEFAULT_SEED, years=years)


_VARIANTS = {"side by side": _side_by_side, "one after the other": _one_after_the_other}


def run_whole(scale: float = 1.0) -> None:
    """Run the whole demo with PDFs both ways on ``round(11 * scale)`` years (at least 3).

    Each way runs in a fresh interpreter (imports, fonts and vl-convert start cold, as in
    ``make demo``); CPU counts both processes of the side-by-side way.
    """
    n_years = max(3, round(11 * scale))
    years = tuple(range(2024 - n_years, 2024))
    size = f"{n_years} years, 2 reports"
    with tempfile.TemporaryDirectory() as tmp:
        side, one = Path(tmp) / "side", Path(tmp) / "one"
        t_side, cpu_side = _cold("side by side", side, years)
        t_one, cpu_one = _cold("one after the other", one, years)
        same = _published(side) == _published(one)
    line(
        "demo with PDFs: halves side by side",
        size,
        t_side,
        peer=t_one,
        extra=f"(peer: one after the other) CPU {cpu_side:.0f} s vs {cpu_one:.0f} s, "
        f"same bytes: {same}",
    )


def run(scale: float = 1.0) -> None:
    """Entry point for ``python -m benchmarks``."""
    run_london()
    run_bench(scale)
    run_whole(scale)
