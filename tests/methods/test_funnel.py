import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from tests.conftest import to_polars

from healthgap import _limits
from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import dsr
from healthgap.methods.funnel import (
    DSR_NOT_APPLICABLE,
    funnel_limits,
    funnel_points,
    funnel_significance,
)

LIMITS = ["lower99_8cl", "lower95_0cl", "upper95_0cl", "upper99_8cl"]


@pytest.fixture
def props():
    # ten areas, 3,000 to 9,000 people, about 20%
    n = np.array([3000, 3500, 4000, 4500, 5000, 6000, 7000, 8000, 8500, 9000])
    x = np.array([540, 700, 850, 900, 1000, 1260, 1400, 1500, 1700, 1950])
    return pl.DataFrame({"area": [f"A{i}" for i in range(10)], "x": x, "n": n})


# -- proportions --------------------------------------------------------------------------


def test_proportion_limits_are_where_wilson_reaches_the_average(props):
    out = funnel_limits(props, "x", "n", statistic="proportion", multiplier=100)
    average = props["x"].sum() / props["n"].sum()
    n = out["population"].to_numpy()
    # independent check through the Wilson formula itself: an area with the lower (upper)
    # funnel proportion has its Wilson upper (lower) limit exactly at the average
    for level, suffix in ((0.95, "95_0"), (0.998, "99_8")):
        lower = out[f"lower{suffix}cl"].to_numpy() / 100
        upper = out[f"upper{suffix}cl"].to_numpy() / 100
        low, high = lower > 0, upper < 1  # clipped at 0 and 1 where the funnel is widest
        assert low.sum() > 50
        assert high.sum() > 50
        np.testing.assert_allclose(
            _limits.wilson(lower * n, n, level).upper[low], average, rtol=1e-9
        )
        np.testing.assert_allclose(
            _limits.wilson(upper * n, n, level).lower[high], average, rtol=1e-9
        )
    np.testing.assert_allclose(out["baseline"].to_numpy(), average * 100, rtol=1e-15)
    assert out["statistic"].unique().to_list() == ["proportion"]
    assert out["method"].unique().to_list() == ["Wilson"]
    assert out["confidence"].unique().to_list() == ["95%, 99.8%"]


def test_proportion_limits_hand_derived():
    # average 400/4000 = 10%; the axis starts at 800 (95% of 900 rounded down to one figure);
    # there the 95% limit is 10 -/+ 1.959964 * sqrt(0.1 * 0.9 / 800) * 100 = 10 -/+ 2.078811
    df = pl.DataFrame({"x": [90, 110, 95, 105], "n": [1000, 1000, 900, 1100]})
    out = funnel_limits(df, "x", "n")
    first = out.row(0, named=True)
    assert first["population"] == 800
    half95 = stats.norm.ppf(0.975) * np.sqrt(0.09 / 800) * 100
    half998 = stats.norm.ppf(0.999) * np.sqrt(0.09 / 800) * 100
    assert first["lower95_0cl"] == pytest.approx(10 - half95, rel=1e-12)
    assert first["upper99_8cl"] == pytest.approx(10 + half998, rel=1e-12)
    assert half95 == pytest.approx(2.0788, abs=1e-4)


def test_axis_from_rounded_range_and_from_zero():
    # 900..1100: 800 (95% of 900 to one significant figure) .. 1,200 (105% of 1,100 to two)
    narrow = funnel_limits(pl.DataFrame({"x": [90, 110], "n": [900, 1100]}), "x", "n")
    axis = narrow["population"].to_numpy()
    assert len(axis) == 100
    assert (axis[0], axis[-1]) == (800, 1200)
    assert (np.diff(axis) >= 1).all()
    # largest over twice the smallest: from 0 (drawn from 1); 105% of 5,000 is 5,250 -> 5,300
    wide = funnel_limits(pl.DataFrame({"x": [9, 500], "n": [100, 5000]}), "x", "n")
    assert (wide["population"][0], wide["population"][-1]) == (1, 5300)


def test_proportion_limits_clip_at_0_and_at_a_proportion_of_1():
    df = pl.DataFrame({"x": [1, 9], "n": [10, 10]})  # 50%, tiny populations
    out = funnel_limits(df, "x", "n", multiplier=1000)
    assert out["lower99_8cl"][0] == 0.0
    assert out["upper99_8cl"][0] == 1000.0  # a proportion of 1 per 1,000, not 100


