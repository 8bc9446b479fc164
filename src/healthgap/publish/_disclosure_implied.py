r"""The count a value's confidence limits give away, for rows published without a count.

A rate, standardised rate or ratio, or a proportion, published with its confidence limits
tells its count even when the count column is empty: the width of the interval depends on
the count. Disclosure control judges such rows by the count their limits imply.

*Counts with Poisson limits* (crude rates, directly standardised rates with Dobson's
limits, indirectly standardised rates and ratios): for a crude rate or a ratio
:math:`v = k O` with limits :math:`k O_L(O)` and :math:`k O_U(O)` (exact Poisson limits
below 10, Byar's above; OHID technical guidance, "Confidence intervals"), the relative width

.. math:: f(O) = \frac{O_U(O) - O_L(O)}{O} = \frac{U - L}{v}

depends on :math:`O` alone and falls as :math:`O` grows, so :math:`O = f^{-1}((U - L)/v)`,
whatever the multiplier and denominator (for large :math:`O` this is the familiar
:math:`O \approx (v / SE)^2` with :math:`SE = (U - L) / (2 z)`). For a directly
standardised rate Dobson's limits (Dobson et al. 1991) are
:math:`v + \sqrt{V/O}\,(O_{L,U} - O)` with :math:`V = \sum_i w_i^2 O_i / n_i^2`; since
:math:`v^2 \le V O` (Cauchy-Schwarz), the same inversion gives an *effective* count no
larger than the true one, so a small true count is always caught.

*Proportions with Wilson limits*: the Wilson limits of :math:`p = x/n` are the roots
:math:`\pi` of :math:`n (p - \pi)^2 = z^2 \pi (1 - \pi)` (Newcombe 1998, method 3), so each
limit gives :math:`n = z^2 L (1 - L) / (p - L)^2 = z^2 U (1 - U) / (U - p)^2` and
:math:`x = p n`. The scale of the value (a proportion, a percentage, per 1,000, ...) is the
power of ten (or the indicator's multiplier) for which both limits give the same :math:`n`.

References
----------
.. [1] Office for Health Improvement and Disparities. Fingertips technical guidance:
   confidence intervals (Byar's method; exact Poisson limits for small counts; Wilson
   score limits), 2018.
.. [2] Dobson AJ, Kuulasmaa K, Eberle E, Scherer J. Confidence intervals for weighted sums
   of Poisson parameters. Stat Med 1991;10:457-62.
.. [3] Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
   seven methods. Stat Med 1998;17:857-72.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import polars as pl

from healthgap import _limits

#: How an indicator's limits were computed from its count.
LimitMethod = Literal["poisson", "wilson"]
#: Confidence levels and their limit columns, most used first.
_LEVELS = ((0.95, "lower95_0cl", "upper95_0cl"), (0.998, "lower99_8cl", "upper99_8cl"))
#: Counts over which the relative width of Poisson limits is tabulated.
_GRID = np.exp(np.linspace(np.log(0.05), np.log(1e9), 4000))
#: Scales a proportion may be published on (besides the indicator's multiplier).
_SCALES = (1.0, 100.0, 1e3, 1e4, 1e5)
#: Largest relative disagreement between the n each Wilson limit gives.
_WILSON_AGREE = 0.02


def _poisson_count(relative_width: np.ndarray, confidence: float) -> np.ndarray:
    """Invert the relative width of Poisson limits of a count (:math:`f^{-1}` above)."""
    lower, upper = _limits.poisson_count(_GRID, confidence)
    width = (upper - lower) / _GRID
    # falls with the count; made monotone across the switch from exact to Byar's limits
    width = np.minimum.accumulate(width)
    return np.interp(relative_width, width[::-1], _GRID[::-1], left=_GRID[-1], right=0.0)


def _wilson_count(
    p: np.ndarray, low: np.ndarray, high: np.ndarray, multiplier: np.ndarray, confidence: float
) -> np.ndarray:
    """Numerator :math:`x = p n` of proportions from their Wilson limits (NaN if not Wilson)."""
    z2 = _limits.z_value(confidence) ** 2
    best = np.full(len(p), np.nan)
    gap = np.full(len(p), np.inf)
    for scale in (None, *_SCALES):  # a handful of scales, every row at once
        m = multiplier if scale is None else np.full(len(p), scale)
        pp, lo, hi = p / m, low / m, high / m
        with np.errstate(divide="ignore", invalid="ignore"):
            from_low = z2 * lo * (1 - lo) / (pp - lo) ** 2
            from_high = z2 * hi * (1 - hi) / (hi - pp) ** 2
            # p = 0 or 1: one limit is the value itself; the other gives n
            n = np.where(pp <= lo, from_high, from_low)
            other = np.where((pp <= lo) | (pp >= hi), n, from_high)
            disagree = np.abs(np.log(n / other))
        fits = (hi <= 1) & (lo >= 0) & np.isfinite(disagree) & (disagree <= _WILSON_AGREE)
        better = fits & (disagree < gap)
        best = np.where(better, pp * n, best)
        gap = np.where(better, disagree, gap)
    return best


def implied_counts(
    df: pl.DataFrame, methods: Mapping[str, LimitMethod], multipliers: Mapping[str, float]
) -> np.ndarray:
    """The count each row's value and limits imply (NaN where they imply none).

    Only rows of indicators in ``methods`` with a value and a pair of limits are judged;
    the 95% limits are used when present, else the 99.8% ones.
    """
    out = np.full(df.height, np.nan)
    if not methods or "value" not in df.columns:
        return out
    method = df["indicator_id"].replace_strict(dict(methods), default=None, return_dtype=pl.String)
    multiplier = (
        df["indicator_id"]
        .replace_strict(dict(multipliers), default=1.0, return_dtype=pl.Float64)
        .to_numpy()
    )
    value = df["value"].cast(pl.Float64).to_numpy()
    for confidence, low_col, high_col in _LEVELS:  # two levels, every row at once
        if not {low_col, high_col} <= set(df.columns):
            continue
        low = df[low_col].cast(pl.Float64).to_numpy()
        high = df[high_col].cast(pl.Float64).to_numpy()
        usable = np.isnan(out) & ~np.isnan(value) & ~np.isnan(low) & ~np.isnan(high)
        poisson = usable & (method == "poisson").fill_null(False).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            counts = np.where(
                value == 0, 0.0, _poisson_count(np.abs((high - low) / value), confidence)
            )
        out = np.where(poisson, counts, out)
        wilson = usable & (method == "wilson").fill_null(False).to_numpy()
        out = np.where(wilson, _wilson_count(value, low, high, multiplier, confidence), out)
    return out
