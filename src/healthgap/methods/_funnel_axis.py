"""The x axis of a funnel plot: 100 points from the smallest to the largest denominator.

As PHEindicatormethods 2.x ``calculate_funnel_limits`` draws it (OHID technical guidance,
funnel plots): the data's range widened by 5% each way and rounded for a neat axis, spaced
geometrically so points are denser where the funnel bends.
"""

from __future__ import annotations

import math

import numpy as np

#: Points along the axis (PHEindicatormethods draws 100).
GRID_POINTS = 100


def _digits(value: float) -> int:
    return len(str(int(value)))


def _round_down(value: float) -> float:
    """95% of ``value``, rounded down to one significant figure (0 stays 0)."""
    if value == 0:
        return 0.0
    shift = 10.0 ** (_digits(math.floor(value * 0.95)) - 1)
    return math.floor(value * 0.95 / shift) * shift


def _round_up(value: float) -> float:
    """105% of ``value``, rounded up to two significant figures (0 stays 0)."""
    if value == 0:
        return 0.0
    shift = 10.0 ** (_digits(math.ceil(value * 1.05)) - 2)
    return math.ceil(value * 1.05 / shift) * shift


def axis(derived: np.ndarray, average: float, statistic: str, years: float) -> np.ndarray:
    """Give the 100 denominators (or observed counts, or events) at which limits are drawn.

    From the smallest to the largest of the data (widened and rounded for a neat axis, from 0
    when the largest is over twice the smallest), spaced geometrically so points are denser
    where the funnel bends, and at least 1 apart.
    """
    low, high = float(np.nanmin(derived)), float(np.nanmax(derived))
    per_year = years if statistic == "rate" else 1.0
    start = 0.0 if high > 2 * low else _round_down(low / per_year) * per_year
    stop = _round_up(high / per_year) * per_year
    if statistic == "rate":
        start, stop = math.floor(start * average), math.ceil(stop * average)
    points = [max(1.0, start)]
    # Each point depends on the one before (rounding, minimum step): a recurrence over the
    # 100 axis points, not over the data.
    for j in range(2, GRID_POINTS + 1):
        steps_left = GRID_POINTS + 1 - (j - 1 if statistic == "ratio" else j)
        prev = points[-1]
        points.append(max(float(round((stop / prev) ** (1 / steps_left) * prev)), prev + 1))
    return np.asarray(points)
