"""Reading catalogue files: the test catalogue loads; each kind of mistake names file and field."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from healthgap.catalogue import Catalogue, Indicator, IndicatorMeta, load_catalogue
from healthgap.errors import InputError

TEST_CATALOGUE = Path(__file__).parents[1] / "engine" / "catalogue"

GOOD = """
id: lbw
name: Low birth weight
method: proportion
multiplier: 100
numerator:
  table: births
  age: null
  filter: {where: [{column: birth_weight_g, op: "<", value: 2500}]}
denominator: {table: births, age: null}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_test_catalogue_loads(tmp_path):
    catalogue = load_catalogue(TEST_CATALOGUE)
    assert isinstance(catalogue, Catalogue)
    assert {ind.method for ind in catalogue} == {"rate", "dsr", "isratio", "proportion",
                                                 "life_expectancy"}
    assert catalogue.geography.level_names == ("lsoa", "borough", "england")
    suicide = catalogue["suicide_rate"]
    assert suicide.numerator.filter.icd10 == "X60-X84, Y10-Y34"
    assert suicide.periods.pooled == (1, 3)
    meta = suicide.meta()
    assert type(meta) is IndicatorMeta
    assert meta.polarity == "low_is_good"
    assert [m.id for m in catalogue.metas()] == [ind.id for ind in catalogue]
    with pytest.raises(KeyError):
        catalogue["nope"]


def test_one_file_with_one_indicator(tmp_path):
    catalogue = load_catalogue(_write(tmp_path, "lbw.yaml", GOOD))
    assert len(catalogue) == 1
    assert isinstance(catalogue["lbw"], Indicator)


MISTAKES = [
    # (what is wrong, replacement in GOOD, expected message parts)
    ("unknown method", ("method: proportion", "method: proportions"),
     ["field (top level): method must be one of ['proportion', 'rate', 'dsr'",
      "got 'proportions'"]),
    ("misspelt field", ("numerator:", "numerater: {table: x}\nnumerator:"),
     ["field numerater: unknown field (check the spelling)"]),
    ("bad operator", ('op: "<"', 'op: "<<"'),
     ["field numerator.filter.where[0].op: Input should be '==', '!=', '<'", "got '<<'"]),
    ("bad ICD-10 range", ("filter: {", 'filter: {icd10: "X60-84", '),
     ["field numerator.filter.icd10: ICD-10 code or range 'X60-84' is not valid",
      "'C34', 'C34.1'"]),
    ("backwards ICD-10 range", ("filter: {", 'filter: {icd10: "X84-X60", '),
     ["ICD-10 range 'X84-X60' runs backwards"]),
    ("age range backwards", ("filter: {", "filter: {age: [75, 10], "),
     ["field numerator.filter.age: age must be [min, max] with 0 <= min <= max; got [75, 10]"]),
    ("people without id", ("  age: null\n  filter", "  age: null\n  count: people\n  filter"),
     ["field numerator: count: people needs person_id"]),
    ("bad polarity", ("multiplier: 100", "multiplier: 100\npolarity: good"),
     ["field polarity: Input should be 'low_is_good', 'high_is_good' or 'no_judgement'",
      "got 'good'"]),
    ("negative multiplier", ("multiplier: 100", "multiplier: -1"),
     ["multiplier must be > 0; got -1"]),
    ("no denominator", ("denominator: {table: births, age: null}", ""),
     ["method 'proportion' needs a denominator"]),
    ("bad pooled length", ("multiplier: 100", "multiplier: 100\nperiods: {pooled: [4]}"),
     ["field periods.pooled[0]: Input should be 1, 2, 3 or 5", "got 4"]),
    ("between needs two", ('op: "<", value: 2500', "op: between, value: [1]"),
     ["op 'between' needs a list [low, high]; got [1]"]),
    ("dsr without age", ("method: proportion", "method: dsr"),
     ["method 'dsr' needs an age column in table 'births'"]),
    ("age filter without age column", ("filter: {", "filter: {age: [0, 74], "),
     ["field numerator: filter.age needs an age column (age is null)"]),
    ("bad id", ("id: lbw", "id: low birth weight"),
     ["field id: String should match pattern"]),
]


