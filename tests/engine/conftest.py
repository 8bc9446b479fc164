"""Record-level test data in the demo generator's shapes, and the test catalogue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

CATALOGUE = Path(__file__).parent / "catalogue"
LSOAS = [f"E0100000{i}" for i in range(1, 9)]
BOROUGH = {c: ("E09000001" if i < 4 else "E09000002") for i, c in enumerate(LSOAS)}
YEARS = (2019, 2020, 2021)
SEXES = ("Male", "Female")


def lookup() -> pa.Table:
    """Eight small areas in two boroughs; national deciles 1..8, London deciles 1,1,2,2,..."""
    return pa.table(
        {
            "lsoa_code": LSOAS,
            "lsoa_name": [f"Area {i}" for i in range(1, 9)],
            "msoa_code": ["E02000001"] * 4 + ["E02000002"] * 4,
            "borough_code": [BOROUGH[c] for c in LSOAS],
            "borough_name": ["City"] * 4 + ["Town"] * 4,
            "region_code": ["E12000007"] * 8,
            "imd_score": [50.0 - 5 * i for i in range(8)],
            "imd_decile_national": list(range(1, 9)),
            "imd_decile_london": [1, 1, 2, 2, 3, 3, 4, 4],
        }
    )


def population() -> pa.Table:
    """Single years 0..90 (90 = 90+); population = 10 + (area index) for every age."""
    rows = [
        (c, y, s, a, float(10 + i))
        for i, c in enumerate(LSOAS)
        for y in YEARS
        for s in SEXES
        for a in range(91)
    ]
    code, year, sex, age, pop = zip(*rows, strict=True)
    return pa.table(
        {
            "lsoa_code": code,
            "year": pa.array(year, pa.int32()),
            "sex": sex,
            "age": pa.array(age, pa.int32()),
            "population": pop,
        }
    )


def deaths(seed: int = 5) -> pa.Table:
    """About 900 deaths; a few hand-placed suicides with ICD-10 codes at range edges."""
    rng = np.random.default_rng(seed)
    n = 900
    codes = np.array(
        ["C34.1", "I21.9", "J44.0", "X60", "X84.9", "Y10.2", "Y34", "Y35.0", "X59.9", "F10.2"]
    )
    table = {
        "person_id": [f"P{i:05d}" for i in range(n)],
        "lsoa_code": rng.choice(LSOAS, n).tolist(),
        "year": rng.choice(YEARS, n).astype(np.int32),
        "sex": rng.choice(SEXES, n).tolist(),
        "age": np.minimum(rng.gamma(9.0, 8.0, n).astype(np.int32), 104),
        "icd10": rng.choice(
            codes, n, p=[0.3, 0.25, 0.2, 0.05, 0.04, 0.04, 0.04, 0.03, 0.03, 0.02]
        ).tolist(),
    }
    dates = [f"{y}-06-15" for y in table["year"]]
    return pa.table({**table, "date_of_death": pa.array(dates).cast(pa.date32())}).select(
        ["person_id", "lsoa_code", "year", "date_of_death", "sex", "age", "icd10"]
    )


def births(seed: int = 6) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = 600
    weight = rng.normal(3300, 600, n).round().astype(np.int32)
    weight_arr = pa.array(weight, mask=rng.random(n) < 0.02)  # some weights not stated
    return pa.table(
        {
            "lsoa_code": rng.choice(LSOAS, n).tolist(),
            "year": rng.choice(YEARS, n).astype(np.int32),
            "sex": rng.choice(SEXES, n).tolist(),
            "birth_weight_g": weight_arr,
            "gestation_weeks": rng.integers(30, 42, n).astype(np.int32),
            "mother_age": rng.integers(17, 45, n).astype(np.int32),
        }
    )


def admissions(seed: int = 7) -> pa.Table:
    """Admissions from 2019-04-01 to 2022-03-31: financial years 2019/20 to 2021/22."""
    rng = np.random.default_rng(seed)
    n = 1500
    people = rng.integers(0, 500, n)
    start = np.datetime64("2019-04-01")
    days = rng.integers(0, (np.datetime64("2022-03-31") - start).astype(int) + 1, n)
    dates = start + days.astype("timedelta64[D]")
    return pa.table(
        {
            "person_id": [f"P{p:05d}" for p in people],
            "lsoa_code": [LSOAS[p % 8] for p in people],
            "year": dates.astype("datetime64[Y]").astype(int) + 1970,
            "admission_date": pa.array(dates.astype("datetime64[D]")),
            "sex": [SEXES[p % 2] for p in people],
            "age": (people % 90).astype(np.int32),
            "admission_method": rng.choice(["Emergency", "Elective"], n, p=[0.6, 0.4]).tolist(),
            "primary_diagnosis": rng.choice(["I21.9", "J18.9", "S72.0"], n).tolist(),
        }
    )


def child_measurements(seed: int = 8) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = 800
    return pa.table(
        {
            "lsoa_code": rng.choice(LSOAS, n).tolist(),
            "academic_year": rng.choice(["2019/20", "2020/21", "2021/22"], n).tolist(),
            "school_year": rng.choice(["Reception", "Year 6"], n).tolist(),
            "sex": rng.choice(SEXES, n).tolist(),
            "bmi_category": rng.choice(
                ["Underweight", "Healthy weight", "Overweight", "Obese", "Severely obese"],
                n,
                p=[0.02, 0.6, 0.15, 0.18, 0.05],
            ).tolist(),
        }
    )


ETHNIC_GROUPS = ("Asian", "Black", "Mixed", "Other", "White")


def survey(seed: int = 9) -> pa.Table:
    """About 3,000 survey responses, all ages 0-90 (general health, answered for children).

    Life satisfaction 0-10 (some not answered), general health good or not, ethnic group.
    """
    rng = np.random.default_rng(seed)
    n = 3000
    group = rng.choice(ETHNIC_GROUPS, n, p=[0.2, 0.15, 0.05, 0.05, 0.55])
    score = np.clip(rng.normal(7.4, 1.6, n).round(), 0, 10) - (group == "Black")
    age = rng.integers(0, 91, n).astype(np.int32)
    return pa.table(
        {
            "lsoa_code": rng.choice(LSOAS, n).tolist(),
            "year": rng.choice(YEARS, n).astype(np.int32),
            "sex": rng.choice(SEXES, n).tolist(),
            "age": age,
            "ethnic_group": group.tolist(),
            "life_satisfaction": pa.array(np.maximum(score, 0), mask=rng.random(n) < 0.05),
            "good_health": rng.random(n) < np.clip(0.95 - age / 120, 0.2, 1),
        }
    )


#: Annual mean PM2.5 (ug/m3) by borough; the second borough has no value for 2021.
PM25 = {
    ("E09000001", 2019): 12.4,
    ("E09000001", 2020): 11.2,
    ("E09000001", 2021): 10.6,
    ("E09000002", 2019): 9.3,
    ("E09000002", 2020): 13.8,
}


def air_quality() -> pa.Table:
    """Annual mean PM2.5 by borough and year (:data:`PM25`): one borough-year is missing."""
    (code, year), pm25 = zip(*PM25, strict=True), list(PM25.values())
    return pa.table(
        {
            "borough_code": list(code),
            "year": pa.array(year, pa.int32()),
            "pm25": pa.array(pm25, pa.float64()),
        }
    )


TABLES = {
    "lsoa_lookup": lookup,
    "population": population,
    "deaths": deaths,
    "births": births,
    "admissions": admissions,
    "child_measurements": child_measurements,
    "survey": survey,
    "air_quality": air_quality,
}


def write_data(folder: Path) -> Path:
    """Write every test table as ``<name>.parquet`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in TABLES.items():
        pq.write_table(make(), folder / f"{name}.parquet")
    return folder


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """A folder of the test tables as Parquet (written once per test process)."""
    return write_data(tmp_path_factory.mktemp("engine-data"))


@pytest.fixture(scope="session")
def catalogue():
    """The test catalogue (tests/engine/catalogue/*.yaml)."""
    from healthgap.catalogue import load_catalogue

    return load_catalogue(CATALOGUE)


@pytest.fixture(scope="module")
def values(catalogue, data_dir):
    """The test catalogue's values (computed once per test module)."""
    from healthgap.engine import compute_values

    return pl.from_arrow(compute_values(catalogue, data_dir))


def one_row(values, **keys) -> dict:
    """The one row of ``values`` with ``keys`` (Persons, no breakdown unless given)."""
    keys = {"sex": "Persons", "category_type": "", "category": "", **keys}
    rows = values.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert len(rows) == 1, (keys, rows)
    return rows.row(0, named=True)
