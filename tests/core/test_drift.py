"""Input drift check: frame statistics, the training reference, the flight verdict, the record."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pytest

from skyinspect.camera import CameraModel
from skyinspect.drift import DriftReference, FrameStats, check_drift, frame_stats
from skyinspect.errors import InputError
from skyinspect.pose import Pose
from skyinspect.record.reader import FlightRecordReader
from skyinspect.record.writer import FlightRecordWriter


def _concrete(seed: int, h: int = 480, w: int = 640) -> np.ndarray:
    """Grey, speckled, slightly blotchy: a stand-in for concrete at native scale."""
    rng = np.random.default_rng(seed)
    base = 120 + 25 * rng.random() + rng.normal(0, 12, (h, w))
    blotch = cv2.GaussianBlur(rng.normal(0, 30, (h, w)), (0, 0), 25)
    gray = np.clip(base + blotch, 0, 255).astype(np.uint8)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def _reference(n: int = 40) -> DriftReference:
    return DriftReference.from_stats("m1", [frame_stats(_concrete(i), np.full((8, 8), 0.9)) for i in range(n)])


def test_stats_follow_the_image() -> None:
    img = _concrete(0)
    s = frame_stats(img, np.full(img.shape[:2], 0.7, np.float32))
    assert 100 < s.brightness < 170 and s.contrast > 5 and s.sharpness > 0
    assert s.mean_confidence == pytest.approx(0.7)
    darker = frame_stats((img * 0.4).astype(np.uint8))
    assert darker.brightness < 0.5 * s.brightness and np.isnan(darker.mean_confidence)
    blurred = frame_stats(cv2.GaussianBlur(img, (0, 0), 3))
    assert blurred.sharpness < 0.1 * s.sharpness
    with pytest.raises(InputError):
        frame_stats(np.zeros((0, 0, 3), np.uint8))


def test_like_flight_passes_dark_or_blurred_flight_is_flagged() -> None:
    ref = _reference()
    like = [frame_stats(_concrete(100 + i), np.full((8, 8), 0.9)) for i in range(20)]
    verdict = check_drift(like, ref)
    assert not verdict.out_of_distribution, verdict.summary()
    dusk = [frame_stats((_concrete(200 + i) * 0.35).astype(np.uint8), np.full((8, 8), 0.9)) for i in range(20)]
    verdict = check_drift(dusk, ref)
    assert "brightness" in verdict.flagged and verdict.out_of_distribution
    assert "OUT OF DISTRIBUTION" in verdict.summary() and "brightness" in verdict.summary()
    foggy = [frame_stats(cv2.GaussianBlur(_concrete(300 + i), (0, 0), 4), np.full((8, 8), 0.9)) for i in range(20)]
    assert "sharpness" in check_drift(foggy, ref).flagged
    unsure = [frame_stats(_concrete(400 + i), np.full((8, 8), 0.5)) for i in range(20)]
    assert check_drift(unsure, ref).flagged == ("mean_confidence",)
    surer = [frame_stats(_concrete(500 + i), np.full((8, 8), 0.99)) for i in range(20)]
    assert not check_drift(surer, ref).out_of_distribution  # more confident than in training is no shift


def test_reference_json_round_trip_and_bad_file(tmp_path: Path) -> None:
    ref = _reference(10)
    again = DriftReference.from_json(ref.to_json())
    assert again == ref
    with pytest.raises(InputError, match="bad.json"):
        DriftReference.from_json('{"model_id": "x"}', tmp_path / "bad.json")
    with pytest.raises(InputError):
        DriftReference.from_stats("m", [])


def test_record_keeps_stats_and_the_verdict(tmp_path: Path) -> None:
    cam = CameraModel(fx_px=800, fy_px=800, cx_px=320, cy_px=240, width_px=640, height_px=480)
    ref = _reference(20)
    with FlightRecordWriter(tmp_path / "f", cam, "m1", "0" * 64, drift_reference=ref) as w:
        for i in range(6):
            w.add_frame(i, 1000.0 + i, (_concrete(500 + i) * 0.3).astype(np.uint8), Pose.untagged(1000.0 + i, "test"), None)
    with FlightRecordReader(tmp_path / "f") as r:
        stats = r.frame_stats()
        assert sorted(stats) == list(range(6)) and all(isinstance(s, FrameStats) for s in stats.values())
        assert np.isnan(stats[0].mean_confidence)  # no segmentation → no confidence, stored as NULL
        verdict = r.meta_json("input_drift")
    assert verdict["out_of_distribution"] and "brightness" in verdict["flagged"]
    json.dumps(verdict)


def test_record_without_stats_table_reads_as_empty(tmp_path: Path) -> None:
    cam = CameraModel(fx_px=800, fy_px=800, cx_px=320, cy_px=240, width_px=640, height_px=480)
    with FlightRecordWriter(tmp_path / "f", cam, "m1", "0" * 64) as w:
        w.add_frame(0, 1000.0, _concrete(1), Pose.untagged(1000.0, "test"), None)
    db = sqlite3.connect(tmp_path / "f" / "record.sqlite")
    db.execute("DROP TABLE frame_stats")
    db.commit()
    db.close()
    with FlightRecordReader(tmp_path / "f") as r:
        assert r.frame_stats() == {} and len(r) == 1


def _stats_by_definition(img: np.ndarray, confidence: np.ndarray | None) -> FrameStats:
    """The statistics as drift.py defines them and as the shipped reference was built
    (models/data/drift_reference.json): each patch converted to gray and filtered on its own."""
    from skyinspect.drift import _patch_boxes

    sums = sq = n = 0.0
    lap = []
    for y, x, ph, pw in _patch_boxes(*img.shape[:2]):
        patch = img[y:y + ph, x:x + pw]
        gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else patch
        mean, std = (float(v[0][0]) for v in cv2.meanStdDev(gray))
        k = float(gray.size)
        sums, sq, n = sums + mean * k, sq + (std * std + mean * mean) * k, n + k
        lap.append(float(cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_16S, ksize=1))[1][0][0]) ** 2)
    mean_all = sums / n
    conf = float(np.mean(confidence[::4, ::4], dtype=np.float64)) if confidence is not None else float("nan")
    return FrameStats(brightness=mean_all, contrast=float(np.sqrt(max(sq / n - mean_all ** 2, 0.0))),
                      sharpness=float(np.median(lap)), mean_confidence=conf)


@pytest.mark.parametrize("h, w", [(480, 640), (960, 1280), (1080, 1920), (257, 300), (200, 300), (100, 700),
                                  (384, 544), (256, 256), (9, 13)])
def test_stats_are_bit_identical_to_their_definition(h: int, w: int) -> None:
    """A flight is judged against a reference computed by this definition: a faster frame_stats must
    give the very same numbers (colour, gray and smooth frames; a view into a larger array)."""
    rng = np.random.default_rng(h * w)
    noise = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    big = rng.integers(0, 256, (h + 40, w + 60, 3), dtype=np.uint8)
    for img in (noise, cv2.GaussianBlur(noise, (0, 0), 2), noise[:, :, 1].copy(), big[17:17 + h, 31:31 + w],
                cv2.resize(_concrete(h), (w, h))):
        conf = rng.random((h, w), dtype=np.float32)
        assert frame_stats(img, conf).as_dict() == _stats_by_definition(img, conf).as_dict()
        assert list(frame_stats(img).as_dict()) == ["brightness", "contrast", "sharpness", "mean_confidence"]


def test_a_small_frame_is_converted_to_gray_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 3x3 grid of 256-px patches overlaps on a 640x480 frame (1.9 times its pixels): converting
    each patch cost the onboard recording thread 0.19 ms a frame where the whole frame costs 0.09."""
    small, large = _concrete(3), _concrete(3, 960, 1280)
    converted = []
    real = cv2.cvtColor

    def counting(src: np.ndarray, code: int, *args: object) -> np.ndarray:
        converted.append(src.shape[0] * src.shape[1])
        return real(src, code, *args)

    monkeypatch.setattr(cv2, "cvtColor", counting)
    frame_stats(small)
    assert sum(converted) == 480 * 640
    converted.clear()
    frame_stats(large)  # patches apart: only they are converted
    assert sum(converted) == 9 * 256 * 256
