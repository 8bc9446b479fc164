"""Indicators computed from other indicators' values: ratios and inequality summaries.

They run after every indicator computed from records (:func:`healthgap.engine.compute_values`),
on those indicators' VALUES rows (``computed``, by indicator id).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import polars as pl
import pyarrow as pa

from healthgap._conventions import LIMITS
from healthgap.catalogue.catalogue import Catalogue
from healthgap.catalogue.indicator import Indicator
from healthgap.engine.inequality import inequality_values
from healthgap.engine.rollup import KEYS
from healthgap.errors import InputError, SuppressedWarning
from healthgap.store.schema import VALUES

__all__ = ["ratio_values", "summary_values"]


def _sources(
    ind: Indicator, computed: Mapping[str, pa.Table], ids: Sequence[str]
) -> list[pl.DataFrame] | None:
    """Return the values of the indicators ``ids``; ``None`` when any has none."""
    missing = [i for i in ids if i not in computed]
    if missing:
        raise InputError(
            f"indicator {ind.id!r}: needs indicators {missing}, which are not computed in this run"
        )
    frames = [pl.from_arrow(computed[i]) for i in ids]
    assert all(isinstance(f, pl.DataFrame) for f in frames)
    if any(f.is_empty() for f in frames):  # type: ignore[union-attr]
        return None
    return frames  # type: ignore[return-value]


def ratio_values(
    ind: Indicator, computed: Mapping[str, pa.Table], catalogue: Catalogue
) -> pa.Table:
    """VALUES rows of a ratio: ``multiplier x numerator / denominator`` on matching keys.

    Matching keys are area, period, sex and breakdown; the value is withheld (null, with the
    reason in ``value_note``) where either value is, and has no limits; its ``count`` and
    ``denominator`` are the numerator's.
    """
    if ind.ratio is None:
        raise InputError(f"indicator {ind.id!r} is not computed from other indicators")
    frames = _sources(ind, computed, [ind.ratio.numerator, ind.ratio.denominator])
    if frames is None:
        return VALUES.empty_table()
    top, below = frames
    keys = [
        "area_code",
        "period_start",
        "period_years",
        "period",
        "sex",
        "category_type",
        "category",
    ]
    top = top.filter(pl.col("count").is_not_null())  # not the inequality summaries
    both = top.select(*keys, pl.col("value").alias("_a"), "count", "denominator").join(
        below.select(*keys, pl.col("value").alias("_b")), on=keys, how="inner"
    )
    withheld = pl.col("_a").is_null() | pl.col("_b").is_null() | (pl.col("_b") == 0)
    note = (
        f"ratio withheld: the value of {ind.ratio.numerator} or {ind.ratio.denominator} "
        "is withheld or zero"
    )
    values = both.with_columns(
        pl.when(withheld)
        .then(None)
        .otherwise(ind.multiplier * pl.col("_a") / pl.col("_b"))
        .alias("value"),
        *[pl.lit(None, pl.Float64).alias(c) for c in LIMITS],
        pl.when(withheld).then(pl.lit(note)).otherwise(None).alias("value_note"),
        pl.lit(ind.id).alias("indicator_id"),
        pl.lit(ind.age).alias("age"),
    )
    return values.select(VALUES.names).to_arrow().cast(VALUES)


def summary_values(
    ind: Indicator, computed: Mapping[str, pa.Table], catalogue: Catalogue, *, value_type: int
) -> pa.Table:
    """VALUES rows of an inequality summary of another indicator, as an indicator of its own.

    The summary (:func:`~healthgap.engine.inequality.inequality_values`) over the summarised
    indicator's categories: one value per area, period and sex. ``value_type`` is that of the
    summarised indicator's method (:attr:`~healthgap.catalogue.Method.value_type`).
    """
    if ind.summary is None:
        raise InputError(f"indicator {ind.id!r} is not computed from other indicators")
    frames = _sources(ind, computed, [ind.summary.of])
    if frames is None:
        return VALUES.empty_table()
    source = frames[0]
    base = source.select(*KEYS, "value", *LIMITS, "count", "denominator", "value_note")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)
        values = inequality_values(
            catalogue[ind.summary.of],
            base,
            catalogue.geography,
            ind.summary.inequality(),
            value_type=value_type,
        )
    periods = source.select("period_start", "period_years", "period").unique()
    values = values.join(periods, on=["period_start", "period_years"], how="left")
    values = values.with_columns(
        pl.lit("").alias("category_type"),
        pl.lit("").alias("category"),
        pl.lit(ind.id).alias("indicator_id"),
        pl.lit(ind.age).alias("age"),
    )
    return values.select(VALUES.names).to_arrow().cast(VALUES)
