"""Funnel plots: control limits, significance of each area and plotting points (OHID method).

Control limits at 95% and 99.8% around the data's average, for proportions (limits of the
Wilson score test), ratios of observed to expected counts and crude or directly standardised
rates (exact Poisson limits), as PHEindicatormethods 2.x ``calculate_funnel_limits``,
``assign_funnel_significance`` and ``calculate_funnel_points``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT
from scipy import special

from healthgap import _checks, _frames, _limits, _output
from healthgap._conventions import LEVELS, LIMITS
from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods._funnel_axis import axis as _axis

__all__ = ["funnel_limits", "funnel_points", "funnel_significance"]

Statistic = Literal["proportion", "ratio", "rate"]
#: DSR funnels leave out areas with fewer events (OHID technical guidance: DSRs).
DSR_MIN_EVENTS = 10
GRID_NAMES = {"proportion": "population", "ratio": "observed_events", "rate": "events"}
DEFAULT_MULTIPLIER = {"proportion": 100, "rate": 100_000}

HIGH_999, HIGH_975 = "High (0.001)", "High (0.025)"
LOW_999, LOW_975 = "Low (0.001)", "Low (0.025)"
NOT_SIGNIFICANT = "Not significant"
#: label of DSR areas below :data:`DSR_MIN_EVENTS` (PHEindicatormethods' wording).
DSR_NOT_APPLICABLE = "Not applicable for events less than 10 for dsrs"


# -- validation ---------------------------------------------------------------------------


def _options(
    statistic: str,
    ratio_type: str | None,
    rate_type: str | None,
    years_of_data: float | None,
    multiplier: float | None,
    *,
    need_years: bool,
) -> float | None:
    """Check the statistic's options; return the multiplier to use (``None`` for ratios)."""
    _checks.one_of("statistic", statistic, ("proportion", "ratio", "rate"))
    if statistic == "ratio":
        _checks.one_of("ratio_type", ratio_type, ("count", "isr"))
    if statistic == "rate":
        _checks.one_of("rate_type", rate_type, ("dsr", "crude"))
        if need_years:
            if years_of_data is None:
                raise InputError("argument 'years_of_data' is required when statistic='rate'")
            _checks.number("years_of_data", years_of_data, low=0, low_open=True)
    if statistic == "ratio":
        return None
    if multiplier is None:
        return float(DEFAULT_MULTIPLIER[statistic])
    return _checks.number("multiplier", multiplier, low=0, low_open=True)


class _Inputs(NamedTuple):
    """Numerators, denominators and rates of every row, and the rows left out."""

    x: np.ndarray
    n: np.ndarray | None
    r: np.ndarray | None
    bad: np.ndarray  # rows with invalid input (``errors="flag"``)


