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
