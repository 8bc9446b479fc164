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


def test_limits_outside_a_rounded_value_load_with_their_note(tmp_path):
    # issue #15: Fingertips rounds a value (17.0) but not its limits (17.025 ...); the
    # importer accepts it within the rounding with a note, and the store must too
    from healthgap._conventions import ROUNDING_NOTE

    path = tmp_path / "f.csv"
    path.write_text(
        "Indicator ID,Indicator Name,Area Code,Area Name,Sex,Age,Time period,Value,"
        "Lower CI 95.0 limit,Upper CI 95.0 limit\n"
        "1,Rate,E09000001,City,Persons,All ages,2021,17.0,17.025,17.072\n"
        "1,Rate,E09000002,Barking,Persons,All ages,2021,12.5,11.0,14.0\n"
    )
    imported = IMPORTERS["fingertips"](path)
    with Store.open(tmp_path / "s.duckdb") as store:
        store.load(imported)
        values = pl.from_arrow(store.values()).sort("area_code")
    assert values["value_note"].to_list() == [ROUNDING_NOTE, None]
    assert values["lower95_0cl"].to_list() == [17.025, 11.0]


def test_limits_outside_the_value_without_the_note_are_still_refused(tmp_path):
    from healthgap.errors import InputError
    from healthgap.sources._tables import Imported, values_arrow

    frame = pl.DataFrame(
        {
            "indicator_id": ["1"],
            "area_code": ["E09000001"],
            "period": ["2021"],
            "period_start": [2021],
            "period_years": [1],
            "value": [17.0],
            "lower95_0cl": [17.025],
            "upper95_0cl": [17.072],
        }
    )
    with Store.open(tmp_path / "s.duckdb") as store, pytest.raises(InputError, match="bracket"):
        store.load(Imported(source="tidy", values=values_arrow(frame)))


@pytest.mark.realdata
def test_fingertips_export_with_rounded_values_loads(shared_data, tmp_path):
    name = "fingertips/gss-cogs_family-disability__indicators-CountyUApre419.data.csv"
    with Store.open(tmp_path / "s.duckdb") as store:
        store.load(IMPORTERS["fingertips"](shared_data / name))
        assert pl.from_arrow(store.values()).height == 87
