"""The annual report: 33 boroughs x the Strategy's indicators x 10 years, HTML and PDF.

Target (issue 8): the whole report, HTML and PDF, in under 60 s on 2 cores. The store is the
report tests' synthetic fixture (tests/publish/report/_store.py): 18 headline indicators,
the life-expectancy gap decomposition and 7 commitment series, deciles for three of them.
"""

from __future__ import annotations

import importlib.util
import tempfile
import time
from pathlib import Path

from benchmarks._harness import line, peak_rss_mb
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
                    lambda out=out, pdf=pdf: write_report(store, vintage, out, pdf=pdf)
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


if __name__ == "__main__":
    run()
