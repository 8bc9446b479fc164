import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthgap.methods import _aggregate


def _groups(ids):
    ids = np.asarray(ids, dtype=np.int64)
    return _aggregate.Groups(ids, int(ids.max()) + 1, None)


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-(10**6), 10**6)), min_size=1))
def test_integer_sums_equal_float_sums_in_row_order(rows):
    ids, values = (np.array(c) for c in zip(*rows, strict=True))
    g = _groups(ids)
    (ints,), (floats,) = _aggregate.sums(g, values), _aggregate.sums(g, values.astype(float))
    assert ints.dtype == floats.dtype == np.float64
    np.testing.assert_array_equal(ints, floats)
    np.testing.assert_array_equal(ints, np.bincount(ids, weights=values, minlength=g.count))


def test_integer_sums_are_exact_beyond_float_precision():
    # as floats, 2**53 + 1 rounds back to 2**53 twice; as integers the total is 2**53 + 2
    (total,) = _aggregate.sums(_groups([0, 0, 0]), np.array([2**53, 1, 1], np.int64))
    assert total[0] == 2**53 + 2


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_totals_too_wide_for_64_bits_fall_back_to_floats(dtype):
    values = np.array([2**62, 2**62, 2**62], dtype)  # the total, 3 * 2**62, overflows int64
    (total,) = _aggregate.sums(_groups([0, 0, 0]), values)
    assert total[0] == pytest.approx(3 * 2.0**62)


def test_nan_propagates_to_its_group_only():
    (total,) = _aggregate.sums(_groups([0, 1, 1]), np.array([1.0, np.nan, 2.0]))
    assert total[0] == 1
    assert np.isnan(total[1])


@pytest.mark.parametrize("dtype", [pl.Int8, pl.Int16, pl.UInt8, pl.UInt16, pl.UInt32])
def test_sums_of_narrow_integers_never_overflow(dtype):
    # issue #14: sums overflowing the input dtype gave a raw Polars InvalidOperationError
    from healthgap.methods import dsr, proportion, rate

    d = pl.DataFrame({"g": ["a"] * 400, "x": [100] * 400, "n": [120] * 400}).with_columns(
        pl.col("x", "n").cast(dtype)
    )
    out = proportion(d, "x", "n", group_by="g")
    assert out.row(0)[:3] == ("a", 40_000, 48_000)
    assert out.schema["x"] == (pl.UInt64 if dtype.is_unsigned_integer() else pl.Int64)
    assert rate(d, "x", "n", group_by="g")["x"][0] == 40_000
    assert dsr(d.head(19), "x", "n")["total_count"][0] == 1900


def test_uint32_counts_summing_past_their_range():
    # two UInt32 rows of 3e9 sum to 6e9 > 2**32: the summed count is a UInt64
    from healthgap.methods import rate

    d = pl.DataFrame({"x": [3_000_000_000, 3_000_000_000], "n": [4_000_000_000] * 2}).cast(
        pl.UInt32
    )
    out = rate(d, "x", "n", multiplier=1)
    assert out.row(0)[:3] == (6_000_000_000, 8_000_000_000, 0.75)
    assert out.schema["x"] == pl.UInt64
