"""Life expectancy, healthy life expectancy and the gap decomposition on many groups.

PHEindicatormethods 2.1.0 (R 4.5) takes about 19.5 s for the life-expectancy workload on a
machine like this one (issue 3); R is not installed here, so that time is printed as the
reference, not measured.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks._harness import line, median_seconds, peak_rss_mb
from healthgap.methods import healthy_life_expectancy, life_expectancy
from healthgap.methods.decomposition import decompose_gap

AGES = [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]
R_SECONDS = 19.5  # PHEindicatormethods 2.1.0, 5,000 areas x 20 bands (issue 3)


def _areas(n_areas: int, seed: int = 42) -> pl.DataFrame:
    """Seeded synthetic deaths and populations: n_areas x 20 bands, shuffled rows."""
    rng = np.random.default_rng(seed)
    pops = rng.integers(2_000, 12_000, size=(n_areas, 20)).astype(float)
    pops[:, 0] //= 5  # the infant band is one year wide
    rates = np.exp(np.linspace(-7.5, -1.6, 20)) * rng.uniform(0.7, 1.4, (n_areas, 1))
    deaths = rng.poisson(pops * rates).astype(float)
    deaths[:, -1] = np.maximum(deaths[:, -1], 1)
    frame = pl.DataFrame(
        {
            "area": np.repeat([f"A{i:05d}" for i in range(n_areas)], 20),
            "age": np.tile(AGES, n_areas),
            "pops": pops.ravel(),
            "deaths": deaths.ravel(),
            "good": np.tile(np.linspace(0.95, 0.5, 20), n_areas),
            "n": np.tile(np.linspace(400, 80, 20).round(), n_areas),
        }
    )
    return frame.sample(fraction=1.0, shuffle=True, seed=seed)


def run(scale: float = 1.0) -> None:
    n_areas = max(int(5_000 * scale), 2)
    data = _areas(n_areas)
    rows = len(data)
    size = f"{n_areas:,} areas x 20 bands"

    def le() -> object:
        return life_expectancy(data, "deaths", "pops", "age", group_by="area")

    def hle() -> object:
        return healthy_life_expectancy(
            data, "deaths", "pops", "age", "good", prevalence_n="n", group_by="area"
        )

    n_pairs = n_areas  # 5,000 pairs: 10,000 populations
    pairs = _areas(2 * n_pairs, seed=7).with_columns(
        pair=pl.col("area").str.slice(1).cast(pl.Int64) // 2,
        side=pl.col("area").str.slice(1).cast(pl.Int64) % 2,
    )

    def gap() -> object:
        return decompose_gap(pairs, "deaths", "pops", "age", "side", reference=0, group_by="pair")

    le()  # warm up
    t = median_seconds(le)
    mem, _ = peak_rss_mb(le)
    line(
        "life expectancy (Chiang II)",
        size,
        t,
        R_SECONDS,
        None,
        f"{rows / t:,.0f} rows/s  peak +{mem:.0f} MB  (peer = PHEindicatormethods, "
        "reference time from issue 3, not measured; goal < 0.5 s)",
    )
    hle()
    t = median_seconds(hle)
    line("healthy life expectancy (Sullivan)", size, t, extra=f"{rows / t:,.0f} rows/s")
    gap()
    t = median_seconds(gap)
    line(
        "gap decomposition (Arriaga)",
        f"{n_pairs:,} pairs x 20 bands",
        t,
        extra=f"{len(pairs) / t:,.0f} input rows/s",
    )
