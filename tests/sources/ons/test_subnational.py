"""ONS Subnational indicators explorer download (healthgap.sources.ons.subnational)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import IMPORTERS, ImportValidationError, read_ons_els, read_ons_subnational

HEADER = "unique,group,Geography,Indicator,id,Category,Period,Measure,unit,real,value\n"


def _file(tmp_path, rows):
    path = tmp_path / "revised_data.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def test_registered_and_case_insensitive_kind():
    from healthgap.sources import find_importer

    assert IMPORTERS["ons-subnational"] is read_ons_subnational
    assert find_importer("ONS_Subnational") is read_ons_subnational


def test_values_periods_and_scores(tmp_path):
    path = _file(
        tmp_path,
        [
            'E09000007,Camden,LAD,Male healthy life expectancy,hle,"Other",2018 - 2020,Years,'
            "yrs,61.3,0.5",
            "E09000007,Camden,LAD,Gross median weekly pay,pay,Other,Financial year ending 2023,"
            "Pounds,£,800.1,1.2",
            "E09000007,Camden,LAD,Gigabit capable broadband,gig,Other,Sep-23,Percentage,%,NA,",
            "TLI3,Inner London - West,ITL2,Happiness,happy,Other,04/2022 - 03/2023,Mean,"
            "Score out of 10,7.3,0.1",
        ],
    )
    imp = read_ons_subnational(path)
    values = pl.from_arrow(imp.values)
    assert values.select("indicator_id", "sex", "period", "period_years", "value").rows() == [
        ("ons-healthy-life-expectancy", "Male", "2018 - 2020", 3, 61.3),
        ("ons-gross-median-weekly-pay", "Persons", "2022/23", 1, 800.1),
        ("ons-gigabit-capable-broadband", "Persons", "Sep 2023", 1, None),
        ("ons-happiness", "Persons", "2022/23", 1, 7.3),
    ]
    areas = pl.from_arrow(imp.areas)
    assert dict(areas.select("area_code", "area_type").rows()) == {
        "E09000007": "la",
        "TLI3": "itl2",  # an ITL region imports as its own area type
    }
    assert pl.from_arrow(imp.extra["standardised_scores"])["score"].to_list() == [
        0.5,
        1.2,
        None,
        0.1,
    ]


def test_bad_rows_name_the_files_columns(tmp_path):
    path = _file(
        tmp_path,
        [
            "E09000007,Camden,LAD,Happiness,h,Other,2021-99,Mean,Score,7.3,0.1",
            'E0900007,Camden,LAD,Anxiety,a,Other,2021,Mean,Score,"3,1",0.1',
        ],
    )
    with pytest.raises(ImportValidationError) as info:
        read_ons_subnational(path)
    found = {(p["line"], p["column"]) for p in info.value.problems}
    assert found == {(2, "Period"), (3, "unique"), (3, "real")}


@pytest.mark.realdata
def test_real_download_joins_explore_local_statistics(shared_data):
    # issue #15: "ons_subnational_indicators_revised_data.csv fits no importer"
    imp = read_ons_subnational(
        shared_data / "indicators/ons_subnational_indicators_revised_data.csv"
    )
    values = pl.from_arrow(imp.values)
    assert values.height == 10_246
    assert values.filter(pl.col("area_code").str.starts_with("E09")).height == 1_149
    # County Durham, GVA per hour worked 2021: £30.64 as published (first row of the file)
    durham = values.filter(
        (pl.col("area_code") == "E06000047")
        & (pl.col("indicator_id") == "ons-gross-value-added-per-hour-worked")
    ).row(0, named=True)
    assert (durham["value"], durham["period"]) == (30.64, "2021")
    hle = values.filter(pl.col("indicator_id") == "ons-healthy-life-expectancy")
    els = pl.from_arrow(
        read_ons_els(shared_data / "mortality/ons_els_healthy-life-expectancy.csv").values
    )
    # the same series under the same ids and keys (ELS carries ONS's later revisions of 2018-20)
    joined = hle.join(
        els.filter(pl.col("period_start") == 2018),
        on=["indicator_id", "area_code", "sex", "period_start", "period_years"],
    )
    assert joined.height > 300
    assert joined["value_right"].is_not_null().all()


def test_earliest_layout_without_geography_or_with_z_scores(tmp_path):
    # the 2022 download (ONSvisual/subnational-indicators revised_data.csv at the repository
    # root): no Geography column; mean, median and z_score beside the score; made-up numbers
    path = tmp_path / "revised_data.csv"
    path.write_text(
        "unique,group,Indicator,id,Category,Period,Measure,unit,real,mean,median,z_score,value\n"
        'E06000010,"Kingston upon Hull, City of",GVA per capita,Gross Value Added per head,'
        "Boosting Living Standards,2019,Per capita,Per capita,21000,25000.5,24000,-0.2,-0.3\n"
        "E06000061,North Northamptonshire,GVA per capita,Gross Value Added per head,"
        "Boosting Living Standards,2019,Per capita,Per capita,NA,25000.5,24000,NA,NA\n"
    )
    imp = read_ons_subnational(path)
    values = pl.from_arrow(imp.values)
    assert values.select("indicator_id", "area_code", "period", "value").rows() == [
        ("ons-gva-per-capita", "E06000010", "2019", 21000.0),
        ("ons-gva-per-capita", "E06000061", "2019", None),
    ]
    assert pl.from_arrow(imp.extra["standardised_scores"])["score"].to_list() == [-0.3, None]


def test_without_scores(tmp_path):
    path = tmp_path / "revised_data.csv"
    path.write_text("unique,group,Indicator,Period,real\nE09000001,City,Pay,2021,10\n")
    imp = read_ons_subnational(path)
    assert "standardised_scores" not in imp.extra
    assert pl.from_arrow(imp.values)["value"].to_list() == [10.0]
