"""Census 2021 tables (ONS): populations (TS007A, TS009) and any one-variable table as shares."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from healthgap.sources import _validate
from healthgap.sources._csv import read_csv
from healthgap.sources._guard import reads
from healthgap.sources._ons import age_start, check_total
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    inputs_of,
    population_arrow,
)
from healthgap.sources.ons.census_shares import bulk_shares, custom_shares, variable_of_download

__all__ = ["read_census_2021"]


def _census_band(label: pl.Expr) -> pl.Expr:
    """Census band label -> '0-4', '5-9', ..., '85+' ('Aged 4 years and under' -> '0-4')."""
    under = label.str.extract(r"Aged (\d+) years? and under", 1)
    span = label.str.extract_groups(r"Aged (\d+) to (\d+) years")
    over = label.str.extract(r"Aged (\d+) years? and over", 1)
    return (
        pl.when(under.is_not_null())
        .then(pl.format("0-{}", under))
        .when(span.struct.field("1").is_not_null())
        .then(pl.format("{}-{}", span.struct.field("1"), span.struct.field("2")))
        .when(over.is_not_null())
        .then(pl.format("{}+", over))
    )


@reads("census-2021", "a Census 2021 bulk CSV or custom dataset download")
def read_census_2021(path: str | Path) -> Imported:
    """Census 2021 tables: populations (TS007A, TS009) and one-variable tables as shares.

    The table is recognised from its header:

    * TS007A *Age by five-year age bands* (``date, geography, geography code, Age: Total,
      Age: Aged 4 years and under, ...``) -> ``population`` (sex Persons, bands ``0-4`` ...
      ``85+``);
    * TS009 *Sex by single year of age*, downloaded for any geography (``Lower Tier Local
      Authorities Code, ..., Sex (2 categories), Age (91 categories) Code, ...,
      Observation``; the geography's columns as ONS names them, e.g. ``Lower layer Super
      Output Areas Code``) -> ``population`` (Male and Female, ages ``0`` ... ``89``,
      ``90+``);
    * TS037 *General health* (bulk CSV of any geography, or the custom download with its
      ``Does not apply`` category left out) -> ``values`` of indicator
      ``census2021-general-health``: the
      percentage of usual residents in each category (``category_type`` "General health"),
      with count and denominator;
    * any other table of one variable, as a bulk CSV or a custom download (TS038
      *Disability*, TS021 *Ethnic group* ...) -> ``values`` of ``census2021-<variable>``
      in the same form (:mod:`~healthgap.sources.ons.census_shares`).

    Parameters
    ----------
    path : str or Path
        One of those CSV files.

    Returns
    -------
    Imported
        ``population`` or ``values`` (+ ``indicators``), and ``areas``.

    Raises
    ------
    ImportValidationError
        For an unknown layout, malformed codes, non-numeric or negative counts, totals that
        differ from the sum of their categories.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    raw = read_csv(path)
    cols = [c for c in raw.columns if c != "_line"]
    if "geography code" in cols and any(c.startswith("Age: ") for c in cols):
        return _ts007a(raw, path, problems)
    shares = bulk_shares(raw, path, problems)
    if shares is not None:
        return shares
    geography = _geography_columns(cols)
    if "Age (91 categories) Code" in cols and geography:
        return _ts009(raw, path, problems, geography)
    variable = variable_of_download(cols)
    if variable and geography:
        return custom_shares(raw, path, problems, geography, variable)
    problems.add_file_problem(
        "header",
        ", ".join(cols[:6]),
        "a Census 2021 bulk CSV (date, geography, geography code, <variable>: Total: ...) or "
        "a custom download of one variable (<geography> Code, <geography>, <variable> "
        "(<n> categories) Code, <variable> (<n> categories), Observation)",
    )
    problems.raise_if_any()
    raise AssertionError("unreachable")  # pragma: no cover


def _geography_columns(columns: list[str]) -> tuple[str, str] | None:
    """Find the area code and name columns of a custom dataset download (None if absent).

    ONS's "Create a custom dataset" names them after the geography, in the case of the year
    it was downloaded: ``Lower Tier Local Authorities Code``, ``Lower tier local authorities
    Code``, ``Lower layer Super Output Areas Code``, ``Electoral wards and divisions Code``.
    """
    for column in columns:
        name = column.removesuffix(" Code")
        if name != column and name in columns and not name.endswith("categories)"):
            return column, name
    return None


