"""A view as HTML (Jinja, autoescaped), as JSON and as CSV downloads: one renderer for both
the server and the static export."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2

from healthgap import __version__
from healthgap.publish.report._assets import STATIC as REPORT_STATIC
from healthgap.publish.web import _tables
from healthgap.publish.web._model import Row, View, row_visible, shown_frame, spec_json
from healthgap.publish.web._published import Published
from healthgap.publish.web._views import NAV, default_comparator, profile_areas

HERE = Path(__file__).parent
#: name -> file: the only static files served (never a path taken from a request)
STATIC_FILES = {
    "report.css": REPORT_STATIC / "report.css",
    "web.css": HERE / "static" / "web.css",
    "web.js": HERE / "static" / "web.js",
    "vega.min.js": REPORT_STATIC / "vega.min.js",
}


#: The static site's policy, in a meta element (a static host may send no headers; a meta
#: policy cannot say frame-ancestors).
STATIC_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'"
)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=False,
        undefined=jinja2.StrictUndefined,
    )


def site_info(pub: Published) -> dict[str, Any]:
    """What every page shows around its content: title, navigation, vintages."""
    areas = profile_areas(pub)
    first_area = areas[0] if areas else ""
    first_indicator = next(iter(pub.indicators), "")
    nav = [
        (href.format(area=first_area, indicator=first_indicator), text, key)
        for href, text, key in NAV
        if not (key == "area" and not first_area)
    ]
    return {
        "title": f"healthgap: {pub.strategy.name}",
        "nav": nav,
        "synthetic": pub.synthetic,
        "vintages": ", ".join(pub.vintage_ids),
        "version": __version__,
    }


def html(pub: Published, view: View, mode: str, comparator: str, query: dict[str, str]) -> str:
    """The page as HTML; ``mode`` is "server" or "static"."""
    template = _environment().get_template("page.html.j2")

    def visible(row: Row) -> bool:
        return row_visible(row, view.hidden)

    kept = {k: v for k, v in query.items() if v and k not in ("comparator",)}
    return template.render(
        view=view,
        site=site_info(pub),
        mode=mode,
        comparator=comparator,
        default_comparator=default_comparator(pub),
        # the page's own data files: the comparator's, named as its page is
        suffix="" if comparator == default_comparator(pub) else f".{comparator}",
        static_csp=STATIC_CSP,
        spec_json=spec_json,
        visible=visible,
        query=("?" + urlencode(kept)) if kept and mode == "server" else "",
    )


def view_json(pub: Published, view: View) -> bytes:
    """The view's tables (rows as shown) and vintages as JSON."""
    payload = {
        "vintages": pub.vintage_ids,
        "page": view.slug,
        "title": view.title,
        "tables": {t.id: _tables.records(shown_frame(t, view.hidden)) for t in view.tables()},
    }
    return json.dumps(payload, default=str, allow_nan=False).encode("utf-8")


def table_csv(view: View, table_id: str) -> bytes:
    """One table's rows, as the page shows them, as CSV.

    Raises
    ------
    KeyError
        When the view has no such table.
    """
    for table in view.tables():
        if table.id == table_id:
            return _tables.csv_bytes(shown_frame(table, view.hidden))
    raise KeyError(table_id)


def _form(schema: dict[str, Any]) -> str:
    """A parameter's type and constraints in words."""
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema)
    parts = [schema.get("type", "")]
    if "enum" in schema:
        parts.append("one of " + ", ".join(str(e) for e in schema["enum"]))
    for key, word in (("minimum", ">="), ("maximum", "<="), ("maxLength", "length <=")):
        if key in schema:
            parts.append(f"{word} {schema[key]}")
    if "default" in schema:
        parts.append(f"default {schema['default']}")
    return ", ".join(p for p in parts if p)


def api_reference(openapi: dict[str, Any]) -> str:
    """The API reference page: every operation of the OpenAPI schema, grouped by tag."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, methods in openapi["paths"].items():
        for operation in methods.values():
            parameters = [
                {
                    "name": p["name"],
                    "where": p["in"],
                    "required": p.get("required", False),
                    "form": _form(p.get("schema", {})),
                    "description": p.get("description", ""),
                }
                for p in operation.get("parameters", [])
            ]
            tag = (operation.get("tags") or ["Other"])[0]
            groups.setdefault(tag, []).append(
                {
                    "id": operation.get("operationId", path),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", "").strip(),
                    "parameters": parameters,
                }
            )
    template = _environment().get_template("api.html.j2")
    return template.render(
        title=openapi["info"]["title"],
        description=openapi["info"].get("description", ""),
        groups=list(groups.items()),
    )
