"""Surfaces that camera rays are intersected with, in a flight's local NED frame.

Every surface is described in WGS84 (or, for a DEM, in its own CRS) so it travels with an asset,
and is *bound* to a flight's ``LocalFrame`` before use (``surface.bind(frame)``). A bound surface
answers one question, vectorised: where do rays from one origin first meet it from its outer
side (``intersect``), and gives a 2D ``chart`` (u, v metres) for fusion, areas and drawings.

- ``PlaneSurface`` (skyinspect.surface): an infinite plane (ground, deck).
- ``FaceSurface``: a bounded vertical (or any) rectangle: pier, abutment, wall.
- ``CylinderSurface``: a finite cylinder (tower, pipe, column), chart = the unrolled mantle.
- ``DemSurface``: a DEM/DSM GeoTIFF (e.g. an ODM DSM), ray marching with bisection refinement.
- ``SurfaceSet``: several surfaces; each ray takes the nearest hit, each frame the surface its
  image centre looks at.

``load_surface(path)`` reads a surface JSON file (``"surface": "plane" | "face" | "cylinder" |
"dem" | "set"``) and ``surface_from_dict`` the same dictionaries. docs/georeferencing.md has the
conventions.
"""

from skyinspect.surfaces.base import BoundSurface, Chart, Hits, PlaneChart, plane_chart, shoelace_area_m2
from skyinspect.surfaces.cylinder import CylinderSurface
from skyinspect.surfaces.dem import DemSurface
from skyinspect.surfaces.face import FaceSurface
from skyinspect.surfaces.io import SurfaceSet, load_surface, surface_from_dict

__all__ = ["BoundSurface", "Chart", "CylinderSurface", "DemSurface", "FaceSurface", "Hits", "PlaneChart",
           "SurfaceSet", "load_surface", "plane_chart", "shoelace_area_m2", "surface_from_dict"]
