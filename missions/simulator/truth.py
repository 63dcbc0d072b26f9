"""Ground truth: one GeoJSON Feature per true defect, measured on the full-resolution label texture.

A defect is a connected component of one class after a closing by MERGE_DISTANCE_M (the ground
station joins sightings that close, so both sides count defects alike); components smaller than
skyinspect.findings.MIN_REPORTABLE_AREA_M2 are specks, not defects. Areas and lengths are
measured on the unclosed labels inside each component; a crack's length is its whole skeleton's,
branches included, counted as the ground station counts it (skyinspect.skeleton). A crack's widths
are the annotation's, in mm, from the fraction of each texture pixel it covers (FaceTexture.crack_cover),
not from the labels: a UAV75 hairline annotated 1 px wide at 0.8 mm is a 2 px label at 1 mm/px, and
twice the distance to the label's edge is 1, 1.83 or 3 px, nothing between. ``width_mm`` (what the
grading rules read, as the ground station's ``width_mm``) = covered area / length; ``max_width_mm`` =
the widest stretch about ``MAX_WIDTH_STRETCH_MM`` long (the ground station's widest is a stretch at
least 4 px and 1.5 times its width long): each covered pixel counts for its nearest skeleton pixel, and a stretch's width is its pixels'
covered area over their share of the skeleton's length.

Geometry is a 3D Polygon (lon, lat, alt MSL) of the component's outer outline on the face (along its
pixels' edges, as the frames' truth masks and the ground station's outlines show it). The
face is vertical and runs along a meridian, so the outline is only meaningful in 3D (in 2D lon/lat
it collapses to a line); the centroid (a crack's: of its centreline, skyinspect.centreline; a
patch's: of its area) is in the ``centroid_*`` properties, the outline in face
coordinates in ``outline_face_uv_m``, and ``label_point_*`` is a point guaranteed to lie on the
defect (a crack's centroid usually does not).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from skimage.morphology import skeletonize

from missions.simulator.scene import FaceTexture, face_uv_to_ned
from models.postprocess import outer_polygon
from skyinspect.centreline import mask_centreline_centroid_px
from skyinspect.findings import MERGE_DISTANCE_M, MIN_REPORTABLE_AREA_M2
from skyinspect.geodesy import LocalFrame
from skyinspect.segmentation import CLASS_NAMES, CORROSION, CRACK
from skyinspect.skeleton import skeleton_length

CLOSING_MM = MERGE_DISTANCE_M * 1000.0  # the ground station's fusion joins sightings this close
MAX_WIDTH_STRETCH_MM = 4.0  # max_width_mm: the widest stretch this long (module doc)


TRUTH_OUTLINE_EPSILON_PX = 0.25


def source_file(stem: str) -> str:
    """Committed texture stem → the original data set file it was copied from."""
    if stem.startswith("uav75_"):
        return f"uav75/images/{stem[len('uav75_'):]}.jpg"
    if stem.startswith("corrosion_"):
        return f"roboflow_corrosion/images/{stem[len('corrosion_'):]}.jpg"
    return f"{stem}.jpg"


def _r(x: float, nd: int) -> float:
    return float(round(float(x), nd))


UvToNed = Callable[[np.ndarray, np.ndarray], np.ndarray]  # texture (u, v) metres → (N, 3) NED


def defect_features(texture: FaceTexture, frame: LocalFrame,
                    uv_to_ned: UvToNed = face_uv_to_ned) -> list[dict[str, object]]:
    """``uv_to_ned``: where texture coordinates lie in ``frame`` (default: the pier face; a
    cylinder's (arc, height), see cylinder_scene.RoundPier.uv_to_ned)."""
    s = texture.m_per_px
    px_mm = s * 1000.0
    k = max(1, int(round(CLOSING_MM / px_mm))) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    feats: list[dict[str, object]] = []
    for class_id in (CRACK, CORROSION):
        min_px = MIN_REPORTABLE_AREA_M2[CLASS_NAMES[class_id]] / (s * s)
        raw = (texture.labels == class_id).astype(np.uint8)
        closed = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, kernel) | raw
        n, comp, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
        # Order components by position (top-left first) so ids are stable and readable.
        order = sorted(range(1, n), key=lambda j: (stats[j, cv2.CC_STAT_LEFT], stats[j, cv2.CC_STAT_TOP]))
        for j in order:
            x, y, w, h = (int(stats[j, q]) for q in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                                   cv2.CC_STAT_HEIGHT))
            in_comp = comp[y:y + h, x:x + w] == j
            mask = in_comp & (raw[y:y + h, x:x + w] > 0)
            area_px = int(mask.sum())
            if area_px < min_px:
                continue
            rows, cols = np.nonzero(mask)
            # a crack is where its centreline runs; a patch is its area (skyinspect.centreline)
            line = mask_centreline_centroid_px(mask) if class_id == CRACK else None
            c_col, c_row = (line[0] + x, line[1] + y) if line else (float(cols.mean()) + x, float(rows.mean()) + y)
            # Label point: the defect pixel nearest the centroid.
            nearest = int(np.argmin((cols + x - c_col) ** 2 + (rows + y - c_row) ** 2))
            l_col, l_row = float(cols[nearest] + x), float(rows[nearest] + y)
            owners = texture.instance_ids[y:y + h, x:x + w][mask]
            owner = int(np.bincount(owners[owners >= 0]).argmax()) if (owners >= 0).any() else -1
            cu, cv = texture.px_to_uv(c_col, c_row)
            lu, lv = texture.px_to_uv(l_col, l_row)
            c_geo = frame.to_geodetic(uv_to_ned(cu, cv))[0]
            l_geo = frame.to_geodetic(uv_to_ned(lu, lv))[0]
            # on the pixels' edges, as the frames' nearest-sampled masks show them and the ground station
            # outlines them (b2eaee8), not through the edge pixels' centres half a pixel inside; simplified
            # by a quarter pixel: at 1 px Douglas-Peucker turns a 40 px square into a rhombus of 97.5 % its area
            ring = outer_polygon(in_comp.astype(np.uint8), TRUTH_OUTLINE_EPSILON_PX)
            ou, ov = texture.px_to_uv(ring[:, 0] + x, ring[:, 1] + y)
            props: dict[str, object] = {
                "defect_id": 0, "class": CLASS_NAMES[class_id],
                "area_m2": _r(area_px * s * s, 6),
                "length_mm": None, "max_width_mm": None,
                "centroid_lat_deg": _r(c_geo[0], 9), "centroid_lon_deg": _r(c_geo[1], 9),
                "centroid_alt_msl_m": _r(c_geo[2], 4),
                "face_u_m": _r(cu, 4), "face_v_m": _r(cv, 4),
                "label_point_lat_deg": _r(l_geo[0], 9), "label_point_lon_deg": _r(l_geo[1], 9),
                "label_point_alt_msl_m": _r(l_geo[2], 4),
                "label_point_face_u_m": _r(lu, 4), "label_point_face_v_m": _r(lv, 4),
                "bbox_face_uv_m": [_r(float(ou.min()), 4), _r(float(ov.min()), 4),
                                   _r(float(ou.max()), 4), _r(float(ov.max()), 4)],
                "outline_face_uv_m": [[_r(a, 4), _r(b, 4)] for a, b in zip(ou, ov)],
                "texture": source_file(texture.sources[owner]) if owner >= 0 else None,
            }
            if class_id == CRACK:
                skel = skeletonize(mask)
                length_px = max(skeleton_length(skel), 1.0)
                props["length_mm"] = _r(length_px * px_mm, 2)
                mean_px, max_px = _crack_widths_px(texture, (x, y, w, h), in_comp, skel, length_px, px_mm)
                props["width_mm"] = _r(mean_px * px_mm, 3)
                props["max_width_mm"] = _r(max_px * px_mm, 3)
            ring_geo = frame.to_geodetic(uv_to_ned(np.append(ou, ou[0]), np.append(ov, ov[0])))
            coords = [[_r(lon, 9), _r(lat, 9), _r(alt, 4)] for lat, lon, alt in ring_geo]
            feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [coords]},
                          "properties": props})
    for i, f in enumerate(feats, start=1):
        f["properties"]["defect_id"] = i  # type: ignore[index]
    return feats


