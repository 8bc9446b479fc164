"""GLA life expectancy by ward (healthgap.sources.gla.ward_life_expectancy)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import IMPORTERS


@pytest.mark.realdata
def test_gla_ward_life_expectancy(shared_data):
    imp = IMPORTERS["gla-ward-life-expectancy"](
        shared_data / "mortality/gla_life-expectancy-ward-at-Birth.csv"
    )
    values = pl.from_arrow(imp.values)
    assert values["period"].unique().sort().to_list()[::11] == ["1999 - 03", "2010 - 14"]
    assert set(values["period_years"]) == {5}
    abbey = values.filter(
        (pl.col("area_code") == "E05000026")
        & (pl.col("sex") == "Male")
        & (pl.col("period") == "1999 - 03")
    ).row(0, named=True)
    assert (abbey["value"], abbey["lower95_0cl"], abbey["upper95_0cl"]) == (75.9, 73.5, 78.3)
    assert abbey["period_start"] == 1999
    city = values.filter((pl.col("area_code") == "E09000001") & (pl.col("period") == "2010 - 14"))
    assert sorted(city["value"].to_list()) == [86.5, 91.8]
    wards = values.filter(pl.col("area_code").str.starts_with("E05"))
    # 624 wards + the City of London, which the file gives as its local authority (E09000001)
    assert wards["area_code"].n_unique() == 624
    assert values.filter(pl.col("area_code").str.starts_with("E09"))["area_code"].n_unique() == 33
