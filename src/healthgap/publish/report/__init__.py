"""The annual indicator report: an accessible, offline HTML site and a PDF, from the store.

>>> from healthgap.publish.report import ReportResult, write_report
"""

from healthgap._extras import require

require("healthgap.publish.report", "report", "jinja2", "altair", "vl_convert", "weasyprint")

from healthgap.publish.report.builder import ReportResult, write_report

__all__ = ["ReportResult", "write_report"]
