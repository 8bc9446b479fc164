import math
import re

import numpy as np
import polars as pl
import pytest
from scipy import optimize, stats
from tests.conftest import to_polars

from healthgap.compare import benchmark
from healthgap.errors import ColumnNotFoundError, InputError

# Benchmark 50 against intervals placed around it: inside, on a limit (inside, as in
# Fingertips' SingleOverlappingCIsComparer), above and below.
ROWS = {
    "area": ["inside", "on_lower", "on_upper", "above", "below"],
    "value": [52.0, 55.0, 45.0, 60.0, 40.0],
    "lowercl": [48.0, 50.0, 40.0, 55.0, 35.0],
    "uppercl": [56.0, 60.0, 50.0, 65.0, 45.0],
}


def labels(out) -> list[str]:
    return to_polars(out)["comparison"].to_list()


@pytest.mark.parametrize(
    ("polarity", "expected"),
    [
        ("high_is_good", ["Similar", "Similar", "Similar", "Better", "Worse"]),
        ("low_is_good", ["Similar", "Similar", "Similar", "Worse", "Better"]),
        ("no_judgement", ["Similar", "Similar", "Similar", "Higher", "Lower"]),
    ],
)
def test_benchmark_value_against_the_95_interval(constructor, polarity, expected):
    out = benchmark(constructor(ROWS), benchmark_value=50, polarity=polarity)
    assert labels(out) == expected
    frame = to_polars(out)
    assert frame["reason"].null_count() == len(frame)
    assert frame["benchmark"].to_list() == [50.0] * 5
    assert frame["comparison_method"][0] == "benchmark value vs 95% confidence interval"
    assert frame.columns[:4] == list(ROWS)


def test_polarity_not_set_gives_direction_without_judgement_and_says_so():
    out = benchmark(pl.DataFrame(ROWS), benchmark_value=50)
    assert labels(out) == ["Similar", "Similar", "Similar", "Higher", "Lower"]
    assert set(out["reason"].to_list()) == {"polarity not set: difference shown without judgement"}


def test_polarity_from_a_column_with_nulls(constructor):
    df = constructor({**ROWS, "polarity": ["high_is_good", None, None, "low_is_good", None]})
    out = to_polars(benchmark(df, benchmark_value=50, polarity="polarity"))
    assert labels(out) == ["Similar", "Similar", "Similar", "Worse", "Lower"]
    assert out["reason"].to_list()[3:] == [
        None,
        "polarity not set: difference shown without judgement",
    ]


def test_two_levels_say_which_level_the_difference_reaches():
    # benchmark 50; 95% and 99.8% intervals: outside both, outside 95% only, inside both
    df = pl.DataFrame(
        {
            "value": [60.0, 56.0, 51.0, 40.0, 44.0],
            "lower95_0cl": [55.0, 51.0, 47.0, 35.0, 39.0],
            "upper95_0cl": [65.0, 61.0, 55.0, 45.0, 49.0],
            "lower99_8cl": [52.0, 48.0, 45.0, 33.0, 37.0],
            "upper99_8cl": [68.0, 64.0, 57.0, 47.0, 50.0],
        }
    )
    out = benchmark(df, benchmark_value=50, polarity="high_is_good", confidence=(95, 99.8))
    assert labels(out) == ["Better 99.8%", "Better 95%", "Similar", "Worse 99.8%", "Worse 95%"]
    assert out["comparison_method"][0] == ("benchmark value vs 95%, 99.8% confidence intervals")
    bob = benchmark(df, benchmark_value=50, polarity="no_judgement", confidence=[0.95, 0.998])
    assert labels(bob) == ["Higher 99.8%", "Higher 95%", "Similar", "Lower 99.8%", "Lower 95%"]


