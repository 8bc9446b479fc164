"""DuckDB and Spark give identical counts and identical indicators on the test catalogue."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from healthgap.engine import compute_counts, values_from_counts
from healthgap.engine._backends import connect, name
from healthgap.engine.rollup import MEASURES


def test_duckdb_is_the_default():
    assert name(connect()) == "duckdb"


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_equals_duckdb_on_every_test_indicator(spark, catalogue, data_dir):
    duck = compute_counts(catalogue, data_dir, backend="duckdb")
    sparked = compute_counts(catalogue, data_dir, backend=spark)
    assert set(duck) == {ind.id for ind in catalogue}
    for indicator_id, frame in duck.items():
        if catalogue[indicator_id].method == "ratio":  # divides two indicators' values
            assert frame.is_empty()
            continue
        assert len(frame) > 0, indicator_id
        keys = [c for c in frame.columns if c not in MEASURES]
        assert_frame_equal(sparked[indicator_id].sort(keys), frame.sort(keys), check_exact=True)

    ours = pl.from_arrow(values_from_counts(catalogue, duck))
    theirs = pl.from_arrow(values_from_counts(catalogue, sparked))
    assert set(ours["indicator_id"]) == {ind.id for ind in catalogue}
    assert_frame_equal(theirs, ours, check_exact=True)
