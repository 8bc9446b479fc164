import subprocess
import sys

import pytest

import healthgap.compare as compare


def test_compare_is_pure_no_io_engines_or_models_are_imported():
    # STYLE.md section 1: compare/ may use methods, numpy, scipy and narwhals only
    code = (
        "import sys, healthgap.compare as c\n"
        "[getattr(c, name) for name in c.__all__]\n"
        "bad = [m for m in ('duckdb', 'ibis', 'pydantic', 'pyspark') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_are_the_functions():
    from healthgap.compare import benchmark, peer_ranks, quintiles, recent_trend

    assert {
        "benchmark",
        "peer_ranks",
        "quintiles",
        "recent_trend",
        "target_progress",
        "target_trajectory",
    } <= set(compare.__all__)
    for function in (benchmark, peer_ranks, quintiles, recent_trend):
        assert callable(function)
    assert callable(compare.target_progress)


@pytest.mark.parametrize(
    "name", ["benchmark", "peer_ranks", "quintiles", "recent_trend", "target_progress"]
)
def test_a_public_name_is_never_both_a_module_and_a_function(name):
    # issue #18: the function-named modules are private, so the public name is the function
    import importlib
    import inspect

    assert inspect.isfunction(getattr(compare, name))
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(f"healthgap.compare.{name}")
