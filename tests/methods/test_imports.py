import importlib
import inspect
import subprocess
import sys

import pytest


def test_methods_are_pure_no_io_engines_or_models_are_imported():
    # STYLE.md section 1: methods/ are pure functions on frames and arrays
    code = (
        "import sys, healthgap.methods as m\n"
        "[getattr(m, name) for name in m.__all__]\n"
        "bad = [x for x in ('duckdb', 'ibis', 'pydantic', 'pyspark') if x in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_are_the_functions_whatever_was_imported_first():
    code = (
        "import healthgap.methods._proportion, healthgap.methods._sii\n"
        "from healthgap.methods import proportion, sii, life_expectancy, dsr\n"
        "assert all(callable(f) for f in (proportion, sii, life_expectancy, dsr))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "name",
    ["proportion", "rate", "mean", "dsr", "quantile", "sii", "life_expectancy"],
)
def test_a_public_name_is_never_both_a_module_and_a_function(name):
    # issue #18: `import healthgap.methods.proportion as m` gave the function, not the module;
    # the modules are private (healthgap.methods._proportion), the name is the function alone
    import healthgap.methods as methods

    assert inspect.isfunction(getattr(methods, name))
    assert name in methods.__all__
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(f"healthgap.methods.{name}")


def test_every_public_name_of_methods_and_compare_is_in_all_and_documented():
    import healthgap.compare as compare
    import healthgap.methods as methods

    for package in (methods, compare):
        for name in package.__all__:
            obj = getattr(package, name)
            assert inspect.getdoc(obj), f"{package.__name__}.{name} has no docstring"


def test_the_package_is_marked_typed_and_ships_the_marker():
    # PEP 561: type checkers read healthgap's hints only if py.typed is installed with it
    import tomllib
    from importlib import resources
    from pathlib import Path

    assert resources.files("healthgap").joinpath("py.typed").is_file()
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    package_data = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["healthgap"]
