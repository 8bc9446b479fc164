import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from tests.conftest import to_polars

from healthgap.errors import ColumnNotFoundError, InputError, SuppressedWarning
from healthgap.methods import mean, mean_of_sums


def test_phe_mean_example_hand_derived():
    # PHEindicatormethods phe_mean example, values 30, 40, 50, 60. By hand: sum 180, n 4,
    # mean 45, s^2 = (225 + 25 + 25 + 225) / 3 = 500/3; t(0.975, 3) = 3.182 (Altman et al,
    # Statistics with Confidence, table 18.2), so limits 45 -/+ 3.182 * sqrt(500/3) / 2.
    out = mean(pl.DataFrame({"values": [30, 40, 50, 60]}), "values")
    assert out.columns == [
        "value_sum",
        "value_count",
        "stdev",
        "value",
        "lowercl",
        "uppercl",
        "confidence",
        "statistic",
        "method",
    ]
    row = out.row(0, named=True)
    assert row["value_sum"] == 180
    assert row["value_count"] == 4
    assert row["stdev"] == pytest.approx(np.sqrt(500 / 3), rel=1e-12)
    assert row["value"] == 45
    half = 3.182 * np.sqrt(500 / 3) / 2
    assert row["lowercl"] == pytest.approx(45 - half, abs=5e-3)  # table t to 3 dp
    assert row["uppercl"] == pytest.approx(45 + half, abs=5e-3)
    exact_t = stats.t.ppf(0.975, 3)  # independent: scipy's t quantile
    assert row["uppercl"] == pytest.approx(45 + exact_t * np.sqrt(500 / 3) / 2, rel=1e-12)
    assert (row["confidence"], row["statistic"], row["method"]) == (
        "95%",
        "mean",
        "Student's t-distribution",
    )


def test_grouped_matches_phe_second_example(constructor):
    # phe_mean example 2: Area1 20, 30, 40 (mean 30, s 10); Area2 200, 300, 400 (mean 300, s 100)
    data = constructor(
        {"area": ["Area1"] * 3 + ["Area2"] * 3, "values": [20, 30, 40, 200, 300, 400]}
    )
    out = to_polars(mean(data, "values", group_by="area", confidence=(0.95, 0.998)))
    assert out["area"].to_list() == ["Area1", "Area2"]
    np.testing.assert_allclose(out["value"].to_numpy(), [30, 300])
    np.testing.assert_allclose(out["stdev"].to_numpy(), [10, 100], rtol=1e-12)
    t95, t998 = stats.t.ppf(0.975, 2), stats.t.ppf(0.999, 2)
    np.testing.assert_allclose(
        out["upper95_0cl"].to_numpy(),
        [30 + t95 * 10 / np.sqrt(3), 300 + t95 * 100 / np.sqrt(3)],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        out["lower99_8cl"].to_numpy(),
        [30 - t998 * 10 / np.sqrt(3), 300 - t998 * 100 / np.sqrt(3)],
        rtol=1e-12,
    )
    assert out["confidence"].to_list() == ["95%, 99.8%"] * 2


def test_same_answer_from_every_library(constructor):
    d = {"g": ["b", "a", "b", "a", "a"], "v": [1.5, 2.0, 3.5, 4.0, 9.0]}
    out = to_polars(mean(constructor(d), "v", group_by="g"))
    ref = mean(pl.DataFrame(d), "v", group_by="g")
    assert out.equals(ref)
    assert type(mean(constructor(d), "v")) is type(constructor(d))


@pytest.mark.parametrize(
    ("type_", "columns"),
    [
        ("value", ["g", "value"]),
        ("lower", ["g", "lowercl"]),
        ("upper", ["g", "uppercl"]),
        ("standard", ["g", "value_sum", "value_count", "stdev", "value", "lowercl", "uppercl"]),
    ],
)
def test_output_types(type_, columns):
    out = mean(pl.DataFrame({"g": [1, 1], "v": [1, 2]}), "v", group_by="g", type=type_)
    assert out.columns == columns


def test_single_value_group_has_no_limits_and_warns_once():
    data = pl.DataFrame({"g": ["a", "a", "b", "c"], "v": [1.0, 3.0, 5.0, 7.0]})
    warning = r"2 of 3 groups with a single value.*first: '?b'?\)"
    with pytest.warns(SuppressedWarning, match=warning):
        out = mean(data, "v", group_by="g")
    assert out["value"].to_list() == [2.0, 5.0, 7.0]
    assert out["lowercl"].null_count() == 2
    assert out["stdev"][1] is None
    assert (
        out["statistic"].to_list()
        == ["mean"] + ["mean; no confidence limits for a single value"] * 2
    )


def test_no_limits_when_confidence_none():
    out = mean(pl.DataFrame({"v": [4.0]}), "v", confidence=None)
    assert out.columns == [
        "value_sum",
        "value_count",
        "stdev",
        "value",
        "confidence",
        "statistic",
        "method",
    ]
    assert out["confidence"][0] is None


