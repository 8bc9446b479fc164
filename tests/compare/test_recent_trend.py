import re

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from tests.conftest import to_polars

from healthgap.compare import recent_trend
from healthgap.errors import InputError

YEARS = [2019, 2020, 2021, 2022, 2023]


def series(x, n=10_000, years=YEARS, **extra):
    return {"year": list(years), "x": list(x), "n": [n] * len(x) if np.isscalar(n) else n, **extra}


def test_chi_squared_for_trend_matches_r_prop_trend_test():
    # R documentation of stats::prop.trend.test: smokers <- c(83, 90, 129, 70),
    # patients <- c(86, 93, 136, 82); prop.trend.test(smokers, patients) gives
    # X-squared = 8.2249, p-value = 0.004132 (published to 4-5 significant figures)
    df = pl.DataFrame(series([83, 90, 129, 70], n=[86, 93, 136, 82], years=[1, 2, 3, 4]))
    out = recent_trend(df, "x", "n", "year", points=4)
    assert out["statistic"][0] == pytest.approx(8.2249, abs=5e-5)
    assert out["pvalue"][0] == pytest.approx(0.004132, abs=5e-7)
    assert out["trend"][0] == "No significant change"  # not significant at 99.8%


def test_chi_squared_equals_the_weighted_regression_form():
    # independent re-derivation: regression sum of squares of p_t on t with weights
    # n_t / (p (1 - p)), p the pooled proportion (Armitage, Berry & Matthews 15.2)
    x, n = np.array([200, 220, 240, 260, 280.0]), np.full(5, 2000.0)
    t = np.arange(1, 6.0)
    p = x.sum() / n.sum()
    w = n / (p * (1 - p))
    tbar = (w * t).sum() / w.sum()
    slope = (w * (t - tbar) * (x / n)).sum() / (w * (t - tbar) ** 2).sum()
    expected = slope**2 * (w * (t - tbar) ** 2).sum()
    out = recent_trend(pl.DataFrame(series(x, n=2000)), "x", "n", "year", polarity="high_is_good")
    assert out["statistic"][0] == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(18.939393939, rel=1e-9)
    assert out.row(0, named=True) | {"slope": None, "statistic": None, "pvalue": None} == {
        "year": 2023,
        "points": 5,
        "slope": None,
        "statistic": None,
        "pvalue": None,
        "trend": "Increasing and getting better",
        "reason": None,
        "method": "chi-squared test for trend in proportions, significant at 99.8%, robust "
        "to leaving out a point",
    }
    assert out["slope"][0] == pytest.approx(np.polyfit(t, np.log(x / (n - x)), 1)[0])


@pytest.mark.parametrize(
    ("x", "polarity", "expected"),
    [
        ([1000, 1100, 1200, 1300, 1400], "high_is_good", "Increasing and getting better"),
        ([1000, 1100, 1200, 1300, 1400], "low_is_good", "Increasing and getting worse"),
        ([1400, 1300, 1200, 1100, 1000], "high_is_good", "Decreasing and getting worse"),
        ([1400, 1300, 1200, 1100, 1000], "low_is_good", "Decreasing and getting better"),
        ([1400, 1300, 1200, 1100, 1000], "no_judgement", "Decreasing"),
        ([1000, 1002, 998, 1001, 1000], "low_is_good", "No significant change"),
    ],
)
def test_labels_by_polarity(constructor, x, polarity, expected):
    out = to_polars(recent_trend(constructor(series(x)), "x", "n", "year", polarity=polarity))
    assert out["trend"].to_list() == [expected]
    assert out["reason"].to_list() == [None]


def test_polarity_not_set_gives_direction_only_and_says_so():
    out = recent_trend(pl.DataFrame(series([1000, 1100, 1200, 1300, 1400])), "x", "n", "year")
    assert out["trend"][0] == "Increasing"
    assert out["reason"][0] == "polarity not set: direction shown without judgement"


