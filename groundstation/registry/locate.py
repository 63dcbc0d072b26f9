"""Where on its component a finding is, as a crew on site measures it (a tape from a corner, a height
above the footing, a chainage, metres from the blade root), not latitude / longitude / MSL.

- a bridge part or tower: the face it is on, named by the compass direction it faces ("west face"), or
  "underside" / "top"; on a flat side face metres along it from its left corner as seen facing it
  (``reference`` names that corner) and metres above the component's base (its lowest height in the
  registry: the ground for piers, abutments and towers, the bottom for girders and bearings). These are
  the face view's coordinates (groundstation.publish.face_gis): the same PlaneChart, with its reference
  point put at that corner on the base. Round parts (cylinder pier, tower, bearing): the side by compass,
  metres round from its north point, clockwise seen from above. Underside / top: metres along the part's long
  axis and across it from the corner ``reference`` names;
- a pipeline: chainage (metres along the route from its first vertex), the side of the line looking
  up the chainage, and the clock position on the pipe (12 o'clock on top, 3 o'clock right looking up
  the chainage) where the registry holds the pipe's centre height and diameter;
- a blade: metres from the root along the blade (the registry's blade starts at the hub centre; from the
  root flange where the asset file gives blade_root_offset_m) and the side (LE, TE, PS, SS), as the
  assignment worked them out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from skyinspect.surfaces.base import enu_to_ned, plane_chart

COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")
ROUND_FILL = 0.95  # area / circumscribed circle above this: a round part (a 32-gon fills 0.994, a box < 0.64)


def bearing_deg(east: float, north: float) -> float:
    return math.degrees(math.atan2(east, north)) % 360.0


def compass(east: float, north: float) -> str:
    """The 8-point compass name of a horizontal direction."""
    return COMPASS[int((bearing_deg(east, north) + 22.5) // 45) % 8]


def _corner_name(face_a: str, face_b: str) -> str:
    """The corner where two faces meet: "south-west corner" for the west and south faces."""
    pair = {face_a, face_b}
    for ns in ("north", "south"):
        for ew in ("east", "west"):
            if pair == {ns, ew}:
                return f"{ns}-{ew} corner"
    return f"corner of the {face_a} and {face_b} faces"


def _r3(x: float) -> float:
    return round(float(x), 3)


def locate_on_footprint(footprint: Any, z_min_m: float, z_max_m: float, p: np.ndarray,
                        radius_m: float | None = None) -> dict[str, Any]:
    """The face of a part (shapely footprint in local ENU metres, height range above ground) a point
    ``p`` (ENU) is on, and where on it (see the module's docstring). ``radius_m``: a round part's radius
    at the point's height where it is not the footprint's (a tapering tower)."""
    from shapely.geometry import Point

    pt = Point(p[:2])
    cx, cy = footprint.centroid.x, footprint.centroid.y
    radius = max(math.hypot(x - cx, y - cy) for x, y in footprint.exterior.coords)
    round_part = footprint.area / (math.pi * radius * radius) > ROUND_FILL if radius > 0 else False
    dh_out = float(footprint.distance(pt))  # 0 inside the footprint
    dz_out = max(z_min_m - p[2], 0.0, p[2] - z_max_m)
    edge_d = float(footprint.exterior.distance(pt))
    # a horizontal face when the point is nearer the bottom or top than any side
    # a part standing on the ground (z_min 0: pier, abutment, tower) has no underside to be on
    d_bottom = abs(p[2] - z_min_m) + dh_out if z_min_m > 0 else math.inf
    d_top = abs(p[2] - z_max_m) + dh_out
    if min(d_bottom, d_top) < edge_d + dz_out:
        return _horizontal(footprint, p, "underside" if d_bottom <= d_top else "top")
    if round_part:
        e, n = p[0] - cx, p[1] - cy
        b = bearing_deg(e, n)
        return {"face": f"{compass(e, n)} side (bearing {b:.0f} deg)", "reference": "north point, clockwise seen "
                "from above", "along_face_m": _r3(math.radians(b) * (radius_m or radius)),
                "above_base_m": _r3(p[2] - z_min_m)}
    rect = footprint.minimum_rotated_rectangle  # a box's footprint is its own
    pts = [np.array(c) for c in list(rect.exterior.coords)[:4]]
    if rect.exterior.is_ccw:  # outward normals below assume a clockwise ring
        pts = pts[::-1]
    edges = []
    for i in range(4):
        a, b = pts[i], pts[(i + 1) % 4]
        d = b - a
        normal = np.array([-d[1], d[0]]) / np.linalg.norm(d)  # left of a clockwise ring's edge: outward
        edges.append((a, b, normal, compass(*normal)))
    from shapely.geometry import LineString

    k = min(range(4), key=lambda i: LineString([edges[i][0], edges[i][1]]).distance(pt))
    a, b, normal, face = edges[k]
    # the face view's chart (u to the right seen facing it, v up) with its reference point on the base
    base_a = np.array([a[0], a[1], z_min_m])
    chart = plane_chart(enu_to_ned(base_a), enu_to_ned(np.array([normal[0], normal[1], 0.0])))
    if float(chart.to_2d(enu_to_ned(np.array([b[0], b[1], z_min_m])))[0, 0]) < 0:  # b is the left corner
        chart = plane_chart(enu_to_ned(np.array([b[0], b[1], z_min_m])), chart.n_ned)
        neighbour = edges[(k + 1) % 4][3]  # the face meeting this one at that corner
    else:
        neighbour = edges[(k - 1) % 4][3]
    u, v = chart.to_2d(enu_to_ned(p))[0]
    return {"face": f"{face} face", "reference": f"{_corner_name(face, neighbour)}, its left end seen facing it",
            "along_face_m": _r3(u), "above_base_m": _r3(v)}


def _horizontal(footprint: Any, p: np.ndarray, which: str) -> dict[str, Any]:
    rect = footprint.minimum_rotated_rectangle
    pts = [np.array(c) for c in list(rect.exterior.coords)[:4]]
    sides = [pts[(i + 1) % 4] - pts[i] for i in range(4)]
    long = max(sides, key=lambda s: float(np.linalg.norm(s)))
    d = long / np.linalg.norm(long)
    if d[0] < -1e-9 or (abs(d[0]) <= 1e-9 and d[1] < 0):  # along runs east (or north)
        d = -d
    c = np.array([-d[1], d[0]])  # across: left of along (north of an east-running part)
    corner = min(pts, key=lambda q: (round(float(q @ d), 6), round(float(q @ c), 6)))
    along, across = float((p[:2] - corner) @ d), float((p[:2] - corner) @ c)
    name = _corner_name(compass(*(-c)), compass(*(-d)))
    return {"face": which, "reference": f"{name}; along {compass(*d)}, across {compass(*c)}",
            "along_face_m": _r3(along), "across_face_m": _r3(across)}


def locate_on_pipe(route: Any, params: dict[str, Any], p: np.ndarray) -> dict[str, Any]:
    """Chainage, side of the line looking up the chainage, clock position on the pipe (12 on top)."""
    from shapely.geometry import Point

    chainage = float(route.project(Point(p[:2])))
    a = np.array(route.interpolate(max(0.0, chainage - 0.5)).coords[0])
    b = np.array(route.interpolate(min(route.length, chainage + 0.5)).coords[0])
    t = (b - a) / np.linalg.norm(b - a)
    on = np.array(route.interpolate(chainage).coords[0])
    right = float((p[:2] - on) @ np.array([t[1], -t[0]]))
    out: dict[str, Any] = {"chainage_m": _r3(chainage), "side": "right" if right >= 0 else "left",
                           "reference": "route start (chainage 0); side and clock looking up the chainage"}
    if params.get("centre_agl_m") is not None:
        up = float(p[2]) - float(params["centre_agl_m"])
        hour = round(math.degrees(math.atan2(right, up)) % 360.0 / 30.0) % 12 or 12
        out["clock"] = f"{hour} o'clock"
        out["above_base_m"] = _r3(p[2])  # above the ground the pipe stands on
    return out


def location_text(a: dict[str, Any] | None) -> str:
    """One line a crew reads: the face, metres along and above, chainage, blade position; or why none."""
    if not a:
        return "not assigned to a registry component: find it by its position (latitude, longitude, height MSL)"
    said = []
    label = str(a.get("label", ""))  # a pipe segment's gives the chainage, a blade's ends with its side
    if a.get("face"):
        said.append(str(a["face"]))
    if a.get("chainage_m") is not None and "(chainage " not in label:
        said.append(f"chainage {float(a['chainage_m']):.2f} m")
    if a.get("from_root_m") is not None:
        said.append(f"{float(a['from_root_m']):.2f} m from the root")
    if a.get("along_face_m") is not None:
        said.append(f"{float(a['along_face_m']):.2f} m along")
    if a.get("across_face_m") is not None:
        said.append(f"{float(a['across_face_m']):.2f} m across")
    if a.get("above_base_m") is not None:  # a pipe's: above the ground it stands on (locate_on_pipe)
        base = "the ground" if a.get("chainage_m") is not None else "the base"
        said.append(f"{float(a['above_base_m']):.2f} m above {base}")
    side = ", ".join(str(a[k]) for k in ("side", "clock") if a.get(k) and str(a[k]) not in label.split(", "))
    if side:
        said.append(side)
    if not said:
        if "face" not in a:  # an assignment stored before these were worked out (stages/grades.json)
            return (f"{label}: where on it was not worked out when this was processed; process the "
                    "flight again with --registry for it")
        return f"{label}: no position on it"
    ref = f" (from the {a['reference']})" if a.get("reference") else ""
    return f"{label}: " + ", ".join(said) + ref


# the work orders' columns (CSV and JSON), in this order after the older ones
LOCATION_COLUMNS = ("location", "face", "reference", "along_face_m", "across_face_m", "above_base_m", "chainage_m",
                    "side", "clock", "from_root_m")


def location_cells(a: dict[str, Any] | None) -> dict[str, Any]:
    """LOCATION_COLUMNS of an assignment (a stored dict; None: the finding was not assigned)."""
    cells: dict[str, Any] = {k: (a or {}).get(k) for k in LOCATION_COLUMNS}
    for k in ("face", "reference", "side", "clock"):
        cells[k] = str(cells[k] or "")
    for k in ("along_face_m", "across_face_m", "above_base_m", "chainage_m", "from_root_m"):
        cells[k] = None if cells[k] is None else float(cells[k])
    cells["location"] = location_text(a)
    return cells
