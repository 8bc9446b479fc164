"""What the importers return loads into the store as it is (the contract with healthgap.store)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import IMPORTERS
from healthgap.sources.imd import Region
from healthgap.store import Store


@pytest.mark.realdata
def test_importers_load_into_the_store(shared_data, tmp_path):
    files = [
        ("lsoa-shapefile", "boundaries/lsoa_2011_london_gen_mhw/LSOA_2011_London_gen_MHW.shp"),
        ("imd2019-london", "deprivation/ID 2019 for London.xlsx"),
        ("fingertips", "fingertips/ansarikasim_injuries-in-children__Compare_areas.csv"),
        ("ons-hle", "mortality/ons_els_healthy-life-expectancy.csv"),
    ]
    with Store.open(tmp_path / "s.duckdb") as store:
        for kind, name in files:
            # the GLA's London workbook, its LSOAs ranked within London too
            options = {"within": Region("London")} if kind == "imd2019-london" else {}
            imported = IMPORTERS[kind](shared_data / name, **options)
            store.load(imported)
            store.load(imported)  # idempotent
        vintages = pl.from_arrow(store.vintages())
        assert sorted(vintages["n_values"].to_list()) == [154, 5_814]
        lsoas = pl.from_arrow(store.areas(area_type="lsoa"))
        assert lsoas.height == 4_835
        deciles = pl.from_arrow(store.classifications("IMD 2019 decile (within London)"))
        assert deciles.height == 4_835
        assert {m.id for m in store.indicators()} >= {"90284", "ons-healthy-life-expectancy"}
