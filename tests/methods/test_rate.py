import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import rate

Z95 = 1.959963984540054


def _exact_by_root_finding(x, level):
    # exact Poisson limits defined by tail probabilities (Armitage & Berry 2002, sec 5.3):
    # P(X >= x | L) = alpha/2 and P(X <= x | U) = alpha/2, solved numerically
    a = (1 - level) / 2
    lower = (
        0.0
        if x == 0
        else optimize.brentq(
            lambda m: stats.poisson.sf(x - 1, m) - a, 1e-12, 10 * x + 10, xtol=1e-14, rtol=1e-14
        )
    )
    upper = optimize.brentq(
        lambda m: stats.poisson.cdf(x, m) - a, 1e-12, 10 * x + 50, xtol=1e-14, rtol=1e-14
    )
    return lower, upper


def _byar_by_hand(x, z):
    # Breslow & Day 1987, p 69
    lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    return lower, upper


@pytest.mark.parametrize("x", [0, 1, 2, 5, 9])
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_exact_limits_below_ten(x, level):
    out = rate(
        pl.DataFrame({"x": [x], "n": [1000]}), "x", "n", confidence=level, multiplier=1000
    ).row(0, named=True)
    lower, upper = _exact_by_root_finding(x, level)
    assert out["lowercl"] == pytest.approx(lower, rel=1e-9, abs=1e-12)
    assert out["uppercl"] == pytest.approx(upper, rel=1e-9)
    assert out["method"] == "Exact"


def test_zero_events_closed_form():
    # chi-square with 2 df: upper = -ln(alpha/2) per person; 3.6889 at 95%
    out = rate(pl.DataFrame({"x": [0], "n": [1]}), "x", "n", multiplier=1).row(0, named=True)
    assert out["value"] == 0.0
    assert out["lowercl"] == 0.0
    assert out["uppercl"] == pytest.approx(-math.log(0.025), rel=1e-12)


@pytest.mark.parametrize("x", [10, 11, 65, 1000, 123456])
def test_byar_from_ten(x):
    out = rate(pl.DataFrame({"x": [x], "n": [50_000]}), "x", "n").row(0, named=True)
    lower, upper = _byar_by_hand(x, Z95)
    assert out["lowercl"] == pytest.approx(lower / 50_000 * 100_000, rel=1e-9)
    assert out["uppercl"] == pytest.approx(upper / 50_000 * 100_000, rel=1e-9)
    assert out["value"] == pytest.approx(x / 50_000 * 100_000, rel=1e-12)
    assert out["method"] == "Byars"


def test_method_switches_between_nine_and_ten():
    out = rate(
        pl.DataFrame({"g": [1, 2], "x": [9, 10], "n": [100, 100]}),
        "x",
        "n",
        group_by="g",
        multiplier=100,
    )
    assert out["method"].to_list() == ["Exact", "Byars"]
    lo9, hi9 = _exact_by_root_finding(9, 0.95)
    lo10, hi10 = _byar_by_hand(10, Z95)
    np.testing.assert_allclose(
        out.select("lowercl", "uppercl").to_numpy(), [[lo9, hi9], [lo10, hi10]], rtol=1e-9
    )


def test_statistic_and_both_levels():
    out = rate(pl.DataFrame({"x": [65], "n": [100_000]}), "x", "n", confidence=(0.998, 0.95))
    assert out.columns == [
        "x",
        "n",
        "value",
        "lower95_0cl",
        "upper95_0cl",
        "lower99_8cl",
        "upper99_8cl",
        "confidence",
        "statistic",
        "method",
    ]
    assert out["statistic"][0] == "rate per 100000"
    assert out["confidence"][0] == "95%, 99.8%"
    assert (
        rate(pl.DataFrame({"x": [65], "n": [10]}), "x", "n", multiplier=1000)["statistic"][0]
        == "rate per 1000"
    )


