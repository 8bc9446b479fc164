"""ONS "Life expectancy at birth and at age 65 by local areas" workbook."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.sources import _validate
from healthgap.sources._excel import read_sheet, sheet_names
from healthgap.sources._guard import reads
from healthgap.sources._ons import OGL, ONS, pooled_label
from healthgap.sources._periods import parse_periods
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    inputs_of,
    recode_areas,
    values_arrow,
)

__all__ = ["read_ons_life_expectancy"]

_LE_SHEETS = {
    "le at birth - males": ("ons-le-birth", "Male", "All ages"),
    "le at birth - females": ("ons-le-birth", "Female", "All ages"),
    "le at age 65 - males": ("ons-le-65", "Male", "65"),
    "le at age 65 - females": ("ons-le-65", "Female", "65"),
}
_LE_META = [
    IndicatorMeta(
        id="ons-le-birth",
        name="Life expectancy at birth",
        unit="years",
        statistic="Life expectancy (years)",
        method="life_expectancy",
        polarity="high_is_good",
        sex=("Male", "Female"),
        frequency="annual",
        data_source=f"{ONS}: Life expectancy at birth and at age 65 by local areas",
        caveats="Not calculated for City of London and Isles of Scilly (small numbers).",
        attribution=OGL,
    ),
    IndicatorMeta(
        id="ons-le-65",
        name="Life expectancy at age 65",
        unit="years",
        age="65",
        statistic="Life expectancy (years)",
        method="life_expectancy",
        polarity="high_is_good",
        sex=("Male", "Female"),
        frequency="annual",
        data_source=f"{ONS}: Life expectancy at birth and at age 65 by local areas",
        caveats="Not calculated for City of London and Isles of Scilly (small numbers).",
        attribution=OGL,
    ),
]


@reads("ons-life-expectancy", "the ONS life expectancy by local areas workbook")
def read_ons_life_expectancy(path: str | Path) -> Imported:
    """ONS "Life expectancy at birth and at age 65 by local areas, UK" workbook.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` with sheets ``LE at birth - Males``, ``LE at birth - Females``,
        ``LE at age 65 - Males``, ``LE at age 65 - Females``: header row ``Area Codes, Area
        Names, , , 2001-2003, ...``; area names indented across three columns by level;
        ``..`` where not calculated; footnotes below.

    Returns
    -------
    Imported
        ``values`` of indicators ``ons-le-birth`` (age "All ages") and ``ons-le-65`` (age
        "65") by sex, 3-year periods labelled ``2016 - 18``; areas not calculated (City of
        London) keep a null value with a value note; ``areas`` and ``indicators``.

    Raises
    ------
    ImportValidationError
        Malformed codes, text that is not a number, unparseable periods, duplicate rows.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    frames = []
    for sheet in sheet_names(path):
        spec = _LE_SHEETS.get(sheet.strip().lower())
        if spec is None:
            continue
        frame = read_sheet(path, sheet, problems, lambda r: str(r[0]).strip() == "Area Codes")
        periods = [c for c in frame.columns if re.fullmatch(r"\d{4}\s*-\s*\d{4}", c)]
        name_cols = ["Area Names", *(c for c in frame.columns if c.startswith("_col"))]
        frame = frame.filter(
            pl.any_horizontal(pl.col(periods).is_not_null())
            | pl.col("Area Codes").str.contains(r"^[EWSNK]\d{8}$")
        )
        frame = frame.with_columns(pl.coalesce(name_cols).alias("area_name"))
        _validate.area_codes(frame, "Area Codes", problems, label=f"{sheet}: Area Codes")
        long = frame.unpivot(
            periods,
            index=["Area Codes", "area_name", "_line"],
            variable_name="period",
            value_name="value",
        )
        long = _validate.numbers(long, ["value"], problems, {"value": f"{sheet}: value"})
        indicator, sex, age = spec
        frames.append(
            long.with_columns(
                pl.lit(indicator).alias("indicator_id"),
                pl.lit(sex).alias("sex"),
                pl.lit(age).alias("age"),
                pl.col("Area Codes").alias("area_code"),
                pl.when(pl.col("value").is_null())
                .then(pl.lit("Not calculated by ONS (small numbers of deaths and populations)"))
                .alias("value_note"),
            )
        )
    if not frames:
        problems.add_file_problem(
            "sheet", ", ".join(sheet_names(path)), "sheets named like 'LE at birth - Males'"
        )
    problems.raise_if_any()
    values = pl.concat(frames).with_columns(pooled_label(pl.col("period")).alias("period"))
    values = parse_periods(values, "period", problems)
    _validate.values_table(values, problems)
    problems.raise_if_any()
    values, hierarchy, successor_areas = recode_areas(values)
    return Imported(
        source="ons-life-expectancy",
        values=values_arrow(values),
        hierarchy=hierarchy,
        areas=areas_arrow(pl.concat([values.select("area_code", "area_name"), successor_areas])),
        indicators=list(_LE_META),
        inputs=inputs_of(path),
    )
