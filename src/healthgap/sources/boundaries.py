"""Boundary files: ONS GeoJSON and TopoJSON, and the GLA London LSOA shapefile.

Each becomes ``areas`` and ``geometry`` (GeoJSON geometry text in WGS84 longitude/latitude,
as web maps draw it), and a hierarchy where the file gives parents. Shapefiles in British
National Grid are reprojected with :mod:`healthgap.sources._bng` (OS transverse Mercator
inverse + Helmert in numpy, about 5 m accuracy) rather than pyproj, which is not a
dependency: the boundaries are generalised to tens of metres, so the OSTN15 grid is not needed.
GeoJSON and TopoJSON geometry is read feature by feature (hundreds; JSON has no columnar
reader); the shapefile's vertices are reprojected and its rings oriented and written as
GeoJSON text all at once (numpy and Polars).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from healthgap.errors import InputError
from healthgap.sources import _validate
from healthgap.sources._bng import bng_to_wgs84
from healthgap.sources._guard import reads
from healthgap.sources._tables import (
    _TYPE_BY_PREFIX,
    Imported,
    areas_arrow,
    cast_table,
    hierarchy_arrow,
    inputs_of,
)
from healthgap.store.schema import GEOMETRY

__all__ = ["read_geojson", "read_lsoa_shapefile", "read_topojson"]

_DECIMALS = 6  # 0.1 m of latitude: finer than any generalised boundary
_WGS84_NAMES = ("EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "CRS84")
_BNG_NAMES = ("EPSG:27700", "urn:ogc:def:crs:EPSG::27700")


def _level(field: str) -> str:
    """'MSOA11CD' -> 'msoa11'; 'areacd' -> 'area'."""
    return re.sub(r"(CD|cd)$", "", field).lower()


def _code_and_name_fields(properties: dict) -> tuple[str | None, str | None]:
    keys = list(properties)
    code = next((k for k in keys if re.fullmatch(r"[A-Z]+\d{2}CD", k)), None) or next(
        (k for k in keys if k.lower() in ("areacd", "code", "area_code")), None
    )
    name = None
    if code is not None and code.endswith("CD"):
        name = code[:-2] + "NM" if code[:-2] + "NM" in properties else None
    name = name or next((k for k in keys if k.lower() in ("areanm", "name", "area_name")), None)
    return code, name


def _round(coords: np.ndarray) -> list:
    return np.round(coords, _DECIMALS).tolist()


def _geometry_table(codes: list[str], geometries: list[str], crs: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"area_code": codes, "geometry": geometries, "source_crs": [crs] * len(codes)},
        schema={"area_code": pl.String, "geometry": pl.String, "source_crs": pl.String},
    )


#: What a malformed JSON document raises when read as GeoJSON or TopoJSON (wrong types,
#: missing members, short coordinate arrays); turned into one InputError naming the file.
_SHAPE_ERRORS = (KeyError, TypeError, IndexError, ValueError, AttributeError)


def _load_json(path: Path, kind: str, member: str) -> dict:
    """Load a GeoJSON/TopoJSON file's JSON object, refused unless its ``type`` is ``kind``."""
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    if not isinstance(data, dict) or data.get("type") != kind:
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise InputError(
            f"{path}: expected a {kind} (a JSON object with type {kind!r}); got {found!r}"
        )
    if not isinstance(data.get(member), dict if kind == "Topology" else list):
        raise InputError(f"{path}: the {kind} has no {member!r}")
    return data


def _features(path: Path) -> tuple[list[dict], str]:
    data = _load_json(path, "FeatureCollection", "features")
    crs_info = data.get("crs")
    crs = "EPSG:4326"
    if isinstance(crs_info, dict) and isinstance(crs_info.get("properties"), dict):
        crs = str(crs_info["properties"].get("name", crs))
    features = data["features"]
    bad = next((i for i, f in enumerate(features) if not isinstance(f, dict)), None)
    if bad is not None:
        raise InputError(f"{path}: feature {bad + 1} is not a GeoJSON Feature object")
    return features, crs


def _reproject_geojson(geometry: dict) -> dict:
    """Reproject a British National Grid GeoJSON (Multi)Polygon to WGS84."""
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    out = []
    for polygon in polygons:
        rings = []
        for ring in polygon:
            xy = np.asarray(ring, dtype=float)
            lon, lat = bng_to_wgs84(xy[:, 0], xy[:, 1])
            rings.append(_round(np.column_stack([lon, lat])))
        out.append(rings)
    return {"type": "MultiPolygon", "coordinates": out}


