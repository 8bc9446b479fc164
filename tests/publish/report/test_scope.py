import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest

from healthgap.errors import InputError
from healthgap.publish.report import write_report
from healthgap.publish.report._scope import area_scope, choose_vintages
from healthgap.store import Store

_spec = importlib.util.spec_from_file_location(
    "report_national", Path(__file__).with_name("_national.py")
)
national = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(national)


@pytest.fixture(scope="module")
def national_store(tmp_path_factory):
    return national.make_national_store(tmp_path_factory.mktemp("national") / "uk.duckdb")


@pytest.fixture(scope="module")
def london_report(national_store, tmp_path_factory):
    path, _ = national_store
    out = tmp_path_factory.mktemp("national-report") / "site"
    with Store.open(path) as store:
        result = write_report(store, None, out, area=national.LONDON, strategy=None)
    return result, out


def test_scope_is_the_region_and_its_children_only(national_store):
    path, _ = national_store
    with Store.open(path) as store:
        scope = area_scope(store, national.LONDON)
    assert scope.children == tuple(
        code for code, *_ in sorted(national.BOROUGHS, key=lambda b: b[1])
    )
    assert scope.child_type == "la"
    assert scope.national == national.ENGLAND
    # the peers of national quintiles: English LAs only, never Scottish ones
    assert set(scope.peers) == {b[0] for b in (*national.BOROUGHS, *national.OTHERS)}


def test_report_from_national_files_has_exactly_the_boroughs(london_report):
    _, out = london_report
    boroughs = {code.lower() for code, *_ in national.BOROUGHS}
    assert {p.stem.removeprefix("borough-") for p in out.glob("borough-*.html")} == boroughs
    rug = pl.read_csv(out / "downloads" / "overview-rug-1-1.csv")
    assert set(rug["Area code"]) == {
        *(b[0] for b in national.BOROUGHS),
        national.LONDON,
        national.ENGLAND,
    }
    index = (out / "index.html").read_text(encoding="utf-8")
    for elsewhere in ("Barnsley", "Fife", "Glasgow City", "Leeds", "Scotland", "Yorkshire"):
        assert elsewhere not in index
    values = pl.read_csv(out / "downloads" / "values.csv", infer_schema_length=None)
    assert set(values["area_code"]) == set(rug["Area code"])


def test_each_indicator_comes_from_its_latest_vintage(national_store, london_report):
    _, ids = national_store
    result, out = london_report
    assert result.vintages == (ids["le"], ids["injuries"])
    recorded = json.loads((out / "vintages.json").read_text(encoding="utf-8"))
    assert [v["id"] for v in recorded["vintages"]] == [ids["le"], ids["injuries"]]
    assert recorded["vintages"][0]["indicators"] == ["le_birth"]
    assert recorded["vintages"][1]["source"] == "fingertips"
    assert f"--vintage {ids['le']} --vintage {ids['injuries']}" in recorded["command"]
    values = pl.read_csv(out / "downloads" / "values.csv", infer_schema_length=None)
    le = values.filter(pl.col("indicator_id") == "le_birth")
    assert set(le["period"]) == {"2020 - 22"}
    assert set(le["vintage_id"]) == {ids["le"]}
    methods = (out / "methods.html").read_text(encoding="utf-8")
    assert "Sources and vintages" in methods
    assert ids["injuries"] in methods


def test_named_vintages_are_used_as_named(national_store, tmp_path):
    path, ids = national_store
    with Store.open(path) as store:
        uses = choose_vintages(store, [ids["old"][:8], ids["injuries"]])
        assert [u.record["id"] for u in uses] == [ids["old"], ids["injuries"]]
        result = write_report(
            store, ids["old"], tmp_path / "old", vintages=[ids["injuries"]], area="E12000007"
        )
    values = pl.read_csv(tmp_path / "old" / "downloads" / "values.csv", infer_schema_length=None)
    assert set(values.filter(pl.col("indicator_id") == "le_birth")["period"]) == {"2017 - 19"}
    assert result.vintages == (ids["old"], ids["injuries"])


def test_comparisons_with_england_and_london_side_by_side(london_report):
    _, out = london_report
    rug = pl.read_csv(out / "downloads" / "overview-rug-1-1.csv")
    le = rug.filter(pl.col("Indicator").str.starts_with("Life expectancy"))
    row = le.filter(pl.col("Area") == "Kensington and Chelsea").row(0, named=True)
    # 83.1 (82.75 to 83.45) against England 78.9 and London 79.9: better than both
    assert row["Compared with England"] == "Better"
    assert row["Compared with London"] == "Better"
    row = le.filter(pl.col("Area") == "Barking and Dagenham").row(0, named=True)
    assert row["Compared with England"] == "Worse"
    assert row["Rank (1 = best)"] == 5


