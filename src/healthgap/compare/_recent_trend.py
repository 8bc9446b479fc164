"""Fingertips' recent trend: whether each series rises or falls over its last 5 points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT
from scipy import special, stats

from healthgap import _checks, _frames
from healthgap.compare import _inputs, _labels, _series
from healthgap.errors import InputError

__all__ = ["recent_trend"]

Kind = Literal["proportion", "rate", "other"]
KINDS = ("proportion", "rate", "other")

#: Fingertips tests the most recent five points (technical guidance, "Fingertips trend
#: markers"); its 99.8% critical value is CHIINV(0.002, 1) = 9.54953570608324.
POINTS = 5

_REASONS = (
    "fewer than {k} points",
    "fewer than {k} periods with a count and denominator",
    "fewer than {k} periods with a value and 95% limits (of non-zero width)",
    "a count is 0 or equals its denominator (the log-odds are infinite)",
    "not robust: the slope changes sign when one point is left out",
    "polarity not set: direction shown without judgement",
)
(_FEW, _NO_COUNTS, _NO_LIMITS, _EDGE_COUNTS, _NOT_ROBUST, _NO_POLARITY) = range(6)


class _Test(NamedTuple):
    """A test's result per series, and the points and weights its robustness check needs."""

    statistic: np.ndarray
    slope: np.ndarray
    y: np.ndarray
    weights: np.ndarray


