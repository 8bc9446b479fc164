"""The report's charts, in one grammar (Altair / Vega-Lite), each with its data table.

Each builder takes a small, already published table (disclosure applied upstream) and returns
a :class:`Chart`: a fixed id, a title, a text alternative, the Vega-Lite spec (data inline)
and the table behind it, which the page shows and offers for download.
"""

from healthgap.publish.report.charts._areas import bar_chart, can_map, map_chart
from healthgap.publish.report.charts._base import Chart, compact, fmt, records
from healthgap.publish.report.charts._inequality import decile_chart, gap_chart
from healthgap.publish.report.charts._spine import spine_chart
from healthgap.publish.report.charts._trends import target_chart, trend_chart

__all__ = [
    "Chart",
    "bar_chart",
    "can_map",
    "compact",
    "decile_chart",
    "fmt",
    "gap_chart",
    "map_chart",
    "records",
    "spine_chart",
    "target_chart",
    "trend_chart",
]
