"""How often would a real crack be split by the joint-line rule? (groundstation.joints.joint_arm)

The rule splits a straight plumb or level line off a crack finding's measured centre lines. Its
risk is cutting a real crack whose own stretch happens to be straight and plumb or level. This
runs the rule on the ground-truth crack masks of the real data sets (UAV75 drone-shot concrete,
DeepCrack), each image's crack pixels taken as one finding (harsher than the ground station's one
finding per crack: more lines, more chances), with image columns as plumb and rows as level (as
on a face photographed level), 1 px = 1 GSD = 1 mm, and the centre lines made as
groundstation/crack_length.py makes them: the mask at 2 cells per pixel, thinned, spurs pruned,
each stretch simplified by 0.35 GSD. Counts the images where the rule would split something off,
and lists them. As a control, the same with a 3-px plumb line (a formwork joint as the model draws
it) painted through each image at the crack's mean column: how many of those lines are found, and
how much of the real crack stays with the crack (its centre line's length after the split over
before). Reads ../shared/data (nothing is copied into the project). JSON to
bench/results/joint_split_real.json.

    .venv/bin/python bench/joint_split_real.py [--data ../shared/data/cracks]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from groundstation.joints import joint_arm  # noqa: E402
from skyinspect.centreline import polyline_length_m  # noqa: E402
from skyinspect.skeleton import prune_spurs, skeleton_polylines  # noqa: E402
from skyinspect.surfaces.base import plane_chart  # noqa: E402

GSD_M = 0.001
CELLS_PER_PX = 2
FACE = plane_chart(np.zeros(3), np.array([-1.0, 0.0, 0.0]))  # v is up


def centrelines(mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """The mask's crack as crack_length would draw it: (K, 3) NED polylines on FACE."""
    from skimage.morphology import skeletonize

    band = cv2.resize((mask > 127).astype(np.uint8), None, fx=CELLS_PER_PX, fy=CELLS_PER_PX,
                      interpolation=cv2.INTER_NEAREST).astype(bool)
    if not band.any():
        return ()
    skel = skeletonize(band)
    width = 2.0 * float(cv2.distanceTransform(band.astype(np.uint8), cv2.DIST_L2, 3)[skel].max())
    skel = prune_spurs(skel, width + 2.0 * CELLS_PER_PX)
    lines = []
    for p in skeleton_polylines(skel):
        simple = cv2.approxPolyDP(p[:, ::-1].astype(np.float32).reshape(-1, 1, 2), 0.35 * CELLS_PER_PX, False)
        xy = simple.reshape(-1, 2).astype(np.float64) / CELLS_PER_PX * GSD_M  # (col, row) → metres
        if len(xy) >= 2:
            lines.append(FACE.to_3d(np.stack([xy[:, 0], -xy[:, 1]], axis=1)))  # rows run down, v up
    return tuple(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "cracks")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "joint_split_real.json")
    args = parser.parse_args()
    sets = {"uav75": sorted((args.data / "uav75" / "masks").glob("*.png")),
            "deepcrack": sorted((args.data / "deepcrack" / "masks").glob("*.png"))}
    if not any(sets.values()):
        print(f"{args.data}: no crack masks found (expected uav75/masks and deepcrack/masks)", file=sys.stderr)
        return 2
    result: dict[str, object] = {"rule": "groundstation.joints.joint_arm", "gsd_mm": 1.0, "sets": {}}
    t0 = time.perf_counter()
    for name, paths in sets.items():
        splits, metres, found, kept = [], 0.0, 0, []
        for path in paths:
            mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if mask is None:
                print(f"{path}: cannot be read; skipped", file=sys.stderr)
                continue
            lines = centrelines(mask)
            metres += sum(polyline_length_m(c) for c in lines)
            arm = joint_arm(lines, FACE, GSD_M)
            cols = np.flatnonzero((mask > 127).any(axis=0))
            if len(cols):
                painted = mask.copy()
                x = int(round(np.mean(np.argwhere(mask > 127)[:, 1])))
                painted[:, max(x - 1, 0):x + 2] = 255
                control = joint_arm(centrelines(painted), FACE, GSD_M)
                whole_height = 0.8 * mask.shape[0] * GSD_M
                if control is not None and control.way == "plumb" and control.arm_length_m > whole_height:
                    found += 1
                    before = sum(polyline_length_m(c) for c in lines)
                    kept.append(control.rest_length_m / before if before > 0 else float("nan"))
            if arm is not None:
                splits.append({"mask": path.name, "line_px": round(arm.arm_length_m / GSD_M),
                               "rest_px": round(arm.rest_length_m / GSD_M), "rms_px": round(arm.rms_m / GSD_M, 2),
                               "off_deg": round(arm.off_deg, 2), "way": arm.way})
        q = np.nanpercentile(kept, [5, 50, 95]) if kept else [float("nan")] * 3
        result["sets"][name] = {"images": len(paths), "crack_px": round(metres / GSD_M),  # type: ignore[index]
                                "split": len(splits), "splits": splits, "control_lines_found": found,
                                "control_crack_kept_p5_p50_p95": [round(float(v), 3) for v in q]}
        print(f"{name}: {len(splits)} of {len(paths)} images would have a line split off "
              f"({metres / GSD_M:,.0f} px of crack centre line); control: a plumb line through each found in "
              f"{found}, crack kept (after / before) p5 {q[0]:.2f}, median {q[1]:.2f}, p95 {q[2]:.2f}")
    result["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
