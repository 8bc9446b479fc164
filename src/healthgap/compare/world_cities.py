"""London beside other world cities, saying which published figures can fairly be compared.

Cities publish at different times, for different areas (a city, its region or state) and
sometimes only for both sexes together, so each comparison states whether it is like with like.
"""

from __future__ import annotations

import narwhals as nw
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames
from healthgap.errors import InputError

#: Figures published more than this many years apart are not compared.
MAX_YEAR_GAP = 3
COLUMNS = ("city", "area", "measure", "sex", "value", "period", "year")


def world_city_comparison(
    data: IntoFrameT, *, reference: str = "London", max_year_gap: int = MAX_YEAR_GAP
) -> IntoFrameT:
    """Set each city's published figure beside the reference city's, and say if comparable.

    A city's figure is compared with the reference city's figure for the same measure and sex.
    It is *comparable* when such a figure exists and the two were published for years at most
    ``max_year_gap`` apart; otherwise ``reason`` says why not. When the area published is not
    the city itself (a region or state standing in for it), ``caveat`` says so.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        Columns ``city, area, measure, sex, value, period, year`` (as
        ``catalogue/london/world_cities.csv``).
    reference : str
        The city the others are set beside (default "London").
    max_year_gap : int
        Largest difference in years for which two figures are compared (default 3).

    Returns
    -------
    The same kind of table, one row per figure of another city, with ``reference_value``,
    ``reference_period``, ``difference`` (city minus reference), ``comparable``, ``reason``
    and ``caveat``.

    Examples
    --------
    >>> import polars as pl
    >>> cities = pl.DataFrame({"city": ["London", "Tokyo"], "area": ["London", "Tokyo"],
    ...     "measure": ["life_expectancy"] * 2, "sex": ["Male"] * 2, "value": [80.7, 81.77],
    ...     "period": ["2013-15", "2020"], "year": [2014, 2020]})
    >>> out = world_city_comparison(cities)
    >>> out.select("city", pl.col("difference").round(2), "comparable", "reason").row(0)
    ('Tokyo', 1.07, False, 'published 6 years apart (2014 and 2020)')
    """
    frame = _frames.to_frame(data)
    _checks.columns(frame, *COLUMNS)
    _checks.numeric(frame, "value", "year")
    gap = int(_checks.number("max_year_gap", max_year_gap, low=0))
    ref = frame.filter(nw.col("city") == reference)
    if len(ref) == 0:
        raise InputError(
            f"reference city {reference!r} has no figures; cities: "
            f"{sorted(frame['city'].unique().to_list())}"
        )
    ref = ref.select(
        "measure",
        "sex",
        nw.col("value").alias("reference_value"),
        nw.col("period").alias("reference_period"),
        nw.col("year").alias("reference_year"),
    )
    others = frame.filter(nw.col("city") != reference).select(*COLUMNS)
    out = others.join(ref, on=["measure", "sex"], how="left")
    missing = nw.col("reference_value").is_null()
    # a missing reference year is never read (the 'missing' branch comes first); 0 keeps the
    # column integer for every frame library
    out = out.with_columns(
        nw.col("reference_year").fill_null(0).cast(nw.Int64), nw.col("year").cast(nw.Int64)
    )
    years_apart = (nw.col("year") - nw.col("reference_year")).abs()
    out = out.with_columns(
        difference=nw.col("value") - nw.col("reference_value"),
        comparable=~missing & (years_apart <= gap),
        reason=nw.when(missing)
        .then(
            nw.concat_str(
                nw.lit(f"{reference} has no "), nw.col("sex"), nw.lit(" figure for this measure")
            )
        )
        .when(years_apart > gap)
        .then(
            nw.concat_str(
                nw.lit("published "),
                years_apart.cast(nw.String),
                nw.lit(" years apart ("),
                nw.col("reference_year").cast(nw.String),
                nw.lit(" and "),
                nw.col("year").cast(nw.String),
                nw.lit(")"),
            )
        )
        .otherwise(nw.lit("")),
        caveat=nw.when(nw.col("area") != nw.col("city"))
        .then(nw.concat_str(nw.col("area"), nw.lit(" stands in for "), nw.col("city")))
        .otherwise(nw.lit("")),
    )
    order = ["measure", "sex", "city"]
    return _frames.to_native(out.drop("reference_year").sort(order))
