"""What changed between two vintages, on published values only (disclosure applied to both)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import polars as pl

from healthgap.errors import SuppressedWarning
from healthgap.publish.export import published_values
from healthgap.publish.web._published import Published
from healthgap.store.schema import VALUE_KEYS

COMPARED = (
    "value",
    "lower95_0cl",
    "upper95_0cl",
    "lower99_8cl",
    "upper99_8cl",
    "count",
    "denominator",
    "value_note",
)


def published_diff(
    pub: Published, old: str, new: str, indicator_ids: Sequence[str] | None
) -> tuple[pl.DataFrame, list[str]]:
    """Added, removed and revised published values between two vintages, and their ids.

    A value is revised when its value, a limit, count, denominator or note differs (nulls
    equal nulls). Columns: the key columns, ``old_value, new_value, abs_change, status``.
    """
    store = pub.store()
    ids = [store.resolve(old), store.resolve(new)]
    frames = []
    for vintage in ids:
        held = store.vintage(vintage)["indicator_ids"]
        wanted = [i for i in held if indicator_ids is None or i in indicator_ids]
        if wanted:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SuppressedWarning)
                frames.append(pl.from_arrow(published_values(store, vintage, wanted)))
        else:
            frames.append(pl.from_arrow(store.values(vintage, indicator_id=[])))
    o, n = (f.select(*VALUE_KEYS, *COMPARED) for f in frames)
    joined = o.join(n, on=list(VALUE_KEYS), how="full", coalesce=True, suffix="_new")
    marker_o = o.select(*VALUE_KEYS).with_columns(_o=pl.lit(True))
    marker_n = n.select(*VALUE_KEYS).with_columns(_n=pl.lit(True))
    joined = joined.join(marker_o, on=list(VALUE_KEYS), how="left").join(
        marker_n, on=list(VALUE_KEYS), how="left"
    )
    changed = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_new")) for c in COMPARED)
    status = (
        pl.when(pl.col("_o").is_null())
        .then(pl.lit("added"))
        .when(pl.col("_n").is_null())
        .then(pl.lit("removed"))
        .when(changed)
        .then(pl.lit("revised"))
        .otherwise(None)
    )
    out = (
        joined.with_columns(status=status)
        .filter(pl.col("status").is_not_null())
        .select(
            *VALUE_KEYS,
            pl.col("value").alias("old_value"),
            pl.col("value_new").alias("new_value"),
            (pl.col("value_new") - pl.col("value")).alias("abs_change"),
            pl.col("value_note").alias("old_value_note"),
            pl.col("value_note_new").alias("new_value_note"),
            "status",
        )
        .sort(list(VALUE_KEYS))
    )
    return out, ids
