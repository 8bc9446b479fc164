"""Progress against targets: achieved, on track or off track, from a projected trend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT
from scipy import stats

from healthgap import _frames
from healthgap.compare import _inputs, _labels, _series
from healthgap.errors import InputError

__all__ = ["target_progress", "target_trajectory"]

#: a straight line and its prediction interval need at least 3 points (1 residual df)
MIN_POINTS = 3
#: a crossing further ahead than this is reported as never reached (null)
MAX_YEARS_AHEAD = 1000
#: the longest trajectory drawn, in periods (a guard against a target year typed wrongly)
MAX_SPAN = 500

STATUSES = ("Achieved", "On track", "Off track", _labels.CANNOT)
_ACHIEVED, _ON_TRACK, _OFF_TRACK, _CANNOT = range(4)

_REASONS = (
    "fewer than 3 periods with a value (and limits, when given)",
    "polarity not set: which side of the target counts as met is unknown",
    "target or target year missing",
    "target year has passed without the target being met",
)
_FEW, _NO_POLARITY, _NO_TARGET, _PASSED = range(4)


class _Projection(NamedTuple):
    """Each series' fitted line, with what its prediction intervals need."""

    recent: _series.Recent
    latest: np.ndarray  # latest period used
    t: np.ndarray  # (groups, k) periods of the points used
    y: np.ndarray  # (groups, k) their values
    line: _series.Line  # fitted on t - latest
    scale: np.ndarray  # residual variance factor
    new_variance: np.ndarray  # variance of one new observation, before scaling
    df: np.ndarray  # residual degrees of freedom
    quantile: np.ndarray  # t quantile for the interval
    weighted: bool
    level: float  # of the prediction interval


