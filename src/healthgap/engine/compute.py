"""Run a catalogue: records -> counts (Ibis) -> indicators (methods) -> one store vintage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from healthgap.catalogue.catalogue import Catalogue
from healthgap.catalogue.indicator import (
    Denominator,
    Geography,
    Indicator,
    Numerator,
)
from healthgap.catalogue.method_table import METHODS
from healthgap.engine import _backends
from healthgap.engine.counts import (
    TOP_BAND,
    AgeBands,
    AgeGroups,
    CauseGroups,
    RecordBreakdown,
    batch_expression,
    count_expression,
    record_name,
    segment_bounds,
)
from healthgap.engine.decomposition import cause_labels
from healthgap.engine.rollup import CAUSE_PREFIX, KEY_SCHEMA, record_column, rollup
from healthgap.engine.statistics import derived_values, indicator_values
from healthgap.store.schema import VALUE_KEYS, VALUES

__all__ = [
    "Progress",
    "compute",
    "compute_counts",
    "compute_values",
    "input_tables",
    "values_from_counts",
]

#: ``progress(stage, done, total)``: stage is "counts", "statistics" or "store".
Progress = Callable[[str, int, int], None]
Data = str | Path | Mapping[str, Any]

Part = Numerator | Denominator
Request = tuple[Part, Indicator, Sequence[RecordBreakdown]]


def sides(ind: Indicator) -> dict[str, Part]:
    """Return the tables counted for ``ind``, by side name (see :data:`rollup.MEASURES`).

    ``x`` numerator, ``n`` denominator, ``hx``/``hn`` the prevalence's; a mean counts its
    values once (side ``n``, with their sum and sum of squares); a ratio counts nothing.
    """
    if ind.numerator is None:
        return {}
    if ind.denominator is None:  # a mean
        return {"n": ind.numerator}
    out: dict[str, Part] = {"x": ind.numerator, "n": ind.denominator}
    if ind.prevalence is not None:
        out |= {"hx": ind.prevalence.numerator, "hn": ind.prevalence.denominator}
    return out


def record_breakdowns(ind: Indicator, geo: Geography) -> tuple[RecordBreakdown, ...]:
    """Return the breakdowns of ``ind`` counted from the records: columns and age groups."""
    out: list[RecordBreakdown] = []
    for name in ind.breakdowns:
        spec = geo.breakdowns[name]
        if spec.source == "record":
            out.append(spec.column)
        elif spec.source == "age":
            out.append(
                AgeGroups(
                    record_column(geo, name),
                    tuple((label, lo, hi) for label, (lo, hi) in spec.bands.items()),
                )
            )
    return tuple(out)


def part_breakdowns(
    ind: Indicator, side: str, record: tuple[RecordBreakdown, ...]
) -> tuple[RecordBreakdown, ...]:
    """Return the record breakdowns counted for ``side``.

    A decomposition's numerator adds its cause groups.
    """
    spec = ind.decomposition
    if side != "x" or spec is None or not spec.causes:
        return record
    return (
        *record,
        CauseGroups("cause", spec.cause_column, tuple(spec.causes.items()), spec.other),
    )


def _by_cause(ind: Indicator, deaths: pl.DataFrame) -> pl.DataFrame:
    """Turn deaths by cause into all deaths ``n`` and each group's deaths ``cause_<k>``.

    One row per key, the groups numbered in the order of :func:`cause_labels` (a side of
    the roll-up with several measures).
    """
    keys = [c for c in deaths.columns if c not in ("n", "rb_cause")]
    labels = cause_labels(ind)
    by_cause = [
        pl.col("n").filter(pl.col("rb_cause") == label).sum().alias(f"{CAUSE_PREFIX}{k}")
        for k, label in enumerate(labels)
    ]
    return deaths.group_by(keys).agg(pl.col("n").sum(), *by_cause)


def input_tables(catalogue: Catalogue) -> set[str]:
    """Names of every table ``catalogue`` reads (its parts and the geography's lookup)."""
    tables = {part.table for ind in catalogue for part in sides(ind).values()}
    tables |= {ind.exposure.table for ind in catalogue if ind.exposure is not None}
    return tables | {catalogue.geography.lookup}


def _key(part: Part, ind: Indicator, record: Sequence[RecordBreakdown]) -> str:
    method = METHODS[ind.method]
    return repr((part, ind.periods.type, method.bands, tuple(record), method.moments))


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

    def prefetch(self, requests: Sequence[Request]) -> None:
        """Run one query per table for the requests that can share it (see :func:`_batches`).

        The counts of each request are then derived in Polars from the (much smaller)
        aggregate and cached under the key :meth:`counts` looks up; a cached frame is
        dropped after its last request (national data: the frames are large).
        """
        self.uses.update(_key(part, ind, rec) for part, ind, rec in requests)
        for batch in _batches(requests, self.table):
            first, period_type = batch[0][0], batch[0][1]
            record = _scanned(batch[0][3])  # the same in every request of the batch
            parts = [(part, bands) for part, _, bands, _ in batch]
            groups = [g for *_, rec in batch for g in rec if isinstance(g, AgeGroups)]
            need_age = bool(groups) or any(
                b is not None or p.filter.age is not None for p, b in parts
            )
            extra = [
                b
                for g in groups
                for _, lo, hi in g.bands
                for b in (lo, *([] if hi is None else [hi + 1]))
            ]
            bounds = segment_bounds(parts, extra) if need_age else None
            unique = {repr(_no_age(p.filter)): _no_age(p.filter) for p, _ in parts}
            filters, index = list(unique.values()), list(unique)
            expr = batch_expression(
                self.table(first.table),
                [p for p, _ in parts],
                filters,
                period_type=period_type,
                bounds=bounds,
                record_breakdowns=record,
            )
            frame = pl.from_arrow(expr.to_pyarrow())
            assert isinstance(frame, pl.DataFrame)
            for part, ptype, bands, rec in batch:
                key = repr((part, ptype, bands, tuple(rec), False))
                if key not in self.cache:
                    k = index.index(repr(_no_age(part.filter)))
                    self.cache[key] = _derive(frame, part, bands, k, bounds, rec)

    def counts(self, part: Part, ind: Indicator, record: Sequence[RecordBreakdown]) -> pl.DataFrame:
        method = METHODS[ind.method]
        key = _key(part, ind, record)
        if key not in self.cache:
            expr = count_expression(
                self.table(part.table),
                part,
                period_type=ind.periods.type,
                bands=method.bands,
                record_breakdowns=record,
                moments=method.moments,
            )
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


def _scanned(record: Sequence[RecordBreakdown]) -> tuple[RecordBreakdown, ...]:
    """Return the record breakdowns a batch groups by (age groups come from its segments)."""
    return tuple(r for r in record if not isinstance(r, AgeGroups))


def _batches(
    requests: Sequence[Request], table: Callable[[str], Any]
) -> list[list[tuple[Any, str, AgeBands | None, tuple[RecordBreakdown, ...]]]]:
    """Group count requests that one aggregation pass over their table can answer.

    Parts share a pass when they read the same table, area, period, sex, age and value
    columns and the same record breakdowns, and count events or sum values (distinct
    people are not additive over segments); their filters, age bands and age groups may
    differ. Age bands, ranges and groups are derived from segments of an integer age column
    only.
    """
    groups: dict[str, list[tuple[Any, str, AgeBands | None, tuple[RecordBreakdown, ...]]]] = {}
    for part, ind, record in requests:
        method = METHODS[ind.method]
        if getattr(part, "count", "events") == "people" or method.moments or not method.counted:
            continue
        bands = method.bands
        needs_age = (
            bands is not None or part.filter.age is not None or len(_scanned(record)) < len(record)
        )
        if needs_age:
            schema = table(part.table).schema()
            if part.age not in schema or not schema[part.age].is_integer():
                continue
        period_type = ind.periods.type if part.year_from != "year" else "calendar"
        key = repr(
            (
                part.table,
                part.area,
                part.year,
                part.year_from,
                period_type,
                part.sex,
                part.age,
                part.value,
                _scanned(record),
            )
        )
        groups.setdefault(key, []).append((part, ind.periods.type, bands, tuple(record)))
    # a lone request is one query anyway: it takes the plain path
    return [batch for batch in groups.values() if len({repr(request) for request in batch}) > 1]


def _band_of(seg: pl.Expr, bands: AgeBands) -> pl.Expr:
    """:func:`healthgap.engine.counts.band_start` of a segment start (SQL's truncated %)."""
    rem = pl.when(seg < 0).then(-((-seg) % 5)).otherwise(seg % 5)
    five = pl.when(seg >= TOP_BAND).then(TOP_BAND).otherwise(seg - rem)
    if bands == "life":
        five = pl.when(seg < 1).then(0).when(seg < 5).then(1).otherwise(five)
    return five.cast(pl.Int16)


def _derive(
    frame: pl.DataFrame,
    part: Any,
    bands: AgeBands | None,
    k: int,
    bounds: Sequence[int] | None,
    record: Sequence[RecordBreakdown],
) -> pl.DataFrame:
    """One part's counts (as :func:`count_expression` gives them) from a batch aggregate."""
    count = pl.col(f"c{k}")
    kept = frame.filter(count > 0)
    for group in (r for r in record if isinstance(r, AgeGroups)):  # from the segments
        seg = pl.col("age_seg")
        label = pl.lit(None, pl.String)
        for name, lo, hi in reversed(group.bands):
            inside = (seg >= lo) if hi is None else seg.is_between(lo, hi)
            label = pl.when(inside).then(pl.lit(name)).otherwise(label)
        kept = kept.with_columns(label.alias(f"rb_{group.name}"))
    if part.filter.age is not None:
        low, high = part.filter.age
        in_range = pl.col("age_seg") >= low
        kept = kept.filter(in_range if high is None else in_range & (pl.col("age_seg") <= high))
    keys = [
        "area_code",
        "year",
        "sex",
        *(["age_start"] if bands else []),
        *[f"rb_{record_name(c)}" for c in record],
    ]
    if bands is not None:
        kept = kept.with_columns(_band_of(pl.col("age_seg"), bands).alias("age_start"))
    value = f"s{k}" if f"s{k}" in frame.columns else None
    measure = pl.when(pl.col(value).count() > 0).then(pl.col(value).sum()) if value else count.sum()
    lowest = frame["age_seg"].min() if bounds is not None else None
    if bounds is None:
        shared: list[int] | None = []  # no age segments: one row per key already
    elif lowest is not None and lowest < 0:  # type: ignore[operator]
        shared = None  # negative ages have segments of their own: add everything up
    else:  # segments sharing a band (or the whole range, without bands) are added up
        starts = [
            b
            for b in bounds
            if part.filter.age is None
            or (b >= part.filter.age[0] and (part.filter.age[1] is None or b <= part.filter.age[1]))
        ]
        bucket = {b: _py_band(b, bands) if bands else 0 for b in starts}
        sizes = Counter(bucket.values())
        shared = [b for b in starts if sizes[bucket[b]] > 1]
    if shared == []:
        kept = kept.with_columns((pl.col(value) if value else count).alias("n"))
    elif shared is None or bands is None:
        kept = kept.group_by(keys).agg(measure.alias("n"))
    else:  # e.g. five-year bands from life-table segments: only 0 and 1-4 are added up
        alone = kept.filter(~pl.col("age_seg").is_in(shared)).with_columns(
            (pl.col(value) if value else count).alias("n")
        )
        summed = kept.filter(pl.col("age_seg").is_in(shared)).group_by(keys).agg(measure.alias("n"))
        kept = pl.concat(
            [alone.select(*keys, "n"), summed.select(*keys, "n")], how="vertical_relaxed"
        )
    return kept.select(*keys, pl.col("n").cast(pl.Float64))


def _py_band(start: int, bands: AgeBands) -> int:
    if bands == "life" and start < 5:
        return 0 if start < 1 else 1
    return TOP_BAND if start >= TOP_BAND else start - start % 5


def _exposed(
    runner: _Runner,
    ind: Indicator,
    geo: Geography,
    lookup: pl.DataFrame,
    frames: dict[str, pl.DataFrame],
) -> dict[str, pl.DataFrame]:
    """Deaths ``x``, weights ``n`` (population) and ``s`` (exposure x population).

    Each small area takes the exposure of its area at ``exposure.level`` (the mean of that
    area's values in the year, in the method's ``exposure_units``: millionths), so sums over
    any larger area are population-weighted. A small area in a year without an exposure
    weighs 0 and its deaths are left out: its areas' values are withheld, larger areas' use
    the areas with an exposure.
    """
    spec, units = ind.exposure, METHODS[ind.method].exposure_units
    assert spec is not None
    assert units is not None
    expr = count_expression(
        runner.table(spec.table), spec, period_type=ind.periods.type, bands=None, moments=True
    )
    frame = pl.from_arrow(expr.to_pyarrow())
    assert isinstance(frame, pl.DataFrame)
    level = geo.levels[spec.level]
    areas = lookup.select(
        pl.col(geo.area).cast(pl.String).alias("area_code"),
        pl.col(level).cast(pl.String).alias("_level"),
    ).unique("area_code")
    # exposures in whole millionths: the sums of exposure x population are whole numbers,
    # the same in any order (so on every run and backend)
    exposure = frame.select(
        pl.col("area_code").alias("_level"),
        "year",
        (pl.col("s") / pl.col("n") * units).round().alias("_c"),
    )
    weighted = (
        frames["n"]
        .join(areas, on="area_code", how="inner")
        .join(exposure, on=["_level", "year"], how="left")
        .drop("_level")
    )
    known = weighted.filter(pl.col("_c").is_not_null()).select("area_code", "year").unique()
    unknown = pl.col("_c").is_null()
    return {
        "x": frames["x"].join(known, on=["area_code", "year"], how="semi"),
        "n": weighted.with_columns(
            pl.when(unknown).then(0.0).otherwise(pl.col("n")).alias("n")
        ).drop("_c"),
        "s": weighted.with_columns(
            pl.when(unknown).then(0.0).otherwise(pl.col("n") * pl.col("_c")).alias("n")
        ).drop("_c"),
    }


def compute_counts(
    catalogue: Catalogue,
    data: Data,
    *,
    backend: Any = "duckdb",
    years: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> dict[str, pl.DataFrame]:
    """Aggregate records to each indicator's counts ``x``, ``n`` by area, period, sex, ...

    This is the backend-dependent part of :func:`compute`: on the same data DuckDB and Spark
    give identical frames.
    """
    runner = _Runner(data, backend)
    geo = catalogue.geography
    lookup = pl.from_arrow(runner.table(geo.lookup).to_pyarrow())
    assert isinstance(lookup, pl.DataFrame)
    out: dict[str, pl.DataFrame] = {}
    requests: list[Request] = []
    for ind in catalogue:
        record = record_breakdowns(ind, geo)
        requests += [
            (part, ind, part_breakdowns(ind, name, record)) for name, part in sides(ind).items()
        ]
    runner.prefetch(requests)
    total = len(catalogue)
    for done, ind in enumerate(catalogue, start=1):
        record = record_breakdowns(ind, geo)
        frames = {
            name: runner.counts(part, ind, part_breakdowns(ind, name, record))
            for name, part in sides(ind).items()
        }
        if cause_labels(ind):  # deaths by cause group: columns of the numerator's side
            frames["x"] = _by_cause(ind, frames["x"])
        method = METHODS[ind.method]
        if method.moments:  # one count gives the values' number, sum and squares
            frame = frames["n"]
            keys = [c for c in frame.columns if c not in ("n", "s", "q")]
            frames = {m: frame.select(*keys, pl.col(m).alias("n")) for m in ("n", "s", "q")}
        if ind.exposure is not None:
            frames = _exposed(runner, ind, geo, lookup, frames)
        if frames:
            out[ind.id] = rollup(
                ind,
                geo,
                frames,
                lookup,
                banded=method.bands is not None,
                years=years,
                with_level=ind.decomposition is not None,
            )
        else:  # a ratio or summary of other indicators: nothing to count
            out[ind.id] = pl.DataFrame(schema=KEY_SCHEMA)
        if progress is not None:
            progress("counts", done, total)
    return out


def compute_values(
    catalogue: Catalogue,
    data: Data,
    *,
    backend: Any = "duckdb",
    years: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> pa.Table:
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


def values_from_counts(
    catalogue: Catalogue, counts: Mapping[str, pl.DataFrame], *, progress: Progress | None = None
) -> pa.Table:
    """Compute the VALUES rows of every indicator from :func:`compute_counts`' frames.

    Each indicator's method runs once, on all its areas, periods, sexes and breakdowns;
    ratios and inequality summaries of other indicators are computed last, from their values.
    """
    tables: dict[str, pa.Table] = {}
    ordered = sorted(catalogue, key=lambda ind: not METHODS[ind.method].counted)
    for done, ind in enumerate(ordered, start=1):
        if not METHODS[ind.method].counted:
            tables[ind.id] = derived_values(ind, tables, catalogue)
        else:
            tables[ind.id] = indicator_values(ind, counts[ind.id], catalogue.geography)
        if progress is not None:
            progress("statistics", done, len(catalogue))
    values = pa.concat_tables(tables.values()) if tables else VALUES.empty_table()
    return values.sort_by([(k, "ascending") for k in VALUE_KEYS])


def compute(
    catalogue: Catalogue,
    data: Data,
    *,
    store: Any,
    backend: Any = "duckdb",
    years: Sequence[int] | None = None,
    progress: Progress | None = None,
    label: str = "",
) -> str:
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
    inputs = _backends.input_paths(_data(data), input_tables(catalogue))
    parameters = {
        "catalogue": [ind.model_dump(mode="json") for ind in catalogue],
        "geography": catalogue.geography.model_dump(mode="json"),
        "years": sorted(years) if years is not None else None,
    }
    if progress is not None:
        progress("store", 0, 1)
    metas = catalogue.metas()
    vintage = store.add_vintage(
        values,
        source="healthgap.engine",
        inputs=inputs,
        parameters=parameters,
        indicators=metas,
        label=label,
    )
    if progress is not None:
        progress("store", 1, 1)
    return vintage
