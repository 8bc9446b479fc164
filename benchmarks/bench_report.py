"""The annual report: 33 boroughs x the Strategy's indicators x 10 years, HTML and PDF.

Target (issue 8): the whole report, HTML and PDF, in under 60 s on 2 cores. The store is the
report tests' synthetic fixture (tests/publish/report/_store.py): 18 headline indicators,
the life-expectancy gap decomposition and 7 commitment series, deciles for three of them.
A second line reads the whole store: the fixture's vintage and a later national-style
import (every English LA's value of one more indicator, without confidence intervals), so
the report combines two vintages and computes national quintiles.
"""

from __future__ import annotations

import importlib.util
import tempfile
import time
from pathlib import Path

from benchmarks._harness import line, peak_rss_mb
from healthgap.london import report_options
from healthgap.publish.report import write_report
from healthgap.store import Store

_FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "publish" / "report" / "_store.py"


def _fixture():
    spec = importlib.util.spec_from_file_location("report_store", _FIXTURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(scale: float = 1.0) -> None:
    n_boroughs = max(3, min(33, round(33 * scale)))
    n_years = max(5, min(10, round(10 * scale)))
    with tempfile.TemporaryDirectory() as tmp:
        path, vintage = _fixture().make_store(
            Path(tmp) / "report.duckdb", n_boroughs=n_boroughs, years=range(2024 - n_years, 2024)
        )
        with Store.open(path) as store:
            n_values = store.values(vintage).num_rows
            n_ind = len(store.indicators())
            size = f"{n_boroughs} LAs x {n_ind} ind x {n_years} y"
            for pdf in (False, True):
                out = Path(tmp) / ("site-pdf" if pdf else "site")
                t0 = time.perf_counter()
                memory, result = peak_rss_mb(
                    lambda out=out, pdf=pdf: write_report(
                        store, vintage, out, pdf=pdf, **report_options()
                    )
                )
                seconds = time.perf_counter() - t0
                extra = (
                    f"{result.n_pages} pages, {result.n_charts} charts, "
                    f"{result.n_downloads} downloads, {n_values:,} values, "
                    f"peak +{memory:,.0f} MB"
                )
                if pdf:
                    extra += f", PDF {result.pdf_pages} pages"
                line("report HTML + PDF" if pdf else "report HTML", size, seconds, extra=extra)
            _national_import(store, rng_seed=2)
            out = Path(tmp) / "site-store"
            t0 = time.perf_counter()
            result = write_report(store, None, out, **report_options())
            seconds = time.perf_counter() - t0
            line(
                "report HTML, whole store",
                f"{size} + 1 national ind",
                seconds,
                extra=f"{len(result.vintages)} vintages, {result.n_pages} pages",
            )


def _national_import(store: Store, rng_seed: int) -> None:
    """A later vintage: one indicator for 300 English LAs (no intervals), as a national file."""
    import numpy as np
    import pyarrow as pa

    from healthgap.catalogue.metadata import IndicatorMeta

    rng = np.random.default_rng(rng_seed)
    boroughs = store.hierarchy()["child_code"].to_pylist()
    others = [f"E07{n:06d}" for n in range(300 - len(boroughs))]
    store.add_areas(
        pa.table(
            {
                "area_code": others,
                "area_name": [f"District {n}" for n in range(len(others))],
                "area_type": ["la"] * len(others),
            }
        )
    )
    codes = [*boroughs, *others]
    values = pa.table(
        {
            "indicator_id": ["injuries"] * len(codes),
            "area_code": codes,
            "period": ["2022/23"] * len(codes),
            "period_start": [2022] * len(codes),
            "period_years": [1] * len(codes),
            "sex": ["Persons"] * len(codes),
            "age": ["0-14 yrs"] * len(codes),
            "category_type": [""] * len(codes),
            "category": [""] * len(codes),
            "value": rng.normal(100, 20, len(codes)),
        }
    )
    meta = IndicatorMeta(id="injuries", name="Admissions for injuries", polarity="low_is_good")
    store.add_vintage(values, source="national file", indicators=[meta], label="injuries")


if __name__ == "__main__":
    run()
