"""WHO HEAT inequality measures across one breakdown's published categories, all settings at once.

A breakdown is *ordered* when every category starts with its rank (``"1 - most deprived"``,
deprivation deciles and quintiles: 1 = most disadvantaged), otherwise non-ordered (ethnic
group, sex). Standard errors come from the published 95% limits; populations from the
published denominators when every category has one (equal weights otherwise). Settings with a
suppressed (missing) value are withheld by :func:`healthgap.methods.inequality_measures`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from healthgap.publish.web._published import NotPublishedError

KEYS = ["indicator_id", "area_code", "area_name", "period", "sex", "age", "category_type"]
ORDERED_DEFAULT = ("d", "r", "sii", "rii")
NON_ORDERED_DEFAULT = ("d", "r", "bgv", "bgsd")


def measures_by_breakdown(
    frame: pl.DataFrame, polarity: str, measures: Sequence[str] | None
) -> pl.DataFrame:
    """Inequality measures of every setting (area, period, sex, age) of one breakdown."""
    from healthgap.methods import inequality_measures

    rank = pl.col("category").str.extract(r"^(\d+)").cast(pl.Int64, strict=False)
    frame = frame.with_columns(_order=rank)
    ordered = frame["_order"].null_count() == 0
    complete = frame.group_by(KEYS).agg(
        _den_ok=(pl.col("denominator").is_not_null() & (pl.col("denominator") > 0)).all(),
        _values=pl.col("value").is_not_null().all() & pl.col("lower95_0cl").is_not_null().all(),
        _n=pl.len(),
    )
    frame = frame.join(complete, on=KEYS).filter(pl.col("_values") & (pl.col("_n") >= 2))
    if frame.is_empty():
        raise NotPublishedError(
            "parameter 'breakdown': no setting has two or more published categories with "
            "values and limits (suppressed values are withheld)"
        )
    frame = frame.with_columns(
        _pop=pl.when(pl.col("_den_ok")).then(pl.col("denominator")).otherwise(1.0),
        value=pl.col("value").clip(lower_bound=0.0),
    )
    wanted = (
        list(measures) if measures else list(ORDERED_DEFAULT if ordered else NON_ORDERED_DEFAULT)
    )
    out = inequality_measures(
        frame.select(*KEYS, "_order", "_pop", "value", "lower95_0cl", "upper95_0cl"),
        "value",
        "_pop",
        dimension_type="ordered" if ordered else "non-ordered",
        order="_order" if ordered else None,
        favourable=polarity != "low_is_good",
        measures=wanted,
        group_by=KEYS,
        lower_cl="lower95_0cl",
        upper_cl="upper95_0cl",
        repetitions=200,
        seed=1,
    )
    return out.with_columns(dimension=pl.lit("ordered" if ordered else "non-ordered"))