def _bulk_areas(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.select(
        pl.col("geography code").alias("area_code"), pl.col("geography").alias("area_name")
    )


def _ts007a(raw: pl.DataFrame, path: Path, problems: _validate.Problems) -> Imported:
    bands = [c for c in raw.columns if c.startswith("Age: ") and c != "Age: Total"]
    _validate.area_codes(raw, "geography code", problems)
    frame = _validate.numbers(raw, [*bands, "Age: Total", "date"], problems)
    long = frame.unpivot(
        bands,
        index=["geography code", "date", "_line"],
        variable_name="band",
        value_name="population",
    )
    long = long.with_columns(
        pl.col("geography code").alias("area_code"),
        pl.col("date").cast(pl.Int32).alias("year"),
        pl.lit("Persons").alias("sex"),
    )
    band_ages = pl.DataFrame({"band": bands}).with_columns(  # 18 headers, not 642,096 rows
        _census_band(pl.col("band")).alias("age")
    )
    long = long.join(band_ages, on="band", how="left", maintain_order="left").with_columns(
        age_start(pl.col("age")).alias("age_start")
    )
    problems.add(
        long,
        pl.col("age").is_null(),
        "age band header",
        "band",
        "a band such as 'Age: Aged 5 to 9 years'",
    )
    problems.add(long, pl.col("population") < 0, "population", "population", "a count >= 0")
    problems.raise_if_any()
    totals = frame.select(
        pl.col("geography code").alias("area_code"),
        pl.lit("Persons").alias("sex"),
        pl.col("Age: Total").alias("_total"),
        "_line",
    )
    check_total(long, ["area_code", "sex"], totals, "Age: Total", problems)
    problems.raise_if_any()
    return Imported(
        source="census-2021",
        population=population_arrow(long),
        areas=areas_arrow(_bulk_areas(raw)),
        inputs=inputs_of(path),
    )


def _ts009(
    raw: pl.DataFrame, path: Path, problems: _validate.Problems, geography: tuple[str, str]
) -> Imported:
    (code, name), age_code = geography, "Age (91 categories) Code"
    _validate.area_codes(raw, code, problems)
    frame = _validate.numbers(raw, ["Observation", age_code], problems)
    sex = pl.col("Sex (2 categories)")
    problems.add(
        frame,
        ~sex.is_in(["Female", "Male"]),
        "Sex (2 categories)",
        "Sex (2 categories)",
        "Female or Male",
    )
    problems.add(frame, pl.col("Observation") < 0, "Observation", "Observation", "a count >= 0")
    problems.raise_if_any()
    age = pl.col(age_code).cast(pl.Int16)
    population = frame.select(
        pl.col(code).alias("area_code"),
        pl.lit(2021, pl.Int32).alias("year"),
        sex.alias("sex"),
        pl.when(age >= 90).then(pl.lit("90+")).otherwise(age.cast(pl.String)).alias("age"),
        age.alias("age_start"),
        pl.col("Observation").alias("population"),
        "_line",
    )
    _validate.values_table(
        population.with_columns(
            pl.lit("").alias("indicator_id"),
            pl.lit("").alias("period"),
            pl.lit("").alias("category_type"),
            pl.lit("").alias("category"),
            *(
                pl.lit(None, pl.Float64).alias(c)
                for c in (
                    "value",
                    "count",
                    "denominator",
                    "lower95_0cl",
                    "upper95_0cl",
                    "lower99_8cl",
                    "upper99_8cl",
                )
            ),
        ),
        problems,
        keys=["area_code", "sex", "age"],
        labels={"area_code": code, "sex": "Sex (2 categories)", "age": age_code},
    )
    problems.raise_if_any()
    areas = raw.select(pl.col(code).alias("area_code"), pl.col(name).alias("area_name"))
    return Imported(
        source="census-2021",
        population=population_arrow(population),
        areas=areas_arrow(areas),
        inputs=inputs_of(path),
    )
