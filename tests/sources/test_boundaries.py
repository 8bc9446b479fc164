from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest
import shapefile

from healthgap.sources import GEOMETRY, IMPORTERS, ImportValidationError
from healthgap.sources._bng import bng_to_wgs84
from healthgap.sources.boundaries import read_geojson, read_lsoa_shapefile, read_topojson

B = "boundaries"
LAD = f"{B}/Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geo.json"
SHP = f"{B}/lsoa_2011_london_gen_mhw/LSOA_2011_London_gen_MHW.shp"


def _coords(text: str) -> np.ndarray:
    geometry = json.loads(text)
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    return np.concatenate([np.asarray(ring) for poly in polygons for ring in poly])


@pytest.fixture(scope="module")
def lsoas(shared_data):
    return read_lsoa_shapefile(shared_data / SHP)


@pytest.mark.realdata
def test_lsoa_shapefile_areas_and_hierarchy(lsoas):
    areas = pl.from_arrow(lsoas.areas)
    counts = dict(areas.group_by("area_type").len().iter_rows())
    assert counts == {"lsoa": 4_835, "msoa": 983, "la": 33, "region": 1}
    edges = pl.from_arrow(lsoas.hierarchy)
    assert edges["hierarchy"].unique().to_list() == ["lsoa11-msoa11-lad11-rgn11"]
    assert edges.height == 4_835 + 983 + 33
    assert edges.filter(pl.col("child_code") == "E01000001")["parent_code"].to_list() == [
        "E02000001"
    ]
    assert edges.filter(pl.col("child_code") == "E09000001")["parent_code"].to_list() == [
        "E12000007"
    ]
    assert {f.name for f in lsoas.inputs} >= {
        "LSOA_2011_London_gen_MHW.shp",
        "LSOA_2011_London_gen_MHW.dbf",
    }


@pytest.mark.realdata
def test_lsoa_geometry_reprojected_onto_ons_wgs84_boundaries(lsoas, shared_data):
    assert lsoas.geometry.schema.equals(GEOMETRY)
    assert lsoas.geometry.num_rows == 4_835
    points = np.concatenate([_coords(g) for g in lsoas.geometry.column("geometry").to_pylist()])
    # London's extent in ONS's own WGS84 boundaries of the 33 boroughs
    lads = pl.from_arrow(read_geojson(shared_data / LAD).geometry)
    boroughs = np.concatenate(
        [_coords(g) for g in lads.filter(pl.col("area_code").str.starts_with("E09"))["geometry"]]
    )
    # generalisation differs (200 m vs 20 m), so allow 0.01 degrees
    assert points.min(axis=0) == pytest.approx(boroughs.min(axis=0), abs=0.01)
    assert points.max(axis=0) == pytest.approx(boroughs.max(axis=0), abs=0.01)
    first = json.loads(lsoas.geometry.column("geometry")[0].as_py())
    ring = np.asarray(first["coordinates"][0][0])
    area = np.dot(ring[:-1, 0], ring[1:, 1]) - np.dot(ring[1:, 0], ring[:-1, 1])
    assert area > 0  # RFC 7946: outer rings anticlockwise


@pytest.mark.realdata
def test_lad_geojson(shared_data):
    imp = IMPORTERS["boundaries-geojson"](shared_data / LAD)
    areas = pl.from_arrow(imp.areas)
    assert areas.height == 361
    london = areas.filter(pl.col("area_code").str.starts_with("E09"))
    assert london.height == 33
    assert set(london["area_type"]) == {"la"}
    assert areas.filter(pl.col("area_code") == "E09000007")["area_name"].to_list() == ["Camden"]
    assert imp.geometry.num_rows == 361
    assert imp.hierarchy is None


@pytest.mark.realdata
def test_msoa_folder_gives_msoa_to_borough(shared_data):
    imp = read_geojson(shared_data / B / "msoa_2011_london_by_borough")
    assert imp.areas.num_rows == 983
    edges = pl.from_arrow(imp.hierarchy)
    assert edges["hierarchy"].unique().to_list() == ["msoa11-la"]
    assert edges.filter(pl.col("parent_code") == "E09000001")["child_code"].to_list() == [
        "E02000001"
    ]
    assert edges["parent_code"].n_unique() == 33
    assert len(imp.inputs) == 33