# -- ratios -------------------------------------------------------------------------------


def test_ratio_limits_are_exact_poisson():
    df = pl.DataFrame({"o": [12, 30, 55, 80], "e": [10.0, 35.0, 50.0, 70.0]})
    out = funnel_limits(df, "o", "e", statistic="ratio", ratio_type="isr")
    o = out["observed_events"].to_numpy()
    # from 1 (80 > 2 x 12) in 99 steps of at least 1: the last point is 100, past the
    # rounded maximum (105% of 80 -> 85)
    assert (o[0], o[-1]) == (1, 100)
    for level, suffix in ((0.95, "95_0"), (0.998, "99_8")):
        tail = (1 - level) / 2
        lower_expected = out[f"lower{suffix}_expected"].to_numpy()
        upper_expected = out[f"upper{suffix}_expected"].to_numpy()
        # independent: scipy's Poisson distribution at the solved means
        np.testing.assert_allclose(stats.poisson.cdf(o, lower_expected), tail, rtol=1e-9)
        np.testing.assert_allclose(stats.poisson.sf(o - 1, upper_expected), tail, rtol=1e-9)
        np.testing.assert_allclose(
            out[f"lower{suffix}cl"].to_numpy(), 100 * o / lower_expected, rtol=1e-12
        )
    assert out["baseline"].unique().to_list() == [100.0]
    assert out["statistic"][0] == "ratio (isr)"
    assert out["method"][0] == "Poisson"
    counts = funnel_limits(df, "o", "e", statistic="ratio", ratio_type="count")
    np.testing.assert_allclose(
        counts.select(LIMITS).to_numpy(),
        out.select(LIMITS).to_numpy() / 100 - 1,
        rtol=1e-12,
        atol=1e-15,
    )
    assert counts["baseline"].unique().to_list() == [0.0]


def test_ratio_limits_of_one_event_hand_derived():
    # O = 1: P(X <= 1; m) = 0.025 at m = 5.5716 (e.g. Breslow & Day vol II, table of exact
    # Poisson limits); P(X >= 1; m) = 1 - exp(-m) = 0.025 at m = -ln(0.975) = 0.025318
    df = pl.DataFrame({"o": [1, 50], "e": [1.0, 40.0]})
    out = funnel_limits(df, "o", "e", statistic="ratio", ratio_type="count")
    first = out.row(0, named=True)
    assert first["lower95_0_expected"] == pytest.approx(5.5716, abs=1e-4)
    assert first["upper95_0_expected"] == pytest.approx(-np.log(0.975), rel=1e-12)
    assert first["upper95_0cl"] == pytest.approx(1 / -np.log(0.975) - 1, rel=1e-12)


# -- rates --------------------------------------------------------------------------------


def rates_frame():
    pop = np.array([20_000, 35_000, 50_000, 80_000, 120_000, 150_000])
    ev = np.array([0, 30, 45, 90, 100, 160])
    rate = np.where(ev > 0, ev / np.maximum(pop, 1) * 1e5 * 1.03, 0.0)
    return pd.DataFrame({"ev": ev, "pop": pop, "r": rate})


def test_rate_limits_follow_poisson_and_the_weighted_average():
    df = rates_frame()
    out = funnel_limits(
        df, "ev", "pop", "r", statistic="rate", rate_type="dsr", years_of_data=3, multiplier=100_000
    )
    # DSR with 0 events: no implied population, left out of the average
    implied = 1e5 * df.ev[1:] / df.r[1:]
    average = df.ev.sum() / implied.sum()
    assert out["baseline"].unique().tolist() == [pytest.approx(average * 1e5, rel=1e-12)]
    events = out["events"].to_numpy()
    tail = 0.025
    lower_pop = out["lower95_0_population"].to_numpy() * 3  # shown per year
    np.testing.assert_allclose(stats.poisson.cdf(events, lower_pop * average), tail, rtol=1e-9)
    np.testing.assert_allclose(out["lower95_0cl"].to_numpy(), events / lower_pop * 1e5, rtol=1e-9)
    assert out["statistic"][0] == "rate (dsr per 100,000)"


def test_rate_axis_in_events():
    # implied populations 10,000..40,000 over 2 years (5,000..20,000 a year): wide, so from 0;
    # 105% of 20,000 = 21,000 -> 21,000 a year, 42,000 in all, times the average 1% = 420 events
    df = pl.DataFrame({"ev": [100, 400], "r": [1000.0, 1000.0]})
    out = funnel_limits(
        df, "ev", rate="r", statistic="rate", rate_type="crude", years_of_data=2, multiplier=100_000
    )
    assert (out["events"][0], out["events"][-1]) == (1, 420)


