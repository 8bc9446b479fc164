"""Whole responses kept in memory: ETags and 304, vintage sets kept apart, the bound held."""

from __future__ import annotations

import httpx
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.publish.web import ResponseCache, create_app
from healthgap.publish.web._cache import Entry, _size_of
from healthgap.store import Store, schema

URL = "/api/v1/values?indicator=x"


def _store(path, value: float) -> str:
    """A one-indicator store whose vintage (content-addressed) depends on ``value``."""
    with Store.open(path) as store:
        store.add_areas(
            pa.table(
                {
                    "area_code": ["E09000001", "E12000007"],
                    "area_name": ["City of London", "London"],
                    "area_type": ["la", "region"],
                }
            ),
            hierarchy=pa.table(
                {
                    "hierarchy": ["la-region"],
                    "child_code": ["E09000001"],
                    "parent_code": ["E12000007"],
                }
            ),
        )
        columns = {
            "indicator_id": ["x", "x"],
            "area_code": ["E09000001", "E12000007"],
            "period": ["2021", "2021"],
            "period_start": [2021, 2021],
            "period_years": [1, 1],
            "sex": ["Persons", "Persons"],
            "age": ["All ages", "All ages"],
            "category_type": ["", ""],
            "category": ["", ""],
            "value": [value, 3.0],
        }
        values = pa.table(columns).cast(pa.schema([schema.VALUES.field(c) for c in columns]))
        return store.add_vintage(values, source="t", indicators=[IndicatorMeta(id="x", name="X")])


@pytest.fixture
def served(tmp_path, serve_app):
    """Serve apps on their own stores; yields a function making (client, vintage) pairs."""
    apps, stacks = [], []

    def serve(value: float, cache: ResponseCache) -> tuple[httpx.Client, str]:
        vintage = _store(tmp_path / f"{value}.duckdb", value)
        app = create_app(tmp_path / f"{value}.duckdb", cache=cache)
        apps.append(app)
        context = serve_app(app)
        url = context.__enter__()
        stacks.append(context)
        client = httpx.Client(base_url=url, timeout=60)
        client.app_state = app.state  # the test reads the app's objects too
        stacks.append(client)
        return client, vintage

    yield serve
    for item in reversed(stacks):
        item.__exit__(None, None, None)
    for app in apps:
        app.state.published.close()