def _inputs(
    frame: nw.DataFrame[Any],
    statistic: str,
    numerator: str,
    denominator: str | None,
    rate: str | None,
    rate_type: str | None,
    errors: str = "raise",
) -> _Inputs:
    """Validate the data's columns for the statistic; return numerators, denominators, rates.

    A missing rate is accepted for a DSR with fewer than :data:`DSR_MIN_EVENTS` events, as
    :func:`~healthgap.methods.dsr` withholds those (and PHEindicatormethods' DSR funnel
    workflow passes them on); such rows are left out of the average and the axis.
    """
    if len(frame) == 0:
        raise InputError("argument 'data' has no rows")
    if statistic in ("proportion", "ratio") and denominator is None:
        raise InputError(f"argument 'denominator' is required when statistic='{statistic}'")
    if statistic == "rate" and rate is None:
        raise InputError("argument 'rate' is required when statistic='rate'")
    _checks.numeric(frame, numerator, denominator, rate)
    x = _frames.column(frame, numerator)
    n = None if denominator is None else _frames.column(frame, denominator)
    r = None if rate is None or statistic != "rate" else _frames.column(frame, rate)
    checks = _checks.RowChecks(len(frame), np.arange(len(frame)))
    checks.count_column(numerator, x)
    if n is not None and denominator is not None:
        checks.positive_column(denominator, n)
        if statistic == "proportion":
            checks.at_most(numerator, x, denominator, n)
    if r is not None and rate is not None:
        withheld = np.isnan(r) & (x < DSR_MIN_EVENTS) if rate_type == "dsr" else None
        checks.count_column(rate, r if withheld is None else np.where(withheld, 0.0, r))
        checks.rule((x > 0) & (r == 0), f"column '{rate}' must be > 0 where '{numerator}' > 0", r)
        if rate_type == "crude" and n is None:
            checks.rule(
                x == 0,
                f"column '{numerator}' is 0 so its population is unknown: "
                "give argument 'denominator'",
                x,
            )
    reasons = checks.resolve(errors)
    bad = (
        np.zeros(len(frame), dtype=bool)
        if reasons is None
        else np.not_equal(reasons, np.array(None))
    )
    if reasons is not None and bad.any():
        rows = np.flatnonzero(bad)
        warnings.warn(
            f"funnel: {len(rows):,} of {len(frame):,} rows with invalid input left out "
            f"(rows {rows[:5].tolist()}{', ...' if len(rows) > 5 else ''}): "
            f"{'; '.join(sorted(set(reasons[bad])))}",
            SuppressedWarning,
            stacklevel=3,
        )
        x = np.where(bad, 0.0, x)
        n = None if n is None else np.where(bad, np.nan, n)
        r = None if r is None else np.where(bad, np.nan, r)
    return _Inputs(x, n, r, bad)


def _derived_denominator(
    x: np.ndarray,
    n: np.ndarray | None,
    r: np.ndarray | None,
    statistic: str,
    rate_type: str | None,
    multiplier: float | None,
) -> np.ndarray:
    """Denominators on the funnel's axis; for rates, the population implied by x and the rate.

    A DSR with no events, or none given (fewer than 10 events), implies no population (NaN,
    left out); a crude rate with no events takes its own denominator.
    """
    if statistic != "rate":
        return np.asarray(n, float)
    assert r is not None
    assert multiplier is not None
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = multiplier * x / r
    if rate_type == "dsr":
        return np.where((x == 0) | np.isnan(r), np.nan, implied)
    return implied if n is None else np.where(x == 0, n, implied)


# -- limits -------------------------------------------------------------------------------


def _proportion_limits(population: np.ndarray, average: float, level: float) -> _limits.Limits:
    """Proportions at which the Wilson score limits of x/n reach the average p.

    Solving Wilson's limit = p for x/n gives p -/+ z sqrt(p (1 - p) / n): the score test's
    acceptance region (Spiegelhalter 2005, section 3.1; Newcombe 1998, method 3).
    """
    half = _limits.z_value(level) * np.sqrt(average * (1 - average) / population)
    return _limits.Limits(average - half, average + half)


def _poisson_means(observed: np.ndarray, level: float) -> _limits.Limits:
    """Poisson means m for which ``observed`` is on the edge of the two-sided ``level`` test.

    lower: P(X >= O; m) = alpha/2, upper: P(X <= O; m) = alpha/2; solved exactly with the
    inverse regularised incomplete gamma functions (the exact Poisson limits of O).
    """
    tail = (1 - level) / 2
    return _limits.Limits(
        special.gammaincinv(observed, tail), special.gammainccinv(observed + 1, tail)
    )


