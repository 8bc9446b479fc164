"""The store's tables as Arrow schemas: the contract between sources, store, engine and publish.

Importers (``healthgap.sources``) produce tables with these columns; the store writes them;
the engine writes ``VALUES``; publish reads them. Key columns are never null: "no breakdown"
is ``category_type == ''`` and ``category == ''``.
"""

from __future__ import annotations

import pyarrow as pa

from healthgap._conventions import LIMITS

#: One indicator value for an area, period, sex, age and breakdown category.
VALUES = pa.schema(
    [
        pa.field("indicator_id", pa.string(), nullable=False),
        pa.field("area_code", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),  # "2021", "2019 - 21", "2021/22"
        pa.field("period_start", pa.int32(), nullable=False),  # first calendar year covered
        pa.field("period_years", pa.int16(), nullable=False),  # 1 for single years, 3 for pooled
        pa.field("sex", pa.string(), nullable=False),  # Persons / Male / Female
        pa.field("age", pa.string(), nullable=False),  # e.g. "All ages", "<75 yrs"
        pa.field("category_type", pa.string(), nullable=False),  # "" or e.g. "IMD 2019 decile"
        pa.field("category", pa.string(), nullable=False),  # "" or e.g. "1 - most deprived"
        pa.field("value", pa.float64()),
        *[pa.field(limit, pa.float64()) for limit in LIMITS],
        pa.field("count", pa.float64()),
        pa.field("denominator", pa.float64()),
        pa.field("value_note", pa.string()),
    ]
)
VALUE_KEYS = ("indicator_id", "area_code", "period", "sex", "age", "category_type", "category")

#: Areas of every type; a code may be valid for a time only (boundary changes).
AREAS = pa.schema(
    [
        pa.field("area_code", pa.string(), nullable=False),
        pa.field("area_name", pa.string(), nullable=False),
        pa.field("area_type", pa.string(), nullable=False),  # lsoa, msoa, ward, la, region, ...
        pa.field("valid_from", pa.date32()),
        pa.field("valid_to", pa.date32()),
    ]
)

#: Parent of each area in a named hierarchy version (e.g. "lsoa11-msoa11-lad19").
HIERARCHY = pa.schema(
    [
        pa.field("hierarchy", pa.string(), nullable=False),
        pa.field("child_code", pa.string(), nullable=False),
        pa.field("parent_code", pa.string(), nullable=False),
    ]
)

#: Membership of areas in classifications (IMD 2019 decile national / within borough, ...).
CLASSIFICATIONS = pa.schema(
    [
        pa.field(
            "classification", pa.string(), nullable=False
        ),  # e.g. "IMD 2019 decile (national)"
        pa.field("area_code", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),  # e.g. "1"
        pa.field("rank", pa.int32()),  # order of categories, 1 = most deprived
        pa.field("score", pa.float64()),
    ]
)

#: Populations by area, year, sex and age band (denominators for the engine).
POPULATION = pa.schema(
    [
        pa.field("area_code", pa.string(), nullable=False),
        pa.field("year", pa.int32(), nullable=False),
        pa.field("sex", pa.string(), nullable=False),
        pa.field("age", pa.string(), nullable=False),  # single year "0".."90+" or band "0-4"
        pa.field("age_start", pa.int16(), nullable=False),
        pa.field("population", pa.float64(), nullable=False),
    ]
)

#: Boundary of each area as GeoJSON geometry text in WGS84 (kept for maps).
GEOMETRY = pa.schema(
    [
        pa.field("area_code", pa.string(), nullable=False),
        pa.field("geometry", pa.string(), nullable=False),  # GeoJSON geometry object, WGS84
        pa.field("source_crs", pa.string()),  # e.g. "EPSG:27700", reprojected
    ]
)

#: A source's own published judgement of its values (Fingertips' "Recent Trend" and "Compared
#: to ..." columns), kept per vintage beside the values they judge: the VALUES key columns and
#: the source's words as published ("Better 95%", "Decreasing and getting better", ...).
JUDGEMENTS = pa.schema(
    [
        *[VALUES.field(k) for k in VALUE_KEYS],
        pa.field("recent_trend", pa.string()),
        pa.field("compared_to_england", pa.string()),
        pa.field("compared_to_parent", pa.string()),
        pa.field("compared_to_goal", pa.string()),
    ]
)
JUDGEMENT_COLUMNS = tuple(JUDGEMENTS.names[len(VALUE_KEYS) :])
