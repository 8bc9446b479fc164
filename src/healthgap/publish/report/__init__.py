"""The indicator report: an accessible, offline HTML site and a PDF, from the store.

>>> from healthgap.publish.report import ReportResult, write_report

Applications (e.g. a city's strategy) pass their own pages to :func:`write_report` as
``extra_pages``: builders ``f(data: ReportData) -> Page`` made of :class:`Section` items.
"""

from healthgap._extras import require

require("healthgap.publish.report", "report", "jinja2", "altair", "vl_convert", "weasyprint")

from healthgap.publish.report._data import ReportData
from healthgap.publish.report._model import Page, Section, Table, plain_table
from healthgap.publish.report.builder import ReportResult, write_report

__all__ = [
    "Page",
    "ReportData",
    "ReportResult",
    "Section",
    "Table",
    "plain_table",
    "write_report",
]
