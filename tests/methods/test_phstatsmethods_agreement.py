"""healthgap against PHStatsMethods (DHSC's Python port of PHEindicatormethods), same inputs.

Every method both packages implement must agree to 1e-9 relative. Where PHStatsMethods departs
from the OHID method, the difference is tested explicitly, with the reason ours is kept.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from healthgap.methods import dsr, mean, proportion, quantile, rate
from healthgap.methods.funnel import funnel_limits, funnel_points, funnel_significance
from healthgap.methods.isr import israte, isratio

ph = pytest.importorskip("PHStatsMethods", reason="PHStatsMethods (bench extra) not installed")

RTOL = 1e-9
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
LIMIT_PAIRS = [
    ("value", "Value"),
    ("lower95_0cl", "lower_95_ci"),
    ("upper95_0cl", "upper_95_ci"),
    ("lower99_8cl", "lower_99_8_ci"),
    ("upper99_8cl", "upper_99_8_ci"),
]
FUNNEL_PAIRS = [
    ("lower95_0cl", "lower_2s_limit"),
    ("upper95_0cl", "upper_2s_limit"),
    ("lower99_8cl", "lower_3s_limit"),
    ("upper99_8cl", "upper_3s_limit"),
]


def peer(fn, *args, **kwargs):
    """Call PHStatsMethods, silencing pandas' deprecation warnings raised inside it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def assert_columns_agree(ours, theirs, pairs, rtol=RTOL):
    for mine, peers in pairs:
        a = np.asarray(ours[mine], float)
        b = np.asarray(theirs[peers], float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=mine)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0, err_msg=mine)


@pytest.fixture
def rng():
    return np.random.default_rng(20240601)


@pytest.fixture
def counts(rng):
    n = rng.integers(20, 20_000, 60)
    x = rng.binomial(n, 0.15)
    x[:4] = [0, n[1], 3, 9]  # none, all, and counts either side of the exact/Byar switch
    return pd.DataFrame({"g": np.arange(60), "x": x, "n": n})


@pytest.fixture
def banded(rng):
    groups = 50
    pop = rng.integers(200, 8000, groups * 19)
    events = rng.poisson(pop * np.tile(np.linspace(0.001, 0.08, 19), groups))
    events[:19] = rng.poisson(0.2, 19)  # a group below 10 events: no DSR
    events[19:38] = 0  # a group with none
    return pd.DataFrame(
        {"g": np.repeat(np.arange(groups), 19), "age": BANDS * groups, "x": events, "n": pop}
    )


def test_proportion(counts):
    ours = proportion(counts, "x", "n", group_by="g", confidence=(0.95, 0.998), multiplier=100)
    theirs = peer(
        ph.ph_proportion, counts, "x", "n", group_cols="g", confidence=[0.95, 0.998], multiplier=100
    )
    assert_columns_agree(ours, theirs, LIMIT_PAIRS)


def test_rate(counts):
    kept = counts[counts.x > 0]
    ours = rate(kept, "x", "n", group_by="g", confidence=(0.95, 0.998))
    theirs = peer(ph.ph_rate, kept, "x", "n", group_cols="g", confidence=[0.95, 0.998])
    assert_columns_agree(ours, theirs, LIMIT_PAIRS)


def test_rate_of_zero_events_differs():
    # PHStatsMethods 0.1.16 raises for a count of 0 ("'Value' must be a positive number").
    # OHID's guidance gives 0 events an exact upper limit, chi2(0.975; 2)/2 = -ln(0.025)
    # = 3.689 events, and PHEindicatormethods phe_rate does the same: ours is right.
    data = pd.DataFrame({"x": [0], "n": [1000]})
    with pytest.raises(ValueError, match="must be a positive number"):
        peer(ph.ph_rate, data, "x", "n")
    out = rate(data, "x", "n")
    assert out["lowercl"][0] == 0
    assert out["uppercl"][0] == pytest.approx(-np.log(0.025) / 1000 * 100_000, rel=1e-12)


def test_dsr(banded):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ours warns once for the groups below 10 events
        ours = dsr(banded, "x", "n", group_by="g", confidence=(0.95, 0.998))
    theirs = peer(ph.ph_dsr, banded, "x", "n", "age", group_cols="g", confidence=[0.95, 0.998])
    assert_columns_agree(ours, theirs, LIMIT_PAIRS)
    assert ours["value"].isna().sum() == 2
    np.testing.assert_array_equal(ours["total_count"], theirs["Total Count"])


