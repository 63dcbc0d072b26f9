"""Stage 4, measure: crack length and width, defect area, each a Measurement with a 1-sigma ±.

Which geometry is measured. A *sighting* is everything one frame saw of a finding: the finding's
instances in that frame together (the model often breaks a crack or a rust patch into pieces; one
piece is not the defect). Width and area come from one sighting, never from a union of frames: a
union of several slightly misregistered outlines has a wider, branchier skeleton and a larger area.
The length gathers frames without unioning them (below).
- Crack length is the crack's whole network over every frame that saw it nearly as finely as the
  best view (GSD within ``SKELETON_GSD_SLACK``), branches included: groundstation.crack_length
  draws each such sighting's crack pixels (its frame's mask, through the homography of each
  piece's outline) on the surface, thins them, and adds from each further frame, once laid on the
  stretches already taken, only what lies beyond them (a frame whose crack does not lie on theirs
  is left out); gaps between pieces up to ``MAX_JOIN_M`` count, longer ones do not. Measured on
  the demo flight's geometry check (simulator masks): 1.01-1.08 of the truth's length, where one
  sighting's chained longest paths read 0.65-0.96 (one frame rarely holds a 0.7 m crack, and a
  branch is crack too). The note names the frames, the pieces joined and the gaps not
  counted. The *drawn* skeleton (``Finding.skeleton_ned_m``, one polyline) is still the longest
  sighting's pieces chained end to end: starting from the piece at one end of the crack (along its
  main direction), the next piece is the one whose end is nearest, joined by a straight line.
- Crack width (``width_mm`` mean, ``max_width_mm``) is read from the **image** of one frame, over
  all the pieces of the crack it shows (groundstation.width_views: among the frames within 5 % of
  the finest GSD the one showing most of the crack; the next frame when that one has no image or
  skeleton, or shows no width: the crack no darker than its flanks there), not from the
  mask: groundstation.crackwidth measures it in pixels, sub-pixel, from the intensity profiles
  across each instance's pixel skeleton, on a crop around the skeleton only. Pixels → mm with the
  local scale *across the crack* at the skeleton: each skeleton pixel and its neighbours one pixel
  along and across the image skeleton are cast onto the surface's tangent plane there (range,
  incidence and perspective included), and the surface width is the across step's component
  perpendicular to the crack's direction on the surface (median over the skeleton). σ = the
  estimator's σ × that scale. A crack whose interior does not show (narrower than ~2 px with
  blur) gets a **bound**: value None and the note ``"bound: between a and b mm ..."``. Without an
  image (a record without frames, a moved file) the width falls back to the mask's area / length
  (reads high where the mask is blurred), σ = 1 GSD, and the note says so.
- Area (all classes, reported for corrosion) = the summed areas of the pieces of the largest sighting
  among those within ``SKELETON_GSD_SLACK`` of the finest GSD (largest, because a frame that cut
  the defect at its border sees less of it), each piece its mask's pixels on the surface
  (groundstation.georef); σ = total perimeter × GSD / 2 (each boundary located to half a pixel).
- Repeatability. Both σ above say how well the *drawn* defect is measured, not how much of the
  defect the model draws, which changes from flight to flight (light, blur, view): the same demo scene
  flown with six simulator seeds (bench/demo_flight.py --seeds 7 1 2 3 4 5) gave each crack's length
  with a relative spread of 3.5-11 % (pooled 8.5 %), each rust patch's area 3.6-15 % over four
  seeds (pooled 7 %), against geometric σ of about 1 %. That spread (``REPEATABILITY``, by the
  model id the flight record names: measured for the shipped model; a lower bound for real flights,
  whose light varies more) is added in quadrature, so a grade near a boundary says so and a change
  since the last inspection is judged against what a second flight of the same crack would show
  (two flights of the unchanged demo scene had called four cracks "grown"). Masks of a model
  not in the table (or the simulator's own) get the geometric σ alone. Measured with the one pass
  flown onboard; the same frames replayed with `segment`'s passes (three seeds) repeat no better
  (crack lengths 21 % pooled, one crack's plumb arm split off as joint-like in one flight only).
- A crack finding whose measured centre lines hold a straight plumb or level line that is not the
  crack's (a formwork or construction joint the model drew as crack and the fusion joined to the
  crack it crosses; groundstation.joints.joint_arm) is reported as two findings: the crack, and the
  line as ``<id>-J`` (groundstation.joint_split), each with its share of the length and area and
  its own width. Only with the flight record (its origin places the parts).
A value is ``Measurement(None, None, unit, note)`` when the GSD is coarser than the limit for
that quantity (MeasureLimits) or the geometry is missing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from groundstation.crack_length import MAX_JOIN_M, crack_length
from groundstation.crack_pixels import MaskPixels, PixelSource
from groundstation.flight_images import FlightImages, Keep
from groundstation.joint_split import nearer, own_outline, part_views, shown_m, split_at_joint
from groundstation.joints import joint_arm
from groundstation.plane import PlaneBasis
from groundstation.width_views import measurable, width_frames, width_of_pieces
from skyinspect.centreline import polyline_length_m
from skyinspect.findings import Detection, Finding, Measurement
from skyinspect.segmentation import CRACK

SKELETON_GSD_SLACK = 1.5
# relative 1-sigma of what a model draws of one defect from flight to flight (crack length, area),
# by the model id a flight record names (module doc); measured for the shipped model
REPEATABILITY: dict[str, tuple[float, float]] = {"skyinspect-seg-yolo26n-sem-v5": (0.085, 0.07)}
# What each quantity's number means, written to inspection.json: growth since an inspection measured
# by another method is not judged (groundstation.change). Bump one when its method changes.
MEASUREMENT_METHODS = {
    # session 11: all fine sightings, branches, smoothed skeleton; session 12: a joint-like line through
    # the crack reported apart (groundstation.joint_split), frames off along the crack laid back by its ends
    "length_mm": "crack-network-2",
    # session 8: sub-pixel from the image, bounds when unresolved; session 23: the profile window ends at the
    # crack's own deficit, not at a dark line beside it (groundstation.crackwidth._core_extent_px), and
    # over all the pieces of the crack one frame shows (groundstation.width_views); session 24: a faint
    # crack's interior level / a hairline's upper end from its own minimum (not the profile's padded end);
    # -5: the window ends at the crack's own blurred edge, not out on broad shading beside it; -6 (session 25):
    # the interior read from a plateau only when it is flat for longer than a blurred hairline's round bottom;
    # -7: nor when its level reads the crack wider than each profile's own darkest point allows; -8 (session 26):
    # shading centred on the crack (read outside the window) is in the ± and out of a bound's lower end
    "width_mm": "image-profile-8",
    # session 6: the largest fine sighting's pieces; -2 (session 24): each piece's mask pixels on the surface,
    # not the area inside its outline through the boundary pixels' centres (a 3-px crack read 2/3 of it)
    "area_m2": "largest-sighting-2",
    # session 23: the widest stretch, from the same profiles as width_mm (a folder without it: unrecorded);
    # session 24: a bound's upper end is the upper ends' widest stretch, not their widest 4 px (a pore),
    # and from the crack's own minimum, as width_mm's; -5: from width_mm's window; -6, -7: width_mm's plateau tests;
    # -8: width_mm's centred shading
    "max_width_mm": "image-profile-8",
}


@dataclass(frozen=True)
class MeasureLimits:
    """The coarsest GSD at which each quantity is still reported."""

    max_gsd_crack_length_m: float = 0.010
    max_gsd_crack_width_m: float = 0.002
    max_gsd_area_m: float = 0.020
    max_crack_width_px: float = 30.0  # widest crack the profile window holds
    width_step_px: float = 2.0  # profiles along the skeleton this far apart
    # the detector's flight-to-flight repeatability, relative 1-sigma (module doc; 0: not known)
    crack_length_repeatability: float = 0.0
    area_repeatability: float = 0.0

    def for_model(self, model_id: str) -> MeasureLimits:
        """These limits with the repeatability of the model that drew the masks, where measured."""
        length, area = REPEATABILITY.get(model_id, (0.0, 0.0))
        return replace(self, crack_length_repeatability=length, area_repeatability=area)


def _too_coarse(what: str, gsd_m: float, limit_m: float, unit: str) -> Measurement:
    # with the decimals that tell the two apart: a flight planned at the limit lands a hair over it,
    # and '10.0 mm > 10.0 mm' reads as a contradiction
    digits = next((d for d in (1, 2) if f"{gsd_m * 1000:.{d}f}" != f"{limit_m * 1000:.{d}f}"), 3)
    return Measurement(None, None, unit, f"not measurable: GSD {gsd_m * 1000:.{digits}f} mm > "
                                         f"{limit_m * 1000:.{digits}f} mm needed for {what}")


def measure_finding(finding: Finding, by_view: dict[tuple[int, int], Detection], basis: PlaneBasis,
                    limits: MeasureLimits = MeasureLimits(), images: FlightImages | None = None,
                    pixels: PixelSource | None = None, footprints: dict[int, np.ndarray] | None = None) -> Finding:
    """Return ``finding`` with length/width/area measurements (and the skeleton used) filled in;
    ``pixels``: the masks' crack pixels and ``footprints`` the frames' footprints on the surface
    (NED, by frame index), for the length (groundstation.crack_length)."""
    gsd = by_view[finding.best_view].gsd_m
    out: dict[str, Measurement] = {}
    skeleton = finding.skeleton_ned_m
    centrelines: tuple[np.ndarray, ...] = ()
    seen = sightings(finding, by_view)
    if gsd > limits.max_gsd_area_m:
        out["area_m2"] = _too_coarse("area", gsd, limits.max_gsd_area_m, "m2")
    else:
        out["area_m2"] = _area(seen, gsd, limits.area_repeatability)
    if finding.class_id == CRACK:
        sighting = _skeleton_sighting(seen, gsd)
        if sighting is None:
            out["length_mm"] = Measurement(None, None, "mm", "not measurable: no skeleton on the surface")
            out["width_mm"] = Measurement(None, None, "mm", "not measurable: no skeleton on the surface")
        elif sighting.gsd_m > limits.max_gsd_crack_length_m:
            out["length_mm"] = _too_coarse("length", sighting.gsd_m, limits.max_gsd_crack_length_m, "mm")
            out["width_mm"] = _too_coarse("width", sighting.gsd_m, limits.max_gsd_crack_width_m, "mm")
        else:
            skeleton = sighting.skeleton_ned_m
            length_m, out["length_mm"], centrelines = _length(seen, sighting, gsd, basis, pixels, footprints or {},
                                                              limits.crack_length_repeatability)
            if sighting.gsd_m > limits.max_gsd_crack_width_m:
                out["width_mm"] = _too_coarse("width", sighting.gsd_m, limits.max_gsd_crack_width_m, "mm")
            elif length_m <= 0:
                out["width_mm"] = Measurement(None, None, "mm", "not measurable: zero skeleton length")
            else:
                out.update(_width(finding, by_view, sighting, limits, images))
        out.setdefault("max_width_mm", _widest_unmeasured(out["width_mm"]))
    return replace(finding, measurements=out, skeleton_ned_m=skeleton, centrelines_ned_m=centrelines)


def _widest_unmeasured(width: Measurement) -> Measurement:
    """max_width_mm where the image gave no width: the width's own reason (an owner's rule grading the
    widest stretch says why, not "not measured"); beside a mean from mask area / length, that only the
    image reads a widest stretch."""
    if width.value is None:
        return width
    return Measurement(None, None, "mm", f"not measurable: the widest stretch is read from the image only; "
                                         f"the width here is a mean ({width.note})")


@dataclass(frozen=True, eq=False)
class Sighting:
    """What one frame saw of a finding: its pieces there, and (cracks) their chained skeleton."""

    frame_index: int
    pieces: tuple[Detection, ...]
    skeleton_ned_m: np.ndarray  # (M, 3) the pieces' skeletons chained end to end; (0, 3) if none
    joins_m: tuple[float, ...]  # lengths of the straight joins between consecutive pieces

    @property
    def gsd_m(self) -> float:
        return max(p.gsd_m for p in self.pieces)  # the coarsest piece bounds what the frame resolved

    @property
    def counted_joins_m(self) -> tuple[float, ...]:
        """The joins that count in the length: up to MAX_JOIN_M each (module doc)."""
        return tuple(j for j in self.joins_m if j <= MAX_JOIN_M)

    @property
    def length_m(self) -> float:
        """The chained skeleton's length without the joins that do not count."""
        return polyline_length_m(self.skeleton_ned_m) - (sum(self.joins_m) - sum(self.counted_joins_m))

    @property
    def area_m2(self) -> float:
        return float(sum(p.area_m2 for p in self.pieces))

    @property
    def incidence_deg(self) -> float:
        return max(p.incidence_deg for p in self.pieces)


