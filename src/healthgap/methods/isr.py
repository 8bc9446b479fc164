"""Indirectly standardised ratios and rates with exact Poisson or Byar's limits.

As PHEindicatormethods' ``calculate_ISRatio`` and ``calculate_ISRate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames, _limits, _output
from healthgap.errors import InputError
from healthgap.methods import _aggregate

__all__ = ["israte", "isratio"]

RefPopType = Literal["vector", "field"]


class _Isr(NamedTuple):
    value: np.ndarray
    limits: dict[float, _limits.Limits]
    method: np.ndarray


def _core(
    observed: np.ndarray, expected: np.ndarray, scale: np.ndarray | float, levels: Sequence[float]
) -> _Isr:
    """O/E * scale and the Poisson limits of O divided by E, for all groups at once."""
    limits = {}
    for level in levels:
        lo, hi = _limits.poisson_count(observed, level)
        limits[level] = _limits.Limits(lo / expected * scale, hi / expected * scale)
    return _Isr(observed / expected * scale, limits, _limits.count_method(observed))


_VECTOR = "a sequence of numbers (refpoptype='vector')"


def _observed_totals(
    observed_totals: Any, x: str, keys: Sequence[str], g: _aggregate.Groups
) -> np.ndarray:
    """Observed count per group, taken from a table of group keys and ``x``."""
    totals = _frames.to_frame(observed_totals, "observed_totals")
    _checks.numeric(totals, x)
    _checks.columns(totals, *keys)
    if not keys:
        if len(totals) != 1:
            raise InputError(
                "argument 'observed_totals' must have one row when there is no "
                f"group_by; got {len(totals):,} rows"
            )
        return _frames.column(totals, x)
    dup = totals.select(*keys).is_duplicated().to_numpy()
    if dup.any():
        raise InputError(
            f"argument 'observed_totals' must have one row per group of {list(keys)}: "
            f"{_checks.where(dup)}"
        )
    assert g.keys is not None
    joined = (
        g.keys.with_row_index("__gid__")
        .join(totals.select(*keys, x), on=list(keys), how="left")
        .sort("__gid__")
    )
    observed = _frames.column(joined, x)
    if len(observed) != g.count:
        raise InputError("argument 'observed_totals' could not be matched to the groups")
    return observed


def _isr(
    data: Any,
    x: str,
    n: str,
    x_ref: Any,
    n_ref: Any,
    *,
    refpoptype: str,
    group_by: Any,
    confidence: _checks.Confidence,
    observed_totals: Any,
    type: str,
    errors: str,
    scale: float,
    statistic: str,
    what: str,
    rate: bool,
) -> Any:
    frame, keys, levels = _aggregate.start(
        data, group_by=group_by, confidence=confidence, type=type, errors=errors
    )
    _checks.one_of("refpoptype", refpoptype, ("vector", "field"))
    _checks.numeric(frame, n)
    if observed_totals is None:
        _checks.numeric(frame, x)
    if refpoptype == "vector":
        xr_vec = _checks.number_vector("x_ref", x_ref, expected=_VECTOR)
        nr_vec = _checks.number_vector("n_ref", n_ref, positive=True, expected=_VECTOR)
        if len(xr_vec) != len(nr_vec):
            raise InputError(
                f"arguments 'x_ref' and 'n_ref' must have the same length; got "
                f"{len(xr_vec)} and {len(nr_vec)}"
            )
    else:
        for arg, value in (("x_ref", x_ref), ("n_ref", n_ref)):
            if not isinstance(value, str):
                raise InputError(
                    f"argument '{arg}' must be a column name when refpoptype='field'; got {value!r}"
                )
        _checks.numeric(frame, x_ref, n_ref)

    g = _aggregate.groups(frame, keys)
    ns = _frames.column(frame, n)
    checks = _checks.RowChecks(len(frame), g.ids)
    checks.count_column(n, ns)
    if observed_totals is None:
        xs = _frames.column(frame, x)
        checks.count_column(x, xs)
    if refpoptype == "field":
        xr, nr = _frames.column(frame, x_ref), _frames.column(frame, n_ref)
        checks.count_column(x_ref, xr)
        checks.positive_column(n_ref, nr)
    row_reasons = checks.resolve(errors)

    band_reasons = None
    if refpoptype == "vector":
        pos, counts = _aggregate.positions(g.ids, g.count)
        band_reasons = _aggregate.band_count_reasons(
            g, counts, len(xr_vec), "the reference vectors 'x_ref' and 'n_ref'", errors
        )
        pos = np.minimum(pos, len(xr_vec) - 1)
        xr, nr = xr_vec[pos], nr_vec[pos]

    with np.errstate(all="ignore"):
        expected = np.bincount(g.ids, weights=ns * xr / nr, minlength=g.count)
        ref_rate = np.bincount(g.ids, weights=xr, minlength=g.count) / np.bincount(
            g.ids, weights=nr, minlength=g.count
        )
    if refpoptype == "vector":
        ref_rate = np.full(g.count, xr_vec.sum() / nr_vec.sum())

    if observed_totals is None:
        observed = np.bincount(g.ids, weights=xs, minlength=g.count)
    else:
        observed = _observed_totals(observed_totals, x, keys, g)

    group_reasons = _aggregate.group_rules(
        g,
        errors,
        [
            (~np.isfinite(observed), f"argument 'observed_totals' has no value of '{x}'"),
            (np.isfinite(observed) & (observed < 0), f"observed totals '{x}' must be >= 0"),
            (
                np.isfinite(expected) & (expected <= 0),
                "expected count must be > 0 (all populations or reference rates are 0)",
            ),
        ],
    )
    reasons = _aggregate.merge_reasons(row_reasons, band_reasons, group_reasons)
    bad = _aggregate.flagged(reasons, g.count)

    factor = scale * ref_rate if rate else scale
    obs_safe = np.where(bad, 0.0, observed)
    exp_safe = np.where(bad, 1.0, expected)
    result = _core(obs_safe, exp_safe, np.where(bad, 1.0, factor), levels)

    inputs = {"observed": observed, "expected": expected}
    if rate:
        # calculate_ISRate's ref_rate: the reference rate per multiplier
        inputs["ref_rate"] = np.where(bad, np.nan, ref_rate * scale)
    keys_frame = _aggregate.key_frame(
        frame, g, inputs, like={"observed": x} if observed_totals is None else None
    )
    stat = _aggregate.statistic_column(statistic, reasons, g.count)
    _aggregate.warn_withheld(what, bad, g, "with invalid input")
    out = _output.assemble(
        keys_frame,
        value=result.value,
        limits=result.limits,
        levels=levels,
        statistic=stat,
        method=result.method,
        type=type,
        inputs=list(inputs),
        withheld=bad if bad.any() else None,
    )
    return _frames.to_native(out)


def isratio(
    data: IntoFrameT,
    x: str,
    n: str,
    x_ref: Sequence[float] | str,
    n_ref: Sequence[float] | str,
    *,
    refpoptype: RefPopType = "vector",
    group_by: str | Sequence[str] = (),
    confidence: _checks.Confidence = 0.95,
    refvalue: float = 1,
    observed_totals: Any = None,
    type: _output.OutputType = "full",
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Indirectly standardised ratios (e.g. SMRs) with exact or Byar's limits.

    With observed events :math:`O`, and expected events from the reference rates
    :math:`E = \sum_i n_i\, x^{ref}_i / n^{ref}_i` over age bands :math:`i`, the ratio is
    :math:`r\,O/E` for reference value :math:`r` (1 or 100). The limits are
    :math:`r\,O_L/E` and :math:`r\,O_U/E`, with :math:`O_L, O_U` the exact Poisson limits of
    :math:`O` when :math:`O < 10` and Byar's otherwise (formulas in :func:`rate`).

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per group and age band, youngest first when the reference is a vector.
    x : str
        Column of observed events per age band (``>= 0``), or, with ``observed_totals``, the
        column of that table holding each group's total.
    n : str
        Column of the population per age band; ``>= 0``.
    x_ref, n_ref : sequence of float or str
        Reference events (``>= 0``) and population (``> 0``) per age band: sequences matched
        to each group's rows by position (``refpoptype='vector'``; every group must have that
        many rows) or column names (``refpoptype='field'``).
    refpoptype : {'vector', 'field'}, default 'vector'
        How ``x_ref`` and ``n_ref`` are given.
    group_by : str or sequence of str, default ()
        Columns defining groups. Output rows are in sorted key order.
    confidence : float, pair of floats or None, default 0.95
        A level in 0.9-1 (or 90-100), the pair (0.95, 0.998), or ``None`` for no limits.
    refvalue : {1, 100}, default 1
        The ratio of the reference population (100 gives SMRs such as 112.5).
    observed_totals : table, optional
        Observed totals when they have no age breakdown (as PHEindicatormethods): a pandas,
        Polars or Arrow table with the ``group_by`` columns and column ``x``, one row per
        group; every group of ``data`` must appear (extra rows are ignored). ``data`` then
        need not have column ``x``.
    type : {'full', 'standard', 'value', 'lower', 'upper'}, default 'full'
        Columns returned (see Returns).
    errors : {'raise', 'flag'}, default 'raise'
        ``'flag'`` returns null values for groups with bad input, the reason in
        ``statistic``, and one :class:`~healthgap.errors.SuppressedWarning`.

    Returns
    -------
    Same type as ``data``
        The ``group_by`` columns, ``observed``, ``expected``, ``value``, the limit columns,
        ``confidence``, ``statistic`` ("indirectly standardised ratio x 1") and ``method``
        ("Exact" when ``observed < 10``, else "Byars"), selected by ``type``.

    Notes
    -----
    Missing values are errors, never treated as 0. A group with no expected events (all
    populations or reference rates 0) cannot be given.

    References
    ----------
    .. [1] Breslow NE, Day NE. Statistical methods in cancer research, volume II. Lyon: IARC;
       1987, pp 65-72.
    .. [2] Armitage P, Berry G, Matthews JNS. Statistical methods in medical research, 4th
       edn. Oxford: Blackwell; 2002.
    .. [3] OHID. Fingertips technical guidance: indirectly standardised ratios.

    Examples
    --------
    Two bands; expected = 1000 * 5/1000 + 2000 * 15/1000 = 35, observed 42: ratio 1.2.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [12, 30], "n": [1000, 2000]})
    >>> out = isratio(d, "x", "n", [5, 15], [1000, 1000])
    >>> out[["observed", "expected", "value"]].iloc[0].tolist()
    [42.0, 35.0, 1.2]
    """
    _checks.one_of("refvalue", refvalue, (1, 100))
    return _isr(
        data,
        x,
        n,
        x_ref,
        n_ref,
        refpoptype=refpoptype,
        group_by=group_by,
        confidence=confidence,
        observed_totals=observed_totals,
        type=type,
        errors=errors,
        scale=float(refvalue),
        what="isratio",
        rate=False,
        statistic=f"indirectly standardised ratio x {_aggregate.format_number(refvalue)}",
    )


