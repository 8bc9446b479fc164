"""ONS mid-year estimates as MYEB CSVs (healthgap.sources.ons.population)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import ImportValidationError, read_ons_population

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