def test_isratio_and_israte(banded, rng):
    data = banded[banded.g >= 2]  # PHStatsMethods raises for a group with no events
    x_ref = rng.integers(100, 5000, 19).astype(float)
    n_ref = rng.integers(100_000, 900_000, 19).astype(float)
    data = data.assign(xr=np.tile(x_ref, data.g.nunique()), nr=np.tile(n_ref, data.g.nunique()))
    ours = isratio(data, "x", "n", x_ref, n_ref, group_by="g", confidence=(0.95, 0.998))
    theirs = peer(
        ph.ph_ISRatio, data, "x", "n", "xr", "nr", group_cols="g", confidence=[0.95, 0.998]
    )
    assert_columns_agree(ours, theirs, [*LIMIT_PAIRS, ("expected", "Expected")])
    ours = israte(data, "x", "n", x_ref, n_ref, group_by="g", confidence=(0.95, 0.998))
    theirs = peer(
        ph.ph_ISRate, data, "x", "n", "xr", "nr", group_cols="g", confidence=[0.95, 0.998]
    )
    assert_columns_agree(ours, theirs, LIMIT_PAIRS)


def test_mean(rng):
    data = pd.DataFrame({"g": rng.integers(0, 40, 3000), "v": rng.normal(50, 12, 3000)})
    ours = mean(data, "v", group_by="g", confidence=(0.95, 0.998))
    theirs = peer(ph.ph_mean, data, "v", "g", confidence=[0.95, 0.998])
    assert_columns_agree(
        ours, theirs, [*LIMIT_PAIRS, ("value_sum", "value_sum"), ("stdev", "stdev")]
    )
    np.testing.assert_array_equal(ours["value_count"], theirs["value_count"])


@pytest.mark.parametrize("invert", [True, False])
def test_quantile(rng, invert):
    # 3,000 areas in 40 groups, values with many ties, decile boundaries at fractional N/10
    data = pd.DataFrame(
        {"g": rng.integers(0, 40, 3000), "v": rng.integers(0, 60, 3000).astype(float)}
    )
    ours = quantile(data, "v", group_by="g", invert=invert)
    theirs = peer(ph.ph_quantile, data, "v", group_cols=["g"], invert=invert)
    np.testing.assert_array_equal(ours["quantile"], theirs["quantile"])
    np.testing.assert_array_equal(ours["qinverted"], theirs["qinverted"])


def test_funnel_proportion(counts):
    ours = funnel_limits(counts, "x", "n", statistic="proportion", multiplier=100)
    theirs = peer(ph.calculate_funnel_limits, counts, "x", "proportion", 100, denom_col="n")
    np.testing.assert_array_equal(ours["population"], theirs["Population"])
    # the lower limits are 0 where clipped: compare absolutely there
    for mine, peers in [*FUNNEL_PAIRS, ("baseline", "baseline")]:
        np.testing.assert_allclose(ours[mine], theirs[peers], rtol=RTOL, atol=1e-12)
    ours = funnel_significance(counts, "x", "n")
    theirs = peer(ph.assign_funnel_significance, counts, "x", "proportion", denom_col="n")
    np.testing.assert_array_equal(ours["significance"], theirs["significance"])


def test_funnel_proportion_clips_at_a_proportion_of_one():
    # PHStatsMethods (and PHEindicatormethods 2.1) cap the upper limit at 100 whatever the
    # multiplier; a proportion cannot exceed 1, i.e. `multiplier`. Per 1,000, limits above 100
    # are real (e.g. 500 per 1,000): ours keeps them, theirs cuts them to 100.
    data = pd.DataFrame({"x": [4, 6], "n": [10, 10]})  # 50% of 10: the axis starts at 9
    ours = funnel_limits(data, "x", "n", multiplier=1000)
    theirs = peer(ph.calculate_funnel_limits, data, "x", "proportion", 1000, denom_col="n")
    assert theirs["upper_2s_limit"].max() == 100
    assert (ours["upper95_0cl"] > 500).all()
    assert ours["upper99_8cl"][0] == 1000  # 0.5 + 3.09 sqrt(0.25/9) > 1: clipped at 1
    same = funnel_limits(data, "x", "n", multiplier=100)
    peer_100 = peer(ph.calculate_funnel_limits, data, "x", "proportion", 100, denom_col="n")
    np.testing.assert_allclose(same["upper95_0cl"], peer_100["upper_2s_limit"], rtol=RTOL)


def bisection_position(mean_events, observed):
    """The variable PHE's bisection searches over: v with m = (1 + O) v / (1 - v)."""
    return mean_events / (1 + observed + mean_events)


