"""Group-level plumbing shared by the count-based methods (proportion, rate, dsr, isr).

One pass over the user's rows gives each row its group id; sums per group are
``np.bincount`` calls; the frame of group keys carries the aggregated inputs into
:func:`healthgap._output.assemble`. Withheld groups (flagged bad input, small
counts) are described once, in one aggregated :class:`SuppressedWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np

from healthgap import _checks, _frames, _output
from healthgap.errors import InputError, SuppressedWarning


class Groups(NamedTuple):
    """Each row's group id, the number of groups and their keys (``None``: one group)."""

    ids: np.ndarray
    count: int  # type: ignore[assignment]  # a field, shadowing tuple.count
    keys: nw.DataFrame[Any] | None


def groups(frame: nw.DataFrame[Any], keys: Sequence[str]) -> Groups:
    """Number the groups of ``frame`` by sorted key order (one group when no keys)."""
    if len(frame) == 0:
        raise InputError("argument 'data' has no rows")
    ids, uniques = _frames.group_ids(frame, keys)
    count = 1 if uniques is None else len(uniques)
    return Groups(ids, count, uniques)


def sums(g: Groups, *arrays: np.ndarray) -> list[np.ndarray]:
    """Per-group sums (float64) of each array, adding rows in order (NaN propagates to its
    group).

    Integer arrays are summed exactly in 64-bit integers (the same sums as adding them as
    floats while the totals stay below 2**53, and no float copy of every row), unless rows
    times the largest magnitude could reach 2**62: then as floats.
    """
    out = []
    for values in arrays:
        if (
            values.dtype.kind in "iu"
            and len(values)
            and (max(-int(values.min()), int(values.max())) < 2**62 // len(values))
        ):
            exact = np.zeros(g.count, dtype=np.int64)
            np.add.at(exact, g.ids, values.astype(np.int64, copy=False))
            out.append(exact.astype(float))
        else:
            total = np.zeros(g.count)
            np.add.at(total, g.ids, np.asarray(values, dtype=float))
            out.append(total)
    return out


def key_frame(
    frame: nw.DataFrame[Any],
    g: Groups,
    columns: Mapping[str, np.ndarray],
    like: Mapping[str, str] | None = None,
) -> nw.DataFrame[Any]:
    """One row per group: the keys, then ``columns`` (aggregated inputs).

    ``like`` maps an output column to a column of ``frame``: when that column is an integer
    and every value a whole number, the output is a 64-bit integer of the same signedness
    (so summed counts stay integers, and sums of narrow types such as Int8, Int16 or UInt8
    never overflow them).
    """
    base = g.keys if g.keys is not None else frame.select(nw.len().alias("__one__"))
    backend = nw.get_native_namespace(frame)
    arrays: dict[str, Any] = dict(columns)
    for name, source in (like or {}).items():
        dtype = frame.schema[source]
        values = np.asarray(columns[name], float)
        if dtype.is_integer() and np.isfinite(values).all() and (values == np.round(values)).all():
            wide = nw.UInt64() if dtype.is_unsigned_integer() else nw.Int64()
            arrays[name] = nw.new_series(name, values, backend=backend).cast(wide)
    out = _output.with_arrays(base, arrays)
    return out.drop("__one__") if g.keys is None else out


def describe_group(g: Groups, index: int) -> str:
    """Human-readable keys of one group, e.g. ``E09000001, 2021`` (``all rows`` if ungrouped)."""
    if g.keys is None:
        return "all rows"
    row = g.keys.row(index)
    return ", ".join(v if isinstance(v, str) else _checks._fmt_one(v) for v in row)


def format_number(value: float) -> str:
    """``100000.0 -> '100000'``, ``2.5 -> '2.5'``: as R's ``format(x, scientific = FALSE)``."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def statistic_column(
    default: str, reasons: np.ndarray | None, n_groups: int, extra_reasons: np.ndarray | None = None
) -> np.ndarray | str:
    """``statistic`` per group: ``default``, or the reason a group was withheld."""
    if reasons is None and extra_reasons is None:
        return default
    out = np.full(n_groups, default, dtype=object)
    for r in (extra_reasons, reasons):
        if r is not None:
            mask = np.not_equal(r, np.array(None))  # elementwise on the objects, in C
            out[mask] = r[mask]
    return out


def warn_withheld(what: str, mask: np.ndarray, g: Groups, why: str) -> None:
    """One :class:`SuppressedWarning` for all withheld groups of a call."""
    mask = np.asarray(mask, bool)
    k = int(mask.sum())
    if k == 0:
        return
    first = describe_group(g, int(np.flatnonzero(mask)[0]))
    warnings.warn(
        f"{what} withheld for {k:,} of {g.count:,} groups {why} (first: {first})",
        SuppressedWarning,
        stacklevel=3,
    )


def flagged(reasons: np.ndarray | None, n_groups: int) -> np.ndarray:
    """Boolean mask of groups with a recorded reason."""
    if reasons is None:
        return np.zeros(n_groups, dtype=bool)
    return np.asarray(np.not_equal(reasons, np.array(None)), dtype=bool)


def start(
    data: Any,
    *,
    group_by: str | Sequence[str] | None,
    confidence: _checks.Confidence,
    type: str,
    errors: str,
    multiplier: float | None = None,
) -> tuple[nw.DataFrame[Any], tuple[str, ...], tuple[float, ...]]:
    """Validate the arguments every count method shares; return frame, keys and levels."""
    frame = _frames.to_frame(data)
    keys = _frames.as_names(group_by)
    levels = _checks.confidence(confidence)
    _checks.one_of("type", type, _output.TYPES)
    _checks.one_of("errors", errors, ("raise", "flag"))
    if multiplier is not None:
        _checks.number("multiplier", multiplier, low=0, low_open=True)
    _checks.columns(frame, *keys)
    return frame, keys, levels


def positions(ids: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's position within its group (in row order) and each group's row count."""
    counts = np.bincount(ids, minlength=n_groups)
    order = np.argsort(ids, kind="stable")
    starts = np.cumsum(counts) - counts
    pos = np.empty(len(ids), dtype=np.int64)
    pos[order] = np.arange(len(ids)) - starts[ids[order]]
    return pos, counts


def band_count_reasons(
    g: Groups, counts: np.ndarray, expected: int, what: str, errors: str
) -> np.ndarray | None:
    """Raise (or return per-group reasons) when groups do not have ``expected`` age bands."""
    wrong = counts != expected
    if not wrong.any():
        return None
    idx = np.flatnonzero(wrong)
    if errors == "raise":
        shown = "; ".join(f"({describe_group(g, int(i))}) has {int(counts[i])}" for i in idx[:5])
        more = ", ..." if len(idx) > 5 else ""
        raise InputError(
            f"each group must have {expected} age bands, as {what}: {len(idx):,} of "
            f"{g.count:,} groups differ: {shown}{more}"
        )
    reasons = np.full(g.count, None, dtype=object)
    found, where = np.unique(counts[idx], return_inverse=True)  # one text per distinct count
    texts = np.array(
        [f"group has {int(c)} age bands, expected {expected}" for c in found], dtype=object
    )
    reasons[idx] = texts[where]
    return reasons


def merge_reasons(*parts: np.ndarray | None) -> np.ndarray | None:
    """Combine per-group reason arrays (``None`` entries are good groups)."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    out = np.full(len(present[0]), None, dtype=object)
    for part in present:
        given = np.not_equal(part, np.array(None))
        both = given & np.not_equal(out, np.array(None))
        out[both] = out[both] + "; " + part[both]  # object arrays: str concatenation
        only = given & ~both
        out[only] = part[only]
    return out


def group_rules(
    g: Groups, errors: str, rules: Sequence[tuple[np.ndarray, str]]
) -> np.ndarray | None:
    """Group-level rules: raise naming the failing groups, or return per-group reasons."""
    failed = [(np.asarray(mask, bool), msg) for mask, msg in rules if np.any(mask)]
    if not failed:
        return None
    if errors == "raise":
        parts = []
        for mask, msg in failed:
            idx = np.flatnonzero(mask)
            shown = "; ".join(f"({describe_group(g, int(i))})" for i in idx[:5])
            more = ", ..." if len(idx) > 5 else ""
            parts.append(f"{msg}: {len(idx):,} of {g.count:,} groups fail: {shown}{more}")
        raise InputError("; ".join(parts))
    reasons = np.full(g.count, None, dtype=object)
    for mask, msg in failed:
        for i in np.flatnonzero(mask):
            reasons[i] = msg if reasons[i] is None else f"{reasons[i]}; {msg}"
    return reasons
