"""The main job on real London: the shipped snapshot, one vintage per source, the gaps."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest
from tests.london import _test_only_lookup as test_only_lookup

from healthgap.errors import InputError
from healthgap.london import ENGLAND_CODE, LONDON_CODE, job, strategy
from healthgap.london.series import AS_PUBLISHED, DERIVED, SERIES, WARD_DERIVED
from healthgap.store import Store


def _values(result) -> pl.DataFrame:
    """Every value the job published: its sources' vintages and the vintage of the gaps."""
    with Store.open(result.store_path) as store:
        vintages = [*result.source_vintages.values(), result.vintage]
        return pl.concat([pl.from_arrow(store.values(v)) for v in vintages])


def test_each_source_is_a_vintage_with_publisher_date_licence_and_hash(london_job):
    result, _ = london_job
    manifest = json.loads((job.SNAPSHOT_DIR / "manifest.json").read_text())
    keys = {s["source"] for s in manifest["sources"] if s["source"] != "small-area"}
    assert set(result.source_vintages) == keys
    with Store.open(result.store_path) as store:
        for key, vintage in result.source_vintages.items():
            record = store.vintage(vintage)
            params = json.loads(record["parameters"])
            assert params["licence"] == "Open Government Licence v3.0", key
            assert params["publisher"], key
            assert record["source"].startswith(job.SOURCE), key
            (item,) = json.loads(record["inputs"])
            entry = next(s for s in manifest["sources"] if s["source"] == key)
            assert item["sha256"] == entry["sha256"], key
        assert store.vintage(result.vintage)["id"] == result.vintage


def test_the_store_holds_exactly_the_33_boroughs_london_and_england(london_job):
    result, _ = london_job
    with Store.open(result.store_path) as store:
        areas = pl.from_arrow(store.areas())
    assert areas.filter(pl.col("area_type") == "la").height == 33
    assert areas.filter(pl.col("area_type") == "la")["area_code"].str.starts_with("E09").all()
    assert set(areas.filter(pl.col("area_type") != "la")["area_code"]) == {
        LONDON_CODE,
        ENGLAND_CODE,
    }


def test_strategy_indicators_carry_the_his_ids_and_metadata(london_job):
    result, _ = london_job
    assert {"life_expectancy", "hle_male", "hle_female", "employment", "smoking"} <= set(
        result.indicator_ids
    )
    assert set(result.indicator_ids) == {s.id for s in SERIES + AS_PUBLISHED} | set(DERIVED)
    # each published series once, in its source's vintage; the gaps in the job's vintage
    assert _values(result).select("indicator_id").unique().height == len(result.indicator_ids)
    his = set(strategy().indicator_ids)
    mapped = {s.id for s in SERIES} & his
    assert mapped == {"life_expectancy", "hle_male", "hle_female", "employment", "smoking"}
    with Store.open(result.store_path) as store:
        metas = {m.id: m for m in store.indicators()}
    assert metas["employment"].polarity == "high_is_good"
    assert metas["smoking"].polarity == "low_is_good"
    assert metas["hle_male"].unit == "years"
    assert "ons.gov.uk" in metas["hle_male"].data_source


def test_headline_gaps_have_values_for_london_over_time(london_job):
    result, _ = london_job
    values = _values(result).filter(pl.col("area_code") == LONDON_CODE)
    le = values.filter(pl.col("indicator_id") == "le_sii")
    assert set(le["sex"]) == {"Male", "Female"}
    assert le["period"].n_unique() == 12  # 1999-2003 ... 2010-14
    assert (le["value"] > 0).all()  # the least deprived boroughs live longer
    latest = le.filter(pl.col("period") == "2010 - 14").sort("sex")
    assert (latest["lower95_0cl"] < latest["value"]).all()
    assert (latest["value"] < latest["upper95_0cl"]).all()
    hle = values.filter(pl.col("indicator_id").is_in(["hle_male", "hle_female"]))
    assert hle["period"].n_unique() >= 10


