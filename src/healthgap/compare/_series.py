"""Time series per group as matrices: the most recent points of every series at once.

Rows are numbered into groups (sorted key order), sorted by group then period once, and the
last ``k`` rows of each group gathered into a ``(groups, k)`` matrix of row positions, oldest
first, padded with -1 on the left. Every later step is a reduction along ``axis=1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np

from healthgap import _checks, _frames
from healthgap.errors import InputError

#: Standard error from 95% limits, as Fingertips computes it: (upper - lower) / 3.92
#: (technical guidance, "Fingertips trend markers").
SE_DIVISOR_95 = 3.92


class Recent(NamedTuple):
    """The last ``k`` rows of each group (row positions, -1 where a group has fewer)."""

    rows: np.ndarray  # (groups, k) int64
    present: np.ndarray  # (groups, k) bool
    counts: np.ndarray  # rows per group (of those ``use`` keeps)
    keys: nw.DataFrame[Any] | None
    all_counts: np.ndarray  # rows per group, before ``use``
    last_period: np.ndarray  # each group's latest period, before ``use``


def periods(frame: nw.DataFrame[Any], period: str) -> np.ndarray:
    """The period column as whole numbers (years), never missing."""
    _checks.numeric(frame, period)
    p = _frames.column(frame, period)
    bad = ~np.isfinite(p) | (p != np.round(p))
    if bad.any():
        raise InputError(
            f"column '{period}' must hold whole numbers (e.g. the year a period starts), never "
            "missing: " + _checks.where(bad, p)
        )
    return p


def recent(
    frame: nw.DataFrame[Any],
    keys: Sequence[str],
    period: np.ndarray,
    k: int,
    period_name: str,
    use: np.ndarray | None = None,
) -> Recent:
    """Gather the last ``k`` rows (by period) of each group; ``use`` masks rows to skip.

    One sort by keys and period in the frame's own library numbers the groups (in sorted key
    order) and orders each group's rows at once. Raises when a group has two rows for one
    period.
    """
    indexed = frame.select(*keys, nw.col(period_name).cast(nw.Float64()).alias("__period__"))
    indexed = indexed.with_row_index("__row__")
    ordered = indexed.sort(*keys, "__period__", nulls_last=True)
    order = ordered["__row__"].to_numpy().astype(np.int64)
    first = np.zeros(len(order), dtype=bool)
    first[:1] = True
    for key in keys:
        column, previous = ordered[key], ordered[key].shift(1)
        differs = (column != previous).fill_null(True) & ~(column.is_null() & previous.is_null())
        first[1:] |= differs.to_numpy()[1:]
    g_sorted = np.cumsum(first) - 1
    n_groups = int(first.sum())
    uniques = ordered.select(*keys)[np.flatnonzero(first)] if keys else None
    p_sorted = period[order]
    repeated = (g_sorted[1:] == g_sorted[:-1]) & (p_sorted[1:] == p_sorted[:-1])
    if use is not None:
        repeated &= use[order[1:]] & use[order[:-1]]
    if repeated.any():
        mask = np.zeros(len(frame), dtype=bool)
        mask[order[1:][repeated]] = True
        raise InputError(
            f"each series must have one row per '{period_name}': "
            + _checks.where(mask, period)
            + ("" if not keys else f"; series are keyed by {list(keys)}")
        )
    all_counts = np.bincount(g_sorted, minlength=n_groups)
    last_period = p_sorted[np.cumsum(all_counts) - 1]
    if use is not None:
        kept = use[order]
        order, g_sorted = order[kept], g_sorted[kept]
    counts = np.bincount(g_sorted, minlength=n_groups)
    ends = np.cumsum(counts)
    pos = ends[:, None] - k + np.arange(k)
    present = pos >= (ends - counts)[:, None]
    rows = np.where(present, order[np.clip(pos, 0, None)] if len(order) else -1, -1)
    return Recent(rows, present, counts, uniques, all_counts, last_period)


def take(values: np.ndarray, recent: Recent) -> np.ndarray:
    """``values`` of the gathered rows as a ``(groups, k)`` float matrix (NaN padding)."""
    out = values[np.clip(recent.rows, 0, None)] if len(values) else np.zeros(recent.rows.shape)
    return np.where(recent.present, out, np.nan)


def trailing_run(ok: np.ndarray) -> np.ndarray:
    """Length of the run of true values ending at the last column, per row."""
    return np.cumprod(ok[:, ::-1], axis=1).sum(axis=1)


class Line(NamedTuple):
    """A weighted least-squares line per group, :math:`y = a + b (t - t_0)`."""

    intercept: np.ndarray
    slope: np.ndarray
    sw: np.ndarray  # sum of weights
    tbar: np.ndarray  # weighted mean of t
    stt: np.ndarray  # sum of w (t - tbar)^2
    rss: np.ndarray  # weighted residual sum of squares
    points: np.ndarray  # points used


def fit(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> Line:
    """Weighted least-squares line through each row's points (weight 0 or NaN: unused)."""
    w = np.where(np.isnan(w) | np.isnan(y) | np.isnan(t), 0.0, w)
    t0, y0 = np.nan_to_num(t), np.nan_to_num(y)
    sw = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tbar = (w * t0).sum(axis=1) / sw
        ybar = (w * y0).sum(axis=1) / sw
        dt = t0 - tbar[:, None]
        stt = (w * dt**2).sum(axis=1)
        slope = (w * dt * (y0 - ybar[:, None])).sum(axis=1) / stt
        intercept = ybar - slope * tbar
        residual = y0 - intercept[:, None] - slope[:, None] * t0
        rss = (w * residual**2).sum(axis=1)
    return Line(intercept, slope, sw, tbar, stt, rss, (w > 0).sum(axis=1))
