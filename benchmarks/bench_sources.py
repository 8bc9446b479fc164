"""Importer speed: a 10-million-row tidy CSV and Parquet file, IMD 2019, boundaries, Fingertips."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import polars as pl

from benchmarks._harness import line, peak_rss_mb
from benchmarks.bench_store import synthetic_values
from healthgap import sources

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_FILES = [
    (
        "imd2019 (File 1)",
        sources.read_imd2019,
        SHARED / "deprivation" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
    ),
    (
        "imd2019-london",
        sources.read_imd2019_london,
        SHARED / "deprivation" / "ID 2019 for London.xlsx",
    ),
    (
        "ons-population (MYE 2019)",
        sources.read_ons_population,
        SHARED / "population" / "ukmidyearestimates20192020ladcodes.xls",
    ),
    (
        "census-2021 TS007A LSOA",
        sources.read_census_2021,
        SHARED / "population" / "census2021-ts007a-lsoa.csv",
    ),
    (
        "lsoa-shapefile (London)",
        sources.read_lsoa_shapefile,
        SHARED / "boundaries" / "lsoa_2011_london_gen_mhw" / "LSOA_2011_London_gen_MHW.shp",
    ),
    (
        "fingertips (API dialect)",
        sources.read_fingertips_csv,
        SHARED / "fingertips" / "jargonautical_data-dev__indicators-CountyUA.data.csv",
    ),
]
MAPPING = {
    "indicator_id": "indicator",
    "area_code": "code",
    "period": "year",
    "sex": "sex",
    "value": "value",
    "lower95_0cl": "lower",
    "upper95_0cl": "upper",
    "count": "count",
    "denominator": "denominator",
}


def synthetic_tidy(n_rows: int, seed: int = 2019) -> pl.DataFrame:
    """The store benchmark's seeded values, as a tidy file an analyst would have."""
    values, _areas = synthetic_values(n_rows, seed)
    return pl.from_arrow(values).select(
        indicator="indicator_id",
        code="area_code",
        year="period_start",
        sex="sex",
        value="value",
        lower="lower95_0cl",
        upper="upper95_0cl",
        count="count",
        denominator="denominator",
    )


def run(scale: float = 1.0) -> None:
    """Print one line per workload: rows, seconds, rows per second, peak memory growth."""
    n = max(1000, int(10_000_000 * scale))
    with tempfile.TemporaryDirectory() as tmp:
        frame = synthetic_tidy(n)
        for suffix in ("parquet", "csv"):
            path = Path(tmp) / f"values.{suffix}"
            (frame.write_parquet if suffix == "parquet" else frame.write_csv)(path)
            t0 = time.perf_counter()
            peak, imp = peak_rss_mb(lambda p=path: sources.read_tidy(p, MAPPING))
            seconds = time.perf_counter() - t0
            assert imp.values.num_rows == n
            line(
                f"read_tidy ({suffix})",
                f"{n:,} rows",
                seconds,
                extra=f"{n / seconds:,.0f} rows/s  peak +{peak:,.0f} MB",
            )
        del frame
    for name, reader, path in REAL_FILES:
        if not path.exists():
            print(f"{name:<34} skipped: {path} not found", flush=True)
            continue
        t0 = time.perf_counter()
        peak, imp = peak_rss_mb(lambda r=reader, p=path: r(p))
        seconds = time.perf_counter() - t0
        rows = max(
            t.num_rows
            for t in (imp.values, imp.population, imp.areas, imp.classifications)
            if t is not None
        )
        line(
            name,
            f"{rows:,} rows",
            seconds,
            extra=f"{rows / seconds:,.0f} rows/s  peak +{peak:,.0f} MB",
        )


if __name__ == "__main__":
    run()
