"""Counts to indicator values: one call of the vectorised method per indicator.

Every area, period, sex and breakdown of an indicator goes into the method in one frame, with
``group_by`` = :data:`~healthgap.engine.rollup.KEYS`; the method's output is mapped to the
store's ``VALUES`` schema. Inequality summaries (SII, RII) run on the values by decile.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from healthgap.catalogue.indicator import Geography, Indicator, Inequality
from healthgap.engine.rollup import KEYS, period_label
from healthgap.errors import InputError

__all__ = ["indicator_values", "method_function"]

LEVELS = (0.95, 0.998)  # Fingertips publishes 95% and 99.8% limits
LIMITS = ("lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl")
KEY_LIST = list(KEYS)

#: ``healthgap.methods`` public name -> its module (one concept a module).
_MODULES = {"proportion": "proportion", "rate": "rate", "dsr": "dsr", "israte": "isr",
            "isratio": "isr", "life_expectancy": "life_expectancy", "sii": "sii"}


def method_function(name: str) -> Callable[..., Any]:
    """Return the function ``healthgap.methods.<name>``, imported on first use."""
    try:
        module = importlib.import_module(f"healthgap.methods.{_MODULES[name]}")
    except ModuleNotFoundError:
        raise InputError(f"method {name!r} is not available in this version of "
                         "healthgap.methods") from None
    return getattr(module, name)


def _complete_bands(counts: pl.DataFrame) -> pl.DataFrame:
    """Every group gets every age band seen in the data (absent bands count 0 and 0)."""
    groups = counts.select(KEY_LIST).unique()
    bands = counts.select("age_start").unique()
    grid = groups.join(bands, how="cross")
    return (grid.join(counts, on=[*KEY_LIST, "age_start"], how="left")
            .with_columns(pl.col("x", "n").fill_null(0.0)).sort(*KEY_LIST, "age_start"))


def _run_method(ind: Indicator, counts: pl.DataFrame, geo: Geography) -> pl.DataFrame:
    func = method_function(ind.method)
    common = {"group_by": KEY_LIST, "confidence": LEVELS, "type": "full"}
    if ind.method in ("proportion", "rate"):
        # a fixed row order makes every run bit-for-bit the same (content-hashed vintages)
        counts = counts.sort(KEY_LIST)
        return func(counts, "x", "n", multiplier=ind.multiplier, errors="flag", **common)
    counts = _complete_bands(counts)
    if ind.method == "dsr":
        from healthgap.methods.standard_populations import ESP2013, ESP2013_AGE_STARTS

        weights = pl.DataFrame({"age_start": list(ESP2013_AGE_STARTS),
                                "stdpop": [float(w) for w in ESP2013]},
                               schema={"age_start": counts.schema["age_start"],
                                       "stdpop": pl.Float64})
        data = counts.join(weights, on="age_start", how="left")
        return func(data, "x", "n", "stdpop", multiplier=ind.multiplier, errors="flag",
                    **common)
    if ind.method in ("israte", "isratio"):
        ref_code = geo.national.get(ind.reference or "")
        ref = counts.filter(pl.col("category_type") == "")
        if ref_code is not None:
            ref = ref.filter(pl.col("area_code") == ref_code)
        ref = (ref.group_by("period_start", "period_years", "sex", "age_start")
               .agg(pl.col("x").sum().alias("x_ref"), pl.col("n").sum().alias("n_ref")))
        data = counts.join(ref, on=["period_start", "period_years", "sex", "age_start"],
                           how="left").with_columns(pl.col("x_ref", "n_ref").fill_null(0.0))
        extra = ({"multiplier": ind.multiplier} if ind.method == "israte"
                 else {"refvalue": ind.multiplier})
        return func(data, "x", "n", "x_ref", "n_ref", refpoptype="field", errors="flag",
                    **extra, **common)
    # life expectancy at birth, from deaths and populations by the 20 life-table bands
    out = func(counts, "x", "n", "age_start", le_age=0, **common)
    return out


def _as_values(ind: Indicator, out: pl.DataFrame, counts: pl.DataFrame) -> pl.DataFrame:
    totals = counts.group_by(KEY_LIST).agg(pl.col("x").sum().alias("count"),
                                           pl.col("n").sum().alias("denominator"))
    have = [c for c in LIMITS if c in out.columns]
    out = out.select(*KEY_LIST, "value", *have, "statistic").join(totals, on=KEY_LIST,
                                                                   how="left")
    note = pl.when(pl.col("value").is_null()).then(pl.col("statistic")).otherwise(None)
    return out.with_columns(*[pl.lit(None, pl.Float64).alias(c) for c in LIMITS
                              if c not in have], note.alias("value_note")).drop("statistic")


def _inequality(ind: Indicator, values: pl.DataFrame, geo: Geography,
                spec: Inequality) -> pl.DataFrame:
    """SII and RII across the categories of a breakdown, category 1 = most deprived."""
    category_type = geo.breakdowns[spec.breakdown].category_type
    rows = values.filter((pl.col("category_type") == category_type)
                         & pl.col("value").is_not_null())
    rows = rows.with_columns(pl.col("category").cast(pl.Int32, strict=False).alias("quantile"))
    if rows["quantile"].null_count():
        raise InputError(f"indicator {ind.id!r}: inequality over {spec.breakdown!r} needs "
                         "whole-number categories (1 = most deprived)")
    groups = ["area_code", "period_start", "period_years", "sex"]
    full = rows.group_by(groups).agg(pl.len().alias("_k"))
    rows = rows.join(full.filter(pl.col("_k") >= 5), on=groups).drop("_k")
    if rows.is_empty():
        return values.clear()
    value_type = {"proportion": 2, "rate": 1, "dsr": 1, "israte": 1}.get(ind.method, 0)
    func = method_function("sii")
    out = func(rows, "quantile", "denominator", value="value", value_type=value_type,
               lower_cl="lower95_0cl", upper_cl="upper95_0cl", group_by=groups,
               repetitions=spec.repetitions, confidence=LEVELS, rii="rii" in spec.measures,
               seed=spec.seed, type="full")
    pieces = []
    for measure in spec.measures:
        cols = {"value": measure, **{c: f"{measure}_{c}" for c in LIMITS}}
        missing = [src for src in cols.values() if src not in out.columns]
        if missing:
            raise InputError(f"method sii gave no columns {missing}")
        piece = out.select(*groups, *[pl.col(src).alias(dst) for dst, src in cols.items()])
        label = {"sii": "Slope index of inequality", "rii": "Relative index of inequality"}
        pieces.append(piece.with_columns(
            pl.lit(category_type).alias("category_type"),
            pl.lit(label[measure]).alias("category"),
            pl.lit(None, pl.Float64).alias("count"),
            pl.lit(None, pl.Float64).alias("denominator"),
            pl.lit(None, pl.String).alias("value_note")))
    return pl.concat(pieces, how="diagonal").select(values.columns)


def indicator_values(ind: Indicator, counts: pl.DataFrame, geo: Geography) -> pa.Table:
    """Compute the VALUES rows of one indicator from its rolled-up counts."""
    from healthgap.store.schema import VALUES

    if counts.is_empty():
        return VALUES.empty_table()
    out = _run_method(ind, counts, geo)
    values = _as_values(ind, out, counts)
    for spec in ind.inequality:
        values = pl.concat([values, _inequality(ind, values, geo, spec)], how="diagonal")
    starts = values["period_start"].to_numpy()
    lengths = values["period_years"].to_numpy()
    pairs = np.unique(np.stack([starts, lengths], axis=1), axis=0) if len(values) else []
    labels = pl.DataFrame(
        {"period_start": [int(s) for s, _ in pairs], "period_years": [int(y) for _, y in pairs],
         "period": [period_label(int(s), int(y), ind.periods.type) for s, y in pairs]},
        schema={"period_start": values.schema["period_start"],
                "period_years": values.schema["period_years"], "period": pl.String})
    values = values.join(labels, on=["period_start", "period_years"], how="left")
    values = values.with_columns(pl.lit(ind.id).alias("indicator_id"),
                                 pl.lit(ind.age).alias("age"))
    return values.select(VALUES.names).to_arrow().cast(VALUES)
