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

from pathlib import Path

# the package was one module: these names stay importable from it
from groundstation.registry.assign import SPECIFICITY, assign_findings, assign_point  # noqa: F401
from groundstation.registry.components import turbine_axes  # noqa: F401
from groundstation.registry.model import (  # noqa: F401
    BLADES, ZONES, Asset, Assignment, Component, Registry, _enu, _wgs84, slug)


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