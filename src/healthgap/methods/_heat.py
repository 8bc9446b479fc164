"""Numerical cores of the WHO HEAT summary measures on padded ``(groups, subgroups)`` arrays.

Groups with fewer subgroups are padded: ``mask`` is False and the population share ``p`` is
0 there. Formulas follow WHO's HEAT technical notes (2021/2024) and Schlotheuber &
Hosseinpoor, IJERPH 2022;19:3697.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

#: Newton-Raphson iterations for the logistic SII/RII (converges in well under 30).
LOGIT_ITERATIONS = 60


class Setting(NamedTuple):
    """One row per group (setting), one column per subgroup; arrays ``(G, J)``."""

    y: np.ndarray
    se: np.ndarray
    pop: np.ndarray
    p: np.ndarray
    mask: np.ndarray
    n_sub: np.ndarray
    rank: np.ndarray
    ref: np.ndarray  # index of the reference subgroup per group (-1: none)


def weighted_mean(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Setting average :math:`\\mu = \\sum_j p_j y_j` over the subgroup axis (1)."""
    return np.sum(p * y, axis=1)


def extreme(y: np.ndarray, mask: np.ndarray, highest: bool) -> np.ndarray:
    """Highest (or lowest) subgroup value over axis 1, ignoring padding."""
    if highest:
        return np.max(np.where(mask, y, -np.inf), axis=1)
    return np.min(np.where(mask, y, np.inf), axis=1)


