"""The synthetic London: deterministic, labelled synthetic, and plausible to an analyst."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from healthgap.london.synthetic.generate import generate
from healthgap.london.synthetic.geography import BOROUGHS

YEARS = (2017, 2018, 2019)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    generate(out, years=YEARS)
    return out


def test_same_seed_gives_identical_files(demo_dir, tmp_path):
    generate(tmp_path, years=YEARS)
    first = json.loads((demo_dir / "manifest.json").read_text())
    second = json.loads((tmp_path / "manifest.json").read_text())
    assert first == second
    assert {t["sha256"] for t in first["tables"].values()} == {
        t["sha256"] for t in second["tables"].values()
    }


def test_another_seed_gives_other_data(demo_dir, tmp_path):
    generate(tmp_path, years=YEARS, seed=1)
    first = json.loads((demo_dir / "manifest.json").read_text())["tables"]["deaths"]
    other = json.loads((tmp_path / "manifest.json").read_text())["tables"]["deaths"]
    assert first["sha256"] != other["sha256"]


def test_everything_is_labelled_synthetic(demo_dir):
    manifest = json.loads((demo_dir / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert "synthetic" in (demo_dir / "SYNTHETIC.md").read_text().lower()
    for name in manifest["tables"]:
        meta = pq.read_schema(demo_dir / f"{name}.parquet").metadata
        assert meta[b"synthetic"] == b"true", name
    names = pq.read_table(demo_dir / "lsoa_lookup.parquet")["lsoa_name"].to_pylist()
    assert all(n.endswith("(synthetic)") for n in names)


def test_geography_has_the_real_boroughs_and_about_4800_small_areas(demo_dir):
    lookup = pq.read_table(demo_dir / "lsoa_lookup.parquet").to_pandas()
    assert sorted(lookup["borough_code"].unique()) == [f"E090000{i:02d}" for i in range(1, 34)]
    assert (
        dict(zip(lookup["borough_code"], lookup["borough_name"], strict=True))["E09000030"]
        == "Tower Hamlets"
    )
    assert 4700 <= len(lookup) <= 4900
    assert lookup["lsoa_code"].is_unique
    # synthetic codes lie outside the range ONS has used for real LSOAs (E01000001-E01035xxx)
    assert lookup["lsoa_code"].str.startswith("E019").all()
    # every national and London decile is present; London deciles hold a tenth each
    assert set(lookup["imd_decile_national"]) == set(range(1, 11))
    shares = lookup["imd_decile_london"].value_counts(normalize=True)
    np.testing.assert_allclose(shares.to_numpy(), 0.1, atol=0.002)


def _life_expectancy(con, demo_dir, group: str) -> dict[tuple, float]:
    """Independent single-year life table (Chiang, a = 0.5, open band L = l/m) per group."""
    rows = con.execute(f"""
        with lk as (select * from '{demo_dir}/lsoa_lookup.parquet'),
        p as (select {group} g, sex, age, sum(population) pop
              from '{demo_dir}/population.parquet' join lk using (lsoa_code) group by all),
        d as (select {group} g, sex, age, count(*) deaths
              from '{demo_dir}/deaths.parquet' join lk using (lsoa_code) group by all)
        select g, sex, age, pop, coalesce(deaths, 0) as deaths
        from p left join d using (g, sex, age)
        order by g, sex, age""").fetchnumpy()
    n_groups = len(rows["pop"]) // 91
    pop = rows["pop"].reshape(n_groups, 91).astype(float)
    m = rows["deaths"].reshape(n_groups, 91) / pop
    q = m / (1 + 0.5 * m)
    q[:, -1] = 1
    lx = np.hstack([np.ones((n_groups, 1)), np.cumprod(1 - q, axis=1)[:, :-1]])
    big_l = lx * (1 - 0.5 * q)
    big_l[:, -1] = lx[:, -1] / m[:, -1]
    keys = list(zip(rows["g"][::91], rows["sex"][::91], strict=True))
    return dict(zip(keys, big_l.sum(axis=1), strict=True))


@pytest.mark.slow
def test_headline_figures_fall_in_published_ranges(demo_dir):
    con = duckdb.connect()
    pop = con.execute(
        f"select sum(population) from '{demo_dir}/population.parquet' where year = 2019"
    ).fetchone()[0]
    assert 8.5e6 < pop < 9.8e6  # ONS mid-2019: 8.96 million
    deaths = con.execute(
        f"select count(*) from '{demo_dir}/deaths.parquet' where year = 2019"
    ).fetchone()[0]
    assert 40_000 < deaths < 55_000  # ONS: about 47,000 registrations a year
    births = con.execute(
        f"select count(*), avg((birth_weight_g < 2500 and gestation_weeks >= 37)"
        f"::int) from '{demo_dir}/births.parquet' where year = 2019"
    ).fetchone()
    assert 105_000 < births[0] < 140_000  # ONS: about 113,000-130,000 a year
    assert 0.02 < births[1] < 0.045  # low birth weight of term babies: about 3%

    london = _life_expectancy(con, demo_dir, "region_code")
    assert 78.5 < london[("E12000007", "Male")] < 82.0  # ONS 2017-19: 80.9
    assert 82.5 < london[("E12000007", "Female")] < 86.0  # ONS 2017-19: 84.7
    boroughs = _life_expectancy(con, demo_dir, "borough_code")
    values = np.array(list(boroughs.values()))
    assert len(boroughs) == 2 * len(BOROUGHS)
    assert values.min() > 76.5  # published boroughs: about 78-86
    assert values.max() < 87.5
    deciles = _life_expectancy(con, demo_dir, "imd_decile_london")
    male_gap = deciles[(10, "Male")] - deciles[(1, "Male")]
    female_gap = deciles[(10, "Female")] - deciles[(1, "Female")]
    assert 4.0 < male_gap < 10.0  # a gap of several years, larger for men
    assert 2.5 < female_gap < male_gap