def target_progress(
    data: IntoFrameT,
    value: str = "value",
    period: str = "period",
    target: str | float | None = None,
    target_year: str | float | None = None,
    *,
    lower_cl: str | None = None,
    upper_cl: str | None = None,
    group_by: str | Sequence[str] = (),
    polarity: str | None = None,
    points: int = 5,
    confidence: float = 0.95,
) -> IntoFrameT:
    r"""Progress of every series against its target, projected from its recent trend.

    A straight line :math:`y = a + b\,t` is fitted to the ``points`` most recent periods with
    a value, by weighted least squares: weights :math:`w_t = 1/s_t^2` with
    :math:`s_t = (U_t - L_t)/3.92` when 95% limits are given, else equal weights. At the
    target year :math:`t_1` the projection is :math:`\hat y_1 = a + b\,t_1` and its
    prediction interval

    .. math:: \hat y_1 \pm t_{k-2,\,1-\alpha/2}\,\sqrt{\hat\sigma^2\left(v_1 +
              \frac{1}{\sum w_t} + \frac{(t_1 - \bar t_w)^2}{\sum w_t (t - \bar t_w)^2}
              \right)}

    where :math:`k` is the number of points, :math:`\bar t_w` the weighted mean period,
    :math:`\hat\sigma^2 = \sum w_t r_t^2/(k-2)` from the residuals :math:`r_t` and
    :math:`v_1 = 1`, unweighted; weighted, :math:`v_1` is the latest point's variance
    :math:`s^2` and :math:`\hat\sigma^2` is floored at 1 (the limits' own variance,
    inflated when the points scatter more than their limits allow).

    Status: ``Achieved`` when the latest value meets the target (``>=`` when high is good,
    ``<=`` when low is good); else ``On track`` when the projection at the target year meets
    it, ``Off track`` when not (or when the target year has passed).

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per series and period.
    value, period : str
        Columns of values and of periods (whole numbers: the year).
    target, target_year : str or float
        The target and the year by which to reach it: numbers, or columns (a series' latest
        row counts, so one table can hold many commitments).
    lower_cl, upper_cl : str, optional
        Columns of 95% limits, to weight the fit (both or neither).
    group_by : str or list of str
        Keys of a series (commitment, area, indicator, ...).
    polarity : str, optional
        ``"high_is_good"`` (meet means ``>=``), ``"low_is_good"`` (``<=``) or a column of
        these; without one (or with ``"no_judgement"``) the status cannot be calculated.
    points : int
        How many recent periods to fit (default 5, at least 3).
    confidence : float
        Level of the prediction interval (default 95%).

    Returns
    -------
    Same kind of table as ``data``, one row per series: the keys, ``period`` (latest period
    fitted, named as the input column), ``value`` (its value, named as the input column),
    ``target``, ``target_year``, ``slope`` (change per period), ``projected``,
    ``projected_lower``, ``projected_upper`` (at the target year), ``probability`` (that a
    value at the target year meets the target, under the fitted line and its prediction
    distribution), ``status``, ``year_reached``, ``points``, ``reason`` and ``method``.

    ``year_reached``: when achieved, the first period of the latest unbroken run of fitted
    points meeting the target; otherwise the first period after the latest at which the
    fitted line meets it, or null when the line moves away from the target (never reached on
    the current trend) or would cross it more than 1,000 periods ahead.

    Notes
    -----
    "Cannot be calculated", with the reason, when fewer than 3 periods have a value (and
    limits, if weighting), when no polarity says which side of the target is met, or when the
    target or its year is missing. Gaps between periods are allowed: the fit uses the periods'
    values.

    References
    ----------
    .. [1] Draper NR, Smith H. Applied Regression Analysis, 3rd ed. Wiley, 1998, sections 1.4
       and 9.2 (prediction interval of a new observation; weighted least squares).
    .. [2] Birge RT. The calculation of errors by the method of least squares. Phys Rev
       1932;40:207-27 (inflating known variances by the residual scatter when it is larger).

    Examples
    --------
    A rate of 60 falling by 2 a year against a target of 48 by 2030 (low is good):

    >>> import polars as pl
    >>> df = pl.DataFrame({"year": [2019, 2020, 2021, 2022, 2023],
    ...                    "value": [60.0, 58.1, 55.9, 54.0, 52.0]})
    >>> out = target_progress(df, "value", "year", target=48, target_year=2030,
    ...                       polarity="low_is_good")
    >>> out.select("status", "year_reached").row(0)
    ('On track', 2025)
    """
    frame = _frames.to_frame(data)
    keys = _inputs.keys(frame, group_by)
    fitted = _project(frame, value, period, lower_cl, upper_cl, keys, points, confidence)
    rec, line = fitted.recent, fitted.line
    last = rec.rows[:, -1]
    n_groups = len(last)
    goal = _per_series(frame, "target", target, last)
    goal_year = _per_series(frame, "target_year", target_year, last)
    fractional = np.isfinite(goal_year) & (goal_year != np.round(goal_year))
    if fractional.any():
        raise InputError(
            "argument 'target_year' must hold whole numbers (years), like "
            f"'{period}': got {goal_year[fractional][:5].tolist()}"
        )
    direction = _inputs.polarity(frame, polarity)[np.clip(last, 0, None)]
    direction = np.where(last >= 0, direction, _inputs.UNSET)
    side = np.where(
        direction == _inputs.HIGH, 1.0, np.where(direction == _inputs.LOW, -1.0, np.nan)
    )

    tau = goal_year - fitted.latest
    projected = line.intercept + line.slope * tau
    se = _prediction_se(fitted, tau)
    with np.errstate(invalid="ignore", divide="ignore"):
        probability = stats.t.cdf(side * (projected - goal) / se, fitted.df)
    latest_value = fitted.y[:, -1]
    meets = side[:, None] * (fitted.y - goal[:, None]) >= 0

    status = np.where(side * (projected - goal) >= 0, _ON_TRACK, _OFF_TRACK)
    reason = np.full(n_groups, -1, dtype=np.int64)
    passed = (goal_year <= fitted.latest) & ~meets[:, -1]
    status = np.where(passed, _OFF_TRACK, status)
    reason[passed] = _PASSED
    status = np.where(meets[:, -1], _ACHIEVED, status)

    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = fitted.latest + np.maximum(np.ceil((goal - line.intercept) / line.slope), 1)
    toward = (side * line.slope > 0) & (crossing - fitted.latest <= MAX_YEARS_AHEAD)
    run = _series.trailing_run(meets & rec.present)
    k = fitted.t.shape[1]
    first_met = fitted.t[np.arange(n_groups), np.clip(k - run, 0, k - 1)]
    year = np.where(meets[:, -1], first_met, np.where(toward, crossing, np.nan))

    cannot = np.zeros(n_groups, dtype=bool)
    for mask, code in (
        (np.isnan(goal) | np.isnan(goal_year), _NO_TARGET),
        (np.isnan(side), _NO_POLARITY),
        (line.points < MIN_POINTS, _FEW),
    ):
        reason[mask] = code
        cannot |= mask
    status = np.where(cannot, _CANNOT, status)
    half = fitted.quantile * se
    outputs = {
        name: np.where(cannot, np.nan, arr)
        for name, arr in (
            ("projected", projected),
            ("projected_lower", projected - half),
            ("projected_upper", projected + half),
            ("probability", probability),
            ("year_reached", year),
        )
    }

    base = rec.keys if rec.keys is not None else frame.select(nw.col(period).max())
    numbers = {
        period: np.where(line.points > 0, fitted.latest, np.nan),
        value: latest_value,
        "target": goal,
        "target_year": goal_year,
        "slope": np.where(line.points >= 2, line.slope, np.nan),
        **outputs,
        "points": line.points.astype(float),
    }
    out = _labels.append(
        base,
        numbers=numbers,
        texts={"status": (status, STATUSES), "reason": (reason, _REASONS)},
        integers=[period, "target_year", "year_reached", "points"],
    )
    out = out.with_columns(nw.lit(_described(fitted)).alias("method"))
    return _frames.to_native(out)


