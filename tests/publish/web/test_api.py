"""API v1 on a live server: vintages in every response, filters, pages, CSV, errors, safety."""

from __future__ import annotations

import io

import httpx
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthgap.publish.export import published_values

# one test process builds the store, the server and the site for all web tests
pytestmark = pytest.mark.xdist_group("web")

SMALL_COUNT = "E09000003"


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


def _published(web_app, vintage, indicator):
    # the server holds the file read-only; read it through the app's own connection
    store = web_app.state.published.store()
    return pl.from_arrow(published_values(store, vintage, [indicator]))


def test_every_response_names_the_published_vintage_set(client, web_store):
    expected = [web_store["first"], web_store["second"]]
    for url in ("/api/v1/vintages", "/api/v1/indicators", "/index.html", "/api/sexes", "/nope"):
        response = client.get(url)
        assert response.headers["x-healthgap-vintages"].split(",") == expected, url
    body = client.get("/api/v1/vintages").json()
    assert body["vintages"] == expected
    by_id = {r["id"]: r["indicator_ids"] for r in body["published"]}
    assert by_id[web_store["second"]] == ["smoking"]  # the latest vintage holding it
    assert "smoking" not in by_id[web_store["first"]]
    assert (
        client.get("/api/v1/indicators/smoking").json()["item"]["vintage"] == (web_store["second"])
    )


def test_values_are_the_published_ones_with_small_counts_withheld(client, web_store, web_app):
    rows = client.get(
        "/api/v1/values",
        params={"indicator": "smoking", "area": SMALL_COUNT, "period": "2023", "category_type": ""},
    ).json()["rows"]
    assert len(rows) == 1
    assert rows[0]["value"] is None
    assert rows[0]["count"] is None
    assert rows[0]["value_note"].startswith("Value suppressed")
    csv = client.get("/api/v1/values", params={"indicator": "smoking", "format": "csv"})
    got = pl.read_csv(io.BytesIO(csv.content), infer_schema_length=None)
    expected = _published(web_app, web_store["second"], "smoking")
    assert got.height == expected.height
    np_got = got.sort("area_code", "period", "sex", "category_type", "category")["value"]
    np_exp = expected.sort("area_code", "period", "sex", "category_type", "category")["value"]
    assert np_got.to_list() == pytest.approx(np_exp.to_list(), nan_ok=True)


def test_filters_and_pages(client):
    base = {"indicator": "life_expectancy", "sex": "Female", "area_type": "la"}
    full = client.get("/api/v1/values", params={**base, "limit": 10_000}).json()
    assert full["total"] == len(full["rows"]) > 0
    assert {r["sex"] for r in full["rows"]} == {"Female"}
    assert {r["area_type"] for r in full["rows"]} == {"la"}
    first = client.get("/api/v1/values", params={**base, "limit": 7, "offset": 0}).json()
    second = client.get("/api/v1/values", params={**base, "limit": 7, "offset": 7}).json()
    assert first["rows"] + second["rows"] == full["rows"][:14]
    latest = client.get("/api/v1/values", params={**base, "period": "latest"}).json()["rows"]
    assert {r["period"] for r in latest} == {"2023"}
    children = client.get(
        "/api/v1/values", params={"indicator": "smoking", "parent": "E12000007", "limit": 10_000}
    ).json()["rows"]
    assert "E09000001" in {r["area_code"] for r in children}
    assert "E92000001" not in {r["area_code"] for r in children}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(1, 50), offset=st.integers(0, 400))
def test_any_page_is_a_slice_of_the_csv(client, limit, offset):
    params = {"indicator": "infant_mortality", "category_type": ""}
    csv = client.get("/api/v1/values", params={**params, "format": "csv"})
    everything = pl.read_csv(io.BytesIO(csv.content), infer_schema_length=None)
    page = client.get("/api/v1/values", params={**params, "limit": limit, "offset": offset})
    rows = page.json()["rows"]
    assert page.json()["total"] == everything.height
    assert [r["area_code"] for r in rows] == everything["area_code"][
        offset : offset + limit
    ].to_list()


