"""Abridged life tables for many groups at once, and what is built on them.

Pure numpy on ``(groups, bands)`` matrices; every reduction runs along ``axis=1``.

* :func:`chiang` -- Chiang's method II life table as in OHID's life expectancy calculator
  (Chiang 1968 pp 189-214; PHE technical guidance "Life expectancy calculation").
* :func:`expectancy` -- life expectancy (weights 1) or health expectancy by Sullivan's method
  (weights = proportion healthy) at every band start, with its variance: Chiang's delta-method
  terms for the closed bands, Silcocks et al.'s term for the open band and, for Sullivan, the
  prevalence term of Jagger et al.
* :func:`arriaga` -- Arriaga's decomposition of the difference between two life tables.

The group-level rules OHID applies before publishing (:func:`withheld_reasons`) and the one
aggregated warning that reports them (:func:`warn_withheld`) live here too.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np

from healthgap.errors import SuppressedWarning
from healthgap.methods import _aggregate

RADIX = 100_000.0  # l_0, OHID life expectancy calculator
A_INFANT = 0.1  # fraction of the first band (age 0) lived by those who die in it (OHID)
A_OTHER = 0.5  # the same for every later band (OHID)
MIN_POPULATION = 5_000  # groups with total population <= this are withheld (Toson & Baker 2003)
MAX_CI_WIDTH = 20.0  # values whose 95% interval is wider than this are withheld (OHID)
Z95 = 1.959963984540054  # Phi^{-1}(0.975), for the 20-year rule

REASON_SMALL = "total population 5,000 or less"
REASON_NO_OPEN_DEATHS = "no deaths in the open age band"
REASON_MISSING_BANDS = "missing age bands"
REASON_WIDE = "95% confidence interval wider than 20 years"
#: A life expectancy beyond this is not a human one (the longest documented life is 122
#: years): the input (populations far too large for the deaths) is implausible.
MAX_PLAUSIBLE_YEARS = 150.0
REASON_IMPLAUSIBLE = (
    "implausible: life expectancy above 150 years (populations far too large for the deaths?)"
)


class LifeTable(NamedTuple):
    """Columns of the abridged life table, each ``(groups, bands)`` (``n``, ``a``: bands)."""

    n: np.ndarray  # band widths; the open band's is NaN
    a: np.ndarray  # fraction of the band lived by those who die in it
    deaths: np.ndarray
    m: np.ndarray  # death rate D / P
    q: np.ndarray  # probability of dying in the band (1 in the open band)
    l: np.ndarray  # survivors to the band start, of RADIX born  # noqa: E741
    L: np.ndarray  # person-years lived in the band
    T: np.ndarray  # person-years lived from the band start on
    s2q: np.ndarray  # variance of q (Chiang): q^2 (1 - q) / D


def _reverse_cumsum(x: np.ndarray) -> np.ndarray:
    return np.cumsum(x[:, ::-1], axis=1)[:, ::-1]


def chiang(deaths: np.ndarray, population: np.ndarray, starts: np.ndarray) -> LifeTable:
    """Chiang II abridged life table of every row (Chiang 1968; OHID LE calculator)."""
    deaths = np.asarray(deaths, float)
    population = np.asarray(population, float)
    starts = np.asarray(starts, float)
    n_groups, k = deaths.shape
    n = np.append(np.diff(starts), np.nan)
    a = np.where(starts == 0, A_INFANT, A_OTHER)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = deaths / population
        nm = n[:-1] * m[:, :-1]
        q = np.ones((n_groups, k))
        # q reaches 1 when a n m >= 1: nobody survives the band (OHID caps it there)
        q[:, :-1] = np.where(a[:-1] * nm <= 1, nm / (1 + (1 - a[:-1]) * nm), 1.0)
        l = np.empty((n_groups, k))  # noqa: E741
        l[:, 0] = RADIX
        l[:, 1:] = RADIX * np.cumprod(1 - q[:, :-1], axis=1)
        l_next = np.zeros_like(l)
        l_next[:, :-1] = l[:, 1:]
        d = l - l_next
        L = np.empty_like(l)
        L[:, :-1] = n[:-1] * (l_next[:, :-1] + a[:-1] * d[:, :-1])
        L[:, -1] = l[:, -1] / m[:, -1]
        s2q = np.where(d > 0, q**2 * (1 - q) / deaths, 0.0)
    return LifeTable(n, a, deaths, m, q, l, L, _reverse_cumsum(L), s2q)


class Expectancy(NamedTuple):
    """Expectancy at each band start and its variance, ``(groups, bands)``."""

    value: np.ndarray
    variance: np.ndarray


def expectancy(
    t: LifeTable, weight: np.ndarray | None = None, weight_variance: np.ndarray | None = None
) -> Expectancy:
    """Life (``weight=None``) or health expectancy (Sullivan) and its variance.

    With :math:`w_j` the proportion healthy (1 for life expectancy),
    :math:`e_x = \\sum_{j \\ge x} w_j L_j / l_x` and

    .. math:: \\mathrm{Var}(e_x) = \\frac{1}{l_x^2} \\Big[ \\sum_{x \\le j < \\omega}
       l_j^2 \\big((1 - a_j) n_j w_j + e_{j+1}\\big)^2 \\mathrm{Var}(q_j)
       + \\frac{w_\\omega^2 l_\\omega^2}{D_\\omega M_\\omega^2}
       + \\sum_{j \\ge x} L_j^2 \\mathrm{Var}(w_j) \\Big]

    (Chiang 1968; Silcocks et al. 2001 for the open band :math:`\\omega`; Jagger et al.
    2014 for the prevalence term).
    """
    w = np.ones_like(t.L) if weight is None else np.asarray(weight, float)
    # implausible inputs (populations of 1e300) overflow here: flagged by the callers
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = np.where(t.l > 0, _reverse_cumsum(w * t.L) / t.l, 0.0)
        terms = np.empty_like(t.L)
        terms[:, :-1] = (
            t.s2q[:, :-1]
            * t.l[:, :-1] ** 2
            * ((1 - t.a[:-1]) * t.n[:-1] * w[:, :-1] + value[:, 1:]) ** 2
        )
        terms[:, -1] = (w[:, -1] * t.l[:, -1]) ** 2 / (t.deaths[:, -1] * t.m[:, -1] ** 2)
        if weight_variance is not None:
            terms = terms + t.L**2 * np.asarray(weight_variance, float)
        variance = _reverse_cumsum(terms) / t.l**2
    return Expectancy(value, variance)


def arriaga(t1: LifeTable, t2: LifeTable, first: int) -> np.ndarray:
    """Arriaga (1984) contributions of each band to :math:`e^2_a - e^1_a`, ``a`` = band ``first``.

    Closed band :math:`x`: :math:`\\frac{l^1_x}{l^1_a}\\big(\\frac{L^2_x}{l^2_x} -
    \\frac{L^1_x}{l^1_x}\\big) + \\frac{T^2_{x+n}}{l^1_a}\\big(\\frac{l^1_x}{l^2_x} -
    \\frac{l^1_{x+n}}{l^2_{x+n}}\\big)`; open band :math:`\\omega`:
    :math:`\\frac{l^1_\\omega}{l^1_a}\\big(\\frac{T^2_\\omega}{l^2_\\omega} -
    \\frac{T^1_\\omega}{l^1_\\omega}\\big)` (Preston, Heuveline & Guillot 2001, eq 3.11).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        base = t1.l[:, [first]]
        ratio = t1.l / t2.l
        out = np.empty_like(t1.L)
        out[:, :-1] = (
            ratio[:, :-1] * t2.L[:, :-1]
            - t1.L[:, :-1]
            + t2.T[:, 1:] * (ratio[:, :-1] - ratio[:, 1:])
        ) / base
        out[:, -1] = (ratio[:, -1] * t2.T[:, -1] - t1.T[:, -1]) / base[:, 0]
    out[:, :first] = 0.0
    return out


