"""Monte Carlo cores shared by the inequality methods, vectorised over groups and repetitions.

Work is split into blocks of groups small enough that every draw of a block fits in a fixed
scratch buffer (:data:`BLOCK_ELEMENTS` single-precision numbers, reused per thread, so memory
stays bounded and pages are touched once). Each block has its own generator spawned from one
:class:`numpy.random.SeedSequence`, so results depend only on the seed and the input shape,
not on the number of threads. Blocks run on a small thread pool: numpy's generators, ufuncs
and partitions release the GIL.

Draws are single precision: they are rounded at a relative 6e-8, far below the simulation
error of any limit (about 1e-3 relative for 100,000 repetitions).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from healthgap.errors import InputError

#: Largest number of draws held per block and thread (2**22 floats = 16 MB).
BLOCK_ELEMENTS = 2**22

Seed = int | np.random.SeedSequence | None


def seed_sequence(seed: Seed) -> np.random.SeedSequence:
    """A SeedSequence from an int, a SeedSequence or ``None`` (fresh OS entropy)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise InputError(f"argument 'seed' must be a whole number or None; got {seed!r}")
    return np.random.SeedSequence(seed)


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class Scratch:
    """Per-thread reusable float32 buffers, by name (allocated once, then sliced)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        store = self._local.__dict__.setdefault("buffers", {})
        size = int(np.prod(shape))
        buf = store.get(name)
        if buf is None or buf.size < size:
            buf = np.empty(size, dtype=np.float32)
            store[name] = buf
        return buf[:size].reshape(shape)


def run_blocks(
    n_groups: int,
    per_group: int,
    seed: np.random.SeedSequence,
    fn: Callable[[int, int, np.random.Generator, Scratch], None],
) -> None:
    """Call ``fn(g0, g1, rng, scratch)`` for blocks of groups, on a thread pool."""
    block = int(max(1, min(n_groups, BLOCK_ELEMENTS // max(per_group, 1))))
    starts = list(range(0, n_groups, block))
    children = seed.spawn(len(starts))
    scratch = Scratch()

    def work(i: int) -> None:
        g0 = starts[i]
        fn(g0, min(g0 + block, n_groups), np.random.default_rng(children[i]), scratch)

    if len(starts) == 1:
        work(0)
        return
    with ThreadPoolExecutor(min(_workers(), len(starts))) as pool:
        list(pool.map(work, range(len(starts))))


def exact_linear_draws(
    rng: np.random.Generator, scratch: Scratch, mean: np.ndarray, cov: np.ndarray, reps: int
) -> np.ndarray:
    """Draws of K = 1 or 2 jointly normal statistics per group, ``(K, G, reps)`` float32.

    ``mean`` is ``(K, G)``, ``cov`` ``(K, K, G)``. A linear statistic of independent normal
    values is exactly normal, so drawing it directly has the distribution of drawing every
    value and refitting, at a fraction of the cost.
    """
    n_stats, n_groups = mean.shape
    z = scratch.get("draws", (n_stats, n_groups, reps))
    rng.standard_normal(out=z, dtype=np.float32)
    l11 = np.sqrt(np.maximum(cov[0, 0], 0.0))
    if n_stats == 2:
        with np.errstate(divide="ignore", invalid="ignore"):
            l21 = np.where(l11 > 0, cov[1, 0] / l11, 0.0)
        l22 = np.sqrt(np.maximum(cov[1, 1] - l21**2, 0.0))
        tmp = scratch.get("tmp", (n_groups, reps))
        z[1] *= l22[:, None].astype(np.float32)
        np.multiply(z[0], l21[:, None].astype(np.float32), out=tmp)
        z[1] += tmp
        z[1] += mean[1][:, None].astype(np.float32)
    z[0] *= l11[:, None].astype(np.float32)
    z[0] += mean[0][:, None].astype(np.float32)
    return z


def refit_draws(
    rng: np.random.Generator,
    scratch: Scratch,
    mean: np.ndarray,
    se: np.ndarray,
    weights: np.ndarray,
    reps: int,
    inverse: Callable[..., Any] | None,
) -> np.ndarray:
    """Draws of ``weights[k] @ f(mean + se * Z)`` per group, ``(K, G, reps)`` float32.

    ``mean`` and ``se`` are ``(G, Q)``; ``weights`` ``(K, G, Q)``; ``f`` is ``inverse``
    (applied in place, e.g. ``np.exp``) or the identity.
    """
    n_groups, n_q = mean.shape
    n_stats = weights.shape[0]
    z = scratch.get("values", (n_groups, n_q, reps))
    rng.standard_normal(out=z, dtype=np.float32)
    z *= se[:, :, None].astype(np.float32)
    z += mean[:, :, None].astype(np.float32)
    if inverse is not None:
        inverse(z, out=z)
    out = scratch.get("draws", (n_stats, n_groups, 1, reps))
    np.matmul(weights[:, :, None, :].astype(np.float32), z, out=out)
    return out[:, :, 0, :]


def order_positions(reps: int, confidence: float) -> tuple[int, int]:
    """0-based order statistics used as simulated limits.

    As in OHID's SII guidance (and PHEindicatormethods): sort the ``reps`` draws and take the
    ``round(reps * alpha/2)``-th and ``round(reps * (1 - alpha/2))``-th (1-based; rounding
    half to even).
    """
    upper_p = confidence + (1 - confidence) / 2
    lo = int(np.rint(reps * (1 - upper_p))) - 1
    hi = int(np.rint(reps * upper_p)) - 1
    return min(max(lo, 0), reps - 1), min(max(hi, 0), reps - 1)


def order_statistics(draws: np.ndarray, positions: Sequence[int]) -> np.ndarray:
    """Order statistics at ``positions`` along the last axis, partitioning ``draws`` in place.

    Returns an array with a leading axis over ``positions``. NaN draws sort last.
    """
    kth = sorted(set(positions))
    draws.partition(kth, axis=-1)
    return np.stack([draws[..., k] for k in positions]).astype(float)


def row_summary(values: np.ndarray, quantiles: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviation (ddof 1) and quantiles (linear interpolation, R's type 7) of the
    finite values along the last axis; rows with too few finite values give NaN.
    """
    finite = np.isfinite(values)
    k = finite.sum(axis=-1)
    clean = np.where(finite, values, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = clean.sum(axis=-1) / k
        sq = np.where(finite, (values - mean[..., None]) ** 2, 0.0).sum(axis=-1)
        sd = np.sqrt(sq / (k - 1))
    last = values.shape[-1] - 1
    if finite.all():  # the usual case: fixed positions, so partition instead of sorting
        h_all = [last * q for q in quantiles]
        kth = sorted(
            {int(np.floor(h)) for h in h_all} | {min(int(np.floor(h)) + 1, last) for h in h_all}
        )
        part = np.partition(values, kth, axis=-1)
        out = []
        for h in h_all:
            lo = int(np.floor(h))
            hi = min(lo + 1, last)
            out.append(part[..., lo] + (h - lo) * (part[..., hi] - part[..., lo]))
        return (sd if last > 0 else np.full(sd.shape, np.nan)), np.stack(out)
    ordered = np.sort(np.where(finite, values, np.inf), axis=-1)
    out = []
    for q in quantiles:
        h = np.maximum(k - 1, 0) * q
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(k - 1, 0))
        frac = h - lo
        v_lo = np.take_along_axis(ordered, np.minimum(lo, last)[..., None], axis=-1)[..., 0]
        v_hi = np.take_along_axis(ordered, np.minimum(hi, last)[..., None], axis=-1)[..., 0]
        with np.errstate(invalid="ignore"):
            res = v_lo + frac * (v_hi - v_lo)
        out.append(np.where(k > 0, np.where(frac == 0, v_lo, res), np.nan))
    return np.where(k > 1, sd, np.nan), np.stack(out)
