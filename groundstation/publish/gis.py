"""findings.gpkg (layers findings, findings_utm, crack_lines, frames, flight_path, the face view's
face_findings, face_frames and face_crack_lines (publish/face_gis.py), and the QGIS layer_styles table) and
findings.geojson (RFC 7946)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from groundstation.publish.context import PublishInput, flight_date, lonlatalt, value_or_none
from groundstation.registry.locate import LOCATION_COLUMNS
from skyinspect.findings import Finding

# then where on its component, as the work orders say it (registry.locate: face, metres along, above the base)
GRADE_COLUMNS = ("grade", "grade_rule", "grade_clause", "grade_note", "grade_bound", "priority", "due_date",
                 "other_grades", "component", "component_id", "chainage_m", "blade_radius_m",
                 *(c for c in LOCATION_COLUMNS if c != "chainage_m"))
# Columns that hold numbers: geopandas writes an all-empty column as TEXT (the demo's width_mm, with
# every crack's width an interval), which QGIS then filters and sorts as text
NUMBER_COLUMNS = ("score", "views", "lat", "lon", "alt_msl_m", "length_mm", "width_mm", "area_m2", "ce90_m",
                  "best_frame", "length_mm_sigma", "width_mm_sigma", "area_m2_sigma", "width_mm_low",
                  "width_mm_high", "max_width_mm", "max_width_mm_sigma", "max_width_mm_low", "max_width_mm_high",
                  "le90_m", "gsd_mm", "priority", "chainage_m", "blade_radius_m",
                  "along_face_m", "across_face_m", "above_base_m", "from_root_m", "frame_index", "range_m", "lines",
                  "frames")
FRAME_COLUMNS = ("frame_index", "capture_time_utc", "pose_status", "gsd_mm", "range_m")
# Columns written as GeoPackage DATEs (ISO text, declared DATE): geopandas writes dates as TEXT or DATETIME
DATE_COLUMNS = ("due_date",)


def grade_properties(inp: PublishInput | None, f: Finding) -> dict[str, Any]:
    """The primary grade with its clause, the other grades, the component and due date of ``f``."""
    from datetime import date, timedelta

    from groundstation.workorders import WorkOrderPolicy

    props: dict[str, Any] = {c: None for c in GRADE_COLUMNS}
    if inp is None:
        return props
    gs = inp.grades.get(f.finding_id) or ()
    if gs:
        g = gs[0]
        # an indeterminate grade has no priority of its own; its work order (a check) has one, and the
        # layer showed none, so filtering the layer on priority lost the orders workorders.csv gives first
        priority, days, _ = WorkOrderPolicy().terms(gs)  # as the work order: the most urgent of its grades
        props.update(grade=g.state, grade_rule=g.rule, grade_clause=g.clause, grade_note=g.note,
                     grade_bound=g.bound, priority=priority,
                     other_grades="; ".join(f"{o.state} ({o.rule})" for o in gs[1:]))
        day = flight_date(inp)
        if day and days is not None:
            props["due_date"] = (date.fromisoformat(day) + timedelta(days=int(days))).isoformat()
    a = inp.assignments.get(f.finding_id) or {}
    props.update(component=a.get("label"), component_id=a.get("component_id"), blade_radius_m=a.get("radius_m"))
    props.update(inp.location(f.finding_id))  # as workorders.csv gives it
    return props


def finding_properties(f: Finding, inp: PublishInput | None = None) -> dict[str, Any]:
    m = f.measurements
    props: dict[str, Any] = {
        "finding_id": f.finding_id, "class": f.class_name, "score": round(f.score, 4), "views": f.view_count,
        "lat": f.lat_deg, "lon": f.lon_deg, "alt_msl_m": round(f.alt_msl_m, 3),
        "length_mm": value_or_none(m.get("length_mm")), "width_mm": value_or_none(m.get("width_mm")),
        "area_m2": value_or_none(m.get("area_m2")),
        "ce90_m": round(f.ce90_m, 3) if math.isfinite(f.ce90_m) else None, "best_frame": f.best_view[0]}
    for key in ("length_mm", "width_mm", "area_m2"):  # the ± and the reason a value is missing
        meas = m.get(key)
        props[f"{key}_sigma"] = meas.sigma if meas is not None else None
        props[f"{key}_note"] = meas.note if meas is not None else ""
    width = m.get("width_mm")  # a hairline's width known only as an interval (groundstation/measure.py)
    props["width_mm_low"] = width.low if width is not None and width.is_bound else None
    props["width_mm_high"] = width.high if width is not None and width.is_bound else None
    # the widest stretch of crack beside the mean (what a comparator card reads); the rules grade width_mm
    # unless an owner's rule file names max_width_mm (docs/maintenance.md)
    widest = m.get("max_width_mm")
    props["max_width_mm"] = value_or_none(widest)
    props["max_width_mm_sigma"] = widest.sigma if widest is not None else None
    props["max_width_mm_note"] = widest.note if widest is not None else ""
    props["max_width_mm_low"] = widest.low if widest is not None and widest.is_bound else None
    props["max_width_mm_high"] = widest.high if widest is not None and widest.is_bound else None
    props["le90_m"] = round(f.le90_m, 3) if math.isfinite(f.le90_m) else None
    props["gsd_mm"] = round(f.gsd_m * 1000, 3) if math.isfinite(f.gsd_m) else None
    props.update(grade_properties(inp, f))
    props["joint_note"] = inp.checks.get(f.finding_id, "") if inp is not None else ""  # a flag for the reviewer
    if inp is not None and inp.review is not None:
        from groundstation.publish.reviewed import rejected_why, review_columns

        props.update(review_columns(inp, f.finding_id, f.class_name))
        if inp.review.rejected(f.finding_id):
            props["rejected_by"], props["rejected_why"] = rejected_why(inp, f.finding_id)
    return props


def _numbers(gdf: Any) -> Any:
    """``gdf`` with its NUMBER_COLUMNS that pandas left as objects (all empty) as float (NULL when empty)."""
    import pandas as pd

    for c in NUMBER_COLUMNS:
        if c in gdf.columns and gdf[c].dtype == object:
            gdf[c] = pd.to_numeric(gdf[c]).astype("float64")
    return gdf


def table(rows: list[dict[str, Any]], columns: Sequence[str], geoms: list[Any], crs: Any) -> Any:
    """A layer's GeoDataFrame of ``rows``. With no rows, ``columns`` typed as rows would type them
    (NUMBER_COLUMNS numbers, the others text): pandas makes an empty list a float column, so a flight
    that found nothing wrote finding_id, class and grade REAL."""
    import geopandas as gpd
    import pandas as pd

    data: Any = rows or {c: pd.Series([], dtype="float64" if c in NUMBER_COLUMNS else object) for c in columns}
    return _numbers(gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=crs)))


def write_layer(gdf: Any, path: Path, layer: str, geometry_type: str, layer_options: dict[str, str],
                date_columns: Sequence[str] = DATE_COLUMNS) -> None:
    """``gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", ...)`` with its DATE_COLUMNS
    declared DATE, so GDAL and QGIS read a date: pandas holds no day-only type, and pyogrio writes a column
    of ``datetime.date`` or ISO strings as TEXT, of datetimes as DATETIME. Only a numpy ``datetime64[D]``
    array passed to pyogrio's own writer makes GDAL create a DATE field. ``date_columns``: change.gpkg's differ."""
    import pandas as pd
    from geopandas.array import to_wkb
    from pyogrio.raw import write

    geometry = gdf.geometry
    fields = [c for c in gdf.columns if c != geometry.name]
    data = [pd.to_datetime(gdf[c]).to_numpy().astype("datetime64[D]") if c in date_columns else gdf[c].to_numpy()
            for c in fields]
    epsg = geometry.crs.to_epsg() if geometry.crs is not None else None  # as pyogrio.write_dataframe names it
    crs = f"EPSG:{epsg}" if epsg else geometry.crs.to_wkt("WKT1_GDAL") if geometry.crs is not None else None
    write(path, to_wkb(geometry.values), data, fields, layer=layer, driver="GPKG", geometry_type=geometry_type,
          crs=crs, layer_options=layer_options)


def finding_columns(inp: PublishInput) -> list[str]:
    """The columns finding_properties gives under ``inp`` (what a layer without findings still has)."""
    blank = Finding("", -1, "", math.nan, math.nan, math.nan, np.zeros((0, 3)), np.zeros(3), 0.0, (), (-1, -1))
    return list(finding_properties(blank, inp))


def _ring(f: Finding) -> list[tuple[float, float, float]]:
    ring = lonlatalt(f.outline_wgs84)
    return ring + ring[:1]


def plan_polygon(poly: Any) -> Any:
    """``poly`` (a finding's outline, in the CRS it is written in) as a valid 2D polygon seen from above:
    itself when it is valid, else the 2D hull of its own vertices, each with its Z. An outline on a
    vertical face is, from above, a sliver nanometres wide along the wall that crosses itself (the demo
    pier: 3 of 16), which QGIS processing refuses; its hull is the plan footprint it covers there, and
    its shape stays in face_findings. Vertices exactly collinear leave no polygon: ``poly`` as it was."""
    import shapely

    if poly.is_valid:
        return poly
    hull = shapely.convex_hull(poly)
    return hull if hull.geom_type == "Polygon" else poly


def outline_ring(f: Finding) -> list[tuple[float, float, float]]:
    """``f``'s own outline, lon/lat/alt, closed, counter-clockwise in plan (RFC 7946, KML). Not made
    valid from above: findings.geojson and findings.kml are 3D products (heights, KML's absolute
    altitude) whose readers (Google Earth, the truth comparison) need the outline on the wall, and a
    wall outline's 2D hull is another shape there (the demo's placement read 2.32 -> 7.19 GSD with it)."""
    from shapely.geometry import Polygon
    from shapely.geometry.polygon import orient

    return list(orient(Polygon(_ring(f)), sign=1.0).exterior.coords)


def _separation(inp: PublishInput) -> dict[str, Any] | None:
    """The flight's geoid separation ({"n_m": N, "source", "samples"}, checked by groundstation.load)
    or None: the one place the products read it from."""
    return getattr(inp.flight, "geoid_separation", None) or None


def geoid_separation_m(inp: PublishInput) -> float | None:
    """N = ellipsoidal - MSL height as the flight's receiver gave it (groundstation.load), or None."""
    sep = _separation(inp)
    return float(sep["n_m"]) if sep else None


