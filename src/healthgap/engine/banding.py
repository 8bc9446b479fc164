"""Age bands of numbered counts: every group given every band, groups split by band set.

Counts from :func:`healthgap.engine.statistics.indicator_values`' numbering (``_g`` the
group, ``age_start`` the band). Life tables and standardised rates need each group's bands
complete (an absent band counts 0 and 0); a standardised rate also needs the same bands in
every group of one call, which the groups of an age breakdown do not share.
"""

from __future__ import annotations

import polars as pl

from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.engine.rollup import MEASURES

__all__ = ["band_sets", "complete_bands"]


def _age_limits(ind: Indicator, geo: Geography, groups: pl.DataFrame) -> pl.DataFrame | None:
    """First and last age (``_lo``, ``_hi``) of each group of an age breakdown (else null)."""
    ranges = [
        (geo.breakdowns[b].category_type, label, lo, hi)
        for b in ind.breakdowns
        if geo.breakdowns[b].source == "age"
        for label, (lo, hi) in geo.breakdowns[b].bands.items()
    ]
    if not ranges:
        return None
    limits = pl.DataFrame(
        ranges,
        schema={
            "category_type": pl.String,
            "category": pl.String,
            "_lo": pl.Int64,
            "_hi": pl.Int64,
        },
        orient="row",
    )
    return groups.join(limits, on=["category_type", "category"], how="left").select(
        "_g", "_lo", "_hi"
    )


def complete_bands(
    rows: pl.DataFrame, groups: pl.DataFrame, ind: Indicator, geo: Geography
) -> pl.DataFrame:
    """Every group gets every age band seen in the data (absent bands count 0 and 0).

    The groups of an age breakdown get only the bands inside their age range. ``rows`` are
    numbered counts (:func:`_numbered`); the result is sorted by ``_g`` and ``age_start``.
    """
    measures = [c for c in rows.columns if c in MEASURES]
    bands = rows.select("age_start").unique().sort("age_start")
    grid = groups.select("_g").join(bands, how="cross")
    limits = _age_limits(ind, geo, groups)
    if limits is not None:
        start = pl.col("age_start")
        inside = pl.col("_lo").is_null() | (
            (start >= pl.col("_lo")) & (pl.col("_hi").is_null() | (start <= pl.col("_hi")))
        )
        grid = grid.join(limits, on="_g", how="left").filter(inside).drop("_lo", "_hi")
    if len(grid) == len(rows):  # every group has all its bands already (rows are unique)
        return rows
    return (
        grid.join(rows, on=["_g", "age_start"], how="left")
        .with_columns(pl.col(*measures).fill_null(0.0))
        .sort("_g", "age_start")
    )


def band_sets(
    rows: pl.DataFrame, groups: pl.DataFrame, ind: Indicator, geo: Geography
) -> list[pl.DataFrame]:
    """Split banded counts into frames whose groups share their age bands.

    The groups of an age breakdown have the bands of their age range only, and a method
    standardising over bands needs the same bands in every group of a call: one frame for
    every age group, one for all other rows (a handful of calls, each over every area).
    """
    types = [
        geo.breakdowns[b].category_type for b in ind.breakdowns if geo.breakdowns[b].source == "age"
    ]
    if not types:
        return [rows]
    sets = groups.select(
        "_g",
        pl.when(pl.col("category_type").is_in(types))
        .then(pl.col("category_type") + "\x00" + pl.col("category"))
        .otherwise(pl.lit(""))
        .alias("_set"),
    )
    tagged = rows.join(sets, on="_g", how="left")
    return [piece.drop("_set") for piece in tagged.partition_by("_set", maintain_order=True)]
