import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from healthgap.errors import ColumnNotFoundError, InputError, SuppressedWarning
from healthgap.methods import proportion


def test_wilson_matches_newcombe_1998_table_i():
    # Newcombe, Stat Med 1998;17:857-72, Table I, method 3; published to 4 decimal places
    out = proportion(
        pl.DataFrame({"x": [81, 15, 0, 1], "n": [263, 148, 20, 29]}),
        "x",
        "n",
        group_by=None,
        confidence=0.95,
    )
    # ungrouped: one row with the sums
    assert out.select("x", "n").row(0) == (97, 460)
    rows = pl.DataFrame({"g": [1, 2, 3, 4], "x": [81, 15, 0, 1], "n": [263, 148, 20, 29]})
    out = proportion(rows, "x", "n", group_by="g")
    expected = [[0.2553, 0.3662], [0.0624, 0.1605], [0.0, 0.1611], [0.0061, 0.1718]]
    np.testing.assert_allclose(out.select("lowercl", "uppercl").to_numpy(), expected, atol=5e-5)
    assert out["method"].to_list() == ["Wilson"] * 4
    assert out["statistic"].to_list() == ["proportion of 1"] * 4
    assert out["confidence"].to_list() == ["95%"] * 4


@pytest.mark.parametrize(("x", "n"), [(0, 1), (0, 50), (7, 50), (50, 50), (3, 1_000_000)])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.998])
def test_wilson_agrees_with_scipy(x, n, level):
    # independent implementation: scipy.stats.binomtest(...).proportion_ci(method="wilson")
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=level, method="wilson")
    out = proportion(pd.DataFrame({"x": [x], "n": [n]}), "x", "n", confidence=level)
    np.testing.assert_allclose(
        out[["lowercl", "uppercl"]].iloc[0], [ci.low, ci.high], rtol=1e-9, atol=1e-15
    )


def test_edge_cases_zero_and_all():
    out = proportion(
        pl.DataFrame({"g": ["a", "b"], "x": [0, 20], "n": [20, 20]}),
        "x",
        "n",
        group_by="g",
        multiplier=100,
    )
    assert out["value"].to_list() == [0.0, 100.0]
    assert out["lowercl"][0] == 0.0
    assert out["uppercl"][1] == pytest.approx(100.0, rel=1e-12)
    assert out["statistic"].to_list() == ["percentage"] * 2


def test_statistic_labels():
    d = pl.DataFrame({"x": [1], "n": [4]})
    assert proportion(d, "x", "n", multiplier=1000)["statistic"][0] == "proportion of 1000"
    assert proportion(d, "x", "n", multiplier=2.5)["statistic"][0] == "proportion of 2.5"


def test_both_confidence_levels_columns_and_order():
    out = proportion(pl.DataFrame({"x": [81], "n": [263]}), "x", "n", confidence=(95, 99.8))
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
    assert out["confidence"][0] == "95%, 99.8%"
    assert out["lower99_8cl"][0] < out["lower95_0cl"][0] < out["value"][0]
    assert out["value"][0] < out["upper95_0cl"][0] < out["upper99_8cl"][0]


def test_confidence_none_gives_no_limits():
    out = proportion(pl.DataFrame({"x": [1], "n": [4]}), "x", "n", confidence=None)
    assert out.columns == ["x", "n", "value", "confidence", "statistic", "method"]
    assert out["confidence"][0] is None


@pytest.mark.parametrize(
    ("type_", "columns"),
    [
        ("value", ["g", "value"]),
        ("lower", ["g", "lowercl"]),
        ("upper", ["g", "uppercl"]),
        ("standard", ["g", "x", "n", "value", "lowercl", "uppercl"]),
    ],
)
def test_type_selects_columns(type_, columns):
    d = pl.DataFrame({"g": ["a"], "x": [1], "n": [4]})
    assert proportion(d, "x", "n", group_by="g", type=type_).columns == columns


def test_same_answer_from_pandas_polars_arrow(constructor):
    d = {
        "area": ["b", "a", "b", "a", "c"],
        "sex": ["m", "f", "m", "m", "f"],
        "x": [3, 4, 5, 0, 9],
        "n": [10, 40, 30, 7, 9],
    }
    out = proportion(constructor(d), "x", "n", group_by=["area", "sex"], confidence=(0.95, 0.998))
    assert type(out) is type(constructor(d))
    got = pl.DataFrame(out)
    assert got.select("area", "sex").rows() == [("a", "f"), ("a", "m"), ("b", "m"), ("c", "f")]
    assert got["x"].to_list() == [4, 0, 8, 9]
    assert got["n"].to_list() == [40, 7, 40, 9]
    reference = proportion(
        pl.DataFrame(d), "x", "n", group_by=["area", "sex"], confidence=(0.95, 0.998)
    )
    cols = ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]
    np.testing.assert_allclose(
        got.select(cols).to_numpy(), reference.select(cols).to_numpy(), rtol=1e-12
    )