def target_trajectory(
    data: IntoFrameT,
    value: str = "value",
    period: str = "period",
    *,
    until: str | float | None = None,
    lower_cl: str | None = None,
    upper_cl: str | None = None,
    group_by: str | Sequence[str] = (),
    points: int = 5,
    confidence: float = 0.95,
) -> IntoFrameT:
    """Draw the fitted trend of every series, period by period, for charts of a target.

    The same fit as :func:`target_progress`: the line through the ``points`` most recent
    periods with a value, and its prediction interval, drawn from the first fitted period to
    ``until`` (a year or a column of target years; default: the latest period).

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per series and period.
    value, period : str
        Columns of values and periods (whole numbers).
    until : str or float, optional
        Last period to project to: a number or a column (a series' latest row counts).
    lower_cl, upper_cl : str, optional
        Columns of 95% limits, to weight the fit.
    group_by : str or list of str
        Keys of a series.
    points : int
        How many recent periods to fit (default 5, at least 3).
    confidence : float
        Level of the prediction interval (default 95%).

    Returns
    -------
    Same kind of table as ``data``, one row per series and period: the keys, ``period`` (named
    as the input column), ``observed`` (the value fitted at that period, else null),
    ``fitted``, ``lower``, ``upper`` (prediction interval) and ``projected`` (true after the
    latest fitted period). Series with fewer than 3 points are left out.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"year": [2021, 2022, 2023], "value": [10.0, 12.0, 14.0]})
    >>> out = target_trajectory(df, "value", "year", until=2025)
    >>> out["fitted"].to_list()
    [10.0, 12.0, 14.0, 16.0, 18.0]
    """
    frame = _frames.to_frame(data)
    keys = _inputs.keys(frame, group_by)
    fitted = _project(frame, value, period, lower_cl, upper_cl, keys, points, confidence)
    rec, line = fitted.recent, fitted.line
    last = rec.rows[:, -1]
    drawn = np.flatnonzero(line.points >= MIN_POINTS)
    first = np.nanmin(np.where(rec.present, fitted.t, np.nan), axis=1)
    end = fitted.latest.copy()
    if until is not None:
        end = np.fmax(end, _per_series(frame, "until", until, last))
    span = end - first + 1
    too_long = (span > MAX_SPAN) & (line.points >= MIN_POINTS)
    if too_long.any():
        raise InputError(
            f"argument 'until' draws more than {MAX_SPAN} periods for "
            f"{int(too_long.sum())} series (first: {int(first[too_long][0])} to "
            f"{int(end[too_long][0])}); check the target years"
        )
    lengths = span[drawn].astype(np.int64)
    group = np.repeat(drawn, lengths)
    starts = np.cumsum(lengths) - lengths
    offset = np.arange(lengths.sum()) - np.repeat(starts, lengths)
    periods = first[group] + offset
    tau = periods - fitted.latest[group]
    sub = _Projection(
        rec,
        fitted.latest[group],
        fitted.t,
        fitted.y,
        _series.Line(*(a[group] for a in line)),
        fitted.scale[group],
        fitted.new_variance[group],
        fitted.df[group],
        fitted.quantile[group],
        fitted.weighted,
        fitted.level,
    )
    fit_value = sub.line.intercept + sub.line.slope * tau
    se = _prediction_se(sub, tau)

    observed = np.full(len(periods), np.nan)
    position = np.full(len(line.points), -1, dtype=np.int64)
    position[drawn] = starts
    used = rec.present & (position >= 0)[:, None] & ~np.isnan(fitted.y)
    g_idx = np.nonzero(used)
    observed[position[g_idx[0]] + (fitted.t[used] - first[g_idx[0]]).astype(np.int64)] = fitted.y[
        used
    ]

    if rec.keys is not None:
        base = rec.keys[group]
    else:
        base = frame.select(nw.col(period).max())[np.zeros(len(periods), dtype=np.int64)]
        base = base.drop(period)
    out = _labels.append(
        base,
        numbers={
            period: periods,
            "observed": observed,
            "fitted": fit_value,
            "lower": fit_value - sub.quantile * se,
            "upper": fit_value + sub.quantile * se,
        },
        integers=[period],
    )
    out = out.with_columns(
        nw.new_series("projected", tau > 0, backend=nw.get_native_namespace(out))
    )
    return _frames.to_native(out)


