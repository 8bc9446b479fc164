import re

import numpy as np
import polars as pl
import pytest
from scipy import stats
from tests.conftest import to_polars

from healthgap.compare import target_progress, target_trajectory
from healthgap.errors import InputError

YEARS = [2019, 2020, 2021, 2022, 2023]
FALLING = [60.0, 58.1, 55.9, 54.0, 52.0]


def test_a_series_that_reaches_its_target(constructor):
    # Hand fit, t = year - 2023: slope -20.1 / 10 = -2.01, intercept 56 + 2 * 2.01 = 51.98.
    # At 2030 (t = 7): 51.98 - 14.07 = 37.91 <= 48: on track. The line meets 48 at
    # t = (48 - 51.98) / -2.01 = 1.98, so in 2025. Residuals -0.02, 0.09, -0.1, 0.01, 0.02:
    # s^2 = 0.019 / 3; se = sqrt(s^2 (1 + 1/5 + 9^2/10)); interval 37.91 -/+ t(3) se.
    df = constructor({"year": YEARS, "value": FALLING})
    out = to_polars(
        target_progress(df, "value", "year", target=48, target_year=2030, polarity="low_is_good")
    )
    row = out.row(0, named=True)
    se = np.sqrt(0.019 / 3 * (1 + 1 / 5 + 81 / 10))
    half = stats.t.ppf(0.975, 3) * se
    assert row["slope"] == pytest.approx(-2.01, rel=1e-12)
    assert row["projected"] == pytest.approx(37.91, rel=1e-12)
    assert row["projected_lower"] == pytest.approx(37.91 - half, rel=1e-9)
    assert row["projected_upper"] == pytest.approx(37.91 + half, rel=1e-9)
    assert row["probability"] == pytest.approx(stats.t.cdf((48 - 37.91) / se, 3), rel=1e-9)
    assert (row["year"], row["value"], row["target"], row["target_year"]) == (
        2023,
        52.0,
        48.0,
        2030,
    )
    assert (row["status"], row["year_reached"], row["points"], row["reason"]) == (
        "On track",
        2025,
        5,
        None,
    )


def test_a_series_that_does_not_reach_its_target():
    # falling by 2 a year, target 30 by 2028: the line gives 41.93 in 2028, off track, and
    # reaches 30 only in 2034 (t = (30 - 51.98) / -2.01 = 10.94, rounded up to 11)
    out = target_progress(
        pl.DataFrame({"year": YEARS, "value": FALLING}),
        "value",
        "year",
        target=30,
        target_year=2028,
        polarity="low_is_good",
    )
    assert out.select("status", "year_reached").row(0) == ("Off track", 2034)
    assert out["projected"][0] == pytest.approx(51.98 - 5 * 2.01)
    assert out["probability"][0] < 0.001


def test_moving_away_from_the_target_is_never_reached():
    out = target_progress(
        pl.DataFrame({"year": YEARS, "value": FALLING}),
        "value",
        "year",
        target=70,
        target_year=2030,
        polarity="high_is_good",
    )
    assert out.select("status", "year_reached").row(0) == ("Off track", None)


def test_achieved_gives_the_start_of_the_latest_run_meeting_the_target():
    df = pl.DataFrame({"year": YEARS, "value": [50.0, 47.0, 49.0, 47.5, 46.0]})
    out = target_progress(df, "value", "year", target=48, target_year=2030, polarity="low_is_good")
    assert out.select("status", "year_reached").row(0) == ("Achieved", 2022)


def test_target_year_passed_is_off_track_with_the_reason():
    out = target_progress(
        pl.DataFrame({"year": YEARS, "value": FALLING}),
        "value",
        "year",
        target=40,
        target_year=2022,
        polarity="low_is_good",
    )
    assert out.select("status", "reason").row(0) == (
        "Off track",
        "target year has passed without the target being met",
    )


def test_cannot_be_calculated_with_the_reason():
    df = pl.DataFrame(
        {
            "c": ["few"] * 2 + ["nopolarity"] * 3 + ["notarget"] * 3,
            "year": [2022, 2023, 2021, 2022, 2023, 2021, 2022, 2023],
            "value": [1.0, 2.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0],
            "target": [5.0] * 5 + [None] * 3,
            "polarity": ["high_is_good"] * 2 + [None] * 3 + ["high_is_good"] * 3,
        }
    )
    out = target_progress(
        df, "value", "year", target="target", target_year=2030, group_by="c", polarity="polarity"
    )
    assert out.select("c", "status", "reason").rows() == [
        (
            "few",
            "Cannot be calculated",
            "fewer than 3 periods with a value (and limits, when given)",
        ),
        (
            "nopolarity",
            "Cannot be calculated",
            "polarity not set: which side of the target counts as met is unknown",
        ),
        ("notarget", "Cannot be calculated", "target or target year missing"),
    ]
    assert out["projected"].to_list() == [None] * 3


