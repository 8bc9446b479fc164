"""Inequality in London from published small-area and borough figures (no record-level data).

Two constructions, both with OHID's slope index of inequality (:func:`healthgap.methods.sii`):

- **Small areas**: London's LSOAs (2011) fall into within-London deciles of IMD 2019 by their
  national rank (:func:`healthgap.methods.quantile`, OHID's method: equal numbers of LSOAs,
  decile 1 the most deprived). Census 2021 general health counts add up by decile into the
  percentage of residents in bad or very bad health, with Wilson limits
  (:func:`healthgap.methods.proportion`), and the SII and RII across the deciles.
- **Boroughs**: each borough's deprivation is the average of its LSOAs' national IMD ranks
  weighted by their residents (MHCLG's "average rank" summary, English Indices of Deprivation
  2019 technical report, section 5), with Census 2011 residents as weights. Boroughs ranked
  from the most deprived become the SII's 33 ordered groups (their populations the weights):
  the gap between the most and least deprived ends of London, for any published borough
  series with 95% limits (life expectancy, healthy life expectancy, preventable
  cardiovascular mortality), period by period.

The same gap across London's wards ranked by deprivation, from the GLA's ward life
expectancy and an ONS LSOA to ward lookup, is :mod:`healthgap.london.ward_gap`.

Functions take and return Polars frames; the results have the store's VALUES columns.
"""

from __future__ import annotations

import warnings

import polars as pl

from healthgap.errors import SuppressedWarning
from healthgap.methods import proportion, quantile, sii

__all__ = [
    "BOROUGH_RANK",
    "DECILE_TYPE",
    "borough_deprivation",
    "borough_sii",
    "lsoa_deciles",
    "percentage",
    "poor_health_by_decile",
    "poor_health_sii",
]

DECILE_TYPE = "IMD 2019 decile (within London)"
#: Category type of the borough ranking written into ``value_note`` of borough SII rows.
BOROUGH_RANK = "boroughs ranked by IMD 2019 average rank (residents-weighted)"
#: Simulation draws and seed of the SII limits: fixed, so a rerun gives the same vintage.
REPETITIONS, SEED = 100_000, 20190926
_LIMITS = ("lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl")


def lsoa_deciles(lsoas: pl.DataFrame) -> pl.DataFrame:
    """London's LSOAs with ``decile``: within-London IMD 2019 decile, 1 = most deprived.

    ``lsoas`` has ``lsoa_code`` and ``imd_rank`` (national rank, 1 = most deprived); the
    lowest national ranks form decile 1 (``invert=False``: quantile 1 holds the lowest ranks).
    """
    out = quantile(lsoas, "imd_rank", nquantiles=10, invert=False, type="standard")
    return out.with_columns(pl.col("quantile").cast(pl.Int32).alias("decile")).drop("quantile")


def poor_health_by_decile(lsoas: pl.DataFrame, area_code: str) -> pl.DataFrame:
    """Percentage of residents in bad or very bad health (Census 2021) by within-London decile.

    LSOAs without Census 2021 counts (their 2021 code differs from the 2011 one) are left out
    of the counts; they still count in forming the deciles.
    """
    deciles = lsoa_deciles(lsoas).filter(pl.col("health_total").is_not_null())
    counts = deciles.group_by(pl.col("decile").cast(pl.String).alias("category")).agg(
        (pl.col("health_bad") + pl.col("health_very_bad")).sum().alias("count"),
        pl.col("health_total").sum().alias("denominator"),
    )
    counts = counts.with_columns(
        pl.lit(area_code).alias("area_code"), pl.lit(DECILE_TYPE).alias("category_type")
    )
    return percentage(counts).sort(pl.col("category").cast(pl.Int32))


def percentage(counts: pl.DataFrame) -> pl.DataFrame:
    """Percentages of ``count`` in ``denominator`` with Wilson 95% and 99.8% limits.

    ``counts`` has one row per ``area_code, category_type, category``; the result adds
    ``value`` and the four limits (:func:`healthgap.methods.proportion`, multiplier 100).
    """
    keys = ["area_code", "category_type", "category"]
    out = proportion(
        counts.sort(keys),
        "count",
        "denominator",
        group_by=keys,
        multiplier=100,
        confidence=(0.95, 0.998),
        type="standard",
    )
    return out.select(
        *keys,
        "value",
        *_LIMITS,
        pl.col("count").cast(pl.Float64),
        pl.col("denominator").cast(pl.Float64),
    )