def test_bad_health_by_within_london_decile_falls_with_deprivation(london_job):
    result, _ = london_job
    deciles = (
        _values(result)
        .filter(
            (pl.col("indicator_id") == "poor_health")
            & (pl.col("category_type") == "IMD 2019 decile (within London)")
        )
        .with_columns(pl.col("category").cast(pl.Int32))
        .sort("category")
    )
    assert deciles["category"].to_list() == list(range(1, 11))
    assert deciles["value"][0] > deciles["value"][9] * 2  # 6.4% against 2.7%
    gap = _values(result).filter(pl.col("indicator_id") == "poor_health_sii").row(0, named=True)
    assert gap["value"] < 0
    assert gap["upper95_0cl"] < 0


def test_progress_reports_every_stage(london_job):
    _, seen = london_job
    assert [s for s in job.STAGES if s in {stage for stage, _, _ in seen}] == list(job.STAGES)
    assert all(done <= total for _, done, total in seen)


def test_a_second_run_gives_the_same_vintages(london_job, tmp_path):
    first, _ = london_job
    again = job.run(tmp_path)
    assert again.vintage == first.vintage
    assert again.source_vintages == first.source_vintages
    assert job.run(tmp_path).vintage == first.vintage  # its own store is replaced


def test_a_store_it_did_not_write_is_left_alone(tmp_path):
    with Store.open(tmp_path / job.STORE_FILE) as store:
        store.add_areas(
            pl.DataFrame(
                {"area_code": ["E09000001"], "area_name": ["City"], "area_type": ["la"]}
            ).to_arrow()
        )
    before = (tmp_path / job.STORE_FILE).read_bytes()
    with pytest.raises(InputError, match="was not written by the London job"):
        job.run(tmp_path)
    assert (tmp_path / job.STORE_FILE).read_bytes() == before


def test_a_snapshot_file_that_differs_from_its_manifest_is_named(tmp_path):
    snapshot = tmp_path / "snapshot"
    shutil.copytree(job.SNAPSHOT_DIR, snapshot)
    with (snapshot / "areas.csv").open("a") as handle:
        handle.write("E09999999,Nowhere,la\n")
    with pytest.raises(InputError, match=r"areas\.csv: SHA-256 .* differs from the manifest"):
        job.run(tmp_path / "out", snapshot=snapshot)
    assert not (tmp_path / "out" / job.STORE_FILE).exists()


