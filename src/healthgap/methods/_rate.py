"""Crude rates with exact Poisson or Byar's confidence limits (as PHEindicatormethods' phe_rate)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames, _limits, _output
from healthgap.methods import _aggregate

__all__ = ["rate"]


class _Rates(NamedTuple):
    value: np.ndarray
    limits: dict[float, _limits.Limits]
    method: np.ndarray


def _core(x: np.ndarray, n: np.ndarray, levels: Sequence[float], multiplier: float) -> _Rates:
    """x/n and Poisson limits of x divided by n, for every group at once."""
    limits = {}
    for level in levels:
        lo, hi = _limits.poisson_count(x, level)
        limits[level] = _limits.Limits(lo / n * multiplier, hi / n * multiplier)
    return _Rates(x / n * multiplier, limits, _limits.count_method(x))


def rate(
    data: IntoFrameT,
    x: str,
    n: str,
    *,
    group_by: str | Sequence[str] = (),
    confidence: _checks.Confidence = 0.95,
    multiplier: float = 100_000,
    type: _output.OutputType = "full",
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Crude rates with exact Poisson (small counts) or Byar's confidence limits.

    With :math:`x` events in a population of :math:`n` (person-years), the value is
    :math:`m x / n` for multiplier :math:`m`. The limits are :math:`m O_L / n` and
    :math:`m O_U / n`, where for :math:`x < 10` the exact Poisson limits are

    .. math:: O_L = \tfrac12\chi^2_{\alpha/2}(2x), \qquad O_U = \tfrac12\chi^2_{1-\alpha/2}(2x+2)

    and for :math:`x \ge 10` Byar's approximation, with :math:`z = \Phi^{-1}(1 - \alpha/2)`,

    .. math:: O_L = x\Bigl(1 - \frac{1}{9x} - \frac{z}{3\sqrt{x}}\Bigr)^3, \qquad
              O_U = (x+1)\Bigl(1 - \frac{1}{9(x+1)} + \frac{z}{3\sqrt{x+1}}\Bigr)^3.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per observation (or per sub-group, when ``group_by`` aggregates them).
    x : str
        Column of events; ``>= 0``, never missing.
    n : str
        Column of population or person-years; ``> 0``, never missing.
    group_by : str or sequence of str, default ()
        Columns defining groups; ``x`` and ``n`` are summed within each group first. With
        none, the whole table is one group. Output rows are in sorted key order.
    confidence : float, pair of floats or None, default 0.95
        A level in 0.9-1 (or 90-100), the pair (0.95, 0.998), or ``None`` for no limits.
    multiplier : float, default 100000
        Rate per this many people; ``> 0``.
    type : {'full', 'standard', 'value', 'lower', 'upper'}, default 'full'
        Columns returned (see Returns).
    errors : {'raise', 'flag'}, default 'raise'
        ``'flag'`` returns null values for groups with bad rows, the reason in ``statistic``,
        and one :class:`~healthgap.errors.SuppressedWarning`, instead of raising.

    Returns
    -------
    Same type as ``data``
        The ``group_by`` columns, ``x`` and ``n`` (summed), ``value``, the limit columns,
        ``confidence``, ``statistic`` ("rate per 100000") and ``method`` ("Exact" when
        ``x < 10``, else "Byars"), selected by ``type``.

    Notes
    -----
    Zero events give a value and lower limit of 0 and an upper limit of
    :math:`m\,\chi^2_{1-\alpha/2}(2)/(2n)` (3.689 per person at 95%).

    References
    ----------
    .. [1] Breslow NE, Day NE. Statistical methods in cancer research, volume II: the design
       and analysis of cohort studies. Lyon: IARC; 1987, p 69 (Byar's method).
    .. [2] Armitage P, Berry G, Matthews JNS. Statistical methods in medical research, 4th
       edn. Oxford: Blackwell; 2002 (exact Poisson limits).
    .. [3] OHID. Fingertips technical guidance: confidence intervals for crude rates.

    Examples
    --------
    65 deaths in 100,000 person-years: Byar's 95% limits 50.16 to 82.85 per 100,000.

    >>> import pandas as pd
    >>> out = rate(pd.DataFrame({"x": [65], "n": [100_000]}), "x", "n")
    >>> out[["value", "lowercl", "uppercl"]].round(2).iloc[0].tolist()
    [65.0, 50.16, 82.85]
    >>> out["method"].iloc[0]
    'Byars'
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
    reasons = checks.resolve(errors)

    xs, ns = _aggregate.sums(g, xs_row, ns_row)
    bad = _aggregate.flagged(reasons, g.count)
    result = _core(np.where(bad, 0.0, xs), np.where(bad, 1.0, ns), levels, multiplier)

    keys_frame = _aggregate.key_frame(frame, g, {x: xs, n: ns}, like={x: x, n: n})
    label = f"rate per {_aggregate.format_number(multiplier)}"
    statistic = _aggregate.statistic_column(label, reasons, g.count)
    _aggregate.warn_withheld("rate", bad, g, "with invalid input")
    out = _output.assemble(
        keys_frame,
        value=result.value,
        limits=result.limits,
        levels=levels,
        statistic=statistic,
        method=result.method,
        type=type,
        inputs=[x, n],
        withheld=bad if bad.any() else None,
    )
    return _frames.to_native(out)
