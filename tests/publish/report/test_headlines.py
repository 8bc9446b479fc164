"""Key messages say whether a gap widened or narrowed by its size, not its sign."""

import pytest

from healthgap.publish.report._headlines import _change


def _row(value, lower, upper):
    return {"value": value, "lower95_0cl": lower, "upper95_0cl": upper}


@pytest.mark.parametrize(
    ("first", "last", "said"),
    [
        (_row(5.0, 4.0, 6.0), _row(9.0, 8.0, 10.0), "wider than in"),
        (_row(9.0, 8.0, 10.0), _row(5.0, 4.0, 6.0), "narrower than in"),
        # negative slope indices: moving towards zero is narrowing, away from it widening
        (_row(-41.0, -44.0, -38.0), _row(-17.8, -20.9, -14.7), "narrower than in"),
        (_row(-17.8, -20.9, -14.7), _row(-41.0, -44.0, -38.0), "wider than in"),
        (_row(5.7, 2.4, 9.1), _row(8.1, 5.0, 11.0), "not significantly different from"),
        (_row(-5.0, -6.0, -4.0), _row(5.0, 4.0, 6.0), "reversed in direction since"),
    ],
)
def test_change_by_size(first, last, said):
    assert _change(first, last) == said
