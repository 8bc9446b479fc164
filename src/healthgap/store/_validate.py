"""Vectorised checks of a values table before it becomes a vintage, and its content hash.

Every check is one DuckDB query over the registered Arrow table (no Python loop over rows);
details are fetched only for checks that fail, at most ``MAX_PROBLEMS`` rows each.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from healthgap._conventions import LIMIT_PAIRS, LIMITS, ROUNDING_NOTE
from healthgap.errors import InputError
from healthgap.store import schema

MAX_PROBLEMS = 20

_NUMBERS = (
    "value",
    *LIMITS,
    "count",
    "denominator",
)
# Limits come from floating-point formulas; allow rounding slack when they touch the value.
_SLACK = "(abs(value) * 1e-9 + 1e-12)"
# A published value rounded for display may lie outside its unrounded limits; the importer
# checked the gap against the value's rounding and said so in the value note.
_NOTE_SQL = ROUNDING_NOTE.replace("'", "''")
_NOT_ROUNDED = f"NOT coalesce(contains(value_note, '{_NOTE_SQL}'), false)"

#: (condition on a bad row, columns shown, the rule) for the row-level checks.
_ROW_CHECKS: list[tuple[str, tuple[str, ...], str]] = [
    *[(f"(isnan({c}) OR isinf({c}))", (c,), "must be a finite number or null") for c in _NUMBERS],
    ('"count" < 0', ("count",), "must be >= 0"),
    ("denominator < 0", ("denominator",), "must be >= 0"),
    ("period_years < 1", ("period_years",), "must be >= 1"),
    *[
        (cond, cols, "limits must bracket the value (lower <= value <= upper)")
        for lower, upper in LIMIT_PAIRS
        for cond, cols in (
            (f"{lower} > value + {_SLACK} AND {_NOT_ROUNDED}", (lower, "value")),
            (f"{upper} < value - {_SLACK} AND {_NOT_ROUNDED}", ("value", upper)),
            (f"{lower} > {upper} + {_SLACK}", (lower, upper)),
        )
    ],
]

_KEYS = ", ".join(f'"{k}"' for k in schema.VALUE_KEYS)
_NON_KEYS = ", ".join(f'"{f.name}"' for f in schema.VALUES if f.name not in schema.VALUE_KEYS)


def _quote(value: Any) -> str:
    return repr(value) if isinstance(value, str) else f"{value}"


def check_values(
    con: Any, view: str, table: pa.Table, *, areas_table: str | None
) -> tuple[int, str]:
    """Validate the values in ``view`` (``table`` registered); return (rows, content hash).

    Problems are counted in one scan of ``view``; only when some are found is ``table``
    registered again with row numbers to say where they are.

    Raises an InputError listing the first ``MAX_PROBLEMS`` problems and their total. The
    hash is an order-independent digest of every cell (bitwise XOR and sum of DuckDB's
    64-bit row hashes, with the row count).
    """
    counts = ", ".join(f"count_if({cond})" for cond, _, _ in _ROW_CHECKS)
    # One scan: row count, distinct key hashes (fewer than rows means possible duplicate
    # keys, confirmed exactly below), the content digest and every row-level check.
    row = con.execute(
        f"SELECT count(*), count(DISTINCT hk), bit_xor(h), sum(h::HUGEINT), {counts} "
        f"FROM (SELECT *, hash(hk, {_NON_KEYS}) AS h "
        f"FROM (SELECT *, hash({_KEYS}) AS hk FROM {view}))"
    ).fetchall()[0]
    n_rows, n_keys, xor, total_hash, failures = row[0], row[1], row[2], row[3], row[4:]
    problems: list[str] = []
    n_problems = 0
    if areas_table is not None:
        n_unknown = con.execute(
            f"SELECT count(DISTINCT area_code) FROM {view} "
            f"WHERE area_code NOT IN (SELECT area_code FROM {areas_table})"
        ).fetchall()[0][0]
    else:
        n_unknown = 0
    if not (any(failures) or n_keys < n_rows or n_unknown):
        return n_rows, f"{n_rows}:{xor}:{total_hash}"
    con.register("_numbered", with_row_numbers(table))
    view = "_numbered"
    for (cond, cols, rule), n_bad in zip(_ROW_CHECKS, failures, strict=True):
        if not n_bad:
            continue
        n_problems += n_bad
        quoted = ", ".join(f'"{c}"' for c in cols)
        bad = con.execute(
            f"SELECT _row, {quoted} FROM {view} WHERE {cond} ORDER BY _row LIMIT {MAX_PROBLEMS}"
        ).fetchall()
        for r, *found in bad:
            shown = ", ".join(f"{c}={v}" for c, v in zip(cols, found, strict=True))
            name = f"column '{cols[0]}'" if len(cols) == 1 else f"columns {list(cols)}"
            problems.append(f"row {r}: {name} {rule}; found {shown}")

    dup_sql = (
        f"SELECT {_KEYS}, list(_row ORDER BY _row) AS rows_ FROM {view} GROUP BY ALL "
        "HAVING count(*) > 1"
    )
    n_dup = 0
    if n_keys < n_rows:
        n_dup = con.execute(f"SELECT count(*) FROM ({dup_sql})").fetchall()[0][0]
    if n_dup:
        n_problems += n_dup
        first = con.execute(f"{dup_sql} ORDER BY rows_[1] LIMIT {MAX_PROBLEMS}").fetchall()
        for *key, rows in first:
            shown = ", ".join(
                f"{k}={_quote(v)}" for k, v in zip(schema.VALUE_KEYS, key, strict=True)
            )
            problems.append(f"rows {rows[:5]}: duplicate key ({shown})")

    if n_unknown:
        unknown_sql = (
            f"SELECT area_code, count(*) AS n, min(_row) AS first_row FROM {view} "
            f"WHERE area_code NOT IN (SELECT area_code FROM {areas_table}) GROUP BY area_code"
        )
        n_problems += n_unknown
        for code, n, first in con.execute(
            f"{unknown_sql} ORDER BY first_row LIMIT {MAX_PROBLEMS}"
        ).fetchall():
            problems.append(
                f"row {first}: area_code {code!r} is not in the store's areas "
                f"({n:,} row{'s' if n > 1 else ''}); add the areas first"
            )
    con.unregister("_numbered")

    if n_problems:
        shown = problems[:MAX_PROBLEMS]
        raise InputError(
            f"values: {n_problems:,} problem{'s' if n_problems > 1 else ''} in {n_rows:,} rows "
            f"(first {len(shown)} shown; rows count from 0): " + "; ".join(shown)
        )
    return n_rows, f"{n_rows}:{xor}:{total_hash}"


def with_row_numbers(table: pa.Table) -> pa.Table:
    """Append ``_row``, the 0-based position of each row, so messages can point at rows."""
    return table.append_column("_row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