def sightings(finding: Finding, by_view: dict[tuple[int, int], Detection]) -> list[Sighting]:
    """The finding's detections grouped by frame (see module doc), in frame order."""
    frames: dict[int, list[Detection]] = {}
    for v in finding.views:
        frames.setdefault(v[0], []).append(by_view[v])
    return [Sighting(f, tuple(ps), *chain_skeletons([p.skeleton_ned_m for p in ps if p.skeleton_ned_m is not None]))
            for f, ps in sorted(frames.items())]


def chain_skeletons(skeletons: list[np.ndarray]) -> tuple[np.ndarray, tuple[float, ...]]:
    """Pieces of one crack's centre line → one polyline and the lengths of its joins (module doc)."""
    pieces = [np.asarray(s, dtype=np.float64) for s in skeletons if len(s) >= 2]
    if not pieces:
        return np.zeros((0, 3)), ()
    if len(pieces) == 1:
        return pieces[0], ()
    # start at the piece end at one extreme of the main direction of all the points
    pts = np.vstack(pieces)
    axis = np.linalg.svd(pts - pts.mean(axis=0), full_matrices=False)[2][0]
    ends = [(float(p[0] @ axis), i, False) for i, p in enumerate(pieces)] + \
           [(float(p[-1] @ axis), i, True) for i, p in enumerate(pieces)]
    _, first, flip = min(ends)
    line = [pieces[first][::-1] if flip else pieces[first]]
    left = set(range(len(pieces))) - {first}
    joins = []
    while left:
        tip = line[-1][-1]
        d, i, flip = min((min((float(np.linalg.norm(pieces[j][0] - tip)), j, False),
                              (float(np.linalg.norm(pieces[j][-1] - tip)), j, True))) for j in left)
        line.append(pieces[i][::-1] if flip else pieces[i])
        joins.append(d)
        left.discard(i)
    return np.vstack(line), tuple(joins)


