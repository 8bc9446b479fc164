"""Greater London Authority files: life expectancy at birth by ward (London Datastore)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.sources import _validate
from healthgap.sources._csv import read_csv
from healthgap.sources._guard import reads
from healthgap.sources._ons import OGL, pooled_label
from healthgap.sources._periods import parse_periods
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    inputs_of,
    values_arrow,
)

__all__ = ["read_gla_ward_life_expectancy"]

_WARD_LE = IndicatorMeta(
    id="gla-ward-le-birth",
    name="Life expectancy at birth (wards, 5-year pooled)",
    unit="years",
    statistic="Life expectancy (years)",
    method="life_expectancy",
    polarity="high_is_good",
    sex=("Male", "Female"),
    ci_method="Chiang II",
    data_source="Greater London Authority / ONS: Life expectancy at birth and age 65 by ward",
    attribution=OGL,
)
_WARD_MEASURES = {
    "Life expectancy at birth": "value",
    "95% Lower": "lower95_0cl",
    "95% Upper": "upper95_0cl",
}


@reads("gla-ward-life-expectancy", "the GLA life expectancy by ward CSV")
def read_gla_ward_life_expectancy(path: str | Path) -> Imported:
    """GLA "Life expectancy at birth by ward" CSV (London Datastore), with 95% limits.

    Parameters
    ----------
    path : str or Path
        ``life-expectancy-ward-at-Birth.csv``: columns ``Ward`` (code), ``Old Ward Code``,
        ``Local Authority``, ``Ward name``, ``Geography`` (Ward, Local Authority, Region,
        National), then ``<period>;<Male|Female>;<Life expectancy at birth|95% Lower|95%
        Upper>`` for 5-year pooled periods ``1999-2003`` ... ``2010-14``.

    Returns
    -------
    Imported
        ``values`` of ``gla-ward-le-birth`` by area, period (``1999 - 03``), sex, with 95%
        limits (empty cells: no row), ``areas`` (2003 wards, boroughs, regions, England) and
        ``indicators``.

    Raises
    ------
    ImportValidationError
        Malformed codes, non-numbers, unparseable periods or headers, duplicate rows, limits
        that do not bracket the value.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    raw = read_csv(path)
    _validate.require_columns(raw.columns, ["Ward", "Ward name"], problems)
    measures = [c for c in raw.columns if c.count(";") == 2]
    _validate.area_codes(raw, "Ward", problems)
    long = raw.unpivot(
        measures, index=["Ward", "Ward name", "_line"], variable_name="header", value_name="number"
    )
    parts = pl.col("header").str.split(";")
    long = long.with_columns(
        parts.list.get(0).alias("period"),
        parts.list.get(1).alias("sex"),
        parts.list.get(2).replace_strict(_WARD_MEASURES, default=None).alias("measure"),
    )
    problems.add(
        long,
        pl.col("measure").is_null() | ~pl.col("sex").is_in(["Male", "Female"]),
        "header",
        "header",
        "'<period>;<Male|Female>;<Life expectancy at birth|95% Lower|95% Upper>'",
    )
    long = _validate.numbers(long, ["number"], problems, {"number": "value"})
    problems.raise_if_any()
    wide = long.filter(pl.col("number").is_not_null()).pivot(
        "measure", index=["Ward", "Ward name", "_line", "period", "sex"], values="number"
    )
    wide = wide.with_columns(
        pooled_label(pl.col("period")).alias("period"),
        pl.col("Ward").alias("area_code"),
        pl.col("Ward name").alias("area_name"),
        pl.lit(_WARD_LE.id).alias("indicator_id"),
    )
    wide = parse_periods(wide, "period", problems)
    _validate.values_table(wide, problems, labels={"area_code": "Ward"})
    problems.raise_if_any()
    return Imported(
        source="gla-ward-life-expectancy",
        values=values_arrow(wide),
        areas=areas_arrow(
            raw.select(pl.col("Ward").alias("area_code"), pl.col("Ward name").alias("area_name"))
        ),
        indicators=[_WARD_LE],
        inputs=inputs_of(path),
    )
