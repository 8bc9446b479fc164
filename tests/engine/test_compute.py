"""The whole engine on the test catalogue: counts checked by hand, values against the methods."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from healthgap.engine import compute, compute_counts, compute_values
from healthgap.engine.rollup import GROUP
from healthgap.errors import InputError
from healthgap.methods import dsr, life_expectancy, rate
from healthgap.methods.standard_populations import ESP2013
from healthgap.store import Store
from healthgap.store.schema import VALUE_KEYS, VALUES

from .conftest import (
    BOROUGH,
    LSOAS,
    admissions,
    births,
    child_measurements,
    deaths,
    one_row,
    population,
    write_data,
)

ENGLAND = "E92000001"
#: The vintage id of the test catalogue with every method (see the test pinning it).
PINNED = "319a2202f4551d10"
LIMITS = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]


def _is_suicide(code: str) -> bool:
    three = code.upper().replace(".", "")[:3]
    return "X60" <= three <= "X84" or "Y10" <= three <= "Y34"


def test_every_indicator_in_values_schema_with_unique_keys(catalogue, values):
    assert pl.from_arrow(VALUES.empty_table()).schema == values.schema
    assert set(values["indicator_id"]) == {ind.id for ind in catalogue}
    assert values.select(VALUE_KEYS).is_duplicated().sum() == 0


def test_crude_rate_counts_by_hand(values):
    d = deaths().to_pylist()
    pop = population().to_pylist()
    for year in (2019, 2020, 2021):
        x = sum(1 for r in d if r["year"] == year and r["age"] >= 10 and _is_suicide(r["icd10"]))
        n = sum(r["population"] for r in pop if r["year"] == year and r["age"] >= 10)
        got = one_row(values, indicator_id="suicide_rate", area_code=ENGLAND, period=str(year))
        assert (got["count"], got["denominator"]) == (x, n)
        assert got["value"] == pytest.approx(x / n * 1e5, rel=1e-12)
        expected = rate(
            pl.DataFrame({"x": [float(x)], "n": [n]}), "x", "n", confidence=(0.95, 0.998)
        )
        np.testing.assert_allclose(
            [got[c] for c in LIMITS], expected.select(LIMITS).row(0), rtol=1e-12
        )
    # females in the first small area, pooled 2019-21
    x = sum(
        1
        for r in d
        if r["lsoa_code"] == LSOAS[0]
        and r["sex"] == "Female"
        and r["age"] >= 10
        and _is_suicide(r["icd10"])
    )
    got = one_row(
        values, indicator_id="suicide_rate", area_code=LSOAS[0], period="2019 - 21", sex="Female"
    )
    assert (got["count"], got["denominator"], got["period_start"], got["period_years"]) == (
        x,
        10 * 81 * 3,
        2019,
        3,
    )


def test_proportion_by_deprivation_decile(values):
    b = births().to_pylist()
    for decile in (1, 5):
        code = LSOAS[decile - 1]  # national decile = position of the small area
        kept = [r for r in b if r["lsoa_code"] == code and r["year"] == 2020]
        x = sum(1 for r in kept if r["birth_weight_g"] is not None and r["birth_weight_g"] < 2500)
        n = sum(1 for r in kept if r["birth_weight_g"] is not None)
        got = one_row(
            values,
            indicator_id="low_birth_weight",
            area_code=ENGLAND,
            period="2020",
            category_type="IMD 2019 decile (national)",
            category=str(decile),
        )
        assert (got["count"], got["denominator"]) == (x, n)
        assert got["value"] == pytest.approx(100 * x / n, rel=1e-12)
    # within-London deciles pair up small areas: decile 1 = the first two
    kept = [
        r
        for r in b
        if r["lsoa_code"] in LSOAS[:2] and r["year"] == 2021 and r["birth_weight_g"] is not None
    ]
    got = one_row(
        values,
        indicator_id="low_birth_weight",
        area_code=BOROUGH[LSOAS[0]],
        period="2021",
        category_type="IMD 2019 decile (within London)",
        category="1",
    )
    assert got["denominator"] == len(kept)


def test_dsr_against_the_method_on_hand_made_bands(values):
    d, pop = deaths().to_pylist(), population().to_pylist()
    x, n = Counter(), Counter()
    for r in d:
        if r["year"] == 2020 and r["age"] <= 74:
            x[min(r["age"], 90) // 5 * 5] += 1
    for r in pop:
        if r["year"] == 2020 and r["age"] <= 74:
            n[r["age"] // 5 * 5] += r["population"]
    bands = list(range(0, 75, 5))
    frame = pl.DataFrame(
        {
            "x": [float(x[b]) for b in bands],
            "n": [n[b] for b in bands],
            "w": [float(w) for w in ESP2013[:15]],
        }
    )
    expected = dsr(frame, "x", "n", "w", confidence=(0.95, 0.998))
    got = one_row(values, indicator_id="u75_mortality", area_code=ENGLAND, period="2020")
    assert got["count"] == sum(x.values())
    np.testing.assert_allclose(
        [got[c] for c in ["value", *LIMITS]], expected.select(["value", *LIMITS]).row(0), rtol=1e-12
    )


def test_inequality_rows(values):
    rows = values.filter(
        pl.col("indicator_id") == "u75_mortality",
        pl.col("category").str.contains("index of inequality"),
    )
    # England only: a borough has 4 deciles, fewer than the 5 the SII needs
    assert set(rows["area_code"]) == {ENGLAND}
    assert sorted(set(rows["category"])) == [
        "Relative index of inequality",
        "Slope index of inequality",
    ]
    assert (rows["lower95_0cl"] <= rows["value"]).all()
    assert (rows["value"] <= rows["upper95_0cl"]).all()


def test_smr_of_the_reference_is_100(values):
    rows = values.filter(pl.col("indicator_id") == "smr_all_causes", pl.col("area_code") == ENGLAND)
    assert len(rows) == 9  # 3 years x Persons, Male, Female
    np.testing.assert_allclose(rows["value"].to_numpy(), 100.0, rtol=1e-12)


def test_distinct_people_by_financial_year(values):
    a = admissions().to_pylist()
    for borough in sorted(set(BOROUGH.values())):
        people = {
            r["person_id"]
            for r in a
            if BOROUGH[r["lsoa_code"]] == borough
            and r["admission_method"] == "Emergency"
            and np.datetime64("2020-04-01")
            <= np.datetime64(r["admission_date"])
            < np.datetime64("2021-04-01")
        }
        got = one_row(
            values, indicator_id="emergency_admissions_people", area_code=borough, period="2020/21"
        )
        assert got["count"] == len(people)


def test_academic_year_labels(values):
    rows = values.filter(pl.col("indicator_id") == "year6_obesity", pl.col("area_code") == ENGLAND)
    assert rows["period"].to_list() == ["2019/20", "2020/21", "2021/22"]


def test_life_expectancy_pooled_against_the_method(values):
    d, pop = deaths().to_pylist(), population().to_pylist()
    x, n = Counter(), Counter()

    def band(age: int) -> int:
        return 0 if age < 1 else 1 if age < 5 else min(age, 90) // 5 * 5

    for r in d:
        x[band(r["age"])] += 1
    for r in pop:
        n[band(r["age"])] += r["population"]
    ages = sorted(n)
    frame = pl.DataFrame({"age": ages, "x": [float(x[a]) for a in ages], "n": [n[a] for a in ages]})
    expected = life_expectancy(frame, "x", "n", "age", le_age=0, confidence=(0.95, 0.998))
    got = one_row(
        values, indicator_id="life_expectancy_birth", area_code=ENGLAND, period="2019 - 21"
    )
    np.testing.assert_allclose(
        [got[c] for c in ["value", *LIMITS]], expected.select(["value", *LIMITS]).row(0), rtol=1e-12
    )


def test_years_keeps_periods_ending_then(catalogue, data_dir):
    counts = compute_counts(catalogue, data_dir, years=[2021])
    for indicator_id, frame in counts.items():
        ends = frame["period_start"] + frame["period_years"] - 1
        # a ratio counts nothing: it divides two indicators' values
        expected = set() if catalogue[indicator_id].method == "ratio" else {2021}
        assert set(ends) == expected


def test_in_memory_tables_equal_files(catalogue, data_dir):
    tables = {p.stem: pq.read_table(p) for p in data_dir.glob("*.parquet")}
    a = compute_counts(catalogue, tables)
    b = compute_counts(catalogue, data_dir)
    for key, frame in a.items():
        keys = [c for c in frame.columns if c not in ("x", "n")]
        assert frame.sort(keys).equals(b[key].sort(keys))


def test_unknown_area_code_is_an_error(catalogue, tmp_path):
    folder = write_data(tmp_path / "data")
    bad = deaths().to_pylist()
    bad[3]["lsoa_code"] = "E01999999"
    pq.write_table(pa.Table.from_pylist(bad, schema=deaths().schema), folder / "deaths.parquet")
    with pytest.raises(
        InputError,
        match=r"1 area codes are not in the lookup 'lsoa_lookup' "
        r"\(first: \['E01999999'\]\)",
    ):
        compute_counts(catalogue, folder)


def test_missing_table_is_an_error(catalogue, tmp_path):
    folder = write_data(tmp_path / "data")
    (folder / "births.parquet").unlink()
    with pytest.raises(InputError, match=r"table 'births' not found in .*births\.parquet"):
        compute_counts(catalogue, folder)


def test_record_level_breakdown(catalogue, data_dir):
    from healthgap.catalogue import Catalogue, Geography, Indicator

    geo = catalogue.geography.model_dump()
    geo["breakdowns"]["school_year"] = {
        "source": "record",
        "column": "school_year",
        "category_type": "School year",
    }
    base = catalogue["year6_obesity"].model_dump()
    for part in ("numerator", "denominator"):  # all children, split by school year
        base[part]["filter"]["where"] = [
            w for w in base[part]["filter"]["where"] if w["column"] != "school_year"
        ]
    ind = Indicator.model_validate({**base, "breakdowns": ["school_year"]})
    small = Catalogue(geography=Geography.model_validate(geo), indicators=(ind,))
    values = pl.from_arrow(compute_values(small, data_dir))
    kids = pl.from_arrow(child_measurements()).filter(pl.col("academic_year") == "2020/21")
    for year in ("Reception", "Year 6"):
        mine = kids.filter(pl.col("school_year") == year)
        obese = mine.filter(pl.col("bmi_category").is_in(["Obese", "Severely obese"]))
        got = one_row(
            values, area_code=ENGLAND, period="2020/21", category_type="School year", category=year
        )
        assert (got["count"], got["denominator"]) == (len(obese), len(mine))


def test_compute_writes_one_vintage_and_reruns_idempotently(catalogue, data_dir, tmp_path, values):
    stages = []
    with Store.open(tmp_path / "hg.duckdb") as store:
        vintage = compute(
            catalogue,
            data_dir,
            store=store,
            progress=lambda stage, done, total: stages.append((stage, done, total)),
        )
        again = compute(catalogue, data_dir, store=store)
        assert again == vintage
        assert store.vintages().num_rows == 1
        stored = pl.from_arrow(store.values(vintage))
        assert len(stored) == len(values)
        assert {m.id for m in store.indicators()} == {ind.id for ind in catalogue}
        inputs = store.vintages()["inputs"][0].as_py()
        assert "deaths.parquet" in inputs
    assert ("counts", len(catalogue), len(catalogue)) in stages
    assert stages[-1] == ("store", 1, 1)


def test_interrupted_run_leaves_no_vintage_and_rerun_completes(catalogue, data_dir, tmp_path):
    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "statistics" and done == 2:
            raise KeyboardInterrupt

    with Store.open(tmp_path / "hg.duckdb") as store:
        with pytest.raises(KeyboardInterrupt):
            compute(catalogue, data_dir, store=store, progress=interrupt)
        assert store.vintages().num_rows == 0
        vintage = compute(catalogue, data_dir, store=store)
        assert store.vintages()["id"].to_pylist() == [vintage]


def test_group_numbers_survive_hash_collisions(catalogue, data_dir):
    """Groups are found through a hash of their keys; colliding hashes fall back to the keys."""
    from healthgap.engine import statistics

    counts = compute_counts(catalogue, data_dir)["smr_all_causes"].drop(GROUP)
    groups, rows = statistics._numbered(counts)
    # every hash the same: all groups collide
    groups_c, rows_c = statistics._numbered(counts, key_hash=pl.lit(7, pl.UInt64))
    assert groups_c.equals(groups)
    assert rows_c.equals(rows)
    assert groups["_g"].to_list() == list(range(len(groups)))
    assert groups.drop("_g").equals(
        counts.select(groups.drop("_g").columns).unique().sort(groups.drop("_g").columns)
    )
    # each row kept its own group's keys
    back = rows.join(groups, on="_g").select(counts.columns).sort(counts.columns)
    assert back.equals(counts.sort(counts.columns))


def test_rollup_group_numbers_number_groups_as_their_keys(catalogue, data_dir):
    """The roll-up's sorted rows and group numbers give the numbering of the hashed keys."""
    from healthgap.engine import statistics

    for indicator_id, counts in compute_counts(catalogue, data_dir).items():
        if counts.is_empty():
            continue
        assert counts[GROUP].null_count() == 0
        groups, rows = statistics._numbered(counts)
        hashed_groups, hashed_rows = statistics._numbered(counts.drop(GROUP))
        assert groups.equals(hashed_groups), indicator_id
        assert rows.equals(hashed_rows), indicator_id


