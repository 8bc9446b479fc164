import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods.isr import israte, isratio

X_REF = [10, 40, 150]
N_REF = [10_000, 8_000, 5_000]


def _exact(o, level):
    # exact Poisson limits from tail probabilities, solved numerically (Armitage & Berry 2002)
    a = (1 - level) / 2
    lo = (
        0.0
        if o == 0
        else optimize.brentq(
            lambda m: stats.poisson.sf(o - 1, m) - a, 1e-12, 10 * o + 10, xtol=1e-14, rtol=1e-14
        )
    )
    hi = optimize.brentq(
        lambda m: stats.poisson.cdf(o, m) - a, 1e-12, 10 * o + 50, xtol=1e-14, rtol=1e-14
    )
    return lo, hi


def _byar(o, z=1.959963984540054):
    # Breslow & Day 1987, p 69
    lo = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return lo, hi


def areas():
    return pl.DataFrame(
        {
            "area": ["A"] * 3 + ["B"] * 3,
            "deaths": [1, 2, 5, 3, 20, 90],
            "pop": [1_000, 800, 400, 2_000, 3_000, 2_500],
        }
    )


def expected_by_hand(pop):
    return sum(p * x / n for p, x, n in zip(pop, X_REF, N_REF, strict=True))


def test_ratio_hand_derivation_exact_and_byar():
    out = isratio(areas(), "deaths", "pop", X_REF, N_REF, group_by="area")
    a, b = out.rows(named=True)
    e_a = expected_by_hand([1_000, 800, 400])  # 1 + 4 + 12 = 17
    e_b = expected_by_hand([2_000, 3_000, 2_500])
    assert a["observed"] == 8
    assert a["expected"] == pytest.approx(e_a, rel=1e-12)
    assert a["value"] == pytest.approx(8 / e_a, rel=1e-12)
    lo, hi = _exact(8, 0.95)
    assert (a["lowercl"], a["uppercl"]) == pytest.approx((lo / e_a, hi / e_a), rel=1e-9)
    assert a["method"] == "Exact"
    lo, hi = _byar(113)
    assert b["observed"] == 113
    assert (b["lowercl"], b["uppercl"]) == pytest.approx((lo / e_b, hi / e_b), rel=1e-9)
    assert b["method"] == "Byars"
    assert a["statistic"] == "indirectly standardised ratio x 1"
    assert out.columns == [
        "area",
        "observed",
        "expected",
        "value",
        "lowercl",
        "uppercl",
        "confidence",
        "statistic",
        "method",
    ]


def test_observed_nine_and_ten_switch_method():
    d = pl.DataFrame(
        {
            "g": [1, 1, 1, 2, 2, 2],
            "x": [3, 3, 3, 4, 3, 3],
            "n": [1000, 1000, 1000, 1000, 1000, 1000],
        }
    )
    out = isratio(d, "x", "n", X_REF, N_REF, group_by="g", confidence=0.998)
    assert out["method"].to_list() == ["Exact", "Byars"]
    e = expected_by_hand([1000, 1000, 1000])
    lo9, hi9 = _exact(9, 0.998)
    lo10, hi10 = _byar(10, z=stats.norm.ppf(0.999))
    np.testing.assert_allclose(
        out.select("lowercl", "uppercl").to_numpy(),
        np.array([[lo9, hi9], [lo10, hi10]]) / e,
        rtol=1e-9,
    )


def test_refvalue_100_and_both_levels():
    base = isratio(
        areas(), "deaths", "pop", X_REF, N_REF, group_by="area", confidence=(0.95, 0.998)
    )
    smr = isratio(
        areas(),
        "deaths",
        "pop",
        X_REF,
        N_REF,
        group_by="area",
        confidence=(0.95, 0.998),
        refvalue=100,
    )
    cols = ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]
    np.testing.assert_allclose(
        smr.select(cols).to_numpy(), base.select(cols).to_numpy() * 100, rtol=1e-12
    )
    assert smr["statistic"][0] == "indirectly standardised ratio x 100"
    with pytest.raises(InputError, match=r"argument 'refvalue' must be one of \[1, 100\]"):
        isratio(areas(), "deaths", "pop", X_REF, N_REF, refvalue=10)


