"""What the report reads from the store: an old vintage's maps keep its boundaries (#14)."""

import importlib.util
import json
from pathlib import Path

import pyarrow as pa
import pytest

from healthgap.london import report_options
from healthgap.publish.export import FORMATS, export
from healthgap.publish.report import write_report
from healthgap.store import Store

_spec = importlib.util.spec_from_file_location(
    "report_store", Path(__file__).with_name("_store.py")
)
report_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_store)

#: far from London, so a redrawn square's corner cannot appear by chance
EAST, NORTH = 12.3456789, 45.6789123


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _redrawn(store: Store) -> pa.Table:
    """Every boundary of the store redrawn as a small square far from London."""
    codes = store.geometry()["area_code"].to_pylist()
    moved = []
    for i, _ in enumerate(codes):
        x, y = EAST + i / 50, NORTH
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y - 0.01], [x, y - 0.01], [x, y]]
        moved.append(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    return pa.table(
        {"area_code": codes, "geometry": moved, "source_crs": ["EPSG:4326"] * len(codes)}
    )


def _corner(geometry: str) -> str:
    """The first corner's longitude as the report's map data writes it."""
    return json.dumps(json.loads(geometry)["coordinates"][0][0][0])


@pytest.fixture
def mapped(tmp_path):
    """(store path, vintage) of the tiny fixture with boundaries."""
    return report_store.make_store(tmp_path / "tiny.duckdb", geometry=True, **report_store.TINY)


def test_a_later_boundary_import_redraws_no_map_of_an_old_vintage(mapped, tmp_path):
    path, vintage = mapped
    with Store.open(path) as store:
        write_report(store, vintage, tmp_path / "before", **report_options())
        exports = {f: export(store, vintage, tmp_path / f"before.{f}", f) for f in FORMATS}
        before = {f: p.read_bytes() for f, p in exports.items()}
        redrawn = _redrawn(store)
        store.add_areas(None, geometry=redrawn)
        write_report(store, vintage, tmp_path / "after", **report_options())
        for fmt in ("csv", "parquet", "fingertips"):
            again = export(store, vintage, tmp_path / f"after.{fmt}", fmt)
            assert again.read_bytes() == before[fmt], fmt
        # the same values published again with the new boundaries: a new vintage
        values = store.values(vintage)
        record = store.vintage(vintage)
        new = store.add_vintage(
            values,
            source=record["source"],
            parameters=json.loads(record["parameters"]),
            indicators=store.indicators(vintage=vintage),
        )
        assert new != vintage
        write_report(store, new, tmp_path / "new", **report_options())
    assert _files(tmp_path / "after") == _files(tmp_path / "before")
    old_pages = "".join(p.read_text() for p in (tmp_path / "before").glob("*.html"))
    new_pages = "".join(p.read_text() for p in (tmp_path / "new").glob("*.html"))
    moved = _corner(redrawn["geometry"][0].as_py())
    assert moved in new_pages
    assert moved not in old_pages
