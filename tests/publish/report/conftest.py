"""Fixture stores and reports shared by the report tests (built once per test module run)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from healthgap.london import report_options
from healthgap.store import Store

_spec = importlib.util.spec_from_file_location(
    "report_store", Path(__file__).with_name("_store.py")
)
report_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_store)

SMALL, TINY = report_store.SMALL, report_store.TINY


@pytest.fixture(scope="session")
def small_store(tmp_path_factory) -> tuple[str, str]:
    """(store path, vintage id) of the small synthetic fixture, without boundaries."""
    path = tmp_path_factory.mktemp("report-store") / "small.duckdb"
    return report_store.make_store(path, **SMALL)


@pytest.fixture(scope="session")
def small_report(small_store, tmp_path_factory):
    """The HTML report of the small store: (ReportResult, output folder)."""
    from healthgap.publish.report import write_report

    out = tmp_path_factory.mktemp("report") / "site"
    with Store.open(small_store[0]) as store:
        result = write_report(store, small_store[1], out, **report_options())
    return result, out


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory) -> tuple[str, str]:
    """(store path, vintage id) of a tiny fixture with (made-up) boundaries."""
    path = tmp_path_factory.mktemp("report-tiny") / "tiny.duckdb"
    return report_store.make_store(path, geometry=True, **TINY)


@pytest.fixture(scope="session")
def pdf_reports(tiny_store, tmp_path_factory):
    """The tiny store's report with its PDF, written twice into two folders."""
    from healthgap.publish.report import write_report

    outs = []
    with Store.open(tiny_store[0]) as store:
        for name in ("first", "second"):
            out = tmp_path_factory.mktemp("report-pdf") / name
            outs.append(
                (write_report(store, tiny_store[1], out, pdf=True, **report_options()), out)
            )
    return outs