def test_a_trend_that_flips_when_a_point_is_left_out_is_not_robust():
    # 12%, 10%, 10%, 10%, 20%: highly significant, but without the last point the log-odds
    # slope is negative
    out = recent_trend(
        pl.DataFrame(series([1200, 1000, 1000, 1000, 2000])),
        "x",
        "n",
        "year",
        polarity="low_is_good",
    )
    assert out["statistic"][0] > 100
    assert out["trend"][0] == "No significant change"
    assert out["reason"][0] == "not robust: the slope changes sign when one point is left out"


def test_rates_use_the_weighted_slope_from_95_limits():
    # values 10, 12, 14, 16, 18 with s = (U - L) / 3.92 = 0.5: w = 4, slope 2,
    # chi-squared = 2^2 * sum w (t - 3)^2 = 4 * 40 = 160
    y = np.array([10, 12, 14, 16, 18.0])
    df = pl.DataFrame({"year": YEARS, "rate": y, "lo": y - 0.98, "hi": y + 0.98})
    out = recent_trend(
        df,
        period="year",
        value="rate",
        lower_cl="lo",
        upper_cl="hi",
        kind="rate",
        polarity="low_is_good",
    )
    assert out["statistic"][0] == pytest.approx(160, rel=1e-12)
    assert out["slope"][0] == pytest.approx(2, rel=1e-12)
    assert out["pvalue"][0] == pytest.approx(stats.chi2.sf(160, 1), rel=1e-9)
    assert out["trend"][0] == "Increasing and getting worse"
    assert out["method"][0].startswith("weighted regression on values (95% limits)")


def test_rates_leave_one_out_with_weights():
    # four precise points rising and an imprecise last point far below: unweighted, the
    # slope would be negative (-0.8); weighted by the limits the last point barely counts,
    # and every leave-one-out weighted slope stays positive
    y = np.array([10, 11, 12, 13, 5.0])
    half = np.array([0.1, 0.1, 0.1, 0.1, 20.0])
    df = pl.DataFrame({"year": YEARS, "v": y, "lo": y - half, "hi": y + half})
    out = recent_trend(
        df,
        period="year",
        value="v",
        lower_cl="lo",
        upper_cl="hi",
        kind="other",
        polarity="high_is_good",
    )
    assert out["trend"][0] == "Increasing and getting better"
    w = (3.92 / (2 * half)) ** 2
    assert out["slope"][0] == pytest.approx(np.polyfit(np.arange(1, 6), y, 1, w=np.sqrt(w))[0])


def test_cannot_be_calculated_with_the_reason():
    # "gap" has five valid periods with 2020 absent and "missing" a row without a count:
    # Fingertips tests the five most recent periods with valid data, so the gap does not
    # matter and the missing row leaves four
    df = pl.DataFrame(
        {
            "area": ["few"] * 4 + ["gap"] * 5 + ["missing"] * 5 + ["edge"] * 5 + ["ok"] * 6,
            "year": [
                2020,
                2021,
                2022,
                2023,
                2018,
                2019,
                2021,
                2022,
                2023,
                *YEARS,
                *YEARS,
                2018,
                *YEARS,
            ],
            "x": [10, 10, 10, 10]
            + [10] * 5
            + [10, 10, None, 10, 10]
            + [0, 10, 10, 10, 10]
            + [None, 100, 100, 100, 100, 100],
            "n": [100] * 19 + [1000] * 6,
        }
    )
    out = recent_trend(df, "x", "n", "year", group_by="area", polarity="low_is_good")
    assert out.select("area", "trend", "reason", "points", "year").rows() == [
        (
            "edge",
            "Cannot be calculated",
            "a count is 0 or equals its denominator (the log-odds are infinite)",
            5,
            2023,
        ),
        ("few", "Cannot be calculated", "fewer than 5 points", 4, 2023),
        ("gap", "No significant change", None, 5, 2023),
        (
            "missing",
            "Cannot be calculated",
            "fewer than 5 periods with a count and denominator",
            4,
            2023,
        ),
        ("ok", "No significant change", None, 5, 2023),
    ]
    assert out["statistic"].to_list()[1] is None
    assert out["statistic"].to_list()[3] is None


