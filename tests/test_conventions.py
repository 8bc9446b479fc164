"""Shared conventions: period labels (scalar and Polars forms agree), limits, polarity."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthgap._conventions import (
    LEVELS,
    LIMIT_PAIRS,
    LIMITS,
    period_label,
    period_label_expr,
    polarity_of_direction,
)
from healthgap.store.schema import VALUES


@pytest.mark.parametrize(
    ("start", "years", "period_type", "label"),
    [
        # as Fingertips writes periods (the forms healthgap.sources._periods reads back)
        (2021, 1, "calendar", "2021"),
        (2019, 3, "calendar", "2019 - 21"),
        (1998, 3, "calendar", "1998 - 00"),
        (2021, 1, "financial", "2021/22"),
        (1999, 1, "financial", "1999/00"),
        (2019, 3, "financial", "2019/20 - 21/22"),
        (2020, 2, "academic", "2020/21 - 21/22"),
    ],
)
def test_period_labels(start, years, period_type, label):
    assert period_label(start, years, period_type) == label
    frame = pl.DataFrame({"period_start": [start], "period_years": [years]})
    assert frame.select(period_label_expr(period_type=period_type)).item() == label


@given(
    st.lists(st.tuples(st.integers(1900, 2100), st.integers(1, 10)), min_size=1, max_size=30),
    st.sampled_from(["calendar", "financial", "academic"]),
)
def test_polars_form_equals_the_scalar_form(periods, period_type):
    frame = pl.DataFrame(periods, schema={"s": pl.Int32, "y": pl.Int16}, orient="row")
    got = frame.select(period_label_expr("s", pl.col("y"), period_type))["period"].to_list()
    assert got == [period_label(s, y, period_type) for s, y in periods]


def test_limits_are_the_stores_columns_in_its_order():
    names = VALUES.names
    assert [names.index(c) for c in LIMITS] == sorted(names.index(c) for c in LIMITS)
    assert ((LIMITS[0], LIMITS[1]), (LIMITS[2], LIMITS[3])) == LIMIT_PAIRS
    assert LEVELS == (0.95, 0.998)
    for level, (lower, upper) in zip(LEVELS, LIMIT_PAIRS, strict=True):
        digits = f"{100 * level:.1f}".replace(".", "_")
        assert (lower, upper) == (f"lower{digits}cl", f"upper{digits}cl")


def test_polarity_of_a_target_direction():
    assert polarity_of_direction("at_least") == "high_is_good"
    assert polarity_of_direction("at_most") == "low_is_good"
    assert polarity_of_direction("milestones") == "no_judgement"
