"""The engine's table of methods: the catalogue's methods, each fully described, used alone."""

from __future__ import annotations

import ast
from pathlib import Path

import polars as pl
import pytest

import healthgap.engine
import healthgap.methods
from healthgap.catalogue import Catalogue, load_catalogue
from healthgap.catalogue.method_rules import RULES, MethodRules
from healthgap.engine import compute_values, runs
from healthgap.engine.method_table import METHODS, Method
from healthgap.methods import proportion

ENGINE = Path(healthgap.engine.__file__).parent


def test_the_table_has_the_catalogues_methods_in_its_order():
    assert list(METHODS) == list(RULES)


@pytest.mark.parametrize("name", list(METHODS))
def test_each_row_says_how_the_method_is_computed(name):
    method, rules = METHODS[name], RULES[name]
    assert method.counted == (rules.counts != "none")
    if method.counted:
        # a public function of healthgap.methods, fed by exactly one of the engine's ways
        assert method.function is getattr(healthgap.methods, method.function.__name__)
        assert method.function.__name__ in healthgap.methods.__all__
        assert (method.run is None) != (method.on_counts is None)
    else:
        assert method.function is None
        assert method.run is None
        assert method.on_counts is None
    # the engine's facts agree with what the catalogue asks of a definition
    assert (method.bands is not None) == rules.age_bands
    assert method.standardised == (rules.age_groups == "five_year")
    assert method.moments == (rules.counts == "values")
    assert (method.exposure_units is not None) == (rules.field == "exposure")
    assert method.value_type in (0, 1, 2)


def _method_name_tests(path: Path) -> list[str]:
    """Comparisons of ``<x>.method`` with text: ``ind.method == "dsr"``, ``in ("a", "b")``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        names = any(isinstance(s, ast.Attribute) and s.attr == "method" for s in sides)
        text = any(
            isinstance(s, ast.Constant | ast.Tuple | ast.List | ast.Set)
            and all(isinstance(c, ast.Constant) for c in getattr(s, "elts", [s]))
            for s in sides
        )
        if names and text:
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_engine_module_tests_a_methods_name():
    found = [hit for path in sorted(ENGINE.glob("*.py")) for hit in _method_name_tests(path)]
    assert found == []


def test_the_name_test_finder_finds_name_tests(tmp_path):
    code = tmp_path / "x.py"
    code.write_text('if ind.method == "mean" or ind.method in ("dsr", "rate"):\n    pass\n')
    assert _method_name_tests(code) == ["x.py:1", "x.py:1"]


LBW = """
geography:
  lookup: lsoa_lookup
  levels: {{lsoa: lsoa_code, borough: borough_code}}
indicators:
  - id: lbw
    name: Low birth weight
    method: {method}
    multiplier: 100
    numerator:
      table: births
      age: null
      filter: {{where: [{{column: birth_weight_g, op: "<", value: 2500}}]}}
    denominator: {{table: births, age: null}}
    geographies: [lsoa, borough]
"""


def _values(folder: Path, method: str, data_dir: Path) -> pl.DataFrame:
    (folder / "catalogue.yaml").write_text(LBW.format(method=method))
    catalogue = load_catalogue(folder / "catalogue.yaml")
    assert isinstance(catalogue, Catalogue)
    out = pl.from_arrow(compute_values(catalogue, data_dir))
    assert isinstance(out, pl.DataFrame)
    return out


def test_a_new_method_is_one_row_in_each_table(tmp_path, monkeypatch, data_dir):
    """A method added by a row of the catalogue's rules and one of the engine's table only.

    'share' computes proportions as 'proportion' does; nothing else is told of it.
    """
    monkeypatch.setitem(RULES, "share", MethodRules())
    monkeypatch.setitem(METHODS, "share", Method(proportion, runs.crude, value_type=2))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    share = _values(tmp_path / "a", "share", data_dir)
    assert len(share) > 0
    assert share.equals(_values(tmp_path / "b", "proportion", data_dir))


def test_an_unknown_method_is_refused_by_the_catalogue(tmp_path):
    from healthgap.errors import InputError

    (tmp_path / "catalogue.yaml").write_text(LBW.format(method="share"))
    with pytest.raises(InputError, match=r"method must be one of \['proportion', .*got 'share'"):
        load_catalogue(tmp_path / "catalogue.yaml")
