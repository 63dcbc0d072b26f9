"""Export reviewed findings as an ultralytics segmentation training set, so retraining learns from
the engineers' decisions.

Layout (``ultralytics`` YOLO-seg format)::

    OUT/data.yaml                 train, val, names (no path: the folder it is in)
    OUT/images/{train,val}/*.jpg  one crop per view of each reviewed finding (no drawn outline)
    OUT/labels/{train,val}/*.txt  "<class> x1 y1 x2 y2 ..." normalised polygon; empty for a rejection
    OUT/masks/{train,val}/*.png   the same polygon as a class-id mask (1 crack, 2 corrosion), for other tools
    OUT/manifest.json             finding, view, decision, reviewer of every sample

Confirmed findings keep their class, relabelled ones take the new label, rejected ones become
background samples (empty label file). Unreviewed findings are not exported. A sample's label (and mask)
holds every reviewed defect its crop shows, not only the instance it was cut around: the finding's other
instances in that frame (a crack detected in pieces) and other confirmed findings' instances, each as its
reviewed class; a rejected finding's instance is background. Detections of no reviewed finding (unreviewed,
or kept in no finding) are left unlabelled: ``unreviewed_in_view`` in the manifest counts those the crop
shows, so a trainer can leave such samples out. The split is by finding (every view of one finding in the
same split): a deterministic hash puts about 1 in 5 in ``val``. The set is written into a staging folder
beside OUT that replaces OUT when complete, so OUT holds exactly the samples its manifest lists.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from groundstation.review.data import ResultsData
from skyinspect.errors import InputError
from skyinspect.segmentation import CLASS_NAMES

NAMES = CLASS_NAMES[1:]  # ultralytics ids are 0-based: 0 crack, 1 corrosion
_SWAP = threading.Lock()  # two reviewers exporting at once: one set replaces the other whole


class ExportRefused(InputError):
    """Reviewed findings, but not one view of them could be cut: said why; the set exported before is kept."""


def export_training_set(data: ResultsData, state: dict[str, dict[str, Any]], out: Path) -> dict[str, Any]:
    """Write the set to ``out`` (replacing what an earlier export left there) and return its counts.
    Written in place, a second export had left every sample it could not cut again (a frame image gone,
    the flight record not there) on disk with its old label, beside a manifest that did not list it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:12]  # mkdtemp's folder would be private (0700) once it is the set
    part = out.with_name(f".{out.name}.part-{tag}")
    part.mkdir()
    try:
        summary = _write_set(data, state, part)
        decided = [fid for fid, s in state.items()
                   if s["status"] in ("confirmed", "rejected") and data.findings.get(fid) and data.findings[fid].views]
        if decided and not summary["samples"]:
            why = (f"the flight record {data.flight_not_found} is not there (moved?); restart `skyinspect serve "
                   "RESULTS --flight DIR` with it" if data.flight_not_found
                   else "their frame images could not be read from the flight record")
            raise ExportRefused(f"not exported: {len(decided)} findings are reviewed, but no view of them could be "
                                f"cut: {why}. {out} was left as it was")
        with _SWAP:
            old = out.with_name(f".{out.name}.old-{tag}")
            if out.exists():
                out.rename(old)
            try:
                part.rename(out)
            except OSError:  # the earlier set back in its place, not left under a hidden name
                if old.exists():
                    old.rename(out)
                raise
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(part, ignore_errors=True)  # gone once moved into place; else a failed export's
    return {**summary, "folder": str(out)}


def _write_set(data: ResultsData, state: dict[str, dict[str, Any]], out: Path) -> dict[str, Any]:
    for sub in ("images", "labels", "masks"):
        for split in ("train", "val"):
            (out / sub / split).mkdir(parents=True, exist_ok=True)
    manifest = []
    owners = _owners(data)
    for fid, s in sorted(state.items()):
        if s["status"] not in ("confirmed", "rejected") or fid not in data.findings:
            continue
        f = data.findings[fid]
        label = s["label"] or f.class_name
        split = "val" if int(hashlib.sha256(f"{data.inspection.get('inspection_date')}{fid}".encode()).hexdigest(), 16) % 5 == 0 else "train"
        for k in range(len(f.views)):
            got = data.view_crop(fid, k, outline=False)
            if got is None:
                continue
            crop, _, (left, top) = got
            h, w = crop.shape[:2]
            stem = f"{data.inspection.get('inspection_date', 'x')}_{fid}_v{k}"
            cv2.imwrite(str(out / "images" / split / f"{stem}.jpg"), crop)
            mask = np.zeros((h, w), np.uint8)
            lines, unreviewed = [], 0
            rec = data.frames[f.views[k][0]]
            for j, inst in enumerate(rec.instances):
                # every instance the crop shows, not only view k's: labelled by its finding's review
                pts = np.clip(np.asarray(inst.polygon_px, dtype=np.float64) - [left, top], 0, [w - 1, h - 1])
                if (np.ptp(pts, axis=0) == 0).any():  # outside the crop, or only meeting its edge: no area in it
                    continue
                cls = _reviewed_class(fid, s, label, owners.get((rec.frame_index, j), ()), state, data)
                if cls is None:
                    unreviewed += 1
                elif cls:
                    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], NAMES.index(cls) + 1)
                    lines.append(f"{NAMES.index(cls)} " + " ".join(f"{x / w:.6f} {y / h:.6f}" for x, y in pts))
            text = "".join(line + "\n" for line in lines)
            (out / "labels" / split / f"{stem}.txt").write_text(text)
            cv2.imwrite(str(out / "masks" / split / f"{stem}.png"), mask)
            manifest.append({"image": f"images/{split}/{stem}.jpg", "finding_id": fid, "view": k,
                             "frame_index": f.views[k][0], "decision": s["status"],
                             "label": label if s["status"] == "confirmed" else None, "reviewer": s["by"],
                             "instances_labelled": len(lines), "unreviewed_in_view": unreviewed})
    # no "path:": ultralytics then takes the folder data.yaml is in, so the set trains wherever the results
    # folder has moved (an absolute path went stale; a relative one is read under ultralytics' datasets dir)
    (out / "data.yaml").write_text("train: images/train\nval: images/val\nnames:\n"
                                   + "".join(f"  {i}: {n}\n" for i, n in enumerate(NAMES)))
    (out / "manifest.json").write_text(json.dumps({"samples": manifest}, indent=1))
    return {"samples": len(manifest),
            "positives": sum(1 for m in manifest if m["label"]), "negatives": sum(1 for m in manifest if not m["label"])}


def _owners(data: ResultsData) -> dict[tuple[int, int], tuple[str, ...]]:
    """(frame index, instance index) -> the findings that hold that detection among their views."""
    out: dict[tuple[int, int], tuple[str, ...]] = {}
    for fid, f in data.findings.items():
        for frame_index, instance_index in f.views:
            key = (int(frame_index), int(instance_index))
            out[key] = out.get(key, ()) + (fid,)
    return out


def _reviewed_class(fid: str, s: dict[str, Any], label: str, owners: tuple[str, ...],
                    state: dict[str, dict[str, Any]], data: ResultsData) -> str | None:
    """The class an instance is labelled in finding ``fid``'s sample: "" background, None not reviewed.
    An instance of ``fid`` itself follows its decision; any other, a confirmed finding holding it."""
    if fid in owners:
        return label if s["status"] == "confirmed" else ""
    decided = [(o, state[o]) for o in owners if state.get(o, {}).get("status") in ("confirmed", "rejected")]
    for o, r in decided:
        if r["status"] == "confirmed":
            return r["label"] or data.findings[o].class_name
    return "" if decided else None