def withheld_reasons(deaths: np.ndarray, population: np.ndarray, present: np.ndarray) -> np.ndarray:
    """OHID's group rules: reason per group (``None`` when the group can be computed).

    ``present`` marks the bands of each group's own layout; its last present band is open.
    """
    n_groups = deaths.shape[0]
    reasons = np.full(n_groups, None, dtype=object)
    last = present.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1)
    open_deaths = deaths[np.arange(n_groups), last]
    reasons[open_deaths <= 0] = REASON_NO_OPEN_DEATHS
    small = population.sum(axis=1) <= MIN_POPULATION
    reasons[small] = REASON_SMALL
    return reasons


def has_reason(reasons: np.ndarray) -> np.ndarray:
    """Elementwise ``reason is not None`` of an object array (no Python loop)."""
    return np.not_equal(reasons, np.array(None)).astype(bool)


def warn_withheld(
    what: str, reasons: np.ndarray, g: _aggregate.Groups, stacklevel: int = 3
) -> None:
    """One :class:`SuppressedWarning` naming, per reason, how many groups and the first."""
    bad = np.flatnonzero(has_reason(reasons))
    if len(bad) == 0:
        return
    texts = reasons[bad].astype(str)
    kinds, first, counts = np.unique(texts, return_index=True, return_counts=True)
    parts = [
        f"{kind} ({count:,}; first: {_aggregate.describe_group(g, int(bad[i]))})"
        for kind, i, count in zip(kinds, first, counts, strict=True)
    ]
    warnings.warn(
        f"{what} withheld for {len(bad):,} of {g.count:,} groups: {'; '.join(parts)}",
        SuppressedWarning,
        stacklevel=stacklevel,
    )


