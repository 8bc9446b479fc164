"""Shared fixtures: frame constructors, the shared-data folder, one Spark session per run."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import settings

# Speed is measured by benchmarks, never by timings in tests: hypothesis's per-example
# deadline (200 ms) made property tests fail on a loaded 2-core CI machine.
settings.register_profile("healthgap", deadline=None)
settings.load_profile("healthgap")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HEALTHGAP_SHARED_DATA", REPO.parent / "shared" / "data"))


def _to_pandas(d: dict) -> pd.DataFrame:
    return pd.DataFrame(d)


def _to_polars(d: dict) -> pl.DataFrame:
    return pl.DataFrame(d)


def _to_arrow(d: dict) -> pa.Table:
    return pa.table(d)


@pytest.fixture(params=[_to_pandas, _to_polars, _to_arrow], ids=["pandas", "polars", "arrow"])
def constructor(request):
    """Build a pandas, Polars or Arrow table from a dict of columns (each test runs on all)."""
    return request.param


def to_polars(native) -> pl.DataFrame:
    """Any native frame as Polars, for comparing results across libraries."""
    if isinstance(native, pl.DataFrame):
        return native
    if isinstance(native, pa.Table):
        return pl.from_arrow(native)
    return pl.from_pandas(native)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The open-data folder beside the repository (``realdata`` tests only)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared open data not found at {SHARED_DATA} (set HEALTHGAP_SHARED_DATA)")
    return SHARED_DATA


def pytest_collection_modifyitems(config, items):
    """Skip ``realdata`` tests with a clear reason when ../shared/data is absent."""
    if SHARED_DATA.is_dir():
        return
    skip = pytest.mark.skip(reason=f"shared open data folder {SHARED_DATA} is absent")
    for item in items:
        if "realdata" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session per test process (starting one takes ~10 s).

    The warehouse goes to a temporary folder so Ibis does not write ./spark-warehouse.
    """
    pyspark_sql = pytest.importorskip("pyspark.sql")
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("healthgap-tests")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def his_demo(tmp_path_factory):
    """The main job (healthgap.pipeline.run) on three synthetic years, run once per process.

    Returns ``(result, progress_calls)``. Tests using it are in xdist group ``his_demo`` so
    that one worker runs it once.
    """
    from healthgap.london.synthetic.pipeline import run

    seen: list[tuple[str, int, int]] = []
    result = run(
        tmp_path_factory.mktemp("his-demo"),
        years=(2017, 2018, 2019),
        progress=lambda *step: seen.append(step),
    )
    return result, seen


def pytest_sessionfinish(session, exitstatus):
    """In CI (``CI`` set), a skipped test is a failure: CI has every tool and the shared data.

    Skips exist so a developer without chromium, Java or ../shared/data can still run the
    rest; on CI they would hide a missing install step or a broken fixture.
    """
    if not os.environ.get("CI") or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"CI: {len(skipped)} tests were skipped; on CI every test must run", red=True
        )
        session.exitstatus = 1
