"""ONS mid-year population estimates: MYE2 workbooks and the MYEB CSV series."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from healthgap.sources import _validate
from healthgap.sources._csv import read_csv
from healthgap.sources._excel import open_workbook, read_sheet, sheet_names
from healthgap.sources._guard import reads
from healthgap.sources._ons import age_start, check_total
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    inputs_of,
    population_arrow,
)
from healthgap.sources.ons.nomis import is_nomis, nomis_population

__all__ = ["read_ons_population"]

_SEX_OF_SHEET = {"persons": "Persons", "males": "Male", "females": "Female"}


@reads("ons-population", "an ONS mid-year estimates workbook or MYEB CSV")
def read_ons_population(path: str | Path, *, year: int | None = None) -> Imported:
    """ONS mid-year population estimates: MYE2 workbooks, or the MYEB series CSVs.

    Parameters
    ----------
    path : str or Path
        An ONS "Population estimates for the UK ... mid-YYYY" workbook (``.xls``/``.xlsx``)
        with sheets ``MYE2 - Persons``, ``MYE2 - Males`` and ``MYE2 - Females``: a header row
        ``Code, Name, Geography, All ages, 0, 1, ..., 89, 90+`` below title rows, footnotes
        below the table. Or a CSV of the MYEB series (``.csv``): ``ladcodeYY, lanameYY``,
        optionally ``sex`` (1 male, 2 female) and ``age`` (0 ... 90, 90 meaning 90+), and a
        ``population_YYYY`` column per year; other columns (MYEB3's births, deaths and
        migration) are not populations and are left out. Or a Nomis API download of
        population estimates (``GEOGRAPHY_CODE``, ``DATE_NAME``, ``GENDER_NAME``,
        ``C_AGE_NAME``, ``OBS_VALUE``; :mod:`~healthgap.sources.ons.nomis`).
    year : int, optional
        Mid-year of the estimates; read from the sheet title (``mid-2019``) when omitted
        (workbooks only).

    Returns
    -------
    Imported
        ``population`` (area_code, year, sex Persons/Male/Female, age ``"0"`` ... ``"89"``,
        ``"90+"``, age_start, population; a CSV without ``age`` gives age ``"All ages"``,
        age_start 0; without ``sex``, sex ``Persons``) and ``areas`` (every area in the
        sheets: country, region, county, local authority; type from the code).

    Raises
    ------
    ImportValidationError
        Malformed codes, cells that are not numbers, negative estimates, or an ``All ages``
        total that differs from the sum of single years (row and column named).
    """
    path = Path(path)
    problems = _validate.Problems(path)
    if path.suffix.lower() in (".csv", ".txt"):
        return _myeb_csv(path, problems)
    sheets = [s for s in sheet_names(path) if s.strip().upper().startswith("MYE2")]
    if not sheets:
        problems.add_file_problem(
            "sheet",
            ", ".join(sheet_names(path)),
            "sheets named 'MYE2 - Persons', 'MYE2 - Males', 'MYE2 - Females'",
        )
        problems.raise_if_any()
    pops, totals, areas = [], [], []
    for sheet in sheets:  # three sheets, one per sex
        sex = _SEX_OF_SHEET.get(sheet.split("-")[-1].strip().lower())
        if sex is None:
            continue
        frame = read_sheet(path, sheet, problems, lambda r: str(r[0]).strip() == "Code")
        frame = frame.filter(pl.col("Name").is_not_null())
        ages = [c for c in frame.columns if re.fullmatch(r"\d+\+?", c)]
        _validate.area_codes(frame, "Code", problems, label=f"{sheet}: Code")
        frame = _validate.numbers(
            frame, [*ages, "All ages"], problems, {c: f"{sheet}: {c}" for c in [*ages, "All ages"]}
        )
        sheet_year = year or _title_year(path, sheet)
        long = frame.unpivot(
            ages, index=["Code", "_line"], variable_name="age", value_name="population"
        )
        long = long.with_columns(
            pl.lit(sheet_year, pl.Int32).alias("year"),
            pl.lit(sex).alias("sex"),
            age_start(pl.col("age")).alias("age_start"),
        )
        problems.add(
            long, pl.col("population") < 0, f"{sheet}: age", "population", "a population >= 0"
        )
        pops.append(long.rename({"Code": "area_code"}))
        totals.append(
            frame.select(
                pl.col("Code").alias("area_code"),
                pl.lit(sex).alias("sex"),
                pl.col("All ages").alias("_total"),
                "_line",
            )
        )
        areas.append(
            frame.select(pl.col("Code").alias("area_code"), pl.col("Name").alias("area_name"))
        )
    problems.raise_if_any()
    population = pl.concat(pops)
    check_total(population, ["area_code", "sex"], pl.concat(totals), "All ages", problems)
    problems.raise_if_any()
    return Imported(
        source="ons-population",
        population=population_arrow(population),
        areas=areas_arrow(pl.concat(areas)),
        inputs=inputs_of(path),
    )


def _title_year(path: Path, sheet: str) -> int | None:
    """Return the ``mid-YYYY`` year in a sheet's title rows."""
    rows = open_workbook(path).get_sheet_by_name(sheet).to_python(nrows=10)
    for row in rows:
        found = re.search(r"mid-(\d{4})", " ".join(str(c) for c in row))
        if found:
            return int(found.group(1))
    return None


