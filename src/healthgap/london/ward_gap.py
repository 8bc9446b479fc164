r"""The life-expectancy gap across London's wards ranked by deprivation, from published figures.

Inputs: the GLA's ward life expectancy at birth with its published 95% limits (5-year pooled
periods, 2003 CAS wards), each LSOA's IMD 2019 score and residents, and an ONS lookup of
LSOAs to wards (:func:`healthgap.sources.read_ward_lookup`: each LSOA's shares of wards).

1. **Ward deprivation** (:func:`ward_deprivation`): the population-weighted mean of the IMD
   2019 scores of the ward's LSOAs,

   .. math:: S_w = \frac{\sum_l s_{lw} P_l S_l}{\sum_l s_{lw} P_l}

   with :math:`S_l` the LSOA's IMD score, :math:`P_l` its residents (Census 2011 usual
   residents) and :math:`s_{lw}` the share of the LSOA in the ward (1 in a best-fit lookup).
   This is MHCLG's "average score" summary measure of an area larger than an LSOA (MHCLG,
   The English Indices of Deprivation 2019, Statistical Release, "Area summaries", and
   Research report), which the GLA computes for London's wards (GLA Intelligence Update
   01-2012, "Ward level summary measures of the Indices of Deprivation 2010"); scores, not
   ranks, are averaged because scores are on an interval scale.
2. **Deciles within London** (:func:`ward_quantiles`): wards ranked by :math:`S_w` fall into
   quantiles holding equal numbers of wards, quantile 1 the most deprived
   (:func:`healthgap.methods.quantile`: OHID's rule for deprivation categories, the rule of
   Fingertips' within-area deciles of LSOAs). Equal numbers of wards, not of residents:
   the slope index below weights each quantile by its residents, so unequal ward sizes
   enter through the weights, as in OHID's SII on LSOA deciles.
3. **Life expectancy by quantile** (:func:`le_by_quantile`): for each period, sex and
   quantile :math:`d`, the residents-weighted mean of the wards' life expectancies

   .. math:: e_d = \frac{\sum_{w \in d} P_w e_w}{\sum_{w \in d} P_w}, \qquad
      \mathrm{SE}(e_d) = \frac{\sqrt{\sum_{w \in d} P_w^2 \mathrm{SE}(e_w)^2}}
      {\sum_{w \in d} P_w}

   with :math:`\mathrm{SE}(e_w) = (U_w - L_w) / (2 \times 1.959964)` from the published 95%
   limits and the wards taken as independent. This is an average of ward life expectancies,
   not the life expectancy of the pooled population (that needs deaths by age, which are not
   published by ward); it is close when wards' age structures are alike.
4. **Slope and relative index of inequality** (:func:`ward_sii`): OHID's SII
   (:func:`healthgap.methods.sii`) across the quantiles, with their residents as weights and
   the standard errors above, simulated limits at 95% and 99.8%.
5. **The gap** (:func:`quantile_gap`): :math:`e_{q} - e_1`, least minus most deprived
   quantile, with limits :math:`\pm z \sqrt{\mathrm{SE}(e_q)^2 + \mathrm{SE}(e_1)^2}`.

Functions take and return Polars frames; results have the store's VALUES columns.
"""

from __future__ import annotations

import warnings

import polars as pl
from scipy.special import ndtri

from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import quantile, sii

__all__ = [
    "REPETITIONS",
    "SEED",
    "check_coverage",
    "le_by_quantile",
    "quantile_gap",
    "quantile_type",
    "ward_deprivation",
    "ward_quantiles",
    "ward_sii",
]

#: Simulation draws and seed of the SII limits: fixed, so a rerun gives the same vintage.
REPETITIONS, SEED = 100_000, 20190926
#: z of the published 95% limits (two-sided normal quantile).
Z95 = float(ndtri(0.975))
_LEVELS = {"95_0": 0.95, "99_8": 0.998}
_KEYS = ["period", "period_start", "period_years", "sex", "age"]
_WORDS = {10: "decile", 5: "quintile"}


def quantile_type(nquantiles: int) -> str:
    """``category_type`` of ward quantiles: ``"Ward IMD 2019 decile (within London)"``."""
    word = _WORDS.get(nquantiles, f"{nquantiles}-quantile")
    return f"Ward IMD 2019 {word} (within London)"


