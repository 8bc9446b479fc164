import numpy as np
import pyarrow as pa
import pytest

from healthgap.methods import _frames


@pytest.mark.parametrize("values", [
    [5, -3, 5, 0, -3, 12],              # small range: direct addressing
    [10**12, 7, 10**12, -(10**9), 7],   # huge range: falls back to dictionary encoding
])
def test_integer_dense_ranks_match_sorted_distinct_values(values):
    ranks, count = _frames._dense_ranks(pa.array(values, pa.int64()))
    distinct = sorted(set(values))
    assert count == len(distinct)
    np.testing.assert_array_equal(ranks, [distinct.index(v) for v in values])


def test_integer_keys_with_nulls_sort_nulls_last():
    ranks, count = _frames._dense_ranks(pa.array([3, None, 1, 3], pa.int64()))
    assert count == 3
    np.testing.assert_array_equal(ranks, [1, 2, 0, 1])