_SEX_CODE = {"1": "Male", "2": "Female", "M": "Male", "F": "Female"}


def _myeb_csv(path: Path, problems: _validate.Problems) -> Imported:
    """MYEB1/MYEB2/MYEB3 CSV: ``population_YYYY`` columns by area (and sex and age)."""
    raw = read_csv(path)
    columns = [c for c in raw.columns if c != "_line"]
    if is_nomis(columns):
        return nomis_population(raw, path, problems)
    code = next((c for c in columns if re.fullmatch(r"(?i)ladcode\d\d", c)), None)
    name = next((c for c in columns if re.fullmatch(r"(?i)laname\d\d", c)), None)
    years = [c for c in columns if re.fullmatch(r"population_\d{4}", c)]
    if code is None or not years:
        problems.add_file_problem(
            "header",
            ", ".join(columns[:8]),
            "an MYEB CSV header with ladcodeYY and population_YYYY columns",
        )
        problems.raise_if_any()
    _validate.area_codes(raw, code, problems)
    frame = _validate.numbers(raw, years, problems)
    index = [code, "_line", *(c for c in ("sex", "age") if c in columns)]
    long = frame.unpivot(years, index=index, variable_name="_year", value_name="population")
    sex = (
        pl.col("sex").str.strip_chars().replace_strict(_SEX_CODE, default=None)
        if "sex" in columns
        else pl.lit("Persons")
    )
    if "age" in columns:
        age_number = pl.col("age").str.strip_chars().cast(pl.Int16, strict=False)
        age = pl.when(age_number >= 90).then(pl.lit("90+")).otherwise(age_number.cast(pl.String))
    else:
        age_number, age = pl.lit(0, pl.Int16), pl.lit("All ages")
    long = long.with_columns(
        pl.col(code).alias("area_code"),
        pl.col("_year").str.slice(-4).cast(pl.Int32).alias("year"),
        sex.alias("sex"),
        age.alias("age"),
        age_number.alias("age_start"),
    )
    if "sex" in columns:
        problems.add(long, pl.col("sex").is_null(), "sex", "sex", "1 (male) or 2 (female)")
    if "age" in columns:
        problems.add(long, pl.col("age_start").is_null(), "age", "age", "an age 0 to 90")
    problems.add(long, pl.col("population") < 0, "population", "population", "a population >= 0")
    problems.add(
        long,
        pl.col("population").is_null(),
        "population",
        "population",
        "a population (this file has no missing estimates)",
    )
    problems.add(
        long,
        pl.struct("area_code", "year", "sex", "age").is_duplicated(),
        code,
        pl.format("{} {} {} {}", "area_code", "year", "sex", "age"),
        "one row per area, sex and age (duplicate key)",
    )
    problems.raise_if_any()
    areas = raw.select(
        pl.col(code).alias("area_code"),
        (pl.col(name) if name else pl.lit(None, pl.String)).alias("area_name"),
    )
    return Imported(
        source="ons-population",
        population=population_arrow(long),
        areas=areas_arrow(areas),
        inputs=inputs_of(path),
    )
