"""Census 2021 tables (healthgap.sources.ons.census)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import ImportValidationError
from healthgap.sources.ons import (
    read_census_2021,
)
from healthgap.store.schema import VALUES


@pytest.mark.realdata
def test_census_ts007a_lsoa_bands(shared_data):
    imp = read_census_2021(shared_data / "population/census2021-ts007a-lsoa.csv")
    pop = pl.from_arrow(imp.population)
    assert pop["area_code"].n_unique() == 35_672
    assert pop["age"].unique(maintain_order=True).to_list()[:2] == ["0-4", "5-9"]
    assert pop["age"].n_unique() == 18
    assert "85+" in pop["age"].to_list()
    city = pop.filter(pl.col("area_code") == "E01000001")
    assert city["population"].sum() == 1473  # Age: Total
    assert city.filter(pl.col("age") == "0-4")["population"].to_list() == [52]
    assert city.filter(pl.col("age") == "85+")["age_start"].to_list() == [85]


@pytest.mark.realdata
def test_census_ts009_single_year(shared_data):
    name = "census2021_TS009_ltla_sex_by_single_year_age.csv"
    imp = read_census_2021(shared_data / "population" / name)
    pop = pl.from_arrow(imp.population)
    assert pop.height == 60_242
    assert pop.filter(pl.col("area_code").str.starts_with("E09")).height == 6_006
    first = pop.filter(
        (pl.col("area_code") == "E06000001") & (pl.col("sex") == "Female") & (pl.col("age") == "0")
    )
    assert first["population"].to_list() == [449]
    assert sorted(pop["sex"].unique()) == ["Female", "Male"]


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "rows", "code", "very_good", "total"),
    [
        ("census2021-ts037-lsoa.csv", 35_672 * 5, "E01000001", 859, 1475),
        ("census2021_TS037_ltla_general_health.csv", 331 * 5, "E06000001", 39_817, None),
    ],
)
def test_census_ts037_general_health(shared_data, name, rows, code, very_good, total):
    imp = read_census_2021(shared_data / "population" / name)
    assert imp.values.schema.equals(VALUES)
    values = pl.from_arrow(imp.values)
    assert values.height == rows
    row = values.filter(
        (pl.col("area_code") == code) & (pl.col("category") == "Very good health")
    ).row(0, named=True)
    assert row["count"] == very_good
    if total:
        assert row["denominator"] == total
    assert row["value"] == pytest.approx(100 * very_good / row["denominator"])
    shares = values.group_by("area_code").agg(pl.col("value").sum())
    assert shares["value"].to_numpy() == pytest.approx(100.0)
    assert imp.indicators[0].id == "census2021-general-health"


def _ts009(tmp_path, rows):
    path = tmp_path / "ts009.csv"
    path.write_text(
        "Lower Tier Local Authorities Code,Lower Tier Local Authorities,"
        "Sex (2 categories) Code,Sex (2 categories),Age (91 categories) Code,"
        "Age (91 categories),Observation\n" + "\n".join(rows) + "\n"
    )
    return path


def test_census_negative_count_and_bad_sex(tmp_path):
    with pytest.raises(ImportValidationError) as info:
        read_census_2021(
            _ts009(
                tmp_path,
                [
                    "E09000001,City,1,Female,0,Aged under 1 year,-4",
                    "E09000001,City,2,Other,1,Aged 1 year,5",
                ],
            )
        )
    found = {(p["line"], p["column"]) for p in info.value.problems}
    assert found == {(2, "Observation"), (3, "Sex (2 categories)")}


def test_census_duplicate_cell(tmp_path):
    with pytest.raises(ImportValidationError, match="duplicate"):
        read_census_2021(_ts009(tmp_path, ["E09000001,City,1,Female,0,Aged under 1 year,4"] * 2))


def test_census_total_must_match_bands(tmp_path):
    path = tmp_path / "ts007a.csv"
    path.write_text(
        "date,geography,geography code,Age: Total,Age: Aged 4 years and under,"
        "Age: Aged 5 to 9 years,Age: Aged 10 years and over\n"
        "2021,A,E01000001,10,3,3,4\n2021,B,E01000002,11,3,3,4\n"
    )
    with pytest.raises(ImportValidationError, match="sum of the age groups") as info:
        read_census_2021(path)
    assert info.value.problems[0]["line"] == 3


def test_census_unknown_layout(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(
        ImportValidationError,
        match=r"a Census 2021 bulk CSV .* or a custom download of one variable",
    ):
        read_census_2021(path)


def test_custom_download_of_any_geography(tmp_path):
    # "Create a custom dataset" names the geography's columns in the case of the day it was
    # downloaded; LSOA level here, made-up counts
    path = tmp_path / "ts037.csv"
    path.write_text(
        "Lower layer Super Output Areas Code,Lower layer Super Output Areas,"
        "General health (6 categories) Code,General health (6 categories),Observation\n"
        "E01000001,City of London 001A,-8,Does not apply,0\n"
        "E01000001,City of London 001A,1,Very good health,600\n"
        "E01000001,City of London 001A,2,Good health,300\n"
        "E01000001,City of London 001A,3,Fair health,80\n"
        "E01000001,City of London 001A,4,Bad health,15\n"
        "E01000001,City of London 001A,5,Very bad health,5\n"
    )
    imp = read_census_2021(path)
    values = pl.from_arrow(imp.values)
    assert values.select("area_code", "category", "count", "denominator", "value").row(0) == (
        "E01000001",
        "Very good health",
        600.0,
        1000.0,
        60.0,
    )
    assert pl.from_arrow(imp.areas).rows()[0][:3] == ("E01000001", "City of London 001A", "lsoa")


def test_custom_download_sex_by_age_lower_case_geography(tmp_path):
    path = tmp_path / "ts009.csv"
    path.write_text(
        "Lower tier local authorities Code,Lower tier local authorities,"
        "Sex (2 categories) Code,Sex (2 categories),Age (91 categories) Code,"
        "Age (91 categories),Observation\n"
        "E09000001,City of London,1,Female,0,Aged under 1 year,40\n"
        "E09000001,City of London,2,Male,90,Aged 90 years and over,12\n"
    )
    population = pl.from_arrow(read_census_2021(path).population)
    assert population.select("area_code", "sex", "age", "population").rows() == [
        ("E09000001", "Female", "0", 40.0),
        ("E09000001", "Male", "90+", 12.0),
    ]


def test_any_variable_from_a_custom_download(tmp_path):
    # GSS-Cogs/family-demography datasets/Census/TS038_2021.csv: disability by LTLA; made up
    path = tmp_path / "TS038_2021.csv"
    path.write_text(
        "Lower Tier Local Authorities Code,Lower Tier Local Authorities,"
        "Disability (5 categories) Code,Disability (5 categories),Observation\n"
        "E06000001,Hartlepool,-8,Does not apply,0\n"
        "E06000001,Hartlepool,1,Disabled under the Equality Act: Day-to-day activities "
        "limited a lot,100\n"
        "E06000001,Hartlepool,4,Not disabled under the Equality Act: No long term physical or "
        "mental health conditions,300\n"
    )
    imp = read_census_2021(path)
    values = pl.from_arrow(imp.values)
    assert values.select(
        "indicator_id", "category_type", "count", "denominator", "value"
    ).rows() == [
        ("census2021-disability", "Disability", 100.0, 400.0, 25.0),
        ("census2021-disability", "Disability", 300.0, 400.0, 75.0),
    ]
    assert imp.indicators[0].data_source == "Census 2021, table TS038 (ONS)"


def test_any_variable_from_a_bulk_csv_with_nested_categories(tmp_path):
    # a bulk CSV (census2021-ts021-ltla.csv layout): a group and its subgroups, made up
    path = tmp_path / "census2021-ts021-ltla.csv"
    path.write_text(
        "date,geography,geography code,Ethnic group: Total: All usual residents,"
        "Ethnic group: Asian,Ethnic group: Asian: Bangladeshi,Ethnic group: Asian: Other,"
        "Ethnic group: White\n"
        "2021,City of London,E09000001,1000,300,100,200,700\n"
    )
    values = pl.from_arrow(read_census_2021(path).values)
    assert values.select("category", "value").rows() == [
        ("Asian", 30.0),
        ("Asian: Bangladeshi", 10.0),
        ("Asian: Other", 20.0),
        ("White", 70.0),
    ]
    path.write_text(path.read_text().replace(",700\n", ",600\n"))
    with pytest.raises(ImportValidationError, match="cells sum to 900"):
        read_census_2021(path)