def test_weights_from_the_limits():
    y = np.array([30.0, 28.0, 27.5, 25.0, 24.0])
    half = np.array([1.0, 2.0, 0.5, 3.0, 1.0])
    df = pl.DataFrame({"year": YEARS, "v": y, "lo": y - half, "hi": y + half})
    out = target_progress(
        df,
        "v",
        "year",
        target=20,
        target_year=2027,
        lower_cl="lo",
        upper_cl="hi",
        polarity="low_is_good",
    )
    w = (3.92 / (2 * half)) ** 2
    slope, intercept = np.polyfit(np.arange(-4, 1.0), y, 1, w=np.sqrt(w))
    assert out["slope"][0] == pytest.approx(slope, rel=1e-10)
    assert out["projected"][0] == pytest.approx(intercept + 4 * slope, rel=1e-10)
    assert "inverse-variance weights" in out["method"][0]


def test_gaps_are_allowed_and_rows_without_values_are_skipped():
    df = pl.DataFrame(
        {
            "year": [2015, 2017, 2020, 2021, 2022, 2023],
            "value": [10.0, 12.0, 18.0, None, 20.0, 22.0],
        }
    )
    out = target_progress(
        df, "value", "year", target=30, target_year=2030, polarity="high_is_good", points=4
    )
    slope = np.polyfit([2017, 2020, 2022, 2023], [12.0, 18.0, 20.0, 22.0], 1)[0]
    assert out["slope"][0] == pytest.approx(slope, rel=1e-10)
    assert out["points"][0] == 4


def test_trajectory_draws_observed_fitted_and_projected_periods(constructor):
    data = {
        "g": ["a"] * 5 + ["b"] * 3,
        "year": [*YEARS, 2021, 2022, 2023],
        "value": [*FALLING, 1.0, 2.0, 3.0],
        "goal_year": [2026] * 5 + [2024] * 3,
    }
    out = to_polars(
        target_trajectory(constructor(data), "value", "year", until="goal_year", group_by="g")
    )
    a = out.filter(pl.col("g") == "a")
    assert a["year"].to_list() == list(range(2019, 2027))
    assert a["observed"].to_list() == FALLING + [None] * 3
    assert a["fitted"].to_list() == pytest.approx(51.98 - 2.01 * np.arange(-4, 4))
    assert a["projected"].to_list() == [False] * 5 + [True] * 3
    b = out.filter(pl.col("g") == "b")
    assert b["fitted"].to_list() == pytest.approx([1.0, 2.0, 3.0, 4.0])
    assert (a["lower"] < a["fitted"]).all()
    assert (a["upper"] > a["fitted"]).all()


def test_trajectory_matches_target_progress_at_the_target_year():
    df = pl.DataFrame({"year": YEARS, "value": FALLING})
    progress = target_progress(
        df, "value", "year", target=48, target_year=2030, polarity="low_is_good"
    )
    trajectory = target_trajectory(df, "value", "year", until=2030)
    last = trajectory.row(-1, named=True)
    assert last["fitted"] == pytest.approx(progress["projected"][0], rel=1e-12)
    assert last["lower"] == pytest.approx(progress["projected_lower"][0], rel=1e-12)


def test_grouped_equals_each_series_alone():
    rng = np.random.default_rng(5)
    df = pl.DataFrame(
        {
            "g": np.arange(30).repeat(6),
            "year": np.tile(np.arange(2018, 2024), 30),
            "value": rng.normal(50, 5, 180),
        }
    )
    together = target_progress(
        df, "value", "year", target=50, target_year=2028, group_by="g", polarity="high_is_good"
    )
    for g in (0, 29):
        alone = target_progress(
            df.filter(pl.col("g") == g),
            "value",
            "year",
            target=50,
            target_year=2028,
            polarity="high_is_good",
        )
        assert together.filter(pl.col("g") == g).drop("g").equals(alone)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": None}, "argument 'target' is required"),
        ({"target_year": 2030.5}, "argument 'target_year' must hold whole numbers"),
        ({"lower_cl": "value"}, "give both 'lower_cl' and 'upper_cl'"),
        ({"points": 2}, "argument 'points' must be a whole number >= 3"),
        ({"polarity": "down"}, "argument 'polarity' must be one of"),
        ({"target": "goal"}, "columns ['goal'] not found"),
    ],
)
def test_wrong_arguments_are_named(kwargs, message):
    args = {"target": 48, "target_year": 2030, "polarity": "low_is_good"} | kwargs
    with pytest.raises(InputError, match=re.escape(message)):
        target_progress(pl.DataFrame({"year": YEARS, "value": FALLING}), "value", "year", **args)