def merge(*parts: np.ndarray | None) -> np.ndarray | None:
    """Per-group reasons from several sources; the first recorded reason wins."""
    out: np.ndarray | None = None
    for part in parts:
        if part is None:
            continue
        if out is None:
            out = part.copy()
            continue
        empty = ~has_reason(out)
        out[empty] = part[empty]
    return out


def is_withheld(reasons: np.ndarray | None, n_groups: int) -> np.ndarray:
    """Boolean mask of groups that have a reason."""
    if reasons is None:
        return np.zeros(n_groups, dtype=bool)
    return has_reason(reasons)


def statistic(
    base: np.ndarray,
    reasons: np.ndarray | None,
    row_group: np.ndarray,
    row_wide: np.ndarray | None = None,
    row_implausible: np.ndarray | None = None,
) -> np.ndarray:
    """Per-row ``statistic``: ``base`` (already per row) or ``'<base> NA: <reason>'``."""
    out = base.astype(object)
    if row_wide is not None and row_wide.any():
        out[row_wide] = np.char.add(base[row_wide].astype(str), f" NA: {REASON_WIDE}")
    if row_implausible is not None and row_implausible.any():
        out[row_implausible] = np.char.add(
            base[row_implausible].astype(str), f" NA: {REASON_IMPLAUSIBLE}"
        )
    if reasons is not None:
        row_reason = reasons[row_group]
        mask = has_reason(row_reason)
        if mask.any():
            out[mask] = np.char.add(
                np.char.add(base[mask].astype(str), " NA: "), row_reason[mask].astype(str)
            )
    return out.astype(str)  # a numpy text array becomes a String column without a row loop


def row_keys(
    g: _aggregate.Groups,
    frame: Any,
    row_group: np.ndarray,
    startage: str,
    labels: np.ndarray,
    dtype: Any,
) -> Any:
    """Output key frame: each output row's group keys, then its age band label."""
    backend = nw.get_native_namespace(frame)
    if isinstance(labels[0], str):
        ages = nw.new_series(startage, list(labels), dtype=nw.String(), backend=backend)
    else:
        ages = nw.new_series(startage, np.asarray(labels.tolist()), backend=backend)
        if dtype is not None and dtype.is_numeric():
            ages = ages.cast(dtype)
    if g.keys is None:
        return ages.to_frame()
    return nw.maybe_reset_index(g.keys[row_group]).with_columns(ages)
