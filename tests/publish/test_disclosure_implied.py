"""Rows published with a value and limits but no count are judged by the count they imply."""

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthgap import _limits
from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.publish._disclosure_implied import implied_counts
from healthgap.publish._published import limit_method
from healthgap.publish.disclosure import apply_disclosure


def _rows(values, lows, highs, indicator="x") -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame(
        {
            "indicator_id": [indicator] * n,
            "area_code": [f"E0900000{i + 1}" for i in range(n)],
            "period": ["2021"] * n,
            "sex": ["Persons"] * n,
            "age": ["All ages"] * n,
            "category_type": [""] * n,
            "category": [""] * n,
            "value": values,
            "lower95_0cl": lows,
            "upper95_0cl": highs,
            "count": [None] * n,
            "value_note": [None] * n,
        },
        schema_overrides={"count": pl.Float64, "value_note": pl.String},
    )


@given(st.integers(1, 5000), st.floats(1e2, 1e6))
def test_a_crude_rate_gives_back_its_count(count, population):
    # rate per 100,000 with exact (below 10) or Byar's limits, as healthgap's rate computes
    lo, hi = _limits.poisson_count(np.array([float(count)]), 0.95)
    scale = 1e5 / population
    frame = _rows([count * scale], [lo[0] * scale], [hi[0] * scale])
    implied = implied_counts(frame, {"x": "poisson"}, {})
    assert implied[0] == pytest.approx(count, rel=0.01, abs=0.05)


def test_the_published_child_injury_admissions_give_back_their_counts():
    # OHID Fingertips 90284 (hospital admissions for injuries in children 0-14, 2023/24),
    # crude rates per 10,000 with Byar's limits; the published counts are 135 and 145
    frame = _rows([70.64, 54.456], [58.2683, 45.9527], [82.4766, 64.0762])
    implied = implied_counts(frame, {"x": "poisson"}, {})
    np.testing.assert_allclose(implied, [135, 145], rtol=0.02)  # limits published to 4 dp


def test_wilson_limits_give_back_numerator_and_denominator_on_any_scale():
    # cancers diagnosed at stage 1 or 2, City of London 2016, as published by OHID/NDRS:
    # 29.62963% (8 of 27), Wilson 95% limits 15.85% to 48.48% (Newcombe 1998, method 3)
    lo, hi = _limits.wilson(np.array([8.0]), np.array([27.0]), 0.95)
    for scale in (1.0, 100.0, 1000.0):
        frame = _rows([8 / 27 * scale], [lo[0] * scale], [hi[0] * scale])
        assert implied_counts(frame, {"x": "wilson"}, {})[0] == pytest.approx(8, abs=1e-6)
    zero_lo, zero_hi = _limits.wilson(np.array([0.0]), np.array([40.0]), 0.95)
    frame = _rows([0.0], [zero_lo[0]], [zero_hi[0]])
    assert implied_counts(frame, {"x": "wilson"}, {})[0] == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(500, 20000), st.floats(0.01, 1)),
        min_size=2,
        max_size=8,
    )
)
def test_a_dsr_implies_no_more_than_its_true_count(bands):
    # Dobson's limits: v + sqrt(V / O) (O_L - O); v^2 <= V O makes the implied count an
    # effective count no larger than O, so a small O is always caught
    counts = np.array([b[0] for b in bands], float)
    people = np.array([b[1] for b in bands], float)
    weights = np.array([b[2] for b in bands])
    total = counts.sum()
    if total == 0:
        return
    value = (weights * counts / people).sum() / weights.sum()
    variance = ((weights / weights.sum()) ** 2 * counts / people**2).sum()
    lo, hi = _limits.poisson_count(np.array([total]), 0.95)
    spread = np.sqrt(variance / total)
    frame = _rows([value], [value + spread * (lo[0] - total)], [value + spread * (hi[0] - total)])
    assert implied_counts(frame, {"x": "poisson"}, {})[0] <= total * 1.01 + 0.05


def test_rows_without_a_count_are_withheld_when_their_limits_imply_a_small_one():
    lo, hi = _limits.poisson_count(np.array([3.0, 40.0]), 0.95)
    frame = _rows([3.0, 40.0], list(lo), list(hi))
    out = apply_disclosure(frame, limit_methods={"x": "poisson"})
    assert out["value"].to_list() == [None, 40.0]
    assert out["lower95_0cl"].to_list()[0] is None
    assert out["value_note"].to_list()[0].startswith("Value suppressed")
    assert out["count"].to_list() == [None, None]  # no count is made up
    # life expectancy and other values whose limits do not come from a count: not judged
    assert apply_disclosure(frame)["value"].to_list() == [3.0, 40.0]


@pytest.mark.parametrize(
    ("method", "ci_method", "expected"),
    [
        ("dsr", "", "poisson"),
        ("isratio", "", "poisson"),
        ("proportion", "", "wilson"),
        ("life_expectancy", "Chiang II", None),
        ("published", "Wilson score 95% limits, as published", "wilson"),
        ("published", "Dobson 95% limits, as published", "poisson"),
        ("published", "95% limits as published", None),
        ("", "", None),
    ],
)
def test_which_indicators_are_judged_by_their_limits(method, ci_method, expected):
    meta = IndicatorMeta(id="x", name="x", method=method, ci_method=ci_method)
    assert limit_method(meta) == expected


def test_a_method_added_to_the_table_is_judged_by_its_row(monkeypatch):
    # issue #18: what disclosure control needs of a method is in its row, not in publish/
    import dataclasses

    from healthgap.catalogue import METHODS

    row = dataclasses.replace(METHODS["rate"], count_limits="wilson", count_from_value=False)
    monkeypatch.setitem(METHODS, "toy_rate", row)
    meta = IndicatorMeta(id="x", name="x", method="toy_rate", ci_method="")
    assert limit_method(meta) == "wilson"
    monkeypatch.setitem(METHODS, "toy_rate", dataclasses.replace(row, count_limits=None))
    assert limit_method(meta) is None
