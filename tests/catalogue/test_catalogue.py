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
    assert {ind.method for ind in catalogue} == {
        "rate",
        "dsr",
        "isratio",
        "proportion",
        "life_expectancy",
        "mean",
        "healthy_life_expectancy",
        "ratio",
        "decompose_gap",
        "attributable_fraction",
    }
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
    (
        "unknown method",
        ("method: proportion", "method: proportions"),
        [
            "field (top level): method must be one of ['proportion', 'rate', 'mean', 'dsr'",
            "got 'proportions'",
        ],
    ),
    (
        "misspelt field",
        ("numerator:", "numerater: {table: x}\nnumerator:"),
        ["field numerater: unknown field (check the spelling)"],
    ),
    (
        "bad operator",
        ('op: "<"', 'op: "<<"'),
        ["field numerator.filter.where[0].op: Input should be '==', '!=', '<'", "got '<<'"],
    ),
    (
        "bad ICD-10 range",
        ("filter: {", 'filter: {icd10: "X60-84", '),
        [
            "field numerator.filter.icd10: ICD-10 code or range 'X60-84' is not valid",
            "'C34', 'C34.1'",
        ],
    ),
    (
        "backwards ICD-10 range",
        ("filter: {", 'filter: {icd10: "X84-X60", '),
        ["ICD-10 range 'X84-X60' runs backwards"],
    ),
    (
        "age range backwards",
        ("filter: {", "filter: {age: [75, 10], "),
        ["field numerator.filter.age: age must be [min, max] with 0 <= min <= max; got [75, 10]"],
    ),
    (
        "people without id",
        ("  age: null\n  filter", "  age: null\n  count: people\n  filter"),
        ["field numerator: count: people needs person_id"],
    ),
    (
        "bad polarity",
        ("multiplier: 100", "multiplier: 100\npolarity: good"),
        [
            "field polarity: Input should be 'low_is_good', 'high_is_good' or 'no_judgement'",
            "got 'good'",
        ],
    ),
    (
        "negative multiplier",
        ("multiplier: 100", "multiplier: -1"),
        ["multiplier must be > 0; got -1"],
    ),
    (
        "no denominator",
        ("denominator: {table: births, age: null}", ""),
        ["method 'proportion' needs a denominator"],
    ),
    (
        "bad pooled length",
        ("multiplier: 100", "multiplier: 100\nperiods: {pooled: [4]}"),
        ["field periods.pooled[0]: Input should be 1, 2, 3 or 5", "got 4"],
    ),
    (
        "between needs two",
        ('op: "<", value: 2500', "op: between, value: [1]"),
        ["op 'between' needs a list [low, high]; got [1]"],
    ),
    (
        "dsr without age",
        ("method: proportion", "method: dsr"),
        ["method 'dsr' needs an age column in table 'births'"],
    ),
    (
        "age filter without age column",
        ("filter: {", "filter: {age: [0, 74], "),
        ["field numerator: filter.age needs an age column (age is null)"],
    ),
    ("bad id", ("id: lbw", "id: low birth weight"), ["field id: String should match pattern"]),
]


def _assert_load_error(folder, prefix: str, expected) -> None:
    """Loading ``folder`` raises an InputError starting ``prefix`` and holding ``expected``."""
    with pytest.raises(InputError) as info:
        load_catalogue(folder)
    message = str(info.value)
    assert message.startswith(prefix), message
    for part in expected:
        assert part in message, (part, message)


