"""Means with Student's t confidence limits (OHID method, as ``phe_mean``).

From individual values (:func:`mean`), or from each group's number, sum and sum of squares of
its values (:func:`mean_of_sums`: sums from record-level data add up over areas and periods).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames, _limits, _output
from healthgap.methods import _aggregate

__all__ = ["mean", "mean_of_sums"]

STATISTIC = "mean"
METHOD = "Student's t-distribution"
#: ``statistic`` of a group whose limits cannot be given: t needs n - 1 >= 1 degrees of freedom.
SINGLE_VALUE = "mean; no confidence limits for a single value"


class _Means(NamedTuple):
    value_sum: np.ndarray
    value_count: np.ndarray
    stdev: np.ndarray
    value: np.ndarray


def _means(values: np.ndarray, ids: np.ndarray, n_groups: int) -> _Means:
    r"""Per-group sum, count, sample standard deviation (n - 1 divisor, two-pass) and mean.

    A group whose sum or squared deviations overflow (values near 1e308) is computed again
    on its values divided by their largest magnitude :math:`c`: :math:`\bar x = c\,
    \overline{(x/c)}` and :math:`s = c\, s_{x/c}`, so a finite mean is never lost.
    """
    total = np.bincount(ids, weights=values, minlength=n_groups)
    count = np.bincount(ids, minlength=n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        value = total / count
        squares = np.bincount(ids, weights=(values - value[ids]) ** 2, minlength=n_groups)
        stdev = np.sqrt(squares / (count - 1))
        overflow = ~np.isfinite(value) | ~np.isfinite(stdev) & (count > 1)
        if overflow.any():
            rows = overflow[ids]
            scale = np.zeros(n_groups)
            np.maximum.at(scale, ids[rows], np.abs(values[rows]))
            scale = np.where(scale > 0, scale, 1.0)
            scaled = _means(values[rows] / scale[ids[rows]], ids[rows], n_groups)
            value = np.where(overflow, scaled.value * scale, value)
            stdev = np.where(overflow, scaled.stdev * scale, stdev)
    return _Means(total, count, np.where(count > 1, stdev, np.nan), value)


def mean(
    data: IntoFrameT,
    x: str,
    *,
    group_by: str | Sequence[str] = (),
    confidence: _checks.Confidence = 0.95,
    type: _output.OutputType = "full",
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Means with Student's t confidence limits, for every group at once.

    For the :math:`n` values :math:`x_i` of a group, the value is :math:`\bar x = \sum x_i / n`,
    the sample standard deviation is :math:`s = \sqrt{\sum (x_i - \bar x)^2 / (n - 1)}` and the
    limits are

    .. math:: \bar x \mp t_{1 - \alpha/2,\, n - 1} \frac{s}{\sqrt n}

    where :math:`t_{p, \nu}` is the :math:`p` quantile of Student's t distribution with
    :math:`\nu` degrees of freedom and :math:`1 - \alpha` the confidence level.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per individual value.
    x : str
        Numeric column of individual values; never missing or infinite.
    group_by : str or sequence of str, default ()
        Columns defining the groups; ``()`` gives one mean over all rows.
    confidence : float, pair of floats or None, default 0.95
        0.9-1 (or 90-100), ``(0.95, 0.998)`` for both Fingertips levels, ``None`` for no limits.
    type : {"value", "lower", "upper", "standard", "full"}, default "full"
        Columns returned (see below).
    errors : {"raise", "flag"}, default "raise"
        ``"flag"`` gives null results, with the reason in ``statistic``, for groups holding bad
        values instead of raising.

    Returns
    -------
    table of the caller's kind
        One row per group, sorted by the group keys: keys, ``value_sum``, ``value_count``,
        ``stdev``, ``value``, ``lowercl``, ``uppercl`` (or ``lower95_0cl`` ... ``upper99_8cl``)
        and, for ``type="full"``, ``confidence``, ``statistic`` ("mean") and ``method``
        ("Student's t-distribution"), as PHEindicatormethods' ``phe_mean``.

    Notes
    -----
    A group of a single value has a mean but no standard deviation or limits: they are null,
    ``statistic`` says why and one :class:`~healthgap.errors.SuppressedWarning` is issued.

    References
    ----------
    .. [1] Office for Health Improvement and Disparities. Public health technical guidance:
       confidence intervals for means (Fingertips, 2018), Student's t method.
    .. [2] Altman DG, Machin D, Bryant TN, Gardner MJ. Statistics with Confidence, 2nd ed.
       BMJ Books 2000, pp 31-32.

    Examples
    --------
    Mean of 30, 40, 50 and 60 (PHEindicatormethods' ``phe_mean`` example): 45, with s = 12.91
    and :math:`t_{0.975, 3} = 3.182`, so limits 45 -/+ 20.54.

    >>> import polars as pl
    >>> out = mean(pl.DataFrame({"values": [30, 40, 50, 60]}), "values")
    >>> out.select(pl.col("value", "lowercl", "uppercl").round(4)).row(0)
    (45.0, 24.4574, 65.5426)
    """
    frame, keys, levels = _aggregate.start(
        data, group_by=group_by, confidence=confidence, type=type, errors=errors
    )
    _checks.numeric(frame, x)
    g = _aggregate.groups(frame, keys)
    values = _frames.column(frame, x)

    checks = _checks.RowChecks(len(frame), g.ids)
    checks.rule(~np.isfinite(values), f"column '{x}' must not be missing or infinite", values)
    reasons = checks.resolve(errors)
    bad = _aggregate.flagged(reasons, g.count)
    if bad.any():
        values = np.where(bad[g.ids], 0.0, values)

    core = _means(values, g.ids, g.count)
    single = (core.value_count == 1) & ~bad
    limits = {
        level: _limits.student_t(core.value, core.stdev, core.value_count, level)
        for level in levels
    }
    if levels:
        _aggregate.warn_withheld(
            "mean confidence limits", single, g, "with a single value (t needs n - 1 >= 1)"
        )

    extra_reason = (
        np.where(single, SINGLE_VALUE, np.array(None)) if levels and single.any() else None
    )
    statistic = _aggregate.statistic_column(STATISTIC, reasons, g.count, extra_reason)
    inputs = {
        "value_sum": np.where(bad, np.nan, core.value_sum),
        "value_count": core.value_count.astype(np.int64),
        "stdev": np.where(bad, np.nan, core.stdev),
    }
    keyframe = _aggregate.key_frame(frame, g, inputs).with_columns(
        nw.col("value_sum", "stdev").fill_nan(None)
    )
    out = _output.assemble(
        keyframe,
        value=core.value,
        limits=limits,
        levels=levels,
        statistic=statistic,
        method=METHOD,
        type=type,
        inputs=list(inputs),
        withheld=bad,
    )
    return _frames.to_native(out)


