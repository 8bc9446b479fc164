"""A source's own judgements of its values, kept with the vintage of those values.

Fingertips exports publish OHID's judgement beside each value (compared with England, with
the parent area, with the goal; the recent trend). A vintage keeps them
(:data:`~healthgap.store.schema.JUDGEMENTS`) so a report can show them beside ours and flag
where the two disagree. They are part of what the vintage publishes, so they enter its
content hash, but only when it has some: a vintage without judgements keeps the id it would
always have had.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from healthgap.errors import InputError
from healthgap.store import _tables, schema

TABLE = "source_judgements"
STORED = pa.schema([pa.field("vintage_id", pa.string(), nullable=False), *schema.JUDGEMENTS])
_KEYS = ", ".join(f'"{k}"' for k in schema.VALUE_KEYS)
_SHOWN = 5


def create_sql() -> str:
    """DDL of the judgements table (the vintage id, the value keys, the judgements)."""
    return _tables.create_sql(TABLE, STORED)


def conform(data: Any) -> pa.Table | None:
    """The rows of ``data`` that judge something, or None when none does.

    An empty text is no judgement (read as null); rows with no judgement are left out, so an
    all-empty judgement table is the same as none.
    """
    if data is None:
        return None
    table = _tables.conform(data, schema.JUDGEMENTS, "judgements")
    said = []
    for name in schema.JUDGEMENT_COLUMNS:
        column = table.column(name)
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column), ""), False)
        column = pc.if_else(blank, pa.scalar(None, pa.string()), column)
        table = table.set_column(table.schema.get_field_index(name), name, column)
        said.append(pc.is_valid(column))
    kept = table.filter(functools.reduce(pc.or_, said))
    return kept if kept.num_rows else None


def check(con: Any, view: str, values_view: str) -> str:
    """Validate the judgements in ``view`` against the values; return their content digest.

    Raises
    ------
    InputError
        Two judgements of one value, or a judgement of a value the vintage does not hold.
    """
    dup = con.execute(
        f"SELECT {_KEYS}, count(*) AS n FROM {view} GROUP BY ALL HAVING n > 1 "
        f"ORDER BY ALL LIMIT {_SHOWN}"
    ).fetchall()
    if dup:
        shown = "; ".join(", ".join(map(str, d[:-1])) for d in dup)
        raise InputError(f"judgements: duplicate keys ({', '.join(schema.VALUE_KEYS)}): {shown}")
    orphans = con.execute(
        f"SELECT count(*) OVER (), {_KEYS} FROM {view} ANTI JOIN {values_view} "
        f"USING ({_KEYS}) ORDER BY ALL LIMIT {_SHOWN}"
    ).fetchall()
    if orphans:
        shown = "; ".join(", ".join(map(str, o[1:])) for o in orphans)
        raise InputError(
            f"judgements: {orphans[0][0]:,} judge no value of the vintage "
            f"(keys {', '.join(schema.VALUE_KEYS)}: {shown}); a source's judgement needs "
            "the value it judges"
        )
    cols = ", ".join(f'"{c}"' for c in schema.JUDGEMENTS.names)
    row = con.execute(
        f"SELECT count(*), bit_xor(h), sum(h::HUGEINT) FROM (SELECT hash({cols}) AS h FROM {view})"
    ).fetchall()[0]
    return hashlib.sha256(f"judgements:{row[0]}:{row[1]}:{row[2]}".encode()).hexdigest()


def insert(con: Any, vintage_id: str, view: str) -> None:
    """Store the judgements in ``view`` as ``vintage_id``'s."""
    cols = ", ".join(f'"{c}"' for c in schema.JUDGEMENTS.names)
    con.execute(f"INSERT INTO {TABLE} SELECT ? AS vintage_id, {cols} FROM {view}", [vintage_id])