def test_does_not_modify_input():
    d = pd.DataFrame({"g": ["b", "a"], "x": [1, 2], "n": [3, 4]})
    before = d.copy()
    proportion(d, "x", "n", group_by="g")
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 0.5}, "confidence must be between 0.9 and 1"),
        ({"confidence": 101}, "confidence must be between 0.9 and 1"),
        ({"confidence": (0.95, 0.99)}, "two confidence levels must be 95% and 99.8%"),
        ({"confidence": "95"}, "confidence must be a number"),
        ({"type": "everything"}, "argument 'type' must be one of"),
        ({"errors": "ignore"}, "argument 'errors' must be one of"),
        ({"multiplier": 0}, "argument 'multiplier' must be > 0"),
        ({"multiplier": float("nan")}, "argument 'multiplier' must be finite"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(InputError, match=message):
        proportion(pl.DataFrame({"x": [1], "n": [4]}), "x", "n", **kwargs)


@pytest.mark.parametrize(
    ("d", "message"),
    [
        (
            {"x": [1, -2, 3], "n": [4, 4, 4]},
            r"column 'x' must be >= 0: 1 of 3 rows fail \(rows \[1\], values \[-2\]\)",
        ),
        (
            {"x": [1, 5, 3], "n": [4, 4, 4]},
            r"column 'x' must be <= column 'n': 1 of 3 rows fail \(rows \[1\], values \[5\]\)",
        ),
        (
            {"x": [1, 0, 0], "n": [4, 0, -1]},
            r"column 'n' must be > 0: 2 of 3 rows fail \(rows \[1, 2\], values \[0, -1\]\)",
        ),
        (
            {"x": [1.0, None, 2.0], "n": [4, 4, 4]},
            r"column 'x' must not be missing or infinite: 1 of 3 rows fail \(rows \[1\]",
        ),
        (
            {"x": [1, 2, 3], "n": [4.0, None, 4.0]},
            r"column 'n' must not be missing or infinite: 1 of 3 rows fail \(rows \[1\]",
        ),
    ],
)
def test_bad_rows_are_named(d, message):
    with pytest.raises(InputError, match=message):
        proportion(pl.DataFrame(d), "x", "n")


def test_missing_and_non_numeric_columns():
    with pytest.raises(ColumnNotFoundError, match=r"columns \['pop'\] not found; available"):
        proportion(pl.DataFrame({"x": [1], "n": [2]}), "x", "pop")
    with pytest.raises(ColumnNotFoundError, match=r"columns \['area'\] not found"):
        proportion(pl.DataFrame({"x": [1], "n": [2]}), "x", "n", group_by="area")
    with pytest.raises(InputError, match="columns must be numeric: 'x' is String"):
        proportion(pl.DataFrame({"x": ["1"], "n": [2]}), "x", "n")
    with pytest.raises(InputError, match="argument 'data' must be a pandas, Polars or Arrow"):
        proportion({"x": [1], "n": [2]}, "x", "n")
    with pytest.raises(InputError, match="argument 'data' has no rows"):
        proportion(
            pl.DataFrame({"x": [], "n": []}, schema={"x": pl.Int64, "n": pl.Int64}), "x", "n"
        )


def test_flag_returns_good_groups_and_reason(constructor):
    d = {"g": ["a", "b", "b", "c"], "x": [1, 5, 1, 0], "n": [4, 4, 4, 0]}
    with pytest.warns(SuppressedWarning, match=r"proportion withheld for 2 of 3 groups .*first: b"):
        out = proportion(constructor(d), "x", "n", group_by="g", errors="flag")
    got = pl.DataFrame(out)
    assert got["value"].to_list()[0] == 0.25
    assert got["value"].to_list()[1:] == [None, None]
    assert got["lowercl"].null_count() == 2
    assert got["statistic"].to_list() == [
        "proportion of 1",
        "column 'x' must be <= column 'n'",
        "column 'n' must be > 0",
    ]


def test_arrow_in_arrow_out():
    out = proportion(pa.table({"x": [1], "n": [4]}), "x", "n")
    assert isinstance(out, pa.Table)
    assert out.column("value").to_pylist() == [0.25]


pairs = st.integers(1, 10**7).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=60, deadline=None)
@given(st.lists(pairs, min_size=1, max_size=30))
def test_limits_bracket_value_and_widen_with_confidence(rows):
    x, n = zip(*rows, strict=True)
    out = proportion(
        pl.DataFrame({"x": x, "n": n, "g": range(len(x))}),
        "x",
        "n",
        group_by="g",
        confidence=(0.95, 0.998),
    )
    order = ["lower99_8cl", "lower95_0cl", "value", "upper95_0cl", "upper99_8cl"]
    steps = np.diff(out.select(order).to_numpy(), axis=1)
    assert (steps >= -1e-12).all()
    assert (out["lower99_8cl"] >= -1e-12).all()
    assert (out["upper99_8cl"] <= 1 + 1e-12).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(pairs, min_size=1, max_size=20), st.sampled_from([1, 100, 1000, 2.5]))
def test_multiplier_scales_everything(rows, multiplier):
    x, n = zip(*rows, strict=True)
    d = pl.DataFrame({"x": x, "n": n, "g": range(len(x))})
    base = proportion(d, "x", "n", group_by="g", type="standard")
    scaled = proportion(d, "x", "n", group_by="g", multiplier=multiplier, type="standard")
    cols = ["value", "lowercl", "uppercl"]
    np.testing.assert_allclose(
        scaled.select(cols).to_numpy(),
        base.select(cols).to_numpy() * multiplier,
        rtol=1e-12,
        atol=1e-15,
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), pairs), min_size=1, max_size=25))
def test_grouped_equals_each_group_alone(rows):
    d = pl.DataFrame(
        {"g": [r[0] for r in rows], "x": [r[1][0] for r in rows], "n": [r[1][1] for r in rows]}
    )
    grouped = proportion(d, "x", "n", group_by="g")
    for row in grouped.iter_rows(named=True):
        alone = proportion(d.filter(pl.col("g") == row["g"]), "x", "n").row(0, named=True)
        for col in ("x", "n", "value", "lowercl", "uppercl"):
            assert row[col] == pytest.approx(alone[col], rel=1e-12, abs=1e-15)