def test_comparisons_trends_and_inequalities(client):
    rows = client.get(
        "/api/v1/comparisons",
        params={"indicator": "smoking", "period": "2023", "category_type": "", "area_type": "la"},
    ).json()["rows"]
    assert rows
    assert {"compared_england", "compared_region", "recent_trend"} <= set(rows[0])
    assert {r["compared_region"] for r in rows} <= {
        "Better",
        "Similar",
        "Worse",
        "Higher",
        "Lower",
        "Not compared",
    }
    trends = client.get("/api/v1/trends", params={"indicator": "life_expectancy"}).json()
    assert trends["rows"][0]["latest_period"] == "2023"
    measures = client.get(
        "/api/v1/inequalities",
        params={
            "indicator": "life_expectancy",
            "breakdown": "IMD 2019 decile (within London)",
            "measure": "sii,rii",
            "area": "E12000007",
        },
    ).json()["rows"]
    assert {r["measure"] for r in measures} == {"sii", "rii"}
    assert all(r["dimension"] == "ordered" for r in measures)


def test_diff_between_vintages_uses_published_values(client, web_store):
    body = client.get(
        "/api/v1/vintages/diff",
        params={
            "old": web_store["first"],
            "new": web_store["second"],
            "indicator": "smoking",
            "limit": 10_000,
        },
    ).json()
    status = {}
    for r in body["rows"]:
        status.setdefault(r["status"], set()).add(r["area_code"])
    assert status["added"] == {"E92000001"}
    assert {"E09000002", SMALL_COUNT} <= status["revised"]
    withheld = [r for r in body["rows"] if r["area_code"] == SMALL_COUNT]
    assert all(r["new_value"] is None for r in withheld)  # never the unpublished number
    assert body["vintages"] == [web_store["first"], web_store["second"]]


@pytest.mark.parametrize(
    ("url", "params", "status", "named"),
    [
        ("/api/v1/values", {}, 422, "indicator"),
        ("/api/v1/values", {"indicator": "nope"}, 404, "nope"),
        ("/api/v1/values", {"indicator": "smoking", "limit": 0}, 422, "limit"),
        ("/api/v1/values", {"indicator": "smoking", "limit": 10**6}, 422, "limit"),
        ("/api/v1/values", {"indicator": "smoking", "format": "xml"}, 422, "format"),
        ("/api/v1/values", {"indicator": "smoking", "area": "a,,b"}, 422, "area"),
        (
            "/api/v1/inequalities",
            {"indicator": "smoking", "breakdown": "Shoe size"},
            404,
            "breakdown",
        ),
        ("/api/v1/vintages/diff", {"old": "zzzz", "new": "abcd"}, 422, "old"),
        ("/api/v1/vintages/diff", {"old": "ffff", "new": "abcd"}, 404, "ffff"),
        ("/api/v1/indicators/no_such", {}, 404, "no_such"),
        ("/api/v1/areas/E0", {}, 404, "E0"),
        ("/index.html", {"comparator": "mars"}, 400, "comparator"),
        ("/indicator-smoking.html", {"sex": "Other"}, 400, "sex"),
    ],
)
def test_bad_parameters_get_4xx_naming_them(client, url, params, status, named):
    response = client.get(url, params=params)
    assert response.status_code == status
    assert named in response.text


def test_read_only_and_limited(client):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, "/api/v1/values?indicator=smoking")
        assert response.status_code == 405
    assert client.get("/api/v1/areas", params={"area_type": "x" * 5000}).status_code == 414
    assert client.get(
        "/api/v1/values", params={"indicator": ",".join(["a"] * 201)}
    ).status_code in (
        400,
        404,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/..%2Fapp.py",
        "/static/%2e%2e/%2e%2e/errors.py",
        "/static/web.js%00.css",
        "/static//etc/passwd",
        "/data/..%2F..%2Fetc%2Fpasswd.csv",
    ],
)
def test_no_path_traversal(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404, 422)
    assert "import" not in response.text
    assert "root:" not in response.text


def test_pages_have_a_csp_without_inline_script(client):
    response = client.get("/area-E09000001.html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp  # no 'unsafe-inline', no 'unsafe-eval'
    assert "unsafe-eval" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    import re

    for tag in re.findall(r"<script[^>]*>", response.text):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "onclick" not in response.text
    assert "javascript:" not in response.text


def test_large_csv_is_streamed_with_the_same_rows(client, monkeypatch):
    from healthgap.publish.web import _tables

    params = {"indicator": "life_expectancy", "format": "csv"}
    whole = client.get("/api/v1/values", params=params)
    monkeypatch.setattr(_tables, "CSV_CHUNK", 100)
    # another query string (CSV ignores offset): the first response is in the server's cache
    streamed = client.get("/api/v1/values", params={**params, "offset": 0})
    assert "content-length" in whole.headers
    assert streamed.headers.get("transfer-encoding") == "chunked"
    assert streamed.content == whole.content
