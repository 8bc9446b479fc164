"""The official indicator methods: healthgap against PHStatsMethods on the same seeded inputs.

Each workload gives one pandas table to both packages in one process, checks that they agree,
then times them: healthgap as the median of warm runs, PHStatsMethods the same unless one run
takes over :data:`SLOW_PEER` seconds (then that single run is its time, said in the line).
Peak memory is the growth of this process's resident memory during one call of each. Then
each input where the two differ is run through both, saying which answer is right and why. A
last line per workload times healthgap alone at 10x the size, to show its growth is linear.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._harness import line, max_rel_diff, median_seconds, peak_rss_mb, traced_peak_mb
from healthgap.methods import dsr, mean, proportion, quantile, rate
from healthgap.methods.isr import isratio

SLOW_PEER = 5.0  # seconds: slower peers are timed on one run
#: The workloads of the goal (issue #2): at least 50x faster, peak memory at most 2x.
GOAL_WORKLOADS = {
    "dsr (ESP2013, Dobson)": 50,
    "crude rate (exact/Byar)": 50,
    "proportion (Wilson)": 50,
    "isratio (exact/Byar)": 50,
}
BANDS = [
    "0-4",
    "5-9",
    "10-14",
    "15-19",
    "20-24",
    "25-29",
    "30-34",
    "35-39",
    "40-44",
    "45-49",
    "50-54",
    "55-59",
    "60-64",
    "65-69",
    "70-74",
    "75-79",
    "80-84",
    "85-89",
    "90+",
]
LIMITS = [
    ("value", "Value"),
    ("lower95_0cl", "lower_95_ci"),
    ("upper95_0cl", "upper_95_ci"),
    ("lower99_8cl", "lower_99_8_ci"),
    ("upper99_8cl", "upper_99_8_ci"),
]
BOTH = (0.95, 0.998)


def _quiet(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Run ``fn`` silently: no warnings (pandas deprecations in the peer, small-count notes),
    and no printing (PHStatsMethods' ``ph_dsr`` prints its age-band join)."""

    def call() -> Any:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return fn()

    return call


def compare(
    name: str,
    size: str,
    rows: int,
    ours: Callable[[], Any],
    peer: Callable[[], Any] | None,
    pairs: list[tuple[str, str]],
) -> None:
    """Check agreement, time both, print one line (and return nothing)."""
    ours, peer = _quiet(ours), _quiet(peer) if peer is not None else None
    mem_ours, mine = peak_rss_mb(ours)
    if peer is None:
        t_ours = median_seconds(ours)
        line(name, size, t_ours, extra=f"{rows / t_ours:,.0f} rows/s  peak {mem_ours:.0f} MB")
        return
    t0 = time.perf_counter()
    mem_peer, theirs = peak_rss_mb(peer)
    first_peer = time.perf_counter() - t0
    diff = max(
        max_rel_diff(np.asarray(mine[a], float), np.asarray(theirs[b], float)) for a, b in pairs
    )
    t_ours = median_seconds(ours)
    if first_peer > SLOW_PEER:
        t_peer, note = first_peer, "peer timed on 1 run"
    else:
        t_peer, note = median_seconds(peer, repeat=3), "peer median of 3"
    # resident-memory growth misses memory a call reuses from earlier ones (a small peer's
    # can read 0): the peak of traced allocations (numpy, pandas, Python) is given too
    traced_ours, traced_peer = traced_peak_mb(ours), traced_peak_mb(peer)
    goal = GOAL_WORKLOADS.get(name)
    verdict = (
        ""
        if goal is None
        else ""
        if t_peer / t_ours >= goal and traced_ours <= 2 * traced_peer
        else f"  BELOW GOAL ({goal}x, memory <= 2x)"
    )
    line(
        name,
        size,
        t_ours,
        t_peer,
        diff,
        extra=f"peak MB {mem_ours:.0f} vs {mem_peer:.0f} (resident), {traced_ours:.1f} vs "
        f"{traced_peer:.1f} (traced)  {note}{verdict}",
    )


def _banded(groups: int, rng: np.random.Generator) -> pd.DataFrame:
    pop = rng.integers(200, 8_000, groups * 19)
    risk = np.tile(np.linspace(0.0005, 0.08, 19), groups)
    return pd.DataFrame(
        {
            "g": np.repeat(np.arange(groups), 19),
            "age": BANDS * groups,
            "x": rng.poisson(pop * risk),
            "n": pop,
        }
    )


def _dsr(groups: int, with_peer: bool) -> None:
    data = _banded(groups, np.random.default_rng(1))
    peer = None
    if with_peer:
        import PHStatsMethods

        def peer() -> Any:
            return PHStatsMethods.ph_dsr(
                data, "x", "n", "age", group_cols="g", confidence=list(BOTH)
            )

    compare(
        "dsr (ESP2013, Dobson)",
        f"{groups:,} groups x 19",
        len(data),
        lambda: dsr(data, "x", "n", group_by="g", confidence=BOTH),
        peer,
        LIMITS,
    )


