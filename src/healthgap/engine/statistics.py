"""Counts to indicator values: one call of the vectorised method per indicator.

Every area, period, sex and breakdown of an indicator goes into the method in one frame, its
groups (:data:`~healthgap.engine.rollup.KEYS`) numbered in key order so that the method
groups by one integer column; the method's output is mapped to the store's ``VALUES``
schema. Inequality summaries (SII, RII, WHO HEAT measures) run on the values by breakdown
category (:mod:`healthgap.engine.inequality`); ratios and inequality summaries of other
indicators as indicators of their own on those indicators' values (:func:`derived_values`).
"""

from __future__ import annotations

import warnings
from typing import Any

import polars as pl
import pyarrow as pa

from healthgap._conventions import LIMITS, period_label_expr
from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.engine.banding import band_sets, complete_bands
from healthgap.engine.inequality import inequality_values
from healthgap.engine.rollup import GROUP, KEYS
from healthgap.engine.run_table import row_of
from healthgap.engine.runs import Call
from healthgap.errors import InputError, SuppressedWarning
from healthgap.store.schema import VALUES

__all__ = ["derived_values", "indicator_values"]

KEY_LIST = list(KEYS)


def _numbered(
    counts: pl.DataFrame, key_hash: pl.Expr | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give the groups (:data:`KEYS`) of ``counts`` numbers in the sorted order of their keys.

    Returns the groups (the keys and ``_g``) and the counts with ``_g`` in place of the keys,
    sorted by ``_g`` (and ``age_start``). The methods then group by one integer column, and a
    fixed row order makes every run bit-for-bit the same (content-hashed vintages); sorting
    the groups, not the (up to 20 times more) rows, by their text keys keeps this cheap.

    Counts from :func:`~healthgap.engine.rollup.rollup` come sorted, with their groups
    numbered in that order (column :data:`~healthgap.engine.rollup.GROUP`): the numbers are
    then made consecutive, with no hashing or sorting.
    """
    if GROUP in counts.columns:
        numbered = _numbered_by_group(counts)
        if numbered is not None:
            return numbered
        counts = counts.drop(GROUP)
    # rows find their group through a 64-bit hash of the keys (one integer join, not six text
    # columns); a collision shows as rows whose second, independent hash differs from their
    # group's, and falls back to joining on the keys themselves
    keys = pl.struct(KEY_LIST)
    hashed = counts.with_columns(
        (keys.hash(seed=0) if key_hash is None else key_hash).alias("_h"),
        keys.hash(seed=1).alias("_h2"),
    )
    groups = (
        hashed.unique(subset="_h", keep="any")
        .select(*KEY_LIST, "_h", "_h2")
        .sort(KEY_LIST)
        .with_row_index("_g")
    )
    rows = hashed.drop(KEY_LIST).join(
        groups.select("_h", "_g", pl.col("_h2").alias("_h2g")), on="_h", how="inner"
    )
    if (rows["_h2"] != rows["_h2g"]).any():
        groups = counts.select(KEY_LIST).unique().sort(KEY_LIST).with_row_index("_g")
        rows = counts.join(groups, on=KEY_LIST, how="inner").drop(KEY_LIST)
        groups = groups.with_columns(pl.lit(None).alias("_h"), pl.lit(None).alias("_h2"))
    rows = rows.drop("_h", "_h2", "_h2g", strict=False)
    order = ["_g", "age_start"] if "age_start" in rows.columns else ["_g"]
    return groups.drop("_h", "_h2"), rows.sort(order)


def _numbered_by_group(counts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """Give counts sorted by :data:`GROUP` (and ``age_start``) their :func:`_numbered`.

    ``None`` when they are not sorted so or lack some group numbers.
    """
    group = counts[GROUP]
    order = [GROUP, "age_start"] if "age_start" in counts.columns else [GROUP]
    if group.null_count() or not _sorted(counts, order):
        return None
    starts = (pl.col(GROUP) != pl.col(GROUP).shift(1)).fill_null(True)
    numbered = counts.with_columns((starts.cum_sum() - 1).cast(pl.UInt32).alias("_g"))
    groups = numbered.filter(starts).select("_g", *KEY_LIST)
    return groups, numbered.drop(*KEY_LIST, GROUP)


def _sorted(frame: pl.DataFrame, order: list[str]) -> bool:
    """Return whether ``frame`` is sorted by the columns ``order`` (ascending)."""
    later = pl.lit(False)
    same = pl.lit(True)
    for col in order:
        nxt = pl.col(col).shift(-1)
        later = later | (same & (nxt < pl.col(col)))
        same = same & (nxt == pl.col(col))
    return not frame.select(later.fill_null(False).any()).item()


def _run_method(
    ind: Indicator, rows: pl.DataFrame, groups: pl.DataFrame, geo: Geography
) -> pl.DataFrame:
    """Run the method on every numbered group at once; its output is keyed by ``_g``."""
    method, run = row_of(ind)
    assert run.call is not None
    if not method.standardised:
        return run.call(Call(method, ind, rows, groups, geo, rows))
    rows = complete_bands(rows, groups, ind, geo)
    pieces = [
        run.call(Call(method, ind, piece, groups, geo, rows))
        for piece in band_sets(rows, groups, ind, geo)
    ]
    return pl.concat(pieces, how="diagonal_relaxed").sort("_g")


def _as_values(out: pl.DataFrame, totals: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Turn the method's output by ``_g`` into rows keyed by :data:`KEYS` (counts, notes)."""
    have = [c for c in LIMITS if c in out.columns]
    out = (
        out.select("_g", "value", *have, "statistic")
        .join(totals, on="_g", how="left", maintain_order="left")
        .join(groups, on="_g", how="left", maintain_order="left")
    )
    # the method's reason where it withholds the value, or (a single survey value) its limits
    no_limits = pl.col(have[0]).is_null() if have else pl.lit(False)
    note = pl.when(pl.col("value").is_null() | no_limits).then(pl.col("statistic"))
    return out.with_columns(
        *[pl.lit(None, pl.Float64).alias(c) for c in LIMITS if c not in have],
        note.alias("value_note"),
    ).drop("statistic", "_g")


def indicator_values(ind: Indicator, counts: pl.DataFrame, geo: Geography) -> pa.Table:
    """Compute the VALUES rows of one indicator from its rolled-up counts.

    A value the method withholds (too few events, a single survey value, ...) is null with
    the method's reason in ``value_note``; the methods' :class:`SuppressedWarning` saying the
    same is not repeated (a national run withholds thousands of small-area values).
    """
    if counts.is_empty():
        return VALUES.empty_table()
    method, run = row_of(ind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)
        if run.on_counts is not None:
            assert method.function is not None
            values = run.on_counts(method.function, ind, counts, geo)
        else:
            groups, rows = _numbered(counts)
            out = _run_method(ind, rows, groups, geo)
            values = _as_values(out, run.totals(out, rows), groups)
        for spec in ind.inequality:
            more = inequality_values(ind, values, geo, spec, value_type=method.value_type)
            values = pl.concat([values, more], how="diagonal")
    return _finish(ind, values)


def _finish(ind: Indicator, values: pl.DataFrame) -> pa.Table:
    """Add period labels, the indicator id and age; cast to :data:`VALUES`."""
    # labels of the few distinct periods, joined to the (many) rows
    periods = values.select("period_start", "period_years").unique()
    labels = periods.with_columns(period_label_expr(period_type=ind.periods.type))
    values = values.join(labels, on=["period_start", "period_years"], how="left")
    values = values.with_columns(pl.lit(ind.id).alias("indicator_id"), pl.lit(ind.age).alias("age"))
    return values.select(VALUES.names).to_arrow().cast(VALUES)


def derived_values(ind: Indicator, computed: dict[str, pa.Table], catalogue: Any) -> pa.Table:
    """VALUES rows of an indicator computed from other indicators' values (``computed``).

    A ratio (:func:`~healthgap.engine.derived.ratio_values`) or an inequality summary
    (:func:`~healthgap.engine.derived.summary_values`), as the method's row says.
    """
    _, run = row_of(ind)
    if run.from_values is None:
        raise InputError(f"indicator {ind.id!r} is not computed from other indicators")
    return run.from_values(ind, computed, catalogue)
