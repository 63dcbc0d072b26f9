"""Measure stage: a crack finding with a joint-like line through it becomes two findings.

groundstation.joints.joint_arm finds the plumb or level line inside a crack's measured centre
lines (a formwork or construction joint the model drew as crack, joined to the real crack where
they meet). Here the finding is cut in two along that split:

- the crack keeps the finding's id; the line becomes ``<id>-J`` (the reviewer sees where it came
  from), a crack finding of its own, which the publish stage's joint_note then flags for a check.
  Nothing is dropped: a real crack can run along a joint, and the reviewer decides.
- length: the measured network length (groundstation.crack_length) shared in proportion to each
  part's centre lines; each keeps the whole's σ.
- outline: the parts of the fused outline within a band around each part's centre lines, as wide
  each side as the outline's mean width and at least ``MIN_HALF_WIDTH_GSD`` (the crack's first, so
  where they cross the crack keeps the crossing); a part in pieces is joined by one-pixel bridges
  as the fusion does (fuse.bridge_parts).
- position: each part's centreline centroid (skyinspect.centreline) over its pieces of the outline,
  without the bridges (as the fusion places a crack).
- area: the whole's measured area and its σ shared in proportion to the two outlines' areas.
- views: the frames that show the part (at least half of what the frame showing most of it does, its
  outline's length on the surface: a junction's corner is not a view) and its best view, the whole's
  when among them, else the frame showing most (``part_views``; the report's crop is that view).
- width: measured again from the image as any crack's (groundstation.width_views: one frame, every
  piece it shows), each part on the stretch of the pixel skeleton that lies nearer its own centre lines
  (groundstation.flight_images, ``keep``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import MultiLineString, MultiPolygon, Polygon

from groundstation.fuse import bridge_parts
from groundstation.joints import JointArm, arm_id
from skyinspect.centreline import polyline_length_m, shape_centreline_centroid
from skyinspect.findings import Finding, Measurement
from skyinspect.geodesy import LocalFrame

MIN_HALF_WIDTH_GSD = 3.0


def split_at_joint(finding: Finding, arm: JointArm, chart: Any, origin: LocalFrame) -> tuple[Finding, Finding]:
    """(the crack without the line, the line) — widths still the whole's (see ``nearer``)."""
    gsd = finding.gsd_m
    outline = shapely.make_valid(Polygon(chart.to_2d(finding.outline_ned_m))) \
        if finding.outline_ned_m is not None and len(finding.outline_ned_m) >= 3 else Polygon()
    rest_2d = MultiLineString([chart.to_2d(r) for r in arm.rest_ned_m])
    arm_2d = MultiLineString([chart.to_2d(a) for a in arm.arm_ned_m])
    total = arm.rest_length_m + arm.arm_length_m + arm.dropped_m
    # each part's band: as wide each side as the outline's mean width (twice its half-width), at least 3 GSD
    half = max(MIN_HALF_WIDTH_GSD * gsd, outline.area / max(total, 1e-9) if not outline.is_empty else 0.0)
    crack_exact = outline.intersection(rest_2d.buffer(half))
    line_exact = outline.intersection(arm_2d.buffer(half)).difference(crack_exact)
    crack_shape, line_shape = _one_polygon(crack_exact, rest_2d, gsd), _one_polygon(line_exact, arm_2d, gsd)
    share, line_share = arm.rest_length_m / total, arm.arm_length_m / total
    area_share = crack_shape.area / max(crack_shape.area + line_shape.area, 1e-12)
    line_id = arm_id(finding.finding_id)
    whole = finding.measurements
    crack_m = dict(whole)
    line_m: dict[str, Measurement] = dict(whole)  # widths: measured again by the caller when they can be
    if "length_mm" in whole and whole["length_mm"].value is not None:
        length = whole["length_mm"]
        crack_m["length_mm"] = replace(length, value=length.value * share,  # type: ignore[operator]
                                       note=f"{length.note}; {arm.describe()} through it is reported apart as "
                                            f"{line_id} (a formwork or construction joint?) and not counted")
        line_m["length_mm"] = replace(length, value=length.value * line_share,  # type: ignore[operator]
                                      note=f"split from {finding.finding_id}: {arm.describe()}")
    if "area_m2" in whole and whole["area_m2"].value is not None:
        area = whole["area_m2"]
        # the sigma shared too: its terms (edge: perimeter x GSD / 2, repeatability) scale with a line's area.
        # Kept whole, a part's +/- exceeded its value (the demo's F-0010)
        crack_m["area_m2"] = replace(area, value=area.value * area_share,  # type: ignore[operator]
                                     sigma=_share(area.sigma, area_share),
                                     note=f"{area.note}, the share off {line_id}")
        line_m["area_m2"] = replace(area, value=area.value * (1 - area_share),  # type: ignore[operator]
                                    sigma=_share(area.sigma, 1 - area_share),
                                    note=f"{area.note}, the share on the line split from {finding.finding_id}")
    crack = _placed(finding, crack_shape, crack_exact, arm.rest_ned_m, chart, origin, finding.finding_id, crack_m)
    line = _placed(finding, line_shape, line_exact, arm.arm_ned_m, chart, origin, line_id, line_m)
    return crack, line


