"""The engine's runs: every method's row names one, and adding a method is one row."""

from __future__ import annotations

import ast
from pathlib import Path

import polars as pl
import pytest

import healthgap.engine
from healthgap.catalogue import METHODS, Catalogue, Indicator, Method, load_catalogue
from healthgap.engine import compute_values
from healthgap.engine.run_table import RUNS, row_of
from healthgap.errors import InputError
from healthgap.methods import proportion

ENGINE = Path(healthgap.engine.__file__).parent


@pytest.mark.parametrize("name", list(METHODS))
def test_each_methods_run_exists_and_fits_the_row(name):
    method = METHODS[name]
    run = RUNS[method.run]
    ways = [run.call, run.on_counts, run.from_values]
    assert sum(way is not None for way in ways) == 1
    assert (run.from_values is None) == method.counted


def test_every_run_serves_a_method():
    assert {m.run for m in METHODS.values()} == set(RUNS)


def test_a_row_naming_no_run_is_one_line(monkeypatch):
    monkeypatch.setitem(METHODS, "odd", Method(proportion, "no_such_run"))
    ind = Indicator.model_validate(
        {
            "id": "x",
            "name": "X",
            "method": "odd",
            "numerator": {"table": "deaths"},
            "denominator": {"table": "population", "value": "population"},
        }
    )
    with pytest.raises(
        InputError, match=r"method 'odd' has no run the engine knows; runs: \['crude'"
    ):
        row_of(ind)


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


def _complement(data, x, n, **options):
    """A toy method: the proportion *without* the event, from :func:`proportion`'s output."""
    multiplier = options.pop("multiplier")
    out = proportion(data, x, n, multiplier=multiplier, **options)
    flipped = {"value": "value", "lowercl": "uppercl", "uppercl": "lowercl"}
    flipped |= {f"lower{c}cl": f"upper{c}cl" for c in ("95_0", "99_8")}
    flipped |= {f"upper{c}cl": f"lower{c}cl" for c in ("95_0", "99_8")}
    return out.with_columns(
        (multiplier - pl.col(old)).alias(new) for new, old in flipped.items() if old in out.columns
    )


def test_a_new_method_is_its_function_and_one_row(tmp_path, monkeypatch, data_dir):
    """A method added by its function and one row of the table, computed end to end.

    The catalogue validates 'complement' by its row and the engine runs it by its row (the
    proportions' run, the row's function): nothing else is told of it.
    """
    monkeypatch.setitem(
        METHODS,
        "complement",
        Method(_complement, "crude", multiplier_argument="multiplier", value_type=2),
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    complement = _values(tmp_path / "a", "complement", data_dir)
    share = _values(tmp_path / "b", "proportion", data_dir)
    assert len(complement) == len(share) > 0
    keys = ["area_code", "period", "sex", "category_type", "category"]
    both = complement.join(share, on=keys, suffix="_p")
    assert len(both) == len(share)
    assert both["count"].equals(both["count_p"], null_equal=True)
    assert (both["value"] + both["value_p"] - 100).abs().max() < 1e-9
    assert (both["lower95_0cl"] + both["upper95_0cl_p"] - 100).abs().max() < 1e-9


def test_an_unknown_method_is_refused_by_the_catalogue(tmp_path):
    from healthgap.errors import InputError

    (tmp_path / "catalogue.yaml").write_text(LBW.format(method="share"))
    with pytest.raises(InputError, match=r"method must be one of \['proportion', .*got 'share'"):
        load_catalogue(tmp_path / "catalogue.yaml")
