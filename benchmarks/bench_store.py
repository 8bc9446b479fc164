"""Store import speed: a 10-million-row values vintage and the all-England IMD 2019 file."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from benchmarks._harness import line, peak_rss_mb
from healthgap.store import Store, schema

IMD_FILE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "deprivation"
    / ("File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx")
)


def synthetic_values(n_rows: int, seed: int = 2019) -> tuple[pa.Table, pa.Table]:
    """Seeded values with unique keys (indicators x areas x years x sexes), and their areas."""
    rng = np.random.default_rng(seed)
    sexes, n_years, n_indicators = np.array(["Persons", "Male", "Female"]), 5, 20
    n_areas = max(1, -(-n_rows // (len(sexes) * n_years * n_indicators)))
    codes = np.array([f"E{1000000 + i:08d}" for i in range(n_areas)])
    i = np.arange(n_rows)
    sex, rest = i % 3, i // 3
    year, rest = rest % n_years, rest // n_years
    area, indicator = rest % n_areas, rest // n_areas
    count = rng.poisson(40, n_rows).astype(float)
    denominator = count + rng.integers(100, 5000, n_rows)
    value = count / denominator * 1e5
    half = 1.96 * np.sqrt(np.maximum(count, 1)) / denominator * 1e5
    years = (2015 + year).astype(np.int32)
    values = pa.table(
        {
            "indicator_id": pa.array(
                np.array([f"ind{k:03d}" for k in range(n_indicators)])[indicator]
            ),
            "area_code": pa.array(codes[area]),
            "period": pa.array(years.astype(str)),
            "period_start": pa.array(years),
            "period_years": pa.array(np.ones(n_rows, np.int16)),
            "sex": pa.array(sexes[sex]),
            "age": pa.array(np.full(n_rows, "All ages")),
            "category_type": pa.array(np.full(n_rows, "")),
            "category": pa.array(np.full(n_rows, "")),
            "value": value,
            "lower95_0cl": np.maximum(value - half, 0),
            "upper95_0cl": value + half,
            "lower99_8cl": np.maximum(value - 1.6 * half, 0),
            "upper99_8cl": value + 1.6 * half,
            "count": count,
            "denominator": denominator,
            "value_note": pa.nulls(n_rows, pa.string()),
        },
        schema=schema.VALUES,
    )
    areas = pa.table(
        {"area_code": codes, "area_name": codes, "area_type": np.full(n_areas, "lsoa")}
    )
    return values, areas


def _import_values(n_rows: int) -> None:
    values, areas = synthetic_values(n_rows)
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "b.duckdb") as store:
        store.add_areas(areas)
        t0, cpu0 = time.perf_counter(), time.process_time()
        peak, _ = peak_rss_mb(lambda: store.add_vintage(values, source="bench"))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        t1 = time.perf_counter()
        store.add_vintage(values, source="bench")  # rerun: validated, hashed, nothing written
        rerun = time.perf_counter() - t1
    line(
        "add_vintage (synthetic values)",
        f"{n_rows:,} rows",
        seconds,
        extra=f"{n_rows / seconds:,.0f} rows/s  cpu {cpu:.1f} s  peak +{peak:,.0f} MB  "
        f"rerun {rerun:.2f} s",
    )


def _import_imd() -> None:
    try:
        from healthgap.sources import IMPORTERS
    except ImportError:
        print("imd2019 import: skipped (healthgap.sources.IMPORTERS not available)")
        return
    if "imd2019" not in IMPORTERS or not IMD_FILE.is_file():
        print("imd2019 import: skipped (importer or ../shared/data file absent)")
        return
    t0 = time.perf_counter()
    imported = IMPORTERS["imd2019"](IMD_FILE)
    read = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "b.duckdb") as store:
        t1 = time.perf_counter()
        peak, _ = peak_rss_mb(lambda: store.load(imported))
        write = time.perf_counter() - t1
        n = store.areas(area_type="lsoa").num_rows or store.areas().num_rows
    line(
        "imd2019 import (read + load)",
        f"{n:,} areas",
        read + write,
        extra=f"read {read:.2f} s  load {write:.2f} s  {n / (read + write):,.0f} areas/s  "
        f"load peak +{peak:,.0f} MB",
    )


def _disclosure(n_areas: int) -> None:
    """apply_disclosure on sex x IMD-decile tables (Persons = Male + Female, deciles = total)."""
    import polars as pl

    from healthgap.publish.disclosure import apply_disclosure

    rng = np.random.default_rng(7)
    parts = rng.poisson(8, (n_areas, 2, 10)).astype(float)  # area x (Male, Female) x decile
    cube = np.concatenate([parts.sum(1, keepdims=True), parts], axis=1)  # + Persons
    cube = np.concatenate([cube.sum(2, keepdims=True), cube], axis=2)  # + all deciles
    n = cube.size
    area, sex, decile = np.unravel_index(np.arange(n), cube.shape)
    frame = pl.DataFrame(
        {
            "indicator_id": np.full(n, "x"),
            "area_code": area.astype(str),
            "period": np.full(n, "2021"),
            "sex": np.array(["Persons", "Male", "Female"])[sex],
            "age": np.full(n, "All ages"),
            "category_type": np.where(decile == 0, "", "IMD 2019 decile"),
            "category": np.where(decile == 0, "", decile.astype(str)),
            "value": cube.ravel() / 100,
            "count": cube.ravel(),
        }
    )
    t0 = time.perf_counter()
    out = apply_disclosure(frame)
    seconds = time.perf_counter() - t0
    line(
        "apply_disclosure (sex x decile)",
        f"{n:,} rows",
        seconds,
        extra=f"{n / seconds:,.0f} rows/s  withheld {out['count'].null_count():,}",
    )


def _polygons(n_areas: int, vertices: int, seed: int) -> pa.Table:
    """Seeded GeoJSON polygons (about LSOA size and detail), one per area."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, vertices)
    centres = rng.uniform([-6, 50], [2, 56], (n_areas, 2))
    radii = 0.005 * (1 + 0.2 * rng.random((n_areas, vertices)))
    xs = np.round(centres[:, :1] + radii * np.cos(angles), 6)
    ys = np.round(centres[:, 1:] + radii * np.sin(angles), 6)
    shapes = [
        '{"type":"Polygon","coordinates":[['
        + ",".join(f"[{x},{y}]" for x, y in zip(xr, yr, strict=True))
        + "]]}"
        for xr, yr in zip(xs, ys, strict=True)
    ]
    return pa.table(
        {
            "area_code": [f"E{1000000 + i:08d}" for i in range(n_areas)],
            "geometry": shapes,
            "source_crs": ["EPSG:27700"] * n_areas,
        },
        schema=schema.GEOMETRY,
    )


