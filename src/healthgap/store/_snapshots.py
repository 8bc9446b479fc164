"""What a vintage publishes besides its values, frozen with it: metadata, areas, hierarchy,
boundaries.

A vintage's indicator metadata (with each disclosure rule), area names and types, area
hierarchy and boundaries are snapshotted when the vintage is written, so a later import or
computation that redefines an indicator, renames an area or redraws a boundary changes
nothing that an old vintage publishes.
Snapshots are content-addressed: each is stored once under a digest of its rows (the
order-independent XOR and sum of DuckDB's 64-bit row hashes, with the row count, through
SHA-256), and vintages with the same metadata share it. Boundaries are stored one geometry
at a time (:mod:`healthgap.store._boundaries`), so snapshots share unchanged shapes.

Stores written before snapshots existed are migrated when first opened for writing: each of
their vintages gets a snapshot of the tables as they are then, which is exactly what their
exports showed, so re-exports are unchanged; a store with snapshots but no frozen
boundaries gets its boundaries snapshotted the same way. Opened read-only, such a store is
read from its current tables, with the same result.
"""

from __future__ import annotations

import hashlib
from typing import Any

from healthgap.store import _boundaries, schema

#: kind -> (snapshot table, live table, columns hashed and copied)
KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "indicators": (
        "snap_indicators",
        "indicators",
        (
            "indicator_id",
            "name",
            "method",
            "polarity",
            "multiplier",
            "unit",
            "fingertips_id",
            "meta",
            "source",
        ),
    ),
    "areas": ("snap_areas", "areas", tuple(schema.AREAS.names)),
    "hierarchy": ("snap_hierarchy", "hierarchy", tuple(schema.HIERARCHY.names)),
}
#: every kind hashed into a vintage's snapshot: the copied kinds, and the boundaries
HASHED: dict[str, tuple[str, tuple[str, ...]]] = {
    **{kind: (live, columns) for kind, (_, live, columns) in KINDS.items()},
    "geometry": ("geometry", tuple(schema.GEOMETRY.names)),
}
#: what :meth:`Store._table` can read as a vintage published it
FROZEN = tuple(HASHED)
_DIGEST_LENGTH = 32  # hex digits (128 bits of SHA-256)


def create_sql() -> list[str]:
    """DDL of the snapshot tables (copies of the live tables with a leading digest)."""
    ddl = [
        "CREATE TABLE IF NOT EXISTS vintage_snapshots (vintage_id VARCHAR NOT NULL, "
        "indicators VARCHAR NOT NULL, areas VARCHAR NOT NULL, hierarchy VARCHAR NOT NULL, "
        # null only between adding the column to an older store and filling it (migrate)
        "geometry VARCHAR)",
        *_boundaries.create_sql(),
    ]
    for snap, live, _ in KINDS.values():
        ddl.append(
            f"CREATE TABLE IF NOT EXISTS {snap} AS "
            f"SELECT ''::VARCHAR AS digest, * FROM {live} WITH NO DATA"
        )
    return ddl


def _indicator_rows(ids_sql: str) -> str:
    """Metadata of the indicators in ``ids_sql``: the vintage's source's, else unsourced."""
    return f"""
        SELECT * EXCLUDE (_rank) FROM (
            SELECT *, row_number() OVER (
                PARTITION BY indicator_id
                ORDER BY source = $source DESC, source = '' DESC, source
            ) AS _rank
            FROM indicators WHERE indicator_id IN ({ids_sql})
        ) WHERE _rank = 1
    """


def _rows_sql(kind: str, ids_sql: str) -> str:
    live, columns = HASHED[kind]
    cols = ", ".join(f'"{c}"' for c in columns)
    source = _indicator_rows(ids_sql) if kind == "indicators" else f"SELECT * FROM {live}"
    return f"SELECT {cols} FROM ({source})"


def _params(kind: str, source: str, ids_params: dict[str, Any]) -> dict[str, Any]:
    return {"source": source, **ids_params} if kind == "indicators" else {}


