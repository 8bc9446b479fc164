"""Proportions with Wilson score confidence limits (PHEindicatormethods' ``phe_proportion``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames, _limits, _output
from healthgap.methods import _aggregate

__all__ = ["proportion"]


class _Proportions(NamedTuple):
    value: np.ndarray
    limits: dict[float, _limits.Limits]


def _core(x: np.ndarray, n: np.ndarray, levels: Sequence[float], multiplier: float) -> _Proportions:
    """x/n and Wilson limits for every group at once (Newcombe 1998, method 3)."""
    limits = {}
    for level in levels:
        lo, hi = _limits.wilson(x, n, level)
        limits[level] = _limits.Limits(lo * multiplier, hi * multiplier)
    return _Proportions(x / n * multiplier, limits)


def statistic_label(multiplier: float) -> str:
    """``'percentage'`` for 100, else ``'proportion of <multiplier>'`` (PHEindicatormethods)."""
    if multiplier == 100:
        return "percentage"
    return f"proportion of {_aggregate.format_number(multiplier)}"


def proportion(
    data: IntoFrameT,
    x: str,
    n: str,
    *,
    group_by: str | Sequence[str] = (),
    confidence: _checks.Confidence = 0.95,
    multiplier: float = 1,
    type: _output.OutputType = "full",
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Proportions with Wilson score confidence limits, for every group at once.

    With :math:`x` cases among :math:`n` people the value is :math:`p = x/n` (times
    ``multiplier``). With :math:`z = \Phi^{-1}(1 - \alpha/2)` for confidence
    :math:`1 - \alpha`, the Wilson score limits are

    .. math:: \frac{2x + z^2 \mp z\sqrt{z^2 + 4x(1 - x/n)}}{2(n + z^2)}

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per observation (or per sub-group, when ``group_by`` aggregates them).
    x : str
        Column of cases (numerator); whole or fractional counts, ``0 <= x <= n``, never missing.
    n : str
        Column of people at risk (denominator); ``n > 0``, never missing.
    group_by : str or sequence of str, default ()
        Columns defining groups. ``x`` and ``n`` are summed within each group first; with none, the
        whole table is one group. Output rows are in sorted key order.
    confidence : float, pair of floats or None, default 0.95
        A level in 0.9-1 (or 90-100), the pair (0.95, 0.998) for Fingertips' 95% and 99.8%
        limits, or ``None`` for no limit columns.
    multiplier : float, default 1
        Scale of value and limits (100 gives a percentage); ``> 0``.
    type : {'full', 'standard', 'value', 'lower', 'upper'}, default 'full'
        Columns returned (see Returns).
    errors : {'raise', 'flag'}, default 'raise'
        ``'raise'`` raises :class:`~healthgap.errors.InputError` for bad rows; ``'flag'``
        returns null values for groups with bad rows, with the reason in ``statistic``, and
        emits one :class:`~healthgap.errors.SuppressedWarning`.

    Returns
    -------
    Same type as ``data``
        ``type='full'``: the ``group_by`` columns, ``x`` and ``n`` (summed), ``value``,
        ``lowercl``/``uppercl`` (or ``lower95_0cl, upper95_0cl, lower99_8cl, upper99_8cl``),
        ``confidence``, ``statistic`` ("proportion of 1", "percentage", ...), ``method``
        ("Wilson"). ``'standard'`` drops the last three; ``'value'``, ``'lower'``,
        ``'upper'`` keep only the keys and that column.

    Notes
    -----
    Zero cases give a lower limit of exactly 0 and ``x == n`` an upper limit of exactly
    ``multiplier``. Missing counts are errors, never treated as 0.

    References
    ----------
    .. [1] Wilson EB. Probable inference, the law of succession, and statistical inference.
       J Am Stat Assoc 1927;22:209-12.
    .. [2] Newcombe RG. Two-sided confidence intervals for the single proportion: comparison
       of seven methods. Stat Med 1998;17:857-72 (Table I, method 3).
    .. [3] OHID. Fingertips technical guidance: confidence intervals for proportions.

    Examples
    --------
    Newcombe (1998), Table I: 81 of 263 gives limits 0.2553 to 0.3662.

    >>> import polars as pl
    >>> out = proportion(pl.DataFrame({"x": [81], "n": [263]}), "x", "n")
    >>> out.select(pl.col("lowercl", "uppercl").round(4)).row(0)
    (0.2553, 0.3662)
    """
    frame, keys, levels = _aggregate.start(
        data,
        group_by=group_by,
        confidence=confidence,
        type=type,
        errors=errors,
        multiplier=multiplier,
    )
    _checks.numeric(frame, x, n)
    g = _aggregate.groups(frame, keys)
    xs_row, ns_row = _frames.counts(frame, x), _frames.counts(frame, n)
    checks = _checks.RowChecks(len(frame), g.ids)
    checks.count_column(x, xs_row)
    checks.positive_column(n, ns_row)
    checks.at_most(x, xs_row, n, ns_row)
    reasons = checks.resolve(errors)

    xs, ns = _aggregate.sums(g, xs_row, ns_row)
    bad = _aggregate.flagged(reasons, g.count)
    result = _core(np.where(bad, 0.0, xs), np.where(bad, 1.0, ns), levels, multiplier)

    keys_frame = _aggregate.key_frame(frame, g, {x: xs, n: ns}, like={x: x, n: n})
    statistic = _aggregate.statistic_column(statistic_label(multiplier), reasons, g.count)
    _aggregate.warn_withheld("proportion", bad, g, "with invalid input")
    out = _output.assemble(
        keys_frame,
        value=result.value,
        limits=result.limits,
        levels=levels,
        statistic=statistic,
        method="Wilson",
        type=type,
        inputs=[x, n],
        withheld=bad if bad.any() else None,
    )
    return _frames.to_native(out)