def _length(every: list[Sighting], longest: Sighting, best_gsd: float, basis: Any,
            pixels: PixelSource | None, footprints: dict[int, np.ndarray], repeatability: float = 0.0
            ) -> tuple[float, Measurement, tuple[np.ndarray, ...]]:
    """The crack network's length over every fine sighting (groundstation.crack_length); the
    longest sighting's chained skeleton when the outlines cannot be drawn."""
    fine = [s for s in every if s.gsd_m <= SKELETON_GSD_SLACK * best_gsd]
    net = crack_length([s.pieces for s in fine], [s.frame_index for s in fine], best_gsd, basis, pixels,
                       [footprints.get(s.frame_index) for s in fine])
    if net is None:
        note = f"skeleton of frame {longest.frame_index} (the outlines could not be drawn on the surface)"
        sigma_m = math.hypot(math.sqrt(2) * longest.gsd_m, repeatability * longest.length_m)
        m = Measurement(longest.length_m * 1000, sigma_m * 1000, "mm", note)
        return longest.length_m, m, (longest.skeleton_ned_m,) if len(longest.skeleton_ned_m) >= 2 else ()
    frames = ", ".join(str(f) for f in net.frames)
    note = f"skeleton with branches, from frame{'s' if len(net.frames) > 1 else ''} {frames}"
    if net.agreeing > len(net.frames):
        note += f" ({net.agreeing} frames agree)"
    joins = net.counted_joins_m
    if joins:
        note += f", {len(joins) + 1} pieces joined across {sum(joins) * 1000:.0f} mm of gaps"
    if net.uncounted_joins:
        n = net.uncounted_joins
        note += f", {n} gap{'s' if n > 1 else ''} over {MAX_JOIN_M * 1000:.0f} mm not counted"
    if net.unregistered:
        n = len(net.unregistered)
        note += (f"; frame{'s' if n > 1 else ''} {', '.join(str(f) for f in net.unregistered)} left out: "
                 "the crack there does not lie on the other frames' (misplaced views)")
    sigma_m = math.hypot(net.sigma_m, repeatability * net.length_m)
    if repeatability:
        note += f"; ± with the model's flight-to-flight repeatability ({repeatability:.1%})"
    return net.length_m, Measurement(net.length_m * 1000, sigma_m * 1000, "mm", note), net.centrelines_ned_m


