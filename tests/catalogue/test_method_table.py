"""The table of methods: every fact of a method in one row, read by the catalogue's validation."""

from __future__ import annotations

import dataclasses

import pytest

import healthgap.methods
from healthgap.catalogue import METHODS, Indicator, Method
from healthgap.catalogue.method_table import EXCLUSIVE_FIELDS


def test_the_methods_in_the_order_error_messages_list_them():
    assert list(METHODS) == [
        "proportion",
        "rate",
        "mean",
        "dsr",
        "israte",
        "isratio",
        "life_expectancy",
        "healthy_life_expectancy",
        "decompose_gap",
        "attributable_fraction",
        "ratio",
        "inequality",
    ]
    assert [n for n, m in METHODS.items() if not m.counted] == ["ratio", "inequality"]
    assert [n for n, m in METHODS.items() if m.bands is not None] == [
        "dsr",
        "israte",
        "isratio",
        "life_expectancy",
        "healthy_life_expectancy",
        "decompose_gap",
    ]


@pytest.mark.parametrize("name", list(METHODS))
def test_each_row_is_consistent(name):
    method = METHODS[name]
    if method.counted:
        # a public function of healthgap.methods
        assert method.function is not None
        assert method.function is getattr(healthgap.methods, method.function.__name__)
        assert method.function.__name__ in healthgap.methods.__all__
    else:
        assert method.function is None
        assert method.multiplier_argument is None
    # standardising over five-year bands needs them counted; the life table's bands are whole
    assert not method.standardised or method.bands == "five"
    assert method.bands != "life" or method.age_groups == "none"
    assert (method.exposure_units is not None) == (method.field == "exposure")
    assert method.value_type in (0, 1, 2)


@pytest.mark.parametrize("name", [n for n, m in METHODS.items() if m.multiplier_argument])
def test_the_multiplier_argument_is_an_argument_of_the_function(name):
    import inspect

    method = METHODS[name]
    assert method.multiplier_argument in inspect.signature(method.function).parameters


def test_each_exclusive_field_belongs_to_one_method():
    owners = {
        field: [m for m, r in METHODS.items() if r.field == field] for field in EXCLUSIVE_FIELDS
    }
    assert all(len(names) == 1 for names in owners.values()), owners
    assert {r.field for r in METHODS.values()} - {None} == set(EXCLUSIVE_FIELDS)


def test_a_row_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        METHODS["rate"].bands = "five"  # type: ignore[misc]


BASE = {
    "id": "x",
    "name": "X",
    "numerator": {"table": "deaths"},
    "denominator": {"table": "population", "value": "population"},
}


def test_validation_reads_the_row(monkeypatch):
    """A method known only by its row is validated by that row."""
    with pytest.raises(ValueError, match="method must be one of"):
        Indicator.model_validate({**BASE, "method": "banded_share"})
    row = Method(healthgap.methods.proportion, "crude", bands="five")
    monkeypatch.setitem(METHODS, "banded_share", row)
    with pytest.raises(ValueError, match="'banded_share' needs an age column in table 'deaths'"):
        Indicator.model_validate(
            {**BASE, "method": "banded_share", "numerator": {"table": "deaths", "age": None}}
        )
    assert Indicator.model_validate({**BASE, "method": "banded_share"}).method == "banded_share"


def test_a_row_asking_for_a_reference_or_values_is_obeyed(monkeypatch):
    monkeypatch.setitem(METHODS, "ref", Method(None, "indirect", reference=True))
    with pytest.raises(ValueError, match="'ref' needs reference"):
        Indicator.model_validate({**BASE, "method": "ref"})
    monkeypatch.setitem(METHODS, "avg", Method(None, "mean", counts="values"))
    with pytest.raises(ValueError, match="'avg' takes no denominator"):
        Indicator.model_validate({**BASE, "method": "avg"})
