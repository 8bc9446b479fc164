"""``healthgap demo``: real London and the synthetic London; twice gives identical outputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from healthgap.cli import app

runner = CliRunner()
STORE = "healthgap.duckdb"  # the working database (it records when it was written)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != STORE
    }


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = runner.invoke(
        app, ["demo", "--out", str(out), "--years", "2019-2019", "--quiet", "--no-pdf"]
    )
    return out, result


def test_demo_prints_where_the_outputs_are(demo_run):
    out, result = demo_run
    assert result.exit_code == 0, result.output
    real, _, fake = result.stdout.partition("synthetic London (synthetic data)")
    assert real.startswith("London (real published figures)")
    for line in ("vintage", "store", "exports", "report"):
        assert any(row.startswith(line) for row in real.splitlines()), line
    for line in ("vintage", "data", "store", "exports", "report"):
        assert any(row.startswith(line) for row in fake.splitlines()), line
    assert str(out / "london" / "exports" / "his_values.csv") in real
    assert str(out / "synthetic" / "exports" / "his_values.csv") in fake
    assert (out / "london" / STORE).exists()
    assert (out / "synthetic" / STORE).exists()


def test_demo_labels_the_synthetic_report_and_only_it(demo_run):
    out, _ = demo_run
    fake = (out / "synthetic" / "report" / "index.html").read_text(encoding="utf-8")
    real = (out / "london" / "report" / "index.html").read_text(encoding="utf-8")
    assert "synthetic" in fake.lower()
    assert "synthetic" not in real.lower()
    assert "Barking and Dagenham" in real
    pages = sorted(p.name for p in (out / "london" / "report").glob("borough-*.html"))
    assert len(pages) == 33  # the boroughs, never other authorities


def test_demo_exports_apply_disclosure_control(demo_run):
    out, _ = demo_run
    table = pacsv.read_csv(out / "synthetic" / "exports" / "his_values.csv")
    assert {"indicator_id", "area_code", "area_name", "value", "value_note"} <= set(
        table.column_names
    )
    counts = table.column("count")
    small = pc.and_(pc.greater_equal(counts, 1), pc.less(counts, 5))
    assert pc.sum(pc.cast(small, "int64")).as_py() in (0, None)  # counts 1-4 never shown
    assert pc.any(pc.is_null(table.column("value"))).as_py()  # some values withheld


def test_demo_rejects_bad_years(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--years", "2019-2017"])
    assert result.exit_code == 2


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The main job run twice, into two new folders (three years: pooled periods too)."""
    folders = []
    for name in ("first", "second"):
        out = tmp_path_factory.mktemp("twice") / name
        result = runner.invoke(
            app, ["demo", "--out", str(out), "--years", "2017-2019", "--quiet", "--no-pdf"]
        )
        assert result.exit_code == 0, result.output
        folders.append((out, result.stdout))
    return folders


def _differing(folders, keep) -> list[str]:
    (first, _), (second, _) = folders
    one = {k: v for k, v in _hashes(first).items() if keep(k)}
    two = {k: v for k, v in _hashes(second).items() if keep(k)}
    assert one.keys() == two.keys()
    assert one
    return [name for name in one if one[name] != two[name]]


@pytest.mark.slow
def test_demo_twice_gives_identical_data_exports_and_vintage(two_runs):
    assert _differing(two_runs, lambda name: "/report/" not in name) == []
    (_, out1), (_, out2) = two_runs
    vintage = [line for line in out1.splitlines() if line.startswith("vintage")]
    assert vintage
    assert vintage == [line for line in out2.splitlines() if line.startswith("vintage")]


@pytest.mark.slow
def test_demo_twice_gives_identical_report(two_runs):
    assert _differing(two_runs, lambda name: "/report/" in name) == []


