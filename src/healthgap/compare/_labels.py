"""The words of every judgement, and how they become columns without a loop over rows.

Labels are those of Fingertips' exports (``Better``, ``Similar``, ``Worse``, ``Higher``,
``Lower``, ``Not compared``; ``Lowest quintile`` ...; ``Increasing and getting better`` ...;
``Cannot be calculated``), so published tables read as analysts already know them. Each
result is computed as a small integer code per row; a label column is one vectorised lookup
of the codes in the backend (``replace_strict``), so 10 million rows cost no Python loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals as nw
import numpy as np

from healthgap import _output

NOT_COMPARED = "Not compared"
CANNOT = "Cannot be calculated"
NO_CHANGE = "No significant change"

#: polarity code -> (label when above the benchmark, label when below); codes in _inputs
ABOVE_BELOW = {
    1: ("Better", "Worse"),
    -1: ("Worse", "Better"),
    0: ("Higher", "Lower"),
    -9: ("Higher", "Lower"),
}

#: Fingertips' export labels for quintile 1..5 (1 = lowest values); the same whatever the
#: polarity ("comparator method overrides polarity if quintiles").
QUINTILES = (
    "Lowest quintile",
    "2nd lowest quintile",
    "Middle quintile",
    "2nd highest quintile",
    "Highest quintile",
)
#: quintile labels when a polarity is given, for quintile 1..5 of the *judged* order
#: (1 = best)
QUINTILES_JUDGED = (
    "Best quintile",
    "2nd best quintile",
    "Middle quintile",
    "2nd worst quintile",
    "Worst quintile",
)

TRENDS = (
    "Increasing and getting better",
    "Increasing and getting worse",
    "Decreasing and getting better",
    "Decreasing and getting worse",
    "Increasing",
    "Decreasing",
    NO_CHANGE,
    CANNOT,
)


def column(
    frame: nw.DataFrame[Any], name: str, codes: np.ndarray, words: Sequence[str | None]
) -> nw.Series[Any]:
    """A text column ``words[code]`` per row; code -1 (or a ``None`` word) gives null."""
    mapping: dict[int, str | None] = dict(enumerate(words))
    mapping[-1] = None
    backend = nw.get_native_namespace(frame)
    series = nw.new_series(name, np.asarray(codes, dtype=np.int64), backend=backend)
    return series.replace_strict(mapping, return_dtype=nw.String())


def append(
    frame: nw.DataFrame[Any],
    numbers: Mapping[str, np.ndarray] | None = None,
    texts: Mapping[str, tuple[np.ndarray, Sequence[str | None]]] | None = None,
    integers: Sequence[str] = (),
) -> nw.DataFrame[Any]:
    """Add float columns (NaN -> null), coded text columns and nullable integer columns.

    ``integers`` names columns of ``numbers`` that hold whole numbers or NaN: they become
    ``Int64`` with nulls.
    """
    numbers = dict(numbers or {})
    out = _output.with_arrays(frame, numbers) if numbers else frame
    floats = [k for k, v in numbers.items() if np.asarray(v).dtype.kind == "f"]
    if floats:
        out = out.with_columns(nw.col(c).fill_nan(None) for c in floats)
    if integers:
        out = _nullable_integers(out, integers)
    if texts:
        out = out.with_columns(
            column(out, name, codes, words) for name, (codes, words) in texts.items()
        )
    return out


def _nullable_integers(frame: nw.DataFrame[Any], names: Sequence[str]) -> nw.DataFrame[Any]:
    """Whole-number float columns (NaN for missing) as nullable 64-bit integers.

    pandas' numpy ``int64`` cannot hold a missing value and narwhals casts numpy-backed pandas
    columns to it, so pandas gets its own nullable ``Int64`` here; Polars and Arrow integers
    hold nulls already.
    """
    native = nw.to_native(frame)
    if nw.dependencies.is_pandas_dataframe(native):
        return nw.from_native(native.astype(dict.fromkeys(names, "Int64")), eager_only=True)
    return frame.with_columns(nw.col(c).cast(nw.Int64()) for c in names)
