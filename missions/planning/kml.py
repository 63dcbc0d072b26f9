"""KML (Google Earth: the flight path in 3D, at the heights flown) and a folium preview map.

The mission is flown relative to home (MAV_FRAME_GLOBAL_RELATIVE_ALT), so the KML draws it
``absolute``: home's altitude above sea level (the site's ``ground_alt_msl_m``, the .plan's planned
home) plus the height above home. ``relativeToGround`` would put each vertex that height above Google
Earth's terrain under it instead, off by the terrain's difference from home (a creek under a deck)."""

from __future__ import annotations

import html
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from skyinspect.atomic import write_atomic
from skyinspect.kml import kml_colour
from skyinspect.webpage import fit_to, js_template_text, save_offline

from missions.planning.geometry import lon_near
from missions.planning.planner import Plan
from missions.planning.safety import flight_legs


def path_lat_lon_alt(plan: Plan) -> list[tuple[float, float, float]]:
    """The flown path as (lat, lon, alt AGL) vertices, RTL included."""
    legs = flight_legs(plan.items, plan.frame, plan.asset.site, plan.autopilot)
    pts = [legs[0].start_ned] + [leg.end_ned for leg in legs]
    geo = plan.frame.to_geodetic(np.asarray(pts))
    return [(float(lat), float(lon), float(-p[2])) for (lat, lon, _), p in zip(geo, pts)]


# one colour per flight when an inspection takes several
FLIGHT_COLOURS = ("#ff8c00", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


# Google Earth shows a <description> as HTML: its text is HTML-escaped, then XML-escaped (names come
# from the asset file; findings.kml's descriptions are built the same way)
def kml_text(plan: Plan, flights: tuple[Plan, ...] = ()) -> str:
    """One flight's path and photo stations; with ``flights``, every flight's, one folder each."""
    plans = flights or (plan,)
    styles, parts = [], []
    for n, fl in enumerate(plans, start=1):
        colour = FLIGHT_COLOURS[(n - 1) % len(FLIGHT_COLOURS)] if flights else "#ffa500"
        styles.append(f'<Style id="path{n}"><LineStyle><color>{kml_colour(colour)}</color><width>3</width>'
                      f"</LineStyle></Style>")
        home_amsl_m = fl.home_lat_lon_alt[2]
        path = " ".join(f"{lon:.7f},{lat:.7f},{home_amsl_m + alt:.2f}" for lat, lon, alt in path_lat_lon_alt(fl))
        marks = []
        for k, ps, stations, lat_lon in _stations_lat_lon(fl):
            for j, ((p, yaw, pitch), (lat, lon)) in enumerate(zip(stations, lat_lon)):
                what = f"{ps.name}; gimbal pitch {pitch:+g} deg (up positive), heading {yaw:.1f} deg"
                marks.append(f"<Placemark><name>{k + 1}.{j + 1}</name><description>{escape(html.escape(what))}</description>"
                             f"<styleUrl>#photo</styleUrl><Point><altitudeMode>absolute</altitudeMode>"
                             f"<coordinates>{lon:.7f},{lat:.7f},{home_amsl_m - p[2]:.2f}</coordinates></Point></Placemark>")
        name = f"flight {n} of {len(plans)} ({fl.estimated_flight_s / 60:.1f} min)" if flights else "flight path"
        body = (f"<Placemark><name>{escape(name)}</name><styleUrl>#path{n}</styleUrl><LineString>"
                f"<altitudeMode>absolute</altitudeMode>\n<coordinates>{path}</coordinates></LineString>"
                f"</Placemark>\n<Folder><name>photo stations ({fl.photo_count})</name>{''.join(marks)}</Folder>")
        parts.append(f"<Folder><name>{escape(name)}</name>{body}</Folder>" if flights else body)
    d = plan.design
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<name>{escape(plan.asset.name)} inspection ({plan.autopilot})</name>
<description>{escape(html.escape(d.describe()))}</description>
{''.join(styles)}
<Style id="photo"><IconStyle><scale>0.4</scale></IconStyle><LabelStyle><scale>0</scale></LabelStyle></Style>
{chr(10).join(parts)}
</Document></kml>
"""


def write_kml(path: Path, plan: Plan, flights: tuple[Plan, ...] = ()) -> None:
    write_atomic(path, kml_text(plan, flights))


def _stations_lat_lon(plan: Plan):  # type: ignore[no-untyped-def]
    """Per pass: (its index, the pass, its stations (NED position, yaw, gimbal pitch), their (lat, lon)),
    one coordinate transform per pass (a call per station took most of the turbine's KML time)."""
    for k, ps in enumerate(plan.passes):
        stations = list(ps.stations())
        ned = np.array([p for p, _, _ in stations], dtype=np.float64).reshape(-1, 3)
        geo = plan.frame.to_geodetic(ned).reshape(-1, 3) if len(ned) else np.zeros((0, 3))
        yield k, ps, stations, [(float(lat), float(lon)) for lat, lon, _h in geo]


def station_features(plan: Plan) -> dict[str, object]:
    """Every photo station as a GeoJSON point (lon, lat) with its pass and height AGL, as HTML text:
    folium's GeoJsonTooltip puts it into the page with innerHTML, and a pass is named from the asset file
    (a pier named '<img onerror=...>' ran as markup). Longitudes about home (``lon_near``): Leaflet joins
    +179.9999 and -179.9999 the long way round the world, so a site on the antimeridian is drawn about its home."""
    lon0 = plan.home_lat_lon_alt[1]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon_near(lon0, lon), lat]},
         "properties": {"photo": html.escape(f"{ps.name} ({-p[2]:.1f} m AGL)")}}
        for _, ps, stations, lat_lon in _stations_lat_lon(plan) for (p, _, _), (lat, lon) in zip(stations, lat_lon)]}


