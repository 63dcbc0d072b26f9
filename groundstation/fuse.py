"""Stage 3, fuse: the same physical defect seen in many frames → one Finding.

All geometry is in the plane's 2D coordinates (plane.py). Two detections join the same cluster
when they have the same class and their outlines overlap or come within
``max(MIN_TOLERANCE_M, GSD_TOLERANCE_FACTOR × GSD)`` of each other (the coarser of the two GSDs);
clusters are the connected components of that "near" graph, found with an STRtree (envelopes)
and vectorised shapely tests, so 1,000 frames fuse in a few seconds. A crack cluster whose line,
followed out of one of its ends, meets another crack cluster within ``crack_link_distance_m`` is
merged with it: one crack the detector broke in the same place in every frame, or a branch and the
crack it grows from (groundstation.crack_link). Per cluster:

- outline: union of the members' outlines, pieces joined by one-pixel bridges along the shortest
  lines between them (``bridge_parts``), then simplified to half the finest GSD;
- centroid: for corrosion the area centroid of the union of the members' *unsimplified* outlines
  (the pixel mean of the defect, as the simulator's truth), put back on the plane; for a crack the
  centroid of its centreline (skyinspect.centreline: the outer boundary of the outline above, pieces
  bridged, length-weighted), also the truth's definition. The area centroid of a thin shape
  is its width-weighted mean position along it, and neither the model's drawn width nor the union
  of several views' slightly offset outlines is the crack's width: with the simulator's masks the
  demo's crack area centroids were 0.2-12 mm off, their centreline centroids are 0.2-1 mm off.
  Bridged, not the bare union's pieces (until session 15): a crack the model drew in pieces had each
  piece's boundary counted and its gaps not at all, and a piece lying in a sliver between two other
  views' bands (an island in the union's hole) counted too, so the centroid leaned towards the
  stretches drawn in pieces: on the demo's T-shaped crack 11.5 mm from the truth's, 2.3 mm bridged
  (the model's crack centroids 13.9 -> 11.7 mm on average; with the simulator's masks unchanged);
- views: every (frame, instance); best view: finest GSD, then most frontal (smallest incidence);
- score: the highest member score; position uncertainty: the best view's covariance (not averaged
  down, because GNSS errors are strongly correlated between frames of one pass), turned into CE90
  (error ellipse → 90 % circle, groundstation.uncertainty) and LE90 = 1.645 σ_down.
- a set of surfaces: detections are fused per surface, each in its own chart, then numbered
  together (a defect cannot lie on two surfaces).
- view support: a defect whose centre lay inside the footprints of at least
  ``confirm_if_seen_in`` frames but was detected in fewer than ``min_views`` of them is not
  reported (a real defect does not vanish from the neighbouring overlapping views; a false
  detection on a pore or a texture edge usually does). Flights without overlap keep everything;
  the detections themselves stay in the georeference stage's output.
- ids: ``F-0001``… ordered along the structure: by position along the principal axis of all
  finding centroids (sign fixed so u, then v, increases), ties by the other axis, so a rerun on the
  same data gives the same ids.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from groundstation.crack_link import LinkParams, link_crack_clusters
from groundstation.georef import Georeferenced, footprint_polygons
from groundstation.passes import align_passes
from groundstation.plane import PlaneBasis
from groundstation.uncertainty import ce90_m, le90_m
from skyinspect.centreline import shape_centreline_centroid
from skyinspect.findings import CRACK_LINK_DISTANCE_M, MERGE_DISTANCE_M, MIN_REPORTABLE_AREA_M2, Detection, Finding
from skyinspect.geodesy import LocalFrame
from skyinspect.segmentation import CLASS_NAMES, CRACK

MIN_TOLERANCE_M = MERGE_DISTANCE_M
GSD_TOLERANCE_FACTOR = 3.0
CE90_FACTOR = 2.1460
LE90_FACTOR = 1.6449


@dataclass(frozen=True)
class FuseParams:
    min_tolerance_m: float = MIN_TOLERANCE_M
    gsd_tolerance_factor: float = GSD_TOLERANCE_FACTOR
    # Drop fused defects smaller than skyinspect.findings.MIN_REPORTABLE_AREA_M2 (specks).
    drop_specks: bool = True
    # View support (module doc): detected in >= min_views frames once seen by >= confirm_if_seen_in
    min_views: int = 2
    confirm_if_seen_in: int = 3
    # A crack piece whose line, followed out of an end, meets another this close joins it (crack_link.py); 0 = off
    crack_link_distance_m: float = CRACK_LINK_DISTANCE_M
    # Shift each pass of the flight onto the others by the defects they share (passes.py)
    align_passes: bool = True


def tolerance_m(gsd_m: float, params: FuseParams = FuseParams()) -> float:
    gsd = gsd_m if np.isfinite(gsd_m) else 0.0
    return max(params.min_tolerance_m, params.gsd_tolerance_factor * gsd)


def detection_polygons(detections: tuple[Detection, ...] | list[Detection], basis: PlaneBasis) -> np.ndarray:
    """The outlines as valid shapely polygons in plane coordinates (built in one vectorised call)."""
    if not detections:
        return np.array([], dtype=object)
    sizes = np.array([len(d.outline_ned_m) for d in detections])
    uv = basis.to_2d(np.concatenate([d.outline_ned_m for d in detections]))
    rings = shapely.linearrings(uv, indices=np.repeat(np.arange(len(detections)), sizes))
    polys = shapely.polygons(rings)
    bad = ~shapely.is_valid(polys)
    for i in np.flatnonzero(bad):
        polys[i] = _repair(polys[i], detections[i].gsd_m)
    return polys


def _repair(poly: Polygon, gsd_m: float) -> Polygon:
    """Make a self-touching outline valid without losing any of it.

    The outline of a one- or two-pixel-wide crack traces both sides of the line and pinches at
    every kink; make_valid splits it there into many slivers and lines. Keeping only the largest
    sliver threw most of the crack away (so views of one crack stopped overlapping and became
    separate findings); instead every piece is kept and re-joined by a half-pixel buffer.
    """
    fixed = shapely.make_valid(poly)
    half_px = 0.5 * (gsd_m if np.isfinite(gsd_m) and gsd_m > 0 else 1e-3)
    joined = shapely.buffer(fixed, half_px, quad_segs=2)
    if isinstance(joined, Polygon) and not joined.is_empty:
        return joined
    parts = [g for g in getattr(joined, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]
    if len(parts) == 1:
        return parts[0]
    return joined.convex_hull if not joined.is_empty else poly.convex_hull


def cluster_detections(detections: tuple[Detection, ...], basis: PlaneBasis,
                       params: FuseParams = FuseParams(),
                       polys: np.ndarray | None = None) -> list[list[int]]:
    """Indices of detections grouped into clusters (same class, overlapping or within tolerance).

    Speed: the STRtree gives candidate pairs by envelope only (cheap); exact tests then run in two
    vectorised passes: overlap (prepared geometries) for every candidate, and the costlier distance
    test only for candidates whose ends are not already connected by overlaps.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(detections)
    if n == 0:
        return []
    geoms = detection_polygons(detections, basis) if polys is None else polys
    tol = np.array([tolerance_m(d.gsd_m, params) for d in detections])
    classes = np.array([d.class_id for d in detections])
    tree = shapely.STRtree(geoms)
    boxes = shapely.buffer(shapely.envelope(geoms), tol, cap_style="square", join_style="mitre")
    src, dst = tree.query(boxes)
    keep = (src < dst) & (classes[src] == classes[dst])
    src, dst = src[keep], dst[keep]
    shapely.prepare(geoms)
    touching = shapely.intersects(geoms[src], geoms[dst])

    def components(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
        return connected_components(graph, directed=False)[1]

    labels = components(src[touching], dst[touching])
    rest = ~touching & (labels[src] != labels[dst])
    if rest.any():
        a, b = src[rest], dst[rest]
        near = shapely.dwithin(geoms[a], geoms[b], np.maximum(tol[a], tol[b]))
        labels = components(np.concatenate([src[touching], a[near]]), np.concatenate([dst[touching], b[near]]))
    groups: dict[int, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels.tolist()):
        groups[lab].append(i)
    return list(groups.values())


def best_view_index(members: list[Detection]) -> int:
    """Finest GSD first, then most frontal, then highest score (index into ``members``)."""
    return min(range(len(members)),
               key=lambda k: (round(members[k].gsd_m, 9), round(members[k].incidence_deg, 6), -members[k].score))


def fuse(geo: Georeferenced, frame: LocalFrame, basis: PlaneBasis,
         params: FuseParams = FuseParams()) -> list[Finding]:
    """Cluster the detections and build one Finding per cluster (measurements come later).
    ``basis``: the chart of the surface (for a set of surfaces, detections on the other members
    use their own charts)."""
    if params.align_passes:
        geo = align_passes(geo, basis).geo
    dets = geo.detections
    groups: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(dets):
        groups[d.surface_name].append(i)
    charts = _charts(geo, frame, basis, set(groups))
    drafts = []
    for name, idx_all in groups.items():
        chart = charts.get(name, basis)
        sub = tuple(dets[i] for i in idx_all)
        polys = detection_polygons(sub, chart)
        footprints = footprint_polygons(geo, chart, name if charts else None)
        clusters = cluster_detections(sub, chart, params, polys)
        if params.crack_link_distance_m > 0:
            clusters = link_crack_clusters(clusters, sub, chart, LinkParams(max_gap_m=params.crack_link_distance_m))
        for idx in clusters:
            members = [sub[i] for i in idx]
            outline, exact = _merged_outline(members, polys[idx])
            if params.drop_specks and outline.area < MIN_REPORTABLE_AREA_M2[CLASS_NAMES[members[0].class_id]]:
                continue
            centre_uv = _centre(outline, exact, members)
            if not view_supported(members, centre_uv, footprints, params):
                continue
            drafts.append((centre_uv, members, outline, chart))
    order = _order_along_structure(np.array([d[0] for d in drafts]).reshape(-1, 2)) if len(groups) <= 1 else \
        sorted(range(len(drafts)), key=lambda k: (drafts[k][3].name, *_order_key(drafts, k)))
    findings = []
    for rank, k in enumerate(order, start=1):
        centre_uv, members, outline, chart = drafts[k]
        findings.append(_finding(f"F-{rank:04d}", centre_uv, members, outline, frame, chart))
    return findings


def _centre(outline: Polygon, exact: object, members: list[Detection]) -> np.ndarray:
    """A crack's centreline centroid (its bridged outline simplified by half the finest GSD); a
    patch's area centroid of the exact union (module doc)."""
    if members[0].class_id == CRACK:
        line = shape_centreline_centroid(outline, _half_pixel_m(members))
        if line is not None:
            return line
    return np.array(exact.centroid.coords[0])  # type: ignore[attr-defined]


def view_supported(members: list[Detection], centre_uv: np.ndarray, footprints: dict[int, object],
                   params: FuseParams = FuseParams()) -> bool:
    """Whether a cluster was detected in enough of the frames that saw its centre (module doc)."""
    detected = {d.frame_index for d in members}
    if len(detected) >= params.min_views:
        return True
    centre = shapely.Point(float(centre_uv[0]), float(centre_uv[1]))
    seen = sum(1 for poly in footprints.values() if poly.contains(centre))  # type: ignore[attr-defined]
    return seen < params.confirm_if_seen_in


def _order_key(drafts: list, k: int) -> tuple[float, float]:  # type: ignore[type-arg]
    return (round(float(drafts[k][0][0]), 4), round(float(drafts[k][0][1]), 4))


def _charts(geo: Georeferenced, frame: LocalFrame, basis: PlaneBasis, names: set[str]) -> dict[str, object]:
    if len(names) <= 1 or not hasattr(geo.surface, "bind"):
        return {}
    return {m.name: m.chart() for m in geo.surface.bind(frame).surfaces() if m.name in names}


def bridge_parts(parts: MultiPolygon, half_width_m: float) -> Polygon | MultiPolygon:
    """One polygon: the parts joined, nearest first, by the shortest line between them widened to
    ``2 * half_width_m`` (a pixel). A morphological closing by the fusion tolerance filled the space
    between thin pieces of a crack seen slightly apart in different views (on the demo a 0.5 m crack's
    outline covered 15,000 mm² for 1,900 mm² of detected pixels); bridges add almost nothing."""
    rest = sorted(parts.geoms, key=lambda g: -g.area)
    shape = rest.pop(0)
    while rest:
        i = int(np.argmin([shape.distance(g) for g in rest]))
        link = shapely.shortest_line(shape, rest[i]).buffer(half_width_m, quad_segs=2)
        shape = shapely.union_all([shape, rest.pop(i), link])
    return shape


def _half_pixel_m(members: list[Detection]) -> float:
    """Half the finest GSD of a cluster's views (0.5 mm when none is known): the width of the bridges
    between its pieces and the simplification of a crack's outline for its centroid."""
    gsd_min = min(d.gsd_m for d in members)
    return 0.5 * gsd_min if np.isfinite(gsd_min) and gsd_min > 0 else 5e-4


def _merged_outline(members: list[Detection], polys: np.ndarray) -> tuple[Polygon, object]:
    """(outline to draw and measure, and a crack's centroid: closed, pieces bridged, simplified to
    half the finest GSD; the exact union of the members' outlines, from which a patch's centroid is
    taken)."""
    gsd_min = min(d.gsd_m for d in members)
    exact = polys[0] if len(polys) == 1 else shapely.union_all(polys)
    merged = exact
    if isinstance(merged, MultiPolygon):  # pieces within tolerance: join them
        merged = bridge_parts(merged, _half_pixel_m(members))
    if not isinstance(merged, Polygon):
        merged = merged.convex_hull
    simplified = merged.simplify(0.5 * gsd_min if np.isfinite(gsd_min) else 0.0, preserve_topology=True)
    outline = Polygon(simplified.exterior.coords) if isinstance(simplified, Polygon) and not simplified.is_empty \
        else Polygon(merged.exterior.coords)
    if exact.is_empty or exact.area <= 0:
        exact = outline
    return outline, exact


def _order_along_structure(centres_uv: np.ndarray) -> list[int]:
    """Indices sorted along the principal axis of the centres (see module doc)."""
    if len(centres_uv) <= 1:
        return list(range(len(centres_uv)))
    d = centres_uv - centres_uv.mean(axis=0)
    _, s, vt = np.linalg.svd(d, full_matrices=False)
    axis = vt[0] if s[0] > 1e-9 else np.array([1.0, 0.0])
    if axis[0] < -1e-9 or (abs(axis[0]) <= 1e-9 and axis[1] < 0):
        axis = -axis
    other = np.array([-axis[1], axis[0]])
    along, across = np.round(d @ axis, 4), np.round(d @ other, 4)  # rounding: ties stay ties across runs
    return sorted(range(len(centres_uv)), key=lambda i: (along[i], across[i]))


def _finding(fid: str, centre_uv: np.ndarray, members: list[Detection], outline: Polygon,
             frame: LocalFrame, basis: PlaneBasis) -> Finding:
    best = members[best_view_index(members)]
    outline_ned = basis.to_3d(np.asarray(outline.exterior.coords)[:-1])
    centroid_ned = basis.to_3d(centre_uv)[0]
    lat, lon, alt = frame.to_geodetic(centroid_ned)
    class_id = best.class_id
    return Finding(
        finding_id=fid, class_id=class_id,
        class_name=CLASS_NAMES[class_id] if 0 <= class_id < len(CLASS_NAMES) else f"class{class_id}",
        lat_deg=float(lat), lon_deg=float(lon), alt_msl_m=float(alt),
        outline_wgs84=frame.to_geodetic(outline_ned), centroid_ned_m=centroid_ned,
        score=max(d.score for d in members),
        views=tuple(sorted((d.frame_index, d.instance_index) for d in members)),
        best_view=(best.frame_index, best.instance_index),
        ce90_m=ce90_m(best.cov_ned_m2) if best.cov_ned_m2 is not None else CE90_FACTOR * best.sigma_h_m,
        le90_m=le90_m(best.cov_ned_m2) if best.cov_ned_m2 is not None else LE90_FACTOR * best.sigma_v_m,
        outline_ned_m=outline_ned, skeleton_ned_m=best.skeleton_ned_m, gsd_m=best.gsd_m,
        range_m=best.range_m, incidence_deg=best.incidence_deg, surface_name=best.surface_name,
        cov_ned_m2=best.cov_ned_m2)
