"""The exported training set labels every reviewed defect a crop shows, not only the one instance it was
cut around: a crack the detector saw as two pieces (one finding, two instances in each frame) was
exported with half of it unlabelled, and a confirmed rust patch beside it as background, so training
learned them as 'no defect'."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402

W = {"X-Reviewer": "ada", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def two_piece_crack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wandering crack in two pieces 3 cm apart (fused into one finding) and a rust patch just past it."""
    from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface

    from groundstation.pipeline import process

    tmp = tmp_path_factory.mktemp("export_labels")
    flight = face_flight(tmp / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M, 0.2, wander_m=0.01),
                                          crack_on_face(0.13, FLY_HEIGHT_M, 0.2, wander_m=0.01),
                                          corrosion_on_face(0.45, FLY_HEIGHT_M)])
    process(flight, tmp / "results", face_surface(), progress=False)
    return tmp / "results"


def _exported(results: Path, decisions: dict[str, str]) -> tuple[object, list[dict[str, object]], Path]:
    app = create_app(results)
    c = TestClient(app)
    for fid, action in decisions.items():
        assert c.post(f"/api/findings/{fid}/review", json={"action": action}, headers=W).status_code == 201
    r = c.post("/api/export", json={}, headers=W)
    assert r.status_code == 200, r.text
    out = Path(r.json()["folder"])
    return app.state.data, json.loads((out / "manifest.json").read_text())["samples"], out


def _drawn(poly: np.ndarray, offset: tuple[int, int], shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly - offset).astype(np.int32)], 1)
    return mask.astype(bool)


@pytest.mark.parametrize("rust", ["confirm", "reject"])
def test_every_reviewed_instance_in_a_crop_is_labelled(two_piece_crack: Path, tmp_path: Path, rust: str) -> None:
    import shutil

    results = tmp_path / "results"
    shutil.copytree(two_piece_crack, results)
    classes = {r["finding_id"]: r["class"] for r in TestClient(create_app(results)).get("/api/findings").json()}
    crack = next(f for f, c in classes.items() if c == "crack")
    patch = next(f for f, c in classes.items() if c == "corrosion")
    data, samples, out = _exported(results, {crack: "confirm", patch: rust})
    owner = {view: fid for fid, f in data.findings.items() for view in f.views}
    assert len({fi for fi, _ in data.findings[crack].views}) < len(data.findings[crack].views)  # two pieces a frame
    others = 0
    for s in samples:
        crop, _, (left, top) = data.view_crop(s["finding_id"], s["view"], outline=False)
        mask = cv2.imread(str(out / s["image"].replace("images/", "masks/").replace(".jpg", ".png")), cv2.IMREAD_UNCHANGED)
        lines = (out / s["image"].replace("images/", "labels/").replace(".jpg", ".txt")).read_text().splitlines()
        rec = data.frames[s["frame_index"]]
        want = 0
        for j, inst in enumerate(rec.instances):
            inside = _drawn(np.asarray(inst.polygon_px), (left, top), crop.shape)
            if not inside.any():
                continue
            fid = owner[(s["frame_index"], j)]
            positive = fid == crack or (fid == patch and rust == "confirm")
            if positive:
                want += 1
                others += fid != s["finding_id"] or j != data.findings[fid].views[s["view"]][1]
                cls = 1 if classes[fid] == "crack" else 2
                assert (mask[inside] == cls).mean() > 0.9, (s["image"], fid, j)  # half the crack had been 0
            else:
                assert (mask[inside] == 0).all()
        assert len(lines) == want, (s["image"], lines)
    assert others > 0  # the crops do show instances besides their own


def test_a_detection_that_only_touches_the_crop_gets_no_label(tmp_path: Path) -> None:
    """A detection left of the crop whose polygon reaches its edge: clipped to the crop it was a label
    line with every x 0 (a polygon of no area; 3 of the demo's 348 lines)."""
    from types import SimpleNamespace as NS

    from groundstation.review.export import _write_set

    crop = np.full((100, 100, 3), 128, np.uint8)
    own = [[40.0, 40.0], [60.0, 40.0], [60.0, 60.0], [40.0, 60.0]]
    across = [[-20.0, 10.0], [20.0, 10.0], [20.0, 30.0], [-20.0, 30.0]]  # half inside the crop
    touching = [[-30.0, 70.0], [0.0, 70.0], [0.0, 90.0], [-30.0, 90.0]]  # meets its left edge only
    frame = NS(frame_index=0, instances=[NS(polygon_px=p) for p in (own, across, touching)])
    findings = {"F-0001": NS(class_name="crack", views=((0, 0), (0, 1), (0, 2)))}
    data = NS(findings=findings, inspection={"inspection_date": "2025-06-01"}, frames={0: frame},
              view_crop=lambda fid, k, outline=True: (crop, np.asarray(own), (0, 0)) if k == 0 else None)
    state = {"F-0001": {"status": "confirmed", "label": None, "by": "ada", "comments": [], "seq": 1}}
    _write_set(data, state, tmp_path)  # type: ignore[arg-type]
    lines = next(tmp_path.glob("labels/*/*_v0.txt")).read_text().splitlines()
    assert len(lines) == 2, lines
    for line in lines:
        xy = np.asarray(line.split()[1:], dtype=float).reshape(-1, 2)
        assert (np.ptp(xy, axis=0) > 0).all(), line