def funnel_limits(
    data: IntoFrameT,
    numerator: str,
    denominator: str | None = None,
    rate: str | None = None,
    *,
    statistic: Statistic = "proportion",
    ratio_type: Literal["count", "isr"] | None = None,
    rate_type: Literal["dsr", "crude"] | None = None,
    years_of_data: float | None = None,
    multiplier: float | None = None,
    type: Literal["standard", "full"] = "full",
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Control limits of a funnel plot at 95% and 99.8%, along 100 points of its axis.

    With :math:`z` the two-sided normal quantile of each level (1.96 and 3.09) and the axis
    value :math:`n` (the denominator) or :math:`O` (observed events):

    - proportions: :math:`\bar p \mp z\sqrt{\bar p(1 - \bar p)/n}`, where
      :math:`\bar p = \sum x / \sum n`, the proportions at which an area's Wilson score limits
      reach :math:`\bar p`; clipped to :math:`[0, 1]`, then times ``multiplier``;
    - ratios: :math:`O / m_\mp`, where :math:`m_-` and :math:`m_+` are the exact Poisson limits
      of :math:`O` (``P(X >= O; m_-) = P(X <= O; m_+) = alpha/2``), less 1 for
      ``ratio_type="count"`` or times 100 for ``"isr"``;
    - rates: :math:`\bar r\, O / m_\pm` times ``multiplier``, where
      :math:`\bar r = \sum x / \sum N` over the populations :math:`N` implied by each area's
      events and rate (``multiplier * x / rate``, or the denominator when ``x = 0`` for crude
      rates), so a DSR is treated as a crude rate of its implied population.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per area.
    numerator : str
        Observed events (numerator); present and >= 0 on every row.
    denominator : str, optional
        Populations (proportions), expected events (ratios) or, for rates, populations used
        where an area has no events; > 0. Required for proportions and ratios.
    rate : str, optional
        The rate (crude or DSR) of each area, per ``multiplier``; required for rates. A DSR
        may be missing where there are fewer than 10 events (as :func:`dsr` returns it):
        that area is left out of the average and the axis.
    statistic : {"proportion", "ratio", "rate"}, default "proportion"
    ratio_type : {"count", "isr"}, optional
        Required for ratios: limits of O/E - 1 (``"count"``) or of 100 O/E (``"isr"``).
    rate_type : {"dsr", "crude"}, optional
        Required for rates. DSR areas with no events have no implied population and are left
        out of the average and the axis.
    years_of_data : float, optional
        Years the data cover; required for rates (the axis is rounded per year).
    multiplier : float, optional
        Scale of the values: default 100 (percentages) for proportions, 100,000 for rates;
        unused for ratios.
    type : {"standard", "full"}, default "full"
        ``"full"`` adds ``confidence``, ``statistic`` and ``method``.
    errors : {"raise", "flag"}, default "raise"
        ``"flag"`` leaves rows with invalid input out of the average and the axis, with one
        :class:`~healthgap.errors.SuppressedWarning` naming them, instead of raising.

    Returns
    -------
    table of the caller's kind
        100 rows: the axis (``population``, ``observed_events`` or ``events``); for ratios the
        expected events and for rates the annual populations at each limit
        (``lower95_0_expected`` ... / ``lower95_0_population`` ...); the limits ``lower95_0cl,
        upper95_0cl, lower99_8cl, upper99_8cl`` (PHEindicatormethods' ``lower_2s_limit,
        upper_2s_limit, lower_3s_limit, upper_3s_limit``); ``baseline`` (the average, or 0 and
        100 for count and ISR ratios); metadata for ``type="full"``.

    Notes
    -----
    Two deliberate differences from PHEindicatormethods 2.1 / PHStatsMethods, both where those
    packages approximate the published method: the exact Poisson means are solved to machine
    precision instead of by a fixed number of bisection steps, so ratio and rate limits differ
    from R's by up to 4.7e-5 relative at 99.8% (less at 95%; R's are the approximate ones),
    and proportion limits are clipped at ``multiplier`` (a proportion of 1) rather than at
    100, which is the same for percentages only.

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Stat Med 2005;24:1185-1202. doi:10.1002/sim.1970
    .. [2] Office for Health Improvement and Disparities. Public health technical guidance:
       funnel plots (Fingertips).
    .. [3] Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
       seven methods. Stat Med 1998;17:857-72.

    Examples
    --------
    Four areas with a 10% average, from 900 to 1,100 people: the axis runs from 800 (95% of the
    smallest, rounded down to one figure) to 1,200 (105% of the largest, rounded up to two), and
    at 800 people the 95% limits are
    :math:`10 \mp 1.96\sqrt{0.1 \times 0.9 / 800} \times 100 = 10 \mp 2.08` percent.

    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [90, 110, 95, 105], "n": [1000, 1000, 900, 1100]})
    >>> out = funnel_limits(df, "x", "n", multiplier=100)
    >>> out.select(pl.col("population", "lower95_0cl", "upper95_0cl").round(4)).row(0)
    (800.0, 7.9211, 12.0789)
    >>> out["population"].max()
    1200.0
    """
    _checks.one_of("type", type, ("standard", "full"))
    _checks.one_of("errors", errors, ("raise", "flag"))
    frame = _frames.to_frame(data)
    mult = _options(statistic, ratio_type, rate_type, years_of_data, multiplier, need_years=True)
    x, n, r, _ = _inputs(frame, statistic, numerator, denominator, rate, rate_type, errors)
    derived = _derived_denominator(x, n, r, statistic, rate_type, mult)
    if not np.isfinite(derived).any():
        raise InputError(
            "no area has a denominator to draw the funnel from "
            f"(every DSR in column '{numerator}' has 0 events or no rate)"
        )
    used = np.isfinite(derived)
    average = float(x[used].sum() / derived[used].sum())
    axis = _axis(
        derived, average, statistic, float(years_of_data) if years_of_data is not None else 1.0
    )

    columns: dict[str, np.ndarray | float | str | None] = {GRID_NAMES[statistic]: axis}
    limits: dict[str, np.ndarray] = {}
    for level in LEVELS:
        suffix = _output.level_suffix(level)
        if statistic == "proportion":
            lo, hi = _proportion_limits(axis, average, level)
            limits[f"lower{suffix}cl"] = np.maximum(0.0, lo) * mult
            limits[f"upper{suffix}cl"] = np.minimum(1.0, hi) * mult
            continue
        means = _poisson_means(axis, level)
        if statistic == "ratio":
            columns[f"lower{suffix}_expected"] = means.upper
            columns[f"upper{suffix}_expected"] = means.lower
            lo, hi = axis / means.upper, axis / means.lower
            limits[f"lower{suffix}cl"], limits[f"upper{suffix}cl"] = (
                (lo - 1, hi - 1) if ratio_type == "count" else (lo * 100, hi * 100)
            )
        else:
            assert years_of_data is not None
            assert mult is not None
            columns[f"lower{suffix}_population"] = means.upper / average / years_of_data
            columns[f"upper{suffix}_population"] = means.lower / average / years_of_data
            limits[f"lower{suffix}cl"] = average * axis / means.upper * mult
            limits[f"upper{suffix}cl"] = average * axis / means.lower * mult
    order = list(LIMITS)
    columns.update({name: limits[name] for name in order})
    if statistic == "ratio":
        columns["baseline"] = 0.0 if ratio_type == "count" else 100.0
    else:
        assert mult is not None
        columns["baseline"] = average * mult
    if type == "full":
        columns["confidence"] = _output.level_label(LEVELS)
        columns["statistic"] = _statistic_label(statistic, ratio_type, rate_type, mult)
        columns["method"] = "Wilson" if statistic == "proportion" else "Poisson"
    return _frames.to_native(_new_frame(frame, columns))


def _statistic_label(
    statistic: str, ratio_type: str | None, rate_type: str | None, multiplier: float | None
) -> str:
    if statistic == "ratio":
        return f"ratio ({ratio_type})"
    if statistic == "rate":
        assert multiplier is not None
        per = f"{int(multiplier):,}" if float(multiplier).is_integer() else f"{multiplier:g}"
        return f"rate ({rate_type} per {per})"
    return "proportion"


def _new_frame(like: nw.DataFrame[Any], columns: Mapping[str, Any]) -> nw.DataFrame[Any]:
    """Build a table of the same kind as ``like`` (scalars broadcast to full length)."""
    backend = nw.get_native_namespace(like)
    length = len(next(iter(columns.values())))
    data = {
        name: (
            np.full(length, value, dtype=object if isinstance(value, str) else float)
            if np.isscalar(value)
            else value
        )
        for name, value in columns.items()
    }
    schema = {name: nw.String() for name, value in columns.items() if isinstance(value, str)}
    native = {name: (list(v) if name in schema else v) for name, v in data.items()}
    return nw.from_dict(native, schema=None, backend=backend).with_columns(
        nw.col(name).cast(dtype) for name, dtype in schema.items()
    )


# -- significance -------------------------------------------------------------------------


def _labels(
    high_999: np.ndarray, high_975: np.ndarray, low_999: np.ndarray, low_975: np.ndarray
) -> np.ndarray:
    """PHEindicatormethods' labels, the first condition that holds winning (low first)."""
    return np.select(
        [low_999, low_975, high_999, high_975],
        [LOW_999, LOW_975, HIGH_999, HIGH_975],
        NOT_SIGNIFICANT,
    ).astype(object)


