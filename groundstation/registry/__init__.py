"""Asset registry: assets and their components in a GeoPackage, and findings assigned to components.

The assets are the mission planner's asset files (``missions/examples/``: bridge.yaml,
pipeline.geojson, wind_turbine.yaml, read by ``missions.planning.assets.load_asset``); the registry
derives the components from them:

- bridge: deck, girders (G1..), piers (P1..), bearings (one per girder over each pier), abutments
  (the two deck ends) - each a footprint with a height range above ground;
- pipeline: segments of ``chainage_every_m`` along the route (chainage in metres from the first vertex);
- wind turbine: tower, nacelle, blades A/B/C, each blade in zones root / mid / tip (thirds of its length).

Geometry is kept in a local east-north-up frame in metres at the site's home point on the ground
(``site.ground_alt_msl_m``), so "up" is height above ground. The GeoPackage has layers ``assets`` and
``components`` in WGS84 for GIS, and each row carries its local geometry (WKT) so assignment reads
the registry alone.

Assignment (``assign_findings``):
- bridge: nearest component in 3D (horizontal distance to the footprint, vertical distance outside
  its height range), ties going to the smaller part (bearing > girder > pier > abutment > deck);
- pipeline: linear referencing - chainage = the finding projected onto the route, accepted within
  half the right of way;
- turbine: blade coordinates - distance from the hub along each blade axis and distance from it;
  the zone from the radius, the side from the offset direction assuming the blade at working pitch
  (chord in the rotor plane): towards the rotation -> LE, away -> TE, upwind -> PS, downwind -> SS.
Blade k (A, B, C) points ``locked_blade_deg + 120 k`` clockwise from straight up, seen from the front.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skyinspect.errors import InputError, describe
from skyinspect.geodesy import LocalFrame

SPECIFICITY = {"bearing": 0, "girder": 1, "pier": 2, "abutment": 3, "deck": 4, "tower": 5, "nacelle": 5}
BLADES = ("A", "B", "C")
ZONES = ("root", "mid", "tip")


@dataclass(frozen=True)
class Component:
    asset_id: str
    component_id: str  # "<asset>/<name>", e.g. "creek-bridge/P1", "line-7/km-0.100", "t1/blade-A/root"
    kind: str  # deck, girder, pier, bearing, abutment, segment, tower, nacelle, blade
    name: str
    label: str  # human text, e.g. "pier P1", "segment 100-150 m", "blade A, root zone"
    local_wkt: str  # geometry in the asset's local ENU frame, metres (2D footprint, or 3D line)
    z_min_m: float = 0.0  # height range above ground (bridge parts, tower)
    z_max_m: float = 0.0
    chainage_start_m: float | None = None
    chainage_end_m: float | None = None
    blade: str = ""
    zone: str = ""


@dataclass(frozen=True)
class Asset:
    asset_id: str
    kind: str  # bridge, pipeline, wind_turbine
    name: str
    origin: tuple[float, float, float]  # lat, lon, ground alt MSL of the local frame
    params: dict[str, Any] = field(default_factory=dict)  # kind-specific (route, hub, blade axes, ...)
    source: str = ""

    @property
    def frame(self) -> LocalFrame:
        return LocalFrame(*self.origin)


@dataclass(frozen=True)
class Assignment:
    finding_id: str
    asset_id: str
    component_id: str
    kind: str
    label: str
    distance_m: float  # from the finding to the component (0 = on/inside)
    chainage_m: float | None = None
    offset_m: float | None = None
    radius_m: float | None = None  # blade: distance from the hub
    zone: str = ""
    side: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "asset"


def _enu(frame: LocalFrame, lat: float, lon: float, alt: float) -> np.ndarray:
    n, e, d = frame.to_ned(lat, lon, alt)
    return np.array([e, n, -d])


def _wgs84(frame: LocalFrame, enu: np.ndarray) -> np.ndarray:
    enu = np.atleast_2d(enu)
    ned = np.stack([enu[:, 1], enu[:, 0], -(enu[:, 2] if enu.shape[1] > 2 else np.zeros(len(enu)))], axis=1)
    return frame.to_geodetic(ned)  # (N, 3) lat, lon, alt


@dataclass
class Registry:
    assets: dict[str, Asset] = field(default_factory=dict)
    components: list[Component] = field(default_factory=list)
    _geometries: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def geometry(self, local_wkt: str) -> Any:
        """A component's (or route's) WKT as shapely, parsed once: coverage assigns ~2,000 points a flight."""
        from shapely import wkt

        if local_wkt not in self._geometries:
            self._geometries[local_wkt] = wkt.loads(local_wkt)
        return self._geometries[local_wkt]

    def add_asset_file(self, path: Path, asset_id: str | None = None) -> Asset:
        from missions.planning.assets import load_asset

        spec = load_asset(Path(path))
        aid = asset_id or slug(spec.name)
        if aid in self.assets:
            # the CLI has no asset-id option: the id comes from the file's name field, so say which to change
            how = "Pass another asset_id" if asset_id else (f"The id is made from the asset's name ({spec.name!r}): "
                                                             "give each asset its own name, or leave out a file "
                                                             "passed twice")
            raise InputError(describe(path, f"asset id {aid!r} is already in the registry (from "
                                            f"{self.assets[aid].source})", how))
        builder = {"bridge": _bridge, "pipeline": _pipeline, "wind_turbine": _turbine}[spec.kind]
        asset, comps = builder(spec, aid)
        asset = Asset(asset.asset_id, asset.kind, asset.name, asset.origin, asset.params, str(path))
        self.assets[aid] = asset
        self.components += comps
        return asset

    def only_asset_id(self) -> str:
        if len(self.assets) != 1:
            raise InputError(describe("registry", f"holds {len(self.assets)} assets; name the one inspected",
                                      f"Pass asset_id (one of {', '.join(sorted(self.assets))})"))
        return next(iter(self.assets))

    def components_of(self, asset_id: str) -> list[Component]:
        return [c for c in self.components if c.asset_id == asset_id]

    # --- GeoPackage ----------------------------------------------------------------------------
    def write(self, path: Path) -> None:
        import geopandas as gpd
        from shapely import wkt
        from shapely.geometry import LineString, Point, Polygon

        path = Path(path)
        if path.exists():
            path.unlink()
        arows, ageoms = [], []
        for a in self.assets.values():
            arows.append({"asset_id": a.asset_id, "kind": a.kind, "name": a.name, "origin_lat": a.origin[0],
                          "origin_lon": a.origin[1], "ground_alt_msl_m": a.origin[2], "source": a.source,
                          "params": json.dumps(a.params)})
            ageoms.append(Point(a.origin[1], a.origin[0]))
        gpd.GeoDataFrame(arows, geometry=gpd.GeoSeries(ageoms, crs=4326)).to_file(
            path, layer="assets", driver="GPKG", engine="pyogrio")
        crows, cgeoms = [], []
        for c in self.components:
            frame = self.assets[c.asset_id].frame
            g = wkt.loads(c.local_wkt)
            coords = np.asarray(g.exterior.coords if g.geom_type == "Polygon" else g.coords)
            if coords.shape[1] == 2:
                coords = np.column_stack([coords, np.full(len(coords), c.z_min_m)])
            geo = _wgs84(frame, coords)
            lonlat = [(p[1], p[0]) for p in geo]
            cgeoms.append(Polygon(lonlat) if g.geom_type == "Polygon" else LineString(lonlat))
            crows.append({k: v for k, v in asdict(c).items()})
        comps = gpd.GeoDataFrame(crows, geometry=gpd.GeoSeries(cgeoms, crs=4326))
        comps.to_file(path, layer="components", driver="GPKG", engine="pyogrio")

    @classmethod
    def read(cls, path: Path) -> Registry:
        import pyogrio

        path = Path(path)
        if not path.is_file():
            raise InputError(describe(path, "registry GeoPackage not found", "Build one with groundstation.registry"))
        try:
            assets_df = pyogrio.read_dataframe(path, layer="assets", read_geometry=False)
            comps_df = pyogrio.read_dataframe(path, layer="components", read_geometry=False)
        except Exception as exc:  # pyogrio.errors.DataSourceError, DataLayerError
            raise InputError(describe(path, f"not a skyinspect registry ({exc})")) from exc
        reg = cls()
        for r in assets_df.to_dict("records"):
            reg.assets[r["asset_id"]] = Asset(r["asset_id"], r["kind"], r["name"],
                                              (float(r["origin_lat"]), float(r["origin_lon"]),
                                               float(r["ground_alt_msl_m"])), json.loads(r["params"]), r["source"])
        for r in comps_df.to_dict("records"):
            kw = {k: r[k] for k in Component.__dataclass_fields__}
            for k in ("chainage_start_m", "chainage_end_m"):
                kw[k] = None if kw[k] is None or (isinstance(kw[k], float) and math.isnan(kw[k])) else float(kw[k])
            kw["blade"], kw["zone"] = kw["blade"] or "", kw["zone"] or ""
            reg.components.append(Component(**kw))
        return reg


# --- components from the planner's asset descriptions ---------------------------------------------

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
    comps.append(Component(aid, f"{aid}/deck", "deck", "deck", "deck", deck.wkt, spec.deck_underside_agl_m - 0.5,
                           spec.deck_top_agl_m))
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
    params = {"route_wkt": route.wkt, "right_of_way_m": spec.right_of_way_m, "length_m": route.length}
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
            "hub_height_m": spec.hub_height_agl_m}


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


# --- assignment ----------------------------------------------------------------------------------

def assign_point(reg: Registry, asset_id: str, finding_id: str, lat: float, lon: float, alt_msl: float,
                 tolerance_m: float = 1.0) -> Assignment | None:
    """The component of ``asset_id`` a point belongs to, or None when none is within ``tolerance_m``."""
    from shapely.geometry import Point

    asset = reg.assets[asset_id]
    p = _enu(asset.frame, lat, lon, alt_msl)
    pt = Point(p[:2])
    comps = reg.components_of(asset_id)
    if asset.kind == "pipeline":
        route = reg.geometry(asset.params["route_wkt"])
        chainage, offset = float(route.project(pt)), float(route.distance(pt))
        if offset > asset.params["right_of_way_m"] / 2:
            return None
        seg = next((c for c in comps if c.chainage_start_m is not None and c.chainage_end_m is not None
                    and c.chainage_start_m <= chainage <= c.chainage_end_m), comps[-1])
        return Assignment(finding_id, asset_id, seg.component_id, seg.kind,
                          f"{seg.label} (chainage {chainage:.1f} m)", offset, chainage, offset)
    if asset.kind == "wind_turbine":
        blade = _assign_blade(asset, comps, finding_id, p, tolerance_m)
        if blade is not None:
            return blade
    best: tuple[float, int, Any] | None = None
    for c in comps:
        if c.kind == "blade":
            continue
        dh = float(reg.geometry(c.local_wkt).distance(pt))
        dz = max(c.z_min_m - p[2], 0.0, p[2] - c.z_max_m)
        d = math.hypot(dh, dz)
        key = (round(d, 2), SPECIFICITY.get(c.kind, 9), c)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None or best[0] > tolerance_m:
        return None
    c = best[2]
    return Assignment(finding_id, asset_id, c.component_id, c.kind, c.label, best[0])


def _assign_blade(asset: Asset, comps: list[Component], fid: str, p: np.ndarray, tol: float) -> Assignment | None:
    par = asset.params
    hub, normal, L = np.array(par["hub"]), np.array(par["normal"]), float(par["blade_length_m"])
    v = p - hub
    best = None
    for name, ax in par["blades"].items():
        axis, rot = np.array(ax["axis"]), np.array(ax["rotation"])
        r = float(v @ axis)
        perp = v - r * axis
        d = float(np.linalg.norm(perp))
        if -tol <= r <= L + tol and d <= par["chord_m"] + tol and (best is None or d < best[0]):
            a, t = float(perp @ normal), float(perp @ rot)
            side = ("LE" if t >= 0 else "TE") if abs(t) >= abs(a) else ("PS" if a >= 0 else "SS")
            best = (d, name, r, side)
    if best is None:
        return None
    d, name, r, side = best
    zone = ZONES[min(2, max(0, int(3 * r / L)))]
    comp = next(c for c in comps if c.blade == name and c.zone == zone)
    return Assignment(fid, asset.asset_id, comp.component_id, "blade", f"blade {name}, {zone} zone, {side}",
                      max(0.0, d - par["chord_m"] / 2), None, None, r, zone, side)


def assign_findings(findings: Any, reg: Registry, asset_id: str, tolerance_m: float = 1.0) -> dict[str, Assignment]:
    """Every finding's component (findings with none within tolerance + their CE90 are left out)."""
    out = {}
    for f in findings:
        tol = max(tolerance_m, f.ce90_m if math.isfinite(f.ce90_m) else 0.0)
        a = assign_point(reg, asset_id, f.finding_id, f.lat_deg, f.lon_deg, f.alt_msl_m, tol)
        if a is not None:
            out[f.finding_id] = a
    return out


def build_registry(asset_files: list[Path] | list[tuple[Path, str]], out: Path | None = None) -> Registry:
    """A registry from planner asset files (optionally (path, asset_id) pairs), written to ``out``."""
    reg = Registry()
    for item in asset_files:
        path, aid = item if isinstance(item, tuple) else (item, None)
        reg.add_asset_file(Path(path), aid)
    if out is not None:
        reg.write(Path(out))
    return reg


__all__ = ["Asset", "Assignment", "Component", "Registry", "assign_findings", "assign_point", "build_registry"]