def ward_deprivation(lsoas: pl.DataFrame, shares: pl.DataFrame) -> pl.DataFrame:
    r"""Each ward's residents and residents-weighted mean IMD 2019 score of its LSOAs.

    Parameters
    ----------
    lsoas : polars.DataFrame
        ``lsoa_code``, ``imd_score`` and ``residents`` (> 0), one row per LSOA.
    shares : polars.DataFrame
        ``lsoa_code``, ``ward_code``, ``share``: the lookup's shares of each LSOA in wards
        (``Imported.extra["lsoa_ward"]`` of :func:`healthgap.sources.read_ward_lookup`).
        LSOAs of the lookup without a score (outside the area of ``lsoas``) are left out.

    Returns
    -------
    polars.DataFrame
        ``ward_code``, ``population`` (:math:`\sum_l s_{lw} P_l`), ``imd_score``
        (:math:`S_w`) and ``lsoas`` (how many LSOAs overlap the ward), sorted by ward.

    Examples
    --------
    Half of LSOA ``B`` (1,000 residents, score 40) lies in ward ``W1`` with LSOA ``A`` (500
    residents, score 50): :math:`(500 \times 50 + 500 \times 40) / 1000 = 45`.

    >>> lsoas = pl.DataFrame(
    ...     {"lsoa_code": ["A", "B"], "imd_score": [50.0, 40.0], "residents": [500, 1000]}
    ... )
    >>> shares = pl.DataFrame(
    ...     {
    ...         "lsoa_code": ["A", "B", "B"],
    ...         "ward_code": ["W1", "W1", "W2"],
    ...         "share": [1.0, 0.5, 0.5],
    ...     }
    ... )
    >>> ward_deprivation(lsoas, shares).rows()
    [('W1', 1000.0, 45.0, 2), ('W2', 500.0, 40.0, 1)]
    """
    joined = shares.join(lsoas, on="lsoa_code", how="inner")
    weight = pl.col("share") * pl.col("residents")
    return (
        joined.group_by("ward_code")
        .agg(
            weight.sum().alias("population"),
            ((weight * pl.col("imd_score")).sum() / weight.sum()).alias("imd_score"),
            pl.len().cast(pl.Int32).alias("lsoas"),
        )
        .filter(pl.col("population") > 0)
        .sort("ward_code")
    )


def ward_quantiles(wards: pl.DataFrame, *, nquantiles: int = 10) -> pl.DataFrame:
    """Wards with ``quantile``: their within-London deprivation quantile, 1 = most deprived.

    ``wards`` has ``imd_score`` (higher = more deprived); quantiles hold equal numbers of
    wards by OHID's rule (:func:`healthgap.methods.quantile`, ties sharing the lowest rank).
    """
    out = quantile(wards, "imd_score", nquantiles=nquantiles, invert=True, type="standard")
    return out.with_columns(pl.col("quantile").cast(pl.Int32))


def le_by_quantile(
    le: pl.DataFrame, wards: pl.DataFrame, area_code: str, *, nquantiles: int = 10
) -> pl.DataFrame:
    """Life expectancy of each deprivation quantile of wards, per period, sex and age.

    Parameters
    ----------
    le : polars.DataFrame
        Ward life expectancy: ``area_code`` (ward), the period columns, ``sex``, ``age``,
        ``value``, ``lower95_0cl``, ``upper95_0cl``; rows without a value or limits are left
        out.
    wards : polars.DataFrame
        :func:`ward_quantiles`' output (``ward_code``, ``population``, ``quantile``).
    area_code : str
        Code written on the results (the region).
    nquantiles : int, default 10
        The number of quantiles ``wards`` was cut into (for ``category_type``).

    Returns
    -------
    polars.DataFrame
        ``area_code``, the period columns, ``sex``, ``age``, ``category_type``,
        ``category`` (the quantile, text), ``value`` (:math:`e_d`), ``se``, the 95% and
        99.8% limits, ``denominator`` (the quantile's residents), ``wards`` and
        ``value_note``, sorted.
    """
    rows = le.join(
        wards.select(pl.col("ward_code").alias("area_code"), "population", "quantile"),
        on="area_code",
        how="inner",
    ).filter(
        pl.col("value").is_not_null()
        & pl.col("lower95_0cl").is_not_null()
        & pl.col("upper95_0cl").is_not_null()
        & pl.col("quantile").is_not_null()
    )
    se = (pl.col("upper95_0cl") - pl.col("lower95_0cl")) / (2 * Z95)
    weight = pl.col("population")
    out = (
        rows.group_by(*_KEYS, "quantile")
        .agg(
            ((weight * pl.col("value")).sum() / weight.sum()).alias("value"),
            ((weight**2 * se**2).sum().sqrt() / weight.sum()).alias("se"),
            weight.sum().alias("denominator"),
            pl.len().cast(pl.Int32).alias("wards"),
        )
        .sort(*_KEYS, "quantile")
    )
    limits = []
    for label, level in _LEVELS.items():
        z = float(ndtri(0.5 + level / 2))
        limits += [
            (pl.col("value") - z * pl.col("se")).alias(f"lower{label}cl"),
            (pl.col("value") + z * pl.col("se")).alias(f"upper{label}cl"),
        ]
    return out.with_columns(*limits).select(
        pl.lit(area_code).alias("area_code"),
        *_KEYS,
        pl.lit(quantile_type(nquantiles)).alias("category_type"),
        pl.col("quantile").cast(pl.String).alias("category"),
        "value",
        "se",
        "lower95_0cl",
        "upper95_0cl",
        "lower99_8cl",
        "upper99_8cl",
        "denominator",
        "wards",
        pl.format("mean of {} wards' life expectancy, weighted by residents", "wards").alias(
            "value_note"
        ),
    )


