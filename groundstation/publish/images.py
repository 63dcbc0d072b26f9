"""Pictures for the products: best-view crops and the schematic of the surface (OpenCV)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from groundstation.publish.context import JOINT_HEX, PublishInput, colour_bgr, hex_bgr
from groundstation.publish.reviewed import shown_class
from skyinspect.findings import Finding

CROP_MAX_PX = 320
CROP_MIN_SIDE_PX = 96
JPEG_QUALITY = 85


def best_view_crops_jpeg(inp: PublishInput) -> dict[str, bytes | None]:
    """``best_view_crop_jpeg`` of every finding, in finding order, each frame's image read once: each
    crop had read its frame again (864 reads of 580 images on the 1,000-frame bench flight)."""
    by_frame: dict[int, list[tuple[Finding, tuple[int, int]]]] = {}
    for f in inp.findings:
        view = crop_view(inp, f)
        by_frame.setdefault(view[0], []).append((f, view))
    records = {r.frame_index: r for r in inp.flight.frames}
    crops: dict[str, bytes | None] = {}
    for frame_index, findings in by_frame.items():
        image: list[np.ndarray | None] = []  # read when a finding first needs it
        for f, view in findings:
            crops[f.finding_id] = best_view_crop_jpeg(inp, f, records.get(frame_index), image, view)
    return {f.finding_id: crops[f.finding_id] for f in inp.findings}


def crop_window(points_px: np.ndarray, shape_hw: tuple[int, ...], min_side_px: float,
                context: float = 0.75) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixels of a crop around ``points_px`` (N x 2, x y): ``context`` times the
    points' larger extent (at least ``min_side_px``) either side of their box's centre, cut to the image
    (``shape_hw``). The report's crops and the review app's views show a defect with the same context."""
    h, w = shape_hw[:2]
    (x0, y0), (x1, y1) = points_px.min(axis=0), points_px.max(axis=0)
    half = max((x1 - x0), (y1 - y0), min_side_px) * context
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (int(max(0, math.floor(cx - half))), int(max(0, math.floor(cy - half))),
            int(min(w, math.ceil(cx + half))), int(min(h, math.ceil(cy + half))))


_UNSET = object()


