"""Reading the caller's arguments: polarity, and numbers given either as a value or a column.

Checks run once, at the public boundary, and name the argument, the rule, what was found and
where (STYLE.md section 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, overload

import narwhals as nw
import numpy as np

from healthgap import _checks, _frames
from healthgap.errors import InputError

#: The catalogue's polarity vocabulary (healthgap.catalogue.metadata.Polarity).
POLARITIES = ("high_is_good", "low_is_good", "no_judgement")

#: Polarity codes, per row: +1 high is good, -1 low is good, 0 no judgement, UNSET for null.
HIGH, LOW, NONE, UNSET = 1, -1, 0, -9
_CODES = {"high_is_good": HIGH, "low_is_good": LOW, "no_judgement": NONE}


def polarity(frame: nw.DataFrame[Any], value: str | None) -> np.ndarray:
    """Polarity code per row from a vocabulary word, a column of such words, or ``None``.

    ``None`` (or a null in the column) gives :data:`UNSET`: directions are reported without a
    judgement and the row's ``reason`` says the polarity was not set.
    """
    n = len(frame)
    if value is None:
        return np.full(n, UNSET, dtype=np.int8)
    if not isinstance(value, str):
        raise InputError(
            f"argument 'polarity' must be one of {list(POLARITIES)}, a column of them, or None; "
            f"got {value!r}"
        )
    if value in _CODES:
        return np.full(n, _CODES[value], dtype=np.int8)
    if value not in frame.columns:
        raise InputError(
            f"argument 'polarity' must be one of {list(POLARITIES)} or a column of the data; "
            f"got {value!r} (columns: {list(frame.columns)})"
        )
    words = frame[value]
    if words.dtype.is_numeric() or words.dtype == nw.Boolean:
        raise InputError(f"polarity column '{value}' must hold text; it is {words.dtype}")
    codes = words.replace_strict(_CODES, default=99, return_dtype=nw.Int8()).to_numpy()
    missing = words.is_null().to_numpy()
    unknown = (codes == 99) & ~missing
    if unknown.any():
        raise InputError(
            f"polarity column '{value}' must hold {list(POLARITIES)} or null: "
            + _checks.where(unknown, words.to_numpy())
        )
    return np.where(missing, UNSET, codes).astype(np.int8)


@overload
def number_or_column(
    frame: nw.DataFrame[Any], name: str, value: Any, *, required: Literal[True] = ...
) -> np.ndarray: ...
@overload
def number_or_column(
    frame: nw.DataFrame[Any], name: str, value: Any, *, required: bool
) -> np.ndarray | None: ...
def number_or_column(
    frame: nw.DataFrame[Any], name: str, value: Any, *, required: bool = True
) -> np.ndarray | None:
    """A per-row float array from a number (broadcast) or a numeric column name."""
    if value is None:
        if required:
            raise InputError(f"argument '{name}' is required: a number or a column name")
        return None
    if isinstance(value, str):
        _checks.numeric(frame, value)
        return _frames.column(frame, value)
    number = _checks.number(name, value)
    return np.full(len(frame), number)


@overload
def column_or_none(frame: nw.DataFrame[Any], name: str) -> np.ndarray: ...
@overload
def column_or_none(frame: nw.DataFrame[Any], name: None) -> None: ...
@overload
def column_or_none(frame: nw.DataFrame[Any], name: str | None) -> np.ndarray | None: ...
def column_or_none(frame: nw.DataFrame[Any], name: str | None) -> np.ndarray | None:
    """A numeric column as float array (nulls as NaN), or ``None`` when not named."""
    if name is None:
        return None
    _checks.numeric(frame, name)
    return _frames.column(frame, name)


def level(value: Any) -> float:
    """One confidence level, as a proportion: ``0.95``, ``95``, ``0.998`` or ``99.8``."""
    levels = _checks.confidence(value)
    if len(levels) != 1:
        raise InputError(f"argument 'confidence' must be one level; got {value!r}")
    return levels[0]


def keys(frame: nw.DataFrame[Any], group_by: str | Sequence[str] | None) -> tuple[str, ...]:
    """Normalise ``group_by`` and check its columns exist."""
    names = _frames.as_names(group_by)
    _checks.columns(frame, *names)
    return names


def limits_in_order(lower: np.ndarray, upper: np.ndarray, lower_name: str, upper_name: str) -> None:
    """Raise when a lower limit exceeds its upper limit (the data must be mended)."""
    bad = lower > upper
    if bad.any():
        raise InputError(
            f"column '{lower_name}' must be <= column '{upper_name}': " + _checks.where(bad, lower)
        )