def test_a_response_and_its_304(served):
    cache = ResponseCache(2**20)
    client, vintage = served(2.5, cache)
    first = client.get(URL)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert first.headers["cache-control"] == "no-cache"  # not pinned: revalidate each time
    assert len(cache) == 1
    again = client.get(URL)
    assert again.content == first.content
    assert again.headers["etag"] == etag
    assert cache.hits == 1
    unchanged = client.get(URL, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert unchanged.headers["x-healthgap-vintages"] == vintage
    other = client.get(URL, headers={"If-None-Match": '"another"'})
    assert other.status_code == 200
    assert other.content == first.content


def test_gzip_and_plain_are_kept_apart(served):
    cache = ResponseCache(2**20)
    client, _ = served(2.5, cache)
    url = "/api/v1/indicators"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("content-encoding") is None
    assert packed.json() == plain.json()
    assert client.get(url, headers={"Accept-Encoding": "identity"}).content == plain.content


def test_a_pinned_vintage_set_is_immutable_and_another_is_refused(served):
    client, vintage = served(2.5, ResponseCache(2**20))
    pinned = client.get(URL + f"&vintages={vintage}")
    assert pinned.status_code == 200
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert pinned.json()["vintages"] == [vintage]
    wrong = client.get(URL + "&vintages=0123456789abcdef")
    assert wrong.status_code == 409
    assert "parameter 'vintages'" in wrong.json()["detail"]
    assert vintage in wrong.json()["detail"]


def test_another_vintage_set_is_never_served_from_the_cache(served):
    shared = ResponseCache(2**20)  # one cache for both apps: only the key keeps them apart
    old, old_vintage = served(2.5, shared)
    new, new_vintage = served(9.5, shared)
    assert old_vintage != new_vintage
    from_old = old.get(URL)
    from_new = new.get(URL)
    assert from_old.json()["vintages"] == [old_vintage]
    assert from_new.json()["vintages"] == [new_vintage]
    assert {r["value"] for r in from_new.json()["rows"]} == {9.5, 3.0}
    assert from_new.headers["x-healthgap-vintages"] == new_vintage
    assert from_old.headers["etag"] != from_new.headers["etag"]
    assert len(shared) == 2
    # the old set's ETag does not validate the new set's response
    revalidated = new.get(URL, headers={"If-None-Match": from_old.headers["etag"]})
    assert revalidated.status_code == 200
    assert revalidated.json()["vintages"] == [new_vintage]


def test_errors_and_oversized_responses_are_not_kept(served):
    cache = ResponseCache(2**20, max_entry=300)
    client, _ = served(2.5, cache)
    assert client.get("/api/v1/values?indicator=nope").status_code == 404
    assert len(cache) == 0
    large = client.get("/api/v1/indicators", headers={"Accept-Encoding": "identity"})
    assert large.status_code == 200
    assert len(large.content) > 300
    assert large.json()["rows"][0]["id"] == "x"
    assert len(cache) == 0  # sent whole, with its ETag, but not kept
    assert client.get("/api/v1/indicators", headers={"Accept-Encoding": "identity"}).content == (
        large.content
    )
    assert cache.hits == 0


def test_no_cache_at_all(served):
    cache = ResponseCache(0)
    client, _ = served(2.5, cache)
    assert client.get(URL).status_code == 200
    assert client.get(URL).status_code == 200
    assert len(cache) == 0
    assert cache.hits == 0


def _entry(size: int) -> Entry:
    return Entry(200, ((b"content-type", b"text/plain"),), b"x" * size, b'"e"')


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 5000)), max_size=80))
def test_the_bound_holds_and_the_latest_entries_stay(puts):
    cache = ResponseCache(10_000, max_entry=4_000)
    for key, size in puts:
        cache.put((key,), _entry(size))
        assert cache.bytes <= cache.max_bytes
        held = {k: _size_of(k) + e.size for k, e in cache._entries.items()}
        assert cache.bytes == sum(held.values())
        assert all(s <= cache.max_entry for s in held.values())
        if _size_of((key,)) + _entry(size).size <= cache.max_entry:
            assert cache.get((key,)) is not None  # just put: the most recently used
        else:  # too large: not kept (an earlier entry of the key may stay)
            kept = cache.get((key,))
            assert kept is None or len(kept.body) != size


def test_least_recently_used_goes_first():
    size = _entry(1000).size + _size_of(("a",))
    cache = ResponseCache(3 * size, max_entry=size)
    for key in "abc":
        cache.put((key,), _entry(1000))
    assert cache.get(("a",)) is not None  # a is now more recent than b
    cache.put(("d",), _entry(1000))
    assert cache.get(("b",)) is None
    assert all(cache.get((k,)) is not None for k in "acd")


def test_a_negative_bound_is_refused():
    with pytest.raises(ValueError, match="max_bytes must be at least 0; got -1"):
        ResponseCache(-1)


def test_an_indicator_is_read_once_then_answered_from_memory(served):
    client, vintage = served(2.5, ResponseCache(0))  # no response cache: each request built
    published = client.app_state.published
    assert not published.in_memory("x")
    first = client.get(URL + "&area=E09000001")  # read from the store (in a thread)
    assert published.in_memory("x")
    again = client.get(URL + "&area=E12000007")  # from memory, on the event loop
    assert first.json()["rows"][0]["value"] == 2.5
    assert again.json()["rows"][0]["value"] == 3.0
    assert again.json()["vintages"] == [vintage]


def test_the_workers_cache_bound_comes_from_the_environment(tmp_path, monkeypatch):
    from healthgap.publish.web.app import from_environment

    _store(tmp_path / "s.duckdb", 2.5)
    monkeypatch.setenv("HEALTHGAP_STORE", str(tmp_path / "s.duckdb"))
    monkeypatch.setenv("HEALTHGAP_CACHE_MB", "1.5")
    app = from_environment()
    try:
        assert app.state.cache.max_bytes == int(1.5 * 2**20)
    finally:
        app.state.published.close()
