"""A write killed mid-way (SIGKILL) leaves the store exactly as it was."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pyarrow as pa
import pytest

from healthgap.errors import StoreError
from healthgap.store import Store

# Runs in a child process: a 300,000-row vintage (more than two DuckDB row groups, so rows
# reach the file before the commit) that pauses after inserting its rows, before committing.
CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np, pyarrow as pa
    from healthgap.catalogue.metadata import IndicatorMeta
    from healthgap.store import Store

    path, marker = sys.argv[1], sys.argv[2]
    n = 300_000
    table = pa.table({
        "indicator_id": ["killed"] * n,
        "area_code": np.array(["E01000001", "E01000002"])[np.arange(n) % 2],
        "period": (np.arange(n) // 2).astype(str),
        "period_start": np.full(n, 2020, np.int32),
        "period_years": np.ones(n, np.int16),
        "sex": ["Persons"] * n, "age": ["All ages"] * n,
        "category_type": [""] * n, "category": [""] * n,
        "value": np.linspace(0, 1, n), "count": np.ones(n),
    })
    insert = Store._insert_values

    def insert_then_wait(self, *args):
        insert(self, *args)
        open(marker, "w").close()
        time.sleep(600)

    Store._insert_values = insert_then_wait
    class Imported:  # areas, indicators and values, all in one transaction
        source, inputs = "killed", []
        hierarchy = classifications = geometry = population = None
        areas = pa.table({"area_code": ["E09000099"], "area_name": ["new"],
                          "area_type": ["la"]})
        indicators = [IndicatorMeta(id="killed", name="never committed")]
        values = table

    store = Store.open(path)
    store.load(Imported(), label="never committed")
""")


@pytest.mark.slow
def test_sigkill_during_add_vintage_leaves_store_unchanged(tmp_path, make_values, areas_table):
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        store.add_areas(areas_table)
        before_id = store.add_vintage(make_values(6), source="first")
        before = (store.vintages(), store.values(before_id), store.areas())

    marker = tmp_path / "inserted"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(marker)], stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 180
    while not marker.exists():
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the child never reached the insert"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    with Store.open(path) as store:
        assert store.vintages().equals(before[0])
        assert store.values().equals(before[1])
        assert store.values(before_id).equals(before[1])
        assert store.areas().equals(before[2])
        assert store.indicators() == []
        # and the store still takes writes
        again = store.add_vintage(make_values(3), source="after")
        assert store.vintages()["id"].to_pylist() == [before_id, again]
        assert isinstance(store.values(again), pa.Table)


HOLD = textwrap.dedent("""
    import sys, time
    from healthgap.store import Store

    store = Store.open(sys.argv[1])
    print("open", flush=True)
    time.sleep(600)
""")


@pytest.mark.slow
def test_store_held_by_another_process_is_a_store_error(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"open"
        with pytest.raises(StoreError, match=r"cannot open store .*held\.duckdb"):
            Store.open(path)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