@pytest.mark.parametrize(("what", "change", "expected"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_names_file_field_and_allowed(tmp_path, what, change, expected):
    old, new = change
    assert old in GOOD, what
    path = _write(tmp_path, "lbw.yaml", GOOD.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        load_catalogue(tmp_path)
    message = str(info.value)
    assert message.startswith(f"catalogue file {path}: indicator "), message
    for part in expected:
        assert part in message, (part, message)


def test_set_file_errors_name_the_position_and_id(tmp_path):
    text = "indicators:\n" + textwrap.indent(GOOD.strip(), "  ").replace("  id:", "- id:", 1)
    text = text.replace("table: births\n", "table: births\n    sex: 3\n", 1)
    path = _write(tmp_path, "set.yaml", text)
    with pytest.raises(InputError, match=re.escape(
            f"catalogue file {path}: indicators[0] (id 'lbw'): field numerator.sex: "
            "Input should be a valid string")):
        load_catalogue(path)


GEOGRAPHY = """
geography:
  levels: {lsoa: lsoa_code, borough: borough_code}
  national: {england: E92000001}
  breakdowns:
    imd: {column: imd_decile_national, category_type: IMD decile}
"""


def test_geography_references_are_checked(tmp_path):
    _write(tmp_path, "a_geo.yaml", GEOGRAPHY)
    path = _write(tmp_path, "b.yaml", GOOD + "geographies: [lsoa, ward]\n")
    with pytest.raises(InputError, match=re.escape(
            f"catalogue file {path}: indicator 'lbw': geographies: 'ward' is not a level of "
            "the catalogue's geography; allowed: ['lsoa', 'borough', 'england']")):
        load_catalogue(tmp_path)
    path.write_text(GOOD + "breakdowns: [ethnicity]\n")
    with pytest.raises(InputError, match=r"breakdowns: 'ethnicity' is not defined in "
                                         r"geography.breakdowns; allowed: \['imd'\]"):
        load_catalogue(tmp_path)
    path.write_text(GOOD + "breakdowns: [imd]\ngeographies: [lsoa, england]\n")
    assert load_catalogue(tmp_path)["lbw"].breakdowns == ("imd",)


def test_geography_errors_and_duplicates(tmp_path):
    _write(tmp_path, "a_geo.yaml", GEOGRAPHY.replace("column:", "col:"))
    with pytest.raises(InputError, match=r"a_geo.yaml: geography: .*field "
                                         r"breakdowns.imd.col: unknown field"):
        load_catalogue(tmp_path)
    _write(tmp_path, "a_geo.yaml", GEOGRAPHY)
    _write(tmp_path, "b_geo.yaml", GEOGRAPHY)
    with pytest.raises(InputError, match=r"b_geo\.yaml: field geography: defined again"):
        load_catalogue(tmp_path)
    (tmp_path / "b_geo.yaml").unlink()
    _write(tmp_path, "c.yaml", GOOD)
    _write(tmp_path, "d.yaml", GOOD)
    with pytest.raises(InputError, match=r"d.yaml: field id: indicator 'lbw' is already "
                                         r"defined in .*c.yaml"):
        load_catalogue(tmp_path)


def test_file_level_mistakes(tmp_path):
    with pytest.raises(InputError, match=r"catalogue .*nope not found"):
        load_catalogue(tmp_path / "nope")
    with pytest.raises(InputError, match=r"has no \*\.yaml or \*\.yml files"):
        load_catalogue(tmp_path)
    path = _write(tmp_path, "x.yaml", "indicators: [\n")
    with pytest.raises(InputError, match=f"catalogue file {re.escape(str(path))}: not valid YAML"):
        load_catalogue(path)
    path.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="expected a mapping with 'indicators'"):
        load_catalogue(path)
    path.write_text("indicator: []\n")
    with pytest.raises(InputError, match=r"unknown top-level fields \['indicator'\]"):
        load_catalogue(path)
