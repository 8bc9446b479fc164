from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import IMPORTERS, ImportValidationError
from healthgap.sources.ons import (
    read_census_2021,
    read_ons_els,
    read_ons_life_expectancy,
    read_ons_population,
)
from healthgap.store.schema import POPULATION, VALUES

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


@pytest.mark.realdata
def test_healthy_life_expectancy(shared_data):
    imp = IMPORTERS["ons-hle"](shared_data / "mortality/ons_els_healthy-life-expectancy.csv")
    values = pl.from_arrow(imp.values)
    assert values.height == 5_814
    assert values.filter(pl.col("area_code").str.starts_with("E09")).height == 768
    camden = values.filter(
        (pl.col("area_code") == "E09000007")
        & (pl.col("sex") == "Male")
        & (pl.col("period") == "2018 - 20")
    ).row(0, named=True)
    assert (camden["value"], camden["lower95_0cl"], camden["upper95_0cl"]) == (61.3, 56.7, 65.9)
    assert camden["indicator_id"] == "ons-healthy-life-expectancy"
    assert camden["period_start"] == 2018
    assert camden["period_years"] == 3
    assert values["period"].n_unique() == 12


@pytest.mark.realdata
def test_ons_els_financial_years(shared_data):
    imp = read_ons_els(shared_data / "deprivation/ons_els_children-in-relative-poverty.csv")
    values = pl.from_arrow(imp.values)
    assert sorted(values["period"].unique()) == ["2021/22", "2022/23", "2023/24", "2024/25"]
    assert len(imp.indicators) == 2


# --------------------------------------------------------------------------- bad files


def _els(tmp_path, rows):
    path = tmp_path / "els.csv"
    path.write_text(
        "areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,"
        "uci_95,status,notes\n" + "\n".join(rows) + "\n"
    )
    return path


def test_els_valid(tmp_path):
    imp = read_ons_els(
        _els(
            tmp_path,
            [
                "E09000001,City,LAD,Female healthy life expectancy,2019-01-01/P3Y,60,"
                "Years,yrs,58,62,,",
            ],
        )
    )
    row = imp.values.to_pylist()[0]
    assert (row["sex"], row["period"], row["value"]) == ("Female", "2019 - 21", 60.0)


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        (
            "E09000001,City,LAD,HLE,2019-01-01/P3Y,sixty,Years,yrs,58,62,,",
            "observation",
            "a number",
        ),
        ("E09000001,City,LAD,HLE,2019-01-01/P3Y,60,Years,yrs,61,62,,", "lci_95", "lower limit"),
        ("E09000001,City,LAD,HLE,2019-01-01/P3Y,60,Years,yrs,58,59,,", "uci_95", "upper limit"),
        ("E09000001,City,LAD,HLE,sometime,60,Years,yrs,58,62,,", "period", "a period"),
        ("E0900001,City,LAD,HLE,2019-01-01/P3Y,60,Years,yrs,58,62,,", "areacd", "an area code"),
    ],
)
def test_els_problems(tmp_path, row, column, expected):
    with pytest.raises(ImportValidationError) as info:
        read_ons_els(_els(tmp_path, [row]))
    problem = info.value.problems[0]
    assert (problem["line"], problem["column"]) == (2, column)
    assert expected in problem["expected"]


def test_els_duplicates(tmp_path):
    row = "E09000001,City,LAD,HLE,2019-01-01/P3Y,60,Years,yrs,58,62,,"
    with pytest.raises(ImportValidationError, match="duplicate key") as info:
        read_ons_els(_els(tmp_path, [row, row]))
    assert info.value.problems[0]["line"] == 3


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
    with pytest.raises(ImportValidationError, match="TS007A, TS009 or TS037"):
        read_census_2021(path)