# -- significance -------------------------------------------------------------------------


def test_significance_proportion_phe_example(constructor):
    data = constructor(
        {
            "area": ["A", "B", "C", "D"],
            "x": [10232, 12321, 15123, 13213],
            "n": [15232, 16123, 17932, 18475],
        }
    )
    out = to_polars(funnel_significance(data, "x", "n"))
    assert out.columns == ["area", "x", "n", "significance"]
    assert out["significance"].to_list() == [
        "Low (0.001)",
        "High (0.001)",
        "High (0.001)",
        "Low (0.001)",
    ]


def test_significance_ratio_hand_derived():
    # O=20, E=10: Byar lower 95% = 20 (1 - 1/180 - 1.96/(3 sqrt 20))^3 = 12.21 > 10, while the
    # 99.8% lower is 8.92 < 10 -> High (0.025). O=3, E=10: exact upper 95% = chi2(0.975; 8)/2
    # = 8.77 < 10, 99.8% = chi2(0.999; 8)/2 = 13.06 -> Low (0.025). O=0, E=1: upper 3.69.
    # O=40, E=10: Byar lower 99.8% = 24.4 > 10 -> High (0.001).
    df = pl.DataFrame({"o": [20, 3, 0, 40], "e": [10.0, 10.0, 1.0, 10.0]})
    out = funnel_significance(df, "o", "e", statistic="ratio")
    assert out["significance"].to_list() == [
        "High (0.025)",
        "Low (0.025)",
        "Not significant",
        "High (0.001)",
    ]


def test_significance_rate_dsr_small_counts_not_applicable():
    df = rates_frame()
    df.loc[1, "ev"] = 9
    df.loc[1, "r"] = 9 / 35_000 * 1e5
    out = funnel_significance(
        df, "ev", "pop", "r", statistic="rate", rate_type="dsr", multiplier=100_000
    )
    labels = out["significance"].tolist()
    assert labels[:2] == ["Not applicable for events less than 10 for dsrs"] * 2
    assert all(label != labels[0] for label in labels[2:])


def test_significance_rate_crude_uses_denominator_for_zero_events():
    df = pl.DataFrame(
        {
            "ev": [0, 200, 210, 190],
            "pop": [10_000, 100_000, 105_000, 95_000],
            "r": [0.0, 200.0, 200.0, 200.0],
        }
    )
    out = funnel_significance(df, "ev", "pop", "r", statistic="rate", rate_type="crude")
    # average 600 / 310,000; the area with no events in 10,000 people expected 19.4: its exact
    # upper 99.8% limit, chi2(0.999; 2)/2 = 6.9 events, lies below
    assert out["significance"].to_list() == [
        "Low (0.001)",
        "Not significant",
        "Not significant",
        "Not significant",
    ]


# -- points -------------------------------------------------------------------------------


def test_points_dsr_and_crude(constructor):
    data = constructor({"ev": [50, 5, 0], "pop": [9000, 1000, 800], "r": [500.0, 400.0, 0.0]})
    dsr = to_polars(funnel_points(data, "ev", "pop", "r", rate_type="dsr", years_of_data=2))
    assert dsr["r_chart"].to_list() == [500.0, None, None]
    assert dsr["denominator_derived"].to_list() == [5000.0, None, None]
    crude = to_polars(funnel_points(data, "ev", "pop", "r", rate_type="crude", years_of_data=2))
    assert crude["r_chart"].to_list() == [500.0, 400.0, 0.0]
    assert crude["denominator_derived"].to_list() == [5000.0, 625.0, 400.0]


def test_same_kind_returned(constructor):
    data = constructor({"x": [10, 20, 30], "n": [100, 150, 200]})
    assert type(funnel_limits(data, "x", "n")) is type(data)
    assert type(funnel_significance(data, "x", "n")) is type(data)
    ref = funnel_limits(pl.DataFrame({"x": [10, 20, 30], "n": [100, 150, 200]}), "x", "n")
    assert to_polars(funnel_limits(data, "x", "n")).equals(ref)