def test_missing_value_raises_naming_rows():
    data = pl.DataFrame({"v": [1.0, None, 3.0, float("inf")]})
    with pytest.raises(
        InputError,
        match=r"column 'v' must not be missing or infinite: "
        r"2 of 4 rows fail \(rows \[1, 3\]",
    ):
        mean(data, "v")


def test_flag_nulls_the_bad_group_only():
    data = pl.DataFrame({"g": ["a", "a", "b", "b"], "v": [1.0, 2.0, None, 3.0]})
    out = mean(data, "v", group_by="g", errors="flag")
    assert out["value"].to_list() == [1.5, None]
    assert out["value_sum"].to_list() == [3.0, None]
    assert out["value_count"].to_list() == [2, 2]
    assert out["statistic"][1] == "column 'v' must not be missing or infinite"


def test_argument_errors():
    data = pl.DataFrame({"v": [1.0, 2.0], "s": ["a", "b"]})
    with pytest.raises(ColumnNotFoundError, match=r"columns \['w'\] not found"):
        mean(data, "w")
    with pytest.raises(InputError, match="columns must be numeric: 's' is String"):
        mean(data, "s")
    with pytest.raises(InputError, match="argument 'type' must be one of"):
        mean(data, "v", type="combined")
    with pytest.raises(InputError, match=r"confidence must be between 0\.9 and 1"):
        mean(data, "v", confidence=0.5)
    with pytest.raises(InputError, match="argument 'errors' must be one of"):
        mean(data, "v", errors="ignore")
    with pytest.raises(InputError, match="no rows"):
        mean(data.clear(), "v")


def test_missing_group_key_is_a_group_of_its_own(constructor):
    # as dplyr's group_by in PHEindicatormethods: NA keys form one group, sorted last
    data = constructor({"s": ["b", None, "a", None, "b"], "v": [1.0, 2.0, 3.0, 4.0, 5.0]})
    out = to_polars(mean(data, "v", group_by="s", confidence=None))
    assert out["s"].to_list() == ["a", "b", None]
    assert out["value"].to_list() == [3.0, 3.0, 3.0]
    assert out["value_count"].to_list() == [1, 2, 2]


def test_does_not_modify_input():
    data = pl.DataFrame({"g": [2, 1, 2, 1], "v": [1.0, 2.0, 3.0, 4.0]})
    before = data.clone()
    mean(data, "v", group_by="g")
    assert data.equals(before)


values = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30)


@settings(max_examples=60, deadline=None)
@given(values, st.floats(-1e3, 1e3))
def test_limits_bracket_widen_and_shift(xs, shift):
    out = mean(pl.DataFrame({"v": xs}), "v", confidence=(0.95, 0.998))
    order = ["lower99_8cl", "lower95_0cl", "value", "upper95_0cl", "upper99_8cl"]
    row = np.array(out.select(order).row(0))
    scale = max(1.0, np.abs(xs).max())
    assert (np.diff(row) >= -1e-9 * scale).all()
    shifted = mean(pl.DataFrame({"v": [x + shift for x in xs]}), "v", confidence=(0.95, 0.998))
    np.testing.assert_allclose(
        np.array(shifted.select(order).row(0)), row + shift, atol=1e-6 * scale
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(-100, 100)), min_size=1, max_size=40))
def test_grouped_equals_each_group_alone(rows):
    g, v = zip(*rows, strict=True)
    data = pl.DataFrame({"g": g, "v": v})
    counts = data.group_by("g").len()
    data = data.join(counts.filter(pl.col("len") > 1).select("g"), on="g")
    if data.is_empty():
        return
    together = mean(data, "v", group_by="g")
    for key in together["g"].to_list():
        alone = mean(data.filter(pl.col("g") == key), "v")
        mine = together.filter(pl.col("g") == key).drop("g")
        np.testing.assert_allclose(
            mine.select("value", "lowercl", "uppercl").to_numpy(),
            alone.select("value", "lowercl", "uppercl").to_numpy(),
            rtol=1e-9,
            atol=1e-9,
        )


# --- mean_of_sums: the same means from summed counts, sums and sums of squares ---------------

LIMIT_COLUMNS = ["value", "stdev", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]


@st.composite
def _chunked_groups(draw):
    """Groups of values (quarters, so sums are exact) and each group cut into random chunks."""
    groups = draw(
        st.lists(
            st.lists(st.integers(-4000, 4000).map(lambda i: i / 4), min_size=1, max_size=25),
            min_size=1,
            max_size=5,
        )
    )
    rows = []  # (group, sum, count, sum of squares) of each chunk, some chunks empty
    for g, xs in enumerate(groups):
        cuts = sorted(draw(st.lists(st.integers(0, len(xs)), max_size=4)))
        for lo, hi in zip([0, *cuts], [*cuts, len(xs)], strict=True):
            chunk = np.array(xs[lo:hi])
            rows.append((g, float(chunk.sum()), len(chunk), float((chunk**2).sum())))
    order = draw(st.permutations(range(len(rows))))
    return groups, [rows[i] for i in order]


