"""Directly standardised rates with Dobson's confidence limits.

As PHEindicatormethods' ``calculate_dsr``, including the adjustment for non-independent events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from healthgap.errors import InputError
from healthgap.methods import _aggregate, _checks, _frames, _limits, _output
from healthgap.methods.standard_populations import ESP2013

__all__ = ["DSR_MIN_COUNT", "dsr"]

#: DSRs are withheld below this total count (OHID technical guidance, DSR).
DSR_MIN_COUNT = 10
_SMALL = "dsr NA for total count < 10"  # PHEindicatormethods' wording


class _Dsr(NamedTuple):
    value: np.ndarray
    limits: dict[float, _limits.Limits]
    total_count: np.ndarray


def _core(
    band_group: np.ndarray,
    n_groups: int,
    x: np.ndarray,
    xvar: np.ndarray,
    n: np.ndarray,
    w: np.ndarray,
    levels: Sequence[float],
    multiplier: float,
) -> _Dsr:
    """Dobson et al. (1991) DSR and limits for all groups, from one row per age band.

    ``xvar`` is the count entering the variance: ``x`` for independent events, and
    ``sum_f f * x_f`` (persons times frequency squared) for non-independent events.
    """
    sw = np.bincount(band_group, weights=w, minlength=n_groups)
    with np.errstate(all="ignore"):
        value = np.bincount(band_group, weights=w * x / n, minlength=n_groups) / sw
        var = np.bincount(band_group, weights=w**2 * xvar / n**2, minlength=n_groups) / sw**2
        total = np.bincount(band_group, weights=x, minlength=n_groups)
        counted = np.where(total >= DSR_MIN_COUNT, total, DSR_MIN_COUNT)
        scale = np.sqrt(var / counted)
        limits = {}
        for level in levels:
            lo, hi = _limits.poisson_count(counted, level)
            limits[level] = _limits.Limits(
                (value + scale * (lo - counted)) * multiplier,
                (value + scale * (hi - counted)) * multiplier,
            )
    return _Dsr(value * multiplier, limits, total)


def _standard(stdpop: str | Sequence[float] | None) -> np.ndarray | None:
    """Return the standard population as a vector (``None`` when it is a column)."""
    if isinstance(stdpop, str):
        return None
    if stdpop is None:
        return np.asarray(ESP2013, float)
    w = _checks.number_vector(
        "stdpop", stdpop, expected="None, a column name or a sequence of numbers"
    )
    if w.sum() <= 0:
        raise InputError(f"argument 'stdpop' must have a positive sum; got {w.tolist()}")
    return w


def dsr(
    data: Any,
    x: str,
    n: str,
    stdpop: str | Sequence[float] | None = None,
    *,
    group_by: str | Sequence[str] = (),
    confidence: _checks.Confidence = 0.95,
    multiplier: float = 100_000,
    type: _output.OutputType = "full",
    independent_events: bool = True,
    eventfreq: str | None = None,
    ageband: str | None = None,
    errors: _checks.OnError = "raise",
) -> Any:
    r"""Directly standardised rates with Dobson's confidence limits, for every group at once.

    For a group with events :math:`x_i`, population :math:`n_i` and standard population
    :math:`w_i` in age band :math:`i`, and total count :math:`O = \sum_i x_i`,

    .. math::

        \mathrm{DSR} = \frac{m}{\sum_i w_i} \sum_i \frac{w_i x_i}{n_i}, \qquad
        \operatorname{var}(\mathrm{DSR}) = \frac{1}{(\sum_i w_i)^2}
                                          \sum_i \frac{w_i^2 x_i}{n_i^2}

    and, with :math:`O_L, O_U` Byar's limits of :math:`O` (see :func:`rate`), Dobson's limits

    .. math:: \mathrm{DSR} + m\sqrt{\operatorname{var}(\mathrm{DSR})/O}\,(O_{L,U} - O).

    For non-independent events (people may have several events), with :math:`p_{if}` people
    having :math:`f` events in band :math:`i` (so :math:`x_{if} = f p_{if}` events), the
    variance uses :math:`\sum_f f^2 p_{if} = \sum_f f x_{if}` in place of :math:`x_i`.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per group and age band (and event frequency, for non-independent events).
    x : str
        Column of events; ``>= 0``, never missing (not filled with 0).
    n : str
        Column of the population of the age band; ``> 0``.
    stdpop : str, sequence of float or None, default None
        ``None``: the 2013 European Standard Population (19 bands, 0-4 to 90+; see
        :data:`~healthgap.methods.standard_populations.ESP2013`); a sequence: one weight per
        age band (e.g. ``esp2013(stop=75)`` for the under-75s); both are matched to each
        group's age bands by position, in row order, youngest first. A column name: the
        standard population on each row.
    group_by : str or sequence of str, default ()
        Columns defining groups (area, sex, year, ...). Output rows are in sorted key order.
    confidence : float, pair of floats or None, default 0.95
        A level in 0.9-1 (or 90-100), the pair (0.95, 0.998), or ``None`` for no limits.
    multiplier : float, default 100000
        Rate per this many people; ``> 0``.
    type : {'full', 'standard', 'value', 'lower', 'upper'}, default 'full'
        Columns returned (see Returns).
    independent_events : bool, default True
        ``False`` adjusts the limits for people with several events; then ``eventfreq`` and
        ``ageband`` are required.
    eventfreq : str, optional
        Column of the number of events per person (1, 2, ...); each row's ``x`` holds the
        events of the people with that frequency.
    ageband : str, optional
        Column identifying the age band, so rows of one band (one per frequency) are combined;
        ``n`` (and a ``stdpop`` column) must be equal on the rows of a band. Bands are ordered
        by their first row.
    errors : {'raise', 'flag'}, default 'raise'
        ``'flag'`` returns null values for groups with bad rows, the reason in ``statistic``,
        and one :class:`~healthgap.errors.SuppressedWarning`, instead of raising.

    Returns
    -------
    Same type as ``data``
        The ``group_by`` columns, ``total_count``, ``total_pop``, ``value``, the limit
        columns, ``confidence``, ``statistic`` ("dsr per 100000") and ``method`` ("Dobson"),
        selected by ``type``.

    Notes
    -----
    Each group must have as many age bands as the standard population (all groups the same
    number when ``stdpop`` is a column). Groups with a total count below 10 get null value
    and limits, the statistic "dsr NA for total count < 10" and one aggregated
    :class:`~healthgap.errors.SuppressedWarning`.

    References
    ----------
    .. [1] Dobson AJ, Kuulasmaa K, Eberle E, Scherer J. Confidence intervals for weighted sums
       of Poisson parameters. Stat Med 1991;10:457-62. doi:10.1002/sim.4780100317
    .. [2] Breslow NE, Day NE. Statistical methods in cancer research, volume II. Lyon: IARC;
       1987, p 69 (Byar's method).
    .. [3] OHID. Fingertips technical guidance: directly standardised rates, and DSRs for
       non-independent events.

    Examples
    --------
    Two age bands with standard populations 60 and 40 (re-derived by hand: the DSR is
    (60 * 10/1000 + 40 * 30/2000) / 100 = 0.012, i.e. 1,200 per 100,000):

    >>> import polars as pl
    >>> d = pl.DataFrame({"x": [10, 30], "n": [1000, 2000], "w": [60, 40]})
    >>> dsr(d, "x", "n", "w").select("total_count", "total_pop", "value").row(0)
    (40, 3000, 1200.0)
    """
    frame, keys, levels = _aggregate.start(
        data,
        group_by=group_by,
        confidence=confidence,
        type=type,
        errors=errors,
        multiplier=multiplier,
    )
    weights = _standard(stdpop)
    stdcol = stdpop if isinstance(stdpop, str) else None
    _checks.numeric(frame, x, n, stdcol)
    if independent_events:
        if eventfreq is not None:
            raise InputError("argument 'eventfreq' is only used with independent_events=False")
    else:
        missing = [a for a, v in (("eventfreq", eventfreq), ("ageband", ageband)) if v is None]
        if missing:
            raise InputError(f"independent_events=False needs arguments {missing}")
        _checks.numeric(frame, eventfreq)
        _checks.columns(frame, ageband)

    g = _aggregate.groups(frame, keys)
    xs, ns = _frames.column(frame, x), _frames.column(frame, n)
    ws = _frames.column(frame, stdcol) if stdcol else None
    checks = _checks.RowChecks(len(frame), g.ids)
    checks.count_column(x, xs)
    checks.positive_column(n, ns)
    if ws is not None:
        checks.count_column(stdcol, ws)

    if independent_events:
        band_group, xvar = g.ids, xs
        band_x, band_n, band_w = xs, ns, ws
        pos, counts = _aggregate.positions(g.ids, g.count)
    else:
        fs = _frames.column(frame, eventfreq)
        checks.rule(
            ~np.isfinite(fs) | (fs < 1) | (fs != np.floor(fs)),
            f"column '{eventfreq}' must hold whole numbers >= 1",
            fs,
        )
        bids, _ = _frames.group_ids(frame, [*keys, ageband])
        n_bands = int(bids.max()) + 1
        first = np.full(n_bands, len(frame), dtype=np.int64)
        np.minimum.at(first, bids, np.arange(len(frame)))
        band_group = g.ids[first]
        band_n = ns[first]
        checks.rule(
            ns != band_n[bids], f"column '{n}' must be the same on every row of an age band", ns
        )
        band_w = None
        if ws is not None:
            band_w = ws[first]
            checks.rule(
                ws != band_w[bids],
                f"column '{stdcol}' must be the same on every row of an age band",
                ws,
            )
        band_x = np.bincount(bids, weights=xs, minlength=n_bands)
        xvar = np.bincount(bids, weights=xs * fs, minlength=n_bands)
        # bands in order of first appearance within their group, as for row order
        pos = np.empty(n_bands, dtype=np.int64)
        order = np.lexsort((first, band_group))
        counts = np.bincount(band_group, minlength=g.count)
        starts = np.cumsum(counts) - counts
        pos[order] = np.arange(n_bands) - starts[band_group[order]]
    row_reasons = checks.resolve(errors)

    if weights is not None:
        expected, what = len(weights), "the standard population 'stdpop'"
        if stdpop is None:
            what = "the 2013 European Standard Population (0-4, ..., 85-89, 90+)"
    else:
        expected = int(np.bincount(counts).argmax())
        what = f"most groups ({expected}); column '{stdcol}' has one row per band"
    band_reasons = _aggregate.band_count_reasons(g, counts, expected, what, errors)
    if weights is not None:
        band_w = weights[np.minimum(pos, len(weights) - 1)]
    weight_reasons = _aggregate.group_rules(
        g,
        errors,
        [
            (
                np.bincount(band_group, weights=band_w, minlength=g.count) <= 0,
                f"standard population '{stdcol or 'stdpop'}' must not be 0 "
                "on every band of a group",
            )
        ],
    )
    reasons = _aggregate.merge_reasons(row_reasons, band_reasons, weight_reasons)
    bad = _aggregate.flagged(reasons, g.count)

    result = _core(band_group, g.count, band_x, xvar, band_n, band_w, levels, multiplier)
    total_pop = np.bincount(band_group, weights=band_n, minlength=g.count)
    small = ~bad & (result.total_count < DSR_MIN_COUNT)
    statistic = _aggregate.statistic_column(
        f"dsr per {_aggregate.format_number(multiplier)}",
        reasons,
        g.count,
        extra_reasons=np.where(small, _SMALL, None),
    )
    why = f"with total count < {DSR_MIN_COUNT}" if small.any() else ""
    if bad.any():
        why = "with invalid input" + (f" or {why[5:]}" if why else "")
    _aggregate.warn_withheld("dsr", bad | small, g, why)

    keys_frame = _aggregate.key_frame(
        frame,
        g,
        {"total_count": result.total_count, "total_pop": total_pop},
        like={"total_count": x, "total_pop": n},
    )
    withheld = bad | small
    out = _output.assemble(
        keys_frame,
        value=result.value,
        limits=result.limits,
        levels=levels,
        statistic=statistic,
        method="Dobson",
        type=type,
        inputs=["total_count", "total_pop"],
        withheld=withheld if withheld.any() else None,
    )
    return _frames.to_native(out)