def test_missing_inputs_are_not_compared_with_the_reason(constructor):
    df = constructor(
        {
            "value": [None, 60.0, 60.0, 60.0],
            "lowercl": [55.0, None, 55.0, 55.0],
            "uppercl": [65.0, 65.0, 65.0, 65.0],
            "england": [50.0, 50.0, None, 50.0],
        }
    )
    out = to_polars(benchmark(df, benchmark_value="england", polarity="high_is_good"))
    assert out["comparison"].to_list() == ["Not compared"] * 3 + ["Better"]
    assert out["reason"].to_list() == [
        "value missing",
        "confidence limits missing",
        "benchmark value missing",
        None,
    ]


def test_benchmark_taken_from_the_benchmark_areas_rows(constructor):
    df = constructor(
        {
            "area": ["E92000001", "A", "B", "E92000001", "A", "B"],
            "year": [2022, 2022, 2022, 2023, 2023, 2023],
            "value": [50.0, 60.0, 52.0, 40.0, 60.0, 30.0],
            "lowercl": [49.0, 55.0, 47.0, 39.0, 55.0, 25.0],
            "uppercl": [51.0, 65.0, 57.0, 41.0, 65.0, 35.0],
        }
    )
    out = to_polars(
        benchmark(
            df, polarity="low_is_good", area="area", benchmark_area="E92000001", group_by="year"
        )
    )
    assert out["benchmark"].to_list() == [50.0, 50.0, 50.0, 40.0, 40.0, 40.0]
    assert labels(out) == ["Not compared", "Worse", "Similar", "Not compared", "Worse", "Better"]
    assert out["reason"][0] == "this row is the benchmark area"


def test_spc_proportion_uses_wilson_limits_around_the_benchmark():
    # Benchmark 25% for an area of 1,000: E = 250, z = 1.959964 (hand-computed below, as in
    # APHO Technical Briefing 2): limits 0.224153 and 0.277760.
    z, e, n, p0 = stats.norm.ppf(0.975), 250.0, 1000.0, 0.25
    spread = z * math.sqrt(z**2 + 4 * e * (1 - p0))
    low, high = (
        (2 * e + z**2 - spread) / (2 * (n + z**2)),
        (2 * e + z**2 + spread) / (2 * (n + z**2)),
    )
    assert (round(low, 6), round(high, 6)) == (0.224153, 0.27776)
    df = pl.DataFrame(
        {
            "value": [
                100 * (high + 1e-6),
                100 * (high - 1e-6),
                100 * (low - 1e-6),
                100 * (low + 1e-6),
            ],
            "n": [1000] * 4,
        }
    )
    out = benchmark(
        df,
        benchmark_value=25,
        polarity="high_is_good",
        method="spc_proportion",
        n="n",
        multiplier=100,
    )
    assert labels(out) == ["Better", "Similar", "Worse", "Similar"]
    assert out["comparison_method"][0] == ("control limits (Wilson) around the benchmark at 95%")


def test_spc_rate_uses_exact_poisson_limits_of_the_expected_count():
    # 100 per 100,000 over 50,000 person-years: E = 50. The exact limits solve
    # P(X >= 50 | m) = 0.025 and P(X <= 50 | m) = 0.025 (root-finding on scipy's Poisson).
    low = optimize.brentq(lambda m: stats.poisson.sf(49, m) - 0.025, 20, 60) / 0.5
    high = optimize.brentq(lambda m: stats.poisson.cdf(50, m) - 0.025, 40, 90) / 0.5
    df = pl.DataFrame(
        {"value": [high + 1e-6, high - 1e-6, low - 1e-6, low + 1e-6], "n": [50_000] * 4}
    )
    out = benchmark(
        df,
        benchmark_value=100,
        polarity="no_judgement",
        method="spc_rate",
        n="n",
        multiplier=100_000,
    )
    assert labels(out) == ["Higher", "Similar", "Lower", "Similar"]


def test_spc_two_levels_and_missing_denominators():
    df = pl.DataFrame({"value": [40.0, 30.0, 30.0], "n": [1000.0, None, 0.0]})
    out = benchmark(
        df,
        benchmark_value=25,
        polarity="high_is_good",
        method="spc_proportion",
        n="n",
        multiplier=100,
        confidence=(95, 99.8),
    )
    assert labels(out) == ["Better 99.8%", "Not compared", "Not compared"]
    assert out["reason"].to_list()[1:] == ["denominator missing or not positive"] * 2


