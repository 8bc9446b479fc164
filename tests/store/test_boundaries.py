"""A vintage's boundaries are frozen with it (issue #14): later imports redraw no old map."""

import json

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import healthgap.store.store as store_module
from healthgap.catalogue.metadata import DisclosureRule, IndicatorMeta
from healthgap.store import Store, schema

COMPUTED = IndicatorMeta(
    id="ind1",
    name="Computed rate",
    definition="computed by the engine",
    method="rate",
    multiplier=1000,
    disclosure=DisclosureRule(suppress_below=10),
)
CODES = ("E01000001", "E01000002", "E09000001")


def _square(x: float, y: float) -> str:
    ring = [[x, y], [x + 0.01, y], [x + 0.01, y - 0.01], [x, y - 0.01], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _boundaries(shift: dict[str, float] | None = None) -> pa.Table:
    """Squares for the three areas; ``shift`` moves some (a redrawn boundary)."""
    shift = shift or {}
    return pa.table(
        {
            "area_code": list(CODES),
            "geometry": [
                _square(-0.1 + i / 100 + shift.get(c, 0), 51.5) for i, c in enumerate(CODES)
            ],
            "source_crs": ["EPSG:27700"] * len(CODES),
        },
        schema=schema.GEOMETRY,
    )


FIRST, REDRAWN = _boundaries(), _boundaries({"E09000001": 0.5})


@pytest.fixture
def first(store, make_values):
    """A vintage written while the store held the first boundaries."""
    store.add_areas(None, geometry=FIRST)
    return store.add_vintage(make_values(6), source="healthgap.engine", indicators=[COMPUTED])


def test_a_later_boundary_import_redraws_no_old_map(store, first, make_values):
    store.add_areas(None, geometry=REDRAWN)
    second = store.add_vintage(make_values(3), source="healthgap.engine", indicators=[COMPUTED])
    assert store.geometry(vintage=first).to_pylist() == FIRST.to_pylist()
    assert store.geometry(vintage=second).to_pylist() == REDRAWN.to_pylist()
    assert store.geometry().to_pylist() == REDRAWN.to_pylist()
    assert store.geometry("E09000001", vintage=first)["geometry"].to_pylist() == [
        FIRST["geometry"][2].as_py()
    ]


def test_the_same_values_with_redrawn_boundaries_are_a_new_vintage(store, first, make_values):
    again = store.add_vintage(make_values(6), source="healthgap.engine", indicators=[COMPUTED])
    assert again == first  # nothing changed: the same vintage
    store.add_areas(None, geometry=REDRAWN)
    redrawn = store.add_vintage(make_values(6), source="healthgap.engine", indicators=[COMPUTED])
    assert redrawn != first
    assert store.geometry(vintage=first).to_pylist() == FIRST.to_pylist()
    assert store.geometry(vintage=redrawn).to_pylist() == REDRAWN.to_pylist()
    repeat = store.add_vintage(make_values(6), source="healthgap.engine", indicators=[COMPUTED])
    assert repeat == redrawn
    assert len(store.vintages()) == 2


def test_each_geometry_is_stored_once(store, first, make_values):
    store.add_vintage(make_values(3), source="healthgap.engine", indicators=[COMPUTED])
    store.add_areas(None, geometry=REDRAWN)
    store.add_vintage(make_values(4), source="healthgap.engine", indicators=[COMPUTED])
    con = store._con
    # three squares, then one redrawn: four shapes, two listings of three areas
    assert con.execute("SELECT count(*) FROM snap_shapes").fetchall() == [(4,)]
    assert con.execute("SELECT count(DISTINCT digest), count(*) FROM snap_geometry").fetchall() == [
        (2, 6)
    ]


def test_identical_geometries_of_two_areas_are_one_shape(store, make_values):
    same = FIRST.set_column(1, "geometry", pa.array([_square(0, 51)] * 3))
    store.add_areas(None, geometry=same)
    vintage = store.add_vintage(make_values(3), source="healthgap.engine")
    assert store._con.execute("SELECT count(*) FROM snap_shapes").fetchall() == [(1,)]
    assert store.geometry(vintage=vintage).to_pylist() == same.to_pylist()


@pytest.mark.parametrize("boundaries", [None, FIRST], ids=["without", "with"])
def test_vintage_ids_are_those_healthgap_gave_before_boundaries_froze(
    boundaries, monkeypatch, areas_table, hierarchy_table, make_values
):
    # ids computed by healthgap at d44c275 (before this change) with the version set to
    # "pinned": the content id, then the same content with other metadata
    monkeypatch.setattr(store_module, "__version__", "pinned")
    values = make_values(6, count=[5.0, 6.0, 9.0, 20.0, 30.0, 40.0])
    with Store.open(":memory:") as store:
        store.add_areas(areas_table, hierarchy=hierarchy_table, geometry=boundaries)
        first = store.add_vintage(values, source="healthgap.engine", indicators=[COMPUTED])
        renamed = COMPUTED.model_copy(update={"name": "Other"})
        revised = store.add_vintage(values, source="healthgap.engine", indicators=[renamed])
    assert (first, revised) == ("7cef7216d0f4a013", "9c97c439c4c35cfa")


def _as_written_before_boundaries_froze(path) -> None:
    """Turn a store into the layout of healthgap with snapshots but live boundaries only."""
    con = duckdb.connect(str(path))
    for table in ("snap_shapes", "snap_geometry", "source_judgements"):
        con.execute(f"DROP TABLE {table}")
    con.execute("ALTER TABLE vintage_snapshots DROP COLUMN geometry")
    con.close()


def test_a_store_written_before_boundaries_froze_is_migrated(store, first, make_values):
    path = store.path
    store.close()
    _as_written_before_boundaries_froze(path)
    with Store.open(path, read_only=True) as reader:  # read as it is: today's boundaries
        assert reader.geometry(vintage=first).to_pylist() == FIRST.to_pylist()
        assert reader.judgements(first).num_rows == 0
    with Store.open(path) as writer:  # migrated: the vintage keeps its id and its boundaries
        assert writer.vintages()["id"].to_pylist() == [first]
        writer.add_areas(None, geometry=REDRAWN)
        assert writer.geometry(vintage=first).to_pylist() == FIRST.to_pylist()
        again = writer.add_vintage(make_values(6), source="healthgap.engine", indicators=[COMPUTED])
        assert again != first
        assert writer.geometry(vintage=again).to_pylist() == REDRAWN.to_pylist()
    with Store.open(path, read_only=True) as reader:
        assert reader.geometry(vintage=first).to_pylist() == FIRST.to_pylist()


def test_a_store_written_before_any_snapshot_freezes_its_boundaries_when_migrated(
    store, first, before_snapshots
):
    path = store.path
    store.close()
    before_snapshots(path)
    with Store.open(path, read_only=True) as reader:
        assert reader.geometry(vintage=first).to_pylist() == FIRST.to_pylist()
    with Store.open(path) as writer:
        assert writer.vintages()["id"].to_pylist() == [first]
        writer.add_areas(None, geometry=REDRAWN)
        assert writer.geometry(vintage=first).to_pylist() == FIRST.to_pylist()
        assert writer.geometry().to_pylist() == REDRAWN.to_pylist()


_SHAPES = st.sampled_from([_square(x / 10, 51.5) for x in range(4)])
_DRAWINGS = st.lists(st.tuples(_SHAPES, st.sampled_from(["EPSG:27700", None])), max_size=3)


@settings(max_examples=25, deadline=None)
@given(st.lists(_DRAWINGS, min_size=1, max_size=4))
def test_every_vintage_reads_back_the_boundaries_it_was_written_with(drawings):
    # each step redraws the first areas, then writes a vintage: every vintage reads back
    # exactly what the store held then, and each distinct geometry is stored once
    codes = [f"E0900000{i}" for i in range(1, 4)]
    held: dict[str, tuple[str, str | None]] = {}
    written = []
    with Store.open(":memory:") as store:
        for step, drawn in enumerate(drawings):
            redrawn = dict(zip(codes, drawn, strict=False))
            held |= redrawn
            if redrawn:
                store.add_areas(
                    None,
                    geometry=pa.table(
                        {
                            "area_code": list(redrawn),
                            "geometry": [g for g, _ in redrawn.values()],
                            "source_crs": [c for _, c in redrawn.values()],
                        },
                        schema=schema.GEOMETRY,
                    ),
                )
            values = pa.table(
                {
                    "indicator_id": ["x"],
                    "area_code": ["E09000001"],
                    "period": [str(2000 + step)],
                    "period_start": [2000 + step],
                    "period_years": [1],
                    "sex": ["Persons"],
                    "age": ["All ages"],
                    "category_type": [""],
                    "category": [""],
                    "value": [1.0],
                }
            )
            values = values.cast(pa.schema([schema.VALUES.field(c) for c in values.column_names]))
            vintage = store.add_vintage(values, source="test")
            written.append((vintage, sorted((c, g, crs) for c, (g, crs) in held.items())))
        for vintage, expected in written:
            got = store.geometry(vintage=vintage)
            rows = list(zip(*(got[c].to_pylist() for c in schema.GEOMETRY.names), strict=True))
            assert rows == expected
        shapes = store._con.execute("SELECT count(*) FROM snap_shapes").fetchall()[0][0]
    assert shapes == len({g for _, expected in written for _, g, _ in expected})
