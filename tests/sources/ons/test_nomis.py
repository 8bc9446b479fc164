"""Nomis API downloads of population estimates (healthgap.sources.ons.nomis)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import ImportValidationError, read_ons_population

# NM_2002_1 (pestsyoala) with select=date_name,geography,geography_name,geography_code,
# gender_name,c_age,c_age_name,measures_name,obs_value,obs_status_name,record_count, as
# R scripts read it from www.nomisweb.co.uk/api/v01/dataset/NM_2002_1.data.csv; made up.
HEADER = (
    "DATE_NAME,GEOGRAPHY,GEOGRAPHY_NAME,GEOGRAPHY_CODE,GENDER_NAME,C_AGE,C_AGE_NAME,"
    "MEASURES_NAME,OBS_VALUE,OBS_STATUS_NAME,RECORD_COUNT\n"
)


def _file(tmp_path, rows):
    path = tmp_path / "NM_2002_1.data.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


ROWS = [
    "2017,1946157057,City of London,E09000001,Total,101,Age 0,Value,60,Normal Value,6",
    "2017,1946157057,City of London,E09000001,Total,191,Age 90+,Value,55,Normal Value,6",
    "2017,1946157057,City of London,E09000001,Total,200,All Ages,Value,115,Normal Value,6",
    "2017,1946157057,City of London,E09000001,Total,101,Age 0,Percent,52.2,Normal Value,6",
    "2017,1946157058,Barking and Dagenham,E09000002,Female,101,Age 0,Value,1700,Normal Value,6",
    "2017,1946157058,Barking and Dagenham,E09000002,Male,200,All Ages,Value,100500,Normal Value,6",
]


def test_single_years_sexes_and_totals(tmp_path):
    imp = read_ons_population(_file(tmp_path, ROWS))
    population = pl.from_arrow(imp.population)
    assert population.select(
        "area_code", "year", "sex", "age", "age_start", "population"
    ).rows() == [
        ("E09000001", 2017, "Persons", "0", 0, 60.0),
        ("E09000001", 2017, "Persons", "90+", 90, 55.0),
        ("E09000002", 2017, "Female", "0", 0, 1700.0),
        ("E09000002", 2017, "Male", "All ages", 0, 100500.0),  # the only age given
    ]
    assert pl.from_arrow(imp.areas).select("area_code", "area_name").rows() == [
        ("E09000001", "City of London"),
        ("E09000002", "Barking and Dagenham"),
    ]


def test_age_bands(tmp_path):
    rows = [
        "2019,1,City of London,E09000001,Total,1,Aged 0 to 4,Value,300,Normal Value,1",
        "2019,1,City of London,E09000001,Total,2,Aged 85+,Value,200,Normal Value,1",
    ]
    population = pl.from_arrow(read_ons_population(_file(tmp_path, rows)).population)
    assert population.select("age", "age_start").rows() == [("0-4", 0), ("85+", 85)]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("2017,1,City,E09000001,Total,200,All Ages,Value,116,Normal Value,6", "C_AGE_NAME"),
        ("2017,1,City,E09000001,Other,101,Age 1,Value,5,Normal Value,6", "GENDER_NAME"),
        ("2017,1,City,E09000001,Total,101,Age one,Value,5,Normal Value,6", "C_AGE_NAME"),
        ("2017,1,City,E09000001,Total,101,Age 1,Value,,Normal Value,6", "OBS_VALUE"),
        ("2017,1,City,E9000001,Total,101,Age 1,Value,5,Normal Value,6", "GEOGRAPHY_CODE"),
        ("soon,1,City,E09000001,Total,101,Age 1,Value,5,Normal Value,6", "DATE_NAME"),
        ("2017,1,City,E09000001,Total,1,Aged 0 to 4,Value,5,Normal Value,6", "C_AGE_NAME"),
    ],
)
def test_problems_name_the_column(tmp_path, row, column):
    with pytest.raises(ImportValidationError) as info:
        read_ons_population(_file(tmp_path, [*ROWS[:3], row]))
    assert {p["column"] for p in info.value.problems} == {column}
