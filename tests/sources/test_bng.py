"""British National Grid -> WGS84 (private module, tested for its published worked examples)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from healthgap.sources._bng import bng_to_wgs84, grid_to_osgb36


def test_os_guide_worked_example():
    # OS "A guide to coordinate systems in Great Britain", C.2: E 651409.903, N 313177.270
    # -> OSGB36 52deg 39' 27.2531" N, 1deg 43' 4.5177" E
    lat, lon = grid_to_osgb36(np.array([651409.903]), np.array([313177.270]))
    assert np.degrees(lat[0]) == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=1e-8)
    assert np.degrees(lon[0]) == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=1e-8)


def test_true_origin():
    lat, lon = grid_to_osgb36(np.array([400000.0]), np.array([-100000.0]))
    assert np.degrees([lat[0], lon[0]]) == pytest.approx([49.0, -2.0])


@pytest.mark.realdata
def test_matches_ons_centroids(shared_data):
    """ONS publish each district's centroid in grid (BNG_E/N) and WGS84 (LONG/LAT, 5 dp)."""
    data = json.loads(
        (
            shared_data
            / "boundaries"
            / "Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geo.json"
        ).read_text()
    )
    props = [f["properties"] for f in data["features"] if f["properties"]["LAD24CD"][0] in "EWS"]
    lon, lat = bng_to_wgs84(
        np.array([p["BNG_E"] for p in props], float), np.array([p["BNG_N"] for p in props], float)
    )
    # Helmert is good to ~5 m (OS guide 6.6): 1e-4 degrees is 7-11 m
    assert np.abs(lon - [p["LONG"] for p in props]).max() < 1e-4
    assert np.abs(lat - [p["LAT"] for p in props]).max() < 1e-4
