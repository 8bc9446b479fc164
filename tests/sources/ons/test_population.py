"""ONS mid-year estimates as MYEB CSVs (healthgap.sources.ons.population)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import IMPORTERS, ImportValidationError, read_ons_population
from healthgap.store.schema import POPULATION

MYEB3 = "population/MYEB3_summary_components_of_change_series_UK_(2020_geog21).csv"


def test_myeb1_long_by_sex_and_age(tmp_path):
    path = tmp_path / "MYEB1.csv"
    path.write_text(
        "ladcode18,laname18,country,sex,age,population_2001,population_2002\n"
        "E09000001,City of London,E,1,0,30,31\n"
        "E09000001,City of London,E,2,90,12,13\n"
    )
    population = pl.from_arrow(read_ons_population(path).population).sort("year", "sex")
    assert population.select("year", "sex", "age", "age_start", "population").rows() == [
        (2001, "Female", "90+", 90, 12.0),
        (2001, "Male", "0", 0, 30.0),
        (2002, "Female", "90+", 90, 13.0),
        (2002, "Male", "0", 0, 31.0),
    ]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("E09000001,City,E,3,0,30", "sex"),
        ("E09000001,City,E,1,old,30", "age"),
        ("E09000001,City,E,1,0,-4", "population"),
        ("E09000001,City,E,1,0,", "population"),
        ("E0900001,City,E,1,0,30", "ladcode18"),
    ],
)
def test_myeb_problems(tmp_path, row, column):
    path = tmp_path / "MYEB1.csv"
    path.write_text("ladcode18,laname18,country,sex,age,population_2001\n" + row + "\n")
    with pytest.raises(ImportValidationError) as info:
        read_ons_population(path)
    assert (info.value.problems[0]["line"], info.value.problems[0]["column"]) == (2, column)


@pytest.mark.realdata
def test_myeb3_components_csv(shared_data):
    # issue #15: "the MYEB3 components CSV crashes ons-population"
    imp = read_ons_population(shared_data / MYEB3)
    population = pl.from_arrow(imp.population)
    assert population.height == 374 * 20  # 374 areas, mid-2001 ... mid-2020
    city = population.filter((pl.col("area_code") == "E09000001") & (pl.col("year") == 2020))
    # ONS mid-2020 estimate, City of London: 10,938 (as published in the file)
    assert city.select("sex", "age", "population").rows() == [("Persons", "All ages", 10938.0)]
    assert pl.from_arrow(imp.areas).filter(pl.col("area_code") == "E09000001")[
        "area_name"
    ].to_list() == ["City of London"]


MYE_2019 = "population/ukmidyearestimates20192020ladcodes.xls"
MYE_2021 = "population/ukpopestimatesmid2021on2021geographyfinal.xls"


@pytest.fixture(scope="module")
def mye2019(shared_data):
    return read_ons_population(shared_data / MYE_2019)


@pytest.mark.realdata
def test_mid_year_estimates_2019(mye2019):
    pop = pl.from_arrow(mye2019.population)
    assert mye2019.population.schema.equals(POPULATION)
    assert pop["year"].unique().to_list() == [2019]
    assert sorted(pop["sex"].unique()) == ["Female", "Male", "Persons"]
    ages = pop["age"].unique(maintain_order=True).to_list()
    assert ages[0] == "0"
    assert ages[-1] == "90+"
    assert len(ages) == 91

    def total(code, sex="Persons"):
        return pop.filter((pl.col("area_code") == code) & (pl.col("sex") == sex))[
            "population"
        ].sum()

    assert total("K02000001") == 66_796_807  # UK, mid-2019 (sheet MYE2 - Persons)
    assert total("E92000001") == 56_286_961  # England
    assert total("E92000001", "Male") == 27_827_831
    assert total("E09000007") == 270_029  # Camden
    infants = pop.filter(
        (pl.col("area_code") == "E92000001") & (pl.col("sex") == "Persons") & (pl.col("age") == "0")
    )["population"].to_list()
    assert infants == [618_858]
    areas = pl.from_arrow(mye2019.areas)
    assert areas.filter(pl.col("area_code").str.starts_with("E09")).height == 33
    assert areas.filter(pl.col("area_code") == "E12000007")["area_type"].to_list() == ["region"]
    assert pop.filter(pl.col("age") == "90+")["age_start"].unique().to_list() == [90]


@pytest.mark.realdata
def test_mid_year_estimates_2021(shared_data):
    imp = IMPORTERS["ons-population"](shared_data / MYE_2021)
    pop = pl.from_arrow(imp.population)
    assert pop["year"].unique().to_list() == [2021]
    england = pop.filter((pl.col("area_code") == "E92000001") & (pl.col("sex") == "Persons"))
    assert england["population"].sum() == 56_536_419
    assert england.filter(pl.col("age") == "0")["population"].to_list() == [579_315]
    assert pop.filter(pl.col("area_code").str.starts_with("E09"))["area_code"].n_unique() == 33
