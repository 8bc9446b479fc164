"""The web tool opens stores as the store does: older layouts read as they are, others refused."""

from __future__ import annotations

import duckdb
import httpx
import pyarrow as pa
import pytest

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.errors import StoreError
from healthgap.publish.web import create_app
from healthgap.store import Store, schema


def _store_before_snapshots(path) -> str:
    """A small store in the layout healthgap wrote before vintages kept snapshots."""
    with Store.open(path) as store:
        store.add_areas(
            pa.table(
                {
                    "area_code": ["E09000001", "E12000007"],
                    "area_name": ["City of London", "London"],
                    "area_type": ["la", "region"],
                }
            ),
            hierarchy=pa.table(
                {
                    "hierarchy": ["la-region"],
                    "child_code": ["E09000001"],
                    "parent_code": ["E12000007"],
                }
            ),
        )
        columns = {
            "indicator_id": ["x", "x"],
            "area_code": ["E09000001", "E12000007"],
            "period": ["2021", "2021"],
            "period_start": [2021, 2021],
            "period_years": [1, 1],
            "sex": ["Persons", "Persons"],
            "age": ["All ages", "All ages"],
            "category_type": ["", ""],
            "category": ["", ""],
            "value": [2.5, 3.0],
        }
        values = pa.table(columns).cast(pa.schema([schema.VALUES.field(c) for c in columns]))
        vintage = store.add_vintage(
            values, source="t", indicators=[IndicatorMeta(id="x", name="X")]
        )
    con = duckdb.connect(str(path))
    for table in ("vintage_snapshots", "snap_indicators", "snap_areas", "snap_hierarchy"):
        con.execute(f"DROP TABLE {table}")
    con.execute("ALTER TABLE indicators DROP COLUMN source")
    con.close()
    return vintage


def test_a_store_written_before_snapshots_is_served_as_it_is(tmp_path, serve_app):
    path = tmp_path / "old.duckdb"
    vintage = _store_before_snapshots(path)
    before = path.read_bytes()
    app = create_app(path)
    try:
        with serve_app(app) as url, httpx.Client(base_url=url, timeout=60) as client:
            _check(client, vintage)
    finally:
        app.state.published.close()
    assert path.read_bytes() == before  # read-only: nothing migrated or written


def _check(client, vintage):
    values = client.get("/api/v1/values", params={"indicator": "x"})
    assert values.status_code == 200, values.text
    assert values.json()["vintages"] == [vintage]
    assert sorted(r["value"] for r in values.json()["rows"]) == [2.5, 3.0]
    assert client.get("/index.html").status_code == 200
    assert client.get("/api/v1/indicators").json()["rows"][0]["name"] == "X"


def test_a_file_that_is_not_a_store_is_refused_in_one_line(tmp_path):
    path = tmp_path / "values.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(StoreError, match=r"values\.csv"):
        create_app(path)
    assert path.read_text() == "a,b\n1,2\n"
