"""Confidence-limit formulas shared by the methods, elementwise on numpy arrays.

Each function takes arrays and one confidence level (a proportion, e.g. 0.95) and returns
:class:`Limits` of arrays. References are those of the OHID/PHE technical guidance
"Confidence intervals" (Fingertips methods, 2018) unless stated.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special, stats

#: Counts below this use exact Poisson limits, at or above it Byar's approximation
#: (OHID technical guidance: crude rates and ISRs).
BYAR_MIN_COUNT = 10


class Limits(NamedTuple):
    """Lower and upper confidence limits (arrays of the same shape)."""

    lower: np.ndarray
    upper: np.ndarray


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile, :math:`\\Phi^{-1}(1/2 + c/2)`."""
    return float(special.ndtri(0.5 + confidence / 2))


def wilson(x: np.ndarray, n: np.ndarray, confidence: float) -> Limits:
    """Wilson score limits of x/n (Newcombe 1998, Stat Med 17:857-72, method 3)."""
    z = z_value(confidence)
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = 2 * x + z**2
        spread = z * np.sqrt(np.maximum(z**2 + 4 * x * (1 - x / n), 0.0))
        denom = 2 * (n + z**2)
        return Limits((centre - spread) / denom, (centre + spread) / denom)


def poisson_exact(x: np.ndarray, confidence: float) -> Limits:
    """Exact Poisson limits of a count via the chi-squared distribution.

    lower = chi2(alpha/2; 2x) / 2 (0 when x = 0), upper = chi2(1 - alpha/2; 2x + 2) / 2.
    """
    alpha = 1 - confidence
    x = np.asarray(x, float)
    # the quantiles once per distinct count: a national run has millions of groups but few
    # distinct small counts, and the ppf is the costly part
    distinct, where = np.unique(x, return_inverse=True)
    where = where.reshape(x.shape)
    with np.errstate(invalid="ignore"):
        lower = np.where(
            distinct > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(distinct, 1e-300)) / 2, 0.0
        )
        upper = stats.chi2.ppf(1 - alpha / 2, 2 * distinct + 2) / 2
    return Limits(lower[where], upper[where])


def byar(x: np.ndarray, confidence: float) -> Limits:
    """Byar's approximation to exact Poisson limits of a count (Breslow & Day 1987, p 69).

    lower = x (1 - 1/(9x) - z/(3 sqrt x))^3, upper = (x+1) (1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3.
    """
    z = z_value(confidence)
    x = np.asarray(x, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        x1 = x + 1
        upper = x1 * (1 - 1 / (9 * x1) + z / (3 * np.sqrt(x1))) ** 3
    return Limits(np.where(x > 0, lower, 0.0), upper)


def poisson_count(x: np.ndarray, confidence: float) -> Limits:
    """Limits of a count: exact below :data:`BYAR_MIN_COUNT`, Byar's at or above it."""
    x = np.asarray(x, float)
    exact = poisson_exact(np.where(x < BYAR_MIN_COUNT, x, 0.0), confidence)
    approx = byar(np.where(x >= BYAR_MIN_COUNT, x, BYAR_MIN_COUNT), confidence)
    small = x < BYAR_MIN_COUNT
    return Limits(
        np.where(small, exact.lower, approx.lower), np.where(small, exact.upper, approx.upper)
    )


def student_t(mean: np.ndarray, sd: np.ndarray, n: np.ndarray, confidence: float) -> Limits:
    """Student's t limits of a mean: mean -/+ t(1 - alpha/2; n - 1) sd / sqrt(n)."""
    n = np.asarray(n, float)
    # t quantiles once per distinct group size (groups share few sizes; the ppf is costly)
    dof, where = np.unique(n - 1, return_inverse=True)
    # over: limits past 1.8e308 are infinite, as they should be
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        t = stats.t.ppf(0.5 + confidence / 2, dof)[where.reshape(n.shape)]
        half = t * (np.asarray(sd, float) / np.sqrt(n))
        return Limits(mean - half, mean + half)


def count_method(x: np.ndarray) -> np.ndarray:
    """``'Exact'`` below :data:`BYAR_MIN_COUNT`, else ``'Byars'`` (:func:`poisson_count`)."""
    return np.where(np.asarray(x) < BYAR_MIN_COUNT, "Exact", "Byars").astype(object)
