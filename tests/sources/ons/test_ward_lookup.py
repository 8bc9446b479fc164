"""ONS LSOA/OA to ward lookups: every year's column spellings, best-fit and split LSOAs.

The files below copy the layouts of ONS Open Geography Portal downloads (header and code
forms); the areas are real codes but the rows are made up for the tests.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from healthgap.cli import app
from healthgap.sources import IMPORTERS, ImportValidationError, read_ward_lookup

# "LSOA (2011) to Ward (2011) Lookup in England and Wales" (FID last, Welsh names)
WD11 = (
    "LSOA11CD,LSOA11NM,WD11CD,WD11NM,WD11NMW,LAD11CD,LAD11NM,LAD11NMW,FID\n"
    "E01000001,City of London 001A,E05000001,Aldersgate,,E09000001,City of London,,1\n"
    "E01000002,City of London 001B,E05000001,Aldersgate,,E09000001,City of London,,2\n"
    "E01000006,Barking and Dagenham 016A,E05000026,Abbey,,E09000002,Barking and Dagenham,,3\n"
)
# "LSOA (2011) to Electoral Ward (2019) to LAD (2019) Best Fit Lookup" (FID first)
WD19 = (
    "FID,LSOA11CD,LSOA11NM,WD19CD,WD19NM,LAD19CD,LAD19NM\n"
    "1,E01000001,City of London 001A,E05009288,Aldersgate,E09000001,City of London\n"
    "2,W01000001,Isle of Anglesey 007A,W05000001,Aberffraw,W06000001,Isle of Anglesey\n"
)
# 2021 LSOAs to 2024 wards, lower-case names and ObjectId, as some portal exports spell them
WD24 = (
    "lsoa21cd,lsoa21nm,wd24cd,wd24nm,lad24cd,lad24nm,ObjectId\n"
    "E01000001,City of London 001A,E05009288,Aldersgate,E09000001,City of London,1\n"
)
# Output Areas with their LSOA: LSOA E01000006 split between two wards, 2 OAs to 1
OA11 = (
    "\ufeffOA11CD,LSOA11CD,LSOA11NM,WD11CD,WD11NM,LAD11CD,LAD11NM\n"
    "E00000001,E01000001,City of London 001A,E05000001,Aldersgate,E09000001,City of London\n"
    "E00000010,E01000006,B and D 016A,E05000026,Abbey,E09000002,Barking and Dagenham\n"
    "E00000011,E01000006,B and D 016A,E05000026,Abbey,E09000002,Barking and Dagenham\n"
    "E00000012,E01000006,B and D 016A,E05000027,Alibon,E09000002,Barking and Dagenham\n"
)
# A population-weighted lookup: LSOA split 300 / 100 residents
WEIGHTED = (
    "LSOA11CD,WD11CD,WD11NM,Population\n"
    "E01000006,E05000026,Abbey,300\n"
    "E01000006,E05000027,Alibon,100\n"
    "E01000001,E05000001,Aldersgate,1465\n"
)


def _shares(tmp_path, text: str, **options) -> pl.DataFrame:
    path = tmp_path / "lookup.csv"
    path.write_text(text, encoding="utf-8")
    return pl.from_arrow(read_ward_lookup(path, **options).extra["lsoa_ward"])


def _problems(tmp_path, text: str, **options) -> list[tuple[int, str, str]]:
    path = tmp_path / "lookup.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        read_ward_lookup(path, **options)
    assert "\n" not in str(info.value)
    return [(p["line"], p["column"], p["expected"]) for p in info.value.problems]


def test_registered_as_an_import_kind():
    assert IMPORTERS["ward-lookup"] is read_ward_lookup


@pytest.mark.parametrize(
    ("text", "wards"),
    [(WD11, ["E05000001", "E05000001", "E05000026"]), (WD19, ["E05009288", "W05000001"])],
)
def test_best_fit_lookups_give_each_lsoa_its_ward_whole(tmp_path, text, wards):
    shares = _shares(tmp_path, text)
    assert shares["ward_code"].to_list() == wards
    assert shares["share"].to_list() == [1.0] * len(wards)
    assert shares.columns == ["lsoa_code", "ward_code", "ward_name", "lad_code", "share"]


def test_any_years_columns_in_any_case(tmp_path):
    shares = _shares(tmp_path, WD24)
    assert shares.row(0) == ("E01000001", "E05009288", "Aldersgate", "E09000001", 1.0)


def test_output_areas_split_an_lsoa_by_their_number(tmp_path):
    shares = _shares(tmp_path, OA11).filter(pl.col("lsoa_code") == "E01000006")
    assert shares.select("ward_code", "share").rows() == [
        ("E05000026", pytest.approx(2 / 3)),
        ("E05000027", pytest.approx(1 / 3)),
    ]


def test_a_weight_column_splits_an_lsoa_by_its_weights(tmp_path):
    shares = _shares(tmp_path, WEIGHTED)
    assert shares.select("lsoa_code", "ward_code", "share").rows() == [
        ("E01000001", "E05000001", 1.0),
        ("E01000006", "E05000026", 0.75),
        ("E01000006", "E05000027", 0.25),
    ]
    assert shares["lad_code"].null_count() == 3  # no LAD column in this file


def test_a_named_weight_column(tmp_path):
    text = WEIGHTED.replace("Population", "residents_2011")
    shares = _shares(tmp_path, text, weight="residents_2011")
    assert shares["share"].to_list() == [1.0, 0.75, 0.25]


def test_areas_and_the_largest_share_hierarchy(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text(OA11, encoding="utf-8")
    imported = read_ward_lookup(path)
    edges = pl.from_arrow(imported.hierarchy)
    assert edges.rows() == [
        ("lsoa11-wd11", "E01000001", "E05000001"),
        ("lsoa11-wd11", "E01000006", "E05000026"),  # 2 of its 3 OAs
        ("wd11-lad11", "E05000001", "E09000001"),
        ("wd11-lad11", "E05000026", "E09000002"),
        ("wd11-lad11", "E05000027", "E09000002"),
    ]
    areas = pl.from_arrow(imported.areas).select("area_code", "area_type").sort("area_code")
    assert areas.rows() == [
        ("E01000001", "lsoa"),
        ("E01000006", "lsoa"),
        ("E05000001", "ward"),
        ("E05000026", "ward"),
        ("E05000027", "ward"),
        ("E09000001", "la"),
        ("E09000002", "la"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LSOA11CD,LSOA11NM,LAD11CD\nE01000001,A,E09000001\n", "a WD code column"),
        ("WD11CD,WD11NM\nE05000001,A\n", "a LSOA code column"),
        ("LSOA11CD,WD11CD,WD17CD\nE01000001,E05000001,E05009288\n", "one WD code column"),
        ("LSOA11CD,WD11CD,weight,population\nE01000001,E05000001,1,2\n", "at most one weight"),
    ],
)
def test_a_header_without_the_needed_columns_is_one_line(tmp_path, text, expected):
    found = _problems(tmp_path, text)
    assert len(found) == 1
    assert expected in found[0][2]


def test_an_empty_lookup_is_refused(tmp_path):
    assert _problems(tmp_path, "LSOA11CD,WD11CD\n") == [
        (2, "rows", "one row per LSOA (or OA) and ward")
    ]


def test_malformed_codes_name_line_and_column(tmp_path):
    text = "LSOA11CD,WD11CD,LAD11CD\nE0100001,E05000001,E09000001\nE01000002,E09000001,E05000001\n"
    found = {(line, column) for line, column, _ in _problems(tmp_path, text)}
    assert found == {(2, "LSOA11CD"), (3, "WD11CD"), (3, "LAD11CD")}


def test_an_lsoa_in_two_wards_needs_a_weight(tmp_path):
    text = "LSOA11CD,WD11CD\nE01000006,E05000026\nE01000006,E05000027\n"
    found = _problems(tmp_path, text)
    assert [f[:2] for f in found] == [(2, "LSOA11CD"), (3, "LSOA11CD")]
    assert "a weight column" in found[0][2]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("LSOA11CD,WD11CD,weight\nE01000006,E05000026,-1\n", (2, "weight")),
        ("LSOA11CD,WD11CD,weight\nE01000006,E05000026,\n", (2, "weight")),
        ("LSOA11CD,WD11CD,weight\nE01000006,E05000026,many\n", (2, "weight")),
        ("LSOA11CD,WD11CD,weight\nE01000006,E05000026,0\n", (2, "weight")),
        (
            "LSOA11CD,WD11CD,weight\nE01000006,E05000026,1\nE01000006,E05000026,2\n",
            (3, "WD11CD"),
        ),
        ("OA11CD,LSOA11CD,WD11CD\nE00000010,E01000006,E05000026\n" * 1, None),
    ],
)
def test_bad_weights_and_repeated_rows(tmp_path, text, problem):
    if problem is None:  # one OA row: valid
        assert _shares(tmp_path, text)["share"].to_list() == [1.0]
        return
    assert problem in [f[:2] for f in _problems(tmp_path, text)]


def test_an_oa_on_two_rows(tmp_path):
    text = "OA11CD,LSOA11CD,WD11CD\nE00000010,E01000006,E05000026\nE00000010,E01000006,E05000027\n"
    assert [f[:2] for f in _problems(tmp_path, text)] == [(2, "OA11CD"), (3, "OA11CD")]


def test_a_ward_with_two_authorities(tmp_path):
    text = "LSOA11CD,WD11CD,LAD11CD\nE01000001,E05000001,E09000001\nE01000002,E05000001,E09000002\n"
    assert [f[:2] for f in _problems(tmp_path, text)] == [(2, "LAD11CD"), (3, "LAD11CD")]


def test_a_named_weight_column_that_is_absent(tmp_path):
    found = _problems(tmp_path, WD11, weight="residents")
    assert found == [(1, "residents", "the weight column 'residents' in the header")]


def test_the_cli_imports_a_lookup_and_refuses_a_bad_one_in_one_line(tmp_path):
    runner = CliRunner()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(WD11, encoding="utf-8")
    bad.write_text("LSOA11CD,WD11CD\nE01000006,E05000026\nE01000006,E05000027\n")
    store = tmp_path / "s.duckdb"
    done = runner.invoke(app, ["import", "ward-lookup", str(good), "--store", str(store), "-q"])
    assert done.exit_code == 0, done.output
    failed = runner.invoke(app, ["import", "ward-lookup", str(bad), "--store", str(store), "-q"])
    assert failed.exit_code == 1
    assert len(failed.output.strip().splitlines()) == 1
    assert "one ward per LSOA" in failed.output


_WARDS = [f"E0500{n:04d}" for n in range(20)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 30),  # LSOA
            st.integers(0, len(_WARDS) - 1),  # ward
            st.integers(0, 5000),  # residents in that part
        ),
        min_size=1,
        max_size=60,
        unique_by=lambda row: (row[0], row[1]),
    )
)
def test_shares_of_each_lsoa_add_up_to_one_and_follow_the_weights(tmp_path_factory, rows):
    weights = {}
    for lsoa, ward, weight in rows:
        weights.setdefault(lsoa, {})[ward] = weight
    rows = [r for r in rows if sum(weights[r[0]].values()) > 0]  # an all-zero LSOA is refused
    assume(rows)
    lines = [f"E01{lsoa:06d},{_WARDS[ward]},{weight}" for lsoa, ward, weight in rows]
    path = tmp_path_factory.mktemp("lookup") / "lookup.csv"
    path.write_text("LSOA11CD,WD11CD,population\n" + "\n".join(lines) + "\n")
    shares = pl.from_arrow(read_ward_lookup(path).extra["lsoa_ward"])
    totals = shares.group_by("lsoa_code").agg(pl.col("share").sum())["share"]
    np.testing.assert_allclose(totals.to_numpy(), 1.0, rtol=1e-12)
    for lsoa, ward, weight in rows:
        got = shares.filter(
            (pl.col("lsoa_code") == f"E01{lsoa:06d}") & (pl.col("ward_code") == _WARDS[ward])
        )["share"].item()
        assert got == pytest.approx(weight / sum(weights[lsoa].values()), rel=1e-12)