def ward_sii(by_quantile: pl.DataFrame) -> pl.DataFrame:
    """SII (years) and RII of life expectancy across the ward quantiles, per period and sex.

    Parameters
    ----------
    by_quantile : polars.DataFrame
        :func:`le_by_quantile`'s output; periods and sexes missing a quantile are withheld
        (left out of the result).

    Returns
    -------
    polars.DataFrame
        ``area_code``, the period columns, ``sex``, ``age``, ``value`` (the SII: the fitted
        gap from the most to the least deprived end, positive when the least deprived live
        longer), its 95% and 99.8% limits and ``value_note`` (the RII and the number of
        wards), sorted.
    """
    frame = by_quantile.with_columns(pl.col("category").cast(pl.Int32).alias("quantile"))
    keys = ["area_code", *_KEYS]
    with warnings.catch_warnings():
        # periods missing a quantile are withheld; they are left out below
        warnings.simplefilter("ignore", SuppressedWarning)
        out = sii(
            frame.select(*keys, "quantile", "denominator", "value", "se"),
            "quantile",
            "denominator",
            value="value",
            se="se",
            value_type=0,
            group_by=keys,
            confidence=(0.95, 0.998),
            rii=True,
            repetitions=REPETITIONS,
            seed=SEED,
            type="standard",
        )
    wards = frame.group_by(keys).agg(pl.col("wards").sum(), pl.len().alias("quantiles"))
    return (
        out.join(wards, on=keys)
        .filter(pl.col("sii").is_not_null())
        .select(
            *keys,
            pl.col("sii").alias("value"),
            *[pl.col(f"sii_{c}").alias(c) for c in _limit_names()],
            pl.format(
                "RII {}; {} wards in {} {} ranked by IMD 2019 average score",
                pl.col("rii").round(4),
                "wards",
                "quantiles",
                pl.col("quantiles").replace_strict(
                    {10: "deciles", 5: "quintiles"}, default="quantiles", return_dtype=pl.String
                ),
            ).alias("value_note"),
        )
        .sort(keys)
    )


def quantile_gap(by_quantile: pl.DataFrame) -> pl.DataFrame:
    """Least minus most deprived quantile's life expectancy, with normal limits.

    Returns
    -------
    polars.DataFrame
        ``area_code``, the period columns, ``sex``, ``age``, ``value`` (:math:`e_q - e_1`,
        years), the 95% and 99.8% limits and ``value_note``, for the periods and sexes with
        both quantiles.
    """
    if by_quantile.is_empty():
        return by_quantile.select(
            "area_code", *_KEYS, "value", *_limit_names(), "value_note"
        ).clear()
    q = by_quantile.with_columns(pl.col("category").cast(pl.Int32).alias("quantile"))
    top = int(q["quantile"].max())
    word = _WORDS.get(top, "quantile")
    keys = ["area_code", *_KEYS]
    most = q.filter(pl.col("quantile") == 1).select(*keys, "value", "se")
    least = q.filter(pl.col("quantile") == top).select(*keys, "value", "se")
    both = least.join(most, on=keys, suffix="_most")
    se = (pl.col("se") ** 2 + pl.col("se_most") ** 2).sqrt()
    gap = pl.col("value") - pl.col("value_most")
    limits = []
    for label, level in _LEVELS.items():
        z = float(ndtri(0.5 + level / 2))
        limits += [(gap - z * se).alias(f"lower{label}cl"), (gap + z * se).alias(f"upper{label}cl")]
    return both.select(
        *keys,
        gap.alias("value"),
        *limits,
        pl.lit(f"{word} {top} (least deprived) minus {word} 1 (most deprived)").alias("value_note"),
    ).sort(keys)


def _limit_names() -> list[str]:
    return [f"{side}{label}cl" for label in _LEVELS for side in ("lower", "upper")]


def check_coverage(le_wards: pl.Series, wards: pl.DataFrame, lookup: str) -> tuple[int, int]:
    """Count the life-expectancy wards the lookup reaches; refuse a lookup that reaches none.

    Returns ``(matched, total)``.

    Raises
    ------
    InputError
        When no ward of the life expectancy file is in the lookup (its wards are of another
        year): names the file and the wards wanted.
    """
    codes = le_wards.unique()
    matched = int(codes.is_in(wards["ward_code"].implode()).sum())
    if matched == 0:
        example = ", ".join(codes.sort().head(3).to_list())
        raise InputError(
            f"{lookup}: none of its wards is a ward of the life expectancy file "
            f"({codes.len()} wards such as {example}); use the ONS LSOA (2011) to Ward "
            "(2011) lookup, whose wards are those of the GLA ward life expectancy"
        )
    return matched, int(codes.len())
