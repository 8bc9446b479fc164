"""Population estimates downloaded from Nomis's API as CSV (``/api/v01/dataset/NM_2002_1``...).

Nomis (ONS's labour market and census service) returns one observation a row, every
dimension as ``<DIMENSION>``, ``<DIMENSION>_NAME`` and ``<DIMENSION>_CODE`` columns in upper
case, and the number in ``OBS_VALUE`` (Nomis API documentation, "Data download": the
``select`` parameter chooses the columns). Population estimates by single year of age
(``pestsyoala``, ``NM_2002_1``) name the dimensions ``DATE``, ``GEOGRAPHY``, ``GENDER``,
``C_AGE`` and ``MEASURES``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from healthgap.sources import _validate
from healthgap.sources._ons import check_total
from healthgap.sources._tables import Imported, areas_arrow, inputs_of, population_arrow

__all__ = ["is_nomis", "nomis_population"]

_SEX = {
    "total": "Persons",
    "persons": "Persons",
    "all persons": "Persons",
    "male": "Male",
    "males": "Male",
    "female": "Female",
    "females": "Female",
}


def is_nomis(columns: list[str]) -> bool:
    """Whether a header is a Nomis API download's (``GEOGRAPHY_CODE`` and ``OBS_VALUE``)."""
    upper = {c.upper() for c in columns}
    return {"GEOGRAPHY_CODE", "OBS_VALUE"} <= upper


def _age(name: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Age label and first year of Nomis's age names.

    ``Age 0`` -> ``0``; ``Age 90+``, ``Aged 90+``, ``Age 90 and over`` -> ``90+``;
    ``Age 0 - 4``, ``Aged 0 to 4`` -> ``0-4``; ``All Ages`` -> ``All ages``.
    """
    text = name.str.strip_chars().str.to_lowercase()
    single = text.str.extract(r"^aged? (\d+)$", 1)
    over = text.str.extract(r"^aged? (\d+)(?:\+| and over| or over)$", 1)
    band = text.str.extract_groups(r"^aged? (\d+)\s*(?:-|to)\s*(\d+)$")
    label = (
        pl.when(text.is_in(["all ages", "all persons", "total"]))
        .then(pl.lit("All ages"))
        .when(single.is_not_null())
        .then(single)
        .when(over.is_not_null())
        .then(pl.format("{}+", over))
        .when(band.struct.field("1").is_not_null())
        .then(pl.format("{}-{}", band.struct.field("1"), band.struct.field("2")))
    )
    start = (
        pl.when(label == "All ages")
        .then(pl.lit(0))
        .otherwise(label.str.extract(r"^(\d+)", 1).cast(pl.Int16, strict=False))
    )
    return label, start.cast(pl.Int16)


def nomis_population(raw: pl.DataFrame, path: Path, problems: _validate.Problems) -> Imported:
    """Read the population table of a Nomis population estimates download (module notes).

    Rows of a measure other than ``Value`` (Nomis's ``Percent``) are left out. ``All Ages``
    rows are kept only when the file has no other ages for the area, sex and year; otherwise
    they must equal the sum of those ages. Sex and age default to ``Persons`` and ``All
    ages`` when the file has no ``GENDER_NAME`` or ``C_AGE_NAME``.
    """
    column = {c.upper(): c for c in raw.columns}
    frame = raw
    if "MEASURES_NAME" in column:
        frame = frame.filter(pl.col(column["MEASURES_NAME"]).str.to_lowercase() == "value")
    date = column.get("DATE_NAME") or column.get("DATE")
    sex_name, age_name = column.get("GENDER_NAME"), column.get("C_AGE_NAME")
    age, age_start = _age(pl.col(age_name)) if age_name else (pl.lit("All ages"), pl.lit(0))
    frame = _validate.numbers(frame, [column["OBS_VALUE"]], problems)
    long = frame.select(
        pl.col(column["GEOGRAPHY_CODE"]).alias("area_code"),
        (pl.col(column["GEOGRAPHY_NAME"]) if "GEOGRAPHY_NAME" in column else pl.lit(None)).alias(
            "area_name"
        ),
        (
            pl.col(date).str.extract(r"((?:19|20)\d\d)", 1).cast(pl.Int32, strict=False)
            if date
            else pl.lit(None, pl.Int32)
        ).alias("year"),
        (
            pl.col(sex_name).str.strip_chars().str.to_lowercase().replace_strict(_SEX, default=None)
            if sex_name
            else pl.lit("Persons")
        ).alias("sex"),
        age.alias("age"),
        age_start.cast(pl.Int16).alias("age_start"),
        pl.col(column["OBS_VALUE"]).alias("population"),
        "_line",
    )
    _validate.area_codes(long, "area_code", problems, label=column["GEOGRAPHY_CODE"])
    checks = [
        ("year", date or "DATE_NAME", "a year such as 2019 (the file needs a DATE_NAME column)"),
        ("sex", sex_name or "GENDER_NAME", "Total, Male or Female"),
        ("age", age_name or "C_AGE_NAME", "an age such as 'Age 0', 'Aged 90+' or 'All Ages'"),
        ("population", column["OBS_VALUE"], "a population (estimates are never missing)"),
    ]
    for ours, theirs, expected in checks:
        problems.add(long, pl.col(ours).is_null(), theirs, ours, expected)
    problems.add(
        long, pl.col("population") < 0, column["OBS_VALUE"], "population", "a population >= 0"
    )
    problems.raise_if_any()
    keys = ["area_code", "year", "sex"]
    detail = long.filter(pl.col("age") != "All ages")
    long = long.join(
        detail.select(keys).unique().with_columns(pl.lit(True).alias("_detailed")),
        on=keys,
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    detailed = pl.col("_detailed").fill_null(False)
    totals = long.filter((pl.col("age") == "All ages") & detailed)
    population = long.filter((pl.col("age") != "All ages") | ~detailed).drop("_detailed")
    problems.add(
        population,
        pl.struct(*keys, "age").is_duplicated(),
        age_name or "C_AGE_NAME",
        pl.format("{} {} {} {}", "area_code", "year", "sex", "age"),
        "one row per area, year, sex and age (duplicate key)",
    )
    bands = population.select(pl.col("age").str.contains("-").any()).item()
    singles = population.select(pl.col("age").str.contains(r"^\d+$").any()).item()
    if bands and singles:
        problems.add_file_problem(
            age_name or "C_AGE_NAME",
            "single years and age bands",
            "one breakdown of age (bands overlap single years and would be counted twice)",
        )
    check_total(
        detail, keys, totals.rename({"population": "_total"}), age_name or "C_AGE_NAME", problems
    )
    problems.raise_if_any()
    return Imported(
        source="ons-population",
        population=population_arrow(population),
        areas=areas_arrow(long.select("area_code", "area_name")),
        inputs=inputs_of(path),
    )
