"""What the ONS readers share: attribution, age labels, totals, pooled-period labels."""

from __future__ import annotations

import polars as pl

from healthgap.sources import _validate

ONS = "Office for National Statistics"
OGL = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(Office for National Statistics)"
)


def age_start(age: pl.Expr) -> pl.Expr:
    """First year of an age label ('0', '85+', '5-9' -> 0, 85, 5)."""
    return age.str.extract(r"^(\d+)", 1).cast(pl.Int16)


def check_total(
    frame: pl.DataFrame,
    keys: list[str],
    total: pl.DataFrame,
    column: str,
    problems: _validate.Problems,
) -> None:
    """Record areas whose published total differs from the sum of their age/sex cells."""
    sums = frame.group_by(keys).agg(pl.col("population").sum().alias("_sum"))
    joined = total.join(sums, on=keys, how="inner")
    problems.add(
        joined,
        (pl.col("_total") - pl.col("_sum")).abs() > 0.5,
        column,
        pl.format("{} (cells sum to {})", pl.col("_total"), pl.col("_sum")),
        "a total equal to the sum of the age groups",
    )


def pooled_label(period: pl.Expr) -> pl.Expr:
    """'2016-2018' or '2009-13' -> '2016 - 18' (Fingertips' label for pooled years)."""
    parts = period.str.extract_groups(r"^(\d{4})\s*-\s*(?:\d\d)?(\d\d)$")
    return (
        pl.when(parts.struct.field("1").is_not_null())
        .then(pl.format("{} - {}", parts.struct.field("1"), parts.struct.field("2")))
        .otherwise(period)
    )