def test_rate_is_ratio_times_crude_reference_rate():
    ratio = isratio(areas(), "deaths", "pop", X_REF, N_REF, group_by="area")
    rate = israte(areas(), "deaths", "pop", X_REF, N_REF, group_by="area")
    crude = sum(X_REF) / sum(N_REF) * 100_000
    np.testing.assert_allclose(
        rate.select("value", "lowercl", "uppercl").to_numpy(),
        ratio.select("value", "lowercl", "uppercl").to_numpy() * crude,
        rtol=1e-12,
    )
    assert rate["statistic"][0] == "indirectly standardised rate per 100000"
    # issue #17 item 7: calculate_ISRate's ref_rate column, per multiplier, before value
    assert rate.columns[:5] == ["area", "observed", "expected", "ref_rate", "value"]
    np.testing.assert_allclose(rate["ref_rate"].to_numpy(), crude, rtol=1e-12)
    assert "ref_rate" not in ratio.columns
    assert (
        israte(areas(), "deaths", "pop", X_REF, N_REF, group_by="area", multiplier=1000)[
            "statistic"
        ][0]
        == "indirectly standardised rate per 1000"
    )


def test_field_reference_equals_vector():
    d = areas().with_columns(pl.Series("xr", X_REF * 2), pl.Series("nr", N_REF * 2))
    for fn in (isratio, israte):
        vec = fn(d, "deaths", "pop", X_REF, N_REF, group_by="area")
        fld = fn(d, "deaths", "pop", "xr", "nr", refpoptype="field", group_by="area")
        np.testing.assert_allclose(
            fld.select("value", "lowercl", "uppercl").to_numpy(),
            vec.select("value", "lowercl", "uppercl").to_numpy(),
            rtol=1e-12,
        )


def test_observed_totals_without_age_breakdown(constructor):
    totals = constructor({"area": ["B", "A", "Z"], "deaths": [113, 8, 5]})
    data = areas().drop("deaths")
    data = constructor(data.to_dict(as_series=False))
    out = pl.DataFrame(
        isratio(data, "deaths", "pop", X_REF, N_REF, group_by="area", observed_totals=totals)
    )
    ref = isratio(areas(), "deaths", "pop", X_REF, N_REF, group_by="area")
    assert out["area"].to_list() == ["A", "B"]
    np.testing.assert_allclose(
        out.select("observed", "expected", "value", "lowercl", "uppercl").to_numpy(),
        ref.select("observed", "expected", "value", "lowercl", "uppercl").to_numpy(),
        rtol=1e-12,
    )


def test_observed_totals_errors():
    data = areas().drop("deaths")
    with pytest.raises(
        InputError,
        match=r"argument 'observed_totals' has no value of 'deaths'"
        r": 1 of 2 groups fail: \(B\)",
    ):
        isratio(
            data,
            "deaths",
            "pop",
            X_REF,
            N_REF,
            group_by="area",
            observed_totals=pl.DataFrame({"area": ["A"], "deaths": [8]}),
        )
    with pytest.raises(InputError, match=r"must have one row per group of \['area'\]"):
        isratio(
            data,
            "deaths",
            "pop",
            X_REF,
            N_REF,
            group_by="area",
            observed_totals=pl.DataFrame({"area": ["A", "A", "B"], "deaths": [8, 1, 2]}),
        )
    with pytest.raises(InputError, match=r"must have one row when there is no group_by"):
        isratio(
            data.filter(pl.col("area") == "A"),
            "deaths",
            "pop",
            X_REF,
            N_REF,
            observed_totals=pl.DataFrame({"deaths": [8, 1]}),
        )
    one = isratio(
        data.filter(pl.col("area") == "A"),
        "deaths",
        "pop",
        X_REF,
        N_REF,
        observed_totals=pd.DataFrame({"deaths": [8]}),
    )
    assert one["value"][0] == pytest.approx(8 / 17, rel=1e-12)


def test_same_answer_from_pandas_polars_arrow(constructor):
    d = areas().to_dict(as_series=False)
    out = israte(
        constructor(d), "deaths", "pop", X_REF, N_REF, group_by="area", confidence=(0.95, 0.998)
    )
    assert type(out) is type(constructor(d))
    ref = israte(areas(), "deaths", "pop", X_REF, N_REF, group_by="area", confidence=(0.95, 0.998))
    cols = [
        "observed",
        "expected",
        "value",
        "lower95_0cl",
        "upper95_0cl",
        "lower99_8cl",
        "upper99_8cl",
    ]
    np.testing.assert_allclose(
        pl.DataFrame(out).select(cols).to_numpy(), ref.select(cols).to_numpy(), rtol=1e-12
    )


