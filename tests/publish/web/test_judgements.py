"""The web tool publishes a source's own judgements and each vintage's own boundaries.

Issue #15: the API v1 comparisons carry the source's comparison with England as
``source_judgement``, and the Fingertips-compatible CSV gives the source's own judgement
columns where it published them; a withheld value's judgement is withheld. Issue #14: an
indicator's map draws the boundaries its vintage was published with.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import httpx
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from healthgap.publish.web import create_app
from healthgap.publish.web._indicator import indicator_view
from healthgap.publish.web._published import Published
from healthgap.store import Store

_spec = importlib.util.spec_from_file_location(
    "web_judged_store", Path(__file__).parents[1] / "report" / "_store.py"
)
report_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_store)

ENGLAND, LONDON = "E92000001", "E12000007"
WITHHELD = "E09000003"  # its 2023 smoking count is 3: value and judgement withheld
LA = 502  # Fingertips' id of upper-tier local authorities (the web tool's "la")
REGION = 6  # Fingertips' id of regions
EAST = 12.3456789  # the redrawn boundaries' first longitude, far from London


def _redrawn(codes: list[str]) -> pa.Table:
    shapes = []
    for i, _ in enumerate(codes):
        x, y = EAST + i / 50, 45.6789123
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y - 0.01], [x, y - 0.01], [x, y]]
        shapes.append(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    return pa.table({"area_code": codes, "geometry": shapes, "source_crs": ["EPSG:4326"] * 6})


def _map_spec(path: str, indicator_id: str) -> str:
    pub = Published(path)
    try:
        view = indicator_view(pub, indicator_id, {}, "region")
    finally:
        pub.close()
    (chart,) = [i for s in view.sections for i in s.items if i.id.startswith("map-")]
    return json.dumps(chart.spec, sort_keys=True)


@pytest.fixture(scope="module")
def judged_store(tmp_path_factory) -> dict:
    """infant_mortality from a first vintage; smoking, judged by its source, from a second
    written after the boundaries were redrawn. Returns the path and the old map."""
    path = tmp_path_factory.mktemp("web-judged") / "judged.duckdb"
    report_store.make_store(
        path,
        n_boroughs=6,
        indicators=["infant_mortality", "smoking"],
        years=range(2020, 2024),
        geometry=True,
    )
    old_map = _map_spec(str(path), "infant_mortality")
    with Store.open(path) as store:
        first = store.resolve()
        store.add_areas(
            pa.table({"area_code": [ENGLAND], "area_name": ["England"], "area_type": ["country"]}),
            hierarchy=pa.table(
                {"hierarchy": ["la-region"], "child_code": [LONDON], "parent_code": [ENGLAND]}
            ),
            geometry=_redrawn(store.geometry()["area_code"].to_pylist()),
        )
        smoking = store.values(first, indicator_id="smoking")
        london = smoking.filter(pc.equal(smoking["area_code"], LONDON)).to_pylist()
        rows = smoking.to_pylist() + [{**r, "area_code": ENGLAND} for r in london]
        for row in rows:
            if row["area_code"] == WITHHELD and row["period"] == "2023":
                row["count"] = 3.0
        values = pa.Table.from_pylist(rows, schema=smoking.schema)
        latest = [r for r in rows if r["period"] == "2023" and r["category_type"] == ""]
        keys = ("indicator_id", "area_code", "period", "sex", "age", "category_type", "category")
        judgements = pa.Table.from_pylist(
            [
                {
                    **{k: r[k] for k in keys},
                    "recent_trend": "Increasing and getting worse",
                    "compared_to_england": "Worse",
                    "compared_to_parent": "Similar",
                    "compared_to_goal": "Better",
                }
                for r in latest
                if r["area_code"].startswith("E09")
            ]
        )
        store.add_vintage(
            values,
            source="synthetic test fixture, judged",
            parameters={"synthetic": True, "judged": True},
            indicators=store.indicators(vintage=first),
            judgements=judgements,
        )
    return {"path": str(path), "old_map": old_map}


def test_an_old_vintages_map_keeps_its_boundaries(judged_store):
    assert _map_spec(judged_store["path"], "infant_mortality") == judged_store["old_map"]
    assert str(EAST) not in judged_store["old_map"]
    assert str(EAST) in _map_spec(judged_store["path"], "smoking")


def test_comparisons_carry_the_sources_judgement_withheld_with_the_value(judged_store):
    pub = Published(judged_store["path"])
    try:
        judged = pub.judged("smoking").filter(
            (pl.col("period") == "2023") & (pl.col("category_type") == "")
        )
        unjudged = pub.judged("infant_mortality")
    finally:
        pub.close()
    boroughs = judged.filter(pl.col("area_code").str.starts_with("E09"))
    assert boroughs.height == 6
    # withheld with the value: the count of 3, and the values withheld to protect it
    withheld = boroughs.filter(pl.col("value").is_null())
    assert WITHHELD in withheld["area_code"].to_list()
    assert withheld["source_judgement"].null_count() == withheld.height
    shown = boroughs.filter(pl.col("value").is_not_null())
    assert shown.height >= 3
    assert set(shown["source_judgement"]) == {"Worse"}
    london = judged.filter(pl.col("area_code") == LONDON)
    assert london["source_judgement"].to_list() == [None]  # the source judged boroughs only
    assert unjudged["source_judgement"].null_count() == unjudged.height


def test_the_api_serves_the_sources_judgement(judged_store, serve_app):
    app = create_app(judged_store["path"])
    try:
        with serve_app(app) as url:
            comparisons = httpx.get(
                f"{url}/api/v1/comparisons",
                params={"indicator": "smoking", "period": "2023", "category_type": ""},
            ).json()
            csv = httpx.get(
                f"{url}/api/all_data/csv/by_indicator_id",
                params={
                    "indicator_ids": "smoking",
                    "child_area_type_id": LA,
                    "parent_area_type_id": REGION,
                },
            )
    finally:
        app.state.published.close()
    rows = {r["area_code"]: r for r in comparisons["rows"] if r["sex"] == "Persons"}
    assert rows["E09000002"]["source_judgement"] == "Worse"
    assert rows[WITHHELD]["source_judgement"] is None
    assert csv.status_code == 200, csv.text[:200]
    frame = pl.read_csv(io.BytesIO(csv.content), infer_schema=False)
    latest = frame.filter(
        (pl.col("Time period") == "2023")
        & pl.col("Area Code").str.starts_with("E09")
        & (pl.col("Category Type").fill_null("") == "")
    )
    shown = latest.filter(pl.col("Value").is_not_null())
    assert shown.height > 0
    assert set(shown["Compared to England value or percentiles"]) == {"Worse"}
    assert set(shown["Recent Trend"]) == {"Increasing and getting worse"}
    assert set(shown["Compared to Regions value or percentiles"]) == {"Similar"}
    assert set(shown["Compared to goal"]) == {"Better"}
    hidden = latest.filter(pl.col("Value").is_null())
    assert WITHHELD in hidden["Area Code"].to_list()
    assert "Worse" not in hidden["Compared to England value or percentiles"].to_list()
    assert hidden["Compared to goal"].to_list() == [None] * hidden.height
