from __future__ import annotations

import openpyxl
import polars as pl
import pytest

from healthgap import london as london_app
from healthgap.errors import InputError
from healthgap.methods import quantile
from healthgap.sources import IMPORTERS, ImportValidationError, imd
from healthgap.sources.imd import IMD_LSOAS, Region, read_imd2019
from healthgap.store.schema import CLASSIFICATIONS, HIERARCHY

FILE1 = "deprivation/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
LONDON = "deprivation/ID 2019 for London.xlsx"


@pytest.fixture(scope="module")
def file1(shared_data):
    # London's region as the London application passes it (its 33 boroughs)
    return read_imd2019(shared_data / FILE1, within=london_app.deprivation_region())


@pytest.fixture(scope="module")
def london(shared_data):
    # the GLA's workbook is London's: every row of it is ranked within London
    return IMPORTERS["imd2019-london"](shared_data / LONDON, within=Region("London"))


def _classes(imp, name):
    c = pl.from_arrow(imp.classifications)
    return c.filter(pl.col("classification") == name)


@pytest.mark.realdata
def test_file1_areas_and_hierarchy(file1):
    areas = pl.from_arrow(file1.areas)
    assert areas.filter(pl.col("area_type") == "lsoa").height == IMD_LSOAS == 32_844
    assert areas.filter(pl.col("area_type") == "la").height == 317
    assert file1.hierarchy.schema.equals(HIERARCHY)
    assert file1.classifications.schema.equals(CLASSIFICATIONS)
    edges = pl.from_arrow(file1.hierarchy)
    london = edges.filter(pl.col("parent_code").str.starts_with("E09"))
    assert london.height == 4_835
    assert london["parent_code"].n_unique() == 33


