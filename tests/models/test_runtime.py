"""The shipped ONNX model and the tiled runtime (no torch, no shared data)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from models import DEFAULT_MODEL_PATH, load_segmenter
from models.onnx_runtime import OnnxSegmenter
from models.decide import class_map_from_probs
from models.runtime import to_model_input
from skyinspect.errors import ImageError, ModelError
from skyinspect.segmentation import Segmentation

DATA = Path(__file__).with_name("data")


@pytest.fixture(scope="module")
def segmenter() -> OnnxSegmenter:
    return load_segmenter()


def test_shipped_model_metadata(segmenter: OnnxSegmenter) -> None:
    assert DEFAULT_MODEL_PATH.stat().st_size <= 25 * 1024 * 1024
    assert segmenter.classes == ("background", "crack", "corrosion")
    assert segmenter.input_size == 384
    assert segmenter.model_id.startswith("skyinspect-seg")
    assert len(segmenter.sha256) == 64
    meta = segmenter._session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["skyinspect.classes"]) == list(segmenter.classes)
    assert "NCHW" in meta["skyinspect.output"]


def test_session_does_not_busy_wait(segmenter: OnnxSegmenter) -> None:
    # onboard the capture and recording threads share the cores with inference (see runtime.py)
    opts = segmenter._session.get_session_options()
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    # a process that has the cores to itself (`skyinspect segment`, evaluation) lets them spin
    alone = load_segmenter(spin_wait=True)._session.get_session_options()  # type: ignore[attr-defined]
    assert alone.get_session_config_entry("session.intra_op.allow_spinning") == "1"


def test_parallel_workers_share_one_single_thread_session_and_segment_alike(segmenter: OnnxSegmenter) -> None:
    import threading

    workers = segmenter.parallel_workers(2)
    assert len(workers) == 2 and workers[0]._session is workers[1]._session is not segmenter._session
    assert all(w.model_id == segmenter.model_id and w.crack_threshold == segmenter.crack_threshold for w in workers)
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (240, 320, 3), dtype=np.uint8) for _ in range(2)]
    expected = [segmenter.segment(img) for img in images]
    got: dict[int, Segmentation] = {}
    threads = [threading.Thread(target=lambda i=i: got.__setitem__(i, workers[i].segment(images[i]))) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):  # at the same time, in their own threads: the same masks as one at a time
        assert np.array_equal(got[i].class_map, expected[i].class_map)
        np.testing.assert_allclose(got[i].confidence, expected[i].confidence, atol=1e-5)
    assert workers[0].last_timing is not workers[1].last_timing
    assert segmenter.parallel_workers(1) == [segmenter]
    gpu = OnnxSegmenter(DEFAULT_MODEL_PATH)
    gpu._providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]  # one device queue: no copies
    assert gpu.parallel_workers() == [gpu]


def test_cuda_asked_for_but_missing_runs_on_the_cpu_as_the_cpu_would_and_says_so(
        caplog: pytest.LogCaptureFixture) -> None:
    """`--backend onnxruntime-cuda` without a usable CUDA: ONNX Runtime fell back to the CPU with a
    cryptic warning while the segmenter still believed it had a GPU (one worker instead of the CPU's
    two, 1.4x fewer frames a second). Now it knows what it runs on and says why."""
    import os

    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has CUDA: nothing falls back")
    with caplog.at_level("WARNING"):
        seg = load_segmenter(backend="onnxruntime-cuda")
    assert seg._providers == ["CPUExecutionProvider"]  # type: ignore[attr-defined]
    assert any("CUDAExecutionProvider not available here" in r.getMessage() for r in caplog.records)
    assert len(seg.parallel_workers()) == (2 if (os.cpu_count() or 1) >= 2 else 1)


def test_segment_any_size(segmenter: OnnxSegmenter) -> None:
    img = np.random.default_rng(0).integers(0, 256, (700, 1000, 3), dtype=np.uint8)
    seg = segmenter.segment(img)
    assert isinstance(seg, Segmentation)
    assert seg.class_map.shape == (700, 1000) and seg.class_map.dtype == np.uint8
    assert seg.confidence is not None and seg.confidence.shape == (700, 1000)
    assert seg.model_id == segmenter.model_id


def test_identity_model_keeps_full_resolution() -> None:
    """Identity graph: probs == RGB/255, so argmax is the dominant colour channel at every pixel."""
    seg = OnnxSegmenter(DATA / "identity_with_metadata.onnx")
    img = np.zeros((500, 900, 3), np.uint8)
    img[..., 2] = 200  # red dominant -> class 0
    img[100:103, 50:850, 1] = 255  # a 3-px green line -> class 1, must survive tiling unsquashed
    img[300:400, 600:700, 0] = 255  # blue square -> class 2
    out = seg.segment(img)
    assert (out.class_map[100:103, 50:850] == 1).all()
    assert (out.class_map[300:400, 600:700] == 2).all()
    assert (out.class_map == 1).sum() == 3 * 800 and (out.class_map == 2).sum() == 100 * 100
    assert {i.class_id for i in out.instances} == {1, 2}


def test_not_onnx_raises_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "model.onnx"
    bad.write_text("definitely not a protobuf")
    with pytest.raises(ModelError, match="model.onnx"):
        OnnxSegmenter(bad)
    with pytest.raises(ModelError, match="missing.onnx"):
        OnnxSegmenter(tmp_path / "missing.onnx")


def test_onnx_without_metadata_raises_model_error() -> None:
    path = DATA / "no_metadata.onnx"
    with pytest.raises(ModelError, match="no_metadata.onnx") as e:
        OnnxSegmenter(path)
    assert "skyinspect" in str(e.value) and "models.export" in str(e.value)


@pytest.mark.parametrize("img", [np.zeros((64, 64), np.uint8), np.zeros((64, 64, 3), np.uint16),
                                 np.zeros((64, 64, 4), np.uint8), np.zeros((64, 64, 3), np.float32)])
def test_bad_images_raise_image_error(segmenter: OnnxSegmenter, img: np.ndarray) -> None:
    with pytest.raises(ImageError):
        segmenter.segment(img)


def test_runtime_is_torch_free() -> None:
    import subprocess
    import sys

    code = ("import sys, numpy as np; from models import load_segmenter; s = load_segmenter(); "
            "s.segment(np.zeros((400, 500, 3), np.uint8)); "
            "bad = [m for m in ('torch', 'ultralytics') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_model_input_is_rgb_over_255_nchw() -> None:
    tiles = np.random.default_rng(0).integers(0, 256, (2, 5, 7, 3), dtype=np.uint8)
    x = to_model_input(tiles)
    np.testing.assert_allclose(x, tiles[..., ::-1].transpose(0, 3, 1, 2).astype(np.float32) / 255.0, rtol=1e-6)
    # bit-identical to multiplying by float32(1/255), the conversion the models were evaluated with
    np.testing.assert_array_equal(x, tiles[..., ::-1].transpose(0, 3, 1, 2) * np.float32(1.0 / 255.0))
    whole = np.random.default_rng(1).integers(0, 256, (1, 33, 65, 3), dtype=np.uint8)[:, :, 1:]  # strided view
    np.testing.assert_array_equal(to_model_input(whole), whole[..., ::-1].transpose(0, 3, 1, 2) * np.float32(1.0 / 255.0))
    assert x.dtype == np.float32 and x.shape == (2, 3, 5, 7)


def test_threshold_metadata_is_checked(tmp_path: Path) -> None:
    from models.model_file import ModelMetadata

    base = {"skyinspect.classes": '["background", "crack", "corrosion"]', "skyinspect.input_size": "384",
            "skyinspect.normalisation": "rgb/255", "skyinspect.model_id": "m", "skyinspect.output": "probs"}
    assert ModelMetadata.parse(base, tmp_path / "m.onnx").crack_threshold is None
    assert ModelMetadata.parse({**base, "skyinspect.crack_threshold": "0.3"}, tmp_path / "m.onnx").crack_threshold == 0.3
    for bad in ("high", "1.5"):
        with pytest.raises(ModelError, match="m.onnx"):
            ModelMetadata.parse({**base, "skyinspect.crack_threshold": bad}, tmp_path / "m.onnx")
        with pytest.raises(ModelError, match="corrosion_threshold"):
            ModelMetadata.parse({**base, "skyinspect.corrosion_threshold": bad}, tmp_path / "m.onnx")
    meta = ModelMetadata.parse({**base, "skyinspect.corrosion_threshold": "0.85"}, tmp_path / "m.onnx")
    assert meta.corrosion_threshold == 0.85 and meta.crack_threshold is None


def test_whole_frame_pass_is_pixel_aligned_with_the_tiled_one() -> None:
    """Identity graph (probs == RGB/255): one padded pass and blended tiles give the same frame."""
    whole = OnnxSegmenter(DATA / "identity_with_metadata.onnx")
    tiled = OnnxSegmenter(DATA / "identity_with_metadata.onnx", whole_frame_max_px=0)
    assert whole.dynamic_shapes and whole.uses_whole_frame(517, 733) and not tiled.uses_whole_frame(517, 733)
    assert not whole.uses_whole_frame(3000, 4000)  # 12 MPx frames are tiled at native scale
    img = np.random.default_rng(3).integers(0, 256, (517, 733, 3), dtype=np.uint8)
    a, b = whole.predict_probs(img), tiled.predict_probs(img)
    expected = img[..., ::-1].transpose(2, 0, 1).astype(np.float32) / 255
    assert a.shape == b.shape == (3, 517, 733)
    np.testing.assert_allclose(a, expected, atol=1e-6)
    np.testing.assert_allclose(b, expected, atol=1e-5)
    small = img[:100, :150]  # padded up to one training tile, like the tiled path
    np.testing.assert_allclose(whole.predict_probs(small), expected[:, :100, :150], atol=1e-6)


def test_shipped_model_whole_frame_agrees_with_tiles(segmenter: OnnxSegmenter) -> None:
    """The shipped model on a real drone-shot crack (UAV75, GPL-3.0, missions/simulator/textures)
    gives nearly the same class map in one pass as in 384-px tiles."""
    import cv2

    img = cv2.imread(str(Path(__file__).parents[2] / "missions/simulator/textures/uav75_DSC00566.jpg"))
    tiled = OnnxSegmenter(DEFAULT_MODEL_PATH, whole_frame_max_px=0)
    tiled.prob_sharpen, tiled.crack_ridge_low = segmenter.prob_sharpen, segmenter.crack_ridge_low  # as loaded
    assert segmenter.uses_whole_frame(*img.shape[:2])
    a, b = segmenter.segment(img).class_map, tiled.segment(img).class_map
    assert (a == 1).sum() > 100 and (b == 1).sum() > 100
    assert (a == b).mean() > 0.98
    inter, union = ((a == 1) & (b == 1)).sum(), ((a == 1) | (b == 1)).sum()
    assert inter / union > 0.8  # measured 0.91


def test_shipped_model_crack_band_is_drawn_onto_the_dark_crack(segmenter: OnnxSegmenter) -> None:
    """On a real drone-shot crack with its annotation (UAV75, GPL-3.0), the runtime's crack
    refinement (models/refine.py) keeps a subset of the raw band that overlaps the annotated crack
    better, and the crack stays as long (its centreline is kept)."""
    import cv2

    textures = Path(__file__).parents[2] / "missions/simulator/textures"
    img = cv2.imread(str(textures / "uav75_DSC00566.jpg"))
    truth = cv2.imread(str(textures / "uav75_DSC00566_mask.png"), cv2.IMREAD_GRAYSCALE) > 127
    unrefined = OnnxSegmenter(DEFAULT_MODEL_PATH, crack_refine=None)
    unrefined.prob_sharpen, unrefined.crack_ridge_low = segmenter.prob_sharpen, segmenter.crack_ridge_low
    raw = unrefined.segment(img)
    refined = segmenter.segment(img)
    a, b = raw.class_map == 1, refined.class_map == 1
    assert b.sum() < a.sum() and not (b & ~a).any()

    def iou(pred: np.ndarray) -> float:
        return float((pred & truth).sum() / (pred | truth).sum())

    assert iou(b) > iou(a) + 0.02

    def crack_length(seg: object) -> float:
        from models.postprocess import polyline_length
        return sum(polyline_length(i.skeleton_px) for i in seg.instances if i.skeleton_px is not None)

    assert crack_length(refined) > 0.9 * crack_length(raw)


def test_crack_ridge_setting_is_checked_and_applied() -> None:
    from models.refine import extend_along_ridges, refine_cracks

    with pytest.raises(ModelError, match="crack_ridge_low"):
        load_segmenter(crack_ridge_low=0.7)
    assert load_segmenter(crack_ridge_low=0).crack_ridge_low is None
    seg = load_segmenter(crack_ridge_low=0.3, prob_sharpen=None)
    assert seg.crack_ridge_low == 0.3 and load_segmenter(flips=4).crack_ridge_low == 0.3  # the default
    img = np.full((192, 256, 3), 170, np.uint8)
    cv2.line(img, (10, 30), (240, 160), (60, 60, 60), 2)
    cv2.line(img, (240, 160), (250, 190), (140, 140, 140), 1)  # a fainter end
    probs = seg.predict_probs(img)
    class_map = class_map_from_probs(probs, seg.crack_threshold, seg.corrosion_threshold)[0]
    want = refine_cracks(extend_along_ridges(class_map, probs[1], 0.3, 2), img)
    assert np.array_equal(seg.segment(img).class_map, want)