def _frozen_boundaries(n_areas: int) -> None:
    """Vintages of a store with boundaries: each vintage freezes them, each shape once."""
    values, areas = synthetic_values(n_areas * 3)
    geometry = _polygons(n_areas, 120, seed=27700)
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "b.duckdb") as store:
        store.add_areas(areas, geometry=geometry)
        t0 = time.perf_counter()
        store.add_vintage(values, source="bench")  # boundaries snapshotted
        first = time.perf_counter() - t0
        t1 = time.perf_counter()
        store.add_vintage(values.slice(1), source="bench")  # the same boundaries: shared
        shared = time.perf_counter() - t1
        redrawn = geometry.slice(0, 1).set_column(
            1, "geometry", pa.array(['{"type":"Point","coordinates":[0,51]}'])
        )
        store.add_areas(None, geometry=redrawn)
        t2 = time.perf_counter()
        store.add_vintage(values.slice(2), source="bench")  # one boundary redrawn
        one = time.perf_counter() - t2
        shapes = store._con.execute("SELECT count(*) FROM snap_shapes").fetchall()[0][0]
    megabytes = sum(len(g) for g in geometry["geometry"].to_pylist()) / 1e6
    line(
        "add_vintage freezing boundaries",
        f"{n_areas:,} areas {megabytes:,.0f} MB",
        first,
        extra=f"same boundaries {shared:.2f} s  one redrawn {one:.2f} s  "
        f"shapes stored {shapes:,} (3 vintages)",
    )


def run(scale: float = 1.0) -> None:
    _import_values(int(10_000_000 * scale))
    _import_imd()
    _disclosure(int(30_000 * scale))
    _frozen_boundaries(int(35_000 * scale))


if __name__ == "__main__":
    run()