def recent_trend(
    data: IntoFrameT,
    x: str | None = None,
    n: str | None = None,
    period: str = "period",
    *,
    value: str | None = None,
    lower_cl: str | None = None,
    upper_cl: str | None = None,
    group_by: str | Sequence[str] = (),
    polarity: str | None = None,
    kind: Kind = "proportion",
    points: int = POINTS,
    confidence: float = 0.998,
) -> IntoFrameT:
    r"""Test the recent trend of every series, as Fingertips' trend markers, all at once.

    Each series (one per ``group_by`` keys) is tested on its ``points`` most recent periods
    *that have valid data*, numbered :math:`t = 1, \dots, 5` whatever the gaps between them
    (a year with no measurement, such as the 2020/21 school year, is skipped), as Fingertips
    does.

    **Proportions** (``kind="proportion"``, from counts :math:`r_t` of :math:`n_t`): the
    chi-squared test for trend in proportions, with :math:`R = \sum r_t`,
    :math:`N = \sum n_t`,

    .. math:: \chi^2 = \frac{N \left(N \sum r_t t - R \sum n_t t\right)^2}
                            {R (N - R) \left(N \sum n_t t^2 - (\sum n_t t)^2\right)}

    and the trend is robust if the least-squares slope of :math:`\log(r_t / (n_t - r_t))` on
    :math:`t` keeps its sign when each point in turn is left out.

    **Rates and other values** (``kind="rate"`` or ``"other"``, from values :math:`y_t` with
    95% limits): the weighted least-squares slope :math:`\hat\beta` of :math:`y_t` on
    :math:`t`, weights :math:`w_t = 1/s_t^2` with :math:`s_t = (U_t - L_t)/3.92`, and
    :math:`\chi^2 = \hat\beta^2 \sum w_t (t - \bar t_w)^2`; robust if the weighted slope keeps
    its sign when each point in turn is left out.

    The trend is significant when :math:`\chi^2` exceeds the ``confidence`` quantile of
    :math:`\chi^2_1` (9.5495 at 99.8%) and it is robust.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per series and period.
    x, n : str, optional
        Columns of counts and denominators (``kind="proportion"``).
    period : str
        Column of periods as whole numbers (the year; 2019 for 2019/20). One row per series
        and period (rows without valid data may repeat a period). Fingertips tests annual,
        non-overlapping periods only: do not pass rolling or quarterly periods.
    value, lower_cl, upper_cl : str, optional
        Columns of values and their 95% limits (``kind="rate"`` or ``"other"``).
    group_by : str or list of str
        Keys of a series (area, indicator, sex, ...).
    polarity : str, optional
        ``"high_is_good"``, ``"low_is_good"``, ``"no_judgement"`` or a column of these (the
        series' latest row counts). Without one the labels are ``Increasing``/``Decreasing``;
        ``None`` or null also says so in ``reason``.
    kind : {"proportion", "rate", "other"}
        Which test (above).
    points : int
        How many recent points (Fingertips: 5; at least 3).
    confidence : float
        Significance level of the test (Fingertips: 99.8%).

    Returns
    -------
    Same kind of table as ``data``, one row per series: the keys, ``period`` (the series'
    latest period, named as the input column), ``points`` (points tested), ``slope`` (per
    period: of the log-odds for proportions, of the value otherwise), ``statistic``
    (:math:`\chi^2`), ``pvalue``, ``trend`` (``Increasing and getting better``,
    ``Increasing and getting worse``, ``Decreasing and getting better``,
    ``Decreasing and getting worse``, ``Increasing``, ``Decreasing``,
    ``No significant change`` or ``Cannot be calculated``), ``reason`` and ``method``.

    Notes
    -----
    "Cannot be calculated", with the reason, when a series has fewer than ``points`` periods
    with valid data (a count and denominator for proportions; a value and 95% limits of
    non-zero width otherwise), or, for proportions, when a count is 0 or equals its
    denominator. Rows without valid data are skipped, not counted as breaks (fingertips-open
    ``TrendMarkerCalculator.GetMostRecentData``); ``period`` is the series' latest period
    and ``points`` the number of valid periods tested. "No significant change" says in
    ``reason`` when the test was significant but not robust.

    References
    ----------
    .. [1] OHID. Fingertips technical guidance, "Fingertips trend markers" (criteria, the two
       tests, 99.8% significance); fingertips-open ``TrendMarkerCalculator`` (robustness by
       leaving out each point).
    .. [2] Armitage P, Berry G, Matthews JNS. Statistical Methods in Medical Research, 4th ed.
       Blackwell, 2002, section 15.2 (chi-squared test for trend in proportions).

    Examples
    --------
    A proportion rising steadily from 10% to 14% of 2,000 people a year:

    >>> import polars as pl
    >>> df = pl.DataFrame({"year": [2019, 2020, 2021, 2022, 2023],
    ...                    "x": [200, 220, 240, 260, 280], "n": [2000] * 5})
    >>> out = recent_trend(df, "x", "n", "year", polarity="low_is_good")
    >>> out.select("trend", pl.col("statistic").round(2)).row(0)
    ('Increasing and getting worse', 18.94)
    """
    frame = _frames.to_frame(data)
    _checks.one_of("kind", kind, KINDS)
    keys = _inputs.keys(frame, group_by)
    if period in keys:
        raise InputError(f"column '{period}' is the period: it must not be in group_by")
    if len(frame) == 0:
        raise InputError("argument 'data' has no rows")
    k = _points(points)
    level = _inputs.level(confidence)
    critical = float(stats.chi2.isf(1 - level, 1))
    t_all = _series.periods(frame, period)
    codes = _inputs.polarity(frame, polarity)

    if kind == "proportion":
        valid, arrays, described = _proportion_inputs(frame, x, n, value, lower_cl, upper_cl)
    else:
        valid, arrays, described = _value_inputs(frame, x, n, value, lower_cl, upper_cl, kind)
    described += f", significant at {level * 100:g}%, robust to leaving out a point"

    # Fingertips takes the k most recent periods *with valid data*, numbered 1..k whatever
    # the gaps between them (TrendMarkerCalculator.GetMostRecentData)
    recent = _series.recent(frame, keys, t_all, k, period, use=valid)
    run = np.minimum(recent.counts, k)
    complete = run == k

    reason = np.full(len(recent.counts), -1, dtype=np.int64)
    missing_reason = _NO_COUNTS if kind == "proportion" else _NO_LIMITS
    reason[~complete] = np.where(recent.all_counts < k, _FEW, missing_reason)[~complete]

    matrices = {name: _series.take(a, recent) for name, a in arrays.items()}
    if kind == "proportion":
        test = _proportion_test(matrices["x"], matrices["n"], k)
        edge = ((matrices["x"] == 0) | (matrices["x"] == matrices["n"])).any(axis=1)
        reason[complete & edge] = _EDGE_COUNTS
    else:
        test = _value_test(matrices["y"], matrices["se"], k)
    statistic, slope = test.statistic, test.slope
    computed = reason < 0
    significant = computed & (statistic > critical)
    candidates = np.flatnonzero(significant)
    robust = _robust(test, candidates)
    reason[candidates[~robust]] = _NOT_ROBUST
    significant[candidates[~robust]] = False

    latest = recent.rows[np.arange(len(run)), -1]
    polarity_code = np.where(latest >= 0, codes[np.maximum(latest, 0)], _inputs.UNSET)
    reason[significant & (polarity_code == _inputs.UNSET)] = _NO_POLARITY
    trend = _trend_codes(significant, slope, polarity_code, computed)
    statistic = np.where(computed, statistic, np.nan)
    slope = np.where(computed, slope, np.nan)

    base = recent.keys if recent.keys is not None else frame.select(nw.col(period).max())
    words = [r.format(k=k) for r in _REASONS]
    out = _labels.append(
        base,
        numbers={
            period: recent.last_period,
            "points": run.astype(float),
            "slope": slope,
            "statistic": statistic,
            "pvalue": np.where(computed, special.chdtrc(1, statistic), np.nan),
        },
        texts={"trend": (trend, _labels.TRENDS), "reason": (reason, words)},
        integers=[period, "points"],
    )
    out = out.with_columns(nw.lit(described).alias("method"))
    return _frames.to_native(out)