def test_compute_reads_the_demo_data_folder_as_is(demo_run, tmp_path):
    # `healthgap compute` on the strategy's folder and the demo's data gives the engine's
    # values of the main job (the demo's vintage adds the commitments' measures)
    from healthgap.london import STRATEGY_DIR
    from healthgap.store import Store

    out, _ = demo_run
    store = tmp_path / "again.duckdb"
    result = runner.invoke(
        app,
        [
            "compute",
            str(STRATEGY_DIR),
            "--data",
            str(out / "synthetic" / "data"),
            "--store",
            str(store),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    keys = ["indicator_id", "area_code", "period", "sex", "age", "category_type", "category"]
    with Store.open(store) as again, Store.open(out / "synthetic" / STORE) as demo:
        ours = again.values(again.vintages()["id"][0].as_py()).to_pandas()
        theirs = demo.values(demo.vintages()["id"][0].as_py()).to_pandas()
    theirs = theirs[theirs["indicator_id"].isin(set(ours["indicator_id"]))]
    assert len(ours) == len(theirs) > 1000
    ours, theirs = (f.sort_values(keys).reset_index(drop=True) for f in (ours, theirs))
    for column in ("value", "lower95_0cl", "upper95_0cl", "count", "denominator"):
        assert ours[column].equals(theirs[column]), column


def test_demo_leaves_a_foreign_store_alone_with_one_line(tmp_path):
    (tmp_path / "london").mkdir()
    foreign = tmp_path / "london" / STORE
    foreign.write_bytes(b"not a store of ours")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--quiet", "--no-pdf"])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    assert str(foreign) in line
    assert foreign.read_bytes() == b"not a store of ours"
    assert not (tmp_path / "synthetic").exists()


def test_demo_reads_a_rebuilt_snapshot_and_refuses_a_tampered_one(tmp_path):
    import shutil

    from healthgap.london.job import SNAPSHOT_DIR

    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT_DIR, snapshot)
    with (snapshot / "values.csv").open("a") as handle:
        handle.write("ons-le,ons-le-birth,E09000001,2099,2099,1,Male,All ages,,,99.0,,,,,,,\n")
    result = runner.invoke(
        app,
        ["demo", "--out", str(tmp_path / "out"), "--snapshot", str(snapshot), "--quiet"],
    )
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "values.csv: SHA-256" in line
    assert "differs from the manifest" in line
    assert not (tmp_path / "out" / "london" / STORE).exists()


def test_demo_without_a_ward_lookup_says_what_is_missing_and_where_to_get_it(demo_run):
    from healthgap.london.job import NO_WARD_LOOKUP

    _, result = demo_run
    assert result.stderr.count(f"healthgap: {NO_WARD_LOOKUP}\n") == 1


def test_demo_with_a_ward_lookup_has_the_ward_gap_in_its_headline_gaps(tmp_path):
    import polars as pl
    from tests.london import _test_only_lookup as test_only_lookup

    from healthgap.london.job import NO_WARD_LOOKUP, SNAPSHOT_DIR

    lookup = test_only_lookup.by_code_runs(  # made up: tests only, see its module
        pl.read_csv(SNAPSHOT_DIR / "lsoa.csv")["lsoa_code"],
        pl.read_csv(SNAPSHOT_DIR / "ward_le.csv")["area_code"],
        tmp_path / "lookup.csv",
    )
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--no-synthetic", "--no-pdf", "--quiet"]
    result = runner.invoke(app, [*args, "--ward-lookup", str(lookup)])
    assert result.exit_code == 0, result.output
    assert NO_WARD_LOOKUP not in result.stderr
    (table,) = (out / "london" / "report").rglob("overview-headlines.csv")
    headlines = table.read_text(encoding="utf-8")
    assert "least and most deprived tenths of London's wards" in headlines
    assert "wards ranked by deprivation" in headlines


def test_demo_refuses_a_malformed_ward_lookup_in_one_line_before_any_store(tmp_path):
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("LSOA11CD,WD11CD\nE01000001,E05000026\nE01000001,E05000027\n")
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--no-synthetic", "--no-pdf", "--quiet"]
    result = runner.invoke(app, [*args, "--ward-lookup", str(lookup)])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    assert "lookup.csv" in line
    assert "one ward per LSOA" in line
    assert not (out / "london" / STORE).exists()