@pytest.mark.realdata
def test_topojson(shared_data):
    imp = read_topojson(shared_data / B / "ons_els_app_topo.json", objects=["ltla", "rgn"])
    areas = pl.from_arrow(imp.areas)
    assert areas.filter(pl.col("area_code").str.starts_with("E09")).height == 33
    assert areas.filter(pl.col("area_type") == "region").height >= 9
    bournemouth = areas.filter(pl.col("area_code") == "E06000028").row(0, named=True)
    assert bournemouth["valid_to"] == dt.date(2018, 12, 31)
    geometry = pl.from_arrow(imp.geometry)
    camden = _coords(geometry.filter(pl.col("area_code") == "E09000007")["geometry"][0])
    assert camden[:, 0].mean() == pytest.approx(-0.16, abs=0.05)
    assert camden[:, 1].mean() == pytest.approx(51.55, abs=0.05)


# --------------------------------------------------------------------------- bad files


def test_geojson_bad_and_duplicate_codes(tmp_path):
    features = [
        {
            "type": "Feature",
            "properties": {"LAD24CD": code, "LAD24NM": "x"},
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1], [0, 0]]]},
        }
        for code in ("E09000001", "E09000001", "bad", None)
    ]
    path = tmp_path / "x.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(ImportValidationError) as info:
        read_geojson(path)
    assert [p["line"] for p in info.value.problems] == [1, 2, 3, 4]


def _charing_cross():
    lon, lat = bng_to_wgs84(np.array([530000.0]), np.array([180000.0]))
    assert (lon[0], lat[0]) == pytest.approx((-0.128, 51.504), abs=1e-3)  # Trafalgar Square
    return lon[0], lat[0]


def test_geojson_in_british_national_grid_is_reprojected(tmp_path):
    square = [[[530000, 180000], [531000, 180000], [531000, 181000], [530000, 180000]]]
    path = tmp_path / "bng.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:27700"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"areacd": "E09000001", "areanm": "C"},
                        "geometry": {"type": "Polygon", "coordinates": square},
                    }
                ],
            }
        )
    )
    imp = read_geojson(path)
    lon, lat = _coords(imp.geometry.column("geometry")[0].as_py())[0]
    assert (lon, lat) == pytest.approx(_charing_cross(), abs=1e-6)
    assert "reprojected" in imp.geometry.column("source_crs")[0].as_py()


def test_topojson_unknown_object(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "type": "Topology",
                "arcs": [],
                "objects": {"a": {"type": "GeometryCollection", "geometries": []}},
            }
        )
    )
    with pytest.raises(ImportValidationError, match="one of"):
        read_topojson(path, objects=["b"])


def test_topojson_decodes_quantised_arcs(tmp_path):
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.25], "translate": [10, 50]},
        "arcs": [[[0, 0], [2, 0], [0, 4], [-2, -4]]],
        "objects": {
            "x": {
                "type": "GeometryCollection",
                "geometries": [
                    {
                        "type": "Polygon",
                        "arcs": [[0]],
                        "properties": {"areacd": "E09000001", "areanm": "C", "start": 2019},
                    }
                ],
            }
        },
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(topology))
    imp = read_topojson(path)
    ring = json.loads(imp.geometry.column("geometry")[0].as_py())["coordinates"][0]
    assert ring == [[10, 50], [11, 50], [11, 51], [10, 50]]
    assert imp.areas.column("valid_from")[0].as_py() == dt.date(2019, 1, 1)