@pytest.mark.parametrize(("what", "change", "expected"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_names_file_field_and_allowed(tmp_path, what, change, expected):
    old, new = change
    assert old in GOOD, what
    path = _write(tmp_path, "lbw.yaml", GOOD.replace(old, new, 1))
    _assert_load_error(tmp_path, f"catalogue file {path}: indicator ", expected)


def test_set_file_errors_name_the_position_and_id(tmp_path):
    text = "indicators:\n" + textwrap.indent(GOOD.strip(), "  ").replace("  id:", "- id:", 1)
    text = text.replace("table: births\n", "table: births\n    sex: 3\n", 1)
    path = _write(tmp_path, "set.yaml", text)
    with pytest.raises(
        InputError,
        match=re.escape(
            f"catalogue file {path}: indicators[0] (id 'lbw'): field numerator.sex: "
            "Input should be a valid string"
        ),
    ):
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
    with pytest.raises(
        InputError,
        match=re.escape(
            f"catalogue file {path}: indicator 'lbw': geographies: 'ward' is not a level of "
            "the catalogue's geography; allowed: ['lsoa', 'borough', 'england']"
        ),
    ):
        load_catalogue(tmp_path)
    path.write_text(GOOD + "breakdowns: [ethnicity]\n")
    with pytest.raises(
        InputError,
        match=r"breakdowns: 'ethnicity' is not defined in "
        r"geography.breakdowns; allowed: \['imd'\]",
    ):
        load_catalogue(tmp_path)
    path.write_text(GOOD + "breakdowns: [imd]\ngeographies: [lsoa, england]\n")
    assert load_catalogue(tmp_path)["lbw"].breakdowns == ("imd",)


def test_geography_errors_and_duplicates(tmp_path):
    _write(tmp_path, "a_geo.yaml", GEOGRAPHY.replace("column:", "col:"))
    with pytest.raises(
        InputError,
        match=r"a_geo.yaml: geography: .*field "
        r"breakdowns.imd.col: unknown field",
    ):
        load_catalogue(tmp_path)
    _write(tmp_path, "a_geo.yaml", GEOGRAPHY)
    _write(tmp_path, "b_geo.yaml", GEOGRAPHY)
    with pytest.raises(InputError, match=r"b_geo\.yaml: field geography: defined again"):
        load_catalogue(tmp_path)
    (tmp_path / "b_geo.yaml").unlink()
    _write(tmp_path, "c.yaml", GOOD)
    _write(tmp_path, "d.yaml", GOOD)
    with pytest.raises(
        InputError,
        match=r"d.yaml: field id: indicator 'lbw' is already "
        r"defined in .*c.yaml",
    ):
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


# --- the newer methods and breakdowns: means, healthy life expectancy, ratios, age groups, HEAT

AGE_GEOGRAPHY = """
geography:
  levels: {lsoa: lsoa_code, borough: borough_code}
  national: {england: E92000001}
  breakdowns:
    ethnic_group: {source: record, column: ethnic_group, category_type: Ethnic group}
    age: {source: age, category_type: Age group, bands: {"0-44": [0, 44], "45+": [45, null]}}
"""

MEAN = """
id: satisfaction
name: Mean life satisfaction
method: mean
numerator: {table: survey, value: life_satisfaction}
breakdowns: [ethnic_group]
"""

HLE = """
id: hle
name: Healthy life expectancy at birth
method: healthy_life_expectancy
numerator: {table: deaths}
denominator: {table: population, value: population}
prevalence:
  numerator: {table: survey, filter: {where: [{column: good_health, value: true}]}}
  denominator: {table: survey}
"""

DSR = """
id: mortality
name: Mortality by age group
method: dsr
multiplier: 100000
numerator: {table: deaths}
denominator: {table: population, value: population}
breakdowns: [age]
"""

SHARE = """
id: share
name: Share of low birth weight
method: ratio
multiplier: 100
ratio: {numerator: lbw, denominator: lbw}
"""

NEW_MISTAKES = [
    # (what is wrong, the indicator file's text, other indicator files ("---" between them)
    # or "", message parts)
    (
        "mean with a denominator",
        MEAN + "denominator: {table: survey}\n",
        "",
        ["field (top level): method 'mean' takes no denominator"],
    ),
    (
        "mean without numerator.value",
        MEAN.replace(", value: life_satisfaction", ""),
        "",
        ["method 'mean' needs numerator.value (the column averaged)"],
    ),
    (
        "healthy life expectancy without prevalence",
        HLE.split("prevalence:")[0],
        "",
        ["field (top level): method 'healthy_life_expectancy' needs prevalence"],
    ),
    (
        "prevalence on another method",
        HLE.replace("healthy_life_expectancy", "life_expectancy"),
        "",
        ["prevalence is only for that method"],
    ),
    (
        "ratio with a numerator table",
        SHARE + "numerator: {table: births}\n",
        GOOD,
        ["field (top level): method 'ratio' takes no numerator or denominator tables"],
    ),
    (
        "ratio without ratio",
        SHARE.replace("ratio: {numerator: lbw, denominator: lbw}", ""),
        GOOD,
        ["method 'ratio' needs ratio (numerator and denominator ids)"],
    ),
    (
        "ratio naming an unknown indicator",
        SHARE.replace("numerator: lbw", "numerator: nope"),
        GOOD,
        ["ratio.numerator: 'nope' is not an indicator of the catalogue"],
    ),
    (
        "ratio of a ratio",
        SHARE.replace("id: share", "id: share_of_share").replace(
            "numerator: lbw", "numerator: share"
        ),
        GOOD + "---" + SHARE,
        ["ratio.numerator: 'share' is itself a ratio"],
    ),
    (
        "age breakdown on life expectancy",
        HLE.split("prevalence:")[0].replace("healthy_life_expectancy", "life_expectancy")
        + "breakdowns: [age]\n",
        "",
        ["breakdowns: 'age' groups ages, which method 'life_expectancy' cannot be broken down by"],
    ),
    (
        "age-group DSR with bands not multiples of 5",
        DSR,
        "",
        [
            "breakdowns: 'age': method 'dsr' standardises over five-year bands",
            "got {'0-17': (0, 17), '18+': (18, None)}",
        ],
    ),
    (
        "unknown HEAT measure",
        MEAN + "inequality: [{breakdown: ethnic_group, ordered: false, measures: [d, gini]}]\n",
        "",
        [
            "field inequality[0].measures: measures must be some of ['sii', 'rii', 'd'",
            "got ['d', 'gini']",
        ],
    ),
    (
        "sii over non-ordered categories",
        MEAN + "inequality: [{breakdown: ethnic_group, ordered: false, measures: [sii]}]\n",
        "",
        ["field inequality[0]: measures ['sii'] need ordered categories (ordered: true)"],
    ),
    (
        "HEAT over a breakdown the indicator lacks",
        MEAN + "inequality: [{breakdown: age, ordered: false, measures: [d]}]\n",
        "",
        ["inequality breakdown 'age' is not one of breakdowns ['ethnic_group']"],
    ),
]


@pytest.mark.parametrize(
    ("what", "text", "other", "expected"),
    NEW_MISTAKES,
    ids=[m[0] if isinstance(m, tuple) else m.id for m in NEW_MISTAKES],
)
def test_new_method_mistakes_name_file_field_and_allowed(tmp_path, what, text, other, expected):
    geography = AGE_GEOGRAPHY
    if "not multiples of 5" in what:
        geography = geography.replace(
            '{"0-44": [0, 44], "45+": [45, null]}', '{"0-17": [0, 17], "18+": [18, null]}'
        )
    _write(tmp_path, "a_geo.yaml", geography)
    for i, extra in enumerate(other.split("---") if other else []):
        _write(tmp_path, f"b{i}.yaml", extra)
    path = _write(tmp_path, "c.yaml", text)
    _assert_load_error(tmp_path, f"catalogue file {path}: indicator ", expected)


GEOGRAPHY_MISTAKES = [
    (
        "overlapping age bands",
        '{"0-44": [0, 44], "40-64": [40, 64]}',
        ["field breakdowns.age: age bands overlap: [0, 44] and one from 40"],
    ),
    (
        "open band before another",
        '{"0-44": [0, null], "45+": [45, null]}',
        ["field breakdowns.age: age bands overlap: [0, None] and one from 45"],
    ),
    (
        "age band backwards",
        '{"young": [20, 10]}',
        ["age band 'young' must be [min, max] with 0 <= min <= max; got [20, 10]"],
    ),
    (
        "source age without bands",
        "{}",
        ["field breakdowns.age: source: age needs bands (label -> [min, max] years)"],
    ),
]


@pytest.mark.parametrize(
    ("what", "bands", "expected"), GEOGRAPHY_MISTAKES, ids=[m[0] for m in GEOGRAPHY_MISTAKES]
)
def test_age_group_mistakes_name_file_and_field(tmp_path, what, bands, expected):
    text = AGE_GEOGRAPHY.replace('{"0-44": [0, 44], "45+": [45, null]}', bands)
    assert text != AGE_GEOGRAPHY, what
    path = _write(tmp_path, "a_geo.yaml", text)
    _write(tmp_path, "b.yaml", GOOD)
    _assert_load_error(tmp_path, f"catalogue file {path}: geography: ", expected)


def test_new_methods_load(tmp_path):
    _write(tmp_path, "a_geo.yaml", AGE_GEOGRAPHY)
    _write(tmp_path, "b.yaml", GOOD)
    _write(
        tmp_path,
        "c.yaml",
        MEAN + "inequality: [{breakdown: ethnic_group, ordered: false, measures: [d, r, bgv]}]\n",
    )
    _write(tmp_path, "d.yaml", HLE)
    _write(tmp_path, "e.yaml", DSR)
    _write(tmp_path, "f.yaml", SHARE)
    catalogue = load_catalogue(tmp_path)
    assert catalogue["satisfaction"].inequality[0].measures == ("d", "r", "bgv")
    assert catalogue["share"].ratio.numerator == "lbw"
    assert catalogue.geography.breakdowns["age"].bands == {"0-44": (0, 44), "45+": (45, None)}


def test_a_strategy_folder_stands_for_its_indicators_folder():
    from healthgap.london import STRATEGY_DIR

    whole, indicators = load_catalogue(STRATEGY_DIR), load_catalogue(STRATEGY_DIR / "indicators")
    assert [i.id for i in whole] == [i.id for i in indicators]
    assert whole.geography == indicators.geography


def test_a_folder_without_a_strategy_reads_its_own_files(tmp_path):
    _write(tmp_path, "lbw.yaml", GOOD)
    (tmp_path / "indicators").mkdir()  # just a subfolder: not a strategy's indicators
    assert [i.id for i in load_catalogue(tmp_path)] == ["lbw"]
