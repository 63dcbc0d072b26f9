"""Components from the planner's asset descriptions: bridge parts, pipeline chainage segments, turbine
tower / nacelle / blade zones, each in the asset's local ENU frame."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from groundstation.registry.model import BLADES, ZONES, Asset, Component, _enu
from skyinspect.geodesy import LocalFrame

DECK_BELOW_M = 0.5  # the deck's height range reaches this far below its underside: findings just under it are its


def _frame_for(site: Any) -> tuple[LocalFrame, tuple[float, float, float]]:
    origin = (float(site.home_lat_lon[0]), float(site.home_lat_lon[1]), float(site.ground_alt_msl_m))
    return LocalFrame(*origin), origin


def _xy(frame: LocalFrame, latlon: Any, ground: float) -> tuple[float, float]:
    p = _enu(frame, latlon[0], latlon[1], ground)
    return float(p[0]), float(p[1])


def _bridge(spec: Any, aid: str) -> tuple[Asset, list[Component]]:
    from shapely.geometry import LineString, Point, Polygon

    frame, origin = _frame_for(spec.site)
    g = origin[2]
    comps: list[Component] = []
    deck = Polygon([_xy(frame, p, g) for p in spec.deck_outline_lat_lon])
    comps.append(Component(aid, f"{aid}/deck", "deck", "deck", "deck", deck.wkt,
                           spec.deck_underside_agl_m - DECK_BELOW_M, spec.deck_top_agl_m))
    girders = []
    for gd in spec.girders:
        line = LineString([_xy(frame, gd.start_lat_lon, g), _xy(frame, gd.end_lat_lon, g)])
        girders.append((gd, line))
        comps.append(Component(aid, f"{aid}/{gd.name}", "girder", gd.name, f"girder {gd.name}",
                               line.buffer(gd.width_m / 2, cap_style=2).wkt, spec.deck_underside_agl_m - gd.depth_m,
                               spec.deck_underside_agl_m))
    for pier in spec.piers:
        c = Point(_xy(frame, pier.centre_lat_lon, g))
        if pier.shape == "cylinder":
            foot = c.buffer(pier.diameter_m / 2, 32)
        else:
            h = math.radians(pier.heading_deg)
            along, across = np.array([math.sin(h), math.cos(h)]), np.array([math.cos(h), -math.sin(h)])
            corners = [np.array(c.coords[0]) + sa * along * pier.length_m / 2 + sb * across * pier.width_m / 2
                       for sa, sb in ((1, 1), (1, -1), (-1, -1), (-1, 1))]
            foot = Polygon(corners)
        comps.append(Component(aid, f"{aid}/{pier.name}", "pier", pier.name, f"pier {pier.name}", foot.wkt, 0.0,
                               pier.height_agl_m))
        for gd, line in girders:  # a bearing where each girder crosses the pier top
            cross = line.intersection(foot.buffer(0.25))
            if cross.is_empty:
                continue
            bottom = spec.deck_underside_agl_m - gd.depth_m
            comps.append(Component(aid, f"{aid}/B-{pier.name}-{gd.name}", "bearing", f"B-{pier.name}-{gd.name}",
                                   f"bearing {pier.name}/{gd.name}", cross.centroid.buffer(0.6, 16).wkt,
                                   min(pier.height_agl_m, bottom) - 0.5, max(pier.height_agl_m, bottom) + 0.3))
    rect = deck.minimum_rotated_rectangle
    pts = list(rect.exterior.coords)[:4]
    edges = sorted(((LineString([pts[i], pts[(i + 1) % 4]])) for i in range(4)), key=lambda e: e.length)[:2]
    for i, edge in enumerate(edges, 1):
        comps.append(Component(aid, f"{aid}/A{i}", "abutment", f"A{i}", f"abutment A{i}",
                               edge.buffer(1.5, cap_style=2).wkt, 0.0, spec.deck_top_agl_m))
    return Asset(aid, "bridge", spec.name, origin), comps


def _pipeline(spec: Any, aid: str) -> tuple[Asset, list[Component]]:
    from shapely.geometry import LineString
    from shapely.ops import substring

    frame, origin = _frame_for(spec.site)
    route = LineString([_xy(frame, p, origin[2]) for p in spec.route_lat_lon])
    step = float(spec.chainage_every_m)
    comps = []
    start = 0.0
    while start < route.length - 1e-6:
        end = min(start + step, route.length)
        seg = substring(route, start, end)
        name = f"km-{start / 1000:.3f}"
        comps.append(Component(aid, f"{aid}/{name}", "segment", name, f"segment {start:.0f}-{end:.0f} m", seg.wkt,
                               0.0, spec.height_agl_m + spec.diameter_m, start, end))
        start = end
    params = {"route_wkt": route.wkt, "right_of_way_m": spec.right_of_way_m, "length_m": route.length,
              "centre_agl_m": spec.height_agl_m, "diameter_m": spec.diameter_m}  # the clock position on it
    return Asset(aid, "pipeline", spec.name, origin, params), comps


def turbine_axes(spec: Any, frame: LocalFrame, ground: float) -> dict[str, Any]:
    base = np.array([*_xy(frame, spec.tower_base_lat_lon, ground), 0.0])
    h = math.radians(spec.rotor_heading_deg)
    normal = np.array([math.sin(h), math.cos(h), 0.0])  # the way the rotor faces (upwind)
    hub = base + normal * spec.hub_overhang_m + np.array([0, 0, spec.hub_height_agl_m])
    up = np.array([0.0, 0.0, 1.0])
    right = np.cross(-normal, up)  # the right hand of someone in front of the rotor, facing it
    blades = {}
    for k, name in enumerate(BLADES):
        th = math.radians(spec.locked_blade_deg + 120.0 * k)
        blades[name] = {"axis": (math.cos(th) * up + math.sin(th) * right).tolist(),
                        "rotation": (-math.sin(th) * up + math.cos(th) * right).tolist()}
    return {"base": base.tolist(), "hub": hub.tolist(), "normal": normal.tolist(), "blades": blades,
            "blade_length_m": spec.blade_length_m, "chord_m": spec.blade_max_chord_m,
            "tower_base_radius_m": spec.tower_base_diameter_m / 2, "tower_top_radius_m": spec.tower_top_diameter_m / 2,
            "hub_height_m": spec.hub_height_agl_m, "blade_root_offset_m": spec.blade_root_offset_m}


def _turbine(spec: Any, aid: str) -> tuple[Asset, list[Component]]:
    from shapely.geometry import LineString, Point

    frame, origin = _frame_for(spec.site)
    p = turbine_axes(spec, frame, origin[2])
    base, hub = np.array(p["base"]), np.array(p["hub"])
    comps = [Component(aid, f"{aid}/tower", "tower", "tower", "tower",
                       Point(base[:2]).buffer(p["tower_base_radius_m"], 32).wkt, 0.0, spec.hub_height_agl_m - 2.0),
             Component(aid, f"{aid}/nacelle", "nacelle", "nacelle", "nacelle",
                       LineString([base[:2], hub[:2]]).buffer(2.5).wkt, spec.hub_height_agl_m - 2.0,
                       spec.hub_height_agl_m + 3.0)]
    L = spec.blade_length_m
    for name in BLADES:
        axis = np.array(p["blades"][name]["axis"])
        for z, zone in enumerate(ZONES):
            a, b = hub + axis * L * z / 3, hub + axis * L * (z + 1) / 3
            comps.append(Component(aid, f"{aid}/blade-{name}/{zone}", "blade", f"blade-{name}-{zone}",
                                   f"blade {name}, {zone} zone", LineString([a, b]).wkt,
                                   float(min(a[2], b[2])), float(max(a[2], b[2])), blade=name, zone=zone))
    return Asset(aid, "wind_turbine", spec.name, origin, p), comps


BUILDERS: dict[str, Callable[[Any, str], tuple[Asset, list[Component]]]] = {
    "bridge": _bridge, "pipeline": _pipeline, "wind_turbine": _turbine}