def _area(every: list[Sighting], best_gsd: float, repeatability: float = 0.0) -> Measurement:
    """Area of the largest sighting nearly as fine as the best view (module doc)."""
    fine = [s for s in every if s.gsd_m <= SKELETON_GSD_SLACK * best_gsd] or every
    s = max(fine, key=lambda s: (s.area_m2, -s.gsd_m))
    perimeter = sum(polyline_length_m(np.vstack([p.outline_ned_m, p.outline_ned_m[:1]])) for p in s.pieces)
    note = f"best view, frame {s.frame_index}" + (f", {len(s.pieces)} pieces" if len(s.pieces) > 1 else "")
    if repeatability:
        note += f"; ± with the model's flight-to-flight repeatability ({repeatability:.0%})"
    return Measurement(s.area_m2, math.hypot(perimeter * s.gsd_m / 2.0, repeatability * s.area_m2), "m2", note)


def _width(finding: Finding, by_view: dict[tuple[int, int], Detection], length_view: Sighting,
           limits: MeasureLimits, images: Any, keep: Keep | None = None) -> dict[str, Measurement]:
    """width_mm (mean) and max_width_mm read in one frame over all the pieces of the crack it shows (the
    frame among the finest views that shows most of it: groundstation.width_views), or area/length without one;
    ``keep``: which stretch of the pixel skeleton is this finding's (FlightImages.view)."""
    why = "no flight record given"
    if images is not None:
        why = "no view with an image and a pixel skeleton"
        unmeasurable: dict[str, Measurement] | None = None
        # frame by frame, each over all its pieces of the crack (groundstation.width_views)
        for frame, pieces in width_frames((by_view[v] for v in finding.views), limits.max_gsd_crack_width_m):
            read = []
            for det in pieces:
                view, why_not = images.view(det, keep)
                if view is None:
                    why = why_not
                    continue
                est = images.estimate(view, limits)
                if est is None:
                    why = f"image of frame {frame} cannot be read"
                    continue
                read.append((est, view))
            if not read:
                continue
            width = width_of_pieces(read)
            if measurable(width):
                return width
            # not measurable in this frame (a glint, a brighter patch beside a faint crack): the next
            # may show the crack darker than its surroundings
            unmeasurable = unmeasurable or width
        if unmeasurable is not None:
            return unmeasurable
    # the pieces' own skeleton lengths: the joins across gaps carry no mask area
    with_skeleton = [p for p in length_view.pieces if p.skeleton_ned_m is not None]
    width_m = sum(p.area_m2 for p in with_skeleton) / sum(polyline_length_m(p.skeleton_ned_m) for p in with_skeleton)
    note = f"mask area/length, frame {length_view.frame_index} (not from the image: {why})"
    width = Measurement(width_m * 1000, length_view.gsd_m * 1000, "mm", note)
    return {"width_mm": width, "max_width_mm": _widest_unmeasured(width)}