@reads("boundaries-geojson", "a GeoJSON FeatureCollection")
def read_geojson(
    paths: str | Path | Sequence[str | Path],
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    area_type: str | None = None,
) -> Imported:
    """ONS boundary GeoJSON (one file, several, or a folder of them) -> areas and geometry.

    Parameters
    ----------
    paths : str, Path or sequence of them
        GeoJSON FeatureCollections; a folder means every ``*.json``/``*.geojson`` in it. A
        file named by an area code (``E09000001.json``, as in the MSOA-by-borough files) makes
        that area the parent of its features, in hierarchy ``<level>-<parent type>``
        (``msoa11-la``).
    code_field, name_field : str, optional
        Properties holding the area code and name; by default the ONS ``XXXnnCD`` / ``XXXnnNM``
        pair (``LAD24CD``, ``MSOA11CD``) or ``areacd``/``areanm``.
    area_type : str, optional
        Area type of every feature; by default from each code (E09 -> ``la``).

    Returns
    -------
    Imported
        ``areas``, ``geometry`` (WGS84; British National Grid files, named by their ``crs``,
        are reprojected) and ``hierarchy`` when files are named by parent codes.

    Raises
    ------
    ImportValidationError
        Features without a code property, malformed or repeated codes (line = feature number).
    """
    if isinstance(paths, (str, Path)):
        root = Path(paths)
        files = (
            sorted(p for p in root.iterdir() if p.suffix in (".json", ".geojson"))
            if root.is_dir()
            else [root]
        )
    else:
        files = [Path(p) for p in paths]
    problems = _validate.Problems(files[0] if len(files) == 1 else files[0].parent)
    first_field: str | None = None
    codes, names, geoms, parents, files_of = [], [], [], [], []
    crs_seen = "EPSG:4326"
    try:
        for file in files:  # a handful of files
            features, crs = _features(file)
            crs_seen = crs
            parent = file.stem if re.fullmatch(r"[EWSNK]\d{8}", file.stem) else None
            for feature in features:  # one per area
                props = feature.get("properties") or {}
                cf, nf = code_field, name_field
                if cf is None or nf is None:
                    auto_code, auto_name = _code_and_name_fields(props)
                    cf, nf = cf or auto_code, nf or auto_name
                geometry = feature.get("geometry")
                if geometry is not None and crs in _BNG_NAMES:
                    geometry = _reproject_geojson(geometry)
                codes.append(props.get(cf) if cf else None)
                names.append(props.get(nf) if nf else None)
                geoms.append(json.dumps(geometry, separators=(",", ":")) if geometry else None)
                parents.append(parent)
                files_of.append(file.name)
                first_field = first_field or cf
    except _SHAPE_ERRORS as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise
        raise InputError(
            f"{file}: malformed GeoJSON feature {len(codes) + 1} ({type(exc).__name__}: "
            f"{str(exc)[:100]}); expected Features with properties and Polygon geometry"
        ) from None
    level = _level(first_field) if first_field else "area"
    frame = pl.DataFrame(
        {
            "area_code": codes,
            "area_name": names,
            "geometry": geoms,
            "parent": parents,
            "file": files_of,
        },
        schema={
            "area_code": pl.String,
            "area_name": pl.String,
            "geometry": pl.String,
            "parent": pl.String,
            "file": pl.String,
        },
    )
    frame = frame.with_columns((pl.int_range(pl.len()) + 1).cast(pl.Int64).alias("_line"))
    _validate.area_codes(frame, "area_code", problems, label=f"properties.{code_field or 'code'}")
    problems.add(
        frame,
        pl.col("area_code").is_duplicated(),
        "properties code",
        "area_code",
        "one feature per area (duplicate code)",
    )
    problems.raise_if_any()
    if area_type:
        frame = frame.with_columns(pl.lit(area_type).alias("area_type"))
    areas = areas_arrow(
        frame.select("area_code", "area_name", *(["area_type"] if area_type else []))
    )
    with_geometry = frame.filter(pl.col("geometry").is_not_null())
    crs_note = crs_seen if crs_seen not in _BNG_NAMES else f"{crs_seen} (reprojected to WGS84)"
    geometry = cast_table(
        with_geometry.with_columns(pl.lit(crs_note).alias("source_crs")), GEOMETRY
    )
    hierarchy = None
    if frame["parent"].is_not_null().any():
        parent_type = _TYPE_BY_PREFIX.get(frame["parent"].drop_nulls()[0][:3], "area")
        hierarchy = hierarchy_arrow(
            frame.filter(pl.col("parent").is_not_null()).select(
                pl.lit(f"{level}-{parent_type}").alias("hierarchy"),
                pl.col("area_code").alias("child_code"),
                pl.col("parent").alias("parent_code"),
            )
        )
    return Imported(
        source="boundaries-geojson",
        areas=areas,
        geometry=geometry,
        hierarchy=hierarchy,
        inputs=inputs_of(*files),
    )