def mean_of_sums(
    data: IntoFrameT,
    value_sum: str,
    value_count: str,
    value_sumsq: str,
    *,
    group_by: str | Sequence[str] = (),
    confidence: _checks.Confidence = 0.95,
    type: _output.OutputType = "full",
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Means with Student's t limits from the number, sum and sum of squares of the values.

    The rows of a group add up: :math:`n = \sum n_r`, :math:`S = \sum S_r` and
    :math:`Q = \sum Q_r` (so counts by small area give the mean of a borough). Then
    :math:`\bar x = S / n`, :math:`s = \sqrt{(Q - S^2/n) / (n - 1)}` (0 when rounding makes
    the sum of squared deviations negative) and the limits are those of :func:`mean`,
    :math:`\bar x \mp t_{1 - \alpha/2,\, n - 1}\, s / \sqrt n`: the same numbers as
    :func:`mean` on the individual values, up to rounding.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One or more rows per group.
    value_sum, value_count, value_sumsq : str
        Numeric columns of the sum of the values, their number (``>= 0``) and the sum of their
        squares (``>= 0``).
    group_by, confidence, type, errors
        As :func:`mean`.

    Returns
    -------
    table of the caller's kind
        As :func:`mean`: keys, ``value_sum``, ``value_count``, ``stdev``, ``value``, limits and
        for ``type="full"`` ``confidence``, ``statistic``, ``method``. A group with no values
        has no mean and one value no limits (null; ``statistic`` says why).

    References
    ----------
    .. [1] Office for Health Improvement and Disparities. Public health technical guidance:
       confidence intervals for means (Fingertips, 2018), Student's t method.

    Examples
    --------
    The values 30, 40, 50 and 60 of :func:`mean`'s example, as two rows of one group:

    >>> import polars as pl
    >>> sums = pl.DataFrame({"s": [70.0, 110.0], "n": [2, 2], "q": [2500.0, 6100.0]})
    >>> out = mean_of_sums(sums, "s", "n", "q")
    >>> out.select(pl.col("value", "lowercl", "uppercl").round(4)).row(0)
    (45.0, 24.4574, 65.5426)
    """
    frame, keys, levels = _aggregate.start(
        data, group_by=group_by, confidence=confidence, type=type, errors=errors
    )
    _checks.numeric(frame, value_sum, value_count, value_sumsq)
    g = _aggregate.groups(frame, keys)
    s_row, n_row, q_row = (_frames.column(frame, c) for c in (value_sum, value_count, value_sumsq))
    checks = _checks.RowChecks(len(frame), g.ids)
    checks.count_column(value_count, n_row, integer=True)
    checks.count_column(value_sumsq, q_row)
    checks.rule(~np.isfinite(s_row), f"column '{value_sum}' must not be missing or infinite", s_row)
    reasons = checks.resolve(errors)
    bad = _aggregate.flagged(reasons, g.count)
    total, count, squares = _aggregate.sums(
        g, *(np.where(bad[g.ids], 0.0, a) for a in (s_row, n_row, q_row))
    )
    empty = (count == 0) & ~bad
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(count > 0, total / count, np.nan)
        deviations = np.maximum(squares - total * value, 0.0)
        stdev = np.where(count > 1, np.sqrt(deviations / (count - 1)), np.nan)
    single = (count == 1) & ~bad
    limits = {level: _limits.student_t(value, stdev, count, level) for level in levels}
    _aggregate.warn_withheld("mean", empty, g, "with no values")
    if levels:
        _aggregate.warn_withheld(
            "mean confidence limits", single, g, "with a single value (t needs n - 1 >= 1)"
        )
    extra = np.full(g.count, None, dtype=object)
    extra[empty] = "mean; no values"
    if levels:
        extra[single] = SINGLE_VALUE
    statistic = _aggregate.statistic_column(
        STATISTIC, reasons, g.count, extra if (empty | single).any() else None
    )
    inputs = {
        "value_sum": np.where(bad, np.nan, total),
        "value_count": count.astype(np.int64),
        "stdev": np.where(bad, np.nan, stdev),
    }
    keyframe = _aggregate.key_frame(frame, g, inputs).with_columns(
        nw.col("value_sum", "stdev").fill_nan(None)
    )
    out = _output.assemble(
        keyframe,
        value=value,
        limits=limits,
        levels=levels,
        statistic=statistic,
        method=METHOD,
        type=type,
        inputs=list(inputs),
        withheld=bad | empty,
    )
    return _frames.to_native(out)