def _rate(rows: int, with_peer: bool) -> None:
    rng = np.random.default_rng(2)
    n = rng.integers(1_000, 500_000, rows)
    data = pd.DataFrame({"area": np.arange(rows), "x": rng.poisson(n * 0.003) + 1, "n": n})
    peer = None
    if with_peer:
        import PHStatsMethods

        def peer() -> Any:
            return PHStatsMethods.ph_rate(data, "x", "n", group_cols="area", confidence=list(BOTH))

    compare(
        "crude rate (exact/Byar)",
        f"{rows:,} rows",
        rows,
        lambda: rate(data, "x", "n", group_by="area", confidence=BOTH),
        peer,
        LIMITS,
    )


def _proportion(rows: int, groups: int, with_peer: bool) -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(1, 200, rows)
    data = pd.DataFrame({"g": rng.integers(0, groups, rows), "x": rng.binomial(n, 0.3), "n": n})
    peer = None
    if with_peer:
        import PHStatsMethods

        def peer() -> Any:
            return PHStatsMethods.ph_proportion(
                data, "x", "n", group_cols="g", confidence=list(BOTH)
            )

    compare(
        "proportion (Wilson)",
        f"{rows:,} rows, {groups:,} groups",
        rows,
        lambda: proportion(data, "x", "n", group_by="g", confidence=BOTH),
        peer,
        LIMITS,
    )


def _isr(groups: int, with_peer: bool) -> None:
    rng = np.random.default_rng(4)
    data = _banded(groups, rng)
    x_ref = rng.integers(1_000, 50_000, 19).astype(float)
    n_ref = rng.integers(1_000_000, 4_000_000, 19).astype(float)
    data = data.assign(xr=np.tile(x_ref, groups), nr=np.tile(n_ref, groups))
    peer = None
    if with_peer:
        import PHStatsMethods

        def peer() -> Any:
            return PHStatsMethods.ph_ISRatio(
                data, "x", "n", "xr", "nr", group_cols="g", confidence=list(BOTH)
            )

    compare(
        "isratio (exact/Byar)",
        f"{groups:,} groups x 19",
        len(data),
        lambda: isratio(data, "x", "n", x_ref, n_ref, group_by="g", confidence=BOTH),
        peer,
        LIMITS,
    )


def _mean(rows: int, groups: int, with_peer: bool) -> None:
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"g": rng.integers(0, groups, rows), "v": rng.gamma(9.0, 4.0, rows)})
    peer = None
    if with_peer:
        import PHStatsMethods

        def peer() -> Any:
            return PHStatsMethods.ph_mean(data, "v", "g", confidence=list(BOTH))

    compare(
        "mean (Student's t)",
        f"{rows:,} rows, {groups:,} groups",
        rows,
        lambda: mean(data, "v", group_by="g", confidence=BOTH),
        peer,
        LIMITS,
    )


def _quantile(areas: int, groups: int, with_peer: bool) -> None:
    rng = np.random.default_rng(6)
    data = pd.DataFrame(
        {"g": rng.integers(0, groups, areas), "v": np.round(rng.gamma(2.0, 10.0, areas), 1)}
    )
    peer = None
    if with_peer:
        import PHStatsMethods

        def peer() -> Any:
            return PHStatsMethods.ph_quantile(data, "v", group_cols=["g"])

    compare(
        "quantile (deciles)",
        f"{areas:,} areas, {groups:,} groups",
        areas,
        lambda: quantile(data, "v", group_by="g"),
        peer,
        [("quantile", "quantile")],
    )


def _peer_outcome(fn: Callable[[], Any]) -> tuple[Any, str | None]:
    """The peer's result, or ``None`` and the error it raised."""
    try:
        return _quiet(fn)(), None
    except Exception as error:  # the peer's failure is what we report
        return None, f"{type(error).__name__}: {error}"


