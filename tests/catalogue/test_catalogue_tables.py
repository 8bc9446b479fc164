"""A catalogue names tables in the data folder, never paths leading out of it (issue #14)."""

from __future__ import annotations

import textwrap

import pytest
from pydantic import ValidationError

from healthgap.catalogue import Catalogue, Indicator, load_catalogue
from healthgap.catalogue.indicator import Geography
from healthgap.errors import InputError

INDICATOR = """
id: lbw
name: Low birth weight
method: proportion
numerator:
  table: {numerator}
  age: null
denominator: {{table: {denominator}, age: null}}
"""
ESCAPES = [
    "'../../elsewhere/births'",
    "../births",
    "/etc/passwd",
    "sub/births",
    "'..\\\\births'",
    "'C:births'",
    "..",
    ".hidden",
    "'~/births'",
    "''",
    "'births\\0'",
]


def write(folder, text):
    path = folder / "ind.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize("table", ESCAPES)
@pytest.mark.parametrize("side", ["numerator", "denominator"])
def test_a_table_that_is_a_path_is_refused_naming_file_and_field(tmp_path, table, side):
    names = {"numerator": "births", "denominator": "births", side: table}
    path = write(tmp_path, INDICATOR.format(**names))
    with pytest.raises(InputError, match=rf"{path}: indicator 'lbw': {side}.table: .* is not a "):
        load_catalogue(path)


@pytest.mark.parametrize("table", ["births", "births_2021", "hes-apc", "deaths.v2", "décès", "'2'"])
def test_plain_names_load(tmp_path, table):
    path = write(tmp_path, INDICATOR.format(numerator=table, denominator=table))
    assert load_catalogue(path)["lbw"].numerator.table == table.strip("'")


def test_the_lookup_and_prevalence_tables_are_checked(tmp_path):
    path = tmp_path / "geo.yaml"
    path.write_text("geography:\n  lookup: ../lookup\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"geo.yaml: geography.lookup: '../lookup' is not a"):
        load_catalogue(path)
    hle = {
        "id": "hle",
        "name": "Healthy life expectancy",
        "method": "healthy_life_expectancy",
        "numerator": {"table": "deaths"},
        "denominator": {"table": "population", "value": "population"},
        "prevalence": {
            "numerator": {"table": "survey"},
            "denominator": {"table": "/data/survey"},
        },
    }
    with pytest.raises(ValidationError, match=r"prevalence.denominator.table: '/data/survey'"):
        Catalogue(indicators=(Indicator.model_validate(hle),))
    with pytest.raises(ValidationError, match=r"geography.lookup"):
        Catalogue(geography=Geography(lookup="../x"))
