"""ONS Explore Local Statistics CSVs of any indicator (healthgap.sources.ons.els)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import IMPORTERS, ImportValidationError, read_ons_els

HEADER = (
    "areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,notes\n"
)


def test_itl_codes_dates_and_flags(tmp_path):
    path = tmp_path / "els.csv"
    path.write_text(
        HEADER
        + "TLI,London,ITL1,Gross median weekly pay,2025-04-30,800.5,Pounds,£,790,810,Provisional,\n"
        + "E09000001,City of London,LAD,Gross median weekly pay,2024-04-17,900,Pounds,£,,,,x\n"
    )
    imp = read_ons_els(path)
    values = pl.from_arrow(imp.values)
    assert values.select("area_code", "period", "period_start", "value", "value_note").rows() == [
        ("TLI", "2025", 2025, 800.5, "Provisional"),
        ("E09000001", "2024", 2024, 900.0, "x"),
    ]
    assert pl.from_arrow(imp.areas)["area_type"].to_list() == ["itl1", "la"]
    assert imp.indicators[0].unit == "£"


@pytest.mark.realdata
def test_gross_median_weekly_pay_dated_periods(shared_data):
    # issue #15: periods that are dates ("2025-04-30") made the whole file fail
    imp = read_ons_els(shared_data / "indicators/ons_els_gross-median-weekly-pay.csv")
    values = pl.from_arrow(imp.values)
    assert values.height == 7_109
    uk = values.filter((pl.col("area_code") == "K02000001") & (pl.col("period") == "2025"))
    # ASHE 2025 provisional, UK gross median weekly pay: £642.50 (95% CI 641.2407-643.7593)
    assert uk.select("value", "lower95_0cl", "upper95_0cl").rows() == [(642.5, 641.2407, 643.7593)]


def test_short_row_is_refused_not_read_as_missing_values(tmp_path):
    from healthgap.errors import InputError

    path = tmp_path / "els.csv"
    path.write_text(
        HEADER
        + "E09000001,City,LAD,Pay,2021-01-01/P1Y,642.5,Pounds,£,641.2,643.8,,\n"
        + "E09000002,Barking,LAD,Pay,2021-01-01/P1Y\n"
    )
    with pytest.raises(InputError, match="line 3 has 5 fields but the header has 12"):
        read_ons_els(path)


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


# The input data spreadsheet saved as CSV ("..._IDS.csv"), as in ONSdigital/
# explore-local-statistics-data 4g-coverage/; made-up numbers.
IDS = (
    "AREACD,AREANM,Geography,Variable Name,Indicator,Mission,Category,Period,Value,Measure,"
    "Unit,Lower Confidence Interval (95%),Upper Confidence Interval (95%),Observation Status,"
    "Polarity,Notes\n"
    "E06000047,County Durham,County or Unitary Authority,4G coverage by at least one network,"
    '4G coverage,Mission 4,"Boosting productivity, pay, jobs and living standards",2023-04,'
    "91.5,Percentage,%,90.1,92.9,Estimated,1,\n"
    'E06000010,"Kingston upon Hull, City of",County or Unitary Authority,4G coverage by at least '
    'one network,4G coverage,Mission 4,"Boosting productivity, pay, jobs and living standards",'
    "2023-04,99.5,Percentage,%,,,,1,Made-up note\n"
)


def test_input_data_spreadsheet_layout(tmp_path):
    path = tmp_path / "10_2023_4G coverage_IDS.csv"
    path.write_text(IDS)
    imp = read_ons_els(path)
    values = pl.from_arrow(imp.values)
    assert values.select(
        "indicator_id", "area_code", "period", "period_start", "period_years", "value"
    ).rows() == [
        ("ons-4g-coverage", "E06000047", "2023-04", 2023, 1, 91.5),
        ("ons-4g-coverage", "E06000010", "2023-04", 2023, 1, 99.5),
    ]
    assert values["lower95_0cl"].to_list() == [90.1, None]
    assert values["value_note"].to_list() == ["Estimated", "Made-up note"]
    assert values["category_type"].to_list() == ["", ""]  # Mission and Category describe it
    assert imp.indicators[0].name == "4G coverage"
    assert imp.indicators[0].unit == "%"
    assert imp.indicators[0].polarity == "high_is_good"  # Polarity 1


def test_observation_column_and_any_header_case(tmp_path):
    path = tmp_path / "gva.csv"
    path.write_text(IDS.replace(",Value,", ",Observation,").replace("AREACD", "AreaCD"))
    assert pl.from_arrow(read_ons_els(path).values)["value"].to_list() == [91.5, 99.5]


# The long file of one indicator with a breakdown column, as average-travel-time-long.csv
# in the same repository (no indicator column; area names with trailing spaces); made up.
LONG = (
    "areacd,areanm,geography,period,value,lower_confidence_interval_95,"
    "upper_confidence_interval_95,observation_status,mode-of-travel\n"
    "E92000001,England,Nation,2019,10.5,,,,cycling\n"
    "E92000001,England,Nation,2019,19.25,,,,public-transport-or-walking\n"
    "E12000002,North West ,Region,2019,9.5,,,,cycling\n"
)


def test_long_file_of_one_indicator_with_a_breakdown(tmp_path):
    path = tmp_path / "average-travel-time-long.csv"
    path.write_text(LONG)
    imp = read_ons_els(path)
    values = pl.from_arrow(imp.values)
    assert values.select(
        "indicator_id", "area_code", "category_type", "category", "value"
    ).rows() == [
        ("ons-average-travel-time", "E92000001", "Mode of travel", "cycling", 10.5),
        (
            "ons-average-travel-time",
            "E92000001",
            "Mode of travel",
            "public-transport-or-walking",
            19.25,
        ),
        ("ons-average-travel-time", "E12000002", "Mode of travel", "cycling", 9.5),
    ]
    assert imp.indicators[0].name == "Average travel time"
    assert pl.from_arrow(imp.areas).filter(pl.col("area_code") == "E12000002")[
        "area_name"
    ].to_list() == ["North West"]


def test_missing_value_column_is_named_as_the_layout_calls_it(tmp_path):
    path = tmp_path / "average-travel-time-long.csv"
    path.write_text(LONG.replace(",value,", ",amount,"))
    with pytest.raises(
        ImportValidationError, match="a column named 'observation' or 'Observation' or 'Value'"
    ):
        read_ons_els(path)


def test_machine_readable_download_with_a_note_above_the_header(tmp_path):
    # ONSvisual/subnational-indicators R/machine_readable.csv: a sentence and an empty row
    # above the header, Tier for the geography; made-up numbers
    path = tmp_path / "machine_readable.csv"
    path.write_text(
        "There may be some discrepancies caused by rounding,,,,,,,,\n"
        ",,,,,,,,\n"
        "AREACD,AREANM,Tier,Indicator,Category,Period,Measure,Unit,Value\n"
        "E06000001,Hartlepool,District/Unitary,Gross value added per hour worked,"
        "Boosting Living Standards,2019,Pounds,£,28.5\n"
        'E06000010,"Kingston upon Hull, City of",District/Unitary,Gross value added per hour '
        "worked,Boosting Living Standards,2019,Pounds,£,twenty\n"
    )
    with pytest.raises(ImportValidationError, match="line 5, column 'Value': got 'twenty'"):
        read_ons_els(path)
    path.write_text(path.read_text().replace("twenty", "29.25"))
    values = pl.from_arrow(read_ons_els(path).values)
    assert values.select("area_code", "period", "value", "category_type").rows() == [
        ("E06000001", "2019", 28.5, ""),
        ("E06000010", "2019", 29.25, ""),
    ]


def test_data_source_value_with_shorthand_and_dfe_periods(tmp_path):
    # anxiety/anxiety_metrics_geographies.csv in the same repository: six-digit financial
    # years, '[x]' and '[u]' where no number is shown, the reason in 'Data note'; made up
    path = tmp_path / "anxiety_metrics_geographies.csv"
    path.write_text(
        "AREACD,AREANM,Period,Data source value,Data note\n"
        "E13000001,Inner London,201819,[x],not available\n"
        "E09000001,City of London,202021,[u],low reliability\n"
        "E09000002,Barking and Dagenham,202021,3.1,\n"
    )
    values = pl.from_arrow(read_ons_els(path).values)
    assert values.select("area_code", "period", "period_start", "value", "value_note").rows() == [
        ("E13000001", "2018/19", 2018, None, "not available"),
        ("E09000001", "2020/21", 2020, None, "low reliability"),
        ("E09000002", "2020/21", 2020, 3.1, None),
    ]


def test_another_publishers_file_is_refused_not_read_with_breakdowns(tmp_path):
    # a Fingertips export has a value and a period too, but is no ELS file: its Sex, Age,
    # Count and Denominator must not become breakdowns of an indicator named after the file
    path = tmp_path / "indicators.csv"
    path.write_text(
        "Indicator ID,Indicator Name,Area Code,Area Name,Sex,Age,Time period,Value,Count,"
        "Denominator\n1,Rate,E09000001,City,Persons,All ages,2021,10.5,5,50\n"
    )
    with pytest.raises(ImportValidationError, match="a column named 'areacd'"):
        read_ons_els(path)


def test_input_data_spreadsheet_of_2025_with_the_areas_parents_and_na(tmp_path):
    # carbon-dioxide-emissions/2_2025_Carbon dioxide emissions.csv in the same repository:
    # the names of each area's parents in their own columns, 'na' for no limits, Polarity -1
    # (lower is better); made-up numbers
    path = tmp_path / "2_2025_Carbon dioxide emissions.csv"
    path.write_text(
        "AREACD,AREANM,Geography,Country,Nation,Region,County or Unitary Authority,"
        "Local Authority District,Combined Authority or City Region,Variable Name,Indicator,"
        "Period,Value,Measure,Unit,Lower Confidence Interval (95%),"
        "Upper Confidence Interval (95%),Observation Status,Polarity,Notes\n"
        "K02000001,United Kingdom,Country,United Kingdom,,,,,,Carbon dioxide emissions,"
        "Carbon dioxide emissions,2022,4.5,Per capita emissions (tCO2e),"
        "Per capita emissions (tCO2e),na,na,,-1,Aggregated\n"
        "E92000001,England,Nation,,England,,,,,Carbon dioxide emissions,"
        "Carbon dioxide emissions,2022,4.25,Per capita emissions (tCO2e),"
        "Per capita emissions (tCO2e),na,na,,-1,Aggregated\n"
    )
    imp = read_ons_els(path)
    values = pl.from_arrow(imp.values)
    assert values.select(
        "area_code", "period", "category_type", "category", "value", "lower95_0cl"
    ).rows() == [
        ("K02000001", "2022", "", "", 4.5, None),
        ("E92000001", "2022", "", "", 4.25, None),
    ]
    assert imp.indicators[0].polarity == "low_is_good"
