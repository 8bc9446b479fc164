import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import optimize, stats

from healthgap import _limits


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99, 0.998])
def test_z_value(level):
    assert _limits.z_value(level) == pytest.approx(NormalDist().inv_cdf(0.5 + level / 2), rel=1e-12)


def test_wilson_newcombe_1998_table_i():
    # Newcombe, Stat Med 1998;17:857-72, Table I, method 3 (4 decimal places)
    lo, hi = _limits.wilson(np.array([81, 15, 0, 1]), np.array([263, 148, 20, 29]), 0.95)
    np.testing.assert_allclose(lo, [0.2553, 0.0624, 0.0, 0.0061], atol=5e-5)
    np.testing.assert_allclose(hi, [0.3662, 0.1605, 0.1611, 0.1718], atol=5e-5)


def test_wilson_x_equals_n_reaches_one():
    lo, hi = _limits.wilson(np.array([20.0]), np.array([20.0]), 0.95)
    assert hi[0] == pytest.approx(1.0, rel=1e-12)
    assert lo[0] == pytest.approx(0.8389, abs=5e-5)  # mirror of 0/20 in Newcombe's Table I


@pytest.mark.parametrize("x", [0, 1, 3, 9, 25])
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_poisson_exact_matches_tail_definition(x, level):
    # P(X >= x | L) = alpha/2, P(X <= x | U) = alpha/2 (Armitage & Berry 2002)
    a = (1 - level) / 2
    lo, hi = _limits.poisson_exact(np.array([x]), level)
    want_hi = optimize.brentq(lambda m: stats.poisson.cdf(x, m) - a, 1e-12, 200, xtol=1e-14)
    assert hi[0] == pytest.approx(want_hi, rel=1e-9)
    if x == 0:
        assert lo[0] == 0.0
    else:
        want_lo = optimize.brentq(lambda m: stats.poisson.sf(x - 1, m) - a, 1e-12, 200, xtol=1e-14)
        assert lo[0] == pytest.approx(want_lo, rel=1e-9)


@pytest.mark.parametrize("x", [1, 10, 50, 10_000])
def test_byar_hand_formula(x):
    # Breslow & Day 1987, p 69
    z = NormalDist().inv_cdf(0.975)
    lo, hi = _limits.byar(np.array([x]), 0.95)
    assert lo[0] == pytest.approx(x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3, rel=1e-12)
    x1 = x + 1
    assert hi[0] == pytest.approx(x1 * (1 - 1 / (9 * x1) + z / (3 * math.sqrt(x1))) ** 3, rel=1e-12)


def test_byar_close_to_exact_for_large_counts():
    exact = _limits.poisson_exact(np.array([500.0]), 0.95)
    approx = _limits.byar(np.array([500.0]), 0.95)
    np.testing.assert_allclose(approx, exact, rtol=1e-3)


def test_poisson_count_switches_at_ten():
    x = np.array([0.0, 9.0, 10.0, 11.0])
    lo, hi = _limits.poisson_count(x, 0.95)
    ex_lo, ex_hi = _limits.poisson_exact(x, 0.95)
    by_lo, by_hi = _limits.byar(x, 0.95)
    np.testing.assert_array_equal(lo, [ex_lo[0], ex_lo[1], by_lo[2], by_lo[3]])
    np.testing.assert_array_equal(hi, [ex_hi[0], ex_hi[1], by_hi[2], by_hi[3]])
    assert _limits.BYAR_MIN_COUNT == 10


def test_student_t_matches_scipy_interval():
    lo, hi = _limits.student_t(np.array([5.0]), np.array([2.0]), np.array([12.0]), 0.95)
    want = stats.t.interval(0.95, 11, loc=5.0, scale=2.0 / math.sqrt(12))
    np.testing.assert_allclose([lo[0], hi[0]], want, rtol=1e-12)