def test_bad_input_messages():
    d = areas()
    with pytest.raises(
        InputError,
        match=r"each group must have 2 age bands, as the reference "
        r"vectors 'x_ref' and 'n_ref': 2 of 2 groups differ: "
        r"\(A\) has 3; \(B\) has 3",
    ):
        isratio(d, "deaths", "pop", [1, 2], [10, 20], group_by="area")
    with pytest.raises(
        InputError,
        match=r"arguments 'x_ref' and 'n_ref' must have the same "
        r"length; got 3 and 2",
    ):
        isratio(d, "deaths", "pop", X_REF, [1, 2], group_by="area")
    with pytest.raises(
        InputError,
        match=r"argument 'n_ref' must hold finite numbers > 0: "
        r"positions \[1\] hold \[0\.0\]",
    ):
        isratio(d, "deaths", "pop", X_REF, [1, 0, 3], group_by="area")
    with pytest.raises(InputError, match=r"argument 'refpoptype' must be one of"):
        isratio(d, "deaths", "pop", X_REF, N_REF, refpoptype="column")
    with pytest.raises(
        InputError,
        match=r"argument 'x_ref' must be a column name when "
        r"refpoptype='field'",
    ):
        isratio(d, "deaths", "pop", X_REF, N_REF, refpoptype="field")
    with pytest.raises(InputError, match=r"column 'deaths' must be >= 0: 1 of 6 rows fail"):
        isratio(
            d.with_columns(
                pl.when(pl.col("deaths") == 5).then(-5).otherwise(pl.col("deaths")).alias("deaths")
            ),
            "deaths",
            "pop",
            X_REF,
            N_REF,
            group_by="area",
        )
    with pytest.raises(InputError, match=r"columns must be numeric: 'pop' is String"):
        israte(d.with_columns(pl.col("pop").cast(pl.String)), "deaths", "pop", X_REF, N_REF)


def test_zero_expected_flagged_or_raised():
    d = areas().with_columns(
        pl.when(pl.col("area") == "A").then(0).otherwise(pl.col("pop")).alias("pop")
    )
    with pytest.raises(InputError, match=r"expected count must be > 0.*\(A\)"):
        isratio(d, "deaths", "pop", X_REF, N_REF, group_by="area")
    with pytest.warns(SuppressedWarning, match=r"isratio withheld for 1 of 2 groups"):
        out = isratio(d, "deaths", "pop", X_REF, N_REF, group_by="area", errors="flag")
    assert out["value"][0] is None
    assert out["value"][1] is not None
    assert out["statistic"][0].startswith("expected count must be > 0")


obs = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 5000)), min_size=3, max_size=3)


@settings(max_examples=50, deadline=None)
@given(st.lists(obs, min_size=1, max_size=6))
def test_limits_bracket_value_and_widen(groups):
    rows = [(g, x, n + 1) for g, bands in enumerate(groups) for x, n in bands]
    d = pl.DataFrame(rows, schema=["g", "x", "n"], orient="row")
    out = isratio(d, "x", "n", X_REF, N_REF, group_by="g", confidence=(0.95, 0.998))
    vals = out.select(
        "lower99_8cl", "lower95_0cl", "value", "upper95_0cl", "upper99_8cl"
    ).to_numpy()
    assert (np.diff(vals, axis=1) >= -1e-9 * np.abs(vals[:, 1:])).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(obs, min_size=1, max_size=5))
def test_grouped_equals_each_group_alone(groups):
    rows = [(g, x, n + 1) for g, bands in enumerate(groups) for x, n in bands]
    d = pl.DataFrame(rows, schema=["g", "x", "n"], orient="row")
    grouped = israte(d, "x", "n", X_REF, N_REF, group_by="g")
    for row in grouped.iter_rows(named=True):
        alone = israte(d.filter(pl.col("g") == row["g"]), "x", "n", X_REF, N_REF)
        alone = alone.row(0, named=True)
        for col in ("observed", "expected", "value", "lowercl", "uppercl"):
            assert row[col] == pytest.approx(alone[col], rel=1e-12)
