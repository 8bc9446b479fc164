"""Small store fixtures: London-like areas, a hierarchy and a values table builder."""

from __future__ import annotations

import pyarrow as pa
import pytest

from healthgap.store import Store, schema

#: Tables healthgap added to stores with vintage snapshots and after (dropped to rewrite a
#: store in the layout before them).
SNAPSHOT_TABLES = (
    "vintage_snapshots",
    "snap_indicators",
    "snap_areas",
    "snap_hierarchy",
    "snap_shapes",
    "snap_geometry",
    "source_judgements",
)

AREAS = pa.table(
    {
        "area_code": ["E01000001", "E01000002", "E02000001", "E09000001", "E12000007", "E92000001"],
        "area_name": [
            "City of London 001A",
            "City of London 001B",
            "City of London 001",
            "City of London",
            "London",
            "England",
        ],
        "area_type": ["lsoa", "lsoa", "msoa", "la", "region", "country"],
    }
)
HIERARCHY = pa.table(
    {
        "hierarchy": ["lsoa11-2019"] * 5,
        "child_code": ["E01000001", "E01000002", "E02000001", "E09000001", "E12000007"],
        "parent_code": ["E02000001", "E02000001", "E09000001", "E12000007", "E92000001"],
    }
)


def _make_values(n: int = 3, **overrides) -> pa.Table:
    """``n`` valid value rows for distinct areas/periods; ``overrides`` replace columns."""
    codes = ["E01000001", "E01000002", "E09000001"]
    columns = {
        "indicator_id": ["ind1"] * n,
        "area_code": [codes[i % 3] for i in range(n)],
        "period": [str(2015 + i // 3) for i in range(n)],
        "period_start": [2015 + i // 3 for i in range(n)],
        "period_years": [1] * n,
        "sex": ["Persons"] * n,
        "age": ["All ages"] * n,
        "category_type": [""] * n,
        "category": [""] * n,
        "value": [10.0 + i for i in range(n)],
        "lower95_0cl": [8.0 + i for i in range(n)],
        "upper95_0cl": [12.0 + i for i in range(n)],
        "lower99_8cl": [7.0 + i for i in range(n)],
        "upper99_8cl": [13.0 + i for i in range(n)],
        "count": [float(20 + i) for i in range(n)],
        "denominator": [200.0 + i for i in range(n)],
        "value_note": [None] * n,
    }
    columns.update(overrides)
    return pa.table(columns, schema=schema.VALUES)


@pytest.fixture
def store(tmp_path):
    """A fresh store file with the areas and hierarchy above."""
    with Store.open(tmp_path / "store.duckdb") as opened:
        opened.add_areas(AREAS, hierarchy=HIERARCHY)
        yield opened


@pytest.fixture
def make_values():
    """Builder of valid values tables (``make_values(n, **column_overrides)``)."""
    return _make_values


@pytest.fixture
def areas_table() -> pa.Table:
    return AREAS


@pytest.fixture
def hierarchy_table() -> pa.Table:
    return HIERARCHY


def _as_written_before_snapshots(path) -> None:
    """Turn a store into the layout of healthgap before snapshots (no source, no snapshots)."""
    import duckdb

    con = duckdb.connect(str(path))
    for table in SNAPSHOT_TABLES:
        con.execute(f"DROP TABLE {table}")
    con.execute("ALTER TABLE indicators DROP COLUMN source")
    con.close()


@pytest.fixture
def before_snapshots():
    """``before_snapshots(path)`` rewrites a closed store in the layout before snapshots."""
    return _as_written_before_snapshots