def test_unsorted_counts_are_numbered_by_their_keys(catalogue, data_dir):
    from healthgap.engine import statistics

    counts = compute_counts(catalogue, data_dir)["smr_all_causes"]
    shuffled = counts.sample(fraction=1.0, shuffle=True, seed=3)
    groups, rows = statistics._numbered(shuffled)
    assert groups.equals(statistics._numbered(counts)[0])
    assert rows.equals(statistics._numbered(counts)[1])


MORE_METHODS = """
indicators:
  - id: isr_all_causes
    name: Indirectly standardised mortality rate, all causes
    method: israte
    multiplier: 100000
    reference: england
    numerator: {table: deaths}
    denominator: {table: population, value: population}
    geographies: [borough, england]
    breakdowns: [imd_decile_national]
  - id: sii_isr_all_causes
    name: Slope index of inequality in the indirectly standardised rate
    method: inequality
    summary: {of: isr_all_causes, breakdown: imd_decile_national, repetitions: 1000}
    geographies: [borough, england]
"""


def test_every_methods_numbers_are_pinned_by_the_vintage_id(tmp_path, monkeypatch):
    """The vintage id hashes every value, limit, count and note of every method.

    The test catalogue with an ISR and an inequality summary added runs all twelve methods;
    the id was computed before the method table became one row per method (issue #18), so
    a change in what any method computes fails here. The data are tables in memory (no
    file hashes) and the code version is fixed, so the id depends on the numbers alone.
    """
    import shutil

    import healthgap.store.store as store_module
    from healthgap.catalogue import METHODS, load_catalogue

    from .conftest import CATALOGUE, TABLES

    monkeypatch.setattr(store_module, "__version__", "pinned")
    folder = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, folder)
    (folder / "more_methods.yaml").write_text(MORE_METHODS, encoding="utf-8")
    catalogue = load_catalogue(folder)
    assert {ind.method for ind in catalogue} == set(METHODS)
    with Store.open(tmp_path / "hg.duckdb") as store:
        vintage = compute(catalogue, {name: make() for name, make in TABLES.items()}, store=store)
    assert vintage == PINNED