def _project(
    frame: nw.DataFrame[Any],
    value: str,
    period: str,
    lower_cl: str | None,
    upper_cl: str | None,
    keys: tuple[str, ...],
    points: int,
    confidence: float,
) -> _Projection:
    """Fit each series' recent line (the shared core of both public functions)."""
    if period in keys:
        raise InputError(f"column '{period}' is the period: it must not be in group_by")
    if len(frame) == 0:
        raise InputError("argument 'data' has no rows")
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 3:
        raise InputError(f"argument 'points' must be a whole number >= 3; got {points!r}")
    level = _inputs.level(confidence)
    if (lower_cl is None) != (upper_cl is None):
        raise InputError("give both 'lower_cl' and 'upper_cl' (95% limits) or neither")
    t_all = _series.periods(frame, period)
    y_all = _inputs.column_or_none(frame, value)
    weighted = lower_cl is not None and upper_cl is not None
    if lower_cl is not None and upper_cl is not None:
        lo, hi = _inputs.column_or_none(frame, lower_cl), _inputs.column_or_none(frame, upper_cl)
        _inputs.limits_in_order(lo, hi, lower_cl, upper_cl)
        variance = ((hi - lo) / _series.SE_DIVISOR_95) ** 2
        use = np.isfinite(y_all) & np.isfinite(variance) & (variance > 0)
    else:
        variance = np.ones(len(frame))
        use = np.isfinite(y_all)
    rec = _series.recent(frame, keys, t_all, int(points), period, use=use)
    t = _series.take(t_all, rec)
    y = _series.take(y_all, rec)
    v = _series.take(variance, rec)
    latest = t[:, -1]
    line = _series.fit(t - latest[:, None], y, 1 / v)
    df = line.points - 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        residual_variance = np.where(df > 0, line.rss / df, np.nan)
    scale = np.fmax(residual_variance, 1.0) if weighted else residual_variance
    new_variance = v[:, -1] if weighted else np.ones(len(latest))
    with np.errstate(invalid="ignore"):
        quantile = stats.t.ppf(0.5 + level / 2, np.where(df > 0, df, np.nan))
    return _Projection(rec, latest, t, y, line, scale, new_variance, df, quantile, weighted, level)


def _prediction_se(p: _Projection, tau: np.ndarray) -> np.ndarray:
    """Return the standard error of one new observation at ``tau`` periods after the latest."""
    line = p.line
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(p.scale * (p.new_variance + 1 / line.sw + (tau - line.tbar) ** 2 / line.stt))


def _per_series(frame: nw.DataFrame[Any], name: str, value: Any, last: np.ndarray) -> np.ndarray:
    """Return a number, or a column's value on each series' latest row."""
    per_row = _inputs.number_or_column(frame, name, value)
    return np.where(last >= 0, per_row[np.clip(last, 0, None)], np.nan)


def _described(p: _Projection) -> str:
    weights = "inverse-variance weights from 95% limits" if p.weighted else "equal weights"
    return (
        f"linear fit on the {p.t.shape[1]} most recent periods ({weights}), "
        f"{p.level * 100:g}% prediction interval"
    )
