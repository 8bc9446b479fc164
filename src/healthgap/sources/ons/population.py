"""ONS mid-year population estimates: MYE2 workbooks and the MYEB CSV series."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from healthgap.sources import _validate
from healthgap.sources._excel import open_workbook, read_sheet, sheet_names
from healthgap.sources._guard import reads
from healthgap.sources._ons import age_start, check_total
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    inputs_of,
    population_arrow,
)

__all__ = ["read_ons_population"]

_SEX_OF_SHEET = {"persons": "Persons", "males": "Male", "females": "Female"}


@reads("ons-population", "an ONS mid-year estimates workbook or MYEB CSV")
def read_ons_population(path: str | Path, *, year: int | None = None) -> Imported:
    """ONS mid-year population estimates (MYE2 sheets): areas by sex and single year of age.

    Parameters
    ----------
    path : str or Path
        An ONS "Population estimates for the UK ... mid-YYYY" workbook (``.xls``/``.xlsx``)
        with sheets ``MYE2 - Persons``, ``MYE2 - Males`` and ``MYE2 - Females``: a header row
        ``Code, Name, Geography, All ages, 0, 1, ..., 89, 90+`` below title rows, footnotes
        below the table.
    year : int, optional
        Mid-year of the estimates; read from the sheet title (``mid-2019``) when omitted.

    Returns
    -------
    Imported
        ``population`` (area_code, year, sex Persons/Male/Female, age ``"0"`` ... ``"89"``,
        ``"90+"``, age_start, population) and ``areas`` (every area in the sheets: country,
        region, county, local authority; type from the code).

    Raises
    ------
    ImportValidationError
        Malformed codes, cells that are not numbers, negative estimates, or an ``All ages``
        total that differs from the sum of single years (row and column named).
    """
    path = Path(path)
    problems = _validate.Problems(path)
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