@pytest.mark.realdata
def test_file1_national_deciles(file1):
    deciles = _classes(file1, "IMD 2019 decile (national)")
    assert deciles.height == IMD_LSOAS
    first = deciles.filter(pl.col("area_code") == "E01000001").row(0, named=True)
    assert (first["category"], first["rank"]) == ("9", 9)  # City of London 001A, rank 29,199
    sizes = deciles.group_by("rank").len()["len"]
    assert sizes.min() >= 3_284
    assert sizes.max() <= 3_285
    quintiles = _classes(file1, "IMD 2019 quintile (national)")
    joined = deciles.join(quintiles, on="area_code")
    assert (joined["rank_right"] == (joined["rank"] + 1) // 2).all()


@pytest.mark.realdata
def test_published_deciles_follow_the_ohid_rule(shared_data, file1):
    """The OHID quantile rule on the national rank gives MHCLG's deciles but at boundaries.

    MHCLG cut deciles at 3,284.4 ranks; the rule rounds the other way for 8 of 32,844 LSOAs.
    """
    import python_calamine

    rows = (
        python_calamine.CalamineWorkbook.from_path(str(shared_data / FILE1))
        .get_sheet_by_name("IMD2019")
        .to_python()[1:]
    )
    ranks = pl.DataFrame({"area_code": [r[0] for r in rows], "rank": [r[4] for r in rows]})
    ours = quantile(ranks, "rank", nquantiles=10, invert=False, type="standard")
    published = _classes(file1, "IMD 2019 decile (national)")
    joined = ours.join(published, on="area_code")
    agree = (joined["quantile"].cast(pl.Int32) == joined["rank_right"]).sum()
    assert agree >= IMD_LSOAS - 10


@pytest.mark.realdata
def test_file1_within_local_authority_and_london(file1):
    within = _classes(file1, "IMD 2019 decile (within local authority)")
    # City of London (6 LSOAs) and Isles of Scilly (1) have fewer than 10: no decile there
    assert within.height == IMD_LSOAS - 7
    missing = set(
        pl.from_arrow(file1.hierarchy).filter(
            ~pl.col("child_code").is_in(within["area_code"].implode())
        )["parent_code"]
    )
    assert missing == {"E09000001", "E06000053"}
    assert within["area_code"].str.starts_with("E01").all()
    in_london = _classes(file1, "IMD 2019 decile (within London)")
    assert in_london.height == 4_835
    assert sorted(in_london.group_by("rank").len()["len"].unique()) == [483, 484]


@pytest.mark.realdata
def test_london_workbook_matches_file1(london, file1):
    areas = pl.from_arrow(london.areas)
    assert areas.filter(pl.col("area_type") == "lsoa").height == 4_835
    assert areas.filter(pl.col("area_type") == "la").height == 33
    ours = _classes(london, "IMD 2019 decile (national)")
    assert ours.filter(pl.col("area_code") == "E01000001")["score"].to_list() == [6.208]
    joined = ours.join(_classes(file1, "IMD 2019 decile (national)"), on="area_code")
    assert joined.height == 4_835
    assert (joined["category"] == joined["category_right"]).all()
    # within-London deciles are the same whichever file they come from
    a = _classes(london, "IMD 2019 decile (within London)")
    b = _classes(file1, "IMD 2019 decile (within London)")
    assert a.join(b, on="area_code").filter(pl.col("rank") != pl.col("rank_right")).height == 0
    most = a.join(ours.select("area_code", pl.col("score").alias("imd")), on="area_code")
    top = most.sort("imd", descending=True).head(483)
    assert top["rank"].unique().to_list() == [1]


def _workbook(tmp_path, rows, header=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "IMD2019"
    ws.append(
        header
        or [
            "LSOA code (2011)",
            "LSOA name (2011)",
            "Local Authority District code (2019)",
            "Local Authority District name (2019)",
            "Index of Multiple Deprivation (IMD) Rank",
            "Index of Multiple Deprivation (IMD) Decile",
        ]
    )
    for row in rows:
        ws.append(row)
    path = tmp_path / "imd.xlsx"
    wb.save(path)
    return path


def test_small_valid_file(tmp_path):
    rows = [
        [f"E01{i:06d}", f"A {i}", "E09000002", "Barking", i * 100, 1 + (i - 1) // 2]
        for i in range(1, 21)
    ]
    imp = read_imd2019(_workbook(tmp_path, rows))
    within = _classes(imp, "IMD 2019 decile (within local authority)").sort("area_code")
    assert within["rank"].to_list() == [1 + (i - 1) // 2 for i in range(1, 21)]


def _three_authorities(tmp_path):
    """30 LSOAs: ranks 1..30 dealt in turn to authorities A, B and C (10 each)."""
    lads = ["E06000001", "E06000002", "E08000003"]
    rows = [
        [f"E01{i:06d}", f"L {i}", lads[(i - 1) % 3], f"LA {(i - 1) % 3}", i, 1 + (i - 1) // 3]
        for i in range(1, 31)
    ]
    return _workbook(tmp_path, rows), lads


def _within_names(imp):
    names = set(pl.from_arrow(imp.classifications)["classification"].unique())
    return sorted(n for n in names if "local authority" not in n and "national" not in n)


def test_no_region_gives_englands_deciles_only(tmp_path):
    path, _ = _three_authorities(tmp_path)
    imp = read_imd2019(path)
    assert _within_names(imp) == []
    assert _classes(imp, "IMD 2019 decile (national)").height == 30


def test_deciles_within_a_chosen_set_of_authorities(tmp_path):
    path, lads = _three_authorities(tmp_path)
    imp = read_imd2019(path, within=Region("North", lads=lads[:2]))
    assert _within_names(imp) == [
        "IMD 2019 decile (within North)",
        "IMD 2019 quintile (within North)",
    ]
    deciles = _classes(imp, "IMD 2019 decile (within North)").sort("area_code")
    # the 20 LSOAs of A and B (ranks 1, 2, 4, 5, 7, ...) in their own order: 2 per decile
    assert deciles["area_code"].to_list() == [f"E01{i:06d}" for i in range(1, 31) if i % 3]
    assert deciles["rank"].to_list() == [1 + k // 2 for k in range(20)]
    expected = quantile(
        pl.DataFrame({"r": [i for i in range(1, 31) if i % 3]}), "r", nquantiles=10, invert=False
    )["quantile"]
    assert deciles["rank"].to_list() == expected.cast(pl.Int32).to_list()
    quintiles = _classes(imp, "IMD 2019 quintile (within North)").sort("area_code")
    assert quintiles["rank"].to_list() == [1 + k // 4 for k in range(20)]


def test_a_region_without_authorities_is_every_lsoa_of_the_file(tmp_path):
    path, _ = _three_authorities(tmp_path)
    imp = read_imd2019(path, within=Region("Somewhere"))
    deciles = _classes(imp, "IMD 2019 decile (within Somewhere)").sort("area_code")
    national = _classes(imp, "IMD 2019 decile (national)").sort("area_code")
    assert deciles.height == 30
    assert deciles["rank"].to_list() == [1 + (i - 1) // 3 for i in range(1, 31)]
    assert national["rank"].to_list() == deciles["rank"].to_list()


def test_a_region_the_file_does_not_cover_gets_no_rows(tmp_path):
    path, _ = _three_authorities(tmp_path)
    imp = read_imd2019(path, within=Region("London", lads=["E09000001"]))
    assert _classes(imp, "IMD 2019 decile (within London)").height == 0


@pytest.mark.parametrize(
    ("name", "lads", "message"),
    [
        (" ", None, "name must name the region"),
        ("X", [], "lads must be a non-empty list"),
        ("X", "E06000001", "lads must be a non-empty list"),
    ],
)
def test_a_malformed_region_is_one_line(name, lads, message):
    with pytest.raises(InputError, match=message):
        Region(name, lads=lads)


def test_the_reader_names_no_region():
    """London is the London application's to pass (healthgap.london.deprivation_region)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(imd))
    documented = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    texts = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in documented
    ]
    assert texts, "the finder finds the module's strings"
    # the GLA's workbook is named by its title, "ID 2019 for London"; no code names a region
    texts = [t.replace("ID 2019 for London", "") for t in texts]
    assert [t for t in texts if "London" in t or "E12" in t or "E09" in t] == []


def test_bad_ranks_deciles_codes_and_duplicates(tmp_path):
    rows = [
        ["E01000001", "A", "E09000002", "B", 0, 1],
        ["E01000002", "A", "E09000002", "B", 5, 11],
        ["E1000003", "A", "E09000002", "B", 6, 1],
        ["E01000004", "A", "X09000002", "B", 7, 1],
        ["E01000004", "A", "E09000002", "B", 8.5, 1],
    ]
    with pytest.raises(ImportValidationError) as info:
        read_imd2019(_workbook(tmp_path, rows))
    found = {(p["line"], p["column"].split(" (")[0]) for p in info.value.problems}
    assert found == {
        (2, "Index of Multiple Deprivation"),
        (3, "Index of Multiple Deprivation"),
        (4, "LSOA code"),
        (5, "Local Authority District code"),
        (5, "LSOA code"),
        (6, "LSOA code"),
        (6, "Index of Multiple Deprivation"),
    }


def test_missing_column(tmp_path):
    header = [
        "LSOA code (2011)",
        "LSOA name (2011)",
        "Local Authority District code (2019)",
        "Local Authority District name (2019)",
        "Index of Multiple Deprivation (IMD) Rank",
    ]
    with pytest.raises(ImportValidationError, match="imd decile"):
        read_imd2019(_workbook(tmp_path, [["E01000001", "A", "E09000002", "B", 1]], header))


def test_missing_sheet(tmp_path):
    path = _workbook(tmp_path, [])
    with pytest.raises(ImportValidationError, match="one of the sheets"):
        read_imd2019(path, sheet="Nope")
