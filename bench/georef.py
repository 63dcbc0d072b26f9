"""Georeferencing accuracy harness: simulated pier-face flights with known truth.

For each standoff × gimbal pitch × noise level, the simulator's flight plan (missions.simulator)
gives the true camera poses; synthetic cracks and corrosion spots are placed on the face, projected
into every frame through the true pose (with lens distortion), and the ground station georeferences,
fuses and measures them from *noisy* poses: a GNSS bias per lane (errors are correlated over a
pass) with σ = h_acc per horizontal axis and v_acc vertically, and per-frame attitude/gimbal noise
of σ_att on roll, pitch and yaw. The poses carry the same σ the noise was drawn with, as a receiver
would report them. Truth is the project's definition of a defect (``truth_defects``: same-class
pieces within MERGE_DISTANCE_M are one defect; centroid = that of their union, a crack's centreline
centroid or a patch's area centroid, like the simulator's truth). Reported per run: centroid error (m and in GSD), CE90 coverage (horizontal error
≤ CE90) and the median CE90, LE90 coverage, crack length error. Separately: crack width MAE on
rendered cracks of known width (1–10 px) and the time to georeference + fuse 1,000 frames.

    .venv/bin/python bench/georef.py            # writes bench/results/georef.json, prints a table
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from groundstation.crackwidth import crack_width_px  # noqa: E402
from groundstation.fuse import FuseParams, fuse  # noqa: E402
from groundstation.georef import georeference  # noqa: E402
from groundstation.load import LoadedFlight  # noqa: E402
from groundstation.measure import measure, polyline_length_m  # noqa: E402
from groundstation.plane import chart_for  # noqa: E402
from missions.simulator import SimConfig  # noqa: E402
from missions.simulator.flight import plan_flight  # noqa: E402
from missions.simulator.scene import face_frame, face_surface, face_uv_to_ned  # noqa: E402
from skyinspect.centreline import shape_centreline_centroid  # noqa: E402
from skyinspect.findings import MERGE_DISTANCE_M  # noqa: E402
from skyinspect.record import FrameRecord  # noqa: E402
from skyinspect.segmentation import CORROSION, CRACK, Instance  # noqa: E402

NOISE = {"exact": (0.0, 0.0, 0.0), "rtk": (0.02, 0.03, 0.2), "gnss": (0.8, 1.2, 0.5)}  # h, v (m), att (deg)


def _defects(cfg: SimConfig, rng: np.random.Generator, n: int = 14) -> list[dict]:
    """Defects inside the region the cameras look at (a tilted gimbal looks below the lanes)."""
    out = []
    shift = cfg.standoff_m * math.tan(math.radians(cfg.gimbal_pitch_deg))
    for k in range(n):
        u = cfg.region_u0_m + rng.uniform(0.2, cfg.region_width_m - 0.5)
        v = cfg.region_v0_m + shift + rng.uniform(0.2, cfg.region_height_m - 0.2)
        if k % 2 == 0:  # crack: gently curved polyline 0.15-0.3 m, 3 mm wide
            length = rng.uniform(0.15, 0.3)
            t = np.linspace(0, 1, 12)
            ang = rng.uniform(0, math.pi)
            uu = u + t * length * math.cos(ang) + 0.01 * np.sin(3 * t)
            vv = v + t * length * math.sin(ang)
            skel = face_uv_to_ned(uu, vv)
            d = np.gradient(np.stack([uu, vv], 1), axis=0)
            nrm = np.stack([-d[:, 1], d[:, 0]], 1) / np.linalg.norm(d, axis=1, keepdims=True) * 0.0015
            ring = np.concatenate([np.stack([uu, vv], 1) + nrm, (np.stack([uu, vv], 1) - nrm)[::-1]])
            out.append({"cls": CRACK, "outline": face_uv_to_ned(ring[:, 0], ring[:, 1]), "skeleton": skel,
                        "length_m": polyline_length_m(skel)})
        else:
            a = np.linspace(0, 2 * math.pi, 20, endpoint=False)
            r = rng.uniform(0.03, 0.08)
            out.append({"cls": CORROSION, "outline": face_uv_to_ned(u + r * np.cos(a), v + r * np.sin(a)),
                        "skeleton": None})
    return out


def _face_polygon(outline_ned: np.ndarray):  # type: ignore[no-untyped-def]
    from shapely.geometry import Polygon

    return Polygon(np.stack([outline_ned[:, 0], -outline_ned[:, 2]], 1))  # on the face: (north, up)


defects_of_piece: dict[int, int] = {}  # piece index → true defect index, of the last truth_defects call


def truth_defects(defects: list[dict]) -> list[dict]:
    """The true defects as the project defines one (skyinspect.findings, missions/simulator/truth.py):
    same-class pieces closer than MERGE_DISTANCE_M are one defect, and its centroid is that of the
    union of the pieces: of its centreline for a crack, of its area (pixel mean) for corrosion. Comparing a fused finding of two pieces 1 cm
    apart with the nearer piece's centroid would count the definition, not the georeferencing,
    as error. A merged crack has no single true length (None)."""
    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    polys = [_face_polygon(d["outline"]) for d in defects]
    defects_of_piece.clear()
    n = len(defects)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)
             if defects[i]["cls"] == defects[j]["cls"] and polys[i].distance(polys[j]) <= MERGE_DISTANCE_M]
    a = np.array([p[0] for p in pairs], dtype=int)
    b = np.array([p[1] for p in pairs], dtype=int)
    _, labels = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    out = []
    for lab in sorted(set(labels.tolist())):
        members = [k for k in range(n) if labels[k] == lab]
        defects_of_piece.update({k: len(out) for k in members})
        union = shapely.union_all([polys[k] for k in members])
        first = defects[members[0]]
        # a crack is placed at its centreline's centroid, a patch at its area's (skyinspect.centreline)
        line = shape_centreline_centroid(union) if first["cls"] == CRACK else None
        cx, cy = (float(line[0]), float(line[1])) if line is not None else (union.centroid.x, union.centroid.y)
        out.append({"cls": first["cls"], "centroid": np.array([cx, 0.0, -cy]), "pieces": len(members),
                    "skeleton": first["skeleton"] if len(members) == 1 else None,
                    "length_m": first.get("length_m") if len(members) == 1 else None})
    return out


def _noisy(pose, h: float, v: float, att: float, bias: np.ndarray, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    frame = face_frame()
    ned = frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m) + bias
    lat, lon, alt = frame.to_geodetic(ned)
    d = rng.normal(0, att, 3) if att > 0 else np.zeros(3)
    return replace(pose, lat_deg=float(lat), lon_deg=float(lon), alt_msl_m=float(alt),
                   gimbal_roll_deg=pose.gimbal_roll_deg + d[0], gimbal_pitch_deg=pose.gimbal_pitch_deg + d[1],
                   yaw_deg=(pose.yaw_deg + d[2]) % 360.0, h_acc_m=max(h, 1e-3), v_acc_m=max(v, 1e-3),
                   attitude_sigma_deg=max(att, 1e-3))


SOURCES: dict[tuple[int, int], int] = {}  # (frame, instance) → defect index, of the last simulated flight


def simulated_flight(cfg: SimConfig, noise: str, seed: int) -> tuple[LoadedFlight, list[dict]]:
    """A flight whose instances are the defects projected through the true poses; the poses are
    noisy. SOURCES records which defect each instance shows (the harness's identity truth)."""
    SOURCES.clear()
    rng = np.random.default_rng(seed)
    frame = face_frame()
    camera = cfg.camera()
    plan = plan_flight(cfg)
    defects = _defects(cfg, rng)
    h, v, att = NOISE[noise]
    biases = {lane: rng.normal(0, 1, 3) * np.array([h, h, v]) for lane in range(1, 50)}
    frames = []
    for cap in plan.captures:
        true = plan.pose_at(cap.t_s, frame, quantise=False)
        cam = frame.to_ned(true.lat_deg, true.lon_deg, true.alt_msl_m)
        r = true.r_ned_cam()
        insts = []
        for src, dfc in enumerate(defects):
            poly = camera.project((dfc["outline"] - cam) @ r)
            if not (np.isfinite(poly).all() and (poly >= 0).all() and (poly[:, 0] < camera.width_px - 1).all()
                    and (poly[:, 1] < camera.height_px - 1).all()):
                continue
            skel = camera.project((dfc["skeleton"] - cam) @ r) if dfc["skeleton"] is not None else None
            SOURCES[(cap.index, len(insts))] = src  # which true piece this instance shows
            insts.append(Instance(dfc["cls"], 0.9, poly, 0.0, skel))
        pose = _noisy(true, h, v, att, biases[cap.lane], rng)
        frames.append(FrameRecord(cap.index, pose.time_utc_s, camera.width_px, camera.height_px, pose, tuple(insts),
                                  None, None, "bench"))
    flight = LoadedFlight(Path("."), camera, "bench", {}, tuple(frames), len(frames), (), frame,
                          frame.h0_m, "bench")
    return flight, defects


def run_case(standoff: float, pitch: float, noise: str, seed: int) -> dict[str, object]:
    cfg = replace(SimConfig(), standoff_m=standoff, gimbal_pitch_deg=pitch, region_v0_m=8.0)
    flight, defects = simulated_flight(cfg, noise, seed)
    surface = face_surface()
    geo = georeference(flight, surface)
    basis = chart_for(surface, flight.origin)
    # crack linking off: the harness's cracks are independent random lines, and linking (which joins a
    # crack the model broke) joined two of them whose ends lie within 8 cm (seed 0 at 3 m: one finding
    # 133 mm from either), a difference of definition with the truth, not a georeferencing error
    # measured as the pipeline measures (groundstation/pipeline.py): with the flight and the frames'
    # footprints, which the crack length's check for misplaced frames needs
    footprints = {f.frame_index: f.footprint_ned_m for f in geo.frames if f.footprint_ned_m is not None}
    findings = measure(fuse(geo, flight.origin, basis, FuseParams(crack_link_distance_m=0.0)), geo.detections, basis,
                       flight=flight, surface=geo.surface, footprints=footprints)
    sources = dict(SOURCES)
    defects = truth_defects(defects)
    truth_c = np.array([d["centroid"] for d in defects])
    errs, horiz, vert, ce90, le90, gsd, len_err = [], [], [], [], [], [], []
    per_truth: dict[int, int] = {}
    for f in findings:
        # identity, not proximity: the true defect most of the finding's views show (a nearest-
        # centroid match within a gate would drop exactly the large errors CE90 must cover)
        votes = [defects_of_piece[sources[v]] for v in f.views if v in sources]
        k = max(set(votes), key=votes.count)
        per_truth[k] = per_truth.get(k, 0) + 1
        d = f.centroid_ned_m - truth_c[k]
        errs.append(float(np.linalg.norm(d)))
        horiz.append(float(np.hypot(d[0], d[1])))
        vert.append(abs(float(d[2])))
        ce90.append(f.ce90_m)
        le90.append(f.le90_m)
        gsd.append(f.gsd_m)
        m = f.measurements.get("length_mm")
        if defects[k]["skeleton"] is not None and m is not None and m.value is not None:
            len_err.append(abs(m.value / 1000 - defects[k]["length_m"]) / defects[k]["length_m"])
    ce, le = np.array(ce90), np.array(le90)
    return {"standoff_m": standoff, "gimbal_pitch_deg": pitch, "noise": noise, "seed": seed,
            "frames": len(flight.frames), "findings": len(findings), "matched": len(errs),
            "true_defects_found": len(per_truth),
            "findings_per_found_defect": float(len(findings) / max(len(per_truth), 1)),
            "true_defects": len(defects), "mean_error_m": float(np.mean(errs)), "mean_gsd_m": float(np.mean(gsd)),
            "error_in_gsd": float(np.mean(errs) / np.mean(gsd)),
            "ce90_coverage": float(np.mean(np.array(horiz) <= ce + 1e-12)), "median_ce90_m": float(np.median(ce)),
            "le90_coverage": float(np.mean(np.array(vert) <= le + 1e-12)), "median_le90_m": float(np.median(le)),
            "mean_length_error": float(np.mean(len_err)) if len_err else None, "horiz_errors_m": horiz,
            "ce90_m": ce90}


def render_crack(width_px: float, angle_deg: float, offset_px: float, seed: int, blur_px: float = 0.8,
                 noise: float = 2.0, background: float = 170.0, interior: float = 40.0) -> tuple[np.ndarray, np.ndarray]:
    """A straight dark band of exact width (8x8 supersampled coverage), Gaussian optics, noise."""
    import cv2

    h, w, ss = 120, 160, 8
    yy, xx = np.mgrid[0:h * ss, 0:w * ss]
    x, y = (xx + 0.5) / ss - 0.5, (yy + 0.5) / ss - 0.5
    a = math.radians(angle_deg)
    c = np.array([w / 2 + offset_px, h / 2 + 0.37 * offset_px])
    nrm = np.array([-math.sin(a), math.cos(a)])
    cover = (np.abs((x - c[0]) * nrm[0] + (y - c[1]) * nrm[1]) <= width_px / 2).reshape(h, ss, w, ss).mean(axis=(1, 3))
    img = cv2.GaussianBlur(background - (background - interior) * cover, (0, 0), blur_px)
    img = img + np.random.default_rng(seed).normal(0, noise, img.shape)
    t = np.linspace(-40, 40, 30)
    return np.clip(img, 0, 255), c + t[:, None] * np.array([math.cos(a), math.sin(a)]) + 0.3 * nrm


def width_bench() -> dict[str, object]:
    rows, k = [], 0
    for w in np.arange(1.0, 10.01, 0.5):
        for angle in (0.0, 30.0, 62.0):
            k += 1
            img, skel = render_crack(float(w), angle, 0.17 * k, seed=k)
            cal = crack_width_px(img, skel, interior_level=40.0)
            unc = crack_width_px(img, skel)
            rows.append({"width_px": float(w), "angle_deg": angle, "calibrated_px": cal.mean_px,
                         "uncalibrated_px": unc.mean_px, "bound_px": [unc.lower_px, unc.upper_px]})
    cal_err = [abs(r["calibrated_px"] - r["width_px"]) for r in rows]
    unc_val = [abs(r["uncalibrated_px"] - r["width_px"]) for r in rows if r["uncalibrated_px"] is not None]
    bounds_ok = [r["bound_px"][0] - 0.2 <= r["width_px"] <= r["bound_px"][1] + 0.2 for r in rows]
    return {"cases": len(rows), "mae_px_calibrated_interior": float(np.mean(cal_err)),
            "max_err_px_calibrated": float(np.max(cal_err)),
            "mae_px_uncalibrated_when_value": float(np.mean(unc_val)) if unc_val else None,
            "uncalibrated_values": len(unc_val), "uncalibrated_bounds_hold": float(np.mean(bounds_ok))}


def timing_bench(n_frames: int = 1000) -> dict[str, object]:
    cfg = replace(SimConfig(), region_width_m=28.0, region_u0_m=1.0, region_height_m=10.0, region_v0_m=3.0,
                  forward_overlap=0.8, side_overlap=0.7)
    flight, _ = simulated_flight(cfg, "rtk", 3)
    frames = (flight.frames * (n_frames // len(flight.frames) + 1))[:n_frames]
    frames = tuple(replace(f, frame_index=i) for i, f in enumerate(frames))
    flight = replace(flight, frames=frames, frames_total=len(frames))
    surface = face_surface()
    t0 = time.perf_counter()
    geo = georeference(flight, surface)
    t1 = time.perf_counter()
    findings = fuse(geo, flight.origin, chart_for(surface, flight.origin))
    t2 = time.perf_counter()
    return {"frames": len(frames), "detections": len(geo.detections), "findings": len(findings),
            "georeference_s": round(t1 - t0, 3), "fuse_s": round(t2 - t1, 3), "total_s": round(t2 - t0, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("bench/results/georef.json"))
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    runs = []
    for standoff in (3.0, 6.0, 10.0):
        for pitch in (0.0, -20.0):
            for noise in NOISE:
                for seed in range(args.seeds):
                    runs.append(run_case(standoff, pitch, noise, seed))
    summary = []
    for standoff in (3.0, 6.0, 10.0):
        for pitch in (0.0, -20.0):
            for noise in NOISE:
                rs = [r for r in runs if (r["standoff_m"], r["gimbal_pitch_deg"], r["noise"]) == (standoff, pitch, noise)]
                h = np.concatenate([r["horiz_errors_m"] for r in rs])
                c = np.concatenate([r["ce90_m"] for r in rs])
                le = [r["mean_length_error"] for r in rs if r["mean_length_error"] is not None]
                summary.append({"standoff_m": standoff, "gimbal_pitch_deg": pitch, "noise": noise,
                                "findings": int(len(h)), "mean_error_m": float(np.mean([r["mean_error_m"] for r in rs])),
                                "error_in_gsd": float(np.mean([r["error_in_gsd"] for r in rs])),
                                "ce90_coverage": float(np.mean(h <= c + 1e-12)), "median_ce90_m": float(np.median(c)),
                                "le90_coverage": float(np.mean([r["le90_coverage"] for r in rs])),
                                "mean_length_error": float(np.mean(le)) if le else None,
                                "findings_per_found_defect": float(np.mean([r["findings_per_found_defect"] for r in rs]))})
    all_h = np.concatenate([r["horiz_errors_m"] for r in runs if r["noise"] != "exact"])
    all_c = np.concatenate([r["ce90_m"] for r in runs if r["noise"] != "exact"])
    width = width_bench()
    timing = timing_bench()
    report = {"benchmark": "georef", "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "noise_levels": {k: {"h_acc_m": v[0], "v_acc_m": v[1], "attitude_deg": v[2]} for k, v in NOISE.items()},
              "summary": summary,
              "overall_noisy": {"findings": int(len(all_h)), "ce90_coverage": float(np.mean(all_h <= all_c)),
                                "median_ce90_m": float(np.median(all_c))},
              "width": width, "timing_1000_frames": timing,
              "runs": [{k: v for k, v in r.items() if k not in ("horiz_errors_m", "ce90_m")} for r in runs]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print("| standoff | gimbal pitch | noise | findings | mean error | error/GSD | CE90 coverage | median CE90 "
          "| LE90 coverage | length error | findings per defect |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for s in summary:
        le = "–" if s["mean_length_error"] is None else f"{100 * s['mean_length_error']:.1f} %"
        print(f"| {s['standoff_m']:.0f} m | {s['gimbal_pitch_deg']:.0f}° | {s['noise']} | {s['findings']} | "
              f"{1000 * s['mean_error_m']:.1f} mm | {s['error_in_gsd']:.2f} | {100 * s['ce90_coverage']:.0f} % | "
              f"{1000 * s['median_ce90_m']:.0f} mm | {100 * s['le90_coverage']:.0f} % | {le} | "
              f"{s['findings_per_found_defect']:.2f} |")
    o = report["overall_noisy"]
    print(f"\nnoisy runs overall: CE90 coverage {100 * o['ce90_coverage']:.1f} % of {o['findings']} findings, "
          f"median CE90 {1000 * o['median_ce90_m']:.0f} mm")
    print(f"crack width ({width['cases']} rendered cracks 1-10 px): MAE {width['mae_px_calibrated_interior']:.3f} px "
          f"(calibrated interior); uncalibrated: MAE {width['mae_px_uncalibrated_when_value']:.3f} px on "
          f"{width['uncalibrated_values']} values, bounds hold {100 * width['uncalibrated_bounds_hold']:.0f} %")
    print(f"georeference + fuse {timing['frames']} frames ({timing['detections']} detections): "
          f"{timing['total_s']:.2f} s (georef {timing['georeference_s']:.2f} s, fuse {timing['fuse_s']:.2f} s)")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