def test_gaps_are_skipped_and_the_points_numbered_one_to_five():
    # Fingertips (TrendMarkerCalculator.GetMostRecentData) takes the five most recent
    # periods that have valid data and numbers them 1-5 whatever the gaps: a school-year
    # series with no 2020/21 measurement is tested on 2017, 2018, 2019, 2021, 2022, exactly
    # as the same five values on consecutive years; the unmeasured year may be absent or a
    # row with no value
    values = [0.20, 0.21, 0.22, 0.24, 0.25]
    consecutive = pl.DataFrame(
        {"year": [2018, 2019, 2020, 2021, 2022], "v": values, "lo": values, "hi": values}
    ).with_columns(pl.col("lo") - 0.01, pl.col("hi") + 0.01)
    gapped = consecutive.with_columns(year=pl.Series([2017, 2018, 2019, 2021, 2022]))
    with_null = pl.concat(
        [gapped, pl.DataFrame({"year": [2020], "v": [None], "lo": [None], "hi": [None]})],
        how="vertical_relaxed",
    )
    args = {"period": "year", "value": "v", "lower_cl": "lo", "upper_cl": "hi", "kind": "other"}
    expected = recent_trend(consecutive, polarity="high_is_good", **args)
    for frame in (gapped, with_null):
        out = recent_trend(frame, polarity="high_is_good", **args)
        assert out["trend"][0] == "Increasing and getting better"
        assert out["points"][0] == 5
        assert out["year"][0] == 2022
        assert out["statistic"][0] == pytest.approx(expected["statistic"][0], rel=1e-12)
        assert out["slope"][0] == pytest.approx(expected["slope"][0], rel=1e-12)


def test_only_the_most_recent_points_are_tested():
    # an old gap and old missing values do not matter
    df = pl.DataFrame(
        series(
            [None, 5, 1000, 1100, 1200, 1300, 1400],
            years=[2010, 2015, 2017, 2018, 2019, 2020, 2021],
        )
    )
    out = recent_trend(df, "x", "n", "year", polarity="high_is_good")
    assert out.select("year", "points", "trend").row(0) == (
        2021,
        5,
        "Increasing and getting better",
    )


def test_grouped_equals_each_series_alone():
    rng = np.random.default_rng(3)
    groups = 60
    p = rng.uniform(0.05, 0.3, groups).repeat(6) * np.tile(np.linspace(0.9, 1.1, 6), groups)
    n = rng.integers(500, 5000, groups * 6)
    df = pl.DataFrame(
        {
            "g": np.arange(groups).repeat(6),
            "year": np.tile(np.arange(2018, 2024), groups),
            "x": rng.binomial(n, p),
            "n": n,
        }
    ).sample(fraction=1, seed=1)
    together = recent_trend(df, "x", "n", "year", group_by="g", polarity="high_is_good")
    assert together["g"].to_list() == list(range(groups))
    for g in (0, 17, 59):
        alone = recent_trend(df.filter(pl.col("g") == g), "x", "n", "year", polarity="high_is_good")
        assert together.filter(pl.col("g") == g).drop("g").equals(alone)


def test_same_answer_from_every_frame_library(constructor):
    data = {
        "g": ["a"] * 5 + ["b"] * 5,
        "year": YEARS * 2,
        "x": [10, 20, 30, 40, 50, 50, 49, 51, 50, 50],
        "n": [1000] * 10,
    }
    expected = recent_trend(
        pl.DataFrame(data), "x", "n", "year", group_by="g", polarity="high_is_good"
    )
    got = recent_trend(constructor(data), "x", "n", "year", group_by="g", polarity="high_is_good")
    assert type(got) is type(constructor(data))
    assert to_polars(got).equals(expected)


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (series([1, 2, 3, 4, 5]), {"kind": "dsr"}, "argument 'kind' must be one of"),
        (series([1, 2, 3, 4, 5]), {"x": None}, "kind='proportion' needs 'x' and 'n'"),
        (series([1, 2, 3, 4, 5]), {"kind": "rate"}, "kind='rate' needs 'value', 'lower_cl'"),
        (series([1, 2, 3, 4, 5]), {"points": 2}, "argument 'points' must be a whole number >= 3"),
        (series([1, 2, 3, 4, 5]), {"group_by": "year"}, "must not be in group_by"),
        (
            series([1, 2, 3, 4, 5], years=[2019, 2019, 2020, 2021, 2022]),
            {},
            "each series must have one row per 'year': 1 of 5 rows fail (rows [1]",
        ),
        (
            series([1, 2, 3, 4, 5], years=[2019.0, 2020.5, 2021.0, 2022.0, 2023.0]),
            {},
            "column 'year' must hold whole numbers",
        ),
        (series([1, 2, 3, 4, 20_000]), {}, "column 'x' must be <= column 'n'"),
        (series([1, 2, 3, 4, -5]), {}, "column 'x' must be >= 0"),
    ],
)
def test_wrong_arguments_and_data_are_named(data, kwargs, message):
    args = {"x": "x", "n": "n", "period": "year"} | kwargs
    with pytest.raises(InputError, match=re.escape(message)):
        recent_trend(pl.DataFrame(data), **args)


