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