# --------------------------------------------------------------------------- TopoJSON


def _decode_arcs(topology: dict) -> list[np.ndarray]:
    """Absolute lon/lat of every arc (TopoJSON spec 2.1.3-2.1.4: delta-encoded, quantised)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:  # one array operation per arc
        points = np.asarray(arc, dtype=float)[:, :2]
        if transform:
            with np.errstate(over="ignore", invalid="ignore"):
                points = np.cumsum(points, axis=0) * transform["scale"] + transform["translate"]
        if not np.isfinite(points).all() or (np.abs(points) > 1e7).any():
            raise ValueError(f"arc {len(arcs)} has coordinates that are not finite positions")
        arcs.append(points)
    return arcs


def _ring(indices: list[int], arcs: list[np.ndarray]) -> list:
    parts = []
    for k, i in enumerate(indices):
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(points if k == 0 else points[1:])
    return _round(np.concatenate(parts))


def _topo_geometry(geometry: dict, arcs: list[np.ndarray]) -> dict | None:
    kind = geometry.get("type")
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": [_ring(r, arcs) for r in geometry["arcs"]]}
    if kind == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": [[_ring(r, arcs) for r in poly] for poly in geometry["arcs"]],
        }
    return None


def _topo_records(topology: dict, wanted: list[str]) -> list[tuple]:
    """(code, name, start, end, object, geometry text) of every geometry of ``wanted``."""
    arcs = _decode_arcs(topology)
    records = []
    for name in wanted:
        for geometry in topology["objects"][name].get("geometries", []):  # one per area
            props = geometry.get("properties") or {}
            shape = _topo_geometry(geometry, arcs)
            records.append(
                (
                    props.get("areacd"),
                    props.get("areanm"),
                    props.get("start"),
                    props.get("end"),
                    name,
                    json.dumps(shape, separators=(",", ":")) if shape else None,
                )
            )
    return records


@reads("boundaries-topojson", "a TopoJSON topology")
def read_topojson(path: str | Path, *, objects: Sequence[str] | None = None) -> Imported:
    """ONS TopoJSON (e.g. Explore Local Statistics ``topo.json``) -> areas and geometry.

    Parameters
    ----------
    path : str or Path
        A TopoJSON Topology whose geometries carry ``areacd``, ``areanm`` and optionally
        ``start``/``end`` years.
    objects : sequence of str, optional
        Objects to read (e.g. ``["ltla", "rgn"]``); all by default. An area in several
        objects (London boroughs are both ``ltla`` and ``utla``) is kept once.

    Returns
    -------
    Imported
        ``areas`` (type from the code; ``valid_from`` 1 January of ``start``, ``valid_to``
        31 December of ``end`` when given) and ``geometry`` (arcs decoded, WGS84).

    Raises
    ------
    ImportValidationError
        Unknown object names; geometries without a well-formed ``areacd``.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    topology = _load_json(path, "Topology", "objects")
    if not isinstance(topology.get("arcs"), list):
        raise InputError(f"{path}: the Topology has no 'arcs' list")
    names = list(topology["objects"])
    wanted = list(objects) if objects is not None else names
    for name in wanted:
        if name not in names:
            problems.add_file_problem("objects", name, f"one of {names}")
    problems.raise_if_any()
    try:
        records = _topo_records(topology, wanted)
    except _SHAPE_ERRORS as exc:
        raise InputError(
            f"{path}: malformed TopoJSON ({type(exc).__name__}: {str(exc)[:100]}); expected "
            "arcs of [x, y] positions and Polygon/MultiPolygon geometries indexing them"
        ) from None
    frame = pl.DataFrame(
        records,
        orient="row",
        schema={
            "area_code": pl.String,
            "area_name": pl.String,
            "start": pl.Int32,
            "end": pl.Int32,
            "object": pl.String,
            "geometry": pl.String,
        },
    )
    frame = frame.with_columns((pl.int_range(pl.len()) + 1).cast(pl.Int64).alias("_line"))
    _validate.area_codes(frame, "area_code", problems, label="properties.areacd")
    problems.raise_if_any()
    frame = frame.unique("area_code", keep="first", maintain_order=True).with_columns(
        pl.when(pl.col("start").is_not_null())
        .then(pl.date(pl.col("start"), 1, 1))
        .alias("valid_from"),
        pl.when(pl.col("end").is_not_null()).then(pl.date(pl.col("end"), 12, 31)).alias("valid_to"),
    )
    geometry = cast_table(
        frame.filter(pl.col("geometry").is_not_null()).with_columns(
            pl.lit("EPSG:4326").alias("source_crs")
        ),
        GEOMETRY,
    )
    return Imported(
        source="boundaries-topojson",
        areas=areas_arrow(frame),
        geometry=geometry,
        inputs=inputs_of(path),
    )


