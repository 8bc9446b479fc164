"""Directly standardised rates with Dobson's confidence limits.

As PHEindicatormethods' ``calculate_dsr``, including the adjustment for non-independent events.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames, _limits, _output
from healthgap.errors import InputError, MissingCountWarning
from healthgap.methods import _ages, _aggregate
from healthgap.methods.standard_populations import ESP2013, ESP2013_AGE_STARTS

__all__ = ["DSR_MIN_COUNT", "dsr"]

#: DSRs are withheld below this total count (OHID technical guidance, DSR).
DSR_MIN_COUNT = 10
_SMALL = "dsr NA for total count < 10"  # PHEindicatormethods' wording
_METHOD = "Dobson"
#: calculate_dsr's method text for non-independent events (PHEindicatormethods 2.x)
_METHOD_NON_INDEPENDENT = "Dobson, with confidence adjusted for non-independent events"
DsrErrors = Literal["warn", "raise", "flag"]


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
    data: IntoFrameT,
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
    errors: DsrErrors = "warn",
) -> IntoFrameT:
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
    having :math:`f` events in band :math:`i`, the events are :math:`x_i = \sum_f f p_{if}`
    and the variance uses :math:`\sum_f f^2 p_{if}` in place of :math:`x_i`.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per group and age band (and event frequency, for non-independent events).
    x : str
        Column of events (with ``independent_events=False``: of *people* having
        ``eventfreq`` events each, as in PHEindicatormethods); ``>= 0``. A missing count is
        0 events by default (see ``errors``).
    n : str
        Column of the population of the age band; ``> 0``.
    stdpop : str, sequence of float or None, default None
        ``None``: the 2013 European Standard Population (19 bands, 0-4 to 90+; see
        :data:`~healthgap.methods.standard_populations.ESP2013`), matched to each band by its
        start age when ``ageband`` is given, else by position (rows youngest first). A
        sequence: one weight per age band (e.g. ``esp2013(stop=75)`` for the under-75s),
        matched by position in each group's rows, youngest first (checked when ``ageband``
        is given). A column name: the standard population on each row; each row carries its
        own weight, so groups may have different numbers of bands.
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
        ``ageband`` are required and ``x`` counts people, not events. Only ``True`` or
        ``False`` (a string such as ``"no"`` is an error, never taken as true).
    eventfreq : str, optional
        Column of the number of events per person (1, 2, ...); each row's ``x`` is the number
        of people with that many events.
    ageband : str, optional
        Column of the age band: start ages (0, 5, ..., 90) or labels ("0-4", "90+"). Rows
        of one band in a group are added up (``n``, and a ``stdpop`` column, must be equal on
        them), and the standard population is matched by band (see ``stdpop``). Required with
        ``independent_events=False``.
    errors : {'warn', 'raise', 'flag'}, default 'warn'
        ``'warn'`` (PHEindicatormethods' behaviour): a missing count is taken as 0 events,
        with one :class:`~healthgap.errors.MissingCountWarning` naming the rows; any other
        bad input raises. ``'raise'`` also raises on missing counts. ``'flag'`` returns null
        values for groups with bad rows (missing counts included), the reason in
        ``statistic``, and one :class:`~healthgap.errors.SuppressedWarning`.

    Returns
    -------
    Same type as ``data``
        The ``group_by`` columns, ``total_count`` (events), ``total_pop``, ``value``, the
        limit columns, ``confidence``, ``statistic`` ("dsr per 100000") and ``method``
        ("Dobson", or "Dobson, with confidence adjusted for non-independent events"),
        selected by ``type``.

    Notes
    -----
    With a standard population matched by position (a sequence, or ESP2013 without
    ``ageband``) each group must have as many age bands as the standard population. With
    ESP2013 matched by band, or a ``stdpop`` column, each group is standardised over the bands
    it has. Groups with a total count below 10 get null value and limits, the statistic
    "dsr NA for total count < 10" and one aggregated
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
    _checks.one_of("errors", errors, ("warn", "raise", "flag"))
    on_error = "flag" if errors == "flag" else "raise"  # beyond missing counts, warn = raise
    frame, keys, levels = _aggregate.start(
        data,
        group_by=group_by,
        confidence=confidence,
        type=type,
        errors=on_error,
        multiplier=multiplier,
    )
    independent = _checks.boolean("independent_events", independent_events)
    weights = _standard(stdpop)
    stdcol = stdpop if isinstance(stdpop, str) else None
    _checks.numeric(frame, x, n, stdcol)
    if independent:
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
    if errors == "warn":
        xs = _missing_as_zero(x, xs)
    ws = _frames.column(frame, stdcol) if stdcol else None
    checks = _checks.RowChecks(len(frame), g.ids)
    checks.count_column(x, xs)
    checks.positive_column(n, ns)
    if ws is not None and stdcol is not None:
        checks.count_column(stdcol, ws)

    if ageband is None:
        band_group, band_x, xvar, band_n, band_w = g.ids, xs, xs, ns, ws
        pos, counts = _aggregate.positions(g.ids, g.count)
    else:
        if independent:
            events, events_var = xs, xs
        else:
            assert eventfreq is not None
            fs = _frames.column(frame, eventfreq)
            checks.rule(
                ~np.isfinite(fs) | (fs < 1) | (fs != np.floor(fs)),
                f"column '{eventfreq}' must hold whole numbers >= 1",
                fs,
            )
            events, events_var = xs * fs, xs * fs * fs
        bands = _bands(frame, keys, ageband, g)
        band_group, band_rows = bands.group, bands.first
        band_n = ns[band_rows]
        checks.rule(
            ns != band_n[bands.ids],
            f"column '{n}' must be the same on every row of an age band",
            ns,
        )
        band_w = None
        if ws is not None:
            band_w = ws[band_rows]
            checks.rule(
                ws != band_w[bands.ids],
                f"column '{stdcol}' must be the same on every row of an age band",
                ws,
            )
        n_bands = len(band_rows)
        band_x = np.bincount(bands.ids, weights=events, minlength=n_bands)
        xvar = np.bincount(bands.ids, weights=events_var, minlength=n_bands)
        pos, counts = bands.pos, np.bincount(band_group, minlength=g.count)
    row_reasons = checks.resolve(on_error)

    band_reasons = None
    if weights is not None and ageband is not None and stdpop is None:
        band_w = _esp_by_band(ageband, bands, _band_ages(frame, ageband, bands), g)
    elif weights is not None:
        if ageband is not None:
            _youngest_first(ageband, bands, _band_ages(frame, ageband, bands), g)
        what = "the standard population 'stdpop'"
        if stdpop is None:
            what = "the 2013 European Standard Population (0-4, ..., 85-89, 90+)"
        band_reasons = _aggregate.band_count_reasons(g, counts, len(weights), what, on_error)
        band_w = weights[np.minimum(pos, len(weights) - 1)]
    weight_reasons = _aggregate.group_rules(
        g,
        on_error,
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

    assert band_w is not None
    result = _core(band_group, g.count, band_x, xvar, band_n, band_w, levels, multiplier)
    total_pop = np.bincount(band_group, weights=band_n, minlength=g.count)
    small = ~bad & (result.total_count < DSR_MIN_COUNT)
    statistic = _aggregate.statistic_column(
        f"dsr per {_aggregate.format_number(multiplier)}",
        reasons,
        g.count,
        extra_reasons=np.where(small, _SMALL, np.array(None)),
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
        method=_METHOD if independent else _METHOD_NON_INDEPENDENT,
        type=type,
        inputs=["total_count", "total_pop"],
        withheld=withheld if withheld.any() else None,
    )
    return _frames.to_native(out)


def _missing_as_zero(name: str, xs: np.ndarray) -> np.ndarray:
    """Missing counts as 0 events, with one warning naming the rows (calculate_dsr's rule)."""
    if xs.dtype.kind != "f":
        return xs
    missing = np.isnan(xs)
    if not missing.any():
        return xs
    warnings.warn(
        f"column '{name}' has missing counts, taken as 0 events: {_checks.where(missing)}; "
        "pass errors='raise' to refuse them",
        MissingCountWarning,
        stacklevel=3,
    )
    return np.where(missing, 0.0, xs)


class _Bands(NamedTuple):
    """The age bands of every group, numbered.

    Each row's band; per band its group, first row and position within its group (in order
    of first appearance).
    """

    ids: np.ndarray
    group: np.ndarray
    first: np.ndarray
    pos: np.ndarray


def _bands(frame: nw.DataFrame[Any], keys: Sequence[str], ageband: str, g: Any) -> _Bands:
    """Return the (group, age band) pairs, numbered, with each band's ages from its label."""
    series = frame[ageband]
    if series.null_count():
        mask = series.is_null().to_numpy()
        raise InputError(f"column '{ageband}' must not be missing: {_checks.where(mask)}")
    bids, _ = _frames.group_ids(frame, [*keys, ageband])
    n_bands = int(bids.max()) + 1
    first = np.full(n_bands, len(frame), dtype=np.int64)
    np.minimum.at(first, bids, np.arange(len(frame)))
    band_group = g.ids[first]
    pos = np.empty(n_bands, dtype=np.int64)
    order = np.lexsort((first, band_group))
    counts = np.bincount(band_group, minlength=g.count)
    begins = np.cumsum(counts) - counts
    pos[order] = np.arange(n_bands) - begins[band_group[order]]
    return _Bands(bids, band_group, first, pos)


class _BandAges(NamedTuple):
    """The distinct labels of the bands, and per band its label, start and end age."""

    labels: list[Any]
    label_of: np.ndarray
    starts: np.ndarray
    ends: np.ndarray  # ``_ages.NO_END`` / ``_ages.OPEN`` codes


def _band_ages(frame: nw.DataFrame[Any], ageband: str, bands: _Bands) -> _BandAges:
    """Read each band's start (and end) age from its label, once per distinct label."""
    series = frame[ageband]
    raw = series.to_numpy()[bands.first]
    if series.dtype.is_numeric():
        uniq, label_of = np.unique(raw, return_inverse=True)
    else:
        uniq, label_of = np.unique(raw.astype(str), return_inverse=True)
    labels = list(uniq.tolist())
    starts_u, ends_u = _ages.parse_labels(ageband, labels)
    return _BandAges(labels, label_of, starts_u[label_of], ends_u[label_of])


def _esp_by_band(ageband: str, bands: _Bands, ages: _BandAges, g: Any) -> np.ndarray:
    """Return the ESP2013 weight of each band, matched by its start (and end) age."""
    esp_starts = np.asarray(ESP2013_AGE_STARTS)
    idx = np.minimum(np.searchsorted(esp_starts, ages.starts), len(esp_starts) - 1)
    esp_ends = np.append(esp_starts[1:] - 1, _ages.OPEN)
    unknown = (esp_starts[idx] != ages.starts) | (
        (ages.ends != _ages.NO_END) & (ages.ends != esp_ends[idx])
    )
    if unknown.any():
        shown = sorted({ages.labels[i] for i in ages.label_of[unknown]}, key=str)
        raise InputError(
            f"column '{ageband}' has age bands that are not bands of the 2013 European "
            f"Standard Population (0-4, 5-9, ..., 85-89, 90+): {_checks._fmt(shown[:5])}; "
            "give the standard population as a column or a sequence instead"
        )
    cell = bands.group * len(esp_starts) + idx
    twice = np.bincount(cell, minlength=g.count * len(esp_starts)) > 1
    if twice.any():
        group = int(bands.group[twice[cell]][0])
        raise InputError(
            f"column '{ageband}': two labels of one group name the same ESP2013 band "
            f"(first group: {_aggregate.describe_group(g, group)})"
        )
    return np.asarray(ESP2013, float)[idx]


def _youngest_first(ageband: str, bands: _Bands, ages: _BandAges, g: Any) -> None:
    """Raise unless each group's bands come youngest first.

    A sequence is matched by position, so an out-of-order row would take another band's
    weight.
    """
    order = np.lexsort((bands.pos, bands.group))
    same = bands.group[order][1:] == bands.group[order][:-1]
    wrong = same & (np.diff(ages.starts[order]) <= 0)
    if wrong.any():
        idx = np.flatnonzero(wrong)
        groups = bands.group[order][1:][idx]
        shown = "; ".join(
            f"({_aggregate.describe_group(g, int(i))})" for i in np.unique(groups)[:5]
        )
        raise InputError(
            f"rows of each group must be in age order, youngest first, when 'stdpop' is a "
            f"sequence matched by position: {len(np.unique(groups)):,} of {g.count:,} groups "
            f"are not: {shown}; sort the rows by '{ageband}'"
        )
