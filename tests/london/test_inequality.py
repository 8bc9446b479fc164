"""Inequality from published small-area and borough figures: worked examples by hand."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthgap.london import inequality
from healthgap.methods import proportion


def _lsoas(n: int = 20) -> pl.DataFrame:
    # LSOA i has national rank 100 * i (1 = most deprived), 1000 + i residents, and i of its
    # 100 residents in bad health and none in very bad health
    i = np.arange(1, n + 1)
    return pl.DataFrame(
        {
            "lsoa_code": [f"E0100{k:04d}" for k in i],
            "borough_code": ["E09000001" if k <= n // 2 else "E09000002" for k in i],
            "imd_rank": 100 * i,
            "residents_2011": 1000 + i,
            "health_total": [100] * n,
            "health_bad": i,
            "health_very_bad": [0] * n,
        }
    )


def test_deciles_put_the_lowest_national_ranks_in_decile_1():
    # 20 LSOAs in 10 deciles of 2: ranks 100, 200 (the most deprived) form decile 1
    out = inequality.lsoa_deciles(_lsoas())
    assert out["decile"].to_list() == [d for d in range(1, 11) for _ in range(2)]


def test_poor_health_by_decile_adds_counts_and_gives_wilson_limits():
    out = inequality.poor_health_by_decile(_lsoas(), "E12000007")
    # decile 1 holds LSOAs 1 and 2: 3 in bad health of 200 residents
    first = out.filter(pl.col("category") == "1").row(0, named=True)
    assert (first["count"], first["denominator"]) == (3.0, 200.0)
    wilson = proportion(pl.DataFrame({"x": [3], "n": [200]}), "x", "n", multiplier=100)
    assert first["value"] == pytest.approx(1.5, rel=1e-12)
    assert first["lower95_0cl"] == pytest.approx(wilson["lowercl"][0], rel=1e-12)
    assert first["upper95_0cl"] == pytest.approx(wilson["uppercl"][0], rel=1e-12)
    assert out["category_type"].unique().to_list() == [inequality.DECILE_TYPE]
    assert out.height == 10


def test_lsoas_without_census_counts_still_form_the_deciles():
    lsoas = _lsoas().with_columns(
        pl.when(pl.col("lsoa_code") == "E01000001")
        .then(None)
        .otherwise(pl.col("health_total"))
        .alias("health_total")
    )
    out = inequality.poor_health_by_decile(lsoas, "E12000007")
    first = out.filter(pl.col("category") == "1").row(0, named=True)
    assert (first["count"], first["denominator"]) == (2.0, 100.0)  # LSOA 2 alone


def test_poor_health_sii_has_the_sign_of_the_gradient():
    # in this example bad health rises from decile 1 (most deprived) to 10, so the SII
    # (least minus most deprived end) is positive and the RII above 1; London's is negative
    out = inequality.poor_health_sii(inequality.poor_health_by_decile(_lsoas(), "E12000007"))
    row = out.row(0, named=True)
    assert row["value"] > 0
    assert float(row["value_note"].removeprefix("RII ")) > 1
    assert row["lower95_0cl"] < row["value"] < row["upper95_0cl"]
    assert row["lower99_8cl"] < row["lower95_0cl"]


def test_borough_deprivation_is_the_residents_weighted_average_rank():
    out = inequality.borough_deprivation(_lsoas())
    lsoas = _lsoas().filter(pl.col("borough_code") == "E09000001")
    expected = (lsoas["imd_rank"] * lsoas["residents_2011"]).sum() / lsoas["residents_2011"].sum()
    first = out.row(0, named=True)
    assert first["area_code"] == "E09000001"
    assert first["average_rank"] == pytest.approx(expected, rel=1e-12)
    assert first["population"] == lsoas["residents_2011"].sum()
    assert out["order"].to_list() == [1, 2]


def _boroughs(values: list[float], se: float = 0.5) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = len(values)
    codes = [f"E0900{k:04d}" for k in range(1, n + 1)]
    deprivation = pl.DataFrame(
        {
            "area_code": codes,
            "average_rank": np.arange(1.0, n + 1),
            "population": [1000.0] * n,
            "order": np.arange(1, n + 1, dtype=np.int32),
        }
    )
    values_frame = pl.DataFrame(
        {
            "area_code": codes,
            "period": ["2010 - 14"] * n,
            "period_start": [2010] * n,
            "period_years": [5] * n,
            "sex": ["Male"] * n,
            "age": ["All ages"] * n,
            "value": values,
            "lower95_0cl": [v - 1.959964 * se for v in values],
            "upper95_0cl": [v + 1.959964 * se for v in values],
        }
    )
    return values_frame, deprivation


def test_borough_sii_of_a_linear_gradient_is_its_range_across_ranks():
    # ten equal boroughs, life expectancy 70, 71, ..., 79 from the most deprived: the
    # fitted line runs from 69.5 at rank 0 to 79.5 at rank 1, so the SII is 10 years
    values, deprivation = _boroughs([70.0 + i for i in range(10)])
    out = inequality.borough_sii(values, deprivation, "E12000007")
    row = out.row(0, named=True)
    assert row["value"] == pytest.approx(10.0, rel=1e-9)
    assert row["lower95_0cl"] < 10.0 < row["upper95_0cl"]
    assert (row["area_code"], row["period"], row["sex"]) == ("E12000007", "2010 - 14", "Male")
    assert row["value_note"] == f"10 {inequality.BOROUGH_RANK}"


def test_borough_sii_leaves_out_boroughs_without_limits():
    values, deprivation = _boroughs([70.0 + i for i in range(10)])
    values = values.with_columns(
        pl.when(pl.col("area_code") == "E09000001")
        .then(None)
        .otherwise(pl.col("lower95_0cl"))
        .alias("lower95_0cl")
    )
    out = inequality.borough_sii(values, deprivation, "E12000007")
    assert out["value_note"][0].startswith("9 ")


@settings(max_examples=20, deadline=None)
@given(st.floats(-5, 5), st.floats(50, 90))
def test_borough_sii_is_the_slope_of_any_straight_line(step, start):
    values, deprivation = _boroughs([start + step * i for i in range(12)])
    out = inequality.borough_sii(values, deprivation, "E12000007")
    assert out["value"][0] == pytest.approx(12 * step, abs=1e-9)


def test_borough_sii_of_rates_fits_the_rates_and_draws_on_the_log_scale():
    # value_type 1 (rates): the fit is on the rates themselves, so a straight line from 100
    # down to 64 per 100,000 over ten boroughs has an SII of -40; the limits are simulated
    # from standard errors on the log scale, so they need not be symmetric
    values, deprivation = _boroughs([100.0 - 4 * i for i in range(10)], se=2.0)
    out = inequality.borough_sii(values, deprivation, "E12000007", value_type=1)
    row = out.row(0, named=True)
    assert row["value"] == pytest.approx(-40.0, rel=1e-9)
    assert row["lower95_0cl"] < -40.0 < row["upper95_0cl"]
