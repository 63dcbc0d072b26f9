"""map.html: flight path, frame footprints and findings coloured by class, with popups.

The page works offline: our data (crops as base64 JPEG) and Leaflet and jQuery (skyinspect.webpage:
vendored, BSD-2 and MIT) are inlined. Only the OpenStreetMap background tiles need a network;
offline the overlays draw on a blank background.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import Any

from branca.element import MacroElement
from folium.utilities import parse_options
from folium.vector_layers import path_options
from jinja2 import Template

from skyinspect.webpage import fit_to, js_template_text, save_offline

from groundstation.publish.context import (JOINT_HEX, PublishInput, colour_hex, format_measurement, products_title,
                                          width_text)
from groundstation.publish.images import best_view_crops_jpeg
from groundstation.publish.reviewed import class_text, review_text, shown_class


# A popup taller than a phone or a short laptop screen hid its grade and clause below the map's edge
# (Leaflet popups do not scroll the page, and a drag on the popup does not move the map): the
# content scrolls inside it instead, kept below the layer list (top right) that had covered its close button.
POPUP_OPTIONS: dict[str, object] = {"max_width": 320, "max_height": 360, "auto_pan_padding_top_left": [10, 135]}


def popup_html(inp: PublishInput, finding_index: int, crop_jpeg: bytes | None) -> str:
    f = inp.findings[finding_index]
    m = f.measurements
    rows = [("class", class_text(inp, f.finding_id, f.class_name)),  # the reviewer's class when relabelled
            ("score", f"{f.score:.2f}"), ("views", str(f.view_count)),
            ("best frame", str(f.best_view[0])),
            ("position", f"{f.lat_deg:.7f}, {f.lon_deg:.7f}, {f.alt_msl_m:.2f} m MSL"),
            ("CE90", f"{f.ce90_m:.2f} m" if math.isfinite(f.ce90_m) else "-"),
            ("length", format_measurement(m.get("length_mm"))), ("width", width_text(m)),
            ("area", format_measurement(m.get("area_m2"), 4))]
    g = inp.primary_grade(f.finding_id)
    if g is not None:
        rows += [("grade", g.short), ("clause", g.clause or g.note)]
        if g.note and g.clause:
            rows.append(("note", g.note))
    joint = inp.checks.get(f.finding_id, "")
    if joint:
        rows.append(("check", joint))
    if review_text(inp, f):  # the review app's word (groundstation.publish.reviewed)
        rows.append(("review", review_text(inp, f)))
    if inp.component_label(f.finding_id):
        rows.append(("component", inp.component_label(f.finding_id)))
    location = inp.location(f.finding_id).get("location")  # where on it, as the work orders say
    if location:
        rows.append(("location", str(location)))
    table = "".join(f"<tr><th style='text-align:left;padding-right:6px'>{js_template_text(k)}</th>"
                    f"<td>{js_template_text(v)}</td></tr>" for k, v in rows)
    img = (f"<img src='data:image/jpeg;base64,{base64.b64encode(crop_jpeg).decode()}' style='max-width:300px'><br>"
           if crop_jpeg else "<i>no image recorded for the best view</i><br>")
    return f"<b>{js_template_text(f.finding_id)}</b><br>{img}<table>{table}</table>"


def write_map(inp: PublishInput, path: Path, crops: dict[str, bytes | None]) -> None:
    import folium

    to_geo = inp.flight.origin.to_geodetic
    cams = [f.camera_ned_m for f in inp.geo.frames if all(math.isfinite(v) for v in f.camera_ned_m)]
    cam_geo = to_geo(cams) if cams else None
    if inp.findings:
        centre = [sum(f.lat_deg for f in inp.findings) / len(inp.findings),
                  sum(f.lon_deg for f in inp.findings) / len(inp.findings)]
    elif cam_geo is not None:
        centre = [float(cam_geo[:, 0].mean()), float(cam_geo[:, 1].mean())]
    else:
        centre = [inp.geo.surface.lat_deg, inp.geo.surface.lon_deg]
    fmap = folium.Map(location=centre, zoom_start=19, max_zoom=24, control_scale=True)
    # HTML asks for a title; the browser's tab then names the inspection, not "map.html" (branca does not escape it)
    fmap.get_root().title = html.escape(products_title(inp))  # type: ignore[attr-defined]

    frames_layer = folium.FeatureGroup(name="frame footprints", show=True)
    footprints = [{"ring": to_geo(fr.footprint_ned_m)[:, :2].tolist(), "options": FOOTPRINT_OPTIONS,
                   "tooltip": f"frame {fr.frame_index}, GSD {fr.gsd_m * 1000:.1f} mm"}
                  for fr in inp.geo.frames if fr.footprint_ned_m is not None]
    _Drawn(footprints, _FOOTPRINTS_JS).add_to(frames_layer)
    frames_layer.add_to(fmap)

    if cam_geo is not None and len(cam_geo) >= 2:
        path_layer = folium.FeatureGroup(name="flight path")
        folium.PolyLine(cam_geo[:, :2].tolist(), color=PATH_HEX, weight=2).add_to(path_layer)
        path_layer.add_to(fmap)

    findings_layer = folium.FeatureGroup(name="findings")
    findings = []
    # a joint-like line grey and 'joint?', as the report's elevation draws it: it was red, a crack by the legend
    joints = {f.finding_id for f in inp.findings if inp.checks.get(f.finding_id)}
    for i, f in enumerate(inp.findings):
        shown = shown_class(inp, f.finding_id, f.class_name)  # a relabelled finding as the reviewer's class
        joint = f.finding_id in joints
        colour = JOINT_HEX if joint else colour_hex(shown)
        # A marker too: a millimetre-wide crack is invisible as a polygon at most zoom levels.
        findings.append({"ring": f.outline_wgs84[:, :2].tolist(), "at": [f.lat_deg, f.lon_deg],
                         "outline": path_options(line=True, radius=None, color=colour, weight=2, fill=True,
                                                 fill_opacity=0.5),
                         "marker": path_options(line=False, radius=6, color=colour, fill=True),
                         "tooltip": f"{f.finding_id} ({shown}{', joint?' if joint else ''})",
                         "marker_tooltip": f.finding_id, "alt": round(f.alt_msl_m, 3),
                         "popup": popup_html(inp, i, crops.get(f.finding_id))})
    _Drawn(findings, _FINDINGS_JS, popup=parse_options(**POPUP_OPTIONS)).add_to(findings_layer)
    findings_layer.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)  # open: collapsed, its icon is an image (blank offline)
    shown_classes = sorted({shown_class(inp, f.finding_id, f.class_name) for f in inp.findings
                            if f.finding_id not in joints})
    _Legend(legend_html(shown_classes, flight_path=cam_geo is not None and len(cam_geo) >= 2,
                        footprints=bool(footprints), joints=bool(joints))).add_to(fmap)
    drawn = [tuple(p[:2]) for p in cam_geo] if cam_geo is not None else []
    fit_to(fmap, drawn + [(f.lat_deg, f.lon_deg) for f in inp.findings], max_zoom=22)
    save_offline(fmap, path)


def legend_html(classes: list[str], flight_path: bool = True, footprints: bool = True, joints: bool = False) -> str:
    """What each colour on the map is: the classes drawn (``classes``), joint-like lines, the flight path,
    the footprints. The demo's map had red, orange, blue and grey and nothing saying which was what."""
    def row(colour: str, text: str, line: bool = False) -> str:
        swatch = "height:3px;margin:6px 6px 6px 0" if line else "height:12px;border-radius:6px;margin:0 6px -1px 0"
        return (f'<p style="margin:0"><i style="display:inline-block;width:12px;{swatch};background:{colour}"></i>'
                f"{html.escape(text)}</p>")
    rows = [row(colour_hex(c), c) for c in classes]
    rows += [row(JOINT_HEX, "joint-like line (check it is a crack)")] if joints else []
    # a clean face's map had shown its flight path alone, not saying that nothing was found
    rows += [] if classes or joints else ['<p style="margin:0"><i>no findings</i></p>']
    rows += [row(PATH_HEX, "flight path", line=True)] if flight_path else []
    rows += [row(FOOTPRINT_HEX, "frame footprint", line=True)] if footprints else []
    # an HTML piece branca compiles as a Jinja template again: no '{' from a (relabelled) class name
    body = "".join(rows).replace("{", "&#123;").replace("}", "&#125;")
    return ('<section class="skyinspect-legend-box" style="position:fixed;bottom:28px;right:10px;z-index:1000;'
            'background:#fff;padding:6px 8px;border:2px solid rgba(0,0,0,0.2);border-radius:4px;'
            f'font:12px sans-serif"><div class="skyinspect-legend">{body}</div></section>')


