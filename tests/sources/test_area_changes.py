"""Local authority code changes applied at import (healthgap.sources.area_changes)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import read_fingertips_csv, read_tidy
from healthgap.sources._validate import GSS_CODE
from healthgap.sources.area_changes import SUCCESSOR_HIERARCHY, apply_successors, successors

MAPPING = {"area_code": "code", "area_name": "name", "period": "year", "value": "rate"}


def _tidy(tmp_path, rows):
    path = tmp_path / "rates.csv"
    path.write_text("code,name,year,rate\n" + "\n".join(rows) + "\n")
    return read_tidy(path, MAPPING, indicator_id="x")


def test_table_is_well_formed():
    table = successors()
    assert table["old_code"].is_unique().all()
    assert table["old_code"].str.contains(GSS_CODE).all()
    assert table["new_code"].str.contains(GSS_CODE).all()
    assert set(table["change"]) == {"recode", "merge"}
    # a recode is one area under a new code: no other recode shares its successor
    recodes = table.filter(pl.col("change") == "recode")
    assert recodes["new_code"].is_unique().all()
    # the reorganisations the brief names
    pairs = dict(table.select("old_code", "new_code").rows())
    assert {pairs[c] for c in ("E07000004", "E07000005", "E07000006", "E07000007")} == {"E06000060"}
    assert pairs["E08000020"] == "E08000037"
    assert {pairs["E06000028"], pairs["E06000029"], pairs["E07000048"]} == {"E06000058"}
    assert {pairs["E07000201"], pairs["E07000204"]} == {"E07000245"}
    assert {pairs["E07000190"], pairs["E07000191"]} == {"E07000246"}
    assert pairs["E07000246"] == "E06000066"
    assert pairs["E07000150"] == "E06000061"
    assert pairs["E07000154"] == "E06000062"
    assert {pairs[c] for c in ("E07000026", "E07000027", "E07000163", "E07000187")} == {
        "E06000063",
        "E06000064",
        "E06000065",
        "E06000066",
    }


def test_recoded_series_join_across_years(tmp_path):
    imp = _tidy(tmp_path, ["E08000020,Gateshead,2018,5.5", "E08000037,Gateshead,2020,6.5"])
    values = pl.from_arrow(imp.values)
    assert values["area_code"].to_list() == ["E08000037", "E08000037"]
    assert values["value_note"].to_list() == [
        "area code E08000020 (Gateshead) recoded E08000037 by ONS in 2019",
        None,
    ]
    assert pl.from_arrow(imp.hierarchy).rows() == [(SUCCESSOR_HIERARCHY, "E08000020", "E08000037")]


def test_both_codes_for_one_period_keep_the_old_code(tmp_path):
    imp = _tidy(tmp_path, ["E08000020,Gateshead,2019,5.5", "E08000037,Gateshead,2019,6.5"])
    assert pl.from_arrow(imp.values)["area_code"].to_list() == ["E08000020", "E08000037"]


def test_merged_districts_keep_their_codes_and_link_to_the_new_area(tmp_path):
    imp = _tidy(
        tmp_path,
        ["E07000004,Aylesbury Vale,2019,1", "E07000005,Chiltern,2019,2", "E06000060,Bucks,2021,3"],
    )
    values = pl.from_arrow(imp.values)
    assert values["area_code"].to_list() == ["E07000004", "E07000005", "E06000060"]
    assert values["value_note"].null_count() == 3
    edges = pl.from_arrow(imp.hierarchy).sort("child_code")
    assert edges.rows() == [
        (SUCCESSOR_HIERARCHY, "E07000004", "E06000060"),
        (SUCCESSOR_HIERARCHY, "E07000005", "E06000060"),
    ]
    assert "E06000060" in pl.from_arrow(imp.areas)["area_code"].to_list()


def test_no_retired_codes_change_nothing():
    frame = pl.DataFrame({"area_code": ["E09000001"], "period": ["2021"], "value": [1.0]})
    out, edges = apply_successors(frame, ["area_code", "period"])
    assert out.equals(frame)
    assert edges.height == 0


@pytest.mark.realdata
def test_fingertips_2015_17_county_ua_file(shared_data):
    # Campylobacter 2015-17 by county and UA: Bournemouth, Poole and Dorset county before
    # the 2019 merger keep their codes and link to BCP; Buckinghamshire county (2015-17)
    # takes the unitary code E06000060 it was recoded to in 2020, so it joins later years
    path = shared_data / "fingertips/jargonautical_data-dev__indicators-CountyUA.data.csv"
    imp = read_fingertips_csv(path)
    edges = dict(
        pl.from_arrow(imp.hierarchy)
        .filter(pl.col("hierarchy") == SUCCESSOR_HIERARCHY)
        .select("child_code", "parent_code")
        .rows()
    )
    assert edges["E06000028"] == "E06000058"
    assert edges["E06000029"] == "E06000058"
    assert edges["E10000002"] == "E06000060"
    values = pl.from_arrow(imp.values)
    assert "E10000002" not in values["area_code"].to_list()
    bucks = values.filter(pl.col("area_code") == "E06000060")
    assert bucks.height > 0
    assert bucks["value_note"].str.contains("E10000002 (Buckinghamshire)", literal=True).all()
    assert values.filter(pl.col("area_code") == "E06000028").height > 0