def differences() -> None:
    """Print, with numbers from this run, each input where the two packages differ, which
    answer is right and why (the tests in tests/methods/test_phstatsmethods_agreement.py
    hold the same cases)."""
    import PHStatsMethods as ph  # noqa: N813 - the tests' name for it
    from scipy import special

    from healthgap.methods.funnel import funnel_limits, funnel_significance

    print("-- where PHStatsMethods and healthgap differ, and which is right", flush=True)

    zero = pd.DataFrame({"x": [0], "n": [1000]})
    ours = _quiet(lambda: rate(zero, "x", "n"))()
    _, error = _peer_outcome(lambda: ph.ph_rate(zero, "x", "n"))
    print(
        f"rate of 0 events in 1,000: healthgap {ours['value'][0]:g} "
        f"({ours['lowercl'][0]:g} to {ours['uppercl'][0]:.4f}); PHStatsMethods "
        f"{error or 'a value'}. healthgap is right: OHID's guidance and PHEindicatormethods "
        "give 0 events the exact upper limit chi2(0.975; 2)/2 = -ln(0.025) = 3.689 events",
        flush=True,
    )

    empty = pd.DataFrame(
        {
            "g": [1] * 19 + [2] * 19,
            "age": BANDS * 2,
            "x": [0] * 19 + [3] * 19,
            "n": [1000] * 38,
            "xr": [50.0] * 38,
            "nr": [10_000.0] * 38,
        }
    )
    ours = _quiet(
        lambda: isratio(empty, "x", "n", np.full(19, 50.0), np.full(19, 10_000.0), group_by="g")
    )()
    _, error = _peer_outcome(lambda: ph.ph_ISRatio(empty, "x", "n", "xr", "nr", group_cols="g"))
    print(
        f"ISR of a group with 0 observed deaths: healthgap {ours['value'][0]:g} "
        f"({ours['lowercl'][0]:g} to {ours['uppercl'][0]:.4f}); PHStatsMethods "
        f"{error or 'a value'}. healthgap is right: 0 observed is a valid count with exact "
        "Poisson limits, as in PHEindicatormethods",
        flush=True,
    )

    clip = pd.DataFrame({"x": [4, 6], "n": [10, 10]})
    ours = _quiet(lambda: funnel_limits(clip, "x", "n", multiplier=1000))()
    theirs = _quiet(
        lambda: ph.calculate_funnel_limits(clip, "x", "proportion", 1000, denom_col="n")
    )()
    print(
        f"funnel limits of a proportion per 1,000: healthgap's 95% upper limits reach "
        f"{ours['upper95_0cl'].max():.1f}; PHStatsMethods caps them at "
        f"{theirs['upper_2s_limit'].max():g}. healthgap is right: a proportion is capped at "
        "1, i.e. at the multiplier (PHStatsMethods caps at 100 whatever the multiplier)",
        flush=True,
    )

    rng = np.random.default_rng(20240601)
    n = rng.integers(20, 20_000, 60)
    ratio = pd.DataFrame({"o": rng.binomial(n, 0.15) // 10 + 1, "e": n / 120})
    ours = _quiet(lambda: funnel_limits(ratio, "o", "e", statistic="ratio", ratio_type="count"))()
    theirs = _quiet(
        lambda: ph.calculate_funnel_limits(
            ratio, "o", "ratio", 1, denom_col="e", ratio_type="count"
        )
    )()
    o = ours["observed_events"].to_numpy()
    tail = 0.001  # the 99.8% limit: P(X >= O; m) = 0.001
    ours_err = np.abs(special.gammaincc(o + 1, ours["lower99_8_expected"]) - tail).max()
    peer_err = np.abs(special.gammaincc(o + 1, theirs["lower_3s_exp_events"]) - tail).max()
    diff = max_rel_diff(
        ours["lower99_8_expected"].to_numpy(float), theirs["lower_3s_exp_events"].to_numpy(float)
    )
    same = (
        _quiet(lambda: funnel_significance(ratio, "o", "e", statistic="ratio"))()[
            "significance"
        ].to_numpy()
        == _quiet(lambda: ph.assign_funnel_significance(ratio, "o", "ratio", denom_col="e"))()[
            "significance"
        ].to_numpy()
    ).all()
    print(
        f"funnel limits of a ratio (Poisson means): max rel diff {diff:.1e}; the defining "
        f"equation P(X >= O; m) = 0.001 holds to {ours_err:.1e} for healthgap, "
        f"{peer_err:.1e} for PHStatsMethods; same significance: {same}. healthgap is right: "
        "it solves the equation exactly (inverse incomplete gamma), PHStatsMethods (as "
        "PHEindicatormethods and OHID's Excel tool) stops a bisection at a step of 6e-8",
        flush=True,
    )


def run(scale: float = 1.0) -> None:
    """Print one line per workload against PHStatsMethods, then healthgap alone at 10x."""

    def k(n: int) -> int:
        return max(1, int(n * scale))

    try:
        import PHStatsMethods  # noqa: F401

        peer = True
    except ImportError:
        print("PHStatsMethods not installed: timing healthgap alone", flush=True)
        peer = False
    _dsr(k(10_000), peer)
    _rate(k(10_000), peer)
    _proportion(k(1_000_000), k(10_000), peer)
    _isr(k(10_000), peer)
    _mean(k(1_000_000), k(10_000), peer)
    _quantile(k(32_844), k(300), peer)
    if peer:
        differences()
    print(
        "-- healthgap alone at 1x and 10x: rows/s should stay about the same (linear)", flush=True
    )
    for factor in (1, 10):
        _dsr(k(10_000 * factor), False)
        _rate(k(10_000 * factor), False)
        _proportion(k(1_000_000 * factor), k(10_000 * factor), False)
        _isr(k(10_000 * factor), False)
        _mean(k(1_000_000 * factor), k(10_000 * factor), False)
        _quantile(k(32_844 * factor), k(300 * factor), False)
