"""Slope and relative index of inequality, OHID's method (PHEindicatormethods' ``phe_sii``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT
from scipy import special

from healthgap import _checks, _frames, _limits, _output
from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import _simulation

__all__ = ["sii"]

#: Quantile counts OHID's method accepts (PHE technical guidance, SII; phe_sii).
MIN_QUANTILES, MAX_QUANTILES = 5, 100
#: Fewest simulation repetitions accepted (phe_sii).
MIN_REPETITIONS = 1000
#: Most repetitions accepted: 100 times phe_sii's default, far past any gain in precision
#: (the limits' Monte Carlo error falls as 1/sqrt(R)); more would need hours and gigabytes.
MAX_REPETITIONS = 10_000_000
#: Runs whose spread gives the reliability statistic (phe_sii ``reliability_stat``).
RELIABILITY_RUNS = 10
#: The limits given as input are 95% limits (phe_sii hard-codes this).
_Z95 = _limits.z_value(0.95)
_VALUE_TYPES = {0: "normal", 1: "rate", 2: "proportion"}
_TRANSFORMS = {1: "log", 2: "logit"}
_TYPES = ("value", "lower", "upper", "standard", "full")
#: The parameter columns phe_sii adds with type = "full".
_R_PARAMETERS = ("indicator_type", "multiplier", "transform", "CI_confidence", "CI_method")


class _Fit(NamedTuple):
    """Weighted least-squares fit of value on relative rank: coefficients and linear weights."""

    intercept: np.ndarray
    slope: np.ndarray
    w_intercept: np.ndarray
    w_slope: np.ndarray


def _fit(a: np.ndarray, y: np.ndarray) -> _Fit:
    """Closed-form WLS of y on (1, rank) with weights a, all groups at once (Low & Low 2004).

    ``a`` are population shares ``(G, Q)`` summing to 1 per row; the rank is the midpoint of
    each quantile's share of the cumulative population. Both coefficients are linear in
    ``y``: ``slope = w_slope @ y``, ``intercept = w_intercept @ y``.
    """
    rank = np.cumsum(a, axis=1) - a / 2
    mean_rank = np.sum(a * rank, axis=1, keepdims=True)
    centred = rank - mean_rank
    sxx = np.sum(a * centred**2, axis=1, keepdims=True)
    w_slope = a * centred / sxx
    w_intercept = a - w_slope * mean_rank
    return _Fit(np.sum(w_intercept * y, axis=1), np.sum(w_slope * y, axis=1), w_intercept, w_slope)


def _link(values: np.ndarray, value_type: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if value_type == 1:
            return np.log(values)
        if value_type == 2:
            return special.logit(values)
    return values


def _inverse(value_type: int) -> Any:
    return {1: np.exp, 2: special.expit}.get(value_type)


def _back(values: np.ndarray, value_type: int) -> np.ndarray:
    inverse = _inverse(value_type)
    return values if inverse is None else inverse(values)


class _Estimates(NamedTuple):
    sii: np.ndarray
    rii: np.ndarray
    intercept: np.ndarray
    limits: dict[float, dict[str, np.ndarray]]
    mad: dict[float, dict[str, np.ndarray]]


def _core(
    a: np.ndarray,
    t: np.ndarray,
    se: np.ndarray,
    *,
    value_type: int,
    transform: bool,
    multiplier: float,
    levels: Sequence[float],
    repetitions: int,
    rii: bool,
    reliability: bool,
    seed: _simulation.Seed,
) -> _Estimates:
    """SII, RII and simulated limits for all groups (PHE technical guidance, SII).

    ``t`` holds the values on the link scale (log for rates, logit for proportions) and ``se``
    their standard errors on that scale; draws are normal on the link scale.
    """
    y = t if transform else _back(t, value_type)
    fit = _fit(a, y)
    flip = multiplier < 0
    if transform:
        lo_end, hi_end = (
            _back(fit.intercept, value_type),
            _back(fit.intercept + fit.slope, value_type),
        )
        sii, ratio, intercept = (hi_end - lo_end) * multiplier, hi_end / lo_end, lo_end
        midpoint = fit.intercept + fit.slope / 2
    else:
        sii, intercept = fit.slope * multiplier, fit.intercept
        ratio = (fit.intercept + fit.slope) / fit.intercept
    ratio = 1 / ratio if flip else ratio
    intercept = intercept * abs(multiplier)

    want_ratio = rii and not transform
    weights = np.stack([fit.w_slope, fit.w_intercept]) if want_ratio else fit.w_slope[None]
    inverse = None if transform else _inverse(value_type)
    if inverse is None:
        # the fit is linear in normal values: draw its coefficients' exact joint normal
        var = se**2
        mean = np.stack([np.sum(w * t, axis=1) for w in weights])
        cov = np.stack([[np.sum(wi * wj * var, axis=1) for wj in weights] for wi in weights])
    positions = [p for level in levels for p in _simulation.order_positions(repetitions, level)]
    n_groups, n_q = t.shape
    n_stats = len(weights)

    def simulate(seed_run: np.random.SeedSequence) -> np.ndarray:
        """Order statistics (position, stat, group): simulated SII (x multiplier) and RII."""
        found = np.empty((len(positions), n_stats, n_groups))

        def block(g0: int, g1: int, rng: np.random.Generator, scratch: _simulation.Scratch) -> None:
            # numpy's error state is per thread: set it here, where the blocks run
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                _block(g0, g1, rng, scratch)

        def _block(
            g0: int, g1: int, rng: np.random.Generator, scratch: _simulation.Scratch
        ) -> None:
            if inverse is None:
                draws = _simulation.exact_linear_draws(
                    rng, scratch, mean[:, g0:g1], cov[:, :, g0:g1], repetitions
                )
            else:
                draws = _simulation.refit_draws(
                    rng, scratch, t[g0:g1], se[g0:g1], weights[:, g0:g1], repetitions, inverse
                )
            if want_ratio:
                ratio = draws[1]
                np.divide(draws[0], ratio, out=ratio)
                ratio += 1
                if flip:
                    np.reciprocal(ratio, out=ratio)
            if not transform:
                draws[0] *= multiplier
            found[:, :, g0:g1] = _simulation.order_statistics(draws, positions)

        per_group = repetitions * (n_q + n_stats if inverse is not None else n_stats + 1)
        _simulation.run_blocks(n_groups, per_group, seed_run, block)
        return found

    root = _simulation.seed_sequence(seed)
    per_run: list[dict[float, dict[str, np.ndarray]]] = []
    for run in root.spawn(RELIABILITY_RUNS if reliability else 1):
        stats = simulate(run)
        found: dict[float, dict[str, np.ndarray]] = {}
        for i, level in enumerate(levels):
            lower, upper = stats[2 * i], stats[2 * i + 1]
            if transform:
                # limits of the slope on the link scale, taken back around the fitted
                # midpoint (phe_sii with transform = TRUE)
                (l0, l1), (u0, u1) = [
                    (_back(midpoint - s / 2, value_type), _back(midpoint + s / 2, value_type))
                    for s in (lower[0], upper[0])
                ]
                lims = {
                    "sii": ((l1 - l0) * multiplier, (u1 - u0) * multiplier),
                    "rii": (l1 / l0, u1 / u0),
                }
                if flip:
                    lims = {"sii": lims["sii"][::-1], "rii": (u0 / u1, l0 / l1)}
            else:
                lims = {"sii": (lower[0], upper[0])}
                if want_ratio:
                    lims["rii"] = (lower[1], upper[1])
            found[level] = {
                f"{k}_{side}": v[j]
                for k, v in lims.items()
                for j, side in enumerate(("lower", "upper"))
            }
        per_run.append(found)

    mad: dict[float, dict[str, np.ndarray]] = {}
    if reliability:
        for level in levels:
            mad[level] = {}
            for stat in ("sii", "rii") if rii else ("sii",):
                diffs = [
                    np.abs(run[level][f"{stat}_{side}"] - per_run[0][level][f"{stat}_{side}"])
                    for run in per_run[1:]
                    for side in ("lower", "upper")
                ]
                mad[level][stat] = np.mean(diffs, axis=0)
    return _Estimates(sii, ratio, intercept, per_run[0], mad)


def _names(levels: Sequence[float]) -> dict[float, str]:
    return {level: _output.level_suffix(level) for level in levels}


def sii(
    data: IntoFrameT,
    quantile: str,
    population: str,
    *,
    x: str | None = None,
    value: str | None = None,
    value_type: int = 0,
    lower_cl: str | None = None,
    upper_cl: str | None = None,
    se: str | None = None,
    group_by: str | Sequence[str] = (),
    multiplier: float = 1,
    repetitions: int = 100_000,
    confidence: _checks.Confidence = 0.95,
    rii: bool = False,
    intercept: bool = False,
    reliability_stat: bool = False,
    type: str = "full",
    transform: bool = False,
    seed: int | np.random.SeedSequence | None = None,
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Slope and relative index of inequality by OHID's method, for every group at once.

    Within each group the quantiles (e.g. deprivation deciles, 1 = most deprived) are ordered
    and given population shares :math:`a_i = n_i / \sum_j n_j` and relative ranks
    :math:`b_i = \sum_{j<i} a_j + a_i/2`. Least squares of :math:`\sqrt{a_i} y_i` on
    :math:`\sqrt{a_i}` and :math:`b_i\sqrt{a_i}` without intercept (a regression of
    :math:`y` on :math:`b` weighted by :math:`a`) gives :math:`y = \beta_0 + \beta_1 b`, and

    .. math:: \mathrm{SII} = m\,\beta_1, \qquad \mathrm{RII} = (\beta_0 + \beta_1)/\beta_0

    with :math:`m` the ``multiplier`` (RII is inverted when :math:`m < 0`). The estimates
    are exact (closed-form weighted least squares).

    With ``transform=True`` (rates and proportions) the fit is made on the log or logit scale
    and taken back: :math:`\mathrm{SII} = m\,(f(\beta_0 + \beta_1) - f(\beta_0))`,
    :math:`\mathrm{RII} = f(\beta_0 + \beta_1)/f(\beta_0)`, with :math:`f` = exp or expit.

    Confidence limits come from Monte Carlo simulation: each quantile's value is drawn
    ``repetitions`` times from a normal distribution with its standard error (on the log
    scale for rates and the logit scale for proportions, taken back unless ``transform``),
    the fit is repeated on every draw and the limits are the draws' order statistics
    :math:`\mathrm{round}(R\alpha/2)` and :math:`\mathrm{round}(R(1-\alpha/2))` (1-based).
    With ``transform``, the simulated limits of :math:`\beta_1` are taken back around the
    fitted midpoint :math:`c = \beta_0 + \beta_1/2`:
    :math:`m\,(f(c + s/2) - f(c - s/2))`.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per group and quantile.
    quantile : str
        Column of numeric quantile labels (sorted ascending from the most
        disadvantaged); 5 to 100 distinct labels in the data, each at most once per group.
    population : str
        Column of quantile populations; ``> 0`` and never missing.
    x : str, optional
        Column of counts. For proportions (``value_type=2``) without ``value``, the value is
        ``x / population``. When neither ``se`` nor the limits are given, the standard error
        on the link scale is :math:`1/\sqrt{x}` (rates, Poisson) or
        :math:`\sqrt{1/x + 1/(n - x)}` (proportions, binomial); this is an extension of
        phe_sii, which requires limits or standard errors.
    value : str, optional
        Column of indicator values (required unless ``value_type=2`` and ``x`` is given).
        Rates must be ``> 0`` and proportions within 0-1; a proportion of 0 or 1 (infinite
        on the logit scale, where the draws are made) withholds its group.
    value_type : {0, 1, 2}, default 0
        0 normal, 1 rate (log scale), 2 proportion (logit scale).
    lower_cl, upper_cl : str, optional
        Columns of the values' 95% confidence limits; the standard error on the link scale is
        :math:`(g(U) - g(L)) / (2 \times 1.959964)`.
    se : str, optional
        Column of standard errors, ``>= 0``; used as given, on the link scale (log for rates,
        logit for proportions), as phe_sii does. Not allowed with ``transform``.
    group_by : str or sequence of str, default ()
        Columns defining groups (one SII each); output rows are in sorted key order.
    multiplier : float, default 1
        Scale of the SII and its limits (and the ``intercept``); non-zero. A negative
        multiplier flips the polarity: SII limits swap and the RII is inverted.
    repetitions : int, default 100000
        Simulation draws, from 1,000 to 10,000,000.
    confidence : float, pair of floats, default 0.95
        Level(s) of the SII limits: one level in 0.9-1 (or 90-100) or the pair (0.95, 0.998).
    rii : bool, default False
        Also return the RII and its limits.
    intercept : bool, default False
        Also return the fitted value at rank 0 (times ``|multiplier|``), as phe_sii 2.x does.
    reliability_stat : bool, default False
        Run the simulation 10 times and return the mean absolute difference of the limits of
        runs 2-10 from those of run 1 (``sii_mad95_0``, ...); the limits are those of run 1,
        identical to a call without ``reliability_stat``.
    type : {'full', 'standard', 'value', 'lower', 'upper'}, default 'full'
        ``'standard'``: keys and estimates; ``'full'``: also ``confidence``, ``statistic``,
        ``method``; ``'value'``/``'lower'``/``'upper'``: keys and those columns only.
    transform : bool, default False
        Fit on the log (rates) or logit (proportions) scale; needs ``value_type`` 1 or 2 and
        the confidence limits (or ``x``), not ``se``.
    seed : int, numpy.random.SeedSequence or None, default None
        Seed of the simulation; the same seed and input give the same limits.
    errors : {'raise', 'flag'}, default 'raise'
        ``'flag'`` withholds the groups with bad rows (non-positive populations, negative
        standard errors, values or limits out of range), the reason in ``statistic``, instead
        of raising.

    Returns
    -------
    Same type as ``data``
        The ``group_by`` columns, ``sii``, ``sii_lower95_0cl``, ``sii_upper95_0cl`` (one pair
        per level, named as phe_sii names them), then when asked ``rii`` and its limits,
        ``intercept``, ``sii_mad95_0`` (and ``rii_mad95_0``), and with ``type='full'``
        phe_sii's parameter columns ``indicator_type`` ("normal", "rate" or "proportion"),
        ``multiplier``, ``transform``, ``CI_confidence`` ("95%", "95%, 99.8%") and
        ``CI_method`` ("simulation 100000 reps"), then ``confidence``, ``statistic``
        (indicator type, transform, multiplier, or why a group was withheld) and ``method``
        (the convention: "OHID SII (Low & Low 2004) ..."). With ``transform=True`` the limit
        columns keep the ``cl`` suffix (phe_sii drops it there: ``sii_lower95_0``).

    Notes
    -----
    Groups missing a quantile, or with a missing value, limit or standard error, are withheld
    (null results, the reason in ``statistic``) with one
    :class:`~healthgap.errors.SuppressedWarning`, even when no group can be computed (each
    group keeps its row, with its keys). Non-positive populations, negative
    standard errors, proportions outside 0-1 and non-positive rates are errors naming the
    rows. With more than 10 quantiles small values can make the SII unstable (OHID).

    The draws are made in blocks of groups held in reused single-precision buffers of 16 MB
    per thread, so memory stays bounded (tens of MB for 300 groups x 10 deciles x 100,000
    repetitions). When the fit is linear in the drawn values (normal values, or
    ``transform``) the two coefficients are drawn from their exact joint normal
    distribution instead of drawing every quantile and refitting: the same distribution as
    phe_sii's simulation at a tenth of the cost. Rates and proportions without ``transform``
    draw every quantile value on the link scale and refit.

    References
    ----------
    .. [1] Low A, Low A. Measuring the gap: quantifying and comparing local health
       inequalities. J Public Health 2004;26:388-395. doi:10.1093/pubmed/fdh175
    .. [2] Public Health England. Technical guidance: slope index of inequality (SII), Public
       Health Outcomes Framework; and PHEindicatormethods 2.1.0, ``phe_sii``.

    Examples
    --------
    A perfectly linear gradient from 70 to 79 years over ten equal deciles: the fitted line
    runs from 69.5 at rank 0 to 79.5 at rank 1, so the SII is 10 and the RII 79.5/69.5.

    >>> import polars as pl
    >>> d = pl.DataFrame({"decile": range(1, 11), "pop": [1000] * 10,
    ...                   "le": [70.0 + i for i in range(10)], "se": [0.5] * 10})
    >>> out = sii(d, "decile", "pop", value="le", se="se", rii=True, repetitions=1000,
    ...           seed=1)
    >>> round(out["sii"][0], 9), round(out["rii"][0], 6)
    (10.0, 1.143885)
    >>> bool(out["sii_lower95_0cl"][0] < 10 < out["sii_upper95_0cl"][0])
    True
    """
    frame = _frames.to_frame(data)
    keys = _frames.as_names(group_by)
    levels = _checks.confidence(confidence)
    if not levels:
        raise InputError("confidence must be given for sii (its limits are simulated)")
    _checks.one_of("value_type", value_type, (0, 1, 2))
    _checks.one_of("type", type, _TYPES)
    _checks.one_of("errors", errors, ("raise", "flag"))
    transform = _checks.boolean("transform", transform)
    rii = _checks.boolean("rii", rii)
    intercept = _checks.boolean("intercept", intercept)
    reliability_stat = _checks.boolean("reliability_stat", reliability_stat)
    multiplier = _checks.number("multiplier", multiplier)
    if multiplier == 0:
        raise InputError("argument 'multiplier' must not be 0")
    repetitions = _checks.repetitions(repetitions, MIN_REPETITIONS, MAX_REPETITIONS)
    if value is None and not (value_type == 2 and x is not None):
        raise InputError("sii needs a 'value' column, or 'x' with value_type=2 (proportions)")
    has_limits = lower_cl is not None and upper_cl is not None
    if (lower_cl is None) != (upper_cl is None):
        raise InputError("give both 'lower_cl' and 'upper_cl', or neither")
    if se is None and not has_limits and not (x is not None and value_type in (1, 2)):
        raise InputError(
            "sii needs 'se', or 'lower_cl' and 'upper_cl' (or 'x' for rates and proportions)"
        )
    if transform:
        if value_type == 0:
            raise InputError("transform=True needs value_type 1 (rate) or 2 (proportion)")
        if se is not None:
            raise InputError(
                "transform=True needs the confidence limits, not 'se' "
                "(the standard error is derived on the transformed scale)"
            )
    _checks.numeric(frame, quantile, population, x, value, lower_cl, upper_cl, se)
    _checks.columns(frame, *keys)
    if len(frame) == 0:
        raise InputError("argument 'data' has no rows")

    # 1. validate rows
    n_rows = len(frame)
    gid, key_frame = _frames.group_ids(frame, keys)
    n_groups = 1 if key_frame is None else len(key_frame)
    pop = _frames.column(frame, population)
    checks = _checks.RowChecks(n_rows, gid)
    checks.positive_column(population, pop)
    xs = _frames.column(frame, x) if x is not None else None
    vals = _frames.column(frame, value) if value is not None else None
    if xs is not None:
        checks.rule(np.isfinite(xs) & (xs < 0), f"column '{x}' must be >= 0", xs)
        if value_type == 2:
            assert x is not None
            checks.at_most(x, xs, population, pop)
    if vals is None:
        assert xs is not None
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = xs / pop
    label = value if value is not None else f"{x}/{population}"
    if value_type == 1:
        checks.rule(np.isfinite(vals) & (vals <= 0), f"rates in '{label}' must be > 0", vals)
    elif value_type == 2:
        checks.rule((vals < 0) | (vals > 1), f"proportions in '{label}' must be within 0-1", vals)
    lo = hi = ses = None
    if se is not None:
        ses = _frames.column(frame, se)
        checks.rule(ses < 0, f"column '{se}' must be >= 0", ses)
    elif lower_cl is not None and upper_cl is not None:
        lo, hi = _frames.column(frame, lower_cl), _frames.column(frame, upper_cl)
        checks.rule(lo > hi, f"column '{lower_cl}' must be <= column '{upper_cl}'", lo)
        if value_type == 2:
            for name, arr in ((lower_cl, lo), (upper_cl, hi)):
                checks.rule(
                    (arr < 0) | (arr > 1), f"proportion limits in '{name}' must be within 0-1", arr
                )
        if value_type == 1:
            checks.rule(lo <= 0, f"rate limits in '{lower_cl}' must be > 0", lo)
    row_reasons = checks.resolve(errors)
    flagged = np.zeros(n_groups, dtype=bool)
    if row_reasons is not None:
        flagged = np.not_equal(row_reasons, np.array(None))

    # 2. groups x quantiles
    q_raw = frame[quantile].to_numpy()
    q_levels = np.unique(q_raw)
    n_q = len(q_levels)
    if not MIN_QUANTILES <= n_q <= MAX_QUANTILES:
        raise InputError(
            f"column '{quantile}' must hold between {MIN_QUANTILES} and "
            f"{MAX_QUANTILES} distinct quantiles; found {n_q}"
        )
    qid = np.searchsorted(q_levels, q_raw)
    cell = gid * n_q + qid
    counts = np.bincount(cell, minlength=n_groups * n_q)
    if (counts > 1).any():
        dup = counts[cell] > 1
        raise InputError(
            f"each quantile must appear once per group; duplicated "
            f"'{quantile}' values: {_checks.where(dup, q_raw)}"
        )

    if ses is not None:
        se_t = ses
    elif has_limits:
        assert lo is not None
        assert hi is not None
        se_t = (_link(hi, value_type) - _link(lo, value_type)) / (2 * _Z95)
    else:
        assert xs is not None
        with np.errstate(divide="ignore", invalid="ignore"):
            se_t = 1 / np.sqrt(xs) if value_type == 1 else np.sqrt(1 / xs + 1 / (pop - xs))
    t = _link(vals, value_type)

    def grid(arr: np.ndarray) -> np.ndarray:
        out = np.full(n_groups * n_q, np.nan)
        out[cell] = arr
        return out.reshape(n_groups, n_q)

    a_g, t_g, se_g = grid(pop), grid(t), grid(se_t)
    missing_q = (counts.reshape(n_groups, n_q) == 0).any(axis=1) & ~flagged
    bad_input = (~np.isfinite(t_g) | ~np.isfinite(se_g)).any(axis=1) & ~missing_q & ~flagged
    # every group withheld (one area missing a value, say) still gives its rows, keys and
    # reasons, as every other method does, not an error
    withheld = missing_q | bad_input | flagged
    a_g = np.where(withheld[:, None], 1.0, a_g)
    t_g = np.where(withheld[:, None], 1.0, t_g)
    se_g = np.where(withheld[:, None], 0.0, se_g)
    a_g = a_g / a_g.sum(axis=1, keepdims=True)

    # 3. core (a fitted value of 0 at rank 0 gives an infinite RII, as in phe_sii)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = _core(
            a_g,
            t_g,
            se_g,
            value_type=value_type,
            transform=transform,
            multiplier=multiplier,
            levels=levels,
            repetitions=int(repetitions),
            rii=rii,
            reliability=reliability_stat,
            seed=seed,
        )

    # 4. output
    base = key_frame if key_frame is not None else frame.select(nw.len().alias("__one__"))
    arrays: dict[str, Any] = {"sii": est.sii}
    suffix = _names(levels)
    stats = ("sii", "rii") if rii else ("sii",)
    lower_cols, upper_cols = [], []
    for stat in stats:
        if stat == "rii":
            arrays["rii"] = est.rii
        for level in levels:
            lo_name, hi_name = f"{stat}_lower{suffix[level]}cl", f"{stat}_upper{suffix[level]}cl"
            arrays[lo_name] = est.limits[level][f"{stat}_lower"]
            arrays[hi_name] = est.limits[level][f"{stat}_upper"]
            lower_cols.append(lo_name)
            upper_cols.append(hi_name)
    if intercept:
        arrays["intercept"] = est.intercept
    for level in levels if reliability_stat else ():
        for stat in stats:
            arrays[f"{stat}_mad{suffix[level]}"] = est.mad[level][stat]
    arrays = {k: np.where(withheld, np.nan, v) for k, v in arrays.items()}
    estimate_cols = list(arrays)

    kind = _VALUE_TYPES[value_type]
    scale = f"{_TRANSFORMS[value_type]}-transformed" if transform else "untransformed"
    stat_text = (
        f"SII{' and RII' if rii else ''} of {kind} values ({scale}), multiplier {multiplier:g}"
    )
    statistic = np.full(n_groups, stat_text, dtype=object)
    statistic[missing_q] = f"sii NA: group misses one of the {n_q} quantiles"
    statistic[bad_input] = (
        "sii NA: missing value, limit or standard error (or one infinite on the log/logit scale)"
    )
    if row_reasons is not None and flagged.any():
        statistic[flagged] = np.char.add("sii NA: ", row_reasons[flagged].astype(str))
    se_source = (
        "standard errors as given"
        if se is not None
        else "standard errors from 95% limits"
        if has_limits
        else "standard errors from counts"
    )
    method = (
        f"OHID SII (Low & Low 2004): population-weighted least squares on relative "
        f"rank{', ' + _TRANSFORMS[value_type] + ' scale' if transform else ''}; limits "
        f"by simulation, {int(repetitions):,} repetitions, {se_source}"
    )
    # phe_sii's parameter columns (type = "full")
    arrays["indicator_type"] = kind
    arrays["multiplier"] = np.full(n_groups, float(multiplier))
    arrays["transform"] = np.full(n_groups, transform)
    arrays["CI_confidence"] = _output.level_label(levels)
    arrays["CI_method"] = f"simulation {int(repetitions)} reps"
    arrays["confidence"] = _output.level_label(levels)
    arrays["statistic"] = statistic
    arrays["method"] = method
    out = _output.with_arrays(base, arrays)
    out = out.with_columns(nw.col(c).fill_nan(None) for c in estimate_cols)
    if withheld.any():
        first = np.flatnonzero(withheld)[0]
        where = f"first: {key_frame.row(int(first))}" if key_frame is not None else ""
        warnings.warn(
            f"sii withheld for {int(withheld.sum()):,} of {n_groups:,} groups with a "
            f"missing quantile or missing values{' or invalid rows' if flagged.any() else ''}"
            f" ({where})",
            SuppressedWarning,
            stacklevel=2,
        )

    cols = list(keys)
    if type == "value":
        cols += [c for c in ("sii", "rii") if c in arrays]
    elif type == "lower":
        cols += lower_cols
    elif type == "upper":
        cols += upper_cols
    else:
        cols += estimate_cols
        if type == "full":
            cols += [*_R_PARAMETERS, *_output.META]
    return _frames.to_native(out.select(cols))
