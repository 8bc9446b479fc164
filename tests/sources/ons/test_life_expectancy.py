"""ONS life expectancy by local areas (healthgap.sources.ons.life_expectancy)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources.ons import (
    read_ons_life_expectancy,
)


@pytest.mark.realdata
def test_life_expectancy_workbook(shared_data):
    imp = read_ons_life_expectancy(shared_data / "mortality/leatbirthandatage65byukla201618.xlsx")
    values = pl.from_arrow(imp.values)
    assert {m.id for m in imp.indicators} == {"ons-le-birth", "ons-le-65"}
    england = values.filter(
        (pl.col("area_code") == "E92000001")
        & (pl.col("indicator_id") == "ons-le-birth")
        & (pl.col("sex") == "Male")
        & (pl.col("period") == "2001 - 03")
    )
    assert england["value"].to_list() == [pytest.approx(76.197914035953)]
    assert england["period_years"].to_list() == [3]
    assert values["period"].n_unique() == 16
    london = values.filter(pl.col("area_code").str.starts_with("E09"))
    assert london["area_code"].n_unique() == 33
    city = london.filter(pl.col("area_code") == "E09000001")
    assert city["value"].null_count() == city.height  # not calculated by ONS
    assert city["value_note"].drop_nulls().len() == city.height
    assert values.filter(pl.col("indicator_id") == "ons-le-65")["age"].unique().to_list() == ["65"]