def israte(
    data: IntoFrameT,
    x: str,
    n: str,
    x_ref: Sequence[float] | str,
    n_ref: Sequence[float] | str,
    *,
    refpoptype: RefPopType = "vector",
    group_by: str | Sequence[str] = (),
    confidence: _checks.Confidence = 0.95,
    multiplier: float = 100_000,
    observed_totals: Any = None,
    type: _output.OutputType = "full",
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Indirectly standardised rates with exact or Byar's limits.

    The ratio :math:`O/E` of :func:`isratio` times the crude reference rate
    :math:`R = \sum_i x^{ref}_i / \sum_i n^{ref}_i` and the multiplier :math:`m`:

    .. math:: \mathrm{ISR} = m R\, \frac{O}{E}, \qquad
              \text{limits } m R\, \frac{O_L}{E},\ m R\, \frac{O_U}{E}

    with :math:`O_L, O_U` exact Poisson limits of :math:`O` below 10 and Byar's from 10.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per group and age band, youngest first when the reference is a vector.
    x : str
        Column of observed events per age band (``>= 0``), or, with ``observed_totals``, the
        column of that table holding each group's total.
    n : str
        Column of the population per age band; ``>= 0``.
    x_ref, n_ref : sequence of float or str
        Reference events (``>= 0``) and population (``> 0``) per age band: sequences matched
        to each group's rows by position (``refpoptype='vector'``) or column names
        (``refpoptype='field'``; the crude reference rate is then summed within each group).
    refpoptype : {'vector', 'field'}, default 'vector'
        How ``x_ref`` and ``n_ref`` are given.
    group_by : str or sequence of str, default ()
        Columns defining groups. Output rows are in sorted key order.
    confidence : float, pair of floats or None, default 0.95
        A level in 0.9-1 (or 90-100), the pair (0.95, 0.998), or ``None`` for no limits.
    multiplier : float, default 100000
        Rate per this many people; ``> 0``.
    observed_totals : table, optional
        Observed totals without age breakdown: the ``group_by`` columns and column ``x``,
        one row per group (see :func:`isratio`).
    type : {'full', 'standard', 'value', 'lower', 'upper'}, default 'full'
        Columns returned (see Returns).
    errors : {'raise', 'flag'}, default 'raise'
        ``'flag'`` returns null values for groups with bad input, the reason in
        ``statistic``, and one :class:`~healthgap.errors.SuppressedWarning`.

    Returns
    -------
    Same type as ``data``
        The ``group_by`` columns, ``observed``, ``expected``, ``ref_rate`` (the reference
        rate per ``multiplier``, as calculate_ISRate), ``value``, the limit columns,
        ``confidence``, ``statistic`` ("indirectly standardised rate per 100000") and
        ``method`` ("Exact" or "Byars"), selected by ``type``.

    References
    ----------
    .. [1] Breslow NE, Day NE. Statistical methods in cancer research, volume II. Lyon: IARC;
       1987, pp 65-72.
    .. [2] OHID. Fingertips technical guidance: indirectly standardised rates.

    Examples
    --------
    Observed 42, expected 35, reference rate 20/2000 = 1,000 per 100,000: ISR 1,200.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [12, 30], "n": [1000, 2000]})
    >>> float(israte(d, "x", "n", [5, 15], [1000, 1000])["value"].iloc[0].round(6))
    1200.0
    """
    mult = _checks.number("multiplier", multiplier, low=0, low_open=True)
    return _isr(
        data,
        x,
        n,
        x_ref,
        n_ref,
        refpoptype=refpoptype,
        group_by=group_by,
        confidence=confidence,
        observed_totals=observed_totals,
        type=type,
        errors=errors,
        scale=mult,
        what="israte",
        rate=True,
        statistic=f"indirectly standardised rate per {_aggregate.format_number(mult)}",
    )