def test_standard_type_has_no_metadata():
    out = funnel_limits(pl.DataFrame({"x": [1, 2], "n": [10, 20]}), "x", "n", type="standard")
    assert out.columns == [
        "population",
        *["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"],
        "baseline",
    ]


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statistic": "mean"}, r"argument 'statistic' must be one of \['proportion', 'ratio'"),
        ({"statistic": "ratio"}, r"argument 'ratio_type' must be one of \['count', 'isr'\]"),
        ({"statistic": "rate", "rate_type": "dsr", "rate": "n"}, "'years_of_data' is required"),
        ({"statistic": "rate", "rate_type": "age"}, "argument 'rate_type' must be one of"),
        ({"statistic": "rate", "rate_type": "dsr", "years_of_data": 1}, "'rate' is required"),
        ({"type": "full!"}, "argument 'type' must be one of"),
        ({"multiplier": -1}, "argument 'multiplier' must be > 0"),
    ],
)
def test_argument_errors(kwargs, message):
    df = pl.DataFrame({"x": [1, 2], "n": [10, 20]})
    with pytest.raises(InputError, match=message):
        funnel_limits(df, "x", "n" if kwargs.get("statistic") != "rate" else None, **kwargs)


def test_data_errors_name_rows():
    with pytest.raises(
        InputError,
        match=r"column 'x' must be <= column 'n': 1 of 3 rows fail "
        r"\(rows \[2\], values \[40\]\)",
    ):
        funnel_limits(pl.DataFrame({"x": [1, 2, 40], "n": [10, 20, 30]}), "x", "n")
    with pytest.raises(InputError, match=r"column 'n' must be > 0: 1 of 2 rows"):
        funnel_significance(pl.DataFrame({"x": [1, 0], "n": [10, 0]}), "x", "n")
    with pytest.raises(InputError, match=r"column 'x' must not be missing"):
        funnel_significance(pl.DataFrame({"x": [1, None], "n": [10, 5]}), "x", "n")
    with pytest.raises(InputError, match="argument 'denominator' is required"):
        funnel_significance(pl.DataFrame({"x": [1]}), "x", statistic="ratio")
    with pytest.raises(InputError, match=r"column 'ev' is 0 so its population is unknown"):
        funnel_points(
            pl.DataFrame({"ev": [0, 3], "r": [0.0, 5.0]}),
            "ev",
            rate="r",
            rate_type="crude",
            years_of_data=1,
        )
    with pytest.raises(InputError, match=r"column 'r' must be > 0 where 'ev' > 0"):
        funnel_points(
            pl.DataFrame({"ev": [1, 3], "r": [0.0, 5.0]}), "ev", rate="r", years_of_data=1
        )
    with pytest.raises(InputError, match=r"argument 'years_of_data' is required"):
        # issue #17 item 5: no silent one-year default
        funnel_points(pl.DataFrame({"ev": [10, 30], "r": [5.0, 5.0]}), "ev", rate="r")
    with pytest.raises(InputError, match=r"column 'r' must not be missing"):
        # a missing rate is accepted only where dsr withholds it (fewer than 10 events)
        funnel_points(
            pl.DataFrame({"ev": [10, 30], "r": [None, 5.0]}), "ev", rate="r", years_of_data=1
        )
    with pytest.raises(InputError, match="every DSR in column 'ev' has 0 events"):
        funnel_limits(
            pl.DataFrame({"ev": [0, 0], "r": [0.0, 0.0], "p": [5, 6]}),
            "ev",
            "p",
            "r",
            statistic="rate",
            rate_type="dsr",
            years_of_data=1,
        )
    with pytest.raises(InputError, match="no rows"):
        funnel_limits(pl.DataFrame({"x": [1], "n": [2]}).clear(), "x", "n")


# -- properties ---------------------------------------------------------------------------

areas = st.lists(
    st.integers(10, 100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    min_size=2,
    max_size=20,
)


@settings(max_examples=50, deadline=None)
@given(areas)
def test_proportion_limits_bracket_baseline_and_narrow(rows):
    x, n = zip(*rows, strict=True)
    if sum(x) == 0 or sum(x) == sum(n):
        return
    out = funnel_limits(pl.DataFrame({"x": x, "n": n}), "x", "n")
    table = out.select(
        ["lower99_8cl", "lower95_0cl", "baseline", "upper95_0cl", "upper99_8cl"]
    ).to_numpy()
    assert (np.diff(table, axis=1) >= -1e-9).all()
    assert (np.diff(out["upper95_0cl"].to_numpy()) <= 1e-9).all()  # narrows as n grows
    assert (np.diff(out["lower95_0cl"].to_numpy()) >= -1e-9).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5000), st.floats(0.5, 5000)), min_size=2, max_size=20))
