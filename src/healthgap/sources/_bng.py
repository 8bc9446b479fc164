"""British National Grid (EPSG:27700) eastings/northings -> WGS84 longitude/latitude, in numpy.

Ordnance Survey, *A guide to coordinate systems in Great Britain* (v3.6, 2020): the inverse
Transverse Mercator projection of Annex C (Airy 1830 ellipsoid, OSGB36 datum), then the
seven-parameter Helmert transformation OSGB36 -> WGS84 of section 6.6 (table 4, negated), then
cartesian -> geodetic coordinates on GRS80 (section B.2, iterated). The Helmert step is good
to about 5 m across Great Britain (OS guide, 6.6), well inside the 20-200 m generalisation of
boundary files drawn for maps; the exact OSTN15 grid shift is not needed for that use.
"""

from __future__ import annotations

import numpy as np

# Airy 1830 ellipsoid and National Grid projection constants (OS guide, tables A.1 and A.2).
AIRY_A, AIRY_B = 6377563.396, 6356256.909
F0 = 0.9996012717
LAT0, LON0 = np.radians(49.0), np.radians(-2.0)
E0, N0 = 400000.0, -100000.0
# GRS80 / WGS84 ellipsoid.
GRS80_A, GRS80_B = 6378137.0, 6356752.3141
# Helmert WGS84 -> OSGB36 (OS guide table 4): tx, ty, tz (m), s (ppm), rx, ry, rz (arc-seconds).
HELMERT_WGS84_TO_OSGB36 = (-446.448, 125.157, -542.060, 20.4894, -0.1502, -0.2470, -0.8421)


def _meridional_arc(phi: np.ndarray) -> np.ndarray:
    n = (AIRY_A - AIRY_B) / (AIRY_A + AIRY_B)
    d, s = phi - LAT0, phi + LAT0
    return (
        AIRY_B
        * F0
        * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * np.sin(d) * np.cos(s)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * np.sin(2 * d) * np.cos(2 * s)
            - 35 / 24 * n**3 * np.sin(3 * d) * np.cos(3 * s)
        )
    )


def grid_to_osgb36(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse Transverse Mercator (OS guide, C.2): grid -> OSGB36 latitude, longitude (rad)."""
    e = np.asarray(easting, dtype=float)
    north = np.asarray(northing, dtype=float)
    e2 = 1 - AIRY_B**2 / AIRY_A**2
    phi = (north - N0) / (AIRY_A * F0) + LAT0
    for _ in range(20):  # converges to < 0.01 mm in 3-5 iterations
        residual = north - N0 - _meridional_arc(phi)
        phi = phi + residual / (AIRY_A * F0)
        if np.all(np.abs(residual) < 1e-5):
            break
    sin, cos, tan = np.sin(phi), np.cos(phi), np.tan(phi)
    nu = AIRY_A * F0 / np.sqrt(1 - e2 * sin**2)
    rho = AIRY_A * F0 * (1 - e2) * (1 - e2 * sin**2) ** -1.5
    eta2 = nu / rho - 1
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * tan**2 + eta2 - 9 * tan**2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan**2 + 45 * tan**4)
    x = 1 / (cos * nu)
    xi = 1 / (cos * 6 * nu**3) * (nu / rho + 2 * tan**2)
    xii = 1 / (cos * 120 * nu**5) * (5 + 28 * tan**2 + 24 * tan**4)
    xiia = 1 / (cos * 5040 * nu**7) * (61 + 662 * tan**2 + 1320 * tan**4 + 720 * tan**6)
    de = e - E0
    lat = phi - vii * de**2 + viii * de**4 - ix * de**6
    lon = LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return lat, lon


def _to_cartesian(lat, lon, a, b):
    e2 = 1 - b**2 / a**2
    nu = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    return (
        nu * np.cos(lat) * np.cos(lon),
        nu * np.cos(lat) * np.sin(lon),
        (1 - e2) * nu * np.sin(lat),
    )


def _to_geodetic(x, y, z, a, b):
    e2 = 1 - b**2 / a**2
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
        lat = np.arctan2(z + e2 * nu * np.sin(lat), p)
    return lat, np.arctan2(y, x)


def osgb36_to_wgs84(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Helmert transformation OSGB36 -> WGS84 (OS guide 6.6, parameters negated)."""
    x, y, z = _to_cartesian(lat, lon, AIRY_A, AIRY_B)
    tx, ty, tz, s, rx, ry, rz = (-v for v in HELMERT_WGS84_TO_OSGB36)
    s = s * 1e-6
    rx, ry, rz = (np.radians(r / 3600) for r in (rx, ry, rz))
    x2 = tx + (1 + s) * x - rz * y + ry * z
    y2 = ty + rz * x + (1 + s) * y - rx * z
    z2 = tz - ry * x + rx * y + (1 + s) * z
    return _to_geodetic(x2, y2, z2, GRS80_A, GRS80_B)


def bng_to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude in degrees (WGS84) of British National Grid coordinates."""
    lat, lon = grid_to_osgb36(easting, northing)
    lat, lon = osgb36_to_wgs84(lat, lon)
    return np.degrees(lon), np.degrees(lat)
