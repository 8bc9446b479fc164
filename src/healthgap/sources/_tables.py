"""What an importer returns, and the shared steps that turn Polars frames into store tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.sources._validate import Problems
from healthgap.store.inputs import InputFile
from healthgap.store.schema import (
    AREAS,
    CLASSIFICATIONS,
    HIERARCHY,
    POPULATION,
    VALUES,
)


@dataclass
class Imported:
    """The tables read from one official file (each optional), ready for ``healthgap.store``.

    Attributes
    ----------
    areas, hierarchy, classifications, population, values : pyarrow.Table or None
        Tables with the schemas ``AREAS``, ``HIERARCHY``, ``CLASSIFICATIONS``, ``POPULATION``
        and ``VALUES`` of :mod:`healthgap.store.schema`.
    geometry : pyarrow.Table or None
        ``area_code``, ``geometry`` (GeoJSON text, WGS84) and ``source_crs``
        (schema ``GEOMETRY`` of :mod:`healthgap.store.schema`).
    judgements : pyarrow.Table or None
        The source's own published judgements of ``values`` (schema ``JUDGEMENTS``: value
        keys, ``recent_trend``, ``compared_to_england``, ``compared_to_parent``,
        ``compared_to_goal``), kept by the store with the vintage.
    indicators : list of IndicatorMeta
        Metadata of the indicators in ``values``, from what the file says.
    inputs : list of InputFile
        The files read (name, size, sha256).
    source : str
        The importer's kind, e.g. ``"fingertips"``.
    extra : dict of str to pyarrow.Table
        Further tables the file carries that the store does not keep (e.g. Fingertips' own
        ``Compared to ...`` and ``Recent Trend`` columns).
    """

    source: str
    areas: pa.Table | None = None
    hierarchy: pa.Table | None = None
    classifications: pa.Table | None = None
    geometry: pa.Table | None = None
    population: pa.Table | None = None
    values: pa.Table | None = None
    judgements: pa.Table | None = None
    indicators: list[IndicatorMeta] = field(default_factory=list)
    inputs: list[InputFile] = field(default_factory=list)
    extra: dict[str, pa.Table] = field(default_factory=dict)


# First three characters of a GSS code -> our area type (ONS Register of Geographic Codes).
_TYPE_BY_PREFIX = {
    "E01": "lsoa",
    "W01": "lsoa",
    "E02": "msoa",
    "W02": "msoa",
    "E05": "ward",
    "W05": "ward",
    "E06": "la",
    "E07": "la",
    "E08": "la",
    "E09": "la",
    "W06": "la",
    "S12": "la",
    "N09": "la",
    "E10": "county",
    "E11": "metropolitan_county",
    "E12": "region",
    "E13": "inner_outer_london",
    "E47": "combined_authority",
    "E92": "country",
    "W92": "country",
    "S92": "country",
    "N92": "country",
    "K02": "country",
    "K03": "country",
    "K04": "country",
    "E38": "icb_sub_location",
    "E54": "icb",
    "E40": "nhs_region",
}


def area_type_from_code(code: pl.Expr) -> pl.Expr:
    """Area type from a code: GSS entity prefix (E09 -> 'la', E12 -> 'region', E54 -> 'icb'),
    ITL/NUTS level by length (TLI -> 'itl1', TLI3 -> 'itl2', TLI31 -> 'itl3'), else 'other'.
    """
    itl = code.str.contains(r"^(?:TL|UK)[C-N]")
    return (
        pl.when(itl)
        .then(pl.format("itl{}", code.str.len_chars() - 2))
        .otherwise(
            code.str.slice(0, 3).replace_strict(
                _TYPE_BY_PREFIX, default="other", return_dtype=pl.String
            )
        )
    )


def cast_table(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """Select the schema's columns from ``frame`` (absent ones null) and cast to Arrow."""
    cols = []
    for f in schema:
        col = pl.col(f.name) if f.name in frame.columns else pl.lit(None)
        cols.append(col.alias(f.name))
    table = frame.select(cols).to_arrow()
    arrays = [table.column(f.name).cast(f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def values_arrow(frame: pl.DataFrame) -> pa.Table:
    """A VALUES table; key text columns default to '' (no breakdown) when null."""
    fills = {"category_type": "", "category": "", "sex": "Persons", "age": "All ages"}
    frame = frame.with_columns(
        pl.col(c).fill_null(v) if c in frame.columns else pl.lit(v).alias(c)
        for c, v in fills.items()
    )
    return cast_table(frame, VALUES)


def areas_arrow(frame: pl.DataFrame) -> pa.Table:
    """An AREAS table, one row per code (first name seen), area type from the code if absent."""
    if "area_type" not in frame.columns:
        frame = frame.with_columns(area_type_from_code(pl.col("area_code")).alias("area_type"))
    frame = frame.filter(pl.col("area_code").is_not_null()).unique(
        "area_code", keep="first", maintain_order=True
    )
    return cast_table(frame.with_columns(pl.col("area_name").fill_null("")), AREAS)


def hierarchy_arrow(frame: pl.DataFrame) -> pa.Table:
    """A HIERARCHY table without repeated edges."""
    return cast_table(frame.unique(maintain_order=True), HIERARCHY)


def classifications_arrow(frame: pl.DataFrame) -> pa.Table:
    """A CLASSIFICATIONS table."""
    return cast_table(frame, CLASSIFICATIONS)


def population_arrow(frame: pl.DataFrame) -> pa.Table:
    """A POPULATION table."""
    return cast_table(frame, POPULATION)


def inputs_of(*paths: str | Path) -> list[InputFile]:
    """InputFile of each path."""
    return [InputFile.from_path(p) for p in paths]


def problems_for(path: str | Path) -> Problems:
    """A problem collector for ``path``."""
    return Problems(path)


def recode_areas(
    frame: pl.DataFrame, hierarchy: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pa.Table | None, pl.DataFrame]:
    """Recode retired LA codes (:mod:`healthgap.sources.area_changes`) in a values frame.

    Returns the frame, the hierarchy (``hierarchy``, the edges the file gave, plus
    ``la-successor`` edges) and the successor areas (``area_code, area_name``) to add.
    """
    from healthgap.sources.area_changes import apply_successors
    from healthgap.store.schema import VALUE_KEYS

    frame, edges = apply_successors(frame, [k for k in VALUE_KEYS if k in frame.columns])
    parts = [h for h in (hierarchy, edges.drop("parent_name")) if h is not None and h.height]
    successor_areas = edges.select(
        pl.col("parent_code").alias("area_code"), pl.col("parent_name").alias("area_name")
    )
    return (
        frame,
        hierarchy_arrow(pl.concat(parts, how="diagonal")) if parts else None,
        successor_areas,
    )