def poor_health_sii(by_decile: pl.DataFrame) -> pl.DataFrame:
    """SII (percentage points) and RII of bad or very bad health across the ten deciles.

    Fitted on the proportions (``value_type=2``, binomial standard errors from the counts).
    """
    frame = by_decile.with_columns(pl.col("category").cast(pl.Int32).alias("decile"))
    out = sii(
        frame,
        "decile",
        "denominator",
        x="count",
        value_type=2,
        group_by="area_code",
        multiplier=100,
        confidence=(0.95, 0.998),
        rii=True,
        repetitions=REPETITIONS,
        seed=SEED,
        type="standard",
    )
    return out.select(
        "area_code",
        pl.col("sii").alias("value"),
        *[pl.col(f"sii_{c}").alias(c) for c in _LIMITS],
        pl.format("RII {}", pl.col("rii").round(3)).alias("value_note"),
    )


def borough_deprivation(lsoas: pl.DataFrame) -> pl.DataFrame:
    """Each borough's residents-weighted average IMD rank and its order (1 = most deprived).

    Returns ``area_code``, ``average_rank``, ``order`` and ``population`` (Census 2011
    residents).
    """
    weighted = pl.col("imd_rank") * pl.col("residents_2011")
    return (
        lsoas.group_by(pl.col("borough_code").alias("area_code"))
        .agg(
            (weighted.sum() / pl.col("residents_2011").sum()).alias("average_rank"),
            pl.col("residents_2011").sum().cast(pl.Float64).alias("population"),
        )
        .sort("average_rank", "area_code")
        .with_columns(pl.int_range(1, pl.len() + 1).cast(pl.Int32).alias("order"))
    )


def borough_sii(
    values: pl.DataFrame, deprivation: pl.DataFrame, area_code: str, *, value_type: int = 0
) -> pl.DataFrame:
    """SII of a borough series across boroughs ranked by deprivation, per period, sex and age.

    Parameters
    ----------
    values : polars.DataFrame
        Borough rows of one indicator (VALUES columns) with 95% limits; rows without a value
        or limits are left out (e.g. the City of London where it is not published).
    deprivation : polars.DataFrame
        :func:`borough_deprivation`'s output.
    area_code : str
        Code written on the results (the region).
    value_type : {0, 1, 2}, default 0
        As :func:`healthgap.methods.sii`: 0 for values such as life expectancy, 1 for rates
        (standard errors from the limits on the log scale), 2 for proportions.

    Returns
    -------
    polars.DataFrame
        ``area_code, period, period_start, period_years, sex, age, value`` (the SII, in the
        series' unit: the fitted gap from the most to the least deprived end), its 95% and
        99.8% limits and ``value_note`` (how many boroughs).
    """
    keys = ["period", "period_start", "period_years", "sex", "age"]
    frame = values.join(deprivation, on="area_code").filter(
        pl.col("value").is_not_null()
        & pl.col("lower95_0cl").is_not_null()
        & pl.col("upper95_0cl").is_not_null()
    )
    with warnings.catch_warnings():
        # periods with too few boroughs are withheld; the reason stays in the output
        warnings.simplefilter("ignore", SuppressedWarning)
        out = sii(
            frame.select(*keys, "order", "population", "value", "lower95_0cl", "upper95_0cl"),
            "order",
            "population",
            value="value",
            lower_cl="lower95_0cl",
            upper_cl="upper95_0cl",
            value_type=value_type,
            group_by=keys,
            confidence=(0.95, 0.998),
            repetitions=REPETITIONS,
            seed=SEED,
            type="full",
        )
    boroughs = frame.group_by(keys).agg(pl.len().alias("n"))
    return (
        out.join(boroughs, on=keys)
        .filter(pl.col("sii").is_not_null())
        .select(
            pl.lit(area_code).alias("area_code"),
            *keys,
            pl.col("sii").alias("value"),
            *[pl.col(f"sii_{c}").alias(c) for c in _LIMITS],
            pl.format("{} " + BOROUGH_RANK, pl.col("n")).alias("value_note"),
        )
        .sort(keys)
    )