def test_same_answer_from_every_frame_library(constructor):
    expected = to_polars(benchmark(pl.DataFrame(ROWS), benchmark_value=50, polarity="low_is_good"))
    got = benchmark(constructor(ROWS), benchmark_value=50, polarity="low_is_good")
    assert type(got) is type(constructor(ROWS))
    assert to_polars(got).equals(expected)


def test_the_users_table_is_not_modified():
    df = pl.DataFrame(ROWS)
    before = df.clone()
    benchmark(df, benchmark_value=50, polarity="low_is_good")
    assert df.equals(before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"benchmark_value": 50, "method": "spc"}, "argument 'method' must be one of"),
        (
            {"benchmark_value": 50, "confidence": (90, 95)},
            "two confidence levels must be 95% and 99.8%",
        ),
        ({}, "give either 'benchmark_value'"),
        ({"benchmark_value": 50, "benchmark_area": "E92000001"}, "not both or neither"),
        ({"benchmark_area": "E92000001"}, "needs 'area'"),
        ({"benchmark_area": "X", "area": "area"}, "benchmark area 'X' has no rows"),
        ({"benchmark_value": 50, "polarity": "high"}, "argument 'polarity' must be one of"),
        ({"benchmark_value": 50, "method": "spc_rate"}, "needs argument 'n'"),
        ({"benchmark_value": 50, "n": "value"}, "used by the SPC methods only"),
        ({"benchmark_value": 50, "confidence": (95, 99.8)}, "columns ['lower95_0cl'"),
        ({"benchmark_value": "england"}, "columns ['england'] not found"),
        ({"benchmark_value": 50, "lower_cl": ["lowercl", "lowercl"]}, "one column per level"),
    ],
)
def test_wrong_arguments_are_named(kwargs, message):
    with pytest.raises(InputError, match=re.escape(message)):
        benchmark(pl.DataFrame(ROWS), **kwargs)


def test_missing_column_error_lists_what_is_available():
    with pytest.raises(ColumnNotFoundError, match=r"available: \['area', 'value'"):
        benchmark(pl.DataFrame(ROWS), "rate", benchmark_value=50)


def test_limits_out_of_order_are_an_error_naming_rows():
    df = pl.DataFrame({"value": [1.0, 2.0], "lowercl": [0.5, 3.0], "uppercl": [1.5, 2.5]})
    with pytest.raises(
        InputError,
        match=r"'lowercl' must be <= column 'uppercl': 1 of 2 "
        r"rows fail \(rows \[1\], values \[3\]\)",
    ):
        benchmark(df, benchmark_value=1)


def test_benchmark_area_must_have_one_row_per_group():
    df = pl.DataFrame(
        {
            "area": ["E", "E", "A"],
            "value": [1.0, 2.0, 3.0],
            "lowercl": [0.0, 1.0, 2.0],
            "uppercl": [2.0, 3.0, 4.0],
        }
    )
    with pytest.raises(InputError, match="must have one row per table: 2 of its 2 rows"):
        benchmark(df, area="area", benchmark_area="E")


def test_polarity_column_with_unknown_words_is_an_error():
    df = pl.DataFrame({**ROWS, "polarity": ["high_is_good", "up", None, None, None]})
    with pytest.raises(InputError, match=r"must hold .*\(rows \[1\], values \['up'\]\)"):
        benchmark(df, benchmark_value=50, polarity="polarity")


def test_many_rows_give_no_python_loop_sized_surprises():
    rng = np.random.default_rng(1)
    value = rng.normal(50, 10, 100_000)
    df = pl.DataFrame({"value": value, "lowercl": value - 5, "uppercl": value + 5})
    out = benchmark(df, benchmark_value=50, polarity="high_is_good")
    expected = np.where(value - 5 > 50, "Better", np.where(value + 5 < 50, "Worse", "Similar"))
    assert (out["comparison"].to_numpy() == expected).all()
