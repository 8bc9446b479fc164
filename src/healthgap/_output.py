"""The output vocabulary shared by every method (PHEindicatormethods' columns).

``value``; ``lowercl``/``uppercl`` for one confidence level, or ``lower95_0cl, upper95_0cl,
lower99_8cl, upper99_8cl`` for the 95%/99.8% pair; ``confidence``, ``statistic``, ``method``.
``type`` selects: ``value`` (keys + value), ``lower``/``upper`` (keys + that limit),
``standard`` (keys, inputs, value, limits) or ``full`` (standard + metadata columns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import narwhals as nw
import numpy as np

from healthgap._limits import Limits

OutputType = Literal["value", "lower", "upper", "standard", "full"]
TYPES: tuple[str, ...] = ("value", "lower", "upper", "standard", "full")
META = ("confidence", "statistic", "method")


def level_suffix(level: float) -> str:
    """``0.95 -> '95_0'``, ``0.998 -> '99_8'`` (PHEindicatormethods' column suffix)."""
    return f"{level * 100:.1f}".replace(".", "_")


def level_label(levels: Sequence[float]) -> str | None:
    """``(0.95,) -> '95%'``, ``(0.95, 0.998) -> '95%, 99.8%'``; ``None`` when no limits."""
    if not levels:
        return None
    return ", ".join(f"{level * 100:g}%" for level in levels)


def limit_names(levels: Sequence[float]) -> list[tuple[str, str]]:
    """Names of the (lower, upper) columns for the given levels."""
    if len(levels) == 1:
        return [("lowercl", "uppercl")]
    return [(f"lower{level_suffix(lv)}cl", f"upper{level_suffix(lv)}cl") for lv in levels]


def with_arrays(frame: nw.DataFrame[Any], arrays: Mapping[str, Any]) -> nw.DataFrame[Any]:
    """Append numpy arrays, narwhals Series or scalars (broadcast to every row) as columns of
    ``frame`` (a column of the same name is replaced in place)."""
    if not arrays:
        return frame
    native = nw.to_native(frame)
    if frame.implementation is nw.Implementation.PANDAS and native.columns.is_unique:
        return _pandas_with_arrays(frame, native, arrays)
    return frame.with_columns(*(_series(frame, name, v) for name, v in arrays.items()))


def _series(frame: nw.DataFrame[Any], name: str, values: Any) -> nw.Series[Any]:
    """One column of ``len(frame)`` values in ``frame``'s backend."""
    if isinstance(values, nw.Series):
        return values.alias(name)
    backend = nw.get_native_namespace(frame)
    n = len(frame)
    if values is None or isinstance(values, str):
        # a text (or null) scalar: a String column, one value repeated (a gather)
        one = nw.new_series(name, [values], dtype=nw.String(), backend=backend)
        return one[np.zeros(n, dtype=np.intp)]
    if np.isscalar(values):
        arr = np.full(n, values, dtype=object if not isinstance(values, float) else float)
    else:
        arr = np.asarray(values)
    if arr.dtype == object:
        return _object_series(name, arr, backend)
    return nw.new_series(name, arr, backend=backend)


def _object_series(name: str, arr: np.ndarray, backend: Any) -> nw.Series[Any]:
    """A column of Python objects: text (``str`` or ``None``) as String, read by Arrow in C.

    Other objects are handed to the backend as a list, to infer their type.
    """
    import pyarrow as pa  # imported on first use: keeps `import healthgap.methods` light

    try:
        typed = pa.array(arr, from_pandas=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        typed = None
    if typed is None or not (pa.types.is_string(typed.type) or pa.types.is_null(typed.type)):
        return nw.new_series(name, list(arr), backend=backend)
    return nw.from_arrow(pa.table({name: typed.cast(pa.string())}), backend=backend)[name]


def _pandas_with_arrays(
    frame: nw.DataFrame[Any], native: Any, arrays: Mapping[str, Any]
) -> nw.DataFrame[Any]:
    """:func:`with_arrays` for pandas as one frame construction, the same columns and dtypes
    as ``frame.with_columns`` (which joins the new columns one at a time by index)."""
    columns: dict[str, Any] = {name: native[name] for name in native.columns}
    for name, values in arrays.items():
        if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
            columns[name] = values  # as nw.new_series: pandas.Series(values, copy=False)
        elif values is None or isinstance(values, str):
            one = nw.new_series(name, [values], dtype=nw.String(), backend="pandas")
            columns[name] = one.to_native().array.take(np.zeros(len(native), dtype=np.intp))
        else:
            columns[name] = _series(frame, name, values).to_native().array
    out = type(native)(columns, index=native.index)
    out.columns.name = native.columns.name
    return nw.from_native(out, eager_only=True)


def assemble(
    keys: nw.DataFrame[Any],
    *,
    value: np.ndarray,
    limits: Mapping[float, Limits],
    levels: Sequence[float],
    statistic: str | np.ndarray,
    method: str | np.ndarray,
    type: str,
    inputs: Sequence[str] = (),
    extra: Mapping[str, np.ndarray] | None = None,
    withheld: np.ndarray | None = None,
) -> nw.DataFrame[Any]:
    """Build the output frame: keys (+ inputs), value, limits, metadata, selected by ``type``.

    ``keys`` holds one row per output row with the group columns (and any ``inputs``).
    ``withheld`` (bool per row) nulls value and limits of groups that could not be given.
    """
    arrays: dict[str, Any] = {}
    value = np.asarray(value, float)
    if withheld is not None:
        value = np.where(withheld, np.nan, value)
    arrays["value"] = value
    for level, (lo_name, hi_name) in zip(levels, limit_names(levels), strict=True):
        lo, hi = (np.asarray(a, float) for a in limits[level])
        if withheld is not None:
            lo, hi = np.where(withheld, np.nan, lo), np.where(withheld, np.nan, hi)
        arrays[lo_name], arrays[hi_name] = lo, hi
    if extra:
        arrays.update(extra)
    arrays["confidence"] = level_label(levels)
    arrays["statistic"] = statistic
    arrays["method"] = method
    frame = with_arrays(keys, arrays)
    if frame.implementation is not nw.Implementation.PANDAS:
        # NaN -> null; pandas' numpy float columns already use NaN as their null
        frame = frame.with_columns(nw.col(c).fill_nan(None) for c in _float_outputs(arrays))
    return select(
        frame,
        type,
        keys=[c for c in keys.columns if c not in inputs],
        inputs=inputs,
        levels=levels,
        extra=list(extra or ()),
    )


def _float_outputs(arrays: Mapping[str, Any]) -> list[str]:
    return [k for k, v in arrays.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"]


def select(
    frame: nw.DataFrame[Any],
    type: str,
    *,
    keys: Sequence[str],
    inputs: Sequence[str],
    levels: Sequence[float],
    extra: Sequence[str] = (),
) -> nw.DataFrame[Any]:
    """Keep the columns that ``type`` asks for, in PHEindicatormethods' order."""
    names = limit_names(levels)
    lowers, uppers = [lo for lo, _ in names], [hi for _, hi in names]
    if not levels:
        lowers = uppers = []
    cols: list[str] = list(keys)
    if type == "value":
        cols += ["value"]
    elif type == "lower":
        cols += lowers
    elif type == "upper":
        cols += uppers
    else:
        cols += [
            *inputs,
            "value",
            *extra,
            *[c for pair in zip(lowers, uppers, strict=True) for c in pair],
        ]
        if type == "full":
            cols += list(META)
    return frame.select(cols)
