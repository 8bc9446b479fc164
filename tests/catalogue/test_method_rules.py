"""The catalogue's rules of each method: what a definition must give, read by the validators."""

from __future__ import annotations

import pytest

from healthgap.catalogue import METHODS, Indicator
from healthgap.catalogue.indicator import AGE_BANDED, FROM_VALUES
from healthgap.catalogue.method_rules import EXCLUSIVE_FIELDS, RULES, MethodRules


def test_method_lists_derive_from_the_rules():
    assert tuple(RULES) == METHODS
    assert FROM_VALUES == ("ratio", "inequality")
    assert AGE_BANDED == (
        "dsr",
        "israte",
        "isratio",
        "life_expectancy",
        "healthy_life_expectancy",
        "decompose_gap",
    )


def test_each_exclusive_field_belongs_to_one_method():
    owners = {
        field: [m for m, r in RULES.items() if r.field == field] for field in EXCLUSIVE_FIELDS
    }
    assert all(len(names) == 1 for names in owners.values()), owners
    assert {r.field for r in RULES.values()} - {None} == set(EXCLUSIVE_FIELDS)


def test_validation_reads_the_rules(monkeypatch):
    """A method known only by a row of RULES is validated by that row."""
    base = {
        "id": "x",
        "name": "X",
        "numerator": {"table": "deaths"},
        "denominator": {"table": "population", "value": "population"},
    }
    with pytest.raises(ValueError, match="method must be one of"):
        Indicator.model_validate({**base, "method": "banded_share"})
    monkeypatch.setitem(RULES, "banded_share", MethodRules(age_bands=True))
    with pytest.raises(ValueError, match="'banded_share' needs an age column in table 'deaths'"):
        Indicator.model_validate(
            {**base, "method": "banded_share", "numerator": {"table": "deaths", "age": None}}
        )
    assert Indicator.model_validate({**base, "method": "banded_share"}).method == "banded_share"
