"""Run a catalogue: records -> counts (Ibis) -> indicators (methods) -> one store vintage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from healthgap.catalogue.catalogue import Catalogue
from healthgap.catalogue.indicator import Indicator
from healthgap.engine import _backends
from healthgap.engine.counts import (
    TOP_BAND,
    AgeBands,
    batch_expression,
    count_expression,
    segment_bounds,
)
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
        self.uses: Counter[str] = Counter()  # requests still to come, per cached key

    def table(self, name: str) -> Any:
        if name not in self.tables:
            self.tables[name] = _backends.open_table(self.con, self.data, name)
        return self.tables[name]

    def prefetch(self, requests: Sequence[tuple[Any, Indicator, Sequence[str]]]) -> None:
        """Run one query per table for the requests that can share it (see :func:`_batches`).

        The counts of each request are then derived in Polars from the (much smaller)
        aggregate and cached under the key :meth:`counts` looks up; a cached frame is
        dropped after its last request (national data: the frames are large).
        """
        self.uses.update(repr((part, ind.periods.type, _BANDS.get(ind.method), tuple(rec)))
                         for part, ind, rec in requests)
        for batch in _batches(requests, self.table):
            first, period_type, record = batch[0][0], batch[0][1], batch[0][3]
            parts = [(part, bands) for part, _, bands, _ in batch]
            need_age = any(b is not None or p.filter.age is not None for p, b in parts)
            bounds = segment_bounds(parts) if need_age else None
            unique = {repr(_no_age(p.filter)): _no_age(p.filter) for p, _ in parts}
            filters, index = list(unique.values()), list(unique)
            expr = batch_expression(self.table(first.table), [p for p, _ in parts], filters,
                                    period_type=period_type, bounds=bounds,
                                    record_breakdowns=record)
            frame = pl.from_arrow(expr.to_pyarrow())
            assert isinstance(frame, pl.DataFrame)
            for part, ptype, bands, rec in batch:
                key = repr((part, ptype, bands, tuple(rec)))
                if key not in self.cache:
                    k = index.index(repr(_no_age(part.filter)))
                    self.cache[key] = _derive(frame, part, bands, k, bounds, rec)

    def counts(self, part: Any, ind: Indicator, record: Sequence[str]) -> pl.DataFrame:
        bands = _BANDS[ind.method]
        key = repr((part, ind.periods.type, bands, tuple(record)))
        if key not in self.cache:
            expr = count_expression(self.table(part.table), part, period_type=ind.periods.type,
                                    bands=bands, record_breakdowns=record)
            frame = pl.from_arrow(expr.to_pyarrow())
            assert isinstance(frame, pl.DataFrame)
            self.cache[key] = frame
        if self.uses[key] > 0:
            self.uses[key] -= 1
            if self.uses[key] == 0:
                return self.cache.pop(key)
        return self.cache[key]


def _no_age(flt: Any) -> Any:
    return flt.model_copy(update={"age": None})


def _batches(requests: Sequence[tuple[Any, Indicator, Sequence[str]]],
             table: Callable[[str], Any]) -> list[list[tuple[Any, str, AgeBands | None,
                                                              tuple[str, ...]]]]:
    """Group count requests that one aggregation pass over their table can answer.

    Parts share a pass when they read the same table, area, period, sex, age and value
    columns and the same record breakdowns, and count events or sum values (distinct
    people are not additive over segments); their filters and age bands may differ. Age
    bands and ranges are derived from segments of an integer age column only.
    """
    groups: dict[str, list[tuple[Any, str, AgeBands | None, tuple[str, ...]]]] = {}
    for part, ind, record in requests:
        if getattr(part, "count", "events") == "people":
            continue
        bands = _BANDS.get(ind.method)
        if ind.method not in _BANDS:
            continue
        needs_age = bands is not None or part.filter.age is not None
        if needs_age:
            schema = table(part.table).schema()
            if part.age not in schema or not schema[part.age].is_integer():
                continue
        period_type = ind.periods.type if part.year_from != "year" else "calendar"
        key = repr((part.table, part.area, part.year, part.year_from, period_type, part.sex,
                    part.age, part.value, tuple(record)))
        groups.setdefault(key, []).append((part, ind.periods.type, bands, tuple(record)))
    # a lone request is one query anyway: it takes the plain path
    return [batch for batch in groups.values()
            if len({repr(request) for request in batch}) > 1]


def _band_of(seg: pl.Expr, bands: AgeBands) -> pl.Expr:
    """:func:`healthgap.engine.counts.band_start` of a segment start (SQL's truncated %)."""
    rem = pl.when(seg < 0).then(-((-seg) % 5)).otherwise(seg % 5)
    five = pl.when(seg >= TOP_BAND).then(TOP_BAND).otherwise(seg - rem)
    if bands == "life":
        five = pl.when(seg < 1).then(0).when(seg < 5).then(1).otherwise(five)
    return five.cast(pl.Int16)


def _derive(frame: pl.DataFrame, part: Any, bands: AgeBands | None, k: int,
            bounds: Sequence[int] | None, record: Sequence[str]) -> pl.DataFrame:
    """One part's counts (as :func:`count_expression` gives them) from a batch aggregate."""
    count = pl.col(f"c{k}")
    kept = frame.filter(count > 0)
    if part.filter.age is not None:
        low, high = part.filter.age
        in_range = pl.col("age_seg") >= low
        kept = kept.filter(in_range if high is None else in_range & (pl.col("age_seg") <= high))
    keys = ["area_code", "year", "sex", *(["age_start"] if bands else []),
            *[f"rb_{c}" for c in record]]
    if bands is not None:
        kept = kept.with_columns(_band_of(pl.col("age_seg"), bands).alias("age_start"))
    value = f"s{k}" if f"s{k}" in frame.columns else None
    measure = (pl.when(pl.col(value).count() > 0).then(pl.col(value).sum())
               if value else count.sum())
    lowest = frame["age_seg"].min() if bounds is not None else None
    if bounds is None:
        shared: list[int] | None = []  # no age segments: one row per key already
    elif lowest is not None and lowest < 0:  # type: ignore[operator]
        shared = None  # negative ages have segments of their own: add everything up
    else:  # segments sharing a band (or the whole range, without bands) are added up
        starts = [b for b in bounds if part.filter.age is None or (
            b >= part.filter.age[0] and (part.filter.age[1] is None or b <= part.filter.age[1]))]
        bucket = {b: _py_band(b, bands) if bands else 0 for b in starts}
        sizes = Counter(bucket.values())
        shared = [b for b in starts if sizes[bucket[b]] > 1]
    if shared == []:
        kept = kept.with_columns((pl.col(value) if value else count).alias("n"))
    elif shared is None or bands is None:
        kept = kept.group_by(keys).agg(measure.alias("n"))
    else:  # e.g. five-year bands from life-table segments: only 0 and 1-4 are added up
        alone = kept.filter(~pl.col("age_seg").is_in(shared)).with_columns(
            (pl.col(value) if value else count).alias("n"))
        summed = kept.filter(pl.col("age_seg").is_in(shared)).group_by(keys).agg(
            measure.alias("n"))
        kept = pl.concat([alone.select(*keys, "n"), summed.select(*keys, "n")],
                         how="vertical_relaxed")
    return kept.select(*keys, pl.col("n").cast(pl.Float64))


def _py_band(start: int, bands: AgeBands) -> int:
    if bands == "life" and start < 5:
        return 0 if start < 1 else 1
    return TOP_BAND if start >= TOP_BAND else start - start % 5


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
    requests = []
    for ind in catalogue:
        record = [geo.breakdowns[b].column for b in ind.breakdowns
                  if geo.breakdowns[b].source == "record"]
        requests += [(ind.numerator, ind, record), (ind.denominator, ind, record)]
    runner.prefetch(requests)
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
