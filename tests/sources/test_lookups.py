from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import IMPORTERS, ImportValidationError
from healthgap.sources.lookups import read_lookup


@pytest.mark.realdata
def test_msoa21_to_lad23(shared_data):
    imp = read_lookup(shared_data / "lookups/msoa21_lad23.csv")
    edges = pl.from_arrow(imp.hierarchy)
    assert edges.height == 7_264
    assert edges["hierarchy"].unique().to_list() == ["msoa21-lad23"]
    assert edges.filter(pl.col("parent_code").str.starts_with("E09")).height == 1_002
    areas = pl.from_arrow(imp.areas)
    assert areas.filter(pl.col("area_type") == "msoa").height == 7_264
    assert areas.filter(pl.col("area_code") == "E02002483")["area_name"].to_list() == [
        "Hartlepool 001"
    ]


@pytest.mark.realdata
def test_lad19_to_region(shared_data):
    name = "Local_Authority_District_to_Region_(April_2019)_Lookup_in_England.csv"
    imp = IMPORTERS["lookup"](shared_data / "lookups" / name)
    edges = pl.from_arrow(imp.hierarchy)
    assert edges.height == 317
    assert edges.filter(pl.col("parent_code") == "E12000007").height == 33
    areas = pl.from_arrow(imp.areas)
    assert areas.filter(pl.col("area_code") == "E12000007").row(0, named=True)["area_type"] == (
        "region"
    )


def test_two_parents(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(
        "\ufeffLAD19CD,LAD19NM,RGN19CD,RGN19NM\nE09000001,A,E12000007,London\n"
        "E09000001,A,E12000006,East\nE0900002,B,E12000007,London\n"
    )
    with pytest.raises(ImportValidationError) as info:
        read_lookup(path)
    found = {(p["line"], p["column"]) for p in info.value.problems}
    assert found == {(2, "RGN19CD"), (3, "RGN19CD"), (4, "LAD19CD")}


def test_needs_two_levels(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("LAD19CD,LAD19NM\nE09000001,A\n")
    with pytest.raises(ImportValidationError, match="two or more code columns"):
        read_lookup(path)


@pytest.mark.parametrize("case", [str.lower, str.upper])
def test_header_case_welsh_names_and_object_ids(tmp_path, case):
    # Open Geography Portal downloads: Welsh names (NMW) and an ObjectId column; made-up rows
    header = case("LSOA21CD,LSOA21NM,LSOA21NMW,LAD22CD,LAD22NM,LAD22NMW") + ",ObjectId"
    path = tmp_path / "l.csv"
    path.write_text(
        f"\ufeff{header}\n"
        "E01000001,City of London 001A,,E09000001,City of London,,1\n"
        "W01000001,Isle of Anglesey 001A,Ynys Môn 001A,W06000001,Isle of Anglesey,Ynys Môn,2\n"
    )
    imp = read_lookup(path)
    assert pl.from_arrow(imp.hierarchy).select("child_code", "parent_code").rows() == [
        ("E01000001", "E09000001"),
        ("W01000001", "W06000001"),
    ]
    areas = pl.from_arrow(imp.areas).select("area_code", "area_name", "area_type")
    assert areas.filter(pl.col("area_code") == "W06000001").rows() == [
        ("W06000001", "Isle of Anglesey", "la")
    ]


def test_best_fit_lookup_keeps_each_codes_own_type(tmp_path):
    # Greater-London-Authority/small_area_backseries lookups/lsoa21_ward22_best_fit.csv:
    # lower-case header; the City of London (an LA code) stands in for its wards; made up
    path = tmp_path / "lsoa21_ward22_best_fit.csv"
    path.write_text(
        "lsoa21cd,lsoa21nm,ward22cd,ward22nm\n"
        "E01000001,City of London 001A,E09000001,City of London\n"
        "E01000006,Barking and Dagenham 016A,E05014066,Northbury\n"
    )
    imp = read_lookup(path)
    types = dict(pl.from_arrow(imp.areas).select("area_code", "area_type").iter_rows())
    assert types == {
        "E01000001": "lsoa",
        "E01000006": "lsoa",
        "E09000001": "la",
        "E05014066": "ward",
    }
    assert pl.from_arrow(imp.hierarchy)["hierarchy"].unique().to_list() == ["lsoa21-ward22"]


def test_a_lookup_without_level_columns_is_refused_naming_its_header(tmp_path):
    # Greater-London-Authority/small_area_backseries lookups/lookup_area_gss_code.csv
    path = tmp_path / "lookup_area_gss_code.csv"
    path.write_text("area_code,gss_code\nE02002483,E06000001\n")
    with pytest.raises(ImportValidationError) as info:
        read_lookup(path)
    assert info.value.problems[0]["value"] == "area_code, gss_code"
