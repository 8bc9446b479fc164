"""Whole responses kept in memory, bounded by bytes, with ETags and 304 Not Modified.

A running server's published vintage set never changes (the store is opened read-only and
a vintage is immutable), so a successful response is a function of the request and that
set alone. :class:`ResponseCache` keeps the bytes sent for a request, keyed by the vintage
set, the path, the query string and whether the client takes gzip; least recently used
entries are dropped first once the entries' bytes pass the bound, so memory stays flat
however many distinct requests arrive. :class:`CachedResponses` is the ASGI middleware:

- a request answered before is answered from memory, byte for byte as the first time;
- every cacheable response carries a strong ``ETag`` (a hash of the vintage set and the
  bytes) and a request whose ``If-None-Match`` names it gets ``304 Not Modified`` with no
  body (RFC 9110, 13.1.2 and 15.4.5);
- ``Cache-Control``: a request that names the published set (``?vintages=<ids>``, as the
  ``X-Healthgap-Vintages`` header gives it) addresses content that never changes and is
  ``public, max-age=31536000, immutable`` (RFC 8246); any other is ``no-cache`` (a client
  may keep it but asks again, cheaply, with its ETag: the server may restart on a newer
  vintage set). A route's own ``Cache-Control`` (static files) is left as it is.

Only complete ``200`` responses with a ``Content-Length`` are kept (a streamed download is
sent as it is made, never held whole), and only when no larger than ``max_entry`` bytes.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["CachedResponses", "ResponseCache"]

DEFAULT_BYTES = 128 * 2**20  # the cache's bound; `healthgap serve --cache-mb`
IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"


@dataclass(frozen=True)
class Entry:
    """A response as sent: status, headers (ETag included) and body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: bytes

    @property
    def size(self) -> int:
        """Bytes the entry holds: body, headers and the Python objects around them."""
        return len(self.body) + sum(len(k) + len(v) + 120 for k, v in self.headers) + 400


class ResponseCache:
    """A least-recently-used map of request keys to responses, bounded by total bytes.

    Parameters
    ----------
    max_bytes : int
        Most bytes the entries may hold together; 0 keeps nothing.
    max_entry : int, optional
        Largest entry kept (default: an eighth of ``max_bytes``), so that one large
        download cannot empty the cache of everything else.

    Notes
    -----
    Used from the event loop's thread only (ASGI middleware), so it takes no lock.
    """

    def __init__(self, max_bytes: int = DEFAULT_BYTES, max_entry: int | None = None) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be at least 0; got {max_bytes}")
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 8 if max_entry is None else min(max_entry, max_bytes)
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._sizes: dict[tuple, int] = {}
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> Entry | None:
        """The entry of ``key`` (now the most recently used), or None."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: tuple, entry: Entry) -> None:
        """Keep ``entry`` (unless larger than ``max_entry``), dropping the least used."""
        size = _size_of(key) + entry.size
        if size > self.max_entry:
            return
        if key in self._entries:
            del self._entries[key]
            self.bytes -= self._sizes.pop(key)
        self._entries[key] = entry
        self._sizes[key] = size
        self.bytes += size
        while self.bytes > self.max_bytes:
            dropped, _ = self._entries.popitem(last=False)
            self.bytes -= self._sizes.pop(dropped)


def _size_of(key: tuple) -> int:
    """Bytes a key holds (its texts and the objects around them)."""
    return 200 + sum(len(part) + 50 if isinstance(part, bytes | str) else 50 for part in key)


def etag_of(vintages: bytes, body: bytes) -> bytes:
    """A strong entity tag: a BLAKE2b digest of the vintage set and the body (quoted)."""
    digest = hashlib.blake2b(vintages + b"\x00" + body, digest_size=16).hexdigest()
    return b'"' + digest.encode() + b'"'


def _matches(if_none_match: bytes | None, etag: bytes) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (or is ``*``), RFC 9110 13.1.2."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(b",")]
    return b"*" in tags or etag in tags or b"W/" + etag in tags


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return None


class CachedResponses:
    """ASGI middleware answering repeated GET requests from a :class:`ResponseCache`.

    Parameters
    ----------
    app : ASGI application
        The application whose responses are kept.
    cache : ResponseCache
        Where they are kept (may be shared by several applications: the key holds the
        vintage set).
    vintages : str
        The published vintage set, comma-separated (part of every key and ETag).
    pinned : callable, optional
        Whether a request's query string names the published vintage set (its responses
        are then immutable).
    """

    def __init__(
        self,
        app: Any,
        cache: ResponseCache,
        vintages: str,
        pinned: Callable[[bytes], bool] = lambda query: False,
    ) -> None:
        self.app = app
        self.cache = cache
        self.vintages = vintages.encode()
        self.pinned = pinned

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or self.cache.max_bytes == 0:
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        gzip = b"gzip" in (_header(scope, b"accept-encoding") or b"").lower()
        key = (self.vintages, scope["path"], query, gzip)
        control = IMMUTABLE if self.pinned(query) else REVALIDATE
        if_none_match = _header(scope, b"if-none-match")
        entry = self.cache.get(key)
        if entry is not None:
            await _send_entry(send, entry, if_none_match)
            return
        await self._fill(scope, receive, send, key, control, if_none_match)

    async def _fill(
        self,
        scope: Any,
        receive: Any,
        send: Any,
        key: tuple,
        control: bytes,
        if_none_match: bytes | None,
    ) -> None:
        """Run the app; keep its response when complete, 200, sized and small enough."""
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []
        passing = False  # sending as it comes: streamed, not 200, or too large

        async def capture(message: Any) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                names = {k.lower() for k, _ in message.get("headers", [])}
                if message["status"] != 200 or b"content-length" not in names:
                    passing = True
                    await send(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            size = sum(len(c) for c in chunks)
            if message.get("more_body", False) and size <= self.cache.max_entry:
                return
            if message.get("more_body", False):  # too large to keep: send what we hold
                passing = True
                await send(start)
                held = b"".join(chunks)
                await send({"type": "http.response.body", "body": held, "more_body": True})
                return
            assert start is not None
            body = b"".join(chunks)
            entry = _entry(start, body, self.vintages, control)
            self.cache.put(key, entry)
            await _send_entry(send, entry, if_none_match)

        await self.app(scope, receive, capture)


def _entry(start: dict[str, Any], body: bytes, vintages: bytes, control: bytes) -> Entry:
    etag = etag_of(vintages, body)
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"etag"]
    names = {k.lower() for k, _ in headers}
    headers.append((b"etag", etag))
    if b"cache-control" not in names:
        headers.append((b"cache-control", control))
    if b"vary" not in names:
        headers.append((b"vary", b"Accept-Encoding"))
    return Entry(start["status"], tuple(headers), body, etag)


async def _send_entry(send: Any, entry: Entry, if_none_match: bytes | None) -> None:
    if _matches(if_none_match, entry.etag):
        kept = (b"etag", b"cache-control", b"vary", b"content-location", b"expires", b"date")
        headers = [(k, v) for k, v in entry.headers if k.lower() in kept]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": entry.status, "headers": entry.headers})
    await send({"type": "http.response.body", "body": entry.body})