def _points(points: Any) -> int:
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 3:
        raise InputError(f"argument 'points' must be a whole number >= 3; got {points!r}")
    return int(points)


def _proportion_inputs(
    frame: nw.DataFrame[Any],
    x: str | None,
    n: str | None,
    value: str | None,
    lower_cl: str | None,
    upper_cl: str | None,
) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    if x is None or n is None:
        raise InputError("kind='proportion' needs 'x' and 'n' (counts and denominators)")
    if value is not None or lower_cl is not None or upper_cl is not None:
        raise InputError(
            "kind='proportion' uses 'x' and 'n'; 'value', 'lower_cl' and 'upper_cl' "
            "are for kind='rate' or 'other'"
        )
    _checks.numeric(frame, x, n)
    xs, ns = _frames.column(frame, x), _frames.column(frame, n)
    checks = _checks.RowChecks(len(frame))
    checks.rule(xs < 0, f"column '{x}' must be >= 0", xs)
    checks.rule(ns <= 0, f"column '{n}' must be > 0", ns)
    checks.at_most(x, xs, n, ns)
    checks.resolve("raise")
    valid = np.isfinite(xs) & np.isfinite(ns)
    return valid, {"x": xs, "n": ns}, "chi-squared test for trend in proportions"


def _value_inputs(
    frame: nw.DataFrame[Any],
    x: str | None,
    n: str | None,
    value: str | None,
    lower_cl: str | None,
    upper_cl: str | None,
    kind: str,
) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    if value is None or lower_cl is None or upper_cl is None:
        raise InputError(f"kind={kind!r} needs 'value', 'lower_cl' and 'upper_cl' (95% limits)")
    if x is not None or n is not None:
        raise InputError(
            f"kind={kind!r} uses 'value', 'lower_cl' and 'upper_cl'; 'x' and 'n' are "
            "for kind='proportion'"
        )
    _checks.numeric(frame, value, lower_cl, upper_cl)
    y = _frames.column(frame, value)
    lo, hi = _frames.column(frame, lower_cl), _frames.column(frame, upper_cl)
    _inputs.limits_in_order(lo, hi, lower_cl, upper_cl)
    se = (hi - lo) / _series.SE_DIVISOR_95
    valid = np.isfinite(y) & np.isfinite(se) & (se > 0)
    return valid, {"y": y, "se": se}, "weighted regression on values (95% limits)"


