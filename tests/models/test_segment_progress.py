"""`skyinspect segment` shows progress within a photo: a 4000x2250 DJI photo with the post-flight passes
took ~70 s on 2 cores while the bar, moved per photo, sat at '0% -:--:--'."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from models import DEFAULT_MODEL_PATH
from models.model_file import ModelMetadata
from models.runtime import TiledSegmenter
from models.work_plan import model_input_px


class _Counting(TiledSegmenter):
    """The tiled runtime with a model that sees no defect, counting the input pixels it is given."""

    dynamic_shapes = True

    def __init__(self, **kwargs: object) -> None:
        super().__init__(DEFAULT_MODEL_PATH, ModelMetadata(("background", "crack", "corrosion"), 64, "test", "1"),
                         overlap=16, **kwargs)  # type: ignore[arg-type]
        self.input_px = 0

    def _infer(self, x: np.ndarray) -> np.ndarray:
        self.input_px += x.shape[0] * x.shape[2] * x.shape[3]
        probs = np.zeros((x.shape[0], 3) + x.shape[2:], np.float32)
        probs[:, 0] = 1.0
        return probs


@pytest.mark.parametrize("flips,upscale,wide,whole_max", [
    (1, None, None, 0), (4, 1.5, 0.5, 0), (4, 1.5, 0.5, 60_000), (2, 1.5, None, 10_000), (1, None, 0.5, 10**9)])
@pytest.mark.parametrize("h,w", [(50, 40), (225, 400), (301, 173)])
def test_the_planned_model_work_is_the_work_done(flips: int, upscale: float | None, wide: float | None,
                                                 whole_max: int, h: int, w: int) -> None:
    seg = _Counting(flips=flips, upscale=upscale, whole_frame_max_px=whole_max)
    seg.wide_crack_scale = wide
    seg.segment(np.full((h, w, 3), 128, np.uint8))
    assert seg.input_px == model_input_px(seg, h, w) > 0


def test_progress_moves_within_a_photo_and_ends_at_the_photo_count(tmp_path: Path) -> None:
    from models.batch import segment_images

    seg = _Counting(flips=4, upscale=1.5, whole_frame_max_px=0)
    seg.wide_crack_scale = 0.5
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(photos / name), rng.integers(0, 256, (200, 300, 3), dtype=np.uint8))
    said: list[float] = []
    done: list[int] = []
    segment_images(sorted(photos.iterdir()), tmp_path / "out", seg, on_progress=said.append,
                   on_done=lambda _r: done.append(len(said)))
    assert said == sorted(said) and said[-1] == 2.0  # never back, and whole at the end
    first_photo = said[:done[0]]
    assert len([v for v in first_photo if 0 < v < 1]) >= 10  # many steps inside the first photo
    assert abs(first_photo[-1] - 1.0) < 1e-9
    # a rerun keeps both photos: said as done at once
    again: list[float] = []
    segment_images(sorted(photos.iterdir()), tmp_path / "out", seg, on_progress=again.append)
    assert again == [1.0, 2.0]
    seg.segment(np.zeros((40, 60, 3), np.uint8))  # the hook is gone after the run: no error, nothing said
    assert again == [1.0, 2.0]


def test_progress_from_two_workers_is_said_in_the_order_it_was_reached() -> None:
    """Two parallel workers report at once: a value reached first must not be said after a later one
    (the bar went back: 0.8 then 0.3)."""
    import threading

    from models.work_plan import PhotoProgress

    said: list[float] = []
    first_in, release = threading.Event(), threading.Event()

    def say(value: float) -> None:
        if not said and not first_in.is_set():  # the first worker is held inside say
            first_in.set()
            release.wait(5)
        said.append(value)

    progress = PhotoProgress(say, 2)
    a, b = np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2, 3), np.uint8)
    first = threading.Thread(target=progress.frame_progress, args=(a, 0.3))
    first.start()
    assert first_in.wait(5)
    second = threading.Thread(target=progress.frame_progress, args=(b, 0.5))
    second.start()
    second.join(0.5)  # said 0.8 here, before the first worker said its 0.3
    release.set()
    first.join(5)
    second.join(5)
    assert said == sorted(said) == [0.3, 0.8]