# --------------------------------------------------------------------------- shapefile

LONDON_HIERARCHY = "lsoa11-msoa11-lad11-rgn11"
_SHAPE_LEVELS = (("LSOA11", "lsoa"), ("MSOA11", "msoa"), ("LAD11", "la"), ("RGN11", "region"))


def _multipolygons(
    lonlat: np.ndarray, ring_starts: np.ndarray, ring_feature: np.ndarray, n_features: int
) -> list[str]:
    """GeoJSON MultiPolygon text per feature from shapefile rings, all rings at once.

    Shapefile outer rings run clockwise and holes anticlockwise (ESRI Shapefile Technical
    Description, 1998, p. 8); RFC 7946 wants the opposite, so every ring is reversed. A
    clockwise ring (or a feature's first ring) starts a polygon; the rings after it are its
    holes. Coordinates are rounded to 6 decimals and written by Polars.
    """
    n = len(lonlat)
    ring_ends = np.append(ring_starts[1:], n)
    ring_of_point = np.repeat(np.arange(len(ring_starts)), ring_ends - ring_starts)
    x, y = lonlat[:, 0], lonlat[:, 1]
    cross = np.zeros(n)
    cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[ring_ends - 1] = 0.0  # no term across rings (rings are closed)
    signed = np.add.reduceat(cross, ring_starts) / 2 if n else np.zeros(0)
    first_of_feature = np.r_[True, ring_feature[1:] != ring_feature[:-1]]
    outer = (signed <= 0) | first_of_feature
    polygon = np.cumsum(outer) - 1
    reversed_index = ring_starts[ring_of_point] + (ring_ends[ring_of_point] - 1 - np.arange(n))
    points = pl.DataFrame(
        {
            "feature": ring_feature[ring_of_point],
            "polygon": polygon[ring_of_point],
            "ring": ring_of_point,
            "lon": np.round(x[reversed_index], _DECIMALS),
            "lat": np.round(y[reversed_index], _DECIMALS),
        }
    )
    text = (
        points.group_by("feature", "polygon", "ring", maintain_order=True)
        .agg(pl.format("[{},{}]", "lon", "lat").str.join(","))
        .group_by("feature", "polygon", maintain_order=True)
        .agg(pl.format("[{}]", pl.col("lon")).str.join(","))
        .group_by("feature", maintain_order=True)
        .agg(pl.format("[{}]", pl.col("lon")).str.join(","))
        .select(
            "feature",
            pl.format('{{"type":"MultiPolygon","coordinates":[{}]}}', pl.col("lon")).alias(
                "geometry"
            ),
        )
    )
    out = pl.DataFrame({"feature": np.arange(n_features)}).join(
        text, on="feature", how="left", maintain_order="left"
    )
    return out["geometry"].to_list()


