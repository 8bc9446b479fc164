import re

import numpy as np
import polars as pl
import pytest
from scipy import stats
from tests.conftest import to_polars

from healthgap.compare import peer_ranks
from healthgap.errors import InputError

AREAS = {
    "area": ["A", "B", "C", "D", "E"],
    "value": [10.0, 12.0, 12.0, 30.0, None],
    "lowercl": [9.0, 11.0, 11.0, 29.0, None],
    "uppercl": [11.0, 13.0, 13.0, 31.0, None],
}


def test_ranks_by_polarity_with_ties_sharing_the_better_rank(constructor):
    low = to_polars(
        peer_ranks(constructor(AREAS), area="area", polarity="low_is_good", repetitions=2_000)
    )
    assert low["rank"].to_list() == [1, 2, 2, 4, None]
    assert low["n_ranked"].to_list() == [4, 4, 4, 4, None]
    high = to_polars(
        peer_ranks(constructor(AREAS), area="area", polarity="high_is_good", repetitions=2_000)
    )
    assert high["rank"].to_list() == [4, 2, 2, 1, None]
    assert high["reason"].to_list() == [None] * 4 + ["value or 95% limits missing"]


def test_two_areas_probability_matches_the_normal_distribution():
    # A ~ N(10, s), B ~ N(10.5, s), s = 4 / 3.92: P(A ranks first, low is good) =
    # P(A < B) = Phi(0.5 / (s sqrt 2))
    df = pl.DataFrame(
        {"area": ["A", "B"], "value": [10.0, 10.5], "lowercl": [8.0, 8.5], "uppercl": [12.0, 12.5]}
    )
    out = peer_ranks(df, area="area", polarity="low_is_good", repetitions=40_000, seed=11)
    s = 4 / 3.92
    expected = stats.norm.cdf(0.5 / (s * np.sqrt(2)))
    # binomial standard error at 40,000 draws is 0.0024: allow 4 of them
    assert out["p_top_fifth"][0] == pytest.approx(expected, abs=0.01)
    assert out["p_bottom_fifth"][0] == pytest.approx(1 - expected, abs=0.01)
    assert out.select("rank_lower", "rank_upper").rows() == [(1, 2), (1, 2)]


def test_fifths_of_a_larger_group_and_certain_ranks():
    # 10 areas far apart: ranks are certain; the top fifth is the best 2
    values = np.arange(10, 110, 10.0)
    df = pl.DataFrame(
        {"area": list("abcdefghij"), "value": values, "lowercl": values - 1, "uppercl": values + 1}
    )
    out = peer_ranks(df, area="area", polarity="high_is_good", repetitions=500)
    assert out["rank"].to_list() == list(range(10, 0, -1))
    assert out["rank_lower"].to_list() == out["rank"].to_list()
    assert out["rank_upper"].to_list() == out["rank"].to_list()
    assert out["p_top_fifth"].to_list() == [0.0] * 8 + [1.0] * 2
    assert out["p_bottom_fifth"].to_list() == [1.0] * 2 + [0.0] * 8


def test_peers_and_groups():
    df = pl.DataFrame(
        {
            "ind": ["x"] * 4 + ["y"] * 4,
            "area": ["A", "B", "C", "D"] * 2,
            "value": [1.0, 2.0, 3.0, 4.0, 4.0, 3.0, 2.0, 1.0],
        }
    )
    df = df.with_columns(lowercl=pl.col("value") - 0.01, uppercl=pl.col("value") + 0.01)
    out = peer_ranks(
        df,
        area="area",
        peers=["A", "C", "D"],
        group_by="ind",
        polarity="low_is_good",
        repetitions=200,
    )
    assert out.select("ind", "area", "rank").rows() == [
        ("x", "A", 1),
        ("x", "C", 2),
        ("x", "D", 3),
        ("y", "A", 3),
        ("y", "C", 2),
        ("y", "D", 1),
    ]


def test_seeded_results_repeat_and_differ_by_seed():
    rng = np.random.default_rng(2)
    values = rng.normal(50, 3, 30)
    df = pl.DataFrame(
        {
            "area": [f"a{i}" for i in range(30)],
            "value": values,
            "lowercl": values - 4,
            "uppercl": values + 4,
        }
    )
    first = peer_ranks(df, area="area", polarity="high_is_good", repetitions=1_000, seed=3)
    again = peer_ranks(df, area="area", polarity="high_is_good", repetitions=1_000, seed=3)
    other = peer_ranks(df, area="area", polarity="high_is_good", repetitions=1_000, seed=4)
    assert first.equals(again)
    assert not first["p_top_fifth"].equals(other["p_top_fifth"])
    assert (first["rank_lower"] <= first["rank"]).all()
    assert (first["rank"] <= first["rank_upper"]).all()


def test_polarity_not_set_ranks_the_highest_first_and_says_so():
    out = peer_ranks(pl.DataFrame(AREAS), area="area", repetitions=200)
    assert out["rank"].to_list()[:4] == [4, 2, 2, 1]
    assert out["reason"][0] == "polarity not set: rank 1 is the highest value, without judgement"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"peers": ["A", "Z"]}, "peers ['Z'] are not in column 'area'"),
        ({"peers": "A"}, "argument 'peers' must be a non-empty list"),
        ({"repetitions": 10}, "argument 'repetitions' must be a whole number >= 100"),
        ({"group_by": "area"}, "must not be in group_by"),
    ],
)
def test_wrong_arguments_are_named(kwargs, message):
    with pytest.raises(InputError, match=re.escape(message)):
        peer_ranks(pl.DataFrame(AREAS), area="area", **kwargs)


def test_an_area_twice_in_a_group_is_an_error():
    df = pl.DataFrame(
        {"area": ["A", "A"], "value": [1.0, 2.0], "lowercl": [0.0, 1.0], "uppercl": [2.0, 3.0]}
    )
    with pytest.raises(InputError, match=re.escape("each area must have one row per group []")):
        peer_ranks(df, area="area")
