"""Ranks among chosen peers, and how sure they are, by simulation from the limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames
from healthgap.compare import _inputs, _labels, _series
from healthgap.errors import InputError

__all__ = ["peer_ranks"]

#: simulated values drawn per block (memory stays bounded for any number of groups)
_BLOCK = 4_000_000

_REASONS = (
    "value or 95% limits missing",
    "polarity not set: rank 1 is the highest value, without judgement",
)
_MISSING, _NO_POLARITY = range(2)


def peer_ranks(
    data: IntoFrameT,
    value: str = "value",
    lower_cl: str = "lowercl",
    upper_cl: str = "uppercl",
    *,
    area: str,
    peers: Sequence[Any] | None = None,
    group_by: str | Sequence[str] = (),
    polarity: str | None = None,
    repetitions: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> IntoFrameT:
    r"""Rank each area among its peers, with the rank's uncertainty, for every indicator.

    Within each group (indicator, period, ...) the areas are ranked from best (1) to worst;
    ties share the better rank. The uncertainty of the ranks comes by simulation: each area's
    value is drawn ``repetitions`` times from the normal distribution with mean its value and
    standard deviation :math:`s = (U - L)/3.92` from its 95% limits, independently, and the
    areas ranked in every draw. From the simulated ranks come an interval for each rank and
    the probabilities of being in the top and the bottom fifth of the group: the best (or
    worst) :math:`\max(1, \lfloor c/5 \rfloor)` of its :math:`c` ranked areas.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per area and group.
    value, lower_cl, upper_cl : str
        Columns of values and their 95% limits.
    area : str
        Column of area codes.
    peers : list, optional
        The areas to compare (the area of interest and its peers: statistical neighbours,
        other cities); default every area in the data. Every one must be in the data.
    group_by : str or list of str
        Groups ranked separately (indicator, period, sex, ...).
    polarity : str, optional
        ``"high_is_good"`` (rank 1 = highest), ``"low_is_good"`` (rank 1 = lowest),
        ``"no_judgement"`` (rank 1 = highest) or a column of these; ``None`` or null ranks the
        highest first and says so in ``reason``.
    repetitions : int
        Simulated draws (default 10,000).
    seed : int
        Seed of the random generator (``numpy.random.default_rng``), so results repeat.
    confidence : float
        Level of the rank interval (default 95%).

    Returns
    -------
    Same kind of table as ``data``, the peers' rows, then ``rank``, ``n_ranked`` (areas
    ranked in the group), ``rank_lower``, ``rank_upper`` (interval of the simulated rank),
    ``p_top_fifth``, ``p_bottom_fifth`` and ``reason``.

    Notes
    -----
    Rows with a missing value or limit take no part in their group's ranks; their rank is null
    with the reason. The normal approximation suits symmetric limits; for ratios, rank the
    log values with log limits. Draws are independent between areas, which ignores the
    overlap of nested areas.

    References
    ----------
    .. [1] Marshall EC, Spiegelhalter DJ. Reliability of league tables of in vitro
       fertilisation clinics: retrospective analysis of live birth rates. BMJ
       1998;316:1701-4 (rank intervals by simulation).

    Examples
    --------
    Three areas, far apart and precise: the ranks are certain.

    >>> import polars as pl
    >>> df = pl.DataFrame({"area": ["A", "B", "C"], "value": [10.0, 20.0, 30.0],
    ...                    "lowercl": [9.0, 19.0, 29.0], "uppercl": [11.0, 21.0, 31.0]})
    >>> out = peer_ranks(df, area="area", polarity="low_is_good", repetitions=1000)
    >>> out.select("area", "rank", "rank_lower", "rank_upper").rows()
    [('A', 1, 1, 1), ('B', 2, 2, 2), ('C', 3, 3, 3)]
    """
    frame = _frames.to_frame(data)
    keys = _inputs.keys(frame, group_by)
    _checks.columns(frame, area)
    if area in keys:
        raise InputError(f"column '{area}' is the area: it must not be in group_by")
    reps = _whole("repetitions", repetitions, 100)
    level = _inputs.level(confidence)
    if peers is not None:
        frame = _peers_only(frame, area, peers)

    y = _inputs.column_or_none(frame, value)
    lo, hi = _inputs.column_or_none(frame, lower_cl), _inputs.column_or_none(frame, upper_cl)
    _inputs.limits_in_order(lo, hi, lower_cl, upper_cl)
    sd = (hi - lo) / _series.SE_DIVISOR_95
    codes = _inputs.polarity(frame, polarity)
    sign = np.where(codes == _inputs.LOW, -1.0, 1.0)
    ranked = np.isfinite(y) & np.isfinite(sd)

    ids, _ = _frames.group_ids(frame, keys)
    _one_row_per_area(frame, area, keys, ids)
    score = sign * y
    rank, slot, n_ranked, width = _observed_ranks(ids, score, ranked)
    counts = _simulate(ids, slot, score, sd, ranked, n_ranked, width, reps, seed)

    n_row = np.where(ranked, n_ranked[ids], 0)
    fifth = np.maximum(1, n_row // 5)
    cum = np.cumsum(counts, axis=1) / reps  # (rows, width)
    tail = (1 - level) / 2
    rank_lower = 1 + (cum < tail).sum(axis=1)
    rank_upper = 1 + (cum < 1 - tail - 1e-12).sum(axis=1)
    at = np.arange(len(y))
    p_top = cum[at, np.clip(fifth - 1, 0, width - 1)]
    p_bottom = 1 - cum[at, np.clip(n_row - fifth - 1, 0, width - 1)]
    p_bottom = np.where(n_row - fifth - 1 < 0, 1.0, p_bottom)

    reason = np.full(len(y), -1, dtype=np.int64)
    reason[ranked & (codes == _inputs.UNSET)] = _NO_POLARITY
    reason[~ranked] = _MISSING
    blank = ~ranked
    out = _labels.append(
        frame,
        numbers={
            name: np.where(blank, np.nan, arr.astype(float))
            for name, arr in (
                ("rank", rank),
                ("n_ranked", n_row),
                ("rank_lower", rank_lower),
                ("rank_upper", rank_upper),
                ("p_top_fifth", p_top),
                ("p_bottom_fifth", p_bottom),
            )
        },
        texts={"reason": (reason, _REASONS)},
        integers=["rank", "n_ranked", "rank_lower", "rank_upper"],
    )
    return _frames.to_native(out)


def _whole(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise InputError(f"argument '{name}' must be a whole number >= {low}; got {value!r}")
    return int(value)


def _peers_only(frame: nw.DataFrame[Any], area: str, peers: Sequence[Any]) -> nw.DataFrame[Any]:
    wanted = list(peers)
    if isinstance(peers, str) or not wanted:
        raise InputError(f"argument 'peers' must be a non-empty list of area codes; got {peers!r}")
    present = set(frame[area].unique().to_list())
    absent = [p for p in wanted if p not in present]
    if absent:
        raise InputError(f"peers {absent} are not in column '{area}'")
    return frame.filter(nw.col(area).is_in(wanted))


def _one_row_per_area(
    frame: nw.DataFrame[Any], area: str, keys: tuple[str, ...], ids: np.ndarray
) -> None:
    repeated = frame.select(*keys, area).is_duplicated().to_numpy()
    if repeated.any():
        raise InputError(
            f"each area must have one row per group {list(keys)}: "
            + _checks.where(repeated, frame[area].to_numpy())
        )


def _observed_ranks(
    ids: np.ndarray, score: np.ndarray, ranked: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Rank (ties share the better), slot within the group, areas per group, largest group."""
    n_groups = int(ids.max()) + 1 if len(ids) else 0
    rows = np.flatnonzero(ranked)
    order = rows[np.lexsort((-score[rows], ids[rows]))]
    g, s = ids[order], score[order]
    n_ranked = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(n_ranked) - n_ranked
    position = np.arange(len(order)) - starts[g]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (s[1:] != s[:-1])
    tie_start = np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))
    rank = np.zeros(len(ids), dtype=np.int64)
    slot = np.full(len(ids), -1, dtype=np.int64)
    rank[order] = tie_start - starts[g] + 1
    slot[order] = position
    width = int(n_ranked.max()) if len(n_ranked) else 1
    return rank, slot, n_ranked, max(width, 1)


