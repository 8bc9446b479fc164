"""The web tool on the demo's store (the main job's synthetic London): pages and API answer.

The store is the one ``healthgap demo`` writes (shared with the pipeline tests: one run per
test process, xdist group ``his_demo``); a copy is served, read-only, so the other tests can
still open the original.
"""

from __future__ import annotations

import shutil

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("his_demo")]


@pytest.fixture(scope="module")
def demo_client(his_demo, tmp_path_factory, serve_app):
    import httpx

    from healthgap.publish.web import create_app

    result, _ = his_demo
    copy = tmp_path_factory.mktemp("web-demo") / "healthgap.duckdb"
    shutil.copyfile(result.store_path, copy)
    from healthgap import london

    app = create_app(copy, strategy=london.strategy(), world_cities=london.world_cities())
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client, app.state.published
    app.state.published.close()


def test_every_kind_of_page_answers_and_shows_every_indicator(demo_client):
    client, pub = demo_client
    overview = client.get("/index.html")
    assert overview.status_code == 200
    for indicator_id in pub.indicators:
        assert f"indicator-{indicator_id}.html" in overview.text or indicator_id in (
            "le_gap_decomposition",
        )
    first_area = next(c for c, t in pub.types.items() if t == "la")
    for page in (
        f"area-{first_area}.html",
        "indicator-life_expectancy.html",
        "inequalities-life_expectancy.html",
        "inequalities-employment.html",
        "commitments.html",
        "world.html",
        "compare.html",
        "definitions.html",
        "downloads.html",
        "api/docs",
    ):
        response = client.get(f"/{page}")
        assert response.status_code == 200, page
        assert "Synthetic data" in response.text or page == "api/docs"


def test_api_lists_answer(demo_client):
    client, pub = demo_client
    for url in (
        "/api/v1/indicators",
        "/api/v1/area_types",
        "/api/v1/areas?area_type=la",
        "/api/v1/values?indicator=smoking&period=latest",
        "/api/v1/comparisons?indicator=life_expectancy&area_type=la&period=latest",
        "/api/v1/inequalities?indicator=employment&breakdown=Ethnic%20group",
        "/api/area_types",
        "/api/all_data/csv/by_indicator_id?indicator_ids=smoking&child_area_type_id=102",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:200])
        assert response.headers["x-healthgap-vintages"] == ",".join(pub.vintage_ids)