@pytest.mark.parametrize("ratio_type", ["count", "isr"])
def test_funnel_ratio_limits_are_exact_where_peer_bisects(counts, ratio_type):
    # PHStatsMethods (as PHEindicatormethods and OHID's Excel tool) finds the Poisson means by
    # 23 bisection steps on v = m / (1 + O + m), stopping at a step of 6e-8; ours solves
    # P(X >= O; m) = alpha/2 and P(X <= O; m) = alpha/2 exactly (inverse incomplete gamma).
    # So the axis and everything else is identical, and the peer's means lie within its
    # final bisection step of ours; ours satisfy the defining equations to 1e-12.
    data = counts.assign(o=counts.x // 10, e=counts.n / 120)
    data = data[data.o > 0]
    ours = funnel_limits(data, "o", "e", statistic="ratio", ratio_type=ratio_type)
    theirs = peer(
        ph.calculate_funnel_limits, data, "o", "ratio", 1, denom_col="e", ratio_type=ratio_type
    )
    observed = ours["observed_events"].to_numpy()
    np.testing.assert_array_equal(observed, theirs["Observed_events"])
    for level, suffix, peer_suffix in ((0.95, "95_0", "2s"), (0.998, "99_8", "3s")):
        tail = (1 - level) / 2
        for side, peer_side in (("lower", "lower"), ("upper", "upper")):
            mine = ours[f"{side}{suffix}_expected"].to_numpy()
            theirs_m = theirs[f"{peer_side}_{peer_suffix}_exp_events"].to_numpy()
            step = np.abs(
                bisection_position(mine, observed) - bisection_position(theirs_m, observed)
            )
            assert step.max() < 1.2e-7
        np.testing.assert_allclose(
            special.gammaincc(observed + 1, ours[f"lower{suffix}_expected"]), tail, rtol=1e-12
        )
        np.testing.assert_allclose(
            special.gammainc(observed, ours[f"upper{suffix}_expected"]), tail, rtol=1e-12
        )
    ours_sig = funnel_significance(data, "o", "e", statistic="ratio")
    theirs_sig = peer(ph.assign_funnel_significance, data, "o", "ratio", denom_col="e")
    np.testing.assert_array_equal(ours_sig["significance"], theirs_sig["significance"])


@pytest.mark.parametrize("rate_type", ["dsr", "crude"])
def test_funnel_rate(rng, rate_type):
    pop = rng.integers(5_000, 300_000, 80)
    events = rng.poisson(pop * 0.004)
    events[:3] = [0, 4, 9]
    rates = np.where(events > 0, events / pop * 1e5 * rng.uniform(0.9, 1.1, 80), 0.0)
    data = pd.DataFrame({"ev": events, "pop": pop, "r": rates})
    ours = funnel_limits(
        data,
        "ev",
        "pop",
        "r",
        statistic="rate",
        rate_type=rate_type,
        years_of_data=3,
        multiplier=100_000,
    )
    theirs = peer(
        ph.calculate_funnel_limits,
        data,
        "ev",
        "rate",
        100_000,
        denom_col="pop",
        rate="r",
        rate_type=rate_type,
        years_of_data=3,
    )
    np.testing.assert_array_equal(ours["events"], theirs["Events"])
    np.testing.assert_allclose(ours["baseline"], theirs["baseline"], rtol=RTOL)
    # limits differ only by the peer's bisection (see the ratio test): within 6e-8 in v
    observed = ours["events"].to_numpy()
    average = ours["baseline"][0] / 100_000
    for mine, peers in FUNNEL_PAIRS:
        m_ours = average * observed / (ours[mine].to_numpy() / 100_000)
        m_peer = average * observed / (theirs[peers].to_numpy() / 100_000)
        step = np.abs(bisection_position(m_ours, observed) - bisection_position(m_peer, observed))
        assert step.max() < 1.2e-7

    ours_sig = funnel_significance(
        data, "ev", "pop", "r", statistic="rate", rate_type=rate_type, multiplier=100_000
    )
    theirs_sig = peer(
        ph.assign_funnel_significance,
        data,
        "ev",
        "rate",
        denom_col="pop",
        rate="r",
        rate_type=rate_type,
        multiplier=100_000,
    )
    # Same decisions; PHStatsMethods writes "DSRs" where PHEindicatormethods 2.1 (the reference
    # we follow for output) writes "dsrs".
    np.testing.assert_array_equal(
        ours_sig["significance"], theirs_sig["significance"].str.replace("for DSRs", "for dsrs")
    )
    if rate_type == "dsr":
        assert (
            ours_sig["significance"][:3] == "Not applicable for events less than 10 for dsrs"
        ).all()

    ours_pts = funnel_points(data, "ev", "pop", "r", rate_type=rate_type, years_of_data=3)
    theirs_pts = peer(
        ph.calculate_funnel_points, data, "ev", "r", rate_type, denom_col="pop", years_of_data=3
    )
    assert_columns_agree(
        ours_pts, theirs_pts, [("r_chart", "r_chart"), ("denominator_derived", "denom_derived")]
    )


def test_exact_poisson_means_reference_values():
    # the defining equations through scipy's Poisson distribution, independently of ours
    ours = funnel_limits(
        pd.DataFrame({"o": [5, 50], "e": [5.0, 45.0]}),
        "o",
        "e",
        statistic="ratio",
        ratio_type="isr",
    )
    o = ours["observed_events"].to_numpy()
    np.testing.assert_allclose(stats.poisson.cdf(o, ours["lower99_8_expected"]), 0.001, rtol=1e-9)
