"""What the static site precomputes so that its pages follow their filters with no server.

The server builds a view for each query string; a static host cannot, so the export writes,
beside each page, what the page's script needs to show the same charts, tables and downloads
in every state the page offers. Each is bounded by the data once (never one copy per
combination of filters):

* ``data/<page>.lines.json``: each table's CSV header and every row's CSV line (the server's
  own, spreadsheet-safe), with the table row it belongs to. The page has every row and hides
  those its filters exclude; a download keeps the lines of the rows shown, which is byte for
  byte the CSV the server sends for the same view.
* ``data/<page>.charts.json`` (pages whose charts follow filters: an indicator's map, bars
  and trend follow sex and period): the charts of every sex and period the page offers, as
  the server draws them (title, text alternative, data), with each Vega-Lite spec (without
  data) once and each area's boundary once; the maps' features name their area instead.
* ``data/compare-<area>.json``: an area's rows for "Compare two areas" (table cells and CSV
  fields), so that the page can set any two areas side by side as the server does.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

from healthgap.publish.report.charts import Chart
from healthgap.publish.web import _tables
from healthgap.publish.web._indicator import chart_sections, indicator_values, periods_by_sex
from healthgap.publish.web._model import View, comparison_cell
from healthgap.publish.web._profile import (
    SIDE_KEYS,
    SIDE_LEFT,
    SIDE_RIGHT,
    side_by_side,
    spine_rows,
)
from healthgap.publish.web._published import Published

__all__ = ["chart_states", "compare_rows", "table_lines"]

#: One CSV record as polars writes it: fields quoted with "" for a quote may hold newlines.
_RECORD = re.compile(r'[^"\n]*(?:"(?:[^"]|"")*"[^"\n]*)*\n')


def _json(payload: Any) -> bytes:
    return json.dumps(payload, allow_nan=False, separators=(",", ":"), default=str).encode()


def _records(frame: pl.DataFrame) -> tuple[str, list[str]]:
    """The frame's spreadsheet-safe CSV (as the server sends it) split into header and lines."""
    text = _tables.csv_bytes(frame).decode("utf-8")
    records = _RECORD.findall(text)
    if "".join(records) != text or len(records) != frame.height + 1:
        raise ValueError(f"CSV of {frame.height} rows did not split into one line per row")
    return records[0], records[1:]


def table_lines(view: View) -> bytes:
    """Every table of the view as CSV lines with their table rows (``.lines.json``).

    ``header + [line for row, line in zip(rows, lines) if row is shown]`` is the server's
    :func:`~healthgap.publish.web._render.table_csv` of the view with those rows shown.
    """
    tables = {}
    for table in view.tables():
        frame = table.frame
        if "_row" in frame.columns:  # several download rows per table row (the overview)
            rows = frame["_row"].cast(pl.Int64).to_list()
            frame = frame.drop("_row")
        else:
            rows = list(range(frame.height))
        header, lines = _records(frame)
        tables[table.id] = {"header": header, "rows": rows, "lines": lines}
    return _json({"page": view.slug, "tables": tables})


def _pack(chart: Chart, specs: dict[str, int], geometry: dict[str, Any]) -> dict[str, Any]:
    """A chart without what every state shares: its spec's index, boundaries by area code."""
    bare = {k: v for k, v in chart.spec.items() if k not in ("datasets", "description")}
    key = json.dumps(bare, sort_keys=True, allow_nan=False)
    index = specs.setdefault(key, len(specs))
    datasets = {}
    for name, data in chart.spec.get("datasets", {}).items():
        if isinstance(data, dict) and "features" in data:
            features = []
            for feature in data["features"]:
                code = feature["properties"]["area_code"]
                geometry.setdefault(code, feature["geometry"])
                features.append({**feature, "geometry": code})
            data = {**data, "features": features}
        datasets[name] = data
    return {"id": chart.id, "title": chart.title, "alt": chart.alt, "spec": index, "data": datasets}


def chart_states(pub: Published, indicator_id: str, comparator: str) -> bytes:
    """An indicator page's charts for every sex and period it offers (``.charts.json``).

    ``periods`` gives each sex's periods (latest first: "latest" is the first); ``states``
    maps ``"<sex>|<period>"`` to the charts drawn, in page order.
    """
    values = indicator_values(pub, indicator_id)
    by_sex = periods_by_sex(pub, values)
    specs: dict[str, int] = {}
    geometry: dict[str, Any] = {}
    states = {}
    for sex, periods in by_sex.items():
        for period in periods:
            sections = chart_sections(pub, indicator_id, values, sex, period, comparator)
            charts = [item for s in sections for item in s.items if isinstance(item, Chart)]
            states[f"{sex}|{period}"] = [_pack(c, specs, geometry) for c in charts]
    return _json(
        {
            "periods": by_sex,
            "specs": [json.loads(k) for k in specs],
            "geometry": geometry,
            "states": states,
        }
    )


def compare_rows(pub: Published, code: str, comparator: str) -> bytes:
    """An area's rows for "Compare two areas" (``compare-<code>.json``).

    Each row: its series key, label, period and sex, its value cell (text and class) and its
    CSV fields as the first area (``left``) and as the second (``right``); ``header`` is the
    CSV header of any two areas, ``missing`` the cell of an area without the series.
    """
    rows = spine_rows(pub, code, comparator)
    payload: dict[str, Any] = {"area": code, "name": pub.names[code], "rows": []}
    missing = comparison_cell(None, None)
    payload["missing"] = [missing.text, missing.cls]
    payload["empty"] = _tables.csv_bytes(side_by_side(rows, rows.head(0))).decode("utf-8")
    if rows.is_empty():
        return _json(payload)
    payload["header"] = _records(side_by_side(rows, rows).head(0))[0]
    keys = _records(rows.select(SIDE_KEYS))[1]
    left = _records(rows.select(SIDE_LEFT))[1]
    right = _records(rows.select(SIDE_RIGHT))[1]
    for i, r in enumerate(rows.select(*SIDE_KEYS, *SIDE_LEFT).iter_rows(named=True)):
        cell = comparison_cell(r["value"], r["comparison"])
        payload["rows"].append(
            {
                "key": json.dumps([r[k] for k in SIDE_KEYS]),
                "indicator_id": r["indicator_id"],
                "label": r["label"],
                "period": r["period"],
                "sex": r["sex"],
                "cell": [cell.text, cell.cls],
                "csv": [keys[i].rstrip("\n"), left[i].rstrip("\n"), right[i].rstrip("\n")],
            }
        )
    return _json(payload)
