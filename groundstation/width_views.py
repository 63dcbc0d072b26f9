"""Which frame a crack's width is read in, and its width over all the pieces that frame shows.

The width is read in one frame (groundstation.measure's module doc says why not a union), over every
piece of the finding that frame shows: the model breaks a crack into pieces, and one piece is a
stretch of the crack, not the crack (on the demo a 22-profile piece of a 0.7 m crack read
0.15-0.42 mm where the 153-profile piece beside it in the same frame read 0.41-1.10 mm). Frames
whose GSD is within ``WIDTH_GSD_SLACK`` of the finest resolve the crack alike (the demo's differ by
0.1 %), so among them the one showing most of the crack is read first; coarser frames follow by GSD.

The pieces' estimates are combined weighted by their profiles (each profile a stretch of crack
``width_step_px`` long): the mean of values, or, when any piece gives only a bound, the interval the
weighted mean lies in (a piece with a value contributes it to both ends). The maximum is the widest
piece's. The ± is the profile-weighted mean of the pieces' (not reduced as if independent: the
interior level and a one-sided stain are shared errors).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from groundstation.crackwidth import WidthEstimate
from groundstation.flight_images import WidthView
from skyinspect.centreline import polyline_length_m
from skyinspect.findings import Detection, Measurement

WIDTH_GSD_SLACK = 1.05


def width_frames(views: Iterable[Detection], max_gsd_m: float) -> list[tuple[int, list[Detection]]]:
    """(frame index, its pieces, longest first) in the order the width is tried (module doc); frames
    coarser than ``max_gsd_m`` are left out."""
    frames: dict[int, list[Detection]] = {}
    for d in views:
        frames.setdefault(d.frame_index, []).append(d)

    def length_m(p: Detection) -> float:
        return polyline_length_m(p.skeleton_ned_m) if p.skeleton_ned_m is not None else 0.0

    gsd = {f: max(p.gsd_m for p in ps) for f, ps in frames.items()}
    kept = [f for f in frames if gsd[f] <= max_gsd_m]
    if not kept:
        return []
    finest = min(gsd[f] for f in kept)

    def order(f: int) -> tuple[float, ...]:
        ps = frames[f]
        incidence = max(p.incidence_deg for p in ps)
        if gsd[f] <= WIDTH_GSD_SLACK * finest:
            return (0.0, -sum(length_m(p) for p in ps), incidence, f)
        return (1.0, gsd[f], incidence, f)

    return [(f, sorted(frames[f], key=lambda p: -length_m(p))) for f in sorted(kept, key=order)]


def width_from_estimate(est: WidthEstimate, view: WidthView) -> dict[str, Measurement]:
    """One piece's width_mm and max_width_mm: a value, a bound, or not measurable with the reason."""
    k = view.m_per_px_across * 1000.0  # mm per pixel across the crack
    where = f"frame {view.frame_index}, {k:.2f} mm/px across the crack"
    if est.profiles == 0 or (est.is_bound and not math.isfinite(est.upper_px)):  # no width or no upper bound
        reason = est.note.removeprefix("not measurable: ")  # the estimator already says so
        m = Measurement(None, None, "mm", f"not measurable: {reason} ({where})")
        return {"width_mm": m, "max_width_mm": m}
    if est.is_bound:
        lo, hi = est.lower_px * k, est.upper_px * k
        note = (f"bound: between {lo:.2f} and {hi:.2f} mm; the crack's interior does not show at this "
                f"resolution, so no single value ({where})")
        # the widest stretch's own interval (crackwidth), not the mean's
        max_lo = (est.max_lower_px if est.max_lower_px is not None else est.lower_px) * k
        max_hi = (est.max_upper_px if est.max_upper_px is not None else est.upper_px) * k
        max_note = (f"bound: the widest stretch of crack between {max_lo:.2f} and {max_hi:.2f} mm; the crack's "
                    f"interior does not show at this resolution, so no single value ({where})")
        return {"width_mm": Measurement(None, None, "mm", note, low=lo, high=hi),
                "max_width_mm": Measurement(None, None, "mm", max_note, low=max_lo, high=max_hi)}
    sigma = (est.sigma_px or 0.0) * k
    max_sigma = (est.max_sigma_px if est.max_sigma_px is not None else est.sigma_px or 0.0) * k
    note = f"sub-pixel from the image, {est.profiles} profiles, {est.note} ({where})"
    return {"width_mm": Measurement(est.mean_px * k, sigma, "mm", note),  # type: ignore[operator]
            "max_width_mm": Measurement(est.max_px * k, max_sigma, "mm", note)}  # type: ignore[operator]


def measurable(m: dict[str, Measurement]) -> bool:
    """Whether a width reading gave a width: a value or a bound."""
    return m["width_mm"].value is not None or m["width_mm"].is_bound


def width_of_pieces(pieces: list[tuple[WidthEstimate, WidthView]]) -> dict[str, Measurement]:
    """One frame's width over its pieces (module doc); ``pieces`` longest first, at least one."""
    each = [(width_from_estimate(est, view), est, view) for est, view in pieces]
    usable = [(m, est, view) for m, est, view in each if measurable(m)]
    if not usable:
        return each[0][0]  # the longest piece's reason
    if len(usable) == 1:
        return usable[0][0]
    n = [float(est.profiles) for _, est, _ in usable]
    total = sum(n)

    def mean(values: list[float]) -> float:
        return sum(w * v for w, v in zip(n, values)) / total

    widths = [m["width_mm"] for m, _, _ in usable]
    k = mean([view.m_per_px_across * 1000.0 for _, _, view in usable])
    where = f"frame {usable[0][2].frame_index}, {k:.2f} mm/px across the crack"
    if all(w.value is not None for w in widths):
        sigma = mean([w.sigma or 0.0 for w in widths])
        widest = max((m["max_width_mm"] for m, _, _ in usable), key=lambda x: x.value or 0.0)
        note = f"sub-pixel from the image, {int(total)} profiles over {len(usable)} pieces ({where})"
        value = mean([float(w.value) for w in widths])  # type: ignore[arg-type]
        return {"width_mm": Measurement(value, sigma, "mm", note),
                "max_width_mm": Measurement(widest.value, widest.sigma, "mm", note)}
    lows = [float(w.value if w.value is not None else w.low) for w in widths]  # type: ignore[arg-type]
    highs = [float(w.value if w.value is not None else w.high) for w in widths]  # type: ignore[arg-type]
    lo, hi = mean(lows), mean(highs)
    note = (f"bound: between {lo:.2f} and {hi:.2f} mm over {int(total)} profiles of {len(usable)} pieces; the "
            f"crack's interior does not show at this resolution, so no single value ({where})")
    # the widest stretch: the widest piece's, each piece's own interval for its widest stretch
    maxes = [m["max_width_mm"] for m, _, _ in usable]
    max_lo = max(float(w.value if w.value is not None else w.low) for w in maxes)  # type: ignore[arg-type]
    max_hi = max(float(w.value if w.value is not None else w.high) for w in maxes)  # type: ignore[arg-type]
    max_note = (f"bound: the widest stretch of crack between {max_lo:.2f} and {max_hi:.2f} mm over {len(usable)} "
                f"pieces; the crack's interior does not show at this resolution, so no single value ({where})")
    return {"width_mm": Measurement(None, None, "mm", note, low=lo, high=hi),
            "max_width_mm": Measurement(None, None, "mm", max_note, low=max_lo, high=max_hi)}