def test_same_answer_from_pandas_polars_arrow(constructor):
    d = {"area": ["E1", "E2", "E1", "E3"], "x": [4, 30, 5, 0], "n": [1000, 2000, 3000, 10]}
    out = rate(constructor(d), "x", "n", group_by="area", confidence=(0.95, 0.998))
    assert type(out) is type(constructor(d))
    got = pl.DataFrame(out)
    assert got["area"].to_list() == ["E1", "E2", "E3"]
    assert got["x"].to_list() == [9, 30, 0]
    assert got["method"].to_list() == ["Exact", "Byars", "Exact"]
    ref = rate(pl.DataFrame(d), "x", "n", group_by="area", confidence=(0.95, 0.998))
    cols = ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]
    np.testing.assert_allclose(got.select(cols).to_numpy(), ref.select(cols).to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("d", "message"),
    [
        ({"x": [1, -2], "n": [4, 4]}, r"column 'x' must be >= 0: 1 of 2 rows fail \(rows \[1\]"),
        ({"x": [1, 2], "n": [4, 0]}, r"column 'n' must be > 0: 1 of 2 rows fail \(rows \[1\]"),
        ({"x": [1.0, float("nan")], "n": [4, 4]}, r"column 'x' must not be missing or infinite"),
    ],
)
def test_bad_rows_are_named(d, message):
    with pytest.raises(InputError, match=message):
        rate(pd.DataFrame(d), "x", "n")


def test_bad_arguments():
    d = pl.DataFrame({"x": [1], "n": [4]})
    with pytest.raises(InputError, match=r"confidence must be between 0\.9 and 1"):
        rate(d, "x", "n", confidence=0.8)
    with pytest.raises(InputError, match="argument 'multiplier' must be > 0"):
        rate(d, "x", "n", multiplier=-1)
    with pytest.raises(InputError, match="columns must be numeric: 'n' is String"):
        rate(d.with_columns(pl.col("n").cast(pl.String)), "x", "n")


def test_flag_mode():
    d = pl.DataFrame({"g": ["a", "b"], "x": [3, -1], "n": [10, 10]})
    with pytest.warns(SuppressedWarning, match=r"rate withheld for 1 of 2 groups"):
        out = rate(d, "x", "n", group_by="g", errors="flag")
    assert out["value"].to_list() == [30000.0, None]
    assert out["statistic"].to_list() == ["rate per 100000", "column 'x' must be >= 0"]


counts = st.tuples(st.integers(0, 5000), st.integers(1, 10**7))


@settings(max_examples=60, deadline=None)
@given(st.lists(counts, min_size=1, max_size=30))
def test_limits_bracket_value_and_widen(rows):
    x, n = zip(*rows, strict=True)
    out = rate(
        pl.DataFrame({"x": x, "n": n, "g": range(len(x))}),
        "x",
        "n",
        group_by="g",
        confidence=(0.95, 0.998),
    )
    order = ["lower99_8cl", "lower95_0cl", "value", "upper95_0cl", "upper99_8cl"]
    vals = out.select(order).to_numpy()
    assert (np.diff(vals, axis=1) >= -1e-9 * np.abs(vals[:, 1:])).all()
    assert (vals[:, 0] >= 0).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(counts, min_size=1, max_size=20), st.sampled_from([1, 1000, 100_000, 0.5]))
def test_multiplier_scales(rows, multiplier):
    x, n = zip(*rows, strict=True)
    d = pl.DataFrame({"x": x, "n": n, "g": range(len(x))})
    base = rate(d, "x", "n", group_by="g", multiplier=1, type="standard")
    scaled = rate(d, "x", "n", group_by="g", multiplier=multiplier, type="standard")
    cols = ["value", "lowercl", "uppercl"]
    np.testing.assert_allclose(
        scaled.select(cols).to_numpy(), base.select(cols).to_numpy() * multiplier, rtol=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("xyz"), counts), min_size=1, max_size=25))
def test_grouped_equals_each_group_alone(rows):
    d = pl.DataFrame(
        {"g": [r[0] for r in rows], "x": [r[1][0] for r in rows], "n": [r[1][1] for r in rows]}
    )
    grouped = rate(d, "x", "n", group_by="g")
    for row in grouped.iter_rows(named=True):
        alone = rate(d.filter(pl.col("g") == row["g"]), "x", "n").row(0, named=True)
        assert row["method"] == alone["method"]
        for col in ("x", "n", "value", "lowercl", "uppercl"):
            assert row[col] == pytest.approx(alone[col], rel=1e-12)
