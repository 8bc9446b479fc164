"""Store tables: DDL generated from the Arrow schemas, and conforming input tables to them."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from healthgap.errors import InputError
from healthgap.store import schema

#: Name of each store table, its Arrow schema and its key (rows with equal keys are replaced).
KEYED: dict[str, tuple[pa.Schema, tuple[str, ...]]] = {
    "areas": (schema.AREAS, ("area_code",)),
    "hierarchy": (schema.HIERARCHY, ("hierarchy", "child_code")),
    "classifications": (schema.CLASSIFICATIONS, ("classification", "area_code")),
    "geometry": (schema.GEOMETRY, ("area_code",)),
    "population": (schema.POPULATION, ("area_code", "year", "sex", "age")),
}

INDICATORS = pa.schema(
    [
        pa.field("indicator_id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("method", pa.string()),
        pa.field("polarity", pa.string()),
        pa.field("multiplier", pa.float64()),
        pa.field("unit", pa.string()),
        pa.field("fingertips_id", pa.int64()),
        pa.field("meta", pa.string(), nullable=False),  # IndicatorMeta as JSON
        # where the definition came from (a vintage's source; '' when written on its own):
        # ids of different sources never replace each other
        pa.field("source", pa.string()),
    ]
)

VINTAGES = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("created_at", pa.timestamp("us")),  # UTC
        pa.field("source", pa.string()),
        pa.field("label", pa.string()),
        pa.field("code_version", pa.string()),
        pa.field("parameters", pa.string()),  # JSON
        pa.field("inputs", pa.string()),  # JSON list of {name, size, sha256}
        pa.field("n_values", pa.int64()),
    ]
)

STORED_VALUES = pa.schema([pa.field("vintage_id", pa.string(), nullable=False), *schema.VALUES])

_DUCK_TYPES = {
    pa.string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.int16(): "SMALLINT",
    pa.date32(): "DATE",
    pa.timestamp("us"): "TIMESTAMP",
}


def create_sql(name: str, arrow_schema: pa.Schema) -> str:
    columns = ", ".join(
        f'"{f.name}" {_DUCK_TYPES[f.type]}{"" if f.nullable else " NOT NULL"}' for f in arrow_schema
    )
    return f"CREATE TABLE IF NOT EXISTS {name} ({columns})"


def all_create_sql() -> list[str]:
    tables = {name: s for name, (s, _) in KEYED.items()}
    tables |= {"indicators": INDICATORS, "vintages": VINTAGES, "indicator_values": STORED_VALUES}
    return [create_sql(name, s) for name, s in tables.items()]


def as_arrow(data: Any, name: str) -> pa.Table:
    """Any pandas, Polars or Arrow table as an Arrow table (no copy for Arrow)."""
    if isinstance(data, pa.Table):
        return data
    library = type(data).__module__.split(".")[0]
    if library == "polars":
        return data.to_arrow()
    if library == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    raise InputError(
        f"'{name}' must be a pyarrow, Polars or pandas table; got {type(data).__name__}"
    )


def _castable(found: pa.DataType, expected: pa.DataType) -> bool:
    """Casts that keep meaning: numbers to numbers, text kinds to text, null to anything."""
    if pa.types.is_null(found):
        return True
    if pa.types.is_dictionary(found):
        found = found.value_type
    text = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
    if any(t(expected) for t in text):
        return any(t(found) for t in text)
    if pa.types.is_floating(expected):
        return pa.types.is_floating(found) or pa.types.is_integer(found)
    if pa.types.is_integer(expected):
        return pa.types.is_integer(found)
    if pa.types.is_date(expected):
        return pa.types.is_date(found) or pa.types.is_timestamp(found)
    return False


def _rows(mask: pa.ChunkedArray | pa.Array, limit: int = 5) -> tuple[int, list[int]]:
    positions = pc.indices_nonzero(mask).to_numpy()
    return len(positions), positions[:limit].tolist()


def conform(data: Any, arrow_schema: pa.Schema, name: str) -> pa.Table:
    """``data`` with exactly the columns and types of ``arrow_schema``, or an InputError.

    Missing nullable columns are added as nulls; missing required columns, extra columns,
    casts that would change meaning (text to number) or lose information (2.5 to int), and
    nulls in required columns are errors naming the column.
    """
    table = as_arrow(data, name)
    have = set(table.column_names)
    missing = [f.name for f in arrow_schema if f.name not in have and not f.nullable]
    extra = [c for c in table.column_names if c not in arrow_schema.names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"required columns {missing} not found")
        if extra:
            parts.append(f"unknown columns {extra}")
        raise InputError(f"{name}: {'; '.join(parts)}; expected columns {arrow_schema.names}")
    columns = []
    problems = []
    for field in arrow_schema:
        if field.name not in have:
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        if column.type != field.type:
            if not _castable(column.type, field.type):
                problems.append(f"column '{field.name}' must be {field.type}; found {column.type}")
                continue
            try:
                column = column.cast(field.type, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                problems.append(f"column '{field.name}' cannot be cast to {field.type}: {exc}")
                continue
        if not field.nullable and column.null_count:
            total, rows = _rows(column.is_null())
            problems.append(
                f"column '{field.name}' must not be null: {total:,} of {table.num_rows:,} rows "
                f"fail (rows {rows}{', ...' if total > len(rows) else ''})"
            )
            continue
        columns.append(column)
    if problems:
        raise InputError(f"{name}: " + "; ".join(problems))
    return pa.Table.from_arrays(columns, schema=arrow_schema)
