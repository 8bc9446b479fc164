"""Boundaries frozen with each vintage, every distinct geometry stored once.

A vintage's maps draw the boundaries the store held when the vintage was written. Like its
metadata (:mod:`healthgap.store._snapshots`), they are snapshotted under a digest of the
``GEOMETRY`` rows; unlike metadata, a snapshot does not copy the geometry: each distinct
GeoJSON text is stored once in ``snap_shapes`` under its SHA-256 (its *shape*), and a
snapshot lists ``area_code, shape, source_crs``. A later import that redraws one borough
adds one shape and one listing; the unchanged boundaries are shared by every snapshot.
"""

from __future__ import annotations

from typing import Any

SHAPES = "snap_shapes"
LISTINGS = "snap_geometry"


def create_sql() -> list[str]:
    """DDL of the shapes (each geometry once) and the per-snapshot listings."""
    return [
        f"CREATE TABLE IF NOT EXISTS {SHAPES} (shape VARCHAR NOT NULL, geometry VARCHAR NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {LISTINGS} (digest VARCHAR NOT NULL, "
        "area_code VARCHAR NOT NULL, shape VARCHAR NOT NULL, source_crs VARCHAR)",
    ]


def take(con: Any, digest: str) -> None:
    """Snapshot the live ``geometry`` table under ``digest`` (nothing if already there)."""
    exists = con.execute(f"SELECT count(*) FROM {LISTINGS} WHERE digest = ?", [digest]).fetchall()
    if exists[0][0]:
        return
    empty = con.execute("SELECT count(*) FROM geometry").fetchall()[0][0] == 0
    if empty:
        return  # the empty snapshot lists nothing
    con.execute(
        f"""
        INSERT INTO {SHAPES}
        SELECT DISTINCT n.shape, n.geometry
        FROM (SELECT sha256(geometry) AS shape, geometry FROM geometry) n
        ANTI JOIN {SHAPES} s ON s.shape = n.shape
        """
    )
    con.execute(
        f"INSERT INTO {LISTINGS} SELECT ?, area_code, sha256(geometry), source_crs FROM geometry",
        [digest],
    )


def source_sql(param: str) -> str:
    """SQL of the snapshot whose digest is the query parameter ``param`` (GEOMETRY columns)."""
    return (
        f"(SELECT g.area_code, s.geometry, g.source_crs FROM {LISTINGS} g "
        f"JOIN {SHAPES} s USING (shape) WHERE g.digest = ${param})"
    )