def test_ratio_limits_bracket_one(rows):
    o, e = zip(*rows, strict=True)
    out = funnel_limits(
        pl.DataFrame({"o": o, "e": e}), "o", "e", statistic="ratio", ratio_type="isr"
    )
    table = out.select(
        ["lower99_8cl", "lower95_0cl", "baseline", "upper95_0cl", "upper99_8cl"]
    ).to_numpy()
    assert (np.diff(table, axis=1) > 0).all()


@settings(max_examples=50, deadline=None)
@given(areas)
def test_significance_agrees_with_the_limits_at_each_area(rows):
    # an area is significant at 95% exactly when it lies outside the funnel drawn at its own n
    x, n = zip(*rows, strict=True)
    total = sum(x) / sum(n)
    if total in (0, 1):
        return
    labels = funnel_significance(pl.DataFrame({"x": x, "n": n}), "x", "n")["significance"]
    n_arr, p = np.array(n, float), np.array(x) / np.array(n)
    half = stats.norm.ppf(0.975) * np.sqrt(total * (1 - total) / n_arr)
    outside = (p < total - half - 1e-12) | (p > total + half + 1e-12)
    inside = (p > total - half + 1e-12) & (p < total + half - 1e-12)
    significant = labels.to_numpy() != "Not significant"
    assert (significant[outside]).all()
    assert not (significant[inside]).any()


def test_dsr_funnel_workflow_takes_the_na_rates_dsr_returns():
    # issue #17 item 5: R's DSR funnel workflow feeds calculate_dsr's output, NA for areas
    # with fewer than 10 events, to the funnel functions; those areas are left out of the
    # average and the axis, not plotted, and "not applicable" for significance
    rng = np.random.default_rng(11)
    areas = [f"A{i}" for i in range(6)]
    data = pl.DataFrame(
        {
            "area": np.repeat(areas, 19),
            "deaths": rng.integers(5, 60, 6 * 19),
            "pop": rng.integers(2_000, 9_000, 6 * 19),
        }
    ).with_columns(deaths=pl.when(pl.col("area") == "A3").then(0).otherwise(pl.col("deaths")))
    data = data.with_columns(
        deaths=pl.when((pl.col("area") == "A3") & (pl.int_range(pl.len()) % 19 == 4))
        .then(7)
        .otherwise(pl.col("deaths"))
    )
    with pytest.warns(SuppressedWarning, match="total count < 10"):
        rates = dsr(data, "deaths", "pop", group_by="area")
    assert rates["value"].null_count() == 1
    args = {"statistic": "rate", "rate_type": "dsr", "years_of_data": 1}
    limits = funnel_limits(rates, "total_count", rate="value", **args)
    kept = rates.filter(pl.col("value").is_not_null())
    assert limits.equals(funnel_limits(kept, "total_count", rate="value", **args))
    significance = funnel_significance(
        rates, "total_count", rate="value", statistic="rate", rate_type="dsr"
    )
    alone = funnel_significance(
        kept, "total_count", rate="value", statistic="rate", rate_type="dsr"
    )
    assert significance["significance"][3] == DSR_NOT_APPLICABLE
    assert significance.filter(pl.col("area") != "A3")["significance"].to_list() == (
        alone["significance"].to_list()
    )
    points = funnel_points(rates, "total_count", rate="value", years_of_data=1)
    assert points["value_chart"][3] is None
    assert points["denominator_derived"][3] is None


def test_flagged_rows_are_left_out_with_a_warning():
    df = pl.DataFrame({"x": [90, 110, 95, -1, 105], "n": [1000, 1000, 900, 1000, 1100]})
    with pytest.warns(SuppressedWarning, match=r"1 of 5 rows with invalid input left out"):
        out = funnel_significance(df, "x", "n", errors="flag")
    good = funnel_significance(df.filter(pl.col("x") >= 0), "x", "n")
    assert out["significance"].to_list() == [
        *good["significance"].to_list()[:3],
        None,
        good["significance"][3],
    ]
    with pytest.warns(SuppressedWarning):
        limits = funnel_limits(df, "x", "n", errors="flag")
    assert limits.equals(funnel_limits(df.filter(pl.col("x") >= 0), "x", "n"))
