"""Store paths that are not healthgap stores are refused; read commands open read-only."""

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.cli import app
from healthgap.errors import StoreError
from healthgap.sources import write_fingertips_csv
from healthgap.store import Store

runner = CliRunner()


@pytest.fixture
def fingertips_file(tmp_path, make_values, areas_table):
    path = tmp_path / "ok.csv"
    write_fingertips_csv(make_values(3), areas_table, [IndicatorMeta(id="ind1", name="x")], path)
    return path


def test_import_into_a_csv_store_is_refused_and_the_file_kept(tmp_path, fingertips_file):
    # issue #14 item 2: DuckDB opened the CSV in memory; the import "succeeded", kept nothing
    existing = tmp_path / "existing.csv"
    existing.write_text("name,value\nmine,1\n")
    result = runner.invoke(
        app, ["import", "fingertips", str(fingertips_file), "--store", str(existing)]
    )
    assert result.exit_code == 1
    message = result.output.strip()
    assert "\n" not in message
    assert "Traceback" not in message
    assert "existing.csv" in message
    assert "not a DuckDB database file" in message
    assert existing.read_text() == "name,value\nmine,1\n"


@pytest.mark.parametrize("content", [b"", b"x" * 40, b"PK\x03\x04" + b"\x00" * 60])
def test_open_refuses_files_that_are_not_duckdb(tmp_path, content):
    path = tmp_path / "data.duckdb"
    path.write_bytes(content)
    for read_only in (False, True):
        with pytest.raises(StoreError, match="not a DuckDB database file"):
            Store.open(path, read_only=read_only)
    assert path.read_bytes() == content


def test_open_refuses_a_duckdb_database_of_someone_else(tmp_path):
    path = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (amount INTEGER)")
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"not a healthgap store \(it holds tables \['sales'\]"):
        Store.open(path)
    assert path.read_bytes() == before


def test_open_refuses_a_folder_and_a_missing_read_only_store(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "absent.duckdb", read_only=True)
    assert not (tmp_path / "absent.duckdb").exists()


def test_read_only_store_reads_and_refuses_writes(store, make_values, areas_table):
    vintage = store.add_vintage(make_values(3), source="test")
    path = store.path
    store.close()
    before = Path(path).read_bytes()
    with Store.open(path, read_only=True) as reader:
        assert reader.values(vintage).num_rows == 3
        assert reader.areas().num_rows == areas_table.num_rows
        with pytest.raises(StoreError, match="open read-only"):
            reader.add_areas(areas_table)
        with pytest.raises(StoreError, match="open read-only"):
            reader.add_vintage(make_values(2), source="test")
    assert Path(path).read_bytes() == before


READER = textwrap.dedent("""
    import sys, time
    from healthgap.store import Store
    with Store.open(sys.argv[1], read_only=True) as store:
        print("open", flush=True)
        time.sleep(60)
""")


@pytest.mark.parametrize(
    "args",
    [
        ["vintages", "list"],
        ["vintages", "show", "latest"],
        ["areas", "list"],
        ["areas", "show", "E09000001"],
        ["export", "--out", "{out}"],
    ],
)
def test_read_commands_work_beside_another_reader(tmp_path, store, make_values, args):
    # Read commands open the store read-only: they share it with other readers (the web
    # server), which a writable open (an exclusive lock) could not
    store.add_vintage(make_values(3), source="test")
    path = store.path
    store.close()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, path], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        args = [a.format(out=tmp_path / "out.csv") for a in args]
        result = runner.invoke(app, [*args, "--store", path])
        assert result.exit_code == 0, result.output
    finally:
        reader.kill()
        reader.wait()


def test_a_new_store_gets_its_tables_and_reopens(tmp_path):
    path = tmp_path / "new" / "store.duckdb"
    with Store.open(path) as store:
        store.add_areas(pa.table({"area_code": ["E1"], "area_name": ["one"], "area_type": ["la"]}))
    with Store.open(path, read_only=True) as store:
        assert store.areas()["area_name"].to_pylist() == ["one"]