def take(
    con: Any, vintage_id: str, *, ids_sql: str, ids_params: dict[str, Any], source: str
) -> dict[str, str]:
    """Snapshot the current metadata and boundaries for ``vintage_id``; return the digests.

    ``ids_sql`` (with ``ids_params``) is a query giving the vintage's indicator ids; the live
    tables must be in their final state (the caller's transaction writes them first).
    """
    found = digests(con, ids_sql=ids_sql, ids_params=ids_params, source=source)
    _boundaries.take(con, found["geometry"])
    for kind in KINDS:
        digest = found[kind]
        snap, _, columns = KINDS[kind]
        exists = con.execute(f"SELECT count(*) FROM {snap} WHERE digest = ?", [digest]).fetchall()
        if not exists[0][0]:
            cols = ", ".join(f'"{c}"' for c in columns)
            con.execute(
                f"INSERT INTO {snap} (digest, {cols}) SELECT $digest, * FROM "
                f"({_rows_sql(kind, ids_sql)})",
                {"digest": digest, **_params(kind, source, ids_params)},
            )
    con.execute(
        "INSERT INTO vintage_snapshots (vintage_id, indicators, areas, hierarchy, geometry) "
        "VALUES (?, ?, ?, ?, ?)",
        [vintage_id, *(found[kind] for kind in HASHED)],
    )
    return found


def digests(con: Any, *, ids_sql: str, ids_params: dict[str, Any], source: str) -> dict[str, str]:
    """Content digests of what a vintage with these ids and source would snapshot now."""
    return {kind: _digest(con, kind, ids_sql, _params(kind, source, ids_params)) for kind in HASHED}


def _digest(con: Any, kind: str, ids_sql: str, params: dict[str, Any]) -> str:
    cols = ", ".join(f'"{c}"' for c in HASHED[kind][1])
    row = con.execute(
        f"SELECT count(*), bit_xor(h), sum(h::HUGEINT) FROM "
        f"(SELECT hash({cols}) AS h FROM ({_rows_sql(kind, ids_sql)}))",
        params,
    ).fetchall()[0]
    text = f"{kind}:{row[0]}:{row[1]}:{row[2]}"
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_LENGTH]


def of(con: Any, vintage_id: str) -> dict[str, str | None] | None:
    """The digests of a vintage's snapshots, or None (a store not yet migrated).

    ``geometry`` is None in a store read as written before boundaries were frozen.
    """
    cursor = con.execute("SELECT * FROM vintage_snapshots WHERE vintage_id = ?", [vintage_id])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        return None
    found = dict(zip(names, rows[0], strict=True))
    return {kind: found.get(kind) for kind in HASHED}


def migrate(con: Any, tables: set[str]) -> None:
    """Bring a store written by an earlier healthgap up to date (in the caller's transaction).

    Indicator metadata gains its ``source`` ('' for rows written before sources were kept);
    every vintage without snapshots gets one of the tables as they are now, and every vintage
    without frozen boundaries a snapshot of the boundaries as they are now.
    """
    columns = {r[0] for r in con.execute("DESCRIBE indicators").fetchall()}
    if "source" not in columns:
        con.execute("ALTER TABLE indicators ADD COLUMN source VARCHAR DEFAULT ''")
    if "vintage_snapshots" in tables:
        _freeze_boundaries(con)
        return
    for sql in create_sql():
        con.execute(sql)
    for vintage_id, source in con.execute(
        "SELECT id, source FROM vintages ORDER BY seq"
    ).fetchall():
        take(
            con,
            vintage_id,
            ids_sql="SELECT DISTINCT indicator_id FROM indicator_values "
            "WHERE vintage_id = $vintage",
            ids_params={"vintage": vintage_id},
            source=source or "",
        )


def _freeze_boundaries(con: Any) -> None:
    """Give the vintages of a store with snapshots but no frozen boundaries today's."""
    for sql in _boundaries.create_sql():
        con.execute(sql)
    columns = {r[0] for r in con.execute("DESCRIBE vintage_snapshots").fetchall()}
    if "geometry" not in columns:
        con.execute("ALTER TABLE vintage_snapshots ADD COLUMN geometry VARCHAR")
    missing = con.execute(
        "SELECT count(*) FROM vintage_snapshots WHERE geometry IS NULL"
    ).fetchall()[0][0]
    if not missing:
        return
    digest = _digest(con, "geometry", "", {})
    _boundaries.take(con, digest)
    con.execute("UPDATE vintage_snapshots SET geometry = ? WHERE geometry IS NULL", [digest])