def funnel_significance(
    data: IntoFrameT,
    numerator: str,
    denominator: str | None = None,
    rate: str | None = None,
    *,
    statistic: Statistic = "proportion",
    rate_type: Literal["dsr", "crude"] | None = None,
    multiplier: float | None = None,
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Whether each area lies outside the funnel's 95% and 99.8% control limits.

    - proportions: :math:`x/n` against :math:`\bar p \mp z\sqrt{\bar p(1-\bar p)/n}` with
      :math:`\bar p = \sum x / \sum n` (equivalently: whether the area's Wilson score interval
      excludes :math:`\bar p`);
    - ratios: whether the area's Poisson limits of :math:`O` (exact below 10 events, Byar's
      approximation from 10), divided by its expected count, exclude 1;
    - rates: whether the Poisson limits of :math:`O` over the area's implied population
      (``multiplier * x / rate``, its denominator when ``x = 0`` for crude rates) exclude the
      weighted average :math:`\sum x / \sum N`.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per area.
    numerator, denominator, rate : str
        As :func:`funnel_limits` (``denominator``: populations for proportions, expected counts
        for ratios).
    statistic : {"proportion", "ratio", "rate"}, default "proportion"
    rate_type : {"dsr", "crude"}, optional
        Required for rates.
    multiplier : float, optional
        The rates' multiplier (default 100,000); used for rates only.
    errors : {"raise", "flag"}, default "raise"
        ``"flag"`` gives rows with invalid input a null ``significance`` and leaves them out
        of the average, with one :class:`~healthgap.errors.SuppressedWarning`.

    Returns
    -------
    table of the caller's kind
        The input rows with ``significance``: "High (0.001)" or "Low (0.001)" outside the 99.8%
        limits, "High (0.025)" or "Low (0.025)" outside the 95% limits only, "Not significant",
        or for DSRs with fewer than 10 events "Not applicable for events less than 10 for dsrs"
        (PHEindicatormethods' labels; the figure is the one-sided tail probability).

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Stat Med 2005;24:1185-1202. doi:10.1002/sim.1970
    .. [2] Breslow NE, Day NE. Statistical Methods in Cancer Research, vol II. IARC 1987, p 69
       (Byar's approximation).

    Examples
    --------
    PHEindicatormethods' example: the average is 50,889/67,762 = 75.1%; area A (67.2% of
    15,232) lies 11 standard errors below it and area B (76.4% of 16,123) 3.9 above it, beyond
    the 99.8% limits (3.09 standard errors).

    >>> import polars as pl
    >>> df = pl.DataFrame({"area": ["A", "B", "C", "D"],
    ...                    "x": [10232, 12321, 15123, 13213],
    ...                    "n": [15232, 16123, 17932, 18475]})
    >>> funnel_significance(df, "x", "n")["significance"].to_list()
    ['Low (0.001)', 'High (0.001)', 'High (0.001)', 'Low (0.001)']
    """
    _checks.one_of("errors", errors, ("raise", "flag"))
    frame = _frames.to_frame(data)
    mult = _options(
        statistic,
        None if statistic != "ratio" else "count",
        rate_type,
        None,
        multiplier,
        need_years=False,
    )
    x, n, r, bad = _inputs(frame, statistic, numerator, denominator, rate, rate_type, errors)
    flags: dict[str, np.ndarray] = {}
    if statistic == "proportion":
        assert n is not None
        average = x.sum() / np.nansum(n)
        p = x / n
        for level in LEVELS:
            lo, hi = _proportion_limits(n, average, level)
            flags[f"low{level}"], flags[f"high{level}"] = p < lo, p > hi
    else:
        base = (
            n if statistic == "ratio" else _derived_denominator(x, n, r, statistic, rate_type, mult)
        )
        assert base is not None
        used = np.isfinite(base)
        target = 1.0 if statistic == "ratio" else x[used].sum() / base[used].sum()
        for level in LEVELS:
            counts = _limits.poisson_count(x, level)
            with np.errstate(divide="ignore", invalid="ignore"):
                lo, hi = counts.lower / base, counts.upper / base
            flags[f"low{level}"], flags[f"high{level}"] = hi < target, lo > target
    labels = _labels(flags["high0.998"], flags["high0.95"], flags["low0.998"], flags["low0.95"])
    if statistic == "rate" and rate_type == "dsr":
        labels = np.where(x < DSR_MIN_EVENTS, DSR_NOT_APPLICABLE, labels).astype(object)
    labels[bad] = None
    return _frames.to_native(_output.with_arrays(frame, {"significance": labels}))


# -- points -------------------------------------------------------------------------------


def funnel_points(
    data: IntoFrameT,
    numerator: str,
    denominator: str | None = None,
    rate: str | None = None,
    *,
    rate_type: Literal["dsr", "crude"] = "dsr",
    years_of_data: float | None = None,
    multiplier: float = 100_000,
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Give the plotting points of a rate funnel: each area's rate and annual population.

    The population is :math:`N = \text{multiplier} \cdot x / \text{rate} / \text{years}` (for a
    crude rate with no events, its denominator / years). DSRs with fewer than 10 events are
    not plotted (null rate and population), as OHID publishes no DSR for them.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per area.
    numerator, denominator, rate : str
        Events, populations (needed only for crude rates with no events), rates.
    rate_type : {"dsr", "crude"}, default "dsr"
    years_of_data : float
        Years the data cover (populations are shown per year); required, as in
        PHEindicatormethods (no silent default of one year).
    multiplier : float, default 100000
        The rates' multiplier.
    errors : {"raise", "flag"}, default "raise"
        ``"flag"`` gives rows with invalid input null points, with one
        :class:`~healthgap.errors.SuppressedWarning`, instead of raising.

    Returns
    -------
    table of the caller's kind
        The input rows with ``<rate>_chart`` (the rate to plot) and ``denominator_derived``
        (the annual population to plot it at), as PHEindicatormethods'
        ``calculate_funnel_points``.

    References
    ----------
    .. [1] Office for Health Improvement and Disparities. Public health technical guidance:
       funnel plots and directly standardised rates (Fingertips).

    Examples
    --------
    A DSR of 500 per 100,000 from 50 events implies 10,000 person-years: over 2 years, 5,000
    people a year. The DSR from 5 events is not plotted:

    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [50, 5], "dsr": [500.0, 400.0]})
    >>> funnel_points(df, "x", rate="dsr", years_of_data=2)["denominator_derived"].to_list()
    [5000.0, None]
    """
    _checks.one_of("errors", errors, ("raise", "flag"))
    frame = _frames.to_frame(data)
    if rate is None:
        raise InputError("argument 'rate' is required for funnel points")
    mult = _options("rate", None, rate_type, years_of_data, multiplier, need_years=True)
    assert years_of_data is not None
    x, n, r, _ = _inputs(frame, "rate", numerator, denominator, rate, rate_type, errors)
    assert r is not None
    derived = _derived_denominator(x, n, r, "rate", rate_type, mult) / years_of_data
    chart = r.copy()
    if rate_type == "dsr":
        small = x < DSR_MIN_EVENTS
        chart, derived = np.where(small, np.nan, chart), np.where(small, np.nan, derived)
    out = _output.with_arrays(frame, {f"{rate}_chart": chart, "denominator_derived": derived})
    return _frames.to_native(
        out.with_columns(nw.col(f"{rate}_chart", "denominator_derived").fill_nan(None))
    )