class _Legend(MacroElement):
    """``legend_html`` in the page's body, fixed in the map's lower right corner above the attribution."""

    _template = Template("""{% macro html(this, kwargs) %}{{ this.text }}{% endmacro %}""")

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.text = text


PATH_HEX, FOOTPRINT_HEX = "#1f77b4", "#7f7f7f"  # as drawn and as the legend says
FOOTPRINT_OPTIONS = path_options(line=True, radius=None, color=FOOTPRINT_HEX, weight=1, fill=False)

# Drawn as folium would (L.polygon / L.circleMarker with its options, a sticky tooltip in a <div>, the
# popup's HTML in a <div> as folium.Popup wraps it), from one list per layer. A folium element per
# footprint and finding went through a template each, and branca compiled every rendered piece
# (popups with their crops) as a Jinja template again: 3 of 5 s of map.html at 864 findings.
_FOOTPRINTS_JS = """items.forEach(function (d) {
    L.polygon(d.ring, d.options).addTo(group).bindTooltip("<div>" + d.tooltip + "</div>", {"sticky": true});
});"""
# On a vertical face findings one above the other share a latitude and longitude: their markers lie on
# one spot at every zoom and a click reached the top one only (the demo's F-0008, F-0010-J and F-0010,
# 1.3 m apart in height). A popup lists the findings whose markers overlap its own, each a link to its popup.
_HERE_TOO_JS = """
function hereToo(marker, d, popup) {
    var map = marker._map, at = map.latLngToContainerPoint(marker.getLatLng());
    var el = popup.getContent(), old = el.querySelector(".skyinspect-here-too");
    if (old) old.remove();
    var under = drawn.filter(function (o) {
        return o.marker !== marker && map.hasLayer(o.marker) &&
            map.latLngToContainerPoint(o.marker.getLatLng()).distanceTo(at) < o.marker.getRadius() + marker.getRadius();
    });
    if (!under.length) return;
    under.sort(function (a, b) { return b.d.alt - a.d.alt; });
    var box = document.createElement("div");
    box.className = "skyinspect-here-too";
    // at a zoom that shows a long wall dozens overlap: a short box that scrolls, the crop still in view
    box.style.cssText = "margin:0 0 4px 0;max-height:6.5em;overflow-y:auto;border-bottom:1px solid #ccc";
    box.appendChild(document.createTextNode("Also under this marker (one above the other on a face, or zoom in):"));
    under.slice(0, 20).forEach(function (o) {
        var dz = o.d.alt - d.alt, a = document.createElement("a");
        a.href = "#";
        a.textContent = o.d.tooltip + ", " + Math.abs(dz).toFixed(2) + " m " + (dz >= 0 ? "above" : "below");
        a.addEventListener("click", function (e) { e.preventDefault(); o.marker.openPopup(); });
        box.appendChild(document.createElement("br"));
        box.appendChild(a);
    });
    if (under.length > 20) box.appendChild(document.createTextNode(" and " + (under.length - 20) + " more: zoom in"));
    var idLine = el.querySelector("b");  // the list under the finding's id, which still opens the popup
    idLine = idLine && idLine.nextSibling;
    el.insertBefore(box, idLine ? idLine.nextSibling : el.firstChild);
    popup.update();
}"""
# A click on a finding's outline opens its marker's popup. Each had a popup of its own with the crop
# in it, so every crop was embedded twice: map.html was 36.6 MB at 2,585 findings.
_FINDINGS_JS = """items.forEach(function (d) {
    var outline = L.polygon(d.ring, d.outline).addTo(group);
    outline.bindTooltip("<div>" + d.tooltip + "</div>", {"sticky": true});
    var marker = L.circleMarker(d.at, d.marker).addTo(group);
    var popup = L.popup(popupOptions);
    popup.setContent($('<div style="width: 100.0%; height: 100.0%;"></div>').html(d.popup)[0]);
    marker.bindPopup(popup);
    marker.bindTooltip("<div>" + d.marker_tooltip + "</div>", {"sticky": true});
    outline.on("click", function () { marker.openPopup(); });
    drawn.push({"marker": marker, "d": d});
    marker.on("popupopen", function () { hereToo(marker, d, popup); });
});""" + _HERE_TOO_JS


class _Drawn(MacroElement):
    """A layer's elements drawn by ``js`` from ``items`` (JSON) into the feature group it is added to."""

    _template = Template("""{% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }};
            var popupOptions = {{ this.popup }};
            var items = {{ this.items }};
            var drawn = [];
            {{ this.js }}
        })();
    {% endmacro %}""")

    def __init__(self, items: list[dict[str, Any]], js: str, popup: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._name = "Drawn"
        self.items, self.popup, self.js = _script_json(items), _script_json(popup or {}), js


def _script_json(value: object) -> str:
    """JSON that cannot end the <script> it sits in, nor open a Jinja block when branca compiles the
    rendered script again ('{' before '{', '%' or '#' is written as an escape)."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)  # options as folium writes them
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("{{", "{\\u007b").replace("{%", "{\\u0025").replace("{#", "{\\u0023")


def crops_for(inp: PublishInput) -> dict[str, bytes | None]:
    return best_view_crops_jpeg(inp)
