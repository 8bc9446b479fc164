"""The dashboard's routes: pages, their JSON and CSV downloads, and the static files.

A page is ``/<slug>.html`` (``/<slug>.<comparator>.html`` for the non-default comparator),
the same names as the static export writes, so a link or a bookmark works on both. Query
parameters hold the filters. Static files are served from a fixed list of names.
"""

from __future__ import annotations

import gzip
import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from healthgap.publish.web import _render, _tables, _views
from healthgap.publish.web._published import NotPublishedError, Published, computed_once

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE = re.compile(r"^(?P<slug>[A-Za-z0-9_.-]+?)(?:\.(?P<cmp>england|region))?$")
STATE = ("domain", "sex", "period", "a", "b")
MAX_VALUE = 200  # characters of a filter value
CACHED_VIEWS = 512  # views (and their HTML) kept in memory


def _state(request: Request) -> dict[str, str]:
    state = {}
    for name in STATE:
        value = request.query_params.get(name)
        if value is not None:
            if len(value) > MAX_VALUE:
                raise _views.InputError(f"parameter '{name}' is longer than {MAX_VALUE} characters")
            state[name] = value
    return state


def _parse(page: str) -> tuple[str, str | None]:
    match = PAGE.match(page)
    if match is None:
        raise NotPublishedError(f"no page {page!r}")
    return match.group("slug"), match.group("cmp")


def _build(pub: Published, page: str, request: Request) -> tuple[_views.View, str, dict]:
    slug, cmp = _parse(page)
    state = _state(request)
    comparator = cmp or _views.default_comparator(pub)
    if comparator == _views.default_comparator(pub) and cmp is not None:
        raise NotPublishedError(f"no page {page!r}: the default comparator has no suffix")
    view = _cached_view(pub, slug, tuple(sorted({**state, "comparator": comparator}.items())))
    return view, comparator, state


@computed_once(CACHED_VIEWS)
def _cached_view(pub: Published, slug: str, state: tuple[tuple[str, str], ...]) -> _views.View:
    """A view in a state, built once: the store is read-only, so a view never changes."""
    return _views.view(pub, slug, dict(state))


@computed_once(CACHED_VIEWS)
def _cached_html(
    pub: Published, page: str, comparator: str, state: tuple[tuple[str, str], ...]
) -> str:
    view = _cached_view(
        pub, _parse(page)[0], tuple(sorted({**dict(state), "comparator": comparator}.items()))
    )
    return _render.html(pub, view, "server", comparator, dict(state))


@computed_once(CACHED_VIEWS)
def _cached_gzip(
    pub: Published, page: str, comparator: str, state: tuple[tuple[str, str], ...]
) -> bytes:
    return gzip.compress(_cached_html(pub, page, comparator, state).encode("utf-8"), mtime=0)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """The overview."""
    return page_html(request, "index")


@router.get("/{page}.html", response_class=HTMLResponse)
def page_html(
    request: Request, page: Annotated[str, Path(max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")]
) -> Response:
    """A dashboard page in the state of its query string."""
    pub: Published = request.app.state.published
    moved = _navigation(request, page)
    if moved is not None:
        return RedirectResponse(moved, status_code=303)
    comparator_param = request.query_params.get("comparator")
    if comparator_param is not None:
        slug, _ = _parse(page)
        if comparator_param not in pub.comparators:
            raise _views.InputError(
                f"parameter 'comparator' must be one of {list(pub.comparators)}; "
                f"got {comparator_param!r}"
            )
        suffix = (
            "" if comparator_param == _views.default_comparator(pub) else f".{comparator_param}"
        )
        rest = {k: v for k, v in request.query_params.items() if k != "comparator"}
        query = f"?{urlencode(rest)}" if rest else ""
        return RedirectResponse(f"{slug}{suffix}.html{query}", status_code=303)
    _, comparator, state = _build(pub, page, request)
    key = tuple(sorted(state.items()))
    if "gzip" in request.headers.get("accept-encoding", ""):
        # compressed once, not on every request (the middleware leaves encoded bodies alone)
        return Response(
            _cached_gzip(pub, page, comparator, key),
            media_type="text/html; charset=utf-8",
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return HTMLResponse(_cached_html(pub, page, comparator, key))


def _navigation(request: Request, page: str) -> str | None:
    """Where a form submitted without script goes when it chose another area or indicator."""
    slug, cmp = _parse(page)
    kind, _, key = slug.partition("-")
    param = {"area": "area", "indicator": "indicator", "inequalities": "indicator"}.get(kind)
    value = request.query_params.get(param) if param and key else None
    if not value or value == key or not re.fullmatch(r"[A-Za-z0-9_.]+", value):
        return None
    rest = {k: v for k, v in request.query_params.items() if k != param}
    return f"{kind}-{value}{'.' + cmp if cmp else ''}.html" + (
        f"?{urlencode(rest)}" if rest else ""
    )


@router.get("/data/{name}.json")
def page_json(
    request: Request, name: Annotated[str, Path(max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")]
) -> Response:
    """A page's tables as JSON (rows as the page shows them)."""
    pub: Published = request.app.state.published
    view, _, _ = _build(pub, name, request)
    return Response(_render.view_json(pub, view), media_type="application/json")


@router.get("/data/{name}.csv")
def page_csv(
    request: Request, name: Annotated[str, Path(max_length=300, pattern=r"^[A-Za-z0-9_.-]+$")]
) -> Response:
    """A page's table (``<page>--<table>``) or an indicator's values (``values-<id>``) as CSV."""
    pub: Published = request.app.state.published
    if name.startswith("values-") and "--" not in name:
        frame = pub.values(name.removeprefix("values-"))
        body = _tables.csv_bytes(frame)
    else:
        page, _, table = name.partition("--")
        view, _, _ = _build(pub, page, request)
        try:
            body = _render.table_csv(view, table)
        except KeyError:
            raise NotPublishedError(f"page {page!r} has no table {table!r}") from None
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """The API's reference, made from its OpenAPI schema (no script, nothing from a CDN)."""
    return HTMLResponse(_render.api_reference(request.app.openapi()))


@router.get("/static/{name}")
def static_file(name: Annotated[str, Path(max_length=64)]) -> Response:
    """A static file by name, from the fixed list (never a path from the request)."""
    path = _render.STATIC_FILES.get(name)
    if path is None:
        raise NotPublishedError(f"no static file {name!r}")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})
