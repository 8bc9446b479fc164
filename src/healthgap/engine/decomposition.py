"""The life expectancy gap between two groups of a breakdown, by age band and by cause.

The engine's side of :func:`healthgap.methods.decompose_gap` (Arriaga's method): the rolled-up
deaths (by cause group) and populations of each life-table band are pooled into the
reference and comparison groups of each area, period and sex, decomposed in one call, and
the contributions summed by age band and by cause into VALUES rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from healthgap._conventions import LIMITS
from healthgap.catalogue.indicator import Geography, Indicator

__all__ = ["cause_labels", "decomposition_values"]


def cause_labels(ind: Indicator) -> list[str]:
    """Return the cause groups of a decomposition, the other causes last."""
    spec = ind.decomposition
    if spec is None or not spec.causes:
        return []
    return [*dict.fromkeys([*spec.causes, spec.other])]


def _life_band_labels(starts: list[int]) -> dict[int, str]:
    """Label life-table bands ``0``, ``1-4``, ``5-9``, ..., ``90+`` from their starts."""
    ordered = sorted(starts)
    ends = [*[nxt - 1 for nxt in ordered[1:]], None]
    return {
        s: (f"{s}+" if e is None else str(s) if e == s else f"{s}-{e}")
        for s, e in zip(ordered, ends, strict=True)
    }


def decomposition_values(
    func: Callable[..., Any], ind: Indicator, counts: pl.DataFrame, geo: Geography
) -> pl.DataFrame:
    """Arriaga's decomposition (``func``) of the gap between two pooled groups of a breakdown.

    Rows: for every area, period and sex, the contribution of each age band (category type
    "Age band") and of each cause group ("Cause") to the gap in life expectancy at birth
    between the ``reference`` and the ``comparison`` groups; contributions add up to the gap.
    """
    spec = ind.decomposition
    assert spec is not None
    category_type = geo.breakdowns[spec.breakdown].category_type
    rows = counts.filter(pl.col("category_type") == category_type)
    group = pl.lit(None, pl.String)
    for level in ind.geographies:
        pair = spec.groups(level)
        at = pl.col("level") == level
        group = (
            pl.when(at & pl.col("category").is_in(pair.reference))
            .then(pl.lit("reference"))
            .when(at & pl.col("category").is_in(pair.comparison))
            .then(pl.lit("comparison"))
            .otherwise(group)
        )
    pairs = ["area_code", "period_start", "period_years", "sex"]
    causes = [c for c in counts.columns if c.startswith("cause_")] or ["x"]
    labels = cause_labels(ind) or ["All causes"]
    pooled = (
        rows.with_columns(group.alias("group"))
        .filter(pl.col("group").is_not_null())
        .group_by(*pairs, "group", "age_start")
        .agg(pl.col("n", *causes).sum())
    )
    grid = (
        pooled.select(*pairs, "group")
        .unique()
        .join(pooled.select("age_start").unique(), how="cross")
    )
    pooled = grid.join(pooled, on=[*pairs, "group", "age_start"], how="left").with_columns(
        pl.col("n", *causes).fill_null(0.0)
    )
    names = dict(zip(causes, labels, strict=True))
    long = (
        pooled.unpivot(
            on=causes,
            index=[*pairs, "group", "age_start", "n"],
            variable_name="cause",
            value_name="deaths",
        )
        .rename({"n": "population"})
        .with_columns(pl.col("cause").replace_strict(names))
        .sort(*pairs, "group", "age_start", "cause")
    )
    # a group with an empty age band is withheld by decompose_gap with the reason given
    with np.errstate(invalid="ignore", divide="ignore"):
        out = func(
            long,
            "deaths",
            "population",
            "age_start",
            "group",
            reference="reference",
            comparison="comparison",
            cause="cause",
            group_by=pairs,
            type="full",
        )
    total = pl.when(pl.col("value").null_count() == 0).then(pl.col("value").sum())
    note = pl.col("statistic").filter(pl.col("value").is_null()).first()
    bands = _life_band_labels(long["age_start"].unique().to_list())
    by_age = out.group_by(*pairs, "age_start").agg(total.alias("value"), note.alias("_note"))
    by_cause = out.group_by(*pairs, "cause").agg(total.alias("value"), note.alias("_note"))
    pieces = [
        by_age.with_columns(
            pl.lit("Age band").alias("category_type"),
            pl.col("age_start").replace_strict(bands, return_dtype=pl.String).alias("category"),
        ).drop("age_start"),
        by_cause.with_columns(
            pl.lit("Cause").alias("category_type"), pl.col("cause").alias("category")
        ).drop("cause"),
    ]
    if len(labels) == 1:  # no cause groups: by age band only
        pieces = pieces[:1]
    frame = pl.concat(pieces, how="diagonal")
    return frame.with_columns(
        pl.when(pl.col("value").is_null()).then(pl.col("_note")).alias("value_note"),
        pl.lit(None, pl.Float64).alias("count"),
        pl.lit(None, pl.Float64).alias("denominator"),
        *[pl.lit(None, pl.Float64).alias(c) for c in LIMITS],
    ).drop("_note")