def _proportion_test(r: np.ndarray, n: np.ndarray, k: int) -> _Test:
    """Chi-squared for trend in proportions and the log-odds slope, per series.

    The direction is the sign of the log-odds slope; a robust trend has every leave-one-out
    log-odds slope of that sign (fingertips-open ``TrendMarkerCalculator``).
    """
    t = np.arange(1, k + 1, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        big_r, big_n = r.sum(axis=1), n.sum(axis=1)
        srt, snt, sntt = r @ t, n @ t, n @ t**2
        lead = big_n * srt - big_r * snt
        statistic = big_n * lead**2 / (big_r * (big_n - big_r) * (big_n * sntt - snt**2))
        logit = np.log(r / (n - r))
    weights = np.ones_like(r)
    return _Test(statistic, _slopes(t, logit, weights)[0], logit, weights)


def _value_test(y: np.ndarray, se: np.ndarray, k: int) -> _Test:
    """Weighted least-squares slope of the values and its chi-squared, per series."""
    t = np.arange(1, k + 1, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = 1 / se**2
        slope = _slopes(t, y, w)[0]
        sw, swt, swtt = w.sum(axis=1), w @ t, w @ t**2
        statistic = slope**2 * (swtt - swt**2 / sw)
    return _Test(statistic, slope, y, w)


def _robust(test: _Test, rows: np.ndarray) -> np.ndarray:
    """Whether the slope keeps its sign when each point is left out, for ``rows`` only."""
    t = np.arange(1, test.y.shape[1] + 1, dtype=float)
    return _same_sign(_slopes(t, test.y[rows], test.weights[rows], leave_out=True))


def _slopes(t: np.ndarray, y: np.ndarray, w: np.ndarray, *, leave_out: bool = False) -> np.ndarray:
    """Weighted slopes of ``y`` on ``t``: all points, then (``leave_out``) each left out.

    Returns ``(1, series)`` or ``(k + 1, series)``; each leave-one-out slope comes from the
    sums less that point's share.
    """
    shares = (w, w * t, w * y, w * t * t, w * t * y)
    totals = [s.sum(axis=1) for s in shares]

    def slope(sw, st, sy, stt, sty):
        return (sw * sty - st * sy) / (sw * stt - st**2)

    with np.errstate(invalid="ignore", divide="ignore"):
        full = slope(*totals)[None, :]
        if not leave_out:
            return full
        without = slope(
            *(total[:, None] - share for total, share in zip(totals, shares, strict=True))
        )
    return np.vstack([full, without.T])


def _same_sign(slopes: np.ndarray) -> np.ndarray:
    """Tell where every slope has the same sign (zero counts as positive, as in Fingertips)."""
    negative = slopes < 0
    return negative.all(axis=0) | (~negative & np.isfinite(slopes)).all(axis=0)


def _trend_codes(
    significant: np.ndarray, slope: np.ndarray, polarity: np.ndarray, computed: np.ndarray
) -> np.ndarray:
    """Index into :data:`healthgap.compare._labels.TRENDS` per series."""
    up = slope > 0
    judged = np.where(polarity == _inputs.HIGH, np.where(up, 0, 3), np.where(up, 1, 2))
    code = np.where(
        (polarity == _inputs.HIGH) | (polarity == _inputs.LOW), judged, np.where(up, 4, 5)
    )
    code = np.where(significant, code, 6)
    return np.where(computed, code, 7)
