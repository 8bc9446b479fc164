"""Inequality summaries of an indicator's values across the categories of a breakdown.

OHID's slope and relative index of inequality (:func:`healthgap.methods.sii`) over ordered
categories such as deprivation deciles (1 = most deprived), and the WHO HEAT measures
(:func:`healthgap.methods.inequality_measures`) over ordered or non-ordered categories such as
ethnic groups. Every area, period and sex in one call per method; results become VALUES rows
whose ``category_type`` is the breakdown's and whose ``category`` names the measure.
"""

from __future__ import annotations

import polars as pl

from healthgap._conventions import LEVELS, LIMIT_PAIRS, LIMITS
from healthgap.catalogue.indicator import Geography, Indicator, Inequality
from healthgap.errors import InputError
from healthgap.methods import sii
from healthgap.methods.inequality import (
    DEFAULT_SCALE,
    MEASURE_NAMES,
    WITHHELD,
    inequality_measures,
)

__all__ = ["inequality_values"]

GROUPS = ["area_code", "period_start", "period_years", "sex"]
SII_LABELS = {"sii": "Slope index of inequality", "rii": "Relative index of inequality"}
MIN_CATEGORIES = 5  # OHID: an SII over fewer than five categories is not given
LIMITS_NOT_GIVEN = (
    "limits not given: the simulated interval does not contain the estimate "
    "(a measure bounded at zero)"
)


def _rows(values: pl.DataFrame, category_type: str) -> pl.DataFrame:
    return values.filter(
        (pl.col("category_type") == category_type)
        & pl.col("value").is_not_null()
        & pl.col("count").is_not_null()
    )


def _as_values(frame: pl.DataFrame, category_type: str, columns: list[str]) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(category_type).alias("category_type"),
        pl.lit(None, pl.Float64).alias("count"),
        pl.lit(None, pl.Float64).alias("denominator"),
        pl.lit(None, pl.String).alias("value_note"),
    ).select(columns)


def _slope(
    ind: Indicator,
    rows: pl.DataFrame,
    spec: Inequality,
    category_type: str,
    columns: list[str],
    value_type: int,
) -> list[pl.DataFrame]:
    """SII and RII (OHID), categories ranked by their number, 1 = most deprived.

    ``value_type`` is OHID's: 1 rates, 2 proportions, 0 anything else.
    """
    wanted = [m for m in spec.measures if m in SII_LABELS]
    if not wanted:
        return []
    rows = rows.with_columns(pl.col("category").cast(pl.Int32, strict=False).alias("quantile"))
    if rows["quantile"].null_count():
        raise InputError(
            f"indicator {ind.id!r}: inequality over {spec.breakdown!r} needs "
            "whole-number categories (1 = most deprived)"
        )
    full = rows.group_by(GROUPS).agg(pl.len().alias("_k"))
    rows = rows.join(full.filter(pl.col("_k") >= MIN_CATEGORIES), on=GROUPS).drop("_k")
    if rows.is_empty():
        return []
    out = sii(
        rows,
        "quantile",
        "denominator",
        value="value",
        value_type=value_type,
        lower_cl="lower95_0cl",
        upper_cl="upper95_0cl",
        group_by=GROUPS,
        repetitions=spec.repetitions,
        confidence=LEVELS,
        rii="rii" in wanted,
        seed=spec.seed,
        type="full",
    )
    pieces = []
    for measure in wanted:
        cols = {"value": measure, **{c: f"{measure}_{c}" for c in LIMITS}}
        missing = [src for src in cols.values() if src not in out.columns]
        if missing:
            raise InputError(f"method sii gave no columns {missing}")
        piece = out.select(
            *GROUPS,
            *[pl.col(src).alias(dst) for dst, src in cols.items()],
            pl.lit(SII_LABELS[measure]).alias("category"),
        )
        pieces.append(_as_values(piece, category_type, columns))
    return pieces