def own_outline(finding: Finding, other: Finding, outlines_ned: list[np.ndarray],
                chart: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each outline (a detection's, NED) as (which vertices are ``finding``'s: no farther from its centre lines
    than from ``other``'s, as ``nearer`` shares the skeleton; the outline in plane coordinates)."""
    def lines(f: Finding) -> MultiLineString:
        return MultiLineString([chart.to_2d(np.asarray(c)) for c in f.centrelines_ned_m if len(c) >= 2])
    mine, theirs = lines(finding), lines(other)
    out = []
    for outline in outlines_ned:
        uv = chart.to_2d(outline)
        at = shapely.points(uv)
        out.append((np.asarray(shapely.distance(at, mine) <= shapely.distance(at, theirs)), uv))
    return out


def shown_m(own: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The length of a part's outline (``own_outline``) that a frame's pieces show: edges with both ends its."""
    total = 0.0
    for keep, uv in own:
        edge = keep & np.roll(keep, -1)
        total += float(np.nansum(np.linalg.norm(np.roll(uv, -1, axis=0) - uv, axis=1)[edge]))
    return total


def part_views(views: tuple[tuple[int, int], ...], best_view: tuple[int, int],
               shown: Callable[[int], float | None]) -> tuple[tuple[tuple[int, int], ...], tuple[int, int]]:
    """(the views that show a part, its best view) among the whole's: the frames that show at least half of what
    the frame showing most of it does (``shown``: the length of its outline a frame shows; less is a corner at the
    junction), and the whole's best view when one of them, else the frame showing most (of the most, the first
    listed; its first instance). ``views`` and ``best_view`` as given where the best view's share is unknown
    (``shown`` None) or no frame shows any of it."""
    best = shown(best_view[0])
    if best is None:
        return views, best_view
    first: dict[int, int] = {}
    for frame, instance in views:
        first.setdefault(frame, instance)
    amount = {frame: best if frame == best_view[0] else shown(frame) or 0.0 for frame in first}
    top = max(first, key=lambda frame: amount[frame])
    if amount[top] <= 0:
        return views, best_view
    kept = {frame for frame in first if amount[frame] >= 0.5 * amount[top]}
    return tuple(v for v in views if v[0] in kept), best_view if best_view[0] in kept else (top, first[top])


def _share(sigma: float | None, share: float) -> float | None:
    return None if sigma is None else sigma * share


def nearer(arm: JointArm, chart: Any) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """(points NED → nearer the crack's centre lines than the line's, → the opposite): which stretch
    of a pixel skeleton each part's width is read from."""
    # the lines' points are half a GSD apart (JointArm): nearest point ~ nearest line
    rest = cKDTree(chart.to_2d(np.vstack(arm.rest_ned_m)))
    line = cKDTree(chart.to_2d(np.vstack(arm.arm_ned_m)))

    def distances(points_ned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        uv = chart.to_2d(points_ned)
        ok = np.isfinite(uv).all(axis=1)  # a ray that missed the surface belongs to neither
        d_rest, d_line = np.full(len(uv), np.inf), np.full(len(uv), np.inf)
        if ok.any():
            d_rest[ok], d_line[ok] = rest.query(uv[ok])[0], line.query(uv[ok])[0]
        return d_rest, d_line

    def on_crack(points_ned: np.ndarray) -> np.ndarray:
        d_rest, d_line = distances(points_ned)
        return d_rest < d_line

    def on_line(points_ned: np.ndarray) -> np.ndarray:
        d_rest, d_line = distances(points_ned)
        return d_line < d_rest

    return on_crack, on_line


def _one_polygon(shape: Any, lines: MultiLineString, gsd: float) -> Polygon:
    """``shape`` as one polygon: its parts bridged; the lines' own pixel-wide band when empty."""
    polys = [g for g in getattr(shape, "geoms", [shape]) if isinstance(g, Polygon) and not g.is_empty]
    if not polys:
        shape = lines.buffer(max(gsd, 1e-4) / 2)
        polys = [g for g in getattr(shape, "geoms", [shape]) if isinstance(g, Polygon) and not g.is_empty]
    joined = polys[0] if len(polys) == 1 else bridge_parts(MultiPolygon(polys), max(gsd, 1e-4) / 2)
    return joined if isinstance(joined, Polygon) else joined.convex_hull  # type: ignore[return-value]


def _placed(finding: Finding, shape: Polygon, exact: Any, lines_ned: tuple[np.ndarray, ...], chart: Any,
            origin: LocalFrame, finding_id: str, measurements: dict[str, Measurement]) -> Finding:
    """The part as a finding: outline ``shape``, placed at the centreline centroid of ``exact`` (its
    pieces without the bridges between them, whose two sides would weigh as crack)."""
    centre = shape_centreline_centroid(exact, finding.gsd_m / 2) if not exact.is_empty else None
    centre = centre if centre is not None else shape_centreline_centroid(shape, finding.gsd_m / 2)
    centre_uv = np.asarray(centre if centre is not None else shape.centroid.coords[0], dtype=np.float64)
    centroid_ned = chart.to_3d(centre_uv)[0]
    lat, lon, alt = origin.to_geodetic(centroid_ned)
    outline_ned = chart.to_3d(np.asarray(shape.exterior.coords)[:-1])
    return replace(finding, finding_id=finding_id, lat_deg=float(lat), lon_deg=float(lon), alt_msl_m=float(alt),
                   centroid_ned_m=centroid_ned, outline_ned_m=outline_ned,
                   outline_wgs84=origin.to_geodetic(outline_ned),
                   skeleton_ned_m=max(lines_ned, key=polyline_length_m), centrelines_ned_m=tuple(lines_ned),
                   measurements=measurements)
