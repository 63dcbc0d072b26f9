"""Asset descriptions (bridge, pipeline, wind turbine) read from YAML, JSON or GeoJSON, validated.

Coordinates in YAML/JSON are ``[lat_deg, lon_deg]`` pairs in keys ending ``_lat_lon``; GeoJSON
geometry keeps RFC 7946's ``[lon, lat]`` order. Heights are metres above the site's ground
(``site.ground_alt_msl_m``, flat ground assumed). Examples with every key: ``missions/examples/``;
the keys are documented in ``docs/missions.md``. Bad input raises ``InputError`` naming the file
and key, what was expected, what was found and the fix; nothing is planned or written.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import LineString

from skyinspect.errors import InputError, describe

from missions.planning.asset_reader import LatLon
from missions.planning.asset_reader import Reader as _Reader
from missions.planning.asset_reader import read_utf8



@dataclass(frozen=True)
class KeepOut:
    name: str
    outline_lat_lon: tuple[LatLon, ...]
    bottom_agl_m: float = 0.0
    top_agl_m: float = 10_000.0


MAX_ENDURANCE_MIN = 240.0  # no battery multirotor hovers 4 h with a payload


@dataclass(frozen=True)
class Battery:
    endurance_min: float = 25.0  # hover endurance with the inspection payload
    reserve_fraction: float = 0.25  # kept for the return and landing

    @property
    def usable_s(self) -> float:
        """Flight time one battery allows: the endurance less the reserve (the battery rule's budget)."""
        return self.endurance_min * 60.0 * (1.0 - self.reserve_fraction)


@dataclass(frozen=True)
class Site:
    ground_alt_msl_m: float
    home_lat_lon: LatLon
    min_standoff_m: float = 3.0
    min_flight_agl_m: float = 2.0
    max_alt_agl_m: float = 120.0
    rtl_alt_agl_m: float = 30.0
    max_speed_m_s: float = 5.0
    climb_speed_m_s: float = 1.0
    geofence_lat_lon: tuple[LatLon, ...] = ()
    keep_out: tuple[KeepOut, ...] = ()
    battery: Battery = field(default_factory=Battery)


@dataclass(frozen=True)
class Pier:
    name: str
    shape: str  # "box" or "cylinder"
    centre_lat_lon: LatLon
    height_agl_m: float
    length_m: float = 0.0  # box: along heading_deg
    width_m: float = 0.0  # box: across
    heading_deg: float = 0.0  # box: compass direction of the long side
    diameter_m: float = 0.0  # cylinder


@dataclass(frozen=True)
class Girder:
    name: str
    start_lat_lon: LatLon
    end_lat_lon: LatLon
    depth_m: float  # hangs this far below the deck underside
    width_m: float = 0.5


@dataclass(frozen=True)
class Bridge:
    name: str
    site: Site
    deck_outline_lat_lon: tuple[LatLon, ...]
    deck_underside_agl_m: float
    deck_top_agl_m: float
    piers: tuple[Pier, ...]
    girders: tuple[Girder, ...] = ()
    inspect_piers: tuple[str, ...] = ()  # empty: all
    pier_scan_bottom_agl_m: float = 2.0
    inspect_deck_top: bool = False
    inspect_girders: bool = False  # oblique lines along the girder sides (gimbal pitched up)
    orbit_pattern: str = "rings"  # round piers: "rings" or "helix"
    inspect_underside: bool = False  # soffit lanes under the deck, camera straight up (patterns_underside)
    ground_below_agl_m: float = 0.0  # ground or water surface under the deck (negative: below the site ground)
    min_ground_clearance_m: float = 2.0  # flights under the deck keep this much above ground_below_agl_m
    kind: str = "bridge"

    @property
    def floor_agl_m(self) -> float:
        """Lowest height (AGL) any flight under the deck may take."""
        return self.ground_below_agl_m + self.min_ground_clearance_m

    @property
    def lowest_under_deck_agl_m(self) -> float:
        """Lowest height (AGL) the planner flies under the deck: the ground/water clearance or the
        site's minimum flight height, whichever is higher (the ground there may differ)."""
        return max(self.site.min_flight_agl_m, self.floor_agl_m)


@dataclass(frozen=True)
class Pipeline:
    name: str
    site: Site
    route_lat_lon: tuple[LatLon, ...]
    height_agl_m: float  # pipe centre above ground
    diameter_m: float
    right_of_way_m: float
    offset_lines: int = 1  # 1: one line straight above; 2: one each side
    chainage_every_m: float = 100.0
    kind: str = "pipeline"


@dataclass(frozen=True)
class WindTurbine:
    name: str
    site: Site
    tower_base_lat_lon: LatLon
    hub_height_agl_m: float
    tower_base_diameter_m: float
    tower_top_diameter_m: float
    blade_length_m: float
    rotor_heading_deg: float  # compass direction the rotor faces (into the wind)
    locked_blade_deg: float = 0.0  # blade 1 angle from straight up, clockwise seen from the front
    blade_max_chord_m: float = 4.0
    hub_overhang_m: float = 5.0  # hub centre upwind of the tower axis
    inspect_tower: bool = True
    inspect_blades: bool = True
    orbit_pattern: str = "helix"  # tower: "helix" or "rings"
    # the root flange's distance from the hub centre (blade_length_m runs from the hub centre): where a
    # crew's "metres from the root" start; 0: from the hub centre
    blade_root_offset_m: float = 0.0
    kind: str = "wind_turbine"


Asset = Bridge | Pipeline | WindTurbine


# --- reading (missions/planning/asset_reader.py: typed access, unknown keys refused) ---------------
def _site(r: _Reader) -> Site:
    s = r.sub("site")
    b = s.sub("battery", required=False)
    keep = []
    for i, kr in enumerate(s.each("keep_out")):
        k = KeepOut(kr.text("name", f"keep-out {i + 1}"), kr.latlons("outline_lat_lon", 3, True),
                    kr.num("bottom_agl_m", 0.0), kr.num("top_agl_m", 10_000.0))
        if k.top_agl_m <= k.bottom_agl_m:  # an empty volume would keep nothing out, silently
            kr.fail(kr.key("top_agl_m"), f"more than bottom_agl_m ({k.bottom_agl_m})", k.top_agl_m,
                    "Swap or fix the heights")
        keep.append(k)
    site = Site(
        ground_alt_msl_m=s.num("ground_alt_msl_m", lo=-500, hi=9000), home_lat_lon=s.latlon("home_lat_lon"),
        min_standoff_m=s.num("min_standoff_m", 3.0, positive=True),
        min_flight_agl_m=s.num("min_flight_agl_m", 2.0, lo=0.0),
        max_alt_agl_m=s.num("max_alt_agl_m", 120.0, positive=True),
        rtl_alt_agl_m=s.num("rtl_alt_agl_m", 30.0, positive=True),
        max_speed_m_s=s.num("max_speed_m_s", 5.0, positive=True),
        climb_speed_m_s=s.num("climb_speed_m_s", 1.0, positive=True),
        geofence_lat_lon=s.latlons("geofence_lat_lon", 3, True) if s.has("geofence_lat_lon") else (),
        keep_out=tuple(keep),
        battery=Battery(b.num("endurance_min", 25.0, positive=True), b.num("reserve_fraction", 0.25, lo=0.0, hi=0.9)))
    if site.battery.endurance_min > MAX_ENDURANCE_MIN:  # seconds given as minutes: no flight ever cut, none refused
        b.fail(b.key("endurance_min"), f"the hover endurance in minutes, at most {MAX_ENDURANCE_MIN:g}",
               site.battery.endurance_min, f"Give it in minutes ({site.battery.endurance_min:g} s is "
               f"{site.battery.endurance_min / 60:g} min)")
    return site


def _bridge(r: _Reader) -> Bridge:
    d = r.sub("deck")
    under, top = d.num("underside_agl_m", positive=True), d.num("top_agl_m", positive=True)
    if top <= under:
        r.fail("deck.top_agl_m", f"more than deck.underside_agl_m ({under})", top, "Swap or fix the heights")
    piers = []
    for i, pr in enumerate(r.each("piers")):
        shape = pr.text("shape", "box")
        if shape not in ("box", "cylinder"):
            pr.fail(pr.key("shape"), "'box' or 'cylinder'", shape, "Describe other shapes as boxes")
        if shape == "box":
            piers.append(Pier(pr.text("name", f"P{i + 1}"), shape, pr.latlon("centre_lat_lon"),
                              pr.num("height_agl_m", positive=True), length_m=pr.num("length_m", positive=True),
                              width_m=pr.num("width_m", positive=True), heading_deg=pr.num("heading_deg", 0.0)))
        else:
            piers.append(Pier(pr.text("name", f"P{i + 1}"), shape, pr.latlon("centre_lat_lon"),
                              pr.num("height_agl_m", positive=True), diameter_m=pr.num("diameter_m", positive=True)))
    if not piers:
        r.fail("piers", "at least one pier", r.data.get("piers"), "List the piers (box or cylinder)")
    names = [p.name for p in piers]
    if len(set(names)) != len(names):
        r.fail("piers[].name", "unique pier names", names, "Rename the duplicates")
    girders = []
    for i, gr in enumerate(r.each("girders")):
        start, end = gr.latlon("start_lat_lon"), gr.latlon("end_lat_lon")
        # ends at one place: a girder of no length, whose direction was 0/0 (a NaN traceback when inspected)
        apart_m = math.hypot((end[0] - start[0]) * 111_320.0,
                             (end[1] - start[1]) * 111_320.0 * math.cos(math.radians(start[0])))
        if apart_m < 0.1:
            r.fail(f"girders[{i}]", "start_lat_lon and end_lat_lon at least 0.1 m apart",
                   f"{list(start)} and {list(end)} ({apart_m:.3f} m)", "Give the girder's two ends")
        girders.append(Girder(gr.text("name", f"G{i + 1}"), start, end,
                              gr.num("depth_m", positive=True), gr.num("width_m", 0.5, positive=True)))
    ins = r.sub("inspect", required=False)
    wanted = tuple(ins.items("piers"))
    unknown = [w for w in wanted if w not in names]
    if unknown:
        ins.fail(ins.key("piers"), f"names from {names}", unknown, "Use the pier names given under piers:")
    site = _site(r)
    ground = d.num("ground_below_agl_m", 0.0)
    if ground >= under:
        r.fail("deck.ground_below_agl_m", f"below deck.underside_agl_m ({under})", ground,
               "Give the height of the ground or water under the deck relative to the site ground")
    # default: the site's minimum flight height, so a bridge over site-level ground keeps the old rules
    clearance = d.num("min_ground_clearance_m", site.min_flight_agl_m, lo=0.0)
    return Bridge(r.text("name"), site, d.latlons("outline_lat_lon", 3, True), under, top, tuple(piers),
                  tuple(girders), wanted, ins.num("pier_scan_bottom_agl_m", 2.0, lo=0.0),
                  ins.flag("deck_top", False), ins.flag("girders", False), _orbit(ins, "rings"),
                  ins.flag("underside", False), ground, clearance)


def _orbit(ins: _Reader, default: str) -> str:
    style = ins.text("orbit_pattern", default)
    if style not in ("rings", "helix"):
        ins.fail(ins.key("orbit_pattern"), "'rings' or 'helix'", style, "Use rings (level orbits) or helix")
    return style


def _turbine(r: _Reader) -> WindTurbine:
    t = WindTurbine(
        r.text("name"), _site(r), r.latlon("tower_base_lat_lon"), r.num("hub_height_agl_m", positive=True),
        r.num("tower_base_diameter_m", positive=True), r.num("tower_top_diameter_m", positive=True),
        r.num("blade_length_m", positive=True), r.num("rotor_heading_deg", lo=0.0, hi=360.0),
        r.num("locked_blade_deg", 0.0), r.num("blade_max_chord_m", 4.0, positive=True),
        r.num("hub_overhang_m", 5.0, lo=0.0),
        r.sub("inspect", required=False).flag("tower", True), r.sub("inspect", required=False).flag("blades", True),
        _orbit(r.sub("inspect", required=False), "helix"), r.num("blade_root_offset_m", 0.0, lo=0.0))
    if not (t.inspect_tower or t.inspect_blades):  # ended in 'nothing to inspect' blaming the shutter speed
        r.fail("inspect", "tower: true or blades: true (or both)", "both false", "Say what to photograph")
    if t.blade_root_offset_m >= t.blade_length_m:
        r.fail("blade_root_offset_m", f"less than blade_length_m ({t.blade_length_m} m, from the hub centre)",
               t.blade_root_offset_m, "Give the hub radius: the root flange's distance from the hub centre")
    lowest_tip = t.hub_height_agl_m - t.blade_length_m
    if lowest_tip <= t.site.min_flight_agl_m:
        r.fail("blade_length_m", f"less than hub_height_agl_m - site.min_flight_agl_m "
               f"({t.hub_height_agl_m} - {t.site.min_flight_agl_m} m)", t.blade_length_m,
               "A blade this long would strike the ground; check the blade length and hub height")
    if t.tower_top_diameter_m > t.tower_base_diameter_m:
        r.fail("tower_top_diameter_m", f"at most tower_base_diameter_m ({t.tower_base_diameter_m})",
               t.tower_top_diameter_m, "Towers taper upwards; swap the two diameters")
    return t


def _pipeline(r: _Reader, route: tuple[LatLon, ...]) -> Pipeline:
    # a position given twice in a row (a double click) is a leg of no length, whose direction is 0/0
    route = tuple(p for k, p in enumerate(route) if k == 0 or p != route[k - 1])
    if len(route) < 2:
        r.fail("route_lat_lon", "at least 2 different latitude, longitude positions (a route of some length)",
               f"every position at {list(route[0])}", "Give the pipeline route")
    line = LineString([(lon, lat) for lat, lon in route])
    if not line.is_simple:
        r.fail("route", "a route that does not cross itself", "a self-crossing line",
               "Split the pipeline into separate assets at the crossing")
    ins = r.sub("inspect", required=False)
    lines = int(ins.num("offset_lines", 1))
    if lines not in (1, 2):
        ins.fail(ins.key("offset_lines"), "1 or 2", lines, "Use 1 (above the pipe) or 2 (one line each side)")
    return Pipeline(r.text("name"), _site(r), route, r.num("height_agl_m", lo=0.0), r.num("diameter_m", positive=True),
                    r.num("right_of_way_m", positive=True), lines, ins.num("chainage_every_m", 100.0, positive=True))


def parse_asset(data: Any, source: object = "<asset>") -> Asset:
    """Validate a decoded asset description (YAML/JSON mapping or a GeoJSON Feature)."""
    from missions.planning.asset_site import near_home  # imports this module's types

    return near_home(_parse(data, source), source)


def _parse(data: Any, source: object) -> Asset:
    if isinstance(data, dict) and data.get("type") in ("Feature", "FeatureCollection"):
        from missions.planning.asset_geojson import check_flat, pipeline_feature

        props, route, elevations = pipeline_feature(data, source)
        r = _Reader(source, props, "properties")
        asset: Asset = _pipeline(r, route)
        r.check_unknown(skip_paths=("properties",))  # a GIS layer's own attributes sit beside ours
        check_flat(elevations, asset.site.min_flight_agl_m, source)  # they were dropped without a word
        return asset
    r = _Reader(source, data)
    kind = r.text("asset", "")
    if kind not in ("bridge", "wind_turbine", "pipeline"):
        r.fail("asset", "'bridge', 'pipeline' or 'wind_turbine'", kind, "Set asset: to one of the three")
    asset = _bridge(r) if kind == "bridge" else _turbine(r) if kind == "wind_turbine" else \
        _pipeline(r, r.latlons("route_lat_lon", 2))
    r.check_unknown()
    return asset


def load_asset(path: Path) -> Asset:
    """Read an asset file (.yaml/.yml, .json, .geojson)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(describe(path, "expected an asset file, got a folder" if path.is_dir() else
                                  "asset file not found", "Check the path (examples: missions/examples/)"))
    text = read_utf8(path, "text", "Save the file as UTF-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml  # PyYAML: only needed for YAML assets

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except ImportError as exc:
        raise InputError(describe(path, "reading YAML needs PyYAML", "pip install pyyaml, or use JSON")) from exc
    except (ValueError, Exception) as exc:  # yaml.YAMLError, json.JSONDecodeError
        if isinstance(exc, InputError):
            raise
        raise InputError(describe(path, f"cannot be parsed ({type(exc).__name__}: {exc})",
                                  "Fix the syntax (compare missions/examples/)")) from exc
    return parse_asset(data, path)
