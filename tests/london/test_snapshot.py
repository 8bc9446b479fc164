"""The shipped London snapshot: compact, London and England only, reproducible byte for byte."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from healthgap.london.job import SNAPSHOT_DIR

SCRIPT = Path(__file__).parents[2] / "scripts" / "build_london_snapshot.py"
FILES = (
    "areas.csv",
    "values.csv",
    "judgements.csv",
    "lsoa.csv",
    "ward_le.csv",
    "manifest.json",
)


def _manifest() -> dict:
    return json.loads((SNAPSHOT_DIR / "manifest.json").read_text(encoding="utf-8"))


def test_the_manifest_holds_the_hash_of_every_file_it_lists():
    manifest = _manifest()
    assert sorted(manifest["files"]) == sorted(f for f in FILES if f != "manifest.json")
    for name, entry in manifest["files"].items():
        data = (SNAPSHOT_DIR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert len(data) == entry["bytes"], name


def test_every_source_names_publisher_licence_and_hash():
    for entry in _manifest()["sources"]:
        assert entry["publisher"], entry["file"]
        assert entry["licence"] == "Open Government Licence v3.0", entry["file"]
        assert len(entry["sha256"]) == 64, entry["file"]
        assert entry["copied_from"].startswith("https://github.com/"), entry["file"]
    dated = [e for e in _manifest()["sources"] if e["file"].split("/")[-1].startswith("ons_els")]
    assert dated
    assert all(e["date"] and e["url"].startswith("https://") for e in dated)


def test_the_snapshot_is_compact_and_holds_london_and_england_only():
    assert sum((SNAPSHOT_DIR / name).stat().st_size for name in FILES) < 3_000_000
    values = pl.read_csv(SNAPSHOT_DIR / "values.csv", infer_schema_length=0)
    codes = values["area_code"].unique()
    assert codes.str.starts_with("E09").sum() == 33
    assert set(codes.filter(~codes.str.starts_with("E09"))) == {"E12000007", "E92000001"}
    judgements = pl.read_csv(SNAPSHOT_DIR / "judgements.csv", infer_schema_length=0)
    judged = judgements.join(
        values, on=["source", "indicator_id", "area_code", "period", "sex", "age"], how="anti"
    )
    assert judged.is_empty()  # every judgement is of a value of the snapshot
    assert judgements["source"].unique().to_list() == ["fingertips-injuries"]
    lsoas = pl.read_csv(SNAPSHOT_DIR / "lsoa.csv", infer_schema_length=0)
    assert lsoas.height == 4835  # London's 2011 LSOAs
    assert lsoas["borough_code"].str.starts_with("E09").all()


@pytest.mark.realdata
@pytest.mark.slow
def test_the_script_rebuilds_the_shipped_snapshot_byte_for_byte(shared_data, tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(shared_data), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SNAPSHOT_DIR / name).read_bytes(), (
            f"{name} differs: rebuild with python scripts/build_london_snapshot.py"
        )


def test_the_script_refuses_a_folder_that_is_not_the_shared_data(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "not the shared data folder (no SOURCES.md)" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_ward_life_expectancy_is_london_wards_with_their_limits():
    wards = pl.read_csv(SNAPSHOT_DIR / "ward_le.csv")
    assert wards["area_code"].str.starts_with("E05").all()
    assert wards["area_code"].n_unique() == 624  # London's 2003 CAS wards but the City's
    assert wards.height == 624 * 12 * 2  # 12 pooled periods 1999-2003 ... 2010-14, 2 sexes
    assert (wards["lower95_0cl"] <= wards["value"]).all()
    assert (wards["value"] <= wards["upper95_0cl"]).all()
    lsoas = pl.read_csv(SNAPSHOT_DIR / "lsoa.csv")
    assert lsoas["imd_score"].null_count() == 0
    assert (lsoas["imd_score"] > 0).all()
