"""A vintage publishes forever what it published first: metadata, rules, names, hierarchy."""

import pyarrow as pa
import pytest

from healthgap.catalogue.metadata import DisclosureRule, IndicatorMeta
from healthgap.publish.export import FORMATS, export, published_values
from healthgap.sources import IMPORTERS, write_fingertips_csv
from healthgap.store import Store

COMPUTED = IndicatorMeta(
    id="ind1",
    name="Computed rate",
    definition="computed by the engine",
    method="rate",
    multiplier=1000,
    disclosure=DisclosureRule(suppress_below=10),
)


def _exports(store, vintage, folder) -> dict[str, bytes]:
    folder.mkdir(exist_ok=True)
    out = {}
    for fmt in FORMATS:
        path = export(store, vintage, folder / f"v.{fmt}", fmt)
        out[fmt] = path.read_bytes()
    return out


def _xlsx_cells(data: bytes) -> list:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]


def _published_counts(store, vintage) -> list[float]:
    return sorted(c for c in published_values(store, vintage)["count"].to_pylist() if c)


@pytest.fixture
def computed(store, make_values):
    """A vintage of ``ind1`` with counts 5-9 that its rule (suppress below 10) withholds."""
    values = make_values(6, count=[5.0, 6.0, 9.0, 20.0, 30.0, 40.0])
    vintage = store.add_vintage(values, source="healthgap.engine", indicators=[COMPUTED])
    return vintage


def test_import_reusing_an_id_changes_nothing_an_old_vintage_publishes(
    store, computed, make_values, areas_table, tmp_path
):
    # issue #14 item 4: a one-row Fingertips file reusing the id made a re-export of the old
    # vintage publish counts 5-9 it had suppressed, and replaced its metadata and area names
    before = _exports(store, computed, tmp_path / "before")
    renamed = areas_table.set_column(
        1, "area_name", pa.array([f"Renamed {n}" for n in areas_table["area_name"].to_pylist()])
    )
    one_row = tmp_path / "fingertips.csv"
    write_fingertips_csv(
        make_values(1, count=[7.0]), renamed, [IndicatorMeta(id="ind1", name="Imported")], one_row
    )
    imported = store.load(IMPORTERS["fingertips"](one_row))
    assert imported != computed
    store.add_areas(renamed)

    after = _exports(store, computed, tmp_path / "after")
    for fmt in ("csv", "parquet", "fingertips"):
        assert after[fmt] == before[fmt], fmt
    assert _xlsx_cells(after["xlsx"]) == _xlsx_cells(before["xlsx"])
    assert _published_counts(store, computed) == [20.0, 30.0, 40.0]
    assert store.indicator("ind1", vintage=computed) == COMPUTED
    assert store.indicator("ind1", vintage=imported).name == "Imported"
    then = store.areas(vintage=computed).select(areas_table.column_names)
    assert then.to_pylist() == areas_table.to_pylist()
    assert store.area("E09000001")["area_name"] == "Renamed City of London"
    assert store.area("E09000001", vintage=computed)["area_name"] == "City of London"


def test_ids_of_different_sources_never_overwrite_each_other(store, computed):
    store.add_indicators([IndicatorMeta(id="ind1", name="Imported")], source="fingertips")
    names = {m.name for m in store.indicators() if m.id == "ind1"}
    assert names == {"Computed rate", "Imported"}
    assert store.indicators(source="healthgap.engine") == [COMPUTED]
    assert store.indicators(source="fingertips")[0].name == "Imported"
    assert store.indicator("ind1") == COMPUTED  # the source whose vintage came last
    assert store.indicators(vintage=computed) == [COMPUTED]


def test_same_values_with_revised_metadata_are_a_new_vintage(store, computed, make_values):
    values = make_values(6, count=[5.0, 6.0, 9.0, 20.0, 30.0, 40.0])
    again = store.add_vintage(values, source="healthgap.engine", indicators=[COMPUTED])
    assert again == computed  # same content, same metadata: the same vintage
    looser = COMPUTED.model_copy(update={"disclosure": DisclosureRule(suppress_below=5)})
    revised = store.add_vintage(values, source="healthgap.engine", indicators=[looser])
    assert revised != computed
    assert _published_counts(store, computed) == [20.0, 30.0, 40.0]
    assert _published_counts(store, revised) == [5.0, 6.0, 9.0, 20.0, 30.0, 40.0]
    assert store.add_vintage(values, source="healthgap.engine", indicators=[looser]) == revised
    assert len(store.vintages()) == 2


def test_hierarchy_and_parents_are_read_per_vintage(store, computed, hierarchy_table):
    moved = pa.table(
        {"hierarchy": ["lsoa11-2019"], "child_code": ["E01000001"], "parent_code": ["E02000099"]}
    )
    store.add_areas(None, hierarchy=moved)
    assert store.hierarchy(vintage=computed).to_pylist() == hierarchy_table.to_pylist()
    now = store.parents("E01000001")["area_code"].to_pylist()
    then = store.parents("E01000001", vintage=computed)["area_code"].to_pylist()
    assert now == ["E02000099"]
    assert then == ["E02000001", "E09000001", "E12000007", "E92000001"]


def test_unchanged_metadata_is_stored_once(store, computed, make_values):
    store.add_vintage(make_values(3), source="healthgap.engine", indicators=[COMPUTED])
    con = store._con
    assert con.execute("SELECT count(DISTINCT areas) FROM vintage_snapshots").fetchall() == [(1,)]
    rows = con.execute("SELECT count(*) FROM snap_areas").fetchall()[0][0]
    assert rows == store.areas().num_rows


def test_a_store_written_before_snapshots_opens_and_re_exports_identically(
    store, computed, tmp_path, before_snapshots
):
    before = _exports(store, computed, tmp_path / "before")
    path = store.path
    store.close()
    before_snapshots(path)
    with Store.open(path, read_only=True) as reader:  # read as it is, no migration
        assert _exports(reader, computed, tmp_path / "read")["csv"] == before["csv"]
        assert reader.indicators() == [COMPUTED]
    with Store.open(path) as writer:  # migrated: the vintage keeps its id and its exports
        assert writer.vintages()["id"].to_pylist() == [computed]
        migrated = _exports(writer, computed, tmp_path / "migrated")
        writer.add_areas(
            pa.table({"area_code": ["E09000001"], "area_name": ["New"], "area_type": ["la"]})
        )
        writer.add_indicators([IndicatorMeta(id="ind1", name="later")])
        later = _exports(writer, computed, tmp_path / "later")
    for fmt in ("csv", "parquet", "fingertips"):
        assert migrated[fmt] == before[fmt], fmt
        assert later[fmt] == before[fmt], fmt