counts = st.lists(st.tuples(st.integers(1, 500), st.integers(0, 400)), min_size=5, max_size=5)


@settings(max_examples=60, deadline=None)
@given(counts)
def test_reversing_time_mirrors_the_trend(pairs):
    # the chi-squared statistic is symmetric in time; the slope changes sign. Fingertips
    # counts a leave-one-out slope of exactly 0 as positive, which is not symmetric: such
    # series are left out
    x = [a for a, _ in pairs]
    n = [a + b + 1 for a, b in pairs]
    logit = np.log(np.array(x) / (np.array(n) - np.array(x)))
    t = np.arange(1, 6.0)
    for keep in [np.ones(5, bool), *(np.arange(5) != j for j in range(5))]:
        assume(abs(np.polyfit(t[keep], logit[keep], 1)[0]) > 1e-9)
    forward = recent_trend(pl.DataFrame(series(x, n=n)), "x", "n", "year", polarity="high_is_good")
    backward = recent_trend(
        pl.DataFrame(series(x[::-1], n=n[::-1])), "x", "n", "year", polarity="high_is_good"
    )
    assert backward["statistic"][0] == pytest.approx(forward["statistic"][0], rel=1e-9)
    assert backward["slope"][0] == pytest.approx(-forward["slope"][0], rel=1e-9, abs=1e-12)
    mirror = {
        "Increasing and getting better": "Decreasing and getting worse",
        "Decreasing and getting worse": "Increasing and getting better",
        "No significant change": "No significant change",
    }
    assert backward["trend"][0] == mirror[forward["trend"][0]]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(50, 400), min_size=5, max_size=9),
    st.lists(st.integers(1, 3), min_size=9, max_size=9),
    st.lists(st.booleans(), min_size=9, max_size=9),
)
def test_rows_without_valid_data_and_gaps_never_change_the_trend(counts, steps, holes):
    # Fingertips numbers the most recent valid periods 1-5 whatever lies between them: the
    # same valid points give the same test whether the years between them are absent, or
    # present with no count
    years = np.cumsum(steps[: len(counts)]) + 2000
    valid = pl.DataFrame({"year": years, "x": counts, "n": [1000] * len(counts)})
    extra_years = [int(y) - 1 for y, hole in zip(years, holes, strict=False) if hole]
    extra_years = [y for y in extra_years if y not in set(years.tolist())]
    holed = pl.concat(
        [
            valid,
            pl.DataFrame(
                {
                    "year": extra_years,
                    "x": [None] * len(extra_years),
                    "n": [1000] * len(extra_years),
                },
                schema=valid.schema,
            ),
        ]
    )
    consecutive = valid.with_columns(year=pl.int_range(2000, 2000 + len(counts)))
    a = recent_trend(holed, "x", "n", "year", polarity="high_is_good")
    b = recent_trend(consecutive, "x", "n", "year", polarity="high_is_good")
    assert a["trend"][0] == b["trend"][0]
    assert a["points"][0] == b["points"][0] == 5
    assert a["statistic"][0] == pytest.approx(b["statistic"][0], rel=1e-12, nan_ok=True)
