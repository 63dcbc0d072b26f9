"""2D coordinates on a planar surface, shared by georeferencing, fusion, measurement and maps.

The maths lives in core (``skyinspect.surfaces.base.PlaneChart``); ``PlaneBasis`` is the same class
under the name the ground station has used since the foundation. The basis (u, v, n) is
right-handed: n is the plane's outward normal (towards the camera), u runs horizontally along the
face to the viewer's right when looking at the face (along -n), and v runs up the face. For a
horizontal plane u is east and v is north. Other surfaces (cylinder, DEM) have their own charts
with the same ``to_2d``/``to_3d`` interface: ``chart_for`` returns the right one.
"""

from __future__ import annotations

import numpy as np

from skyinspect.geodesy import LocalFrame
from skyinspect.surface import PlaneSurface
from skyinspect.surfaces.base import PlaneChart, plane_chart, shoelace_area_m2
from skyinspect.surfaces.face import FaceSurface

PlaneBasis = PlaneChart

__all__ = ["PlaneBasis", "chart_for", "is_planar", "outline_area_m2", "plane_basis", "shoelace_area_m2"]


def plane_basis(surface: PlaneSurface, frame: LocalFrame) -> PlaneChart:
    """The 2D basis of ``surface`` expressed in ``frame``'s NED coordinates."""
    return plane_chart(surface.point_ned(frame), surface.normal_ned(), surface.name)


def chart_for(surface: object, frame: LocalFrame):  # type: ignore[no-untyped-def]
    """The chart drawings and fusion use for any surface (a set: its first member's)."""
    if isinstance(surface, PlaneSurface):
        return plane_basis(surface, frame)
    return surface.bind(frame).surfaces()[0].chart()  # type: ignore[attr-defined]


def is_planar(surface: object) -> bool:
    """A plane or a bounded face: one flat chart, in which a camera's error moves everything rigidly
    (what pass alignment needs); a cylinder, a DEM or a set of surfaces is not."""
    return isinstance(surface, (PlaneSurface, FaceSurface))


def outline_area_m2(outline_ned_m: np.ndarray) -> float:
    """Area of a 3D ring lying on a (locally) flat surface: shoelace in its best-fit plane."""
    pts = np.asarray(outline_ned_m, dtype=np.float64)
    if len(pts) < 3:
        return 0.0
    d = pts - pts.mean(axis=0)
    _, _, vt = np.linalg.svd(d, full_matrices=False)
    return shoelace_area_m2(d @ vt[:2].T)