def _skeleton_sighting(every: list[Sighting], best_gsd: float) -> Sighting | None:
    """The longest chained skeleton among the sightings nearly as fine as the best view (module
    doc); among skeletons within 2 GSD of the longest (equal up to pixel noise) the finest wins."""
    candidates = [s for s in every if len(s.skeleton_ned_m) >= 2 and s.gsd_m <= SKELETON_GSD_SLACK * best_gsd]
    if not candidates:
        return None
    lengths = [s.length_m for s in candidates]
    longest = max(lengths)
    near = [s for s, n in zip(candidates, lengths) if n >= longest - 2 * best_gsd]
    return min(near, key=lambda s: (s.gsd_m, s.incidence_deg, s.frame_index))


def measure(findings: list[Finding], detections: Sequence[Detection], basis: PlaneBasis,
            limits: MeasureLimits = MeasureLimits(), flight: Any = None, surface: Any = None,
            footprints: dict[int, np.ndarray] | None = None, progress: bool = False) -> list[Finding]:
    """Measure every finding. ``flight`` (the LoadedFlight) gives the images and pixel skeletons for
    the crack width and the masks for the length, ``surface`` (Georeferenced.surface) the geometry
    for pixels → mm, ``footprints`` (frame index → its footprint, NED) where each frame looked;
    without a flight the width is the mask's area / length."""
    by_view = {(d.frame_index, d.instance_index): d for d in detections}
    origin = getattr(flight, "origin", None)
    images = FlightImages(flight, surface, basis) if flight is not None else None
    pixels = MaskPixels(flight) if flight is not None else None
    # the findings whose width comes from the same image are measured one after the other, so
    # each image is read once
    best_frame = {f.finding_id: f.best_view[0] for f in findings}
    order: Iterable[Finding] = sorted(findings, key=lambda f: best_frame[f.finding_id])
    if progress:  # a crack's length reads every frame that saw it: about 0.1 s a crack on 2 cores
        from rich.progress import track

        order = track(order, description="measuring findings", total=len(findings), transient=False)
    done = {}
    for f in order:
        measured = measure_finding(f, by_view, basis, limits, images, pixels, footprints)
        done[f.finding_id] = _split_joint(measured, by_view, basis, limits, images, origin)
    return [part for f in findings for part in done[f.finding_id]]


