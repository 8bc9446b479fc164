"""Frames in, the same kind out: one entry and one exit for every public method.

Any pandas, Polars or Arrow table is wrapped once with narwhals; the methods work on the
narwhals frame and numpy arrays; the result goes back as the caller's own kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np

from healthgap.errors import InputError


def to_frame(data: Any, name: str = "data") -> nw.DataFrame[Any]:
    """Wrap a pandas/Polars/Arrow table as an eager narwhals frame (never copies user data)."""
    try:
        return nw.from_native(data, eager_only=True)
    except TypeError as exc:
        raise InputError(
            f"argument '{name}' must be a pandas, Polars or Arrow table; got {type(data).__name__}"
        ) from exc


def to_native(frame: nw.DataFrame[Any]) -> Any:
    """Hand back the caller's own kind of table (pandas with a fresh 0..n-1 index)."""
    native = nw.to_native(frame)
    if nw.dependencies.is_pandas_dataframe(native):
        return native.reset_index(drop=True)
    return native


def as_names(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Normalise a column name or list of names (``None`` -> empty)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def column(frame: nw.DataFrame[Any], name: str, dtype: type = float) -> np.ndarray:
    """A column as a numpy array of ``dtype`` (nulls become NaN for floats)."""
    series = frame[name]
    if dtype is float:
        if series.dtype.is_numeric():
            # numbers straight to float64, in one conversion (nulls arrive as NaN)
            values = series.to_numpy()
            if values.dtype.kind in "iuf":
                return values.astype(float, copy=False)
        return series.cast(nw.Float64).to_numpy().astype(float, copy=False)
    return series.to_numpy()


def counts(frame: nw.DataFrame[Any], name: str) -> np.ndarray:
    """A count column as numpy: integer columns as they are (no float copy of every row),
    anything else as :func:`column` gives it. :func:`healthgap.methods._aggregate.sums` and
    :class:`healthgap._checks.RowChecks` take either kind."""
    series = frame[name]
    if series.dtype.is_integer():
        values = series.to_numpy()
        if values.dtype.kind in "iu":  # a column with nulls arrives as float or object
            return values
    return column(frame, name)


def group_ids(
    frame: nw.DataFrame[Any], keys: Sequence[str]
) -> tuple[np.ndarray, nw.DataFrame[Any] | None]:
    """Integer id per row of its group (in sorted key order) and the frame of unique keys
    (``None`` when there are no keys: every row is one group).

    Groups are numbered by the sorted order of their keys, so results are deterministic and
    match ``frame.group_by(keys).agg(...).sort(keys)``.
    """
    if not keys:
        return np.zeros(len(frame), dtype=np.int64), None
    schema = frame.schema
    if len(keys) == 1 and len(frame) and schema[keys[0]].is_integer():
        found = _integer_groups(frame, keys[0])
        if found is not None:
            return found
    if len(frame) and all(
        schema[k].is_numeric() or schema[k] in (nw.Boolean, nw.String) for k in keys
    ):
        # Fast path: hash-encode each key column (Arrow), rank its distinct values, combine
        # the ranks; no join, and null keys form their own group (sorted last).
        ids, size = np.zeros(len(frame), dtype=np.int64), 1
        for key in keys:
            codes, count = _dense_ranks(frame[key].to_arrow())
            size *= count
            if size >= 2**62:
                break
            ids = ids * count + codes
        else:
            if len(keys) > 1:
                ids, _ = _dense_ranks(ids)
            rows = np.arange(len(frame))
            first = np.empty(int(ids.max()) + 1, dtype=np.int64)
            first[ids[::-1]] = rows[::-1]
            return ids, frame.select(*keys)[first]
    indexed = frame.with_row_index("__row__")
    uniques = indexed.select(*keys).unique().sort(*keys, nulls_last=True).with_row_index("__gid__")
    joined = indexed.join(uniques, on=list(keys), how="left").sort("__row__")
    ids = joined["__gid__"].to_numpy().astype(np.int64)
    return ids, uniques.drop("__gid__")


def _dense_ranks(values: Any) -> tuple[np.ndarray, int]:
    """Rank of each value among the distinct values (sorted, nulls last), and their count."""
    import pyarrow as pa  # imported on first use: keeps `import healthgap.methods` light
    import pyarrow.compute as pc

    if isinstance(values, np.ndarray):
        values = pa.array(values)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_integer(values.type) and values.null_count == 0 and len(values):
        found = _integer_codes(values.to_numpy(zero_copy_only=False))
        if found is not None:
            return found[0], len(found[1])
    encoded = pc.dictionary_encode(values, null_encoding="encode")
    order = pc.array_sort_indices(encoded.dictionary, null_placement="at_end").to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[encoded.indices.to_numpy(zero_copy_only=False)], len(order)


def _integer_groups(
    frame: nw.DataFrame[Any], key: str
) -> tuple[np.ndarray, nw.DataFrame[Any]] | None:
    """Group ids and unique keys for one integer key column without nulls, by direct
    addressing (``None`` when the column has nulls or its range is too wide)."""
    values = frame[key].to_numpy()
    if values.dtype.kind not in "iu":  # nulls made it float or object
        return None
    found = _integer_codes(values)
    if found is None:
        return None
    ids, distinct = found
    native = nw.to_native(frame)
    if frame.implementation is nw.Implementation.PANDAS and isinstance(native[key].dtype, np.dtype):
        # numpy-backed pandas integers: the sorted distinct values are the key column
        keys = type(native)({key: distinct}, copy=False)
        keys.columns.name = native.columns.name
        return ids, nw.from_native(keys, eager_only=True)
    rows = np.arange(len(frame))
    first = np.empty(len(distinct), dtype=np.int64)
    first[ids[::-1]] = rows[::-1]
    return ids, frame.select(key)[first]


def _integer_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Dense rank (int64) of each integer and the sorted distinct values, by direct addressing
    when their range is small (else ``None``).

    O(n) with no sort of the rows: mark which values occur, number them by a cumulative sum.
    Offsets from the minimum are taken in 64 bits, so narrow types (int8) cannot wrap.
    """
    low, high = int(values.min()), int(values.max())
    span = high - low + 1
    if span > 4 * len(values) + 1024:
        return None
    if values.dtype == np.uint64:
        offset = (values - np.uint64(low)).astype(np.int64)
    else:
        offset = values.astype(np.int64, copy=False)
        if low:
            offset = offset - low
    present = np.zeros(span, dtype=bool)
    present[offset] = True
    occupied = np.flatnonzero(present)
    if len(occupied) == span:  # every value in the range occurs: ranks are the offsets
        ranks = offset.view()
        ranks.flags.writeable = False  # may share memory with the caller's column
    else:
        rank_of = np.cumsum(present, dtype=np.int64) - 1
        ranks = rank_of[offset]
    if values.dtype == np.uint64:
        distinct = occupied.astype(np.uint64) + np.uint64(low)
    else:
        distinct = (occupied + low).astype(values.dtype)
    return ranks, distinct
