"""Importers: official files (Fingertips, ONS, MHCLG, boundaries) to Arrow tables.

Each importer reads one kind of file, validates every row (vectorised), and returns an
:class:`Imported` holding the store tables it found (areas, hierarchy, classifications,
geometry, population, values, indicator metadata, and the input files' hashes). Importers only
read files: ``healthgap.store`` writes what they return, in one transaction.

:data:`IMPORTERS` maps the kind names used by ``healthgap import <kind> <file>`` to them;
:func:`find_importer` finds one whatever the case. Modules follow publishers and file
families: :mod:`~healthgap.sources.fingertips`, :mod:`~healthgap.sources.ons` (``population``,
``census``, ``life_expectancy``, ``els``, ``subnational``, ``ward_lookup``),
:mod:`~healthgap.sources.gla`,
:mod:`~healthgap.sources.imd`, :mod:`~healthgap.sources.lookups`,
:mod:`~healthgap.sources.boundaries`, :mod:`~healthgap.sources.tidy`.

Every importer fails the same way: one :class:`~healthgap.errors.InputError` line naming the
file (and the line and column where known), never a parser's traceback. CSV files go through
one reader (encodings, unclosed quotes, ragged and truncated rows), workbooks are measured
before they are read (dimension and zip bombs), numbers are never mangled by separators, and
retired local authority codes are mapped to their successors
(:mod:`~healthgap.sources.area_changes`). Importing this package does not load DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable

from healthgap._extras import require

require("healthgap.sources", "store", "python_calamine", "shapefile", "yaml")

from healthgap.errors import InputError
from healthgap.sources._tables import Imported
from healthgap.sources._validate import ImportValidationError
from healthgap.sources.boundaries import read_geojson, read_lsoa_shapefile, read_topojson
from healthgap.sources.fingertips import (
    read_fingertips_csv,
    read_fingertips_table,
    write_fingertips_csv,
)
from healthgap.sources.gla import read_gla_ward_life_expectancy
from healthgap.sources.imd import read_imd2019, read_imd2019_london
from healthgap.sources.lookups import read_lookup
from healthgap.sources.ons import (
    read_census_2021,
    read_ons_els,
    read_ons_life_expectancy,
    read_ons_population,
    read_ons_subnational,
)
from healthgap.sources.ons.ward_lookup import read_ward_lookup
from healthgap.sources.tidy import read_tidy, tidy_options
from healthgap.store.schema import GEOMETRY

__all__ = [
    "GEOMETRY",
    "IMPORTERS",
    "ImportValidationError",
    "Imported",
    "find_importer",
    "kind_name",
    "read_census_2021",
    "read_fingertips_csv",
    "read_fingertips_table",
    "read_geojson",
    "read_gla_ward_life_expectancy",
    "read_imd2019",
    "read_imd2019_london",
    "read_lookup",
    "read_lsoa_shapefile",
    "read_ons_els",
    "read_ons_life_expectancy",
    "read_ons_population",
    "read_ons_subnational",
    "read_tidy",
    "read_topojson",
    "read_ward_lookup",
    "tidy_options",
    "write_fingertips_csv",
]

#: Kind name (``healthgap import <kind> <file>``) -> importer ``function(path, **options)``.
IMPORTERS: dict[str, Callable[..., Imported]] = {
    "fingertips": read_fingertips_csv,
    "ons-population": read_ons_population,
    "census-2021": read_census_2021,
    "ons-life-expectancy": read_ons_life_expectancy,
    "gla-ward-life-expectancy": read_gla_ward_life_expectancy,
    "ons-hle": read_ons_els,
    "ons-els": read_ons_els,
    "ons-subnational": read_ons_subnational,
    "imd2019": read_imd2019,
    "imd2019-london": read_imd2019_london,
    "boundaries-geojson": read_geojson,
    "boundaries-topojson": read_topojson,
    "lsoa-shapefile": read_lsoa_shapefile,
    "lookup": read_lookup,
    "ward-lookup": read_ward_lookup,
    "tidy": read_tidy,
}


def find_importer(kind: str) -> Callable[..., Imported]:
    """The importer of a kind name, in any case (``Fingertips``, ``ONS_ELS`` -> ``ons-els``).

    Raises
    ------
    InputError
        For an unknown kind, listing the known ones.
    """
    return IMPORTERS[kind_name(kind)]


def kind_name(kind: str) -> str:
    """The registered name of a kind given in any case (``ONS_ELS`` -> ``ons-els``).

    Raises
    ------
    InputError
        For an unknown kind, listing the known ones.
    """
    key = kind.strip().lower().replace("_", "-")
    if key not in IMPORTERS:
        raise InputError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(IMPORTERS))}")
    return key