def vertical_reference(inp: PublishInput) -> dict[str, Any]:
    """findings.geojson's ``vertical_reference`` member: what its third coordinates are."""
    sep = _separation(inp)
    if sep is None:
        return {"height": "msl", "rfc7946_ellipsoidal": False, "geoid_separation_m": None, "source": None,
                "note": "third coordinates are metres above mean sea level as the flight's GNSS receiver gave them, "
                        "not RFC 7946 heights above the WGS84 ellipsoid: the flight record states no geoid "
                        "separation (GPS_RAW_INT.alt_ellipsoid). Ellipsoidal = MSL + the geoid separation there "
                        "(-107 to +86 m over the Earth)"}
    return {"height": "ellipsoidal", "rfc7946_ellipsoidal": True, "geoid_separation_m": geoid_separation_m(inp),
            "source": str(sep.get("source", "")), "samples": sep.get("samples"),
            "note": "third coordinates are heights above the WGS84 ellipsoid (RFC 7946): the telemetry's MSL heights "
                    "plus the geoid separation the flight's receiver reported; properties alt_msl_m stay MSL"}


def height_note(inp: PublishInput) -> str:
    """The GeoPackage layers' description: their z is MSL (as KML's), with N when the flight gave it."""
    n = geoid_separation_m(inp)
    return ("z: metres above mean sea level as the flight's telemetry gave it (not ellipsoidal)"
            + (f"; the flight's geoid separation N = {n:.3f} m (ellipsoidal height = z + N)" if n is not None
               else "; the flight stated no geoid separation"))