def _crack_widths_px(texture: FaceTexture, box: tuple[int, int, int, int], in_comp: np.ndarray,
                     skel: np.ndarray, length_px: float, px_mm: float) -> tuple[float, float]:
    """(mean, max) width in texture pixels of one crack component (module doc). Without a coverage
    (a texture built elsewhere) the labels themselves are the coverage."""
    from scipy.spatial import cKDTree

    from skyinspect.skeleton import end_mask, skeleton_links

    x, y, w, h = box
    # one pixel of margin: the resampled annotation's thin fringe lies beside the thresholded labels
    x0, y0 = max(x - 1, 0), max(y - 1, 0)
    x1, y1 = min(x + w + 1, texture.labels.shape[1]), min(y + h + 1, texture.labels.shape[0])
    comp = np.zeros((y1 - y0, x1 - x0), np.uint8)
    comp[y - y0:y - y0 + h, x - x0:x - x0 + w] = in_comp
    near = cv2.dilate(comp, np.ones((3, 3), np.uint8)) > 0
    box_cover = texture.crack_cover[y0:y1, x0:x1] if texture.crack_cover is not None \
        else texture.labels[y0:y1, x0:x1] == CRACK  # the box only: not the whole texture for each crack
    cover = np.where(near, box_cover.astype(np.float64), 0.0)
    mean_px = float(cover.sum()) / length_px
    cells = np.argwhere(skel) + [y - y0, x - x0]
    if len(cells) < 2:
        return mean_px, mean_px
    # each covered pixel's area goes to its nearest skeleton cell
    sk = np.ones_like(comp)
    sk[cells[:, 0], cells[:, 1]] = 0
    _, lab = cv2.distanceTransformWithLabels(sk, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    index = np.full(int(lab.max()) + 1, -1)
    index[lab[cells[:, 0], cells[:, 1]]] = np.arange(len(cells))
    owner = index[lab[cover > 0]]
    area = np.bincount(owner[owner >= 0], weights=cover[cover > 0][owner >= 0], minlength=len(cells))
    # each cell's share of the length: half of each of its grid links (skyinspect.skeleton's links),
    # scaled to the smoothed length (the smoothing shortens the links next to an end, not the staircase)
    a, b = skeleton_links(skel)
    raster = np.full(skel.shape, -1)
    raster[skel] = np.arange(len(cells))  # argwhere's row-major order, as cells
    ia, ib = raster[a[:, 0], a[:, 1]], raster[b[:, 0], b[:, 1]]
    half = np.linalg.norm((a - b).astype(np.float64), axis=1) / 2
    share = np.bincount(ia, half, len(cells)) + np.bincount(ib, half, len(cells))
    share *= length_px / max(float(share.sum()), 1e-9)
    tree = cKDTree(cells.astype(np.float64))
    radius = max(MAX_WIDTH_STRETCH_MM / px_mm / 2, 1.5)
    groups = tree.query_ball_point(cells.astype(np.float64), r=radius)
    # a stretch over a crack's end holds the cap beyond its last skeleton cell: not a width
    ends = set(np.flatnonzero(end_mask(cells, tree)).tolist())
    inner = [g for g in groups if not ends.intersection(g)] or list(groups)
    widths = [area[g].sum() / share[g].sum() for g in inner if share[g].sum() > 0]
    return mean_px, max(max(widths, default=mean_px), mean_px)


def write_truth(path: Path, features: list[dict[str, object]], meta: dict[str, object]) -> None:
    fc = {"type": "FeatureCollection", "name": "skyinspect simulator truth", "skyinspect": meta, "features": features}
    Path(path).write_text(json.dumps(fc, indent=1, sort_keys=False) + "\n")
