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
        return series.cast(nw.Float64).to_numpy().astype(float, copy=False)
    return series.to_numpy()


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
    indexed = frame.with_row_index("__row__")
    uniques = indexed.select(*keys).unique().sort(*keys, nulls_last=True).with_row_index("__gid__")
    joined = indexed.join(uniques, on=list(keys), how="left").sort("__row__")
    ids = joined["__gid__"].to_numpy().astype(np.int64)
    return ids, uniques.drop("__gid__")