def write_geojson(inp: PublishInput, path: Path) -> None:
    """RFC 7946: WGS84 lon, lat, height; polygons' outer rings counter-clockwise. Heights are
    ellipsoidal when the flight gave its geoid separation, else MSL and the file says so."""
    dz = geoid_separation_m(inp) or 0.0

    def features(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
        return [{"type": "Feature", "id": f.finding_id,
                 "geometry": {"type": "Polygon",
                              "coordinates": [[[x, y, z + dz] for x, y, z in outline_ring(f)]]},
                 "properties": finding_properties(f, inp)} for f in findings]

    collection: dict[str, Any] = {"type": "FeatureCollection", "vertical_reference": vertical_reference(inp),
                                  "features": features(inp.findings)}
    if inp.review is not None:  # RFC 7946 foreign members: GIS tools draw the features only
        collection["review"] = inp.review.said()
        collection["rejected"] = features(inp.rejected)  # kept for audit, not drawn as defects
    path.write_text(_one_feature_a_line(collection))


def _one_feature_a_line(collection: dict[str, Any]) -> str:
    """``collection`` as JSON with each member, and each feature of a list of features, on a line of its
    own. With every number on a line of its own (indent=1) it was 38 % larger: 526,375 bytes against
    382,750 for bench/process_scale.py's 150-frame record (132 findings). The numbers stay as they were:
    rounding longitudes and latitudes even to 1e-9 degree (0.1 mm) made findings on a vertical face
    invalid polygons (their footprint is a sliver thinner than that); the GeoPackage agrees to the bit."""
    def member(key: str, value: Any) -> str:
        if key in ("features", "rejected"):
            inner = ",\n  ".join(json.dumps(f) for f in value)
            return f"{json.dumps(key)}: [\n  {inner}\n ]" if value else f"{json.dumps(key)}: []"
        return f"{json.dumps(key)}: {json.dumps(value)}"

    return "{\n " + ",\n ".join(member(k, v) for k, v in collection.items()) + "\n}\n"


def frame_row(fr: Any) -> dict[str, Any]:
    """A frame's columns (FRAME_COLUMNS) in the frames and face_frames layers."""
    return {"frame_index": fr.frame_index, "capture_time_utc": _utc_ms(fr.capture_time_utc_s), "pose_status": fr.status,
            "gsd_mm": fr.gsd_m * 1000 if math.isfinite(fr.gsd_m) else None,
            "range_m": fr.range_m if math.isfinite(fr.range_m) else None}


def _utc_ms(t_s: float) -> float:
    """A capture time as whole milliseconds since 1970 (NaN for none): frames come several a second,
    and float seconds through nanoseconds would write 09:30:05.799 for .800."""
    return float(round(t_s * 1000.0)) if math.isfinite(t_s) else math.nan


def write_gpkg(inp: PublishInput, path: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString, Polygon

    gdf = table([finding_properties(f, inp) for f in inp.findings], finding_columns(inp),
                [Polygon(_ring(f)) for f in inp.findings], 4326)
    note = {"DESCRIPTION": height_note(inp)}  # the vertical reference, shown in QGIS's layer information
    # The same outlines in metres (the UTM zone of the flight) for measuring in QGIS; heights stay MSL.
    from skyinspect.geodesy import utm_crs_for

    utm = utm_crs_for(inp.flight.origin.lat0_deg, inp.flight.origin.lon0_deg)
    utm_gdf = gdf.to_crs(utm)
    # made valid in each CRS as written: a projection keeps no validity in general, and the sliver is 1e-9 m
    for layer in (gdf, utm_gdf):
        layer.geometry = layer.geometry.apply(plan_polygon)
    write_layer(gdf, path, "findings", "Polygon Z", note)
    write_layer(utm_gdf, path, "findings_utm", "Polygon Z", note)

    to_geo = inp.flight.origin.to_geodetic
    rows, fgeoms = [], []
    for fr in inp.geo.frames:
        rows.append(frame_row(fr))
        fp = fr.footprint_ned_m
        fgeoms.append(Polygon(lonlatalt(to_geo(fp))) if fp is not None and len(fp) >= 3 else None)
    frames = table(rows, FRAME_COLUMNS, fgeoms, 4326)
    # a GeoPackage DATETIME (QGIS: a date-time, not text)
    frames["capture_time_utc"] = pd.to_datetime(frames["capture_time_utc"], unit="ms", utc=True)
    # the spec's YYYY-MM-DDTHH:MM:SS.SSSZ: GDAL leaves out a whole second's ".000" unless told
    frames.to_file(path, layer="frames", driver="GPKG", engine="pyogrio", geometry_type="Polygon Z",
                   layer_options={**note, "DATETIME_PRECISION": "MILLISECOND"})

    write_crack_lines(inp, path)
    if inp.rejected:  # the findings rejected in review, kept for audit: who rejected them and why
        rgdf = _numbers(gpd.GeoDataFrame([finding_properties(f, inp) for f in inp.rejected],
                                         geometry=gpd.GeoSeries([plan_polygon(Polygon(_ring(f))) for f in inp.rejected],
                                                                 crs=4326)))
        write_layer(rgdf, path, "rejected", "Polygon Z", note)

    cams = [f.camera_ned_m for f in inp.geo.frames if all(math.isfinite(v) for v in f.camera_ned_m)]
    line = [LineString(lonlatalt(to_geo(cams)))] if len(cams) >= 2 else []
    path_gdf = gpd.GeoDataFrame({"frames": [len(cams)] if line else []}, geometry=gpd.GeoSeries(line, crs=4326))
    path_gdf.to_file(path, layer="flight_path", driver="GPKG", engine="pyogrio", geometry_type="LineString Z",
                     layer_options=note)

    from groundstation.publish.face_gis import write_face_layers

    write_face_layers(inp, path)  # on a vertical face the layers above are edge-on lines: the face view
    from groundstation.publish.qgis_styles import styles_for, write_layer_styles

    write_layer_styles(path, styles_for(inp))  # QGIS opens each layer with its style


def write_crack_lines(inp: PublishInput, path: Path) -> None:
    """Layer ``crack_lines``: per crack finding, the centre lines its length was measured along
    (every view's stretches, branches and the gaps counted: Finding.centrelines_ned_m), one 3D
    MultiLineString in WGS84 with the finding id and length."""
    to_geo = inp.flight.origin.to_geodetic
    gdf = crack_lines_table(inp.findings, lambda c: lonlatalt(to_geo(c)), 4326)
    gdf.to_file(path, layer="crack_lines", driver="GPKG", engine="pyogrio", geometry_type="MultiLineString Z",
                layer_options={"DESCRIPTION": height_note(inp)})


def crack_lines_table(findings: Sequence[Finding], points: Callable[[np.ndarray], Any], crs: Any) -> Any:
    """Per crack, its centre lines (Finding.centrelines_ned_m, each mapped by ``points`` from flight NED)
    as one MultiLineString with the finding id, length and number of lines: crack_lines, face_crack_lines."""
    from shapely.geometry import LineString, MultiLineString

    rows, geoms = [], []
    for f in findings:
        lines = [LineString(points(np.asarray(c))) for c in f.centrelines_ned_m if len(c) >= 2]
        if not lines:
            continue
        rows.append({"finding_id": f.finding_id, "length_mm": value_or_none(f.measurements.get("length_mm")),
                     "lines": len(lines)})
        geoms.append(MultiLineString(lines))
    return table(rows, ("finding_id", "length_mm", "lines"), geoms, crs)