@reads("lsoa-shapefile", "the GLA LSOA 2011 shapefile")
def read_lsoa_shapefile(path: str | Path) -> Imported:
    """GLA "Statistical GIS Boundary Files for London" LSOA 2011 shapefile.

    Parameters
    ----------
    path : str or Path
        ``LSOA_2011_London_gen_MHW.shp`` (with its ``.dbf``, ``.shx``), British National Grid;
        DBF fields ``LSOA11CD, LSOA11NM, MSOA11CD, MSOA11NM, LAD11CD, LAD11NM, RGN11CD,
        RGN11NM, ...``.

    Returns
    -------
    Imported
        ``areas`` (4,835 LSOAs, 983 MSOAs, 33 local authorities, London region),
        ``hierarchy`` ``"lsoa11-msoa11-lad11-rgn11"`` (LSOA -> MSOA -> local authority ->
        region) and ``geometry`` of the LSOAs reprojected to WGS84.

    Raises
    ------
    ImportValidationError
        Missing DBF fields, malformed or repeated LSOA codes, an area with two parents
        (line = record number).
    """
    import shapefile  # pyshp

    path = Path(path)
    problems = _validate.Problems(path)
    with shapefile.Reader(str(path)) as reader:
        fields = [f[0] for f in reader.fields[1:]]
        records = reader.records()
        shapes = reader.shapes()
    _validate.require_columns(
        fields, [f"{p}{s}" for p, _ in _SHAPE_LEVELS for s in ("CD", "NM")], problems
    )
    columns = list(zip(*records, strict=True)) if records else [()] * len(fields)
    frame = pl.DataFrame(
        {
            f: pl.Series(f, list(c), dtype=pl.String, strict=False)
            for f, c in zip(fields, columns, strict=True)
        }
    )
    frame = frame.with_columns((pl.int_range(pl.len()) + 1).cast(pl.Int64).alias("_line"))
    for prefix, _ in _SHAPE_LEVELS:
        _validate.area_codes(frame, f"{prefix}CD", problems)
    problems.add(
        frame,
        pl.col("LSOA11CD").is_duplicated(),
        "LSOA11CD",
        "LSOA11CD",
        "one record per LSOA (duplicate code)",
    )
    for (child, _), (parent, _) in itertools.pairwise(_SHAPE_LEVELS):
        two = pl.col(f"{parent}CD").n_unique().over(f"{child}CD") > 1
        problems.add(
            frame,
            two,
            f"{parent}CD",
            pl.format("{} -> {}", pl.col(f"{child}CD"), pl.col(f"{parent}CD")),
            f"one {parent} per {child}",
        )
    problems.raise_if_any()

    areas = pl.concat(
        [
            frame.select(
                pl.col(f"{p}CD").alias("area_code"),
                pl.col(f"{p}NM").alias("area_name"),
                pl.lit(t).alias("area_type"),
            )
            for p, t in _SHAPE_LEVELS
        ]
    )
    hierarchy = pl.concat(
        [
            frame.select(
                pl.lit(LONDON_HIERARCHY).alias("hierarchy"),
                pl.col(f"{c}CD").alias("child_code"),
                pl.col(f"{p}CD").alias("parent_code"),
            )
            for (c, _), (p, _) in itertools.pairwise(_SHAPE_LEVELS)
        ]
    )
    counts = np.array([len(s.points) for s in shapes])
    offsets = np.concatenate([[0], np.cumsum(counts)])
    parts = [np.asarray(s.parts, dtype=np.int64) + offsets[i] for i, s in enumerate(shapes)]
    ring_starts = np.concatenate(parts)
    ring_feature = np.repeat(np.arange(len(shapes)), [len(p) for p in parts])
    xy = np.concatenate([np.asarray(s.points, dtype=float).reshape(-1, 2) for s in shapes])
    lon, lat = bng_to_wgs84(xy[:, 0], xy[:, 1])  # every vertex at once
    geometries = _multipolygons(np.column_stack([lon, lat]), ring_starts, ring_feature, len(shapes))
    geometry = _geometry_table(
        frame["LSOA11CD"].to_list(),
        geometries,
        "EPSG:27700 (British National Grid, reprojected to WGS84)",
    )
    return Imported(
        source="lsoa-shapefile",
        areas=areas_arrow(areas),
        hierarchy=hierarchy_arrow(hierarchy),
        geometry=cast_table(geometry, GEOMETRY),
        inputs=inputs_of(
            *(
                p
                for p in (
                    path.with_suffix(".shp"),
                    path.with_suffix(".dbf"),
                    path.with_suffix(".shx"),
                )
                if p.exists()
            )
        ),
    )
