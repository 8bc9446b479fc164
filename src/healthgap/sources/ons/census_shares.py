"""Census 2021 tables of one variable (TS037 general health, TS038 disability, ...) as shares.

Each category's count is published with the table's total (its universe: all usual
residents, all households); healthgap keeps the percentage of the total in each category,
with the count and denominator, so the shares of an area sum to 100 (ONS, "Census 2021
dictionary"; the bulk CSVs and the "Create a custom dataset" downloads carry the same counts).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.sources import _validate
from healthgap.sources._ons import OGL, check_total
from healthgap.sources._tables import Imported, areas_arrow, inputs_of, values_arrow

__all__ = ["GENERAL_HEALTH", "bulk_shares", "custom_shares", "variable_of_download"]

GENERAL_HEALTH = IndicatorMeta(
    id="census2021-general-health",
    name="General health (Census 2021), % of usual residents",
    definition="Percentage of usual residents reporting each level of general health.",
    data_source="Census 2021, table TS037 (ONS)",
    statistic="Percentage",
    method="proportion",
    unit="%",
    multiplier=100,
    year_type="calendar",
    frequency="decennial",
    attribution=OGL,
)

#: "Create a custom dataset" names a variable's column with its number of categories.
_VARIABLE = re.compile(r"^(.+) \((\d+) categories\)$")
#: The category ONS adds for people outside a variable's universe (code -8).
_DOES_NOT_APPLY = "-8"


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")


def _meta(variable: str, universe: str | None, path: Path) -> IndicatorMeta:
    """General health keeps its catalogue id; any other variable is named after itself.

    The table's id comes from the file name where it has one (``census2021-ts038-ltla.csv``).
    """
    if variable.lower() == "general health":
        return GENERAL_HEALTH
    table = re.search(r"(?i)ts\d{3}[a-z]?", path.stem)
    source = f"Census 2021, table {table.group(0).upper()} (ONS)" if table else "Census 2021 (ONS)"
    whom = universe.lower() if universe else "the table's total"
    return IndicatorMeta(
        id=f"census2021-{_slug(variable)}",
        name=f"{variable} (Census 2021), % of {whom}",
        definition=f"Percentage of {whom} in each category of {variable.lower()}.",
        data_source=source,
        statistic="Percentage",
        method="proportion",
        unit="%",
        multiplier=100,
        year_type="calendar",
        frequency="decennial",
        attribution=OGL,
    )


def _shares(
    long: pl.DataFrame,
    meta: IndicatorMeta,
    category_type: str,
    problems: _validate.Problems,
    labels: dict[str, str],
) -> pl.DataFrame:
    values = long.with_columns(
        pl.lit(meta.id).alias("indicator_id"),
        pl.lit("2021").alias("period"),
        pl.lit(2021, pl.Int32).alias("period_start"),
        pl.lit(1, pl.Int16).alias("period_years"),
        pl.lit("Persons").alias("sex"),
        pl.lit("All ages").alias("age"),
        pl.lit(category_type).alias("category_type"),
        (100 * pl.col("count") / pl.col("denominator")).alias("value"),
    )
    _validate.values_table(values, problems, labels=labels, proportion=True)
    problems.raise_if_any()
    return values


def bulk_shares(raw: pl.DataFrame, path: Path, problems: _validate.Problems) -> Imported | None:
    """Read a bulk CSV: ``date, geography, geography code, <Variable>: Total: <universe>, ...``.

    Returns None when the header has no ``<Variable>: Total: <universe>`` column. Categories
    nested in others (``Ethnic group: Asian ...: Bangladeshi``) are kept as values; only the
    innermost are summed to check the total.
    """
    total = next((c for c in raw.columns if re.match(r"^[^:]+: Total: .+$", c)), None)
    if total is None or "geography code" not in raw.columns:
        return None
    variable, universe = total.split(": Total: ", 1)
    cats = [c for c in raw.columns if c.startswith(f"{variable}: ") and c != total]
    innermost = [c for c in cats if not any(o.startswith(f"{c}: ") for o in cats)]
    _validate.area_codes(raw, "geography code", problems)
    frame = _validate.numbers(raw, [*cats, total], problems)
    long = frame.unpivot(
        cats, index=["geography code", total, "_line"], variable_name="category", value_name="count"
    ).select(
        pl.col("geography code").alias("area_code"),
        pl.col("category").str.strip_prefix(f"{variable}: ").alias("category"),
        pl.col("category").is_in(innermost).alias("_innermost"),
        "count",
        pl.col(total).alias("denominator"),
        "_line",
    )
    problems.add(long, pl.col("count") < 0, variable, "count", "a count >= 0")
    check_total(
        long.filter("_innermost").rename({"count": "population"}),
        ["area_code"],
        frame.select(
            pl.col("geography code").alias("area_code"), pl.col(total).alias("_total"), "_line"
        ),
        total,
        problems,
    )
    meta = _meta(variable, universe, path)
    values = _shares(
        long.drop("_innermost"), meta, variable, problems, {"count": variable, "denominator": total}
    )
    areas = raw.select(
        pl.col("geography code").alias("area_code"), pl.col("geography").alias("area_name")
    )
    return Imported(
        source="census-2021",
        values=values_arrow(values),
        indicators=[meta],
        areas=areas_arrow(areas),
        inputs=inputs_of(path),
    )


def variable_of_download(columns: list[str]) -> str | None:
    """Find the one variable column of a custom download (``Disability (5 categories)``)."""
    found = [c for c in columns if _VARIABLE.match(c) and f"{c} Code" in columns]
    return found[0] if len(found) == 1 else None


def custom_shares(
    raw: pl.DataFrame,
    path: Path,
    problems: _validate.Problems,
    geography: tuple[str, str],
    variable: str,
) -> Imported:
    """Read a custom download of one variable.

    Columns ``<geography> Code, <geography>, <Variable> (<n> categories) Code, <Variable>
    (<n> categories), Observation``; ``Does not apply`` (code -8) is left out, and the
    denominator is the sum of the other categories.
    """
    code, name = geography
    label = _VARIABLE.match(variable).group(1)
    _validate.require_columns(raw.columns, ["Observation"], problems)
    _validate.area_codes(raw, code, problems)
    frame = _validate.numbers(raw, ["Observation"], problems)
    problems.add(frame, pl.col("Observation") < 0, "Observation", "Observation", "a count >= 0")
    frame = frame.filter(pl.col(f"{variable} Code").str.strip_chars() != _DOES_NOT_APPLY)
    long = frame.select(
        pl.col(code).alias("area_code"),
        pl.col(variable).alias("category"),
        pl.col("Observation").alias("count"),
        pl.col("Observation").sum().over(code).alias("denominator"),
        "_line",
    )
    meta = _meta(label, None, path)
    values = _shares(long, meta, label, problems, {"count": "Observation", "area_code": code})
    areas = raw.select(pl.col(code).alias("area_code"), pl.col(name).alias("area_name"))
    return Imported(
        source="census-2021",
        values=values_arrow(values),
        indicators=[meta],
        areas=areas_arrow(areas),
        inputs=inputs_of(path),
    )
