"""Mortality attributable to an exposure: the attributable fraction of a concentration.

OHID's indicator "Fraction of mortality attributable to particulate air pollution" (Public
Health Outcomes Framework D01) applies COMEAP's coefficient to each area's
population-weighted annual mean concentration of anthropogenic PM2.5.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames, _output
from healthgap.methods import _aggregate

__all__ = ["attributable_fraction"]

METHOD = "Attributable fraction: 1 - exp(-ln(RR) c / increment)"
NO_WEIGHT = "no weight (no population with a known exposure)"


def attributable_fraction(
    data: IntoFrameT,
    exposure_sum: str,
    weight: str,
    *,
    relative_risk: float,
    increment: float = 10.0,
    deaths: str | None = None,
    group_by: str | Sequence[str] = (),
    multiplier: float = 100.0,
    type: _output.OutputType = "full",
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Attributable fraction of deaths for the population-weighted mean exposure of groups.

    The rows of a group add up: its mean exposure is :math:`c = \sum E_r / \sum W_r`, with
    :math:`E_r` the exposure times the population weight of row :math:`r` (e.g. a small
    area's concentration times its residents) and :math:`W_r` that weight. With the relative
    risk :math:`RR` per ``increment`` of exposure, the attributable fraction is

    .. math:: AF = 1 - \exp(-\ln(RR)\, c / \Delta)

    and ``value`` is :math:`m \cdot AF` (a percentage for the default multiplier). With
    ``deaths`` (deaths :math:`D` at the ages the coefficient applies to), the attributable
    deaths :math:`AF \cdot D` are given too. OHID publishes no confidence limits for it.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One or more rows per group.
    exposure_sum : str
        Column of exposure x weight (``>= 0``).
    weight : str
        Column of weights (population, ``>= 0``); a group's total must be positive.
    relative_risk : float
        Relative risk of death per ``increment`` of exposure (> 0), e.g. 1.08 per 10 ug/m3
        of PM2.5 (COMEAP 2022).
    increment : float, default 10
        The exposure difference ``relative_risk`` is for (> 0).
    deaths : str, optional
        Column of deaths (counts ``>= 0``) to which the fraction applies.
    group_by, multiplier, type, errors
        As :func:`~healthgap.methods.rate`.

    Returns
    -------
    table of the caller's kind
        One row per group, sorted by the group keys: keys, the summed inputs, ``value``,
        ``exposure`` (the weighted mean), ``attributable_deaths`` (with ``deaths``) and for
        ``type="full"`` ``confidence`` (null: no limits), ``statistic`` and ``method``.

    References
    ----------
    .. [1] Committee on the Medical Effects of Air Pollutants (COMEAP). Statement on
       quantifying mortality associated with long-term exposure to PM2.5. 2022.
    .. [2] Office for Health Improvement and Disparities. Public Health Outcomes Framework,
       indicator D01: fraction of mortality attributable to particulate air pollution
       (technical specification).

    Examples
    --------
    Two areas at 10 and 12 ug/m3 with 1,000 and 3,000 residents: the weighted mean is 11.5
    and :math:`AF = 1 - 1.08^{-1.15} = 8.47\%`.

    >>> import polars as pl
    >>> rows = pl.DataFrame({"e": [10.0 * 1000, 12.0 * 3000], "w": [1000.0, 3000.0]})
    >>> out = attributable_fraction(rows, "e", "w", relative_risk=1.08)
    >>> round(out["exposure"][0], 2), round(out["value"][0], 4)
    (11.5, 8.4702)
    """
    _checks.number("relative_risk", relative_risk, low=0.0, low_open=True)
    _checks.number("increment", increment, low=0.0, low_open=True)
    frame, keys, _ = _aggregate.start(
        data, group_by=group_by, confidence=None, type=type, errors=errors, multiplier=multiplier
    )
    _checks.numeric(frame, exposure_sum, weight, deaths)
    g = _aggregate.groups(frame, keys)
    e_row, w_row = _frames.column(frame, exposure_sum), _frames.column(frame, weight)
    d_row = _frames.column(frame, deaths) if deaths is not None else None
    checks = _checks.RowChecks(len(frame), g.ids)
    checks.count_column(exposure_sum, e_row)
    checks.count_column(weight, w_row)
    if d_row is not None:
        checks.count_column(deaths or "", d_row)
    reasons = checks.resolve(errors)
    bad = _aggregate.flagged(reasons, g.count)
    sums = _aggregate.sums(g, *[a for a in (e_row, w_row, d_row) if a is not None])
    unweighted = ~(sums[1] > 0) & ~bad
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(bad | unweighted, np.nan, sums[0] / np.where(sums[1] > 0, sums[1], 1))
    fraction = -np.expm1(-np.log(relative_risk) * mean / increment)
    _aggregate.warn_withheld("attributable fraction", bad, g, "with invalid input")
    _aggregate.warn_withheld("attributable fraction", unweighted, g, f"with {NO_WEIGHT}")
    inputs: dict[str, np.ndarray] = {exposure_sum: sums[0], weight: sums[1]}
    extra: dict[str, np.ndarray] = {"exposure": np.where(bad | unweighted, np.nan, mean)}
    if d_row is not None:
        inputs[deaths or ""] = sums[2]
        extra["attributable_deaths"] = np.where(bad | unweighted, np.nan, fraction * sums[2])
    reason = np.where(unweighted, f"attributable fraction; {NO_WEIGHT}", np.array(None))
    statistic = _aggregate.statistic_column(
        "attributable fraction", reasons, g.count, reason if unweighted.any() else None
    )
    keyframe = _aggregate.key_frame(frame, g, inputs)
    out = _output.assemble(
        keyframe,
        value=multiplier * fraction,
        limits={},
        levels=(),
        statistic=statistic,
        method=METHOD,
        type=type,
        inputs=list(inputs),
        extra=extra,
        withheld=bad | unweighted,
    )
    return _frames.to_native(out)