@pytest.fixture(scope="module")
def ward_job(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ward")
    test_only_lookup.by_code_runs(
        pl.read_csv(job.SNAPSHOT_DIR / "lsoa.csv")["lsoa_code"],
        pl.read_csv(job.SNAPSHOT_DIR / "ward_le.csv")["area_code"],
        folder / "lookup.csv",
    )
    return job.run(folder / "out", ward_lookup=folder / "lookup.csv"), folder / "lookup.csv"


def test_without_a_lookup_the_job_says_where_to_get_one(london_job):
    result, _ = london_job
    assert result.notes == (job.NO_WARD_LOOKUP,)
    assert "ONS Open Geography Portal" in job.NO_WARD_LOOKUP
    assert "LSOA (2011) to Ward (2011)" in job.NO_WARD_LOOKUP
    assert not set(result.indicator_ids) & set(WARD_DERIVED)
    with Store.open(result.store_path) as store:
        params = json.loads(store.vintage(result.vintage)["parameters"])
    assert params["ward_lookup"] == {"not computed": job.NO_WARD_LOOKUP}


def test_with_a_lookup_the_ward_gap_is_computed_per_sex_and_period(ward_job, london_job):
    result, lookup = ward_job
    assert result.notes == ()
    assert set(WARD_DERIVED) <= set(result.indicator_ids)
    assert result.vintage != london_job[0].vintage
    values = _values(result)
    deciles = values.filter(pl.col("indicator_id") == "le_ward_decile")
    assert deciles["category_type"].unique().to_list() == ["Ward IMD 2019 decile (within London)"]
    assert deciles.group_by("period", "sex").len()["len"].unique().to_list() == [10]
    assert deciles.select(pl.struct("period", "sex").n_unique()).item() == 24
    for indicator in ("le_ward_sii", "le_ward_gap"):
        rows = values.filter(pl.col("indicator_id") == indicator)
        assert rows.height == 24, indicator  # 12 periods x 2 sexes
        assert (rows["area_code"] == LONDON_CODE).all()
        assert (rows["lower99_8cl"] < rows["lower95_0cl"]).all()
        assert (rows["lower95_0cl"] < rows["value"]).all()
        assert (rows["value"] < rows["upper95_0cl"]).all()
    with Store.open(result.store_path) as store:
        record = store.vintage(result.vintage)
        metas = {m.id: m for m in store.indicators()}
    params = json.loads(record["parameters"])
    assert params["ward_lookup"]["wards_matched"] == params["ward_lookup"]["wards"] == 624
    assert params["ward_lookup"]["london_lsoas_matched"] == 4835
    assert lookup.name in {i["name"] for i in json.loads(record["inputs"])}
    assert "slope index" in metas["le_ward_sii"].name.lower()
    assert metas["le_ward_gap"].unit == "years"


def test_a_lookup_of_other_wards_stops_the_job_before_any_store(tmp_path):
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("LSOA11CD,WD22CD\nE01000001,E05009999\n")
    with pytest.raises(InputError, match="none of its wards is a ward of the life expectancy"):
        job.run(tmp_path / "out", ward_lookup=lookup)
    assert not (tmp_path / "out" / job.STORE_FILE).exists()


def test_a_malformed_lookup_is_one_line(tmp_path):
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("LSOA11CD,LAD11CD\nE01000001,E09000001\n")
    with pytest.raises(InputError, match=r"lookup\.csv: .*a WD code column") as info:
        job.run(tmp_path / "out", ward_lookup=lookup)
    assert "\n" not in str(info.value)


def test_a_lookup_reaching_some_wards_says_how_many(tmp_path):
    lsoas = pl.read_csv(job.SNAPSHOT_DIR / "lsoa.csv")["lsoa_code"].sort()
    wards = pl.read_csv(job.SNAPSHOT_DIR / "ward_le.csv")["area_code"].unique().sort()
    lookup = test_only_lookup.by_code_runs(lsoas.head(2400), wards.head(300), tmp_path / "l.csv")
    result = job.run(tmp_path / "out", ward_lookup=lookup)
    (note,) = result.notes
    assert note.startswith("ward life-expectancy gap from 300 of the 624 wards and 2400 of ")
    assert "London's 4835 LSOAs in l.csv" in note
    sii = _values(result).filter(pl.col("indicator_id") == "le_ward_sii")
    assert sii.height == 24
    assert sii["value_note"].str.contains("; 300 wards in 10 deciles").all()


def test_fingertips_own_judgements_are_kept_with_the_series_they_judge(london_job):
    result, _ = london_job
    shipped = pl.read_csv(job.SNAPSHOT_DIR / "judgements.csv", infer_schema_length=0)
    with Store.open(result.store_path, read_only=True) as store:
        his = pl.from_arrow(store.judgements(result.source_vintages["fingertips-injuries"]))
        others = [v for k, v in result.source_vintages.items() if k != "fingertips-injuries"]
        assert all(store.judgements(v).num_rows == 0 for v in [*others, result.vintage])
    assert his.height == shipped.height == 34
    assert his["indicator_id"].unique().to_list() == ["child_injury_admissions"]
    # Fingertips' own word for Westminster (E09000033), 2023/24, as in the export
    row = his.filter(pl.col("area_code") == "E09000033").row(0, named=True)
    expected = shipped.filter(pl.col("area_code") == "E09000033").row(0, named=True)
    assert row["compared_to_england"] == expected["compared_to_england"]
    assert row["recent_trend"] == expected["recent_trend"]