def _heat(
    ind: Indicator, rows: pl.DataFrame, spec: Inequality, category_type: str, columns: list[str]
) -> list[pl.DataFrame]:
    """WHO HEAT measures; ``category`` is the measure's name, e.g. 'Difference (D)'."""
    wanted = [m for m in spec.measures if m not in SII_LABELS]
    if not wanted:
        return []
    full = rows.group_by(GROUPS).agg(pl.len().alias("_k"))
    rows = rows.join(full.filter(pl.col("_k") >= 2), on=GROUPS).drop("_k")
    if rows.is_empty():
        return []
    extra: dict[str, str] = {}
    if spec.ordered:
        rows = rows.with_columns(pl.col("category").cast(pl.Int32, strict=False).alias("_order"))
        if rows["_order"].null_count():
            raise InputError(
                f"indicator {ind.id!r}: ordered inequality over "
                f"{spec.breakdown!r} needs whole-number categories "
                "(1 = most disadvantaged)"
            )
        extra["order"] = "_order"
    if spec.reference is not None:
        rows = rows.with_columns((pl.col("category") == spec.reference).alias("_reference"))
        extra["reference"] = "_reference"
    elif any(m in ("mdru", "mdrw") for m in wanted):
        raise InputError(
            f"indicator {ind.id!r}: measures mdru/mdrw need inequality.reference "
            "(the reference category)"
        )
    # HEAT weights subgroups by their population: the denominator, or for a mean (no
    # denominator) the number of values, each group's share of the respondents
    population = "denominator" if rows["denominator"].null_count() == 0 else "count"
    # limits from the subgroups' 95% limits; a setting with a subgroup without limits (a
    # single value) is withheld by the method; an indicator without limits gets none
    with_limits = rows["lower95_0cl"].null_count() < len(rows)
    limits = (
        {"lower_cl": "lower95_0cl", "upper_cl": "upper95_0cl", "confidence": LEVELS}
        if with_limits
        else {"confidence": None}
    )
    withheld = rows.clear().select(GROUPS)
    if with_limits:  # settings the method would withhold are withheld here, unsimulated
        gap = pl.col("lower95_0cl").is_null() | pl.col("upper95_0cl").is_null()
        withheld = rows.group_by(GROUPS).agg(gap.any().alias("_gap")).filter("_gap").drop("_gap")
        rows = rows.join(withheld, on=GROUPS, how="anti")
    labels = heat_labels(wanted)
    pieces = [
        withheld.join(pl.DataFrame({"category": list(labels.values())}), how="cross").with_columns(
            *[pl.lit(None, pl.Float64).alias(c) for c in ("value", *LIMITS)],
            pl.lit(WITHHELD).alias("_note"),
        )
    ]
    if rows.is_empty():
        return [
            _as_values(pieces[0], category_type, columns).with_columns(
                pieces[0]["_note"].alias("value_note")
            )
        ]
    out = inequality_measures(
        rows.sort(*GROUPS, "category"),
        "value",
        population,
        dimension_type="ordered" if spec.ordered else "non-ordered",
        favourable=ind.polarity != "low_is_good",
        measures=wanted,
        group_by=GROUPS,
        repetitions=spec.repetitions,
        seed=spec.seed,
        **limits,
        **extra,
    )
    piece = out.select(
        *GROUPS,
        "value",
        *[pl.col(c) if c in out.columns else pl.lit(None, pl.Float64).alias(c) for c in LIMITS],
        pl.col("measure").replace_strict(labels).alias("category"),
        pl.col("statistic"),
    )
    # simulated (percentile) limits of measures bounded at zero need not contain the
    # estimate (see inequality_measures): such limits are not published
    outside = pl.lit(False)
    for low, high in LIMIT_PAIRS:
        outside = outside | (pl.col(low) > pl.col("value")) | (pl.col(high) < pl.col("value"))
    note = (
        pl.when(pl.col("value").is_null())
        .then(pl.col("statistic"))
        .when(outside.fill_null(False))
        .then(pl.lit(LIMITS_NOT_GIVEN))
    )
    piece = (
        piece.with_columns(note.alias("_note"))
        .with_columns(
            *[
                pl.when(pl.col("_note") == LIMITS_NOT_GIVEN)
                .then(None)
                .otherwise(pl.col(c))
                .alias(c)
                for c in LIMITS
            ]
        )
        .drop("statistic")
    )
    both = pl.concat([piece, pieces[0].select(piece.columns)], how="vertical_relaxed")
    return [
        _as_values(both, category_type, columns).with_columns(both["_note"].alias("value_note"))
    ]


def heat_labels(measures: list[str]) -> dict[str, str]:
    """Return the ``category`` of each HEAT measure: its name and display scale."""
    labels = {}
    for m in measures:
        name = MEASURE_NAMES[m]
        scale = DEFAULT_SCALE.get(m, 1)
        labels[m] = name[0].upper() + name[1:] + (f" x {scale:g}" if scale != 1 else "")
    return labels


def inequality_values(
    ind: Indicator, values: pl.DataFrame, geo: Geography, spec: Inequality, *, value_type: int = 0
) -> pl.DataFrame:
    """Compute the summaries ``spec`` asks for, as rows with the columns of ``values``.

    ``value_type`` tells the SII what the values are (OHID: 1 rates, 2 proportions, 0 other;
    :attr:`healthgap.catalogue.Method.value_type` of the indicator's method).
    """
    category_type = geo.breakdowns[spec.breakdown].category_type
    rows = _rows(values, category_type)
    columns = values.columns
    pieces = [
        *_slope(ind, rows, spec, category_type, columns, value_type),
        *_heat(ind, rows, spec, category_type, columns),
    ]
    if not pieces:
        return values.clear()
    return pl.concat(pieces, how="diagonal").select(columns)