def write_preview(path: Path, plan: Plan, flights: tuple[Plan, ...] = ()) -> None:
    """A folium map: path, photo stations, structure solids' outlines, geofence, keep-outs; with
    ``flights``, every flight's path and stations in its own colour."""
    import folium

    lat0, lon0, _ = plan.home_lat_lon_alt
    m = folium.Map(location=[lat0, lon0], zoom_start=19, max_zoom=22, tiles="OpenStreetMap")
    for n, fl in enumerate(flights or (plan,), start=1):
        colour = FLIGHT_COLOURS[(n - 1) % len(FLIGHT_COLOURS)] if flights else "orange"
        line = [(lat, lon_near(lon0, lon)) for lat, lon, _ in path_lat_lon_alt(fl)]
        tip = f"flight {n} of {len(flights)} ({fl.estimated_flight_s / 60:.1f} min)" if flights else "flight path"
        folium.PolyLine(line, color=colour, weight=3, tooltip=tip).add_to(m)
        dot = "blue" if not flights else colour
        # one GeoJSON layer of every photo station, not a marker each: folium renders each element
        # through a template (~1 ms), which made the 0.3-mm turbine's previews take half a minute
        folium.GeoJson(station_features(fl), name=f"photos, flight {n}" if flights else "photos",
                       marker=folium.CircleMarker(radius=2, color=dot, fill=True, fill_color=dot),
                       style_function=lambda _f, c=dot: {"color": c, "fillColor": c},
                       tooltip=folium.GeoJsonTooltip(fields=["photo"], labels=False)).add_to(m)
    site = plan.asset.site
    fence = [(lat, lon_near(lon0, lon)) for lat, lon in site.geofence_lat_lon]
    if fence:
        folium.Polygon(fence, color="green", fill=False, tooltip="geofence").add_to(m)
    for ko in site.keep_out:
        folium.Polygon([(lat, lon_near(lon0, lon)) for lat, lon in ko.outline_lat_lon], color="red", fill=True,
                       fill_opacity=0.2,
                       tooltip=js_template_text(f"keep-out {ko.name}")).add_to(m)
    # a ring, not folium's pin: the pin's image is fetched from a CDN, a broken picture offline
    folium.CircleMarker([lat0, lon0], radius=8, color="black", weight=3, fill=True, fill_color="white",
                        tooltip="home / take-off").add_to(m)
    note = f"<div style='font-size:11px;width:420px'>{escape(plan.design.describe())}</div>"
    folium.map.Marker([lat0, lon0], icon=folium.DivIcon(icon_anchor=(-14, -4), html=note)).add_to(m)  # beside the ring
    fit_to(m, [(lat, lon_near(lon0, lon)) for fl in (flights or (plan,)) for lat, lon, _ in path_lat_lon_alt(fl)] + fence)
    save_offline(m, path)