def _split_joint(finding: Finding, by_view: dict[tuple[int, int], Detection], basis: Any, limits: MeasureLimits,
                 images: FlightImages | None, origin: Any) -> list[Finding]:
    """The finding, or the crack and the joint-like line through it, each with its own width
    (groundstation.joint_split); only with the flight (its origin places the parts)."""
    arm = joint_arm(finding.centrelines_ned_m, basis, finding.gsd_m) \
        if origin is not None and finding.class_id == CRACK else None
    if arm is None:
        return [finding]
    parts = split_at_joint(finding, arm, basis, origin)
    sighting = _skeleton_sighting(sightings(finding, by_view), finding.gsd_m)
    if sighting is None or sighting.gsd_m > limits.max_gsd_crack_width_m:
        return _own_views(list(parts), by_view, basis)  # the width was not measurable for the whole: nor for a part
    out = []
    for part, keep in zip(parts, nearer(arm, basis)):
        widths = _width(part, by_view, sighting, limits, images, keep)
        kept = {k: v for k, v in part.measurements.items() if k not in ("width_mm", "max_width_mm")}
        out.append(replace(part, measurements={**kept, **widths}))
    return _own_views(out, by_view, basis)


def _own_views(parts: list[Finding], by_view: dict[tuple[int, int], Detection], basis: Any) -> list[Finding]:
    """Each part with the views that show it and its best view (joint_split.part_views, the rule the report's
    crop follows): both had kept the whole's, the line's card "views: 27 (best: frame 10)" (the demo's F-0003-J)
    where frame 10 shows only the crack. After the widths, which are read over the whole's views as before."""
    out = []
    for part, other in zip(parts, parts[::-1]):
        def shown(frame: int, part: Finding = part, other: Finding = other) -> float:
            outlines = [by_view[v].outline_ned_m for v in part.views if v[0] == frame and v in by_view]
            return shown_m(own_outline(part, other, outlines, basis))
        views, best = part_views(part.views, part.best_view, shown)
        out.append(replace(part, views=views, best_view=best))
    return out
