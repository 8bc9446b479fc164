"""A write the file system refuses (disk full, file too large) is reported as such (#14)."""

import os
import resource
import subprocess
import sys
import textwrap

import duckdb
import pytest

from healthgap.errors import StoreError
from healthgap.store import Store

FULL = 'Could not write file "{path}": No space left on device'


class _FullDisk:
    """The store's connection, on a disk that fills up at the commit.

    DuckDB then ends the transaction itself, so the rollback that follows fails too, with a
    message of its own that used to hide the disk's.
    """

    def __init__(self, con, path):
        self._con, self._path = con, path

    def __getattr__(self, name):
        return getattr(self._con, name)

    def commit(self):
        raise duckdb.TransactionException(f"Failed to commit: {FULL.format(path=self._path)}")

    def rollback(self):
        self._con.rollback()
        raise duckdb.TransactionException("TransactionContext Error: transaction is aborted")


def test_a_full_disk_is_reported_not_the_failed_rollback(tmp_path, make_values):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        first = store.add_vintage(make_values(3), source="first")
        real = store._con
        store._con = _FullDisk(real, path)
        with pytest.raises(StoreError) as caught:
            store.add_vintage(make_values(6), source="second")
        store._con = real
        message = str(caught.value)
        assert "No space left on device" in message
        assert str(path) in message
        assert "left as it was" in message
        assert "\n" not in message
        assert store.vintages()["id"].to_pylist() == [first]


def test_other_errors_keep_their_own_type(store, make_values, monkeypatch):
    def bug(*args, **kwargs):
        raise duckdb.BinderException("a bug in our SQL")

    monkeypatch.setattr(Store, "_insert_values", bug)
    with pytest.raises(duckdb.BinderException):
        store.add_vintage(make_values(3), source="t")
    assert store.vintages().num_rows == 0


# Runs in a child process whose files may not grow past a limit (RLIMIT_FSIZE, with SIGXFSZ
# ignored): DuckDB's writes then fail with EFBIG, as they fail with ENOSPC on a full disk.
CHILD = textwrap.dedent("""
    import os, resource, signal, sys
    import numpy as np, pyarrow as pa
    from healthgap.errors import StoreError
    from healthgap.store import Store

    path = sys.argv[1]
    n = 400_000
    table = pa.table({
        "indicator_id": ["big"] * n,
        "area_code": np.array(["E01000001", "E01000002"])[np.arange(n) % 2],
        "period": (np.arange(n) // 2).astype(str),
        "period_start": np.full(n, 2020, np.int32),
        "period_years": np.ones(n, np.int16),
        "sex": ["Persons"] * n, "age": ["All ages"] * n,
        "category_type": [""] * n, "category": [""] * n,
        "value": np.linspace(0, 1, n), "count": np.ones(n),
    })
    store = Store.open(path)
    limit = os.path.getsize(path) + 256 * 1024
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        store.add_vintage(table, source="too big")
    except StoreError as exc:
        print(exc)
""")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_a_file_size_limit_is_reported_and_the_store_is_unchanged(tmp_path, make_values):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        first = store.add_vintage(make_values(3), source="first")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith(f"cannot write to the store {str(path)!r}"), child.stdout
    assert "File too large" in child.stdout
    with Store.open(path) as store:
        assert store.vintages()["id"].to_pylist() == [first]