@settings(max_examples=80, deadline=None)
@given(_chunked_groups())
def test_mean_of_sums_equals_mean_of_the_values(case):
    groups, rows = case
    g, s, n, q = zip(*rows, strict=True)
    values = pl.DataFrame(
        {"g": [k for k, xs in enumerate(groups) for _ in xs], "v": [x for xs in groups for x in xs]}
    )
    with warnings.catch_warnings():  # single values: no limits, one warning each call
        warnings.simplefilter("ignore", SuppressedWarning)
        want = mean(values, "v", group_by="g", confidence=(0.95, 0.998))
        got = mean_of_sums(
            pl.DataFrame({"g": g, "s": s, "n": n, "q": q}),
            "s",
            "n",
            "q",
            group_by="g",
            confidence=(0.95, 0.998),
        )
    assert got["g"].to_list() == want["g"].to_list()
    assert got["value_count"].to_list() == want["value_count"].to_list()
    assert got["statistic"].to_list() == want["statistic"].to_list()
    np.testing.assert_allclose(
        got["value_sum"].to_numpy(), want["value_sum"].to_numpy(), rtol=1e-12
    )
    # relative to the values' size: (Q - S^2/n) cancels digits that the two-pass sum keeps
    scale = max(1.0, float(values["v"].abs().max()))
    for c in LIMIT_COLUMNS:
        a = got[c].to_numpy().astype(float)
        b = want[c].to_numpy().astype(float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=c)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * scale, equal_nan=True, err_msg=c)


def test_mean_of_sums_group_without_values_is_null_and_says_so():
    data = pl.DataFrame(
        {
            "g": ["a", "a", "b", "c"],
            "s": [3.0, 4.0, 0.0, 5.0],
            "n": [2, 1, 0, 2],
            "q": [5.0, 16.0, 0.0, 13.0],
        }
    )
    with pytest.warns(
        SuppressedWarning,
        match=r"mean withheld for 1 of 3 groups with no "
        r"values \(first: '?b'?\)",
    ):
        out = mean_of_sums(data, "s", "n", "q", group_by="g")
    b = out.filter(pl.col("g") == "b").row(0, named=True)
    assert (b["value"], b["lowercl"], b["uppercl"], b["stdev"]) == (None, None, None, None)
    assert b["value_count"] == 0
    assert "no values" in b["statistic"]
    # group a: 1, 2 and 4 -> mean 7/3, s^2 = (21 - 49/3) / 2 = 7/3
    a = out.filter(pl.col("g") == "a").row(0, named=True)
    assert a["value"] == pytest.approx(7 / 3, rel=1e-12)
    assert a["stdev"] == pytest.approx(np.sqrt(7 / 3), rel=1e-12)
    assert a["statistic"] == "mean"


@pytest.mark.parametrize(("column", "bad"), [("n", -1), ("q", -2.0)])
def test_mean_of_sums_negative_count_or_squares_raises_naming_the_column(column, bad):
    data = {"g": [1, 2], "s": [3.0, 4.0], "n": [2, 2], "q": [5.0, 10.0]}
    data[column] = [data[column][0], bad]
    with pytest.raises(
        InputError,
        match=rf"column '{column}' must be >= 0: 1 of 2 rows fail "
        r"\(rows \[1\]",
    ):
        mean_of_sums(pl.DataFrame(data), "s", "n", "q", group_by="g", errors="raise")
    flagged = mean_of_sums(pl.DataFrame(data), "s", "n", "q", group_by="g", errors="flag")
    assert flagged["value"].to_list() == [1.5, None]
    assert f"'{column}'" in flagged["statistic"][1]


def test_mean_of_sums_same_answer_and_kind_from_every_library(constructor):
    d = {
        "g": ["b", "a", "b", "a"],
        "s": [3.0, 6.0, 5.0, 9.0],
        "n": [2, 3, 1, 2],
        "q": [5.0, 14.0, 25.0, 41.0],
    }
    native = mean_of_sums(constructor(d), "s", "n", "q", group_by="g", confidence=(0.95, 0.998))
    assert type(native) is type(constructor(d))
    ref = mean_of_sums(pl.DataFrame(d), "s", "n", "q", group_by="g", confidence=(0.95, 0.998))
    assert to_polars(native).equals(ref)
    assert ref["value"].to_list() == [3.0, 8 / 3]


def test_mean_of_huge_values_is_stable():
    # issue #14: the mean of [1e308, 1e308] was inf (the sum overflows); scaled by the
    # largest magnitude it is exact, and so is the standard deviation
    out = mean(
        pl.DataFrame({"g": ["a", "a", "b", "b", "b"], "x": [1e308, 1e308, 1e308, -1e308, 5e307]}),
        "x",
        group_by="g",
    )
    assert out["value"].to_list() == [1e308, pytest.approx(5e307 / 3, rel=1e-12)]
    assert out["stdev"][0] == 0
    assert out["stdev"][1] == pytest.approx(
        np.std(np.array([1.0, -1.0, 0.5]), ddof=1) * 1e308, rel=1e-12
    )
    assert out["lowercl"][0] == 1e308
