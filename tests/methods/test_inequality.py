"""Tests of the WHO HEAT summary measures (healthgap.methods.inequality)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special
from tests.conftest import to_polars

from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods.inequality import inequality_measures

Z95 = 1.959963984540054
Y = np.array([30.0, 40.0, 55.0, 70.0])
POP = np.array([100.0, 200.0, 300.0, 150.0])
SE = np.array([2.0, 2.0, 3.0, 2.0])
ORDERED = pl.DataFrame({"q": [1, 2, 3, 4], "v": Y, "pop": POP, "se": SE})


def by_measure(out) -> dict[str, dict]:
    return {r["measure"]: r for r in to_polars(out).iter_rows(named=True)}


def test_difference_and_ratio_by_hand():
    out = by_measure(
        inequality_measures(ORDERED, "v", "pop", order="q", se="se", measures=["d", "r"])
    )
    se_d = np.hypot(2, 2)
    assert out["d"]["value"] == pytest.approx(40.0, rel=1e-12)
    assert out["d"]["se"] == pytest.approx(se_d, rel=1e-12)
    assert out["d"]["lowercl"] == pytest.approx(40 - Z95 * se_d, rel=1e-12)
    se_log = np.sqrt((2 / 70) ** 2 + (2 / 30) ** 2)
    assert out["r"]["value"] == pytest.approx(70 / 30, rel=1e-12)
    assert out["r"]["uppercl"] == pytest.approx(70 / 30 * np.exp(Z95 * se_log), rel=1e-12)
    assert out["r"]["se"] == pytest.approx(70 / 30 * se_log, rel=1e-12)
    # non-ordered: highest vs lowest value whatever the order of the rows
    shuffled = ORDERED[[2, 0, 3, 1]].drop("q")
    non = by_measure(
        inequality_measures(
            shuffled, "v", "pop", dimension_type="non-ordered", se="se", measures=["d", "r"]
        )
    )
    assert non["d"]["value"] == pytest.approx(40.0)
    assert non["r"]["value"] == pytest.approx(70 / 30)


def test_concentration_indices_match_an_independent_regression():
    out = by_measure(
        inequality_measures(ORDERED, "v", "pop", order="q", se="se", measures=["aci", "rci"])
    )
    p = POP / POP.sum()
    x = np.cumsum(p) - p / 2
    aci = np.sum(p * (2 * x - 1) * Y)
    mu = np.sum(p * Y)
    # convenient regression (O'Donnell et al. 2008): sqrt(w) * 2 var(x) y on sqrt(w) [1, x]
    var_x = np.sum(p * (x - 0.5) ** 2)
    design = np.sqrt(POP)[:, None] * np.column_stack([np.ones(4), x])
    lhs = np.sqrt(POP) * 2 * var_x * Y
    coef, rss, *_ = np.linalg.lstsq(design, lhs, rcond=None)
    cov = rss[0] / (4 - 2) * np.linalg.inv(design.T @ design)
    assert coef[1] == pytest.approx(aci, rel=1e-10)
    assert out["aci"]["value"] == pytest.approx(aci, rel=1e-10)
    assert out["aci"]["se"] == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-8)
    assert out["rci"]["value"] == pytest.approx(aci / mu, rel=1e-10)
    assert out["rci"]["se"] == pytest.approx(np.sqrt(cov[1, 1]) / mu, rel=1e-8)


def test_logistic_sii_and_rii_match_an_independent_fit():
    out = by_measure(
        inequality_measures(ORDERED, "v", "pop", order="q", se="se", measures=["sii", "rii"])
    )
    p = POP / POP.sum()
    x = np.cumsum(p) - p / 2
    prop = Y / 100  # values are percentages: WHO's inferred scale is 100

    def nll(b):
        m = special.expit(b[0] + b[1] * x)
        return -np.sum(POP * (prop * np.log(m) + (1 - prop) * np.log(1 - m)))

    b = optimize.minimize(nll, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10}).x
    m1, m0 = special.expit(b.sum()), special.expit(b[0])
    assert out["sii"]["value"] == pytest.approx(100 * (m1 - m0), rel=1e-6)
    assert out["rii"]["value"] == pytest.approx(m1 / m0, rel=1e-6)
    # HC1 sandwich and delta method, written with matrices
    design = np.column_stack([np.ones(4), x])
    m = special.expit(design @ b)
    bread = np.linalg.inv(design.T @ (design * (POP * m * (1 - m))[:, None]))
    score = design * (POP * (prop - m))[:, None]
    cov = bread @ score.T @ score @ bread * 4 / 2
    grad = np.array([m1 * (1 - m1) - m0 * (1 - m0), m1 * (1 - m1)])
    assert out["sii"]["se"] == pytest.approx(100 * np.sqrt(grad @ cov @ grad), rel=1e-5)
    assert out["sii"]["method"] == "WHO HEAT; analytic limits"


def test_non_ordered_measures_by_hand():
    ref = [False, True, False, False]
    d = ORDERED.drop("q").with_columns(ref=pl.Series(ref))
    out = by_measure(
        inequality_measures(
            d,
            "v",
            "pop",
            dimension_type="non-ordered",
            reference="ref",
            se="se",
            scale=None,
            repetitions=500,
            seed=1,
        )
    )
    p = POP / POP.sum()
    mu = np.sum(p * Y)
    best, yref = Y.max(), Y[1]
    expected = {
        "bgv": np.sum(p * (Y - mu) ** 2),
        "bgsd": np.sqrt(np.sum(p * (Y - mu) ** 2)),
        "cov": np.sqrt(np.sum(p * (Y - mu) ** 2)) / mu,
        "mdmu": np.mean(np.abs(Y - mu)),
        "mdmw": np.sum(p * np.abs(Y - mu)),
        "mdbu": np.mean(best - Y),
        "mdbw": np.sum(p * (best - Y)),
        "mdru": np.mean(np.abs(Y - yref)),
        "mdrw": np.sum(p * np.abs(Y - yref)),
        "idisu": np.mean(np.abs(Y - mu)) / mu,
        "idisw": np.sum(p * np.abs(Y - mu)) / mu,
        "ti": np.sum(p * Y / mu * np.log(Y / mu)),
        "mld": np.sum(-p * np.log(Y / mu)),
        "par": max(yref - mu, 0.0),
        "paf": max(yref - mu, 0.0) / mu,
    }
    for name, value in expected.items():
        assert out[name]["value"] == pytest.approx(value, rel=1e-12, abs=1e-15), name
    # BGV's analytic standard error (WHO HEAT technical notes)
    se_bgv = np.sqrt(np.sum(4 * p**2 * (Y - mu) ** 2 * SE**2))
    assert out["bgv"]["se"] == pytest.approx(se_bgv, rel=1e-12)
    assert out["ti"]["method"] == "WHO HEAT; limits by simulation, 500 draws"
    # the reference here (40) is below the average: PAR is capped at 0 for favourable
    assert out["par"]["value"] == 0.0


def test_paf_for_adverse_indicators_and_ordered_reference():
    out = by_measure(
        inequality_measures(
            ORDERED,
            "v",
            "pop",
            order="q",
            se="se",
            favourable=False,
            measures=["par", "paf"],
            repetitions=200,
            seed=2,
        )
    )
    mu = np.sum(POP / POP.sum() * Y)
    # adverse: the most advantaged (70) is worse than the average, so PAR = min(70 - mu, 0)
    assert out["par"]["value"] == 0.0
    good = by_measure(
        inequality_measures(
            ORDERED,
            "v",
            "pop",
            order="q",
            se="se",
            measures=["par", "paf"],
            repetitions=200,
            seed=2,
        )
    )
    assert good["par"]["value"] == pytest.approx(70 - mu, rel=1e-12)
    assert good["paf"]["value"] == pytest.approx(100 * (70 - mu) / mu, rel=1e-12)
    assert good["paf"]["statistic"] == "population attributable fraction (PAF) x 100"


def test_equal_values_give_zero_inequality():
    d = pl.DataFrame(
        {"q": [1, 2, 3, 4, 5], "v": [12.5] * 5, "pop": [3, 9, 4, 7, 1], "se": [0.5] * 5}
    )
    out = by_measure(
        inequality_measures(
            d,
            "v",
            "pop",
            dimension_type="non-ordered",
            se="se",
            measures=["d", "r", "bgv", "ti", "mld", "mdmw", "idisu"],
            repetitions=200,
            seed=3,
        )
    )
    for name in ("d", "bgv", "ti", "mld", "mdmw", "idisu"):
        assert out[name]["value"] == pytest.approx(0.0, abs=1e-12), name
    assert out["r"]["value"] == pytest.approx(1.0)
    ordered = by_measure(
        inequality_measures(d, "v", "pop", order="q", se="se", measures=["aci", "sii", "rii"])
    )
    assert ordered["aci"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert ordered["sii"]["value"] == pytest.approx(0.0, abs=1e-9)
    assert ordered["rii"]["value"] == pytest.approx(1.0, rel=1e-9)


def test_scale_moves_value_se_and_limits_together():
    d = ORDERED.drop("q")
    kw = {
        "dimension_type": "non-ordered",
        "se": "se",
        "measures": ["ti", "mld", "paf"],
        "repetitions": 300,
        "seed": 4,
    }
    raw = to_polars(inequality_measures(d, "v", "pop", scale=None, **kw))
    scaled = to_polars(inequality_measures(d, "v", "pop", **kw))
    factor = np.array([1000, 1000, 100])
    for col in ("value", "se", "lowercl", "uppercl"):
        np.testing.assert_allclose(scaled[col].to_numpy(), raw[col].to_numpy() * factor, rtol=1e-12)


def test_simulated_limits_agree_with_an_independent_simulation():
    d = ORDERED.drop("q")
    reps = 20_000
    out = by_measure(
        inequality_measures(
            d,
            "v",
            "pop",
            dimension_type="non-ordered",
            se="se",
            measures=["mdmw", "ti"],
            scale=None,
            repetitions=reps,
            seed=5,
        )
    )
    rng = np.random.default_rng(99)
    draws = rng.normal(Y, SE, size=(reps, 4))
    p = POP / POP.sum()
    mu = draws @ p
    mdmw = np.abs(draws - mu[:, None]) @ p
    ratio = draws / mu[:, None]
    ti = (ratio * np.log(ratio)) @ p
    for name, ref in (("mdmw", mdmw), ("ti", ti)):
        sd = ref.std(ddof=1)
        assert out[name]["se"] == pytest.approx(sd, rel=0.05), name
        lo, hi = np.quantile(ref, [0.025, 0.975])
        assert out[name]["lowercl"] == pytest.approx(lo, abs=0.1 * sd), name
        assert out[name]["uppercl"] == pytest.approx(hi, abs=0.1 * sd), name


def test_seed_reproducibility_and_grouping():
    two = pl.concat(
        [
            ORDERED.with_columns(g=pl.lit("a")),
            ORDERED.with_columns(g=pl.lit("b"), v=pl.col("v") * 0.5),
        ]
    )
    kw = {"order": "q", "se": "se", "group_by": "g", "repetitions": 200}
    a = inequality_measures(two, "v", "pop", seed=7, **kw)
    assert a.equals(inequality_measures(two, "v", "pop", seed=7, **kw))
    assert not a.equals(inequality_measures(two, "v", "pop", seed=8, **kw))
    assert a["g"].to_list() == ["a"] * 8 + ["b"] * 8
    single = inequality_measures(
        ORDERED.with_columns(v=pl.col("v") * 0.5),
        "v",
        "pop",
        order="q",
        se="se",
        measures=["d", "aci", "sii"],
    )
    np.testing.assert_allclose(
        a.filter(pl.col("g") == "b", pl.col("measure").is_in(["d", "aci", "sii"]))["value"],
        single["value"],
        rtol=1e-12,
    )


def test_limits_from_confidence_limits_and_both_levels():
    d = ORDERED.with_columns(
        lo=pl.col("v") - Z95 * pl.col("se"), hi=pl.col("v") + Z95 * pl.col("se")
    )
    a = inequality_measures(
        d,
        "v",
        "pop",
        order="q",
        lower_cl="lo",
        upper_cl="hi",
        measures=["d"],
        confidence=(0.95, 0.998),
    )
    assert a["se"][0] == pytest.approx(np.hypot(2, 2), rel=1e-12)
    assert a["lower99_8cl"][0] < a["lower95_0cl"][0] < 40 < a["upper95_0cl"][0]


def test_same_answer_from_every_frame_library(constructor):
    data = {"q": [1, 2, 3, 4], "v": Y.tolist(), "pop": POP.tolist(), "se": SE.tolist()}
    out = inequality_measures(
        constructor(data), "v", "pop", order="q", se="se", seed=1, repetitions=200
    )
    assert type(out) is type(constructor({"a": [1]}))
    ref = inequality_measures(
        pl.DataFrame(data), "v", "pop", order="q", se="se", seed=1, repetitions=200
    )
    assert to_polars(out).equals(ref)
    assert ref.columns == [
        "measure",
        "value",
        "se",
        "lowercl",
        "uppercl",
        "confidence",
        "statistic",
        "method",
    ]


def test_missing_value_withholds_the_group_with_a_warning():
    two = pl.concat(
        [
            ORDERED.with_columns(g=pl.lit("a")),
            ORDERED.with_columns(g=pl.lit("b"), se=pl.Series([1.0, None, 1, 1])),
        ]
    )
    with pytest.warns(SuppressedWarning, match=r"1 of 2 groups.*\('b',\)"):
        out = inequality_measures(
            two,
            "v",
            "pop",
            order="q",
            se="se",
            group_by="g",
            measures=["d", "paf"],
            repetitions=200,
            seed=1,
        )
    assert out.filter(pl.col("g") == "b")["value"].null_count() == 2
    assert out.filter(pl.col("g") == "a")["value"].null_count() == 0
    assert out["statistic"][3] == "withheld: missing value or standard error"


def test_errors_flag_withholds_groups_with_bad_rows():
    two = pl.concat(
        [
            ORDERED.with_columns(g=pl.lit("a")),
            ORDERED.with_columns(g=pl.lit("b"), pop=pl.Series([1000.0, 0.0, 1000, 1000])),
        ]
    )
    kw = {"order": "q", "se": "se", "group_by": "g", "measures": ["d", "sii"]}
    with pytest.raises(InputError, match=r"'pop' must be > 0"):
        inequality_measures(two, "v", "pop", **kw)
    with pytest.warns(SuppressedWarning, match=r"1 of 2 groups with invalid rows: .*pop. must"):
        out = inequality_measures(two, "v", "pop", errors="flag", **kw)
    alone = inequality_measures(ORDERED.with_columns(g=pl.lit("a")), "v", "pop", **kw)
    assert out.filter(pl.col("g") == "b")["value"].null_count() == 2
    assert out.filter(pl.col("g") == "a")["value"].to_list() == alone["value"].to_list()


@pytest.mark.parametrize(
    ("kwargs", "data", "message"),
    [
        ({}, {}, "ordered dimensions need the 'order' column"),
        ({"order": "q", "measures": ["ti"]}, {}, r"measures \['ti'\] do not apply to ordered"),
        ({"order": "q", "measures": ["xyz"]}, {}, r"unknown measures \['xyz'\]"),
        ({"order": "q"}, {"se": [-1.0, 1, 1, 1]}, r"'se' must be >= 0: 1 of 4 rows fail"),
        ({"order": "q"}, {"pop": [0.0, 1, 1, 1]}, r"'pop' must be > 0"),
        ({"order": "q"}, {"v": [-1.0, 1, 1, 1]}, r"'v' must be >= 0"),
        ({"order": "q", "repetitions": 50}, {}, "'repetitions' must be between 100 and"),
        ({"order": "q", "repetitions": 10**12}, {}, "and 10,000,000; got 1,000,000,000,000"),
        ({"order": "q"}, {"q": [1, 1, 2, 3]}, "once per group"),
        ({"dimension_type": "non-ordered", "measures": ["mdru"]}, {}, "need a 'reference'"),
        (
            {"dimension_type": "non-ordered", "reference": "ref"},
            {"ref": [True, True, False, False]},
            "at most one subgroup per group",
        ),
        ({"dimension_type": "sideways"}, {}, "dimension_type"),
        ({"order": "q", "scale": {"foo": 2}}, {}, r"unknown measures \['foo'\]"),
    ],
)
def test_bad_input_names_the_problem(kwargs, data, message):
    base = {"q": [1, 2, 3, 4], "v": Y.tolist(), "pop": POP.tolist(), "se": SE.tolist()} | data
    with pytest.raises(InputError, match=message):
        inequality_measures(pl.DataFrame(base), "v", "pop", se="se", **kwargs)


values = st.lists(
    st.tuples(st.floats(1, 100), st.integers(10, 10**6), st.floats(0.01, 5)),
    min_size=3,
    max_size=10,
)


@settings(max_examples=40, deadline=None)
@given(values)
def test_analytic_limits_bracket_the_estimate(rows):
    y, pop, se = (np.array(c, float) for c in zip(*rows, strict=True))
    d = pl.DataFrame({"q": range(len(y)), "v": y, "pop": pop, "se": se})
    out = inequality_measures(
        d,
        "v",
        "pop",
        order="q",
        se="se",
        confidence=(0.95, 0.998),
        measures=["d", "r", "aci", "rci", "sii", "rii"],
    )
    cols = ["lower99_8cl", "lower95_0cl", "value", "upper95_0cl", "upper99_8cl"]
    table = out.select(cols).to_numpy()
    finite = np.isfinite(table).all(axis=1)
    steps = np.diff(table[finite], axis=1)
    assert (steps >= -1e-9 * np.abs(table[finite]).max()).all()


def test_groups_with_different_subgroup_counts_match_separate_calls():
    a = pl.DataFrame({"g": ["a"] * 4, "v": Y, "pop": POP, "se": SE})
    b = pl.DataFrame(
        {"g": ["b"] * 3, "v": [5.0, 9.0, 7.0], "pop": [10.0, 30.0, 20.0], "se": [0.5, 0.4, 0.3]}
    )
    kw = {
        "dimension_type": "non-ordered",
        "se": "se",
        "confidence": None,
        "measures": ["d", "r", "bgv", "mdmu", "mdbw", "idisw", "ti", "mld", "paf"],
    }
    both = inequality_measures(pl.concat([b, a]), "v", "pop", group_by="g", **kw)
    for part in (a, b):
        alone = inequality_measures(part.drop("g"), "v", "pop", **kw)
        mine = both.filter(pl.col("g") == part["g"][0])
        np.testing.assert_allclose(mine["value"], alone["value"], rtol=1e-12)
    assert "lowercl" not in both.columns
    assert both["confidence"].null_count() == len(both)


def test_a_single_group_that_cannot_be_computed_keeps_its_row_and_keys():
    # issue #17 item 7: raising lost the group's keys; it is withheld like any other group
    one = ORDERED.with_columns(g=pl.lit("b"), se=pl.Series([1.0, None, 1, 1]))
    with pytest.warns(SuppressedWarning, match=r"1 of 1 groups"):
        out = inequality_measures(
            one, "v", "pop", order="q", se="se", group_by="g", measures=["d", "sii"]
        )
    assert out.select("g", "measure").rows() == [("b", "d"), ("b", "sii")]
    assert out["value"].null_count() == 2
    assert set(out["statistic"]) == {"withheld: missing value or standard error"}
