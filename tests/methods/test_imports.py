import subprocess
import sys


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
        "import healthgap.methods.proportion, healthgap.methods.sii\n"
        "from healthgap.methods import proportion, sii, life_expectancy, dsr\n"
        "assert all(callable(f) for f in (proportion, sii, life_expectancy, dsr))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_package_is_marked_typed_and_ships_the_marker():
    # PEP 561: type checkers read healthgap's hints only if py.typed is installed with it
    import tomllib
    from importlib import resources
    from pathlib import Path

    assert resources.files("healthgap").joinpath("py.typed").is_file()
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    package_data = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["healthgap"]
