"""One aggregation pass per table: batched counts equal one query per part, exactly."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from healthgap.catalogue import Catalogue, Indicator
from healthgap.engine import compute_counts
from healthgap.engine.counts import AgeGroups, count_expression, segment_bounds
from healthgap.engine.rollup import GROUP

compute_module = sys.modules["healthgap.engine.compute"]

METHOD_BANDS = {"rate": None, "dsr": "five", "life_expectancy": "life"}


def records(n: int = 3000, seed: int = 11) -> pa.Table:
    """Deaths with awkward values: null and negative ages, null areas, codes, weights."""
    rng = np.random.default_rng(seed)
    age = rng.integers(-8, 106, n).astype(np.int32)
    return pa.table(
        {
            "lsoa_code": pa.array(
                rng.choice(["E01000001", "E01000002", "E01000003"], n), mask=rng.random(n) < 0.02
            ),
            "year": rng.choice([2019, 2020, 2021], n).astype(np.int32),
            "sex": rng.choice(["Male", "Female"], n).tolist(),
            "age": pa.array(age, mask=rng.random(n) < 0.03),
            "icd10": rng.choice(["X60", "C34.1", "Y10.2", "I21.9"], n).tolist(),
            "weight": pa.array(
                rng.integers(1, 50, n).astype(np.float64), mask=rng.random(n) < 0.05
            ),
        }
    )


def indicator(catalogue: Catalogue, method: str, numerator: dict) -> Indicator:
    """The suicide indicator with another method and numerator (a denominator is required)."""
    base = catalogue["suicide_rate"].model_dump()
    extra = {"standard_population": "ESP2013"} if method == "dsr" else {}
    return Indicator.model_validate(
        {**base, **extra, "method": method, "numerator": {"table": "deaths", **numerator}}
    )


PARTS = [  # (method, numerator): age bands, age ranges on and off band edges, filters, sums
    ("rate", {}),
    ("rate", {"filter": {"age": [10, None]}}),
    ("rate", {"filter": {"age": [3, 12]}}),
    ("dsr", {"filter": {"age": [0, 74]}}),
    ("dsr", {"filter": {"icd10": "X60-X84, Y10-Y34", "age": [16, 64]}}),
    ("life_expectancy", {}),
    ("life_expectancy", {"filter": {"sex": "Male"}}),
    ("rate", {"value": "weight"}),
    ("dsr", {"value": "weight", "filter": {"age": [5, 90]}}),
]


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("kind", ["arrow", "polars"])
def test_batched_counts_equal_one_query_per_part(catalogue, kind):
    table = records()
    data = {"deaths": table if kind == "arrow" else pl.from_arrow(table)}
    runner = compute_module._Runner(data, "duckdb")
    inds = [indicator(catalogue, method, num) for method, num in PARTS]
    runner.prefetch([(ind.numerator, ind, []) for ind in inds])
    assert len(runner.cache) == len(PARTS)  # every part answered from the batches
    for ind in inds:
        batched = runner.counts(ind.numerator, ind, [])
        alone = pl.from_arrow(
            count_expression(
                runner.table("deaths"),
                ind.numerator,
                period_type="calendar",
                bands=METHOD_BANDS[ind.method],
            ).to_pyarrow()
        )
        assert batched.schema == alone.schema, ind.numerator
        assert _sorted(batched).equals(_sorted(alone)), ind.numerator
    assert runner.cache == {}  # each frame dropped after its last request


def test_float_ages_are_not_batched_and_still_count(catalogue):
    frame = records().to_pandas()  # null ages make the column float64 in pandas
    assert frame["age"].dtype == np.float64
    runner = compute_module._Runner({"deaths": frame}, "duckdb")
    inds = [indicator(catalogue, method, num) for method, num in PARTS[:4]]
    runner.prefetch([(ind.numerator, ind, []) for ind in inds])
    assert runner.cache == {}  # the parts needing ages are not batched; one part is left
    for ind in inds:
        alone = pl.from_arrow(
            count_expression(
                runner.table("deaths"),
                ind.numerator,
                period_type="calendar",
                bands=METHOD_BANDS[ind.method],
            ).to_pyarrow()
        )
        got = runner.counts(ind.numerator, ind, [])
        assert got["n"].sum() > 0
        assert _sorted(got).equals(_sorted(alone))


def test_record_breakdowns_are_batched(catalogue):
    runner = compute_module._Runner({"deaths": records()}, "duckdb")
    inds = [indicator(catalogue, method, num) for method, num in PARTS[:4]]
    runner.prefetch([(ind.numerator, ind, ["icd10"]) for ind in inds])
    assert len(runner.cache) == 4
    for ind in inds:
        alone = pl.from_arrow(
            count_expression(
                runner.table("deaths"),
                ind.numerator,
                period_type="calendar",
                bands=METHOD_BANDS[ind.method],
                record_breakdowns=["icd10"],
            ).to_pyarrow()
        )
        assert _sorted(runner.counts(ind.numerator, ind, ["icd10"])).equals(_sorted(alone))


def test_age_groups_come_from_the_segments_of_one_pass(catalogue):
    """Parts with and without age groups share a pass; each equals its own query."""
    groups = AgeGroups("age_group", (("0-17", 0, 17), ("18-64", 18, 64), ("65+", 65, None)))
    runner = compute_module._Runner({"deaths": records()}, "duckdb")
    inds = [indicator(catalogue, method, num) for method, num in PARTS[:4]]
    requests = [(ind.numerator, ind, [groups] if i % 2 else []) for i, ind in enumerate(inds)]
    batches = compute_module._batches(requests, runner.table)
    assert len(batches) == 1
    assert len(batches[0]) == len(inds)  # one pass answers all four
    runner.prefetch(requests)
    assert len(runner.cache) == len(inds)
    for part, ind, record in requests:
        alone = pl.from_arrow(
            count_expression(
                runner.table("deaths"),
                part,
                period_type="calendar",
                bands=METHOD_BANDS[ind.method],
                record_breakdowns=record,
            ).to_pyarrow()
        )
        got = runner.counts(part, ind, record)
        if record:  # every age group is there
            assert set(got["rb_age_group"].to_list()) >= {"0-17", "18-64", "65+"}
        assert _sorted(got).equals(_sorted(alone))


def test_test_catalogue_reads_each_shared_table_once(catalogue, data_dir):
    runner = compute_module._Runner(data_dir, "duckdb")
    requests = [(part, ind, []) for ind in catalogue for part in compute_module.sides(ind).values()]
    batches = compute_module._batches(requests, runner.table)
    tables = sorted(batch[0][0].table for batch in batches)
    # the survey: healthy life expectancy's two prevalence counts (the mean is not batched)
    assert tables == ["births", "child_measurements", "deaths", "population", "survey"]
    population = next(b for b in batches if b[0][0].table == "population")
    populations = [
        ind.id
        for ind in catalogue
        if ind.denominator is not None and ind.denominator.table == "population"
    ]
    assert len(populations) == 11
    assert len(population) == 11  # the eleven population variants share one pass


def test_segment_bounds_cover_bands_and_ranges(catalogue):
    inds = [indicator(catalogue, method, num) for method, num in PARTS]
    bounds = segment_bounds([(ind.numerator, METHOD_BANDS[ind.method]) for ind in inds])
    assert bounds == (
        0,
        1,
        3,
        5,
        10,
        13,
        15,
        16,
        20,
        25,
        30,
        35,
        40,
        45,
        50,
        55,
        60,
        65,
        70,
        75,
        80,
        85,
        90,
        91,
    )


def test_people_ignore_null_person_ids():
    import ibis

    frame = pd.DataFrame(
        {
            "lsoa_code": ["A"] * 5,
            "year": [2020] * 5,
            "sex": ["Male"] * 5,
            "pid": ["p1", "p1", "p2", None, None],
        }
    )
    from healthgap.catalogue.indicator import Numerator

    part = Numerator(table="t", count="people", person_id="pid", age=None)
    got = count_expression(ibis.memtable(frame), part, period_type="calendar", bands=None)
    assert got.to_pandas()["n"].tolist() == [2.0]


@pytest.mark.parametrize("levels", [["borough", "england"], ["lsoa", "borough", "england"]])
def test_larger_areas_same_with_or_without_small_areas(catalogue, data_dir, levels):
    """Summing each side to boroughs first (no small areas) gives the joined path's counts."""
    ind = catalogue["u75_mortality"]
    full = Indicator.model_validate(
        {**ind.model_dump(), "geographies": ["lsoa", "borough", "england"]}
    )
    mine = Indicator.model_validate({**ind.model_dump(), "geographies": levels})
    larger = ~pl.col("area_code").str.starts_with("E01")
    got = compute_counts(Catalogue(geography=catalogue.geography, indicators=(mine,)), data_dir)[
        ind.id
    ].filter(larger)
    ref = compute_counts(Catalogue(geography=catalogue.geography, indicators=(full,)), data_dir)[
        ind.id
    ].filter(larger)
    assert len(got) == len(ref) > 0
    # the group numbers are positions among one roll-up's groups: not compared
    assert _sorted(got.drop(GROUP)).equals(_sorted(ref.drop(GROUP)))
