"""A core install runs the statistics; a missing extra is named in one line.

Each check runs in a fresh interpreter where the optional dependencies are made absent
(``sys.modules[name] = None``, which is how Python itself marks a module that cannot be
imported), so it sees what ``pip install healthgap`` without extras gives.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Top-level modules that only the extras install.
OPTIONAL = (
    "duckdb", "ibis", "sqlglot", "pydantic", "yaml", "typer", "rich", "jinja2", "altair",
    "vl_convert", "weasyprint", "fastapi", "uvicorn", "openpyxl", "python_calamine",
    "shapefile", "pyspark", "pandas",
)  # fmt: skip
#: pandas is optional too, but pyarrow probes it at import time in a way that a None entry in
#: sys.modules breaks; the load check below shows the statistics never import it.
ABSENT = tuple(m for m in OPTIONAL if m != "pandas")


def _run(code: str, *, absent: tuple[str, ...] = ABSENT) -> subprocess.CompletedProcess[str]:
    prelude = f"import sys\nfor _m in {absent!r}:\n    sys.modules[_m] = None\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def _core_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {r.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
             for r in project["dependencies"]}  # fmt: skip
    return names


def test_core_dependencies_are_the_statistics_stack():
    assert _core_requirements() == {"numpy", "scipy", "polars", "pyarrow", "narwhals"}


def test_methods_and_compare_run_without_any_extra():
    done = _run(
        """
        import polars as pl
        from healthgap.methods import dsr, proportion
        from healthgap.compare import benchmark
        d = pl.DataFrame({"area": ["A"] * 19, "x": [10] * 19, "n": [1000] * 19})
        print(round(dsr(d, "x", "n", group_by="area")["value"][0], 3))
        p = proportion(pl.DataFrame({"x": [30], "n": [100]}), "x", "n")
        print(round(p["value"][0], 3))
        print(benchmark.__name__)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1000.0", "0.3", "benchmark"]


def test_core_modules_load_no_optional_dependency():
    # with every extra installed, the statistics still load none of them
    done = _run(
        f"""
        import sys
        import healthgap.methods, healthgap.compare
        print(" ".join(m for m in {OPTIONAL!r} if sys.modules.get(m) is not None))
        """,
        absent=(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("healthgap.store import Store", "store"),
        ("healthgap.catalogue", "store"),
        ("healthgap.sources", "store"),
        ("healthgap.engine", "engine"),
        ("healthgap.publish.report", "report"),
    ],
)
def test_a_missing_extra_is_named(module, extra):
    done = _run(
        f"""
        from healthgap.errors import MissingDependencyError
        try:
            {"from " + module if " import " in module else "import " + module}
        except MissingDependencyError as exc:
            print(exc)
        """
    )
    assert done.returncode == 0, done.stderr
    assert f"pip install 'healthgap[{extra}]'" in done.stdout


def test_command_line_without_its_extra_is_one_line():
    done = _run("from healthgap.__main__ import main\nmain()\n")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: the healthgap command line needs")
    assert "pip install 'healthgap[store]'" in lines[0]


def test_command_line_with_its_extras_runs():
    done = _run("import sys\nsys.argv = ['healthgap', '--version']\n"
                "from healthgap.__main__ import main\nmain()\n", absent=())  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("healthgap ")
