"""How the engine calls each kind of method on numbered counts: one function per kind.

A run takes a :class:`Call` (the method's row of :data:`healthgap.catalogue.METHODS`, the
indicator, the numbered counts and their groups) and returns the method's output keyed by
``_g``; a totals function gives the ``count`` and ``denominator`` of every group. A method's
row names its run; :data:`healthgap.engine.run_table.RUNS` pairs each run with its totals.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import polars as pl

from healthgap._conventions import LEVELS
from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.catalogue.method_table import Method
from healthgap.engine.banding import complete_bands
from healthgap.methods.standard_populations import ESP2013, ESP2013_AGE_STARTS

__all__ = [
    "Call",
    "RunCall",
    "Totals",
    "attributable",
    "attributable_totals",
    "crude",
    "direct",
    "event_totals",
    "healthy_life",
    "indirect",
    "life",
    "mean",
    "value_totals",
]

_COMMON: dict[str, Any] = {"group_by": "_g", "type": "full", "errors": "flag"}


class Call(NamedTuple):
    """What one run of a method is given.

    ``method`` is the method's row (its function, the argument given the multiplier, ...);
    ``rows`` are counts of numbered groups (``_g``; ``age_start`` when banded; one column
    per side, :data:`~healthgap.engine.rollup.MEASURES`), ``groups`` the groups' keys and
    ``everything`` all numbered counts of the indicator (``rows`` may be a part of them: the
    standardised ratios' reference rates come from all).
    """

    method: Method
    ind: Indicator
    rows: pl.DataFrame
    groups: pl.DataFrame
    geo: Geography
    everything: pl.DataFrame


RunCall = Callable[[Call], pl.DataFrame]
Totals = Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]


def _function(call: Call) -> Callable[..., Any]:
    """Return the method's function with the indicator's multiplier bound as its row says."""
    function = call.method.function
    assert function is not None
    argument = call.method.multiplier_argument
    if argument is None:
        return function
    return partial(function, **{argument: call.ind.multiplier})


def crude(call: Call) -> pl.DataFrame:
    """Proportions (Wilson) and crude rates (Byar / exact Poisson) of ``x`` and ``n``."""
    return _function(call)(call.rows, "x", "n", confidence=LEVELS, **_COMMON)


def mean(call: Call) -> pl.DataFrame:
    """Means (Student's t) from the values' number ``n``, sum ``s`` and sum of squares ``q``."""
    return _function(call)(call.rows, "s", "n", "q", confidence=LEVELS, **_COMMON)


def direct(call: Call) -> pl.DataFrame:
    """Directly standardised rates (Dobson) of groups sharing their age bands (ESP 2013)."""
    weights = pl.DataFrame(
        {"age_start": list(ESP2013_AGE_STARTS), "stdpop": [float(w) for w in ESP2013]},
        schema={"age_start": call.rows.schema["age_start"], "stdpop": pl.Float64},
    )
    data = call.rows.join(weights, on="age_start", how="left", maintain_order="left")
    return _function(call)(data, "x", "n", "stdpop", confidence=LEVELS, **_COMMON)


def indirect(call: Call) -> pl.DataFrame:
    """Indirectly standardised rates or ratios of groups sharing their age bands.

    The indicator's ``multiplier`` is the argument the method's row names (``multiplier``
    of :func:`~healthgap.methods.israte`, ``refvalue`` of :func:`~healthgap.methods.isratio`).
    """
    data = _with_reference(call)
    return _function(call)(
        data, "x", "n", "x_ref", "n_ref", refpoptype="field", confidence=LEVELS, **_COMMON
    )


def _with_reference(call: Call) -> pl.DataFrame:
    """Add each row's reference counts ``x_ref``, ``n_ref`` (its period, sex and age band).

    The totals (category ``""``) of the reference level in ``call.everything`` give the
    reference rates, by period, sex and age band.
    """
    groups, geo = call.groups, call.geo
    strata = ["period_start", "period_years", "sex"]
    numbers = groups.select(strata).unique().sort(strata).with_row_index("_r")
    of_group = groups.join(numbers, on=strata, how="left").select(
        "_g", "_r", *strata, "category_type", "area_code"
    )
    ref_code = geo.national.get(call.ind.reference or "")
    chosen = pl.col("category_type") == ""
    if ref_code is not None:
        chosen = chosen & (pl.col("area_code") == ref_code)
    reference = (
        call.everything.join(of_group.filter(chosen).select("_g", "_r"), on="_g")
        .group_by("_r", "age_start")
        .agg(pl.col("x").sum().alias("x_ref"), pl.col("n").sum().alias("n_ref"))
    )
    return (
        call.rows.join(of_group.select("_g", "_r"), on="_g", how="left", maintain_order="left")
        .join(reference, on=["_r", "age_start"], how="left", maintain_order="left")
        .with_columns(pl.col("x_ref", "n_ref").fill_null(0.0))
    )


def life(call: Call) -> pl.DataFrame:
    """Life expectancy at birth, from deaths and populations by the 20 life-table bands."""
    rows = complete_bands(call.rows, call.groups, call.ind, call.geo)
    return _function(call)(rows, "x", "n", "age_start", le_age=0, confidence=LEVELS, **_COMMON)


def healthy_life(call: Call) -> pl.DataFrame:
    """Healthy life expectancy at birth (Sullivan): the survey's prevalence by band."""
    rows = complete_bands(call.rows, call.groups, call.ind, call.geo)
    # a band with no respondents has no prevalence (null): the method withholds its group
    prevalence = pl.when(pl.col("hn") > 0).then(pl.col("hx") / pl.col("hn"))
    data = rows.with_columns(prevalence.alias("prevalence"))
    return _function(call)(
        data,
        "x",
        "n",
        "age_start",
        "prevalence",
        prevalence_n="hn",
        hle_age=0,
        confidence=LEVELS,
        **_COMMON,
    )


def attributable(call: Call) -> pl.DataFrame:
    """Attributable fractions: exposure x population ``s``, population ``n``, deaths ``x``."""
    exposure, units = call.ind.exposure, call.method.exposure_units
    assert exposure is not None
    assert units is not None
    rows = call.rows.with_columns(pl.col("s") / units)  # back from the summed units
    return _function(call)(
        rows,
        "s",
        "n",
        deaths="x",
        relative_risk=exposure.relative_risk,
        increment=exposure.increment,
        **_COMMON,
    )


def event_totals(out: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """``count`` and ``denominator`` of each group (``_g``): the sums of ``x`` and ``n``."""
    return rows.group_by("_g").agg(
        pl.col("x").sum().alias("count"), pl.col("n").sum().alias("denominator")
    )


def value_totals(out: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Give a mean's ``count``: the number of values (and no denominator)."""
    return rows.group_by("_g").agg(
        pl.col("n").sum().alias("count"), pl.lit(None, pl.Float64).alias("denominator")
    )


def attributable_totals(out: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Give an attributable fraction's ``count``: attributable deaths, of all deaths."""
    return out.select(
        "_g", pl.col("attributable_deaths").alias("count"), pl.col("x").alias("denominator")
    )
