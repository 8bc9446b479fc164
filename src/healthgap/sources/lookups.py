"""ONS geography lookups (e.g. MSOA21 -> LAD23, LAD19 -> RGN19) -> areas and a hierarchy."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import polars as pl

from healthgap.sources import _validate
from healthgap.sources._csv import read_csv
from healthgap.sources._guard import reads
from healthgap.sources._tables import (
    Imported,
    area_type_from_code,
    areas_arrow,
    hierarchy_arrow,
    inputs_of,
)

__all__ = ["read_lookup"]

_LEVEL = re.compile(r"^([A-Z]+)(\d{2})CD$", re.IGNORECASE)
_TYPES = {
    "LSOA": "lsoa",
    "MSOA": "msoa",
    "WD": "ward",
    "LAD": "la",
    "LTLA": "la",
    "UTLA": "la",
    "CTY": "county",
    "RGN": "region",
    "CTRY": "country",
    "OA": "oa",
}


def _area_type_of(code: pl.Expr, column: str) -> pl.Expr:
    """Type each code by its GSS prefix where that names one, else by the column's level.

    ``E09000001`` -> ``la``; a code of no known prefix in ``LAD23CD`` -> ``la``, in an unknown
    level's column -> the level in lower case. The prefix wins because lookups file areas
    under the level they stand in for: the City of London (``E09000001``) is its own ward in
    a best-fit LSOA to ward lookup.
    """
    level = _LEVEL.match(column).group(1).upper()
    by_code = area_type_from_code(code)
    return (
        pl.when(by_code == "other")
        .then(pl.lit(_TYPES.get(level, level.lower())))
        .otherwise(by_code)
    )


@reads("lookup", "an ONS Open Geography lookup CSV")
def read_lookup(path: str | Path, *, hierarchy: str | None = None) -> Imported:
    """Read an ONS Open Geography lookup CSV, whose rows link areas to their parents.

    Parameters
    ----------
    path : str or Path
        CSV with ``<LEVEL><yy>CD`` / ``<LEVEL><yy>NM`` column pairs from the smallest area to
        the largest (``MSOA21CD, MSOA21NM, LAD23CD, LAD23NM``; ``LAD19CD, LAD19NM, RGN19CD,
        RGN19NM``), in upper or lower case; other columns (``FID``, ``ObjectId``, Welsh
        names ``LAD22NMW``) are ignored; a byte-order mark is allowed.
    hierarchy : str, optional
        Name of the hierarchy version; by default the levels joined by ``-``
        (``msoa21-lad23``).

    Returns
    -------
    Imported
        ``areas`` of every level (type from the level: ``LAD`` -> ``la``, ``RGN`` ->
        ``region``) and ``hierarchy``: each level's area -> the next level's area.

    Raises
    ------
    ImportValidationError
        Fewer than two code columns, malformed codes, or an area given two different parents
        (file line and column named).
    """
    path = Path(path)
    problems = _validate.Problems(path)
    raw = read_csv(path)
    levels = [c for c in raw.columns if _LEVEL.match(c)]
    if len(levels) < 2:
        problems.add_file_problem(
            "header",
            ", ".join(c for c in raw.columns if c != "_line"),
            "two or more code columns such as MSOA21CD and LAD23CD",
        )
    problems.raise_if_any()
    for code in levels:
        _validate.area_codes(raw, code, problems)
    for child, parent in itertools.pairwise(levels):
        problems.add(
            raw,
            pl.col(parent).n_unique().over(child) > 1,
            parent,
            pl.format("{} -> {}", pl.col(child), pl.col(parent)),
            f"one {parent} for each {child} (an area with two parents)",
        )
    problems.raise_if_any()
    name = hierarchy or "-".join(c[:-2].lower() for c in levels)
    by_upper = {c.upper(): c for c in raw.columns}
    areas = pl.concat(
        [
            raw.select(
                pl.col(c).alias("area_code"),
                (
                    pl.col(by_upper[c[:-2].upper() + "NM"])
                    if c[:-2].upper() + "NM" in by_upper
                    else pl.lit(None, pl.String)
                ).alias("area_name"),
                _area_type_of(pl.col(c), c).alias("area_type"),
            )
            for c in levels
        ]
    )
    edges = pl.concat(
        [
            raw.select(
                pl.lit(name).alias("hierarchy"),
                pl.col(c).alias("child_code"),
                pl.col(p).alias("parent_code"),
            )
            for c, p in itertools.pairwise(levels)
        ]
    )
    return Imported(
        source="lookup",
        areas=areas_arrow(areas),
        hierarchy=hierarchy_arrow(edges),
        inputs=inputs_of(path),
    )