def best_view_crop_jpeg(inp: PublishInput, finding: Finding, rec: object = _UNSET,
                        image_once: list[np.ndarray | None] | None = None,
                        view: tuple[int, int] | None = None) -> bytes | None:
    """JPEG of the best view (``crop_view``) around the defect with its outlines drawn (every piece of the
    finding that frame saw, not only the best one); None without an image. ``rec``: that view's frame
    record when known; ``image_once``: its image after the first read (an empty list before); ``view``:
    ``crop_view`` when already worked out (it measures a split part's outline in each of its views)."""
    frame_index, instance_index = view or crop_view(inp, finding)
    if rec is _UNSET:
        rec = next((r for r in inp.flight.frames if r.frame_index == frame_index), None)
    if rec is None or rec.image_path is None or instance_index >= len(rec.instances):  # type: ignore[attr-defined]
        return None
    if image_once is None or not image_once:
        read = cv2.imread(str(rec.image_path), cv2.IMREAD_COLOR)  # type: ignore[attr-defined]
        if image_once is not None:
            image_once.append(read)
    image = image_once[0] if image_once else read
    if image is None:
        return None
    pieces = sorted({i for f, i in finding.views if f == frame_index and i < len(rec.instances)} | {instance_index})
    polys = [rec.instances[i].polygon_px for i in pieces]
    left, top, right, bottom = crop_window(np.concatenate(polys), image.shape, CROP_MIN_SIDE_PX)
    crop = image[top:bottom, left:right].copy()
    if crop.size == 0:
        return None
    pts = [np.round(poly - [left, top]).astype(np.int32).reshape(-1, 1, 2) for poly in polys]
    thick = max(1, crop.shape[1] // 160)
    own = _own_part(inp, finding, frame_index, pieces)
    if own is None:
        cv2.polylines(crop, pts, True, colour_bgr(finding.class_name), thick, cv2.LINE_AA)
    else:  # a crack and the line split off it: the other part thin and grey, this one's edges in colour
        cv2.polylines(crop, pts, True, (60, 60, 60), 1, cv2.LINE_AA)
        edges = [np.stack([p[:, 0], np.roll(p[:, 0], -1, axis=0)], axis=1)[keep & np.roll(keep, -1)]
                 for p, keep in zip(pts, own)]
        mine = list(np.concatenate(edges))
        if mine:
            cv2.polylines(crop, mine, False, colour_bgr(finding.class_name), thick, cv2.LINE_AA)
    scale = CROP_MAX_PX / max(crop.shape[:2])
    if scale < 1:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return buf.tobytes() if ok else None


def crop_view(inp: PublishInput, finding: Finding) -> tuple[int, int]:
    """(frame, instance) the report's crop shows: the best view; for a crack or the line split off it, the best
    view of those that show the part (groundstation.joint_split.part_views, which gives each part its views and
    best view in the measure stage: the same rule here, for records measured before). The demo's F-0003-J (a
    plumb line) had shown frame 10, whose detection is all of F-0003's crack."""
    from groundstation.joint_split import part_views, shown_m

    def own_m(frame: int) -> float | None:  # the length of its outline the frame shows, on the surface
        own = _own_part(inp, finding, frame, sorted({i for f, i in finding.views if f == frame}), with_points=True)
        return None if own is None else shown_m(own)
    return part_views(finding.views, finding.best_view, own_m)[1]


def _own_part(inp: PublishInput, finding: Finding, frame_index: int, pieces: list[int],
              with_points: bool = False) -> list[Any] | None:
    """For a crack and the joint-like line split off it (groundstation.joint_split), which vertices of each
    piece's outline are this finding's (joint_split.own_outline: those on the surface no farther from its centre
    lines than from the other part's). None for any other finding, or where a piece's outline is not known on
    the surface vertex by vertex: the whole detection is drawn then. ``with_points``: each piece as (those
    vertices, its outline on the surface in plane coordinates)."""
    from groundstation.joint_split import own_outline
    from groundstation.joints import ARM_SUFFIX, arm_id

    fid = finding.finding_id
    other_id = fid[:-len(ARM_SUFFIX)] if fid.endswith(ARM_SUFFIX) else arm_id(fid)
    other = next((f for f in inp.findings if f.finding_id == other_id), None)
    rec = next((r for r in inp.flight.frames if r.frame_index == frame_index), None) if other is not None else None
    if rec is None or not finding.centrelines_ned_m or not other.centrelines_ned_m:  # type: ignore[union-attr]
        return None
    dets = {d.instance_index: d for d in inp.geo.detections if d.frame_index == frame_index}
    outlines = []
    for i in pieces:
        det = dets.get(i)
        if det is None or i >= len(rec.instances) or len(det.outline_ned_m) != len(rec.instances[i].polygon_px):
            return None
        outlines.append(det.outline_ned_m)
    own = own_outline(finding, other, outlines, inp.basis)  # type: ignore[arg-type]
    return own if with_points else [keep for keep, _ in own]


def draw_schematic(inp: PublishInput, path: Path, size_px: tuple[int, int] = (1400, 900)) -> list[tuple[str, Box]]:
    """Elevation (vertical face) or plan (ground) of the surface in metres: frame footprints in
    grey, findings outlined in their class colour and labelled with their ids (a crack that runs
    like a formwork joint in grey, "joint?"), cracks' measured centre lines in dark grey. Returns
    each label and its box (x0, y0, x1, y1 px), all inside the plot."""
    width, height = size_px
    margin = 80
    img = np.full((height, width, 3), 255, np.uint8)
    basis = inp.basis
    footprints = [basis.to_2d(f.footprint_ned_m) for f in inp.geo.frames if f.footprint_ned_m is not None]
    outlines = [basis.to_2d(f.outline_ned_m) for f in inp.findings if f.outline_ned_m is not None]
    # Footprints can run to the horizon on oblique frames: frame the drawing on the findings and the
    # footprints of typical size (the 2-98 % percentiles of all corners had cut off most of a nadir
    # flight's few large footprints, drawn over the margins and the title)
    sizes = [float(np.ptp(fp, axis=0).max()) for fp in footprints]
    typical = float(np.median(sizes)) if sizes else 0.0
    framed = [fp for fp, size in zip(footprints, sizes) if size <= 3 * typical]
    pts = np.concatenate(framed + outlines) if framed or outlines else np.zeros((1, 2))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1.0)
    lo, hi = lo - 0.05 * span, hi + 0.05 * span
    scale = min((width - 2 * margin) / (hi[0] - lo[0]), (height - 2 * margin) / (hi[1] - lo[1]))

    def px(uv: np.ndarray) -> np.ndarray:  # v up on the page
        x = margin + (uv[:, 0] - lo[0]) * scale
        y = height - margin - (uv[:, 1] - lo[1]) * scale
        return np.round(np.stack([x, y], axis=1)).astype(np.int32).reshape(-1, 1, 2)

    _axes(img, lo, hi, px, basis.axis_labels, margin)
    placed = LabelBoxes()  # label boxes drawn so far (x0, y0, x1, y1)
    labels: list[tuple[str, int, int, int]] = []  # (text, centroid x, y, owner id), written last
    plot = img[margin:height - margin, margin:width - margin]  # a view: what runs off is clipped to the axes
    for fp in footprints:
        cv2.polylines(plot, [px(fp) - margin], True, (205, 205, 205), 1, cv2.LINE_AA)
    owner = np.zeros((height, width), np.int32)  # which finding (1-based) drew each pixel
    for k, (f, uv) in enumerate(zip([f for f in inp.findings if f.outline_ned_m is not None], outlines), start=1):
        joint_like = bool(inp.checks.get(f.finding_id))  # drawn grey: check it is a crack (report, map)
        colour = hex_bgr(JOINT_HEX) if joint_like else colour_bgr(shown_class(inp, f.finding_id, f.class_name))
        poly = px(uv)
        c = px(basis.to_2d(f.centroid_ned_m.reshape(1, 3)))[0, 0]
        for canvas, ink in ((img, colour), (owner, k)):
            cv2.fillPoly(canvas, [poly], ink)
            cv2.polylines(canvas, [poly], True, ink, 2, cv2.LINE_AA if canvas is img else cv2.LINE_8)
            cv2.circle(canvas, (int(c[0]), int(c[1])), 6, ink, 2, cv2.LINE_AA if canvas is img else cv2.LINE_8)
        for line in f.centrelines_ned_m:  # what a crack's length was measured along
            if len(line) >= 2:
                cv2.polylines(img, [px(basis.to_2d(np.asarray(line)))], False, (40, 40, 40), 1, cv2.LINE_AA)
        labels.append((f.finding_id + (" joint?" if joint_like else ""), int(c[0]), int(c[1]), k))
    # labels stay in the plot: crowded, they had been stacked down over the axis numbers, the caption
    # and off the image (219 findings on a 30 m face)
    area = (margin, margin, width - 8, height - margin)
    for label, cx, cy, k in labels:  # after every outline, so that a label can keep off all of them
        x, y = _label_spot(owner, placed, label, cx, cy, k, area)
        _leader(img, label, x, y, cx, cy)
        cv2.putText(img, label, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (30, 30, 30), 1, cv2.LINE_AA)
    title = ("plan" if basis.is_horizontal else "elevation") + f" of surface '{basis.name}'"
    cv2.putText(img, title, (margin, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2, cv2.LINE_AA)
    cv2.imwrite(str(path), img)
    return [(label, box) for (label, *_), box in zip(labels, placed)]


def _axes(img: np.ndarray, lo: np.ndarray, hi: np.ndarray, px: object, labels: tuple[str, str],
          margin: int) -> dict[int, list[float]]:
    """Grid lines and numbers of both axes; returns the numbers written, per axis (0 along, 1 up)."""
    h, w = img.shape[:2]
    step = _nice_step(float(max(hi - lo)) / 8)
    ticks: dict[int, list[float]] = {0: [], 1: []}
    for axis in (0, 1):
        # an axis the longer span's step numbers fewer than 3 times (a face 62 m long and 5 m high: its heights
        # read '0' only) gets its own step, where its numbers stay 24 px apart
        ends = px(np.array([lo, lo + np.eye(2)[axis]]))[:, 0, axis]  # type: ignore[operator]
        px_per_m = abs(float(ends[1] - ends[0]))
        finer = _nice_step(float(hi[axis] - lo[axis]) / 4)
        own = finer if (hi[axis] - lo[axis]) / step < 3 and finer * px_per_m >= 24 else step
        start = math.ceil(lo[axis] / own) * own
        for t in np.arange(start, hi[axis], own):
            ticks[axis].append(round(float(t), 9))
            uv = np.array([[t, lo[1]]]) if axis == 0 else np.array([[lo[0], t]])
            p = px(uv)[0, 0]  # type: ignore[operator]
            if axis == 0:
                cv2.line(img, (int(p[0]), margin), (int(p[0]), h - margin), (240, 240, 240), 1)
                cv2.putText(img, f"{t:g}", (int(p[0]) - 10, h - margin + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                            (90, 90, 90), 1, cv2.LINE_AA)
            else:
                cv2.line(img, (margin, int(p[1])), (w - margin, int(p[1])), (240, 240, 240), 1)
                cv2.putText(img, f"{t:g}", (8, int(p[1]) + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                            (90, 90, 90), 1, cv2.LINE_AA)
    (text_w, _), _ = cv2.getTextSize(labels[0], cv2.FONT_HERSHEY_SIMPLEX, 0.55, 1)
    cv2.putText(img, labels[0], (max(8, (w - text_w) // 2), h - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1,
                cv2.LINE_AA)
    cv2.putText(img, labels[1], (8, margin - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    return ticks


def _leader(img: np.ndarray, label: str, x: int, y: int, cx: int, cy: int, far_px: int = 24) -> bool:
    """A thin line from a finding's centre to its label when crowding pushed the label away: in a dense
    cluster (the Brighton DJI plan) labels stacked lines below their markers, none telling whose it was."""
    (w, h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.55, 1)
    px, py = min(max(cx, x), x + w), min(max(cy, y - h), y + 4)  # the label box's point nearest the centre
    if math.hypot(px - cx, py - cy) <= far_px:
        return False
    cv2.line(img, (cx, cy), (int(px), int(py)), (150, 150, 150), 1, cv2.LINE_AA)
    return True


Box = tuple[int, int, int, int]


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class LabelBoxes(list):  # type: ignore[type-arg]
    """The label boxes written so far, a list indexed by a grid of ``CELL_PX`` cells: each label was
    tested against every earlier box (2,585 findings: 84 M tests, 13 s of the schematic). Two boxes
    that overlap share an integer pixel, so they share a cell; a box with no area is kept apart and
    tested against (and with) everything, as before."""

    CELL_PX = 64

    def __init__(self) -> None:
        super().__init__()
        self._cells: dict[tuple[int, int], list[Box]] = {}
        self._flat: list[Box] = []  # boxes without area

    def _keys(self, b: Box) -> list[tuple[int, int]]:
        c = self.CELL_PX
        return [(i, j) for i in range(b[0] // c, (b[2] - 1) // c + 1) for j in range(b[1] // c, (b[3] - 1) // c + 1)]

    def append(self, b: Box) -> None:  # type: ignore[override]
        super().append(b)
        if b[2] <= b[0] or b[3] <= b[1]:
            self._flat.append(b)
            return
        for key in self._keys(b):
            self._cells.setdefault(key, []).append(b)

    def overlaps(self, box: Box) -> bool:
        if box[2] <= box[0] or box[3] <= box[1]:
            return any(_overlap(box, b) for b in self)
        return any(_overlap(box, b) for b in self._flat) or any(
            _overlap(box, b) for key in self._keys(box) for b in self._cells.get(key, ()))


def _free_spot(placed: list[Box], label: str, x: int, y: int, keep: bool = True,
               area: Box | None = None) -> tuple[int, int]:
    """Where to write ``label`` near (x, y) without covering one already written (a crack and the
    joint line split off it share a centroid): moved down a line at a time; the box is recorded
    unless ``keep`` is False (a spot only tried). ``area``: the box the label must stay in, moved
    into it, then down or up a line at a time (24 lines each way), the nearer first, never out of it (the
    spot itself when every line is taken)."""
    (w, h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.55, 1)

    def free(y: int) -> bool:
        box = (x, y - h, x + w, y + 4)
        return not (placed.overlaps(box) if isinstance(placed, LabelBoxes) else any(_overlap(box, b) for b in placed))
    if area is None:
        for _ in range(8):
            if free(y):
                break
            y += h + 6
    else:
        x = max(area[0], min(x, area[2] - w))
        y = max(area[1] + h, min(y, area[3] - 4))
        tries = [y + s * i * (h + 6) for i in range(1, 25) for s in (1, -1)]
        y = next((t for t in [y] + tries if area[1] + h <= t <= area[3] - 4 and free(t)), y)
    if keep:
        placed.append((x, y - h, x + w, y + 4))
    return x, y


def _label_spot(owner: np.ndarray, placed: list[tuple[int, int, int, int]], label: str, cx: int, cy: int,
                own: int, area: Box | None = None) -> tuple[int, int]:
    """Where to write the label of finding ``own`` centred at (cx, cy): right of it and above,
    unless that covers more of the other findings' drawing (``owner``: which finding drew each
    pixel; a joint line beside a crack) than right-below, left-above or left-below; each stacked
    clear of the labels already written (``_free_spot``), inside ``area`` when given. Its own outline may lie
    under it."""
    (w, h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.55, 1)
    best: tuple[int, int, int] | None = None
    for x, y in ((cx + 8, cy - 8), (cx + 8, cy + h + 8), (cx - 8 - w, cy - 8), (cx - 8 - w, cy + h + 8)):
        x, y = _free_spot(placed, label, max(0, x), y, keep=False, area=area)
        box = owner[max(0, y - h):max(0, y + 4), x:x + w]
        covered = int(((box != 0) & (box != own)).sum())
        if best is None or covered < best[0]:
            best = (covered, x, y)
    _, x, y = best  # type: ignore[misc]
    return _free_spot(placed, label, x, y, area=area)


def _nice_step(raw: float) -> float:
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    exp = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * exp:
            return m * exp
    return 10 * exp
