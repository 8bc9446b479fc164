"""Made-up LSOA to ward lookups FOR TESTS ONLY: they exercise the ward path, never ship.

Real ONS lookups are not on this machine (nor in the repository); these rules give every
London LSOA a ward of the GLA ward life expectancy so the whole ward path runs end to end.
Their wards are NOT the real wards of those LSOAs, and nothing they produce is published.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl


def by_code_runs(lsoa_codes: pl.Series, ward_codes: pl.Series, path: Path) -> Path:
    """Write a lookup: LSOAs and wards each sorted by code, LSOAs cut into consecutive runs.

    Run ``i`` of the sorted LSOAs goes to the ``i``-th ward (as many runs as wards). Both
    codes run borough by borough, so most runs fall in their ward's borough, not all.
    """
    lsoas, wards = lsoa_codes.unique().sort(), ward_codes.unique().sort()
    index = (pl.int_range(0, lsoas.len(), eager=True) * wards.len()) // lsoas.len()
    pl.DataFrame(
        {"LSOA11CD": lsoas, "WD11CD": wards.gather(index), "FID": range(1, lsoas.len() + 1)}
    ).write_csv(path)
    return path


def by_borough_name_order(lsoas: pl.DataFrame, wards: pl.DataFrame, path: Path) -> Path:
    """Write a lookup: within each borough, LSOAs in name order dealt to wards in name order.

    ``lsoas`` has ``lsoa_code``, ``lsoa_name``, ``borough_code``; ``wards`` has
    ``ward_code``, ``ward_name``, ``borough_code``. Within a borough the :math:`n` LSOAs
    sorted by name are cut into as many consecutive runs as the borough has wards (sorted by
    name), run :math:`i` to ward :math:`i`: every LSOA stays in its own borough.
    """
    lsoas = lsoas.sort("borough_code", "lsoa_name").with_columns(
        pl.int_range(pl.len()).over("borough_code").alias("_i"),
        pl.len().over("borough_code").alias("_n"),
    )
    wards = wards.sort("borough_code", "ward_name").with_columns(
        pl.int_range(pl.len()).over("borough_code").alias("_j"),
        pl.len().over("borough_code").alias("_m"),
    )
    counts = wards.group_by("borough_code").agg(pl.col("_m").first())
    dealt = (
        lsoas.join(counts, on="borough_code", how="inner")
        .with_columns(((pl.col("_i") * pl.col("_m")) // pl.col("_n")).alias("_j"))
        .join(wards.drop("_m"), on=["borough_code", "_j"], how="inner")
    )
    dealt.select(
        pl.col("lsoa_code").alias("LSOA11CD"),
        pl.col("lsoa_name").alias("LSOA11NM"),
        pl.col("ward_code").alias("WD11CD"),
        pl.col("ward_name").alias("WD11NM"),
        pl.col("borough_code").alias("LAD11CD"),
    ).sort("LSOA11CD").write_csv(path)
    return path
