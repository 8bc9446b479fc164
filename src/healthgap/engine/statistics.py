"""Counts to indicator values: one call of the vectorised method per indicator.

Every area, period, sex and breakdown of an indicator goes into the method in one frame, its
groups (:data:`~healthgap.engine.rollup.KEYS`) numbered in key order so that the method
groups by one integer column; the method's output is mapped to the store's ``VALUES``
schema. Inequality summaries (SII, RII, WHO HEAT measures) run on the values by breakdown
category (:mod:`healthgap.engine.inequality`); ratios and inequality summaries of other
indicators as indicators of their own on those indicators' values (:func:`derived_values`).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.engine.inequality import inequality_values
from healthgap.engine.rollup import GROUP, KEYS, MEASURES, period_label
from healthgap.errors import InputError, SuppressedWarning

__all__ = ["derived_values", "indicator_values", "method_function"]

LEVELS = (0.95, 0.998)  # Fingertips publishes 95% and 99.8% limits
LIMITS = ("lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl")
KEY_LIST = list(KEYS)

#: ``healthgap.methods`` public name -> its module (one concept a module).
_MODULES = {
    "proportion": "proportion",
    "rate": "rate",
    "mean_of_sums": "mean",
    "dsr": "dsr",
    "israte": "isr",
    "isratio": "isr",
    "life_expectancy": "life_expectancy",
    "healthy_life_expectancy": "healthy_life_expectancy",
    "sii": "sii",
    "inequality_measures": "inequality",
    "attributable_fraction": "attributable",
    "decompose_gap": "decomposition",
}


def method_function(name: str) -> Callable[..., Any]:
    """Return the function ``healthgap.methods.<name>``, imported on first use."""
    try:
        module = importlib.import_module(f"healthgap.methods.{_MODULES[name]}")
    except ModuleNotFoundError:
        raise InputError(
            f"method {name!r} is not available in this version of healthgap.methods"
        ) from None
    return getattr(module, name)


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


def _complete_bands(
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


def _band_sets(
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


def _run_method(
    ind: Indicator, rows: pl.DataFrame, groups: pl.DataFrame, geo: Geography
) -> pl.DataFrame:
    """Run the method on every numbered group at once; its output is keyed by ``_g``."""
    if ind.method in ("dsr", "israte", "isratio"):
        rows = _complete_bands(rows, groups, ind, geo)
        pieces = [
            _run_banded(ind, piece, groups, geo, rows)
            for piece in _band_sets(rows, groups, ind, geo)
        ]
        return pl.concat(pieces, how="diagonal_relaxed").sort("_g")
    return _run_unbanded(ind, rows, groups, geo)


def _life_band_labels(starts: list[int]) -> dict[int, str]:
    """Label life-table bands ``0``, ``1-4``, ``5-9``, ..., ``90+`` from their starts."""
    ordered = sorted(starts)
    ends = [*[nxt - 1 for nxt in ordered[1:]], None]
    return {
        s: (f"{s}+" if e is None else str(s) if e == s else f"{s}-{e}")
        for s, e in zip(ordered, ends, strict=True)
    }


def _decomposition(ind: Indicator, counts: pl.DataFrame, geo: Geography) -> pl.DataFrame:
    """Arriaga's decomposition of the gap between two pooled groups of a breakdown.

    Rows: for every area, period and sex, the contribution of each age band (category type
    "Age band") and of each cause group ("Cause") to the gap in life expectancy at birth
    between the ``reference`` and the ``comparison`` groups; contributions add up to the gap.
    """
    from healthgap.engine.compute import cause_labels

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
    func = method_function("decompose_gap")
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


def _run_banded(
    ind: Indicator,
    rows: pl.DataFrame,
    groups: pl.DataFrame,
    geo: Geography,
    everything: pl.DataFrame,
) -> pl.DataFrame:
    """Compute the DSR, ISR or SMR of numbered groups sharing their age bands.

    ``everything`` holds all numbered counts: the totals (category ``""``) of the reference
    level give the ISR's reference rates, by period, sex and age band.
    """
    func = method_function(ind.method)
    common = {"group_by": "_g", "confidence": LEVELS, "type": "full", "errors": "flag"}
    if ind.method == "dsr":
        from healthgap.methods.standard_populations import ESP2013, ESP2013_AGE_STARTS

        weights = pl.DataFrame(
            {"age_start": list(ESP2013_AGE_STARTS), "stdpop": [float(w) for w in ESP2013]},
            schema={"age_start": rows.schema["age_start"], "stdpop": pl.Float64},
        )
        data = rows.join(weights, on="age_start", how="left", maintain_order="left")
        return func(data, "x", "n", "stdpop", multiplier=ind.multiplier, **common)
    # the reference's rates by period and sex (numbered _r) and age band
    strata = ["period_start", "period_years", "sex"]
    numbers = groups.select(strata).unique().sort(strata).with_row_index("_r")
    of_group = groups.join(numbers, on=strata, how="left").select(
        "_g", "_r", *strata, "category_type", "area_code"
    )
    ref_code = geo.national.get(ind.reference or "")
    chosen = pl.col("category_type") == ""
    if ref_code is not None:
        chosen = chosen & (pl.col("area_code") == ref_code)
    reference = (
        everything.join(of_group.filter(chosen).select("_g", "_r"), on="_g")
        .group_by("_r", "age_start")
        .agg(pl.col("x").sum().alias("x_ref"), pl.col("n").sum().alias("n_ref"))
    )
    data = (
        rows.join(of_group.select("_g", "_r"), on="_g", how="left", maintain_order="left")
        .join(reference, on=["_r", "age_start"], how="left", maintain_order="left")
        .with_columns(pl.col("x_ref", "n_ref").fill_null(0.0))
    )
    extra = (
        {"multiplier": ind.multiplier} if ind.method == "israte" else {"refvalue": ind.multiplier}
    )
    return func(data, "x", "n", "x_ref", "n_ref", refpoptype="field", **extra, **common)


def _run_unbanded(
    ind: Indicator, rows: pl.DataFrame, groups: pl.DataFrame, geo: Geography
) -> pl.DataFrame:
    """Proportions, rates, means, attributable fractions; life tables on their own bands."""
    common = {"group_by": "_g", "type": "full", "errors": "flag"}
    if ind.method == "mean":
        return method_function("mean_of_sums")(rows, "s", "n", "q", confidence=LEVELS, **common)
    func = method_function(ind.method)
    if ind.method == "attributable_fraction":  # exposure x population "s", population "n"
        from healthgap.engine.compute import EXPOSURE_UNITS

        assert ind.exposure is not None
        rows = rows.with_columns(pl.col("s") / EXPOSURE_UNITS)  # back from millionths
        return func(
            rows,
            "s",
            "n",
            deaths="x",
            relative_risk=ind.exposure.relative_risk,
            increment=ind.exposure.increment,
            multiplier=ind.multiplier,
            **common,
        )
    if ind.method in ("proportion", "rate"):
        return func(rows, "x", "n", multiplier=ind.multiplier, confidence=LEVELS, **common)
    rows = _complete_bands(rows, groups, ind, geo)
    if ind.method == "healthy_life_expectancy":  # Sullivan: the survey's prevalence by band
        # a band with no respondents has no prevalence (null): the method withholds its group
        prevalence = pl.when(pl.col("hn") > 0).then(pl.col("hx") / pl.col("hn"))
        data = rows.with_columns(prevalence.alias("prevalence"))
        return func(
            data,
            "x",
            "n",
            "age_start",
            "prevalence",
            prevalence_n="hn",
            hle_age=0,
            confidence=LEVELS,
            **common,
        )
    # life expectancy at birth, from deaths and populations by the 20 life-table bands
    return func(rows, "x", "n", "age_start", le_age=0, confidence=LEVELS, **common)


def _totals(ind: Indicator, out: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """``count`` and ``denominator`` of each group (``_g``)."""
    if ind.method == "mean":  # the number of values (and no denominator)
        return rows.group_by("_g").agg(
            pl.col("n").sum().alias("count"), pl.lit(None, pl.Float64).alias("denominator")
        )
    if ind.method == "attributable_fraction":  # attributable deaths of all deaths
        return out.select(
            "_g", pl.col("attributable_deaths").alias("count"), pl.col("x").alias("denominator")
        )
    return rows.group_by("_g").agg(
        pl.col("x").sum().alias("count"), pl.col("n").sum().alias("denominator")
    )


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
    from healthgap.store.schema import VALUES

    if counts.is_empty():
        return VALUES.empty_table()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)
        if ind.method == "decompose_gap":
            values = _decomposition(ind, counts, geo)
        else:
            groups, rows = _numbered(counts)
            out = _run_method(ind, rows, groups, geo)
            values = _as_values(out, _totals(ind, out, rows), groups)
        for spec in ind.inequality:
            values = pl.concat([values, inequality_values(ind, values, geo, spec)], how="diagonal")
    return _finish(ind, values)


def _finish(ind: Indicator, values: pl.DataFrame) -> pa.Table:
    """Add period labels, the indicator id and age; cast to :data:`VALUES`."""
    from healthgap.store.schema import VALUES

    pairs = values.select("period_start", "period_years").unique().rows()
    labels = pl.DataFrame(
        {
            "period_start": [int(s) for s, _ in pairs],
            "period_years": [int(y) for _, y in pairs],
            "period": [period_label(int(s), int(y), ind.periods.type) for s, y in pairs],
        },
        schema={
            "period_start": values.schema["period_start"],
            "period_years": values.schema["period_years"],
            "period": pl.String,
        },
    )
    values = values.join(labels, on=["period_start", "period_years"], how="left")
    values = values.with_columns(pl.lit(ind.id).alias("indicator_id"), pl.lit(ind.age).alias("age"))
    return values.select(VALUES.names).to_arrow().cast(VALUES)


def derived_values(ind: Indicator, computed: dict[str, pa.Table], catalogue: Any) -> pa.Table:
    """VALUES rows of an indicator computed from other indicators' values (``computed``).

    A ratio (``ratio``) is ``multiplier x numerator / denominator`` on matching keys (area,
    period, sex, breakdown), withheld (null, with the reason in ``value_note``) where either
    value is, without limits; its ``count`` and ``denominator`` are the numerator's. An
    inequality summary (``summary``) is that of :func:`inequality_values` over the
    summarised indicator's categories, one value per area, period and sex.
    """
    from healthgap.store.schema import VALUES

    sources = (
        [ind.ratio.numerator, ind.ratio.denominator]
        if ind.ratio is not None
        else [ind.summary.of]
        if ind.summary is not None
        else []
    )
    if not sources:
        raise InputError(f"indicator {ind.id!r} is not computed from other indicators")
    missing = [i for i in sources if i not in computed]
    if missing:
        raise InputError(
            f"indicator {ind.id!r}: needs indicators {missing}, which are not computed in this run"
        )
    frames = [pl.from_arrow(computed[i]) for i in sources]
    assert all(isinstance(f, pl.DataFrame) for f in frames)
    if any(f.is_empty() for f in frames):  # type: ignore[union-attr]
        return VALUES.empty_table()
    if ind.summary is not None:
        source = frames[0]
        base = source.select(*KEY_LIST, "value", *LIMITS, "count", "denominator", "value_note")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SuppressedWarning)
            values = inequality_values(
                catalogue[ind.summary.of], base, catalogue.geography, ind.summary.inequality()
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
    assert ind.ratio is not None
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
