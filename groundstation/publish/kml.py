"""findings.kml (OGC KML 2.2, Google Earth): one Placemark per finding, its outline as a 3D polygon.

Altitudes are ``absolute`` (metres above sea level, as KML defines it; skyinspect's heights are the
telemetry's MSL, and stay so here when findings.geojson turns them ellipsoidal): findings on
a facade or pier have an altitude of their own, so clamping them to the ground would stack a whole
face onto one line. Coordinates are ``lon,lat,alt`` (KML order), the outer ring closed and
counter-clockwise as seen from above. Each finding names its id; the description holds the class,
measurements (with their +/-, or why they are missing), grade with its clause, component and due
date; ExtendedData holds the same fields as findings.geojson's properties. One style per class,
coloured as on map.html. A second folder holds each crack's measured centre lines (the gpkg's
``crack_lines``). The planner's KML (missions/planning/kml.py) is a flight path relative to
the ground and shares nothing with this one but the format.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from groundstation.publish.context import (PublishInput, colour_hex, format_measurement, lonlatalt, products_title,
                                          width_text)
from groundstation.publish.gis import finding_properties, outline_ring
from groundstation.publish.reviewed import class_text, review_text, shown_class
from skyinspect.atomic import write_atomic
from skyinspect.findings import Finding
from skyinspect.kml import kml_colour, xml_text

KML_NS = "http://www.opengis.net/kml/2.2"
FILL_ALPHA = 0x66


def style_id(class_name: str) -> str:
    return "class-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", class_name).strip("-") or "unknown")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    # every text goes through here: what XML cannot hold is replaced, not written into the file
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrib.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _ring_text(f: Finding) -> str | None:
    """The outline as 'lon,lat,alt ...', closed, counter-clockwise in plan; None without an outline."""
    if f.outline_wgs84 is None or len(f.outline_wgs84) < 3:
        return None
    # lon, lat as findings.geojson's, to the bit: at 9 decimals (0.1 mm) a finding on a vertical face,
    # a sliver thinner than that from above, had every vertex on one line (the demo pier: 16 of 16 invalid)
    return " ".join(f"{lon!r},{lat!r},{alt:.4f}" for lon, lat, alt in outline_ring(f))


def description_html(inp: PublishInput, f: Finding) -> str:
    """The balloon text: an HTML table (escaped into the XML by ElementTree)."""
    import html

    m = f.measurements
    props = finding_properties(f, inp)
    rows = [("class", class_text(inp, f.finding_id, f.class_name)),  # the reviewer's class when relabelled
            ("score", f"{f.score:.2f}"), ("views", str(f.view_count)),
            ("position", f"{f.lat_deg:.7f}, {f.lon_deg:.7f}, {f.alt_msl_m:.2f} m MSL"),
            ("CE90 / LE90", f"{_metres(f.ce90_m)} / {_metres(f.le90_m)}"),
            ("length", format_measurement(m.get("length_mm"))), ("width", width_text(m)),
            ("area", format_measurement(m.get("area_m2"), 4))]
    g = inp.primary_grade(f.finding_id)
    if g is not None:
        rows += [("grade", g.short), ("clause", g.clause or g.note)]
        if g.action:
            rows.append(("action", g.action))
        if props.get("due_date"):
            rows.append(("due", str(props["due_date"])))
    if inp.component_label(f.finding_id):
        rows.append(("component", inp.component_label(f.finding_id)))
    if props.get("location"):  # where on it a crew finds it, as the work orders say
        rows.append(("location", str(props["location"])))
    if props.get("joint_note"):
        rows.append(("check", str(props["joint_note"])))
    if review_text(inp, f):  # the review app's word (groundstation.publish.reviewed)
        rows.append(("review", review_text(inp, f)))
    body = "".join(f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _metres(x: float) -> str:
    return f"{x:.2f} m" if math.isfinite(x) else "-"


def _value(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return str(v)


def findings_kml(inp: PublishInput) -> str:
    root = ET.Element("kml", {"xmlns": KML_NS})
    doc = _sub(root, "Document")
    _sub(doc, "name", products_title(inp))
    _sub(doc, "description", f"{len(inp.findings)} findings; altitudes in metres above mean sea level; "
                             f"model {inp.flight.model_id}")
    for cls in sorted({shown_class(inp, f.finding_id, f.class_name) for f in inp.findings} | {"crack", "corrosion"}):
        style = _sub(doc, "Style", id=style_id(cls))
        line = _sub(style, "LineStyle")
        _sub(line, "color", kml_colour(colour_hex(cls)))
        _sub(line, "width", "2")
        poly = _sub(style, "PolyStyle")
        _sub(poly, "color", kml_colour(colour_hex(cls), FILL_ALPHA))
        _sub(poly, "fill", "1")
        _sub(poly, "outline", "1")
    cracks = [f for f in inp.findings if any(len(c) >= 2 for c in f.centrelines_ned_m)]
    if cracks:  # ogckml22.xsd: a Document's styles come before its Folders
        line_style = _sub(_sub(doc, "Style", id="crack-line"), "LineStyle")
        _sub(line_style, "color", kml_colour("#1a1a1a"))
        _sub(line_style, "width", "1")
    folder = _sub(doc, "Folder")
    _sub(folder, "name", f"findings ({len(inp.findings)})")
    for f in inp.findings:
        pm = _sub(folder, "Placemark", id=f.finding_id)
        _sub(pm, "name", f.finding_id)
        _sub(pm, "description", description_html(inp, f))
        _sub(pm, "styleUrl", f"#{style_id(shown_class(inp, f.finding_id, f.class_name))}")
        data = _sub(pm, "ExtendedData")
        for k, v in finding_properties(f, inp).items():
            _sub(_sub(data, "Data", name=k), "value", _value(v))
        ring = _ring_text(f)
        if ring is None:  # no outline: the centroid
            point = _sub(pm, "Point")
            _sub(point, "altitudeMode", "absolute")
            _sub(point, "coordinates", f"{f.lon_deg:.9f},{f.lat_deg:.9f},{f.alt_msl_m:.4f}")
            continue
        poly = _sub(pm, "Polygon")
        _sub(poly, "extrude", "0")
        _sub(poly, "altitudeMode", "absolute")
        _sub(_sub(_sub(poly, "outerBoundaryIs"), "LinearRing"), "coordinates", ring)
    _crack_lines(doc, inp, cracks)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _crack_lines(doc: ET.Element, inp: PublishInput, cracks: list[Finding]) -> None:
    """A second folder: each crack's measured centre lines (as the gpkg's crack_lines layer), styled
    by the Style ``crack-line`` findings_kml wrote."""
    if not cracks:
        return
    folder = _sub(doc, "Folder")
    _sub(folder, "name", f"crack lines ({len(cracks)})")
    to_geo = inp.flight.origin.to_geodetic
    for f in cracks:
        pm = _sub(folder, "Placemark", id=f"{f.finding_id}-lines")
        _sub(pm, "name", f"{f.finding_id} lines")
        _sub(pm, "description", f"the centre lines {f.finding_id}'s length was measured along")
        _sub(pm, "styleUrl", "#crack-line")
        multi = _sub(pm, "MultiGeometry")
        for c in f.centrelines_ned_m:
            if len(c) < 2:
                continue
            line = _sub(multi, "LineString")
            _sub(line, "altitudeMode", "absolute")
            points = lonlatalt(to_geo(c))
            _sub(line, "coordinates", " ".join(f"{lon:.9f},{lat:.9f},{alt:.4f}" for lon, lat, alt in points))


def write_kml(inp: PublishInput, path: Path) -> None:
    write_atomic(path, findings_kml(inp))