def _shapefile(tmp_path, records):
    path = tmp_path / "l.shp"
    with shapefile.Writer(str(path), shapeType=shapefile.POLYGON) as w:
        for name in (
            "LSOA11CD",
            "LSOA11NM",
            "MSOA11CD",
            "MSOA11NM",
            "LAD11CD",
            "LAD11NM",
            "RGN11CD",
            "RGN11NM",
        ):
            w.field(name, "C")
        for i, rec in enumerate(records):
            x = 530000 + 100 * i
            w.poly([[[x, 180000], [x, 180100], [x + 100, 180100], [x + 100, 180000], [x, 180000]]])
            w.record(*rec)
    return path


def test_shapefile_small_valid(tmp_path):
    rec = ["E01000001", "a", "E02000001", "m", "E09000001", "City", "E12000007", "London"]
    imp = read_lsoa_shapefile(_shapefile(tmp_path, [rec]))
    assert imp.hierarchy.num_rows == 3
    ring = json.loads(imp.geometry.column("geometry")[0].as_py())["coordinates"][0][0]
    assert ring[0] == pytest.approx(_charing_cross(), abs=1e-6)


def test_shapefile_two_parents_and_bad_codes(tmp_path):
    recs = [
        ["E01000001", "a", "E02000001", "m", "E09000001", "C", "E12000007", "L"],
        ["E01000002", "b", "E02000001", "m", "E09000002", "C", "E12000007", "L"],
        ["E0100003", "c", "E02000002", "m", "E09000002", "C", "E12000007", "L"],
    ]
    with pytest.raises(ImportValidationError) as info:
        read_lsoa_shapefile(_shapefile(tmp_path, recs))
    found = {(p["line"], p["column"]) for p in info.value.problems}
    assert found == {(1, "LAD11CD"), (2, "LAD11CD"), (3, "LSOA11CD")}


def test_shapefile_holes_and_parts(tmp_path):
    path = tmp_path / "h.shp"
    outer = [
        [530000, 180000],
        [530000, 181000],
        [531000, 181000],
        [531000, 180000],
        [530000, 180000],
    ]  # clockwise
    hole = [
        [530200, 180200],
        [530800, 180200],
        [530800, 180800],
        [530200, 180800],
        [530200, 180200],
    ]  # anticlockwise
    island = [[532000, 180000], [532000, 180500], [532500, 180500], [532000, 180000]]
    with shapefile.Writer(str(path), shapeType=shapefile.POLYGON) as w:
        for name in (
            "LSOA11CD",
            "LSOA11NM",
            "MSOA11CD",
            "MSOA11NM",
            "LAD11CD",
            "LAD11NM",
            "RGN11CD",
            "RGN11NM",
        ):
            w.field(name, "C")
        w.poly([outer, hole, island])
        w.record("E01000001", "a", "E02000001", "m", "E09000001", "C", "E12000007", "L")
    geometry = json.loads(read_lsoa_shapefile(path).geometry.column("geometry")[0].as_py())
    polygons = geometry["coordinates"]
    assert [len(p) for p in polygons] == [2, 1]  # outer + hole, then the island

    def signed(ring):
        r = np.asarray(ring)
        return np.dot(r[:-1, 0], r[1:, 1]) - np.dot(r[1:, 0], r[:-1, 1])

    assert signed(polygons[0][0]) > 0  # outer anticlockwise (RFC 7946)
    assert signed(polygons[0][1]) < 0  # hole clockwise
    assert signed(polygons[1][0]) > 0
    lon, lat = bng_to_wgs84(np.array([530000.0]), np.array([180000.0]))
    assert polygons[0][0][-1] == pytest.approx([lon[0], lat[0]], abs=1e-6)


def test_topojson_overflowing_transform_is_refused_in_one_line(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(
        '{"type": "Topology", "transform": {"scale": [1e308, 1e308], "translate": [0, 0]},'
        ' "arcs": [[[0, 0], [10, 10], [0, 10]]], "objects": {"a": {"type": "GeometryCollection",'
        ' "geometries": [{"type": "Polygon", "arcs": [[0]],'
        ' "properties": {"areacd": "E09000001"}}]}}}'
    )
    from healthgap.errors import InputError

    with pytest.raises(InputError, match=r"malformed TopoJSON.*not finite") as info:
        read_topojson(path)
    assert "\n" not in str(info.value)