def test_values_without_intervals_get_rank_and_national_quintile(london_report):
    _, out = london_report
    rug = pl.read_csv(out / "downloads" / "overview-rug-1-1.csv")
    injuries = rug.filter(pl.col("Indicator").str.starts_with("Hospital admissions"))
    assert (injuries.filter(pl.col("Area code").str.starts_with("E09"))).height == 5
    boroughs = injuries.filter(pl.col("Area code").str.starts_with("E09"))
    assert set(boroughs["Compared with England"]) == {"Not compared"}
    # ranks among the 5 boroughs, low is good: Kensington and Chelsea (70) first
    ranks = dict(zip(boroughs["Area"], boroughs["Rank (1 = best)"], strict=True))
    assert ranks == {
        "Kensington and Chelsea": 1,
        "Barnet": 2,
        "Camden": 3,
        "Tower Hamlets": 4,
        "Barking and Dagenham": 5,
    }
    # quintiles among the 10 English LAs (PERCENTILE.INC bounds of 70..150): 70 and 80 in
    # the best fifth, 110 in the middle one
    assert set(boroughs["Quintile among"]) == {"England"}
    quintile = dict(zip(boroughs["Area"], boroughs["Quintile"], strict=True))
    assert quintile["Kensington and Chelsea"] == "Best quintile"
    assert quintile["Barnet"] == "Best quintile"
    assert quintile["Barking and Dagenham"] == "Middle quintile"
    index = (out / "index.html").read_text(encoding="utf-8")
    rug_cells = index.split('id="tartan-rug"')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert "Q3" in rug_cells  # Barking and Dagenham's injuries: no interval, a quintile
    assert "×" not in rug_cells  # nothing shown as "Not compared"


def test_headline_gaps_come_from_the_data(london_report):
    _, out = london_report
    headlines = pl.read_csv(out / "downloads" / "overview-headlines.csv")
    assert headlines.height > 0
    spread = headlines.filter(
        pl.col("Measure") == "Highest minus lowest area",
        pl.col("Indicator").str.starts_with("Life expectancy"),
    ).row(0, named=True)
    assert spread["Value"] == pytest.approx(83.1 - 77.0)
    assert "Kensington and Chelsea 83.1" in spread["Detail"]
    to_england = headlines.filter(pl.col("Measure") == "London minus England")
    assert to_england.height >= 1
    le = to_england.filter(pl.col("Indicator").str.starts_with("Life expectancy")).row(
        0, named=True
    )
    assert le["Value"] == pytest.approx(79.9 - 78.9)
    assert "better than England's" in le["Key message"]
    index = (out / "index.html").read_text(encoding="utf-8")
    for message in headlines["Key message"]:
        assert message.replace("'", "&#39;") in index


def test_several_regions_need_the_area_named(national_store, tmp_path):
    path, _ = national_store
    with Store.open(path) as store:
        with pytest.raises(InputError, match=r"3 regions .* --area E12000"):
            write_report(store, None, tmp_path / "x")
        with pytest.raises(InputError, match="area 'E12000099' is not in the store"):
            write_report(store, None, tmp_path / "y", area="E12000099")
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "y").exists()


def test_indicator_page_gives_rank_and_quintile_without_intervals(london_report):
    _, out = london_report
    bars = pl.read_csv(out / "downloads" / "indicator-90630-persons-all-ages-bars.csv")
    assert bars["Rank (1 = best)"].to_list() == [1, 2, 3, 4, 5]  # sorted by value, low good
    assert bars["Quintile"].to_list()[0] == "Best quintile"
    assert set(bars["Compared with England"]) == {"Not compared"}
    page = (out / "indicator-90630.html").read_text(encoding="utf-8")
    assert "No confidence intervals are published for this series" in page


def test_same_vintages_in_another_store_give_identical_files(london_report, tmp_path):
    # the second store records its vintages at another time: nothing of that reaches the
    # report (vintages.json and the sources table name ids, sources and labels only)
    _, first = london_report
    path, _ = national.make_national_store(tmp_path / "again.duckdb")
    with Store.open(path) as store:
        write_report(store, None, tmp_path / "again", area=national.LONDON, strategy=None)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    again = tmp_path / "again"
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert [f for f in files if (first / f).read_bytes() != (again / f).read_bytes()] == []


def test_tables_name_their_source_vintage_and_licence(national_store, london_report):
    _, ids = national_store
    _, out = london_report
    profile = (out / "borough-e09000003.html").read_text(encoding="utf-8")
    for vintage in (ids["le"], ids["injuries"]):
        assert f"vintage {vintage[:8]}, Open Government Licence v3.0" in profile
    assert "Source: ons (life expectancy 2020-22)" in profile
