"""2D coordinates on a planar surface, shared by georeferencing, fusion, measurement and maps.

The basis (u, v, n) is right-handed: n is the plane's outward normal (towards the camera), u runs
horizontally along the face to the viewer's right when looking at the face (along -n), and v runs
up the face. For a horizontal plane (ground, deck) u is east and v is north, so a plan view and an
elevation view both read naturally. All vectors are in the flight's local NED frame, metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skyinspect.geodesy import LocalFrame
from skyinspect.surface import PlaneSurface

_UP_NED = np.array([0.0, 0.0, -1.0])
_HORIZONTAL_NORMAL_COS = 0.99  # |n·up| above this → treat the plane as horizontal (plan view)


@dataclass(frozen=True, eq=False)
class PlaneBasis:
    """A plane in local NED: origin (the surface's reference point) and orthonormal axes."""

    origin_ned_m: np.ndarray  # (3,)
    u_ned: np.ndarray  # (3,) along the face / east
    v_ned: np.ndarray  # (3,) up the face / north
    n_ned: np.ndarray  # (3,) outward normal
    name: str = "plane"

    @property
    def is_horizontal(self) -> bool:
        return abs(float(self.n_ned @ _UP_NED)) > _HORIZONTAL_NORMAL_COS

    @property
    def axis_labels(self) -> tuple[str, str]:
        """Human names of u and v for drawings."""
        return ("east (m)", "north (m)") if self.is_horizontal else ("along face (m)", "up (m)")

    def to_2d(self, points_ned_m: np.ndarray) -> np.ndarray:
        """(N, 3) NED points (on or near the plane) → (N, 2) plane coordinates (u, v) in metres."""
        d = np.atleast_2d(points_ned_m) - self.origin_ned_m
        return np.stack([d @ self.u_ned, d @ self.v_ned], axis=1)

    def to_3d(self, uv_m: np.ndarray) -> np.ndarray:
        """(N, 2) plane coordinates → (N, 3) NED points on the plane."""
        uv = np.atleast_2d(np.asarray(uv_m, dtype=np.float64))
        return self.origin_ned_m + uv[:, :1] * self.u_ned + uv[:, 1:2] * self.v_ned


def plane_basis(surface: PlaneSurface, frame: LocalFrame) -> PlaneBasis:
    """The 2D basis of ``surface`` expressed in ``frame``'s NED coordinates."""
    n = surface.normal_ned()
    if abs(float(n @ _UP_NED)) > _HORIZONTAL_NORMAL_COS:
        u = np.array([0.0, 1.0, 0.0])  # east
        u = u - (u @ n) * n  # keep exactly in-plane for slightly tilted "horizontal" planes
    else:
        u = np.cross(-n, _UP_NED)  # viewer's right when looking at the face along -n
    u = u / np.linalg.norm(u)
    v = np.cross(n, u)
    return PlaneBasis(surface.point_ned(frame), u, v / np.linalg.norm(v), n, surface.name)


def shoelace_area_m2(uv_m: np.ndarray) -> float:
    """Area of a simple polygon ring given in plane coordinates (open or closed ring)."""
    x, y = uv_m[:, 0], uv_m[:, 1]
    return 0.5 * abs(float(x[:-1] @ y[1:] - y[:-1] @ x[1:] + x[-1] * y[0] - y[-1] * x[0]))
