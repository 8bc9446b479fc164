"""Refuse paths that are not healthgap stores before DuckDB touches them.

DuckDB opens any existing file it cannot read as a database *in memory*, without an error:
an import into ``--store existing.csv`` would then succeed and keep nothing. A store path is
therefore checked first: it is absent (a new store is created, unless read-only), or a
DuckDB database file (the magic bytes ``DUCK`` at offset 8 of the file header [1]_); once
open, a database that already holds tables must hold the healthgap tables.

References
----------
.. [1] DuckDB storage format: the main header starts with an 8-byte checksum followed by the
   magic bytes "DUCK" (https://duckdb.org/docs/internals/storage).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from healthgap.errors import StoreError

_MAGIC = b"DUCK"
_MAGIC_OFFSET = 8
#: Tables every healthgap store has had since its first version.
CORE_TABLES = frozenset({"areas", "indicators", "vintages", "indicator_values"})


def check_path(path: str, *, read_only: bool) -> None:
    """Raise a StoreError unless ``path`` is absent (writable only) or a DuckDB file."""
    if path == ":memory:":
        if read_only:
            raise StoreError("a read-only store needs a file; ':memory:' is always empty")
        return
    file = Path(path)
    if file.is_dir():
        raise StoreError(f"cannot open store {path!r}: it is a folder, not a .duckdb file")
    if not file.exists():
        if read_only:
            raise StoreError(f"store {path!r} does not exist")
        return
    try:
        with file.open("rb") as handle:
            header = handle.read(_MAGIC_OFFSET + len(_MAGIC))
    except OSError as exc:
        raise StoreError(f"cannot read store {path!r}: {exc.strerror or exc}") from exc
    if header[_MAGIC_OFFSET:] != _MAGIC:
        raise StoreError(
            f"cannot open store {path!r}: it is not a DuckDB database file, so not a "
            "healthgap store; give a new path or an existing store"
        )


def check_tables(con: Any, path: str) -> set[str]:
    """Return the tables of the open database; refuse one holding other tables only."""
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    if tables and not tables >= CORE_TABLES:
        shown = sorted(tables)[:5]
        raise StoreError(
            f"cannot open store {path!r}: it is a DuckDB database but not a healthgap store "
            f"(it holds tables {shown}, not {sorted(CORE_TABLES)}); give another path"
        )
    return tables
