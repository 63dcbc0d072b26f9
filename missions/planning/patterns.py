"""Flight patterns as passes in the local NED frame: the facade/pier-face scan and box piers.

A ``Pass`` is flown through its waypoints in order with the camera heading and gimbal pitch of
each waypoint. ``trigger == "distance"``: a straight level lane, photos every ``spacing_m``
from its start (DO_SET_CAM_TRIGG_DIST); ``"each"``: one photo at every waypoint
(DO_DIGICAM_CONTROL). ``via_ned`` are transit points flown before the pass (around corners), so
no straight transit cuts closer to the structure than the standoff; ``exit_ned`` are flown after it.

Facade scan: lanes on a vertical plane at the standoff, camera level and square to the face,
serpentine bottom to top (or top to bottom to continue from the previous face).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from missions.planning.design import Design
from missions.planning.geometry import Surface, compass_point, horizontal_heading_deg, rectangle_surface, unit

Vec = tuple[float, float, float]


@dataclass(frozen=True)
class Pass:
    name: str
    waypoints_ned: tuple[Vec, ...]
    yaw_deg: tuple[float, ...]
    gimbal_pitch_deg: tuple[float, ...]
    trigger: str  # "distance" or "each"
    spacing_m: float = 0.0
    via_ned: tuple[Vec, ...] = ()
    roi_ned: Vec | None = None  # camera points at this (orbits); yaw_deg still filled for coverage
    exit_ned: tuple[Vec, ...] = ()  # transit points flown after the last photo (leave an orbit outwards)

    @property
    def end_ned(self) -> Vec:
        """Where the vehicle is when the pass is done."""
        return self.exit_ned[-1] if self.exit_ned else self.waypoints_ned[-1]

    def stations(self) -> list[tuple[np.ndarray, float, float]]:
        """Photo positions (NED), yaw and gimbal pitch, as the autopilot will take them."""
        if self.trigger == "each":
            return [(np.asarray(p), y, g) for p, y, g in zip(self.waypoints_ned, self.yaw_deg, self.gimbal_pitch_deg)]
        a, b = np.asarray(self.waypoints_ned[0]), np.asarray(self.waypoints_ned[-1])
        length = float(np.linalg.norm(b - a))
        n = int(math.floor(length / self.spacing_m + 1e-6)) + 1 if self.spacing_m > 0 else 1
        d = (b - a) / length if length > 0 else np.zeros(3)
        return [(a + d * k * self.spacing_m, self.yaw_deg[0], self.gimbal_pitch_deg[0]) for k in range(n)]


@dataclass(frozen=True)
class PatternResult:
    passes: tuple[Pass, ...]
    surfaces: tuple[Surface, ...]  # what the passes must cover (for the coverage check)
    notes: tuple[str, ...] = ()


def stations_1d(lo: float, hi: float, footprint: float, spacing: float) -> np.ndarray:
    """Centres covering [lo, hi] with footprints of ``footprint`` at most ``spacing`` apart."""
    length = hi - lo
    if length <= footprint:
        return np.array([(lo + hi) / 2.0])
    n = int(math.ceil((length - footprint) / spacing - 1e-9)) + 1
    return np.linspace(lo + footprint / 2.0, hi - footprint / 2.0, n)


def facade_scan(name: str, origin_ned: np.ndarray, u_dir: np.ndarray, width_m: float, bottom_agl_m: float,
                top_agl_m: float, normal_ned: np.ndarray, design: Design, min_agl_m: float,
                ceiling_agl_m: float = math.inf, upward_first: bool = True,
                surface_spacing_m: float | None = None) -> PatternResult:
    """Lanes on the vertical face origin + [0, width] u_dir (horizontal), heights [bottom, top] AGL.

    ``origin_ned`` is the face's bottom-left corner on the ground; ``normal_ned`` points out of the
    structure. Lanes whose centre would be below ``min_agl_m`` or above ``ceiling_agl_m`` (e.g. the
    deck underside less the standoff) are clamped; the band they cannot see is left out of the
    requested surface and reported in the notes.
    """
    u = unit(np.asarray(u_dir, float) * np.array([1.0, 1.0, 0.0]))
    n = unit(np.asarray(normal_ned, float) * np.array([1.0, 1.0, 0.0]))
    fw, fh = design.footprint_w_m, design.footprint_h_m
    notes = []
    lo = max(bottom_agl_m, min_agl_m - fh / 2.0)
    hi = min(top_agl_m, ceiling_agl_m + fh / 2.0)
    if lo > bottom_agl_m + 1e-9:
        notes.append(f"{name}: {bottom_agl_m:.2f}-{lo:.2f} m AGL not scanned (lowest lane at the minimum "
                     f"flight height {min_agl_m} m)")
    if hi < top_agl_m - 1e-9:
        notes.append(f"{name}: {hi:.2f}-{top_agl_m:.2f} m AGL not scanned (a level camera cannot fly closer "
                     f"than the standoff to the structure above; needs an upward-looking pass)")
    if hi - lo <= 1e-6:
        return PatternResult((), (), tuple(notes + [f"{name}: nothing scannable"]))
    heights = stations_1d(lo, hi, fh, design.spacing_across_m)
    if len(heights) > 1 and heights[1] - heights[0] > design.spacing_across_m + 1e-9:
        raise AssertionError("lane spacing exceeds the side-overlap spacing")
    # along the face: n photos spaced exactly spacing_along_m, centred on the face
    if width_m <= fw:
        us = np.array([width_m / 2.0])
    else:
        k = int(math.ceil((width_m - fw) / design.spacing_along_m - 1e-9)) + 1
        half = (k - 1) * design.spacing_along_m / 2.0
        us = np.array([width_m / 2.0 - half, width_m / 2.0 + half])
    yaw = horizontal_heading_deg(-n)
    base = np.asarray(origin_ned, float) + n * design.standoff_m
    order = heights if upward_first else heights[::-1]
    passes = []
    for i, h in enumerate(order):
        ends = us if i % 2 == 0 else us[::-1]
        pts = tuple(tuple(float(x) for x in (base + u * uu + np.array([0.0, 0.0, -h]))) for uu in ends)
        if len(pts) == 1:
            passes.append(Pass(f"{name} lane {i + 1}", pts, (yaw,), (0.0,), "each"))
        else:
            passes.append(Pass(f"{name} lane {i + 1}", pts, (yaw, yaw), (0.0, 0.0), "distance",
                               design.spacing_along_m))
    spacing = surface_spacing_m or min(fw, fh) / 8.0
    origin = np.asarray(origin_ned, float) + np.array([0.0, 0.0, -lo])
    surf = rectangle_surface(name, origin, u, np.array([0.0, 0.0, -1.0]), width_m, hi - lo, n, spacing)
    return PatternResult(tuple(passes), (surf,), tuple(notes))


def box_pier_scan(name: str, centre_ne: tuple[float, float], length_m: float, width_m: float, heading_deg: float,
                  bottom_agl_m: float, top_agl_m: float, design: Design, min_agl_m: float,
                  ceiling_agl_m: float = math.inf) -> PatternResult:
    """All four faces of a box pier, clockwise seen from above, continuing lane heights from face to
    face; a corner waypoint (standoff off both faces) keeps every transit at the standoff."""
    a = math.radians(heading_deg)
    along = np.array([math.cos(a), math.sin(a), 0.0])  # long side direction
    right = np.array([-math.sin(a), math.cos(a), 0.0])
    c = np.array([centre_ne[0], centre_ne[1], 0.0])
    hl, hw = length_m / 2.0, width_m / 2.0
    # corners clockwise from above, starting at the "left-back" one; each face runs corner k -> k+1
    corners = [c - along * hl - right * hw, c + along * hl - right * hw, c + along * hl + right * hw,
               c - along * hl + right * hw]
    passes: list[Pass] = []
    surfaces: list[Surface] = []
    notes: list[str] = []
    upward = True
    prev_normal = np.zeros(3)
    spacing = min(design.footprint_w_m, design.footprint_h_m) / 8.0
    for k in range(4):
        p0, p1 = corners[k], corners[(k + 1) % 4]
        u = unit(p1 - p0)
        normal = np.array([u[1], -u[0], 0.0])  # left of the clockwise edge direction = outwards
        face = facade_scan(f"{name} face {k + 1} ({compass_point(normal)})", p0, u, float(np.linalg.norm(p1 - p0)),
                           bottom_agl_m, top_agl_m, normal, design, min_agl_m, ceiling_agl_m, upward,
                           surface_spacing_m=spacing)
        if face.passes and passes:
            prev = passes[-1]
            h = -prev.waypoints_ned[-1][2]
            corner = p0 + (prev_normal + normal) * design.standoff_m + np.array([0.0, 0.0, -h])
            passes_face = [replace(face.passes[0], via_ned=(tuple(float(x) for x in corner),))]
            passes_face += list(face.passes[1:])
        else:
            passes_face = list(face.passes)
        passes += passes_face
        surfaces += face.surfaces
        notes += face.notes
        if face.passes:
            upward = -face.passes[-1].waypoints_ned[-1][2] <= (bottom_agl_m + top_agl_m) / 2.0
        prev_normal = normal
    return PatternResult(tuple(passes), tuple(surfaces), tuple(notes))
