"""Dashboard pages without a browser: forms without script, escaping, downloads as shown."""

from __future__ import annotations

import io

import httpx
import polars as pl
import pytest

from healthgap.publish.report.charts import Chart
from healthgap.publish.web import _render
from healthgap.publish.web._model import Cell, Row, Section, Table, View, spec_json

pytestmark = pytest.mark.xdist_group("web")


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("/area-E09000001.html?area=E09000002", "area-E09000002.html"),
        (
            "/indicator-smoking.html?indicator=life_expectancy&sex=Male",
            "indicator-life_expectancy.html?sex=Male",
        ),
        (
            "/inequalities-smoking.html?indicator=life_expectancy",
            "inequalities-life_expectancy.html",
        ),
        (
            "/area-E09000001.html?comparator=england&sex=Male",
            "area-E09000001.england.html?sex=Male",
        ),
        ("/area-E09000001.england.html?comparator=region", "area-E09000001.html"),
    ],
)
def test_forms_work_without_script(client, url, target):
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == target


def test_filters_are_applied_by_the_server(client):
    page = client.get("/indicator-smoking.html", params={"sex": "Persons", "period": "2020"}).text
    assert 'data-f-period="2020"' in page
    assert 'data-f-period="latest 2023"' not in page  # the server sends the rows shown only
    csv = client.get(
        "/data/indicator-smoking--values-smoking.csv", params={"sex": "Persons", "period": "2020"}
    )
    rows = pl.read_csv(io.BytesIO(csv.content), infer_schema_length=None)
    assert set(rows["period"].cast(pl.String)) == {"2020"}
    assert page.count('<tr data-f-sex="Persons" data-f-period="2020">') == rows.height


def test_text_is_escaped(web_app):
    pub = web_app.state.published
    hostile = '<script>alert("x")</script>'
    table = Table("t", hostile, [hostile], [Row([Cell(hostile, href="a.html")])], pl.DataFrame())
    view = View("index", hostile, hostile, "index", [], [Section("s", hostile, [hostile], [table])])
    html = _render.html(pub, view, "static", "region", {})
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    chart = Chart(
        "c", "t", "a", {"data": {"values": [{"name": "</script><script>x()"}]}}, pl.DataFrame()
    )
    assert "</" not in spec_json(chart)
    assert "<script" not in spec_json(chart)


def test_pages_are_sent_compressed_once(client):
    plain = client.get("/area-E09000003.html", headers={"accept-encoding": "identity"})
    packed = client.get("/area-E09000003.html", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.text == plain.text  # httpx decodes it
    assert packed.headers["x-healthgap-vintages"] == plain.headers["x-healthgap-vintages"]


def test_inequalities_show_the_sii_line_and_the_sexes(client):
    import json
    import re

    page = client.get("/inequalities-life_expectancy.html").text
    spec_text = re.search(
        r'<script type="application/json" id="spec-deciles-life_expectancy[^"]*">(.*?)</script>',
        page,
        re.S,
    ).group(1)
    line = json.loads(spec_text)["datasets"]["line"]
    assert {p["series"] for p in line} == {"Male", "Female"}
    for sex in ("Male", "Female"):
        most, least = (p["fit"] for p in line if p["series"] == sex)
        assert least > most  # the fixture's life expectancy rises from most to least deprived
    assert 'id="sex-life_expectancy"' in page
    assert 'data-table="sex-gap-life_expectancy"' in page
