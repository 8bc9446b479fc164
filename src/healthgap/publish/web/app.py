"""The web tool as one FastAPI application: API v1, Fingertips-compatible API, dashboard.

Safe by construction: the store is opened read-only and every route is a GET (there is no
write endpoint); every value is a published one (disclosure control applied); responses
carry the published vintage set (``X-Healthgap-Vintages``), a Content-Security-Policy that
allows no inline script and no other origin, and ``nosniff``; query strings are limited in
length, pages in rows; static files come from a fixed list of names (no path is ever built
from the request). Errors are one line: 400 (a bad parameter, named), 404 (not published),
405/422 from the framework; an unexpected error is a 500 with no traceback in the body.

Fast by construction: the published set never changes while the server runs, so repeated
requests are answered from a bounded in-memory cache of whole responses, with ETags and
``304 Not Modified`` (:mod:`healthgap.publish.web._cache`). A request may pin the vintage
set it expects (``?vintages=<ids>``, as the header gives them): a server publishing another
set answers 409, so a client reading several responses never mixes vintages, and pinned
responses are immutable (``Cache-Control: immutable``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.middleware.gzip import GZipMiddleware

from healthgap import __version__
from healthgap.catalogue.strategy import Strategy, WorldCity
from healthgap.errors import InputError, StoreError
from healthgap.publish.web import _api, _fingertips, _pages
from healthgap.publish.web._cache import DEFAULT_BYTES, CachedResponses, ResponseCache
from healthgap.publish.web._published import NotPublishedError, Published

__all__ = ["CSP", "MAX_QUERY", "PIN_PARAMETER", "VINTAGE_HEADER", "create_app"]

VINTAGE_HEADER = "X-Healthgap-Vintages"
PIN_PARAMETER = "vintages"  # ?vintages=<ids>: the vintage set a request expects
#: Threads building responses at once. Each holds the GIL while its Python runs, so more
#: threads than cores only make the event loop (which answers cached requests) wait longer
#: for its turn; anyio's default is 40.
ROUTE_THREADS = int(os.environ.get("HEALTHGAP_ROUTE_THREADS", "4"))
GZIP_LEVEL = 6  # zlib's default: level 9 costs about twice the time for a few % fewer bytes
MAX_QUERY = 4096  # characters of query string; longer requests get 414
#: No inline script, no eval (the charts run Vega's expression interpreter, ``ast: true``),
#: nothing from another origin; vega-embed sets inline styles on its elements.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}
READ_METHODS = ("GET", "HEAD")


def create_app(
    store_path: str | Path,
    *,
    strategy: Strategy | None = None,
    world_cities: Sequence[WorldCity] = (),
    cache: ResponseCache | None = None,
) -> FastAPI:
    """Make the web tool of the store at ``store_path``, opened read-only.

    Parameters
    ----------
    store_path : str or Path
        A healthgap store (DuckDB file) with at least one vintage.
    strategy : Strategy, optional
        The strategy whose aims group the indicators and whose commitments are shown (an
        application's, e.g. ``healthgap.london.strategy()``); none by default.
    world_cities : sequence of WorldCity, optional
        Other cities' published figures for the world-cities page.
    cache : ResponseCache, optional
        Where whole responses are kept (default: a new one of 128 MB;
        ``ResponseCache(0)`` keeps nothing). Entries are keyed by the vintage set too, so
        several apps may share one.

    Returns
    -------
    fastapi.FastAPI
        Serve it with uvicorn (``healthgap serve``) or test it with ``TestClient``.

    Raises
    ------
    StoreError
        When the store is absent, not a store, locked by a writer or has no vintages.
    """
    published = Published(store_path, strategy, world_cities)
    app = FastAPI(
        lifespan=_lifespan,
        title="healthgap",
        version=__version__,
        summary="Health inequality indicators: API v1, Fingertips-compatible API, dashboard.",
        description=(
            "Published values only (disclosure control applied). Every response names the "
            f"vintages it was read from in the `{VINTAGE_HEADER}` header and, in JSON, in "
            "`vintages`."
        ),
        docs_url=None,  # /api/docs is our own page: Swagger UI would load from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.published = published
    app.state.fingertips = _fingertips.FingertipsIds.of(published)
    app.include_router(_api.router)
    app.include_router(_fingertips.router)
    app.include_router(_pages.router)

    @app.exception_handler(NotPublishedError)
    async def not_published(request: Request, exc: NotPublishedError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    vintages = ",".join(published.vintage_ids)
    app.state.cache = cache if cache is not None else ResponseCache(DEFAULT_BYTES)
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=GZIP_LEVEL)
    # outside the compression, so a response is compressed once and kept compressed
    app.add_middleware(
        CachedResponses,
        cache=app.state.cache,
        vintages=vintages,
        pinned=lambda query: _pin(query) is not None,
    )
    app.add_middleware(_Guard, vintages=vintages)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run routes on at most ROUTE_THREADS threads (see there)."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = ROUTE_THREADS
    yield


def _pin(query: bytes) -> list[str] | None:
    """Return the vintage ids a query string pins (``vintages=a,b``); None when none."""
    if f"{PIN_PARAMETER}=".encode() not in query:
        return None
    values = parse_qs(query.decode("latin-1")).get(PIN_PARAMETER)
    return values[-1].split(",") if values else None


class _Guard:
    """Pure ASGI middleware: read-only methods, bounded query strings, headers on every reply.

    Outermost, so that even the framework's own errors carry the vintages and the policy.
    """

    def __init__(self, app: Any, vintages: str) -> None:
        self.app = app
        self.vintages = vintages
        self.published = set(vintages.split(","))
        self.headers = [
            (VINTAGE_HEADER.lower().encode(), vintages.encode()),
            *((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()),
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in extra if k not in names),
                ]
            await send(message)

        if scope["method"] not in READ_METHODS:
            detail = f"method {scope['method']} not allowed: the API is read-only"
            response: Response = JSONResponse(
                {"detail": detail}, status_code=405, headers={"Allow": ", ".join(READ_METHODS)}
            )
        elif len(scope.get("query_string", b"")) > MAX_QUERY:
            detail = f"query string longer than {MAX_QUERY} characters"
            response = JSONResponse({"detail": detail}, status_code=414)
        elif self._conflicts(pinned := _pin(scope.get("query_string", b""))):
            detail = (
                f"parameter '{PIN_PARAMETER}': this server publishes the vintage set "
                f"{self.vintages}, not {','.join(pinned or [])}"
            )
            response = JSONResponse({"detail": detail}, status_code=409)
        else:
            await self.app(scope, receive, send_with_headers)
            return
        await response(scope, receive, send_with_headers)

    def _conflicts(self, pinned: list[str] | None) -> bool:
        """Whether a request pins a vintage set other than the published one."""
        return pinned is not None and set(pinned) != self.published


def from_environment() -> FastAPI:
    """Make the app of ``$HEALTHGAP_STORE`` (for uvicorn's workers).

    ``$HEALTHGAP_STRATEGY``, when set, is a strategy folder: its ``strategy.yaml`` and
    ``world_cities.csv`` (when present) are read. ``$HEALTHGAP_CACHE_MB`` bounds each
    worker's response cache (default 128; 0 keeps nothing).
    """
    from healthgap.catalogue.strategy import WORLD_CITIES_FILE, load_strategy, load_world_cities

    folder = os.environ.get("HEALTHGAP_STRATEGY")
    strategy = load_strategy(folder) if folder else None
    cities = (
        load_world_cities(folder) if folder and (Path(folder) / WORLD_CITIES_FILE).is_file() else ()
    )
    megabytes = float(os.environ.get("HEALTHGAP_CACHE_MB", DEFAULT_BYTES / 2**20))
    return create_app(
        os.environ.get("HEALTHGAP_STORE", "healthgap.duckdb"),
        strategy=strategy,
        world_cities=cities,
        cache=ResponseCache(int(megabytes * 2**20)),
    )
