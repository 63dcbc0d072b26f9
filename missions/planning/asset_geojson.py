"""A pipeline given as GeoJSON: one LineString Feature, or a FeatureCollection of one (as QGIS saves a
layer; a single-part MultiLineString too), in RFC 7946's WGS84 [longitude, latitude] degrees.

A layer exported in a projected CRS (e.g. the Swiss LV95, EPSG:2056) was read as latitude/longitude
pairs: 'properties.geometry.coordinates: expected a latitude, longitude pair ..., got [1250256.9,
2683575.1]. Write e.g. [47.39774, 8.54559] (latitude first)', the wrong key, order and fix. Here the
CRS and the degrees are checked first, naming the export that fixes them.
"""

from __future__ import annotations

from typing import Any

from skyinspect.errors import InputError, describe

LatLon = tuple[float, float]
WGS84_NAMES = ("CRS84", "EPSG::4326", "EPSG:4326")  # RFC 7946: only WGS84 lon/lat
EXPORT_FIX = "Export the layer as WGS84 (QGIS: Save Features As, CRS EPSG:4326; or ogr2ogr -t_srs EPSG:4326 OUT IN)"


def pipeline_feature(data: dict[str, Any], source: object) -> tuple[dict[str, Any], tuple[LatLon, ...],
                                                                   tuple[tuple[int, float], ...]]:
    """(properties, route as (lat, lon), (position, elevation) of the positions that carry a third value) of a
    pipeline Feature or one-Feature FeatureCollection."""

    def fail(key: str, expected: str, got: object, fix: str) -> None:
        raise InputError(describe(source, f"{key}: expected {expected}, got {got!r}", fix))

    crs = ((data.get("crs") or {}).get("properties") or {}).get("name") if isinstance(data.get("crs"), dict) else None
    if crs is not None and not str(crs).upper().endswith(WGS84_NAMES):
        fail("crs", "WGS84 longitude, latitude (RFC 7946)", crs, EXPORT_FIX)
    if data.get("type") == "FeatureCollection":
        feats = data.get("features")
        if not isinstance(feats, list) or len(feats) != 1:
            fail("features", "one pipeline Feature", len(feats) if isinstance(feats, list) else feats,
                 "Save each pipeline as its own file (one LineString Feature)")
        data = feats[0] if isinstance(feats[0], dict) else {}  # type: ignore[index]
    geom, props = data.get("geometry") or {}, data.get("properties") or {}
    geom = geom if isinstance(geom, dict) else {"type": geom}
    if not isinstance(props, dict):
        fail("properties", "a mapping", props, "Write the pipeline's keys under properties (see missions/examples/)")
    kind, coords = geom.get("type"), geom.get("coordinates")
    if kind == "MultiLineString" and isinstance(coords, list) and len(coords) == 1:
        kind, coords = "LineString", coords[0]  # one part: a line as QGIS writes line layers
    if kind != "LineString" or props.get("asset") != "pipeline":
        fail("geometry", "a LineString Feature with properties.asset = 'pipeline'", (kind, props.get("asset")),
             "Give one unbroken line (a MultiLineString of one part is read too); bridges and turbines are YAML")
    coords = coords or []
    # a list of positions (one bare position or a number: the "at least 2" message below)
    positions = coords if isinstance(coords, list) and not all(isinstance(c, (int, float)) for c in coords) else []
    bad = [c for c in positions if not (isinstance(c, (list, tuple)) and len(c) >= 2 and
                                        all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in c[:2]))]
    if bad:  # a position skipped silently would plan a different route
        fail("geometry.coordinates", "[longitude, latitude] positions", bad[0], "Fix or remove that position")
    off = [c for c in positions if not (-180 <= c[0] <= 180 and -90 <= c[1] <= 90) or c[0] == c[1] == 0]
    if off:
        fail("geometry.coordinates", "[longitude, latitude] in WGS84 degrees", list(off[0]), EXPORT_FIX)
    if len(positions) < 2:
        fail("geometry.coordinates", "at least 2 longitude, latitude positions", coords, "Give the pipeline route")
    elevations = tuple((k, float(c[2])) for k, c in enumerate(positions)
                       if len(c) >= 3 and isinstance(c[2], (int, float)) and not isinstance(c[2], bool))
    route = tuple((float(c[1]), float(c[0])) for c in positions)
    if len(set(route)) < 2:  # said here in the file's own terms; repeats in a row are dropped by assets._pipeline
        fail("geometry.coordinates", "at least 2 different longitude, latitude positions (a route of some length)",
             f"{len(positions)} positions all at {list(positions[0][:2])}", "Give the pipeline route")
    return props, route, elevations


def check_flat(elevations: tuple[tuple[int, float], ...], min_flight_agl_m: float, source: object) -> None:
    """The planner flies heights above home's ground (flat ground): a route whose own elevations ([lon, lat,
    elevation], a 'LineString Z' layer) spread more than the site's minimum flight height would put lanes
    into rising ground. Only the spread is checked: the elevations' datum (mean sea level or the ellipsoid,
    up to ~100 m apart) is not known."""
    if len(elevations) < 2:
        return
    low, high = min(elevations, key=lambda kz: kz[1]), max(elevations, key=lambda kz: kz[1])
    if high[1] - low[1] > min_flight_agl_m:
        raise InputError(describe(
            source, f"geometry.coordinates: expected a route on flat ground (every height is planned above home's "
                    f"ground, site.ground_alt_msl_m), got elevations from {low[1]:g} m (position {low[0]}) to "
                    f"{high[1]:g} m (position {high[0]}), {high[1] - low[1]:.1f} m apart: more than "
                    f"site.min_flight_agl_m ({min_flight_agl_m:g} m), so lanes would be flown into the higher ground",
            "Cut the route into parts whose ground lies within that height, each with its own site.home_lat_lon "
            "and ground_alt_msl_m"))
