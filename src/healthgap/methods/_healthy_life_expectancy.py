"""Healthy (or disability-free) life expectancy by Sullivan's method."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames, _output
from healthgap._limits import z_value
from healthgap.errors import InputError
from healthgap.methods import _aggregate
from healthgap.methods._expectancy import assemble, expectancies, prepare

__all__ = ["healthy_life_expectancy"]

METHOD = "Sullivan, Chiang II life table, Silcocks et al. for the open age band"


def healthy_life_expectancy(
    data: IntoFrameT,
    deaths: str,
    population: str,
    startage: str,
    prevalence: str,
    *,
    prevalence_n: str | None = None,
    prevalence_se: str | None = None,
    prevalence_limits: tuple[str, str] | None = None,
    prevalence_of: Literal["healthy", "unhealthy"] = "healthy",
    group_by: str | Sequence[str] = (),
    age_contents: Sequence[Any] | str | None = None,
    hle_age: Any = "all",
    type: _output.OutputType = "full",
    confidence: _checks.Confidence = 0.95,
    errors: _checks.OnError = "flag",
) -> IntoFrameT:
    r"""Healthy life expectancy by Sullivan's method, with its confidence limits, for all groups.

    The life table is that of :func:`~healthgap.methods.life_expectancy` (Chiang II, OHID's
    :math:`a_x`, :math:`l_0 = 100\,000`). With :math:`\pi_j` the proportion of band
    :math:`j` in good health, the health expectancy at age :math:`x` is

    .. math:: \mathrm{HLE}_x = \frac{1}{l_x} \sum_{j \ge x} \pi_j L_j

    and its variance adds the life-table term (Chiang's, with Silcocks et al.'s term for the
    open band :math:`\omega`) to the prevalence term of Jagger et al.:

    .. math::
        \mathrm{Var}(\mathrm{HLE}_x) = \frac{1}{l_x^2} \Big[ \sum_{x \le j < \omega} l_j^2
        \big((1 - a_j) n_j \pi_j + \mathrm{HLE}_{j+n}\big)^2 \frac{q_j^2 (1 - q_j)}{D_j}
        + \frac{\pi_\omega^2 l_\omega^2}{D_\omega M_\omega^2}
        + \sum_{j \ge x} L_j^2 \,\mathrm{Var}(\pi_j) \Big],

    with :math:`\mathrm{Var}(\pi_j) = \pi_j (1 - \pi_j) / N_j` from the survey sample sizes
    :math:`N_j` (or the square of a given standard error, or of the half-width of given 95%
    limits divided by :math:`z_{0.975}`). The limits are
    :math:`\mathrm{HLE}_x \mp z \sqrt{\mathrm{Var}}`. With :math:`\pi \equiv 1` this is
    exactly life expectancy and its variance.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per group and age band (exactly one: prevalences cannot be added up).
    deaths, population, startage : str
        As in :func:`~healthgap.methods.life_expectancy`.
    prevalence : str
        Column of the proportion (0 to 1) of the band in good health (``prevalence_of=
        'healthy'``) or in ill health / with disability (``'unhealthy'``).
    prevalence_n : str, optional
        Column of survey sample sizes :math:`N_j > 0` behind each prevalence.
    prevalence_se : str, optional
        Column of standard errors of each prevalence (``>= 0``; 0 treats it as known).
    prevalence_limits : (str, str), optional
        Columns of the lower and upper 95% limits of each prevalence.
        Exactly one of ``prevalence_n``, ``prevalence_se``, ``prevalence_limits`` is needed
        when ``confidence`` is not ``None``.
    prevalence_of : {'healthy', 'unhealthy'}, default 'healthy'
        What ``prevalence`` measures; ``'unhealthy'`` uses :math:`1 - \pi` as the weight
        (disability-free life expectancy from the prevalence of disability).
    group_by, age_contents, type, confidence, errors
        As in :func:`~healthgap.methods.life_expectancy`; ``errors`` also covers the
        prevalence columns (a prevalence outside 0-1 is bad input).
    hle_age : 'all', age or sequence of ages, default 'all'
        The band starts to return.

    Returns
    -------
    Same type as ``data``
        One row per group and age band: the ``group_by`` columns, ``startage``, ``value``
        (healthy life expectancy), limits; ``type='full'`` adds ``pops_used``,
        ``dths_used``, ``life_expectancy`` (from the same life table), ``confidence``,
        ``statistic`` ("healthy life expectancy at 0") and ``method`` (naming the layout).

    Notes
    -----
    The groups OHID withholds for life expectancy (total population 5,000 or less, no
    deaths in the open band, bad input under ``errors='flag'``) are withheld here too. The
    20-year rule for life expectancy is not applied: OHID defines none for health
    expectancies.

    References
    ----------
    .. [1] Sullivan DF. A single index of mortality and morbidity. HSMHA Health Rep
       1971;86:347-54.
    .. [2] Jagger C, Cox B, Le Roy S, EHEMU. Health expectancy calculation by the Sullivan
       method: a practical guide. EHEMU Technical report, 3rd ed, 2006 (REVES/EHEMU; updated
       2014), section 3 (standard error of the health expectancy).
    .. [3] Chiang CL. Introduction to Stochastic Processes in Biostatistics. Wiley, 1968.
    .. [4] Silcocks PBS, Jenner DA, Reza R. J Epidemiol Community Health 2001;55:38-43.

    Examples
    --------
    Everyone healthy: healthy life expectancy equals life expectancy (PHE's example, 80.1696).

    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "age": [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90],
    ...     "pops": [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601,
    ...              50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936],
    ...     "deaths": [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872,
    ...                1390, 1605, 1936, 1937]}).with_columns(good=pl.lit(1.0), n=pl.lit(500))
    >>> out = healthy_life_expectancy(df, "deaths", "pops", "age", "good", prevalence_n="n",
    ...                               hle_age=0)
    >>> round(out["value"][0], 4)
    80.1696
    """
    frame, keys, levels = _aggregate.start(
        data, group_by=group_by, confidence=confidence, type=type, errors=errors
    )
    _checks.one_of("prevalence_of", prevalence_of, ("healthy", "unhealthy"))
    sources = {
        "prevalence_n": prevalence_n,
        "prevalence_se": prevalence_se,
        "prevalence_limits": prevalence_limits,
    }
    given = [k for k, v in sources.items() if v is not None]
    if len(given) > 1:
        raise InputError(
            f"give only one of prevalence_n, prevalence_se and prevalence_limits; got {given}"
        )
    if levels and not given:
        raise InputError(
            "confidence limits need the prevalence's sampling error: give prevalence_n "
            "(sample sizes), prevalence_se or prevalence_limits (or confidence=None)"
        )
    if prevalence_limits is not None:
        if isinstance(prevalence_limits, str) or len(prevalence_limits) != 2:
            raise InputError(
                "argument 'prevalence_limits' must be two column names "
                f"(lower, upper); got {prevalence_limits!r}"
            )
        extra = [prevalence, *prevalence_limits]
    else:
        extra = [prevalence, *(c for c in (prevalence_n, prevalence_se) if c is not None)]

    def check_prevalence(checks: _checks.RowChecks) -> None:
        pi = _frames.column(frame, prevalence)
        checks.rule(~np.isfinite(pi), f"column '{prevalence}' must not be missing", pi)
        checks.rule(
            np.isfinite(pi) & ((pi < 0) | (pi > 1)),
            f"column '{prevalence}' must be between 0 and 1",
            pi,
        )
        if prevalence_n is not None:
            checks.positive_column(prevalence_n, _frames.column(frame, prevalence_n))
        if prevalence_se is not None:
            checks.count_column(prevalence_se, _frames.column(frame, prevalence_se))
        if prevalence_limits is not None:
            lo, hi = (_frames.column(frame, c) for c in prevalence_limits)
            checks.rule(
                ~(np.isfinite(lo) & np.isfinite(hi)),
                f"columns {list(prevalence_limits)} must not be missing",
                lo,
            )
            checks.rule(
                (lo > pi) | (hi < pi),
                f"columns {list(prevalence_limits)} must bracket '{prevalence}'",
                pi,
            )

    prep = prepare(
        frame,
        keys,
        deaths,
        population,
        startage,
        age_contents,
        errors,
        extra=extra,
        extra_checks=check_prevalence,
    )
    repeated = prep.banded.rows > 1
    if repeated.any():
        g_idx, k_idx = np.nonzero(repeated)
        raise InputError(
            f"each group must have one row per age band (prevalences cannot be added up): "
            f"{len(g_idx):,} bands repeat, first band {prep.banded.labels[k_idx[0]]!r} of "
            f"group ({_aggregate.describe_group(prep.g, int(g_idx[0]))})"
        )
    values = prep.banded.values
    pi = values[prevalence]
    weight = pi if prevalence_of == "healthy" else 1 - pi
    if prevalence_n is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            var_w = pi * (1 - pi) / values[prevalence_n]
        source = "sample sizes"
    elif prevalence_se is not None:
        var_w = values[prevalence_se] ** 2
        source = "standard errors"
    elif prevalence_limits is not None:
        lo, hi = (values[c] for c in prevalence_limits)
        var_w = ((hi - lo) / (2 * z_value(0.95))) ** 2
        source = "95% limits"
    else:
        var_w, source = np.zeros_like(pi), None
    var_w = np.where(prep.banded.present, var_w, 0.0)
    weight = np.where(prep.banded.present, weight, 0.0)

    hle, variance = expectancies(prep, weight, var_w)
    le, _ = expectancies(prep)
    method = METHOD if source is None else f"{METHOD}; prevalence variance from {source}"
    return assemble(
        prep,
        hle,
        variance,
        startage=startage,
        ages=hle_age,
        age_arg="hle_age",
        levels=levels,
        type=type,
        what="healthy life expectancy",
        method=method,
        wide_rule=False,
        extra={"life_expectancy": le},
    )
