"""Run a catalogue: records -> counts (Ibis) -> indicators (methods) -> one store vintage."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from healthgap.catalogue.catalogue import Catalogue
from healthgap.catalogue.indicator import Indicator
from healthgap.engine import _backends
from healthgap.engine.counts import AgeBands, count_expression
from healthgap.engine.rollup import rollup
from healthgap.engine.statistics import indicator_values

__all__ = ["Progress", "compute", "compute_counts", "compute_values", "values_from_counts"]

#: ``progress(stage, done, total)``: stage is "counts", "statistics" or "store".
Progress = Callable[[str, int, int], None]
Data = str | Path | Mapping[str, Any]

_BANDS: dict[str, AgeBands | None] = {
    "proportion": None, "rate": None, "dsr": "five", "israte": "five", "isratio": "five",
    "life_expectancy": "life",
}


def _data(data: Data) -> Path | Mapping[str, Any]:
    return data if isinstance(data, Mapping) else Path(data)


class _Runner:
    """One backend connection; tables opened once; identical count queries run once."""

    def __init__(self, data: Data, backend: Any) -> None:
        self.data = _data(data)
        self.con = _backends.connect(backend)
        self.tables: dict[str, Any] = {}
        self.cache: dict[str, pl.DataFrame] = {}

    def table(self, name: str) -> Any:
        if name not in self.tables:
            self.tables[name] = _backends.open_table(self.con, self.data, name)
        return self.tables[name]

    def counts(self, part: Any, ind: Indicator, record: Sequence[str]) -> pl.DataFrame:
        bands = _BANDS[ind.method]
        key = repr((part, ind.periods.type, bands, tuple(record)))
        if key not in self.cache:
            expr = count_expression(self.table(part.table), part, period_type=ind.periods.type,
                                    bands=bands, record_breakdowns=record)
            frame = pl.from_arrow(expr.to_pyarrow())
            assert isinstance(frame, pl.DataFrame)
            self.cache[key] = frame
        return self.cache[key]


def compute_counts(catalogue: Catalogue, data: Data, *, backend: Any = "duckdb",
                   years: Sequence[int] | None = None,
                   progress: Progress | None = None) -> dict[str, pl.DataFrame]:
    """Aggregate records to each indicator's counts ``x``, ``n`` by area, period, sex, ...

    This is the backend-dependent part of :func:`compute`: on the same data DuckDB and Spark
    give identical frames.
    """
    runner = _Runner(data, backend)
    geo = catalogue.geography
    lookup = pl.from_arrow(runner.table(geo.lookup).to_pyarrow())
    assert isinstance(lookup, pl.DataFrame)
    out: dict[str, pl.DataFrame] = {}
    total = len(catalogue)
    for done, ind in enumerate(catalogue, start=1):
        record = [geo.breakdowns[b].column for b in ind.breakdowns
                  if geo.breakdowns[b].source == "record"]
        num = runner.counts(ind.numerator, ind, record)
        den = runner.counts(ind.denominator, ind, record)
        out[ind.id] = rollup(ind, geo, num, den, lookup,
                             banded=_BANDS[ind.method] is not None, years=years)
        if progress is not None:
            progress("counts", done, total)
    return out


def compute_values(catalogue: Catalogue, data: Data, *, backend: Any = "duckdb",
                   years: Sequence[int] | None = None,
                   progress: Progress | None = None) -> pa.Table:
    """Every indicator of ``catalogue`` for every area, period, sex and breakdown (VALUES).

    Parameters
    ----------
    catalogue : Catalogue
        From :func:`healthgap.catalogue.load_catalogue`.
    data : path or mapping
        A folder of ``<table>.parquet`` / ``<table>.csv`` files (read lazily, out of core on
        DuckDB), or a mapping of table name to an Arrow/pandas/Polars table or a file path.
    backend : {"duckdb", "spark"} or SparkSession, default "duckdb"
        Where the records are aggregated; the statistics then run in-process on the counts.
    years : sequence of int, optional
        Keep periods ending in these years (all by default).
    progress : callable, optional
        ``progress(stage, done, total)`` after each indicator of each stage.

    Returns
    -------
    pyarrow.Table
        Rows of :data:`healthgap.store.schema.VALUES`, sorted by the value keys.
    """
    counts = compute_counts(catalogue, data, backend=backend, years=years, progress=progress)
    return values_from_counts(catalogue, counts, progress=progress)


def values_from_counts(catalogue: Catalogue, counts: Mapping[str, pl.DataFrame], *,
                       progress: Progress | None = None) -> pa.Table:
    """Compute the VALUES rows of every indicator from :func:`compute_counts`' frames.

    Each indicator's method runs once, on all its areas, periods, sexes and breakdowns.
    """
    from healthgap.store.schema import VALUE_KEYS, VALUES

    tables = []
    for done, ind in enumerate(catalogue, start=1):
        tables.append(indicator_values(ind, counts[ind.id], catalogue.geography))
        if progress is not None:
            progress("statistics", done, len(catalogue))
    values = pa.concat_tables(tables) if tables else VALUES.empty_table()
    return values.sort_by([(k, "ascending") for k in VALUE_KEYS])


def compute(catalogue: Catalogue, data: Data, *, store: Any, backend: Any = "duckdb",
            years: Sequence[int] | None = None, progress: Progress | None = None,
            label: str = "") -> str:
    """Compute every indicator and write them to ``store`` as ONE vintage; return its id.

    Nothing is written until all values are computed, and the store writes the vintage in
    one transaction, so an interrupted run leaves no partial vintage. The vintage id is a
    hash of the content: rerunning on the same inputs returns the same id and adds nothing.

    Parameters
    ----------
    catalogue, data, backend, years, progress
        As :func:`compute_values`.
    store : healthgap.store.Store
        An open store.
    label : str, optional
        A label for the vintage.

    Returns
    -------
    str
        The vintage id.
    """
    values = compute_values(catalogue, data, backend=backend, years=years, progress=progress)
    tables = {ind.numerator.table for ind in catalogue}
    tables |= {ind.denominator.table for ind in catalogue if ind.denominator is not None}
    tables.add(catalogue.geography.lookup)
    inputs = _backends.input_paths(_data(data), tables)
    parameters = {
        "catalogue": [ind.model_dump(mode="json") for ind in catalogue],
        "geography": catalogue.geography.model_dump(mode="json"),
        "years": sorted(years) if years is not None else None,
    }
    if progress is not None:
        progress("store", 0, 1)
    metas = catalogue.metas()
    vintage = store.add_vintage(values, source="healthgap.engine", inputs=inputs,
                                parameters=parameters, indicators=metas, label=label)
    if progress is not None:
        progress("store", 1, 1)
    return vintage
