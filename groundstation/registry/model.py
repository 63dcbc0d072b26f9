"""The registry's types (asset, component, assignment), its GeoPackage, and the local ENU frame it keeps
geometry in (see the package's docstring)."""

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
    side: str = ""  # blade: LE/TE/PS/SS; pipeline: left/right looking up the chainage
    # where on the component a crew finds it (groundstation.registry.locate): None / "" when not worked out
    face: str = ""  # "west face", "underside", "north side (bearing 5 deg)"
    reference: str = ""  # what along/across are measured from
    along_face_m: float | None = None
    across_face_m: float | None = None  # underside / top only
    above_base_m: float | None = None
    from_root_m: float | None = None  # blade
    clock: str = ""  # pipeline: "3 o'clock" looking up the chainage

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
        from groundstation.registry.components import BUILDERS  # they build this module's types

        asset, comps = BUILDERS[spec.kind](spec, aid)
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
            raise InputError(describe(path, "registry GeoPackage not found",
                                      "Build one with skyinspect registry ASSET.yaml --out REGISTRY.gpkg"))
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