def simulated(
    y: np.ndarray, s: Setting, favourable: bool, names: set[str]
) -> dict[str, np.ndarray]:
    """Measures that are simple functions of the subgroup values, for values ``(G, J, R)``.

    Works equally on the observed values (R = 1) and on simulated draws.
    """
    p, mask = s.p[:, :, None], s.mask[:, :, None]
    n = s.n_sub[:, None]
    mu = weighted_mean(y, p)
    mu3 = mu[:, None, :]
    out: dict[str, np.ndarray] = {}
    if names & {"bgv", "bgsd", "cov", "mdmu", "mdmw", "idisu", "idisw"}:
        dev = np.where(mask, y - mu3, 0.0)
        if names & {"bgv", "bgsd", "cov"}:
            bgv = np.sum(p * dev**2, axis=1)
            out.update(bgv=bgv, bgsd=np.sqrt(bgv), cov=np.sqrt(bgv) / mu)
        if names & {"mdmu", "mdmw", "idisu", "idisw"}:
            absdev = np.abs(dev)
            out["mdmu"] = np.sum(absdev, axis=1) / n
            out["mdmw"] = np.sum(p * absdev, axis=1)
            out["idisu"] = out["mdmu"] / mu
            out["idisw"] = out["mdmw"] / mu
    best = extreme(y, mask, favourable)[:, None, :]
    if names & {"mdbu", "mdbw"}:
        from_best = np.where(mask, np.abs(y - best), 0.0)
        out["mdbu"] = np.sum(from_best, axis=1) / n
        out["mdbw"] = np.sum(p * from_best, axis=1)
    has_ref = s.ref >= 0
    ref_idx = np.where(has_ref, s.ref, 0)[:, None, None]
    yref = np.take_along_axis(y, np.broadcast_to(ref_idx, (y.shape[0], 1, y.shape[2])), axis=1)
    if names & {"mdru", "mdrw"}:
        from_ref = np.where(mask, np.abs(y - yref), 0.0)
        out["mdru"] = np.where(has_ref[:, None], np.sum(from_ref, axis=1) / n, np.nan)
        out["mdrw"] = np.where(has_ref[:, None], np.sum(p * from_ref, axis=1), np.nan)
    if names & {"ti", "mld"}:
        ratio = np.where(mask, y / mu3, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(ratio)
            out["ti"] = np.sum(np.where(ratio > 0, p * ratio * log_ratio, 0.0), axis=1)
            out["mld"] = np.sum(-p * log_ratio, axis=1)
    if names & {"par", "paf"}:
        # reference: the given subgroup, else the most advantaged (ordered; the caller passes
        # it as ``ref``) or the best (non-ordered); capped at 0 on the side where the
        # reference is worse than the average (WHO HEAT)
        target = np.where(has_ref[:, None], yref[:, 0, :], best[:, 0, :])
        gap = target - mu
        par = np.maximum(gap, 0.0) if favourable else np.minimum(gap, 0.0)
        out["par"], out["paf"] = par, par / mu
    return out


class Analytic(NamedTuple):
    value: np.ndarray
    se: np.ndarray
    log_scale: bool = False


def pair(s: Setting, ordered: bool) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the two subgroups D and R compare: (high, low) per group.

    Ordered: most advantaged (last) and most disadvantaged (first) subgroup. Non-ordered:
    highest and lowest value.
    """
    if ordered:
        last = s.n_sub.astype(np.int64) - 1
        return last, np.zeros_like(last)
    return (
        np.argmax(np.where(s.mask, s.y, -np.inf), axis=1),
        np.argmin(np.where(s.mask, s.y, np.inf), axis=1),
    )


def difference_ratio(s: Setting, ordered: bool) -> dict[str, Analytic]:
    """D = y_a - y_b with se sqrt(se_a^2 + se_b^2); R = y_a / y_b, se of ln R by delta."""
    hi, lo = pair(s, ordered)

    def take(a: np.ndarray, i: np.ndarray) -> np.ndarray:
        return np.take_along_axis(a, i[:, None], axis=1)[:, 0]

    ya, yb, sa, sb = take(s.y, hi), take(s.y, lo), take(s.se, hi), take(s.se, lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log_r = np.sqrt((sa / ya) ** 2 + (sb / yb) ** 2)
        return {
            "d": Analytic(ya - yb, np.sqrt(sa**2 + sb**2)),
            "r": Analytic(ya / yb, se_log_r, log_scale=True),
        }


def concentration(s: Setting) -> dict[str, Analytic]:
    """ACI and RCI by the convenient regression (O'Donnell et al. 2008, ch. 8).

    Weighted least squares of :math:`2\\sigma_r^2 y_j` on the relative rank :math:`r_j`
    (weights: population shares) has slope ACI; its usual standard error (residual
    variance on J - 2 degrees of freedom) is the ACI's. RCI = ACI / mu, se likewise.
    """
    p, r, y = s.p, s.rank, s.y
    rbar = np.sum(p * r, axis=1, keepdims=True)
    sigma2 = np.sum(p * (r - rbar) ** 2, axis=1, keepdims=True)
    lhs = 2 * sigma2 * np.where(s.mask, y, 0.0)
    lbar = np.sum(p * lhs, axis=1, keepdims=True)
    slope = np.sum(p * (r - rbar) * (lhs - lbar), axis=1) / sigma2[:, 0]
    resid = np.where(s.mask, lhs - lbar - slope[:, None] * (r - rbar), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dof = np.where(s.n_sub > 2, s.n_sub - 2, np.nan)
        se = np.sqrt(np.sum(p * resid**2, axis=1) / dof / sigma2[:, 0])
        mu = weighted_mean(y, p)
        return {"aci": Analytic(slope, se), "rci": Analytic(slope / mu, se / np.abs(mu))}


def logistic(s: Setting, indicator_scale: np.ndarray) -> dict[str, Analytic]:
    """WHO's SII and RII: logistic regression of the subgroup proportions on relative rank.

    Binomial likelihood with the subgroup populations as trials, fitted by Newton-Raphson
    for all groups at once; SII = expit(b0 + b1) - expit(b0) (times the indicator scale),
    RII = expit(b0 + b1) / expit(b0); standard errors by the delta method with the HC1
    sandwich covariance (robust to over-dispersion), the RII's on the log scale.
    """
    prop = np.where(s.mask, s.y / indicator_scale[:, None], 0.0)
    n = np.where(s.mask, s.pop, 0.0)
    x = s.rank
    total = n.sum(axis=1)
    start = np.clip(np.sum(n * prop, axis=1) / total, 1e-9, 1 - 1e-9)
    b0, b1 = special.logit(start), np.zeros_like(start)
    for _ in range(LOGIT_ITERATIONS):
        mu = special.expit(b0[:, None] + b1[:, None] * x)
        w = n * mu * (1 - mu)
        resid = n * (prop - mu)
        u0, u1 = resid.sum(axis=1), (resid * x).sum(axis=1)
        i00, i01, i11 = w.sum(axis=1), (w * x).sum(axis=1), (w * x * x).sum(axis=1)
        det = i00 * i11 - i01**2
        with np.errstate(divide="ignore", invalid="ignore"):
            step0 = np.where(det > 0, (i11 * u0 - i01 * u1) / det, 0.0)
            step1 = np.where(det > 0, (i00 * u1 - i01 * u0) / det, 0.0)
        b0, b1 = b0 + step0, b1 + step1
        if np.nanmax(np.abs(np.concatenate([step0, step1])), initial=0.0) < 1e-12:
            break
    mu = special.expit(b0[:, None] + b1[:, None] * x)
    w = n * mu * (1 - mu)
    i00, i01, i11 = w.sum(axis=1), (w * x).sum(axis=1), (w * x * x).sum(axis=1)
    det = i00 * i11 - i01**2
    score = n * (prop - mu)
    m00, m01, m11 = (
        (score**2).sum(axis=1),
        (score**2 * x).sum(axis=1),
        (score**2 * x * x).sum(axis=1),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.array([[i11, -i01], [-i01, i00]]) / det  # (2, 2, G)
        meat = np.array([[m00, m01], [m01, m11]])
        cov = np.einsum("ijg,jkg,klg->ilg", inv, meat, inv)
        cov *= np.where(s.n_sub > 2, s.n_sub / (s.n_sub - 2.0), np.nan)
    m1, m0 = special.expit(b0 + b1), special.expit(b0)
    g_sii = np.array([m1 * (1 - m1) - m0 * (1 - m0), m1 * (1 - m1)])
    g_rii = np.array([m0 - m1, 1 - m1])
    var_sii = np.einsum("ig,ijg,jg->g", g_sii, cov, g_sii)
    var_rii = np.einsum("ig,ijg,jg->g", g_rii, cov, g_rii)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "sii": Analytic((m1 - m0) * indicator_scale, np.sqrt(var_sii) * indicator_scale),
            "rii": Analytic(m1 / m0, np.sqrt(var_rii), log_scale=True),
        }


def between_group_variance(s: Setting) -> Analytic:
    """BGV with WHO HEAT's analytic se, sqrt(sum 4 p^2 (y - mu)^2 se^2)."""
    mu = weighted_mean(s.y, s.p)[:, None]
    dev = np.where(s.mask, s.y - mu, 0.0)
    return Analytic(
        np.sum(s.p * dev**2, axis=1),
        np.sqrt(np.sum(4 * s.p**2 * dev**2 * np.where(s.mask, s.se, 0.0) ** 2, axis=1)),
    )