def _simulate(
    ids: np.ndarray,
    slot: np.ndarray,
    score: np.ndarray,
    sd: np.ndarray,
    ranked: np.ndarray,
    n_ranked: np.ndarray,
    width: int,
    reps: int,
    seed: int,
) -> np.ndarray:
    """Count each row's simulated ranks 1..width over ``reps`` normal draws."""
    n_groups = len(n_ranked)
    mean = np.full((n_groups, width), -np.inf)
    spread = np.zeros((n_groups, width))
    rows = np.flatnonzero(ranked)
    mean[ids[rows], slot[rows]] = score[rows]
    spread[ids[rows], slot[rows]] = sd[rows]
    real = np.isfinite(mean)
    counts = np.zeros((n_groups, width, width), dtype=np.int64)
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK // max(n_groups * width, 1))
    flat_base = (np.arange(n_groups)[:, None] * width + np.arange(width)) * width
    for start in range(0, reps, block):
        size = min(block, reps - start)
        draws = mean + spread * rng.standard_normal((size, n_groups, width))
        ranks = np.argsort(np.argsort(-draws, axis=2, kind="stable"), axis=2)
        index = (flat_base + ranks)[:, real]
        counts.ravel()[:] += np.bincount(index.ravel(), minlength=counts.size)
    out = np.zeros((len(ids), width), dtype=np.int64)
    out[rows] = counts[ids[rows], slot[rows]]
    return out
