"""The only module naming DuckDB or Spark: connect a backend and open the input tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from healthgap.errors import InputError, MissingDependencyError

BACKENDS = ("duckdb", "spark")
SUFFIXES = (".parquet", ".csv")


def connect(backend: Any = "duckdb") -> Any:
    """Return an Ibis backend: ``"duckdb"``, ``"spark"`` (local), a SparkSession or a backend."""
    if isinstance(backend, str):
        if backend == "duckdb":
            return quiet_duckdb(ibis.duckdb.connect())
        if backend == "spark":
            try:
                from pyspark.sql import SparkSession
            except ModuleNotFoundError as exc:
                raise MissingDependencyError(
                    f"backend 'spark' needs PySpark, which is not installed ({exc.msg}); "
                    "install the spark extra: pip install 'healthgap[spark]'"
                ) from exc

            # no console progress of Spark's own: it would print over ours
            session = (
                SparkSession.builder.master("local[*]")
                .appName("healthgap")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate()
            )
            return ibis.pyspark.connect(session)
        raise InputError(
            f"backend must be one of {list(BACKENDS)} or a SparkSession; got {backend!r}"
        )
    if type(backend).__name__ == "SparkSession":
        return ibis.pyspark.connect(backend)
    if isinstance(backend, ibis.BaseBackend) and backend.name in ("duckdb", "pyspark"):
        # a connection the caller configured (memory limit, threads, a cluster)
        return quiet_duckdb(backend) if backend.name == "duckdb" else backend
    raise InputError(
        f"backend must be one of {list(BACKENDS)} or a SparkSession; got a {type(backend).__name__}"
    )


def quiet_duckdb(con: Any) -> Any:
    """Turn off DuckDB's own progress bar (it would print over ours)."""
    con.raw_sql("SET enable_progress_bar = false")
    return con


def name(con: Any) -> str:
    """``'duckdb'`` or ``'spark'``."""
    return "spark" if con.name == "pyspark" else con.name


def find_file(data: Path, table: str) -> Path | None:
    """``<data>/<table>.parquet``, ``.csv`` or a folder of Parquet files, if one exists."""
    for suffix in SUFFIXES:
        path = data / f"{table}{suffix}"
        if path.exists():
            return path
    folder = data / table
    return folder if folder.is_dir() else None


def open_table(con: Any, data: Path | Mapping[str, Any], table: str) -> ibis.Table:
    """Open ``table`` from a data folder (Parquet/CSV, read lazily) or a mapping of tables."""
    if isinstance(data, Mapping):
        if table not in data:
            raise InputError(f"table {table!r} not given; available: {sorted(data)}")
        obj = data[table]
        if isinstance(obj, (str, Path)):
            return _read_path(con, Path(obj), table)
        arrow = _as_arrow(obj)
        if name(con) == "duckdb":
            return con.create_table(f"hg_{table}", arrow, temp=True, overwrite=True)
        return con.create_view(f"hg_{table}", ibis.memtable(arrow), overwrite=True)
    path = find_file(Path(data), table)
    if path is None:
        raise InputError(
            f"table {table!r} not found in {data}: expected {table}.parquet, "
            f"{table}.csv or a folder {table}/ of Parquet files"
        )
    return _read_path(con, path, table)


def _read_path(con: Any, path: Path, table: str) -> ibis.Table:
    if not path.exists():
        raise InputError(f"table {table!r}: file {path} not found")
    if path.is_dir():
        return con.read_parquet(
            str(path / "*.parquet") if name(con) == "duckdb" else str(path),
            table_name=f"hg_{table}",
        )
    if path.suffix == ".csv":
        if name(con) == "spark":
            return con.read_csv(str(path), table_name=f"hg_{table}", header=True, inferSchema=True)
        return con.read_csv(str(path), table_name=f"hg_{table}")
    return con.read_parquet(str(path), table_name=f"hg_{table}")


def _as_arrow(obj: Any) -> pa.Table:
    if isinstance(obj, pa.Table):
        return obj
    if hasattr(obj, "to_arrow"):  # polars
        return obj.to_arrow()
    return pa.Table.from_pandas(obj, preserve_index=False)


def input_paths(data: Path | Mapping[str, Any], tables: set[str]) -> list[Path]:
    """The files read, for the vintage's provenance (in-memory tables have none)."""
    paths = []
    for table in sorted(tables):
        if isinstance(data, Mapping):
            obj = data.get(table)
            path = Path(obj) if isinstance(obj, (str, Path)) else None
        else:
            path = find_file(Path(data), table)
        if path is not None and path.is_file():
            paths.append(path)
        elif path is not None and path.is_dir():
            paths.extend(sorted(path.glob("*.parquet")))
    return paths
