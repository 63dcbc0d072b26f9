"""segment_each: items segmented by a segmenter's parallel workers come back in order, errors with
their item, a bounded number in flight."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from skyinspect.segmentation import Segmentation, segment_each


class Workers:
    """A double whose ``parallel_workers`` segment an image whose first pixel says how long to take
    (ms) or, when 255, fail; records the threads that ran and the most running at once."""

    model_id, sha256 = "double", "0" * 64

    def __init__(self, shared: dict | None = None) -> None:
        self.shared = shared if shared is not None else {"threads": set(), "running": 0, "most": 0,
                                                         "lock": threading.Lock()}

    def parallel_workers(self, n: int | None = None) -> list[Workers]:
        return [Workers(self.shared) for _ in range(n or 2)]

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        s = self.shared
        with s["lock"]:
            s["threads"].add(threading.current_thread().name)
            s["running"] += 1
            s["most"] = max(s["most"], s["running"])
        try:
            if int(image_bgr[0, 0, 0]) == 255:
                raise ValueError("bad frame")
            time.sleep(int(image_bgr[0, 0, 0]) / 1000)
            return Segmentation(class_map=np.full(image_bgr.shape[:2], int(image_bgr[0, 0, 1]), np.uint8),
                                instances=(), model_id=self.model_id)
        finally:
            with s["lock"]:
                s["running"] -= 1


def _image(delay_ms: int, tag: int) -> np.ndarray:
    img = np.zeros((4, 4, 3), np.uint8)
    img[0, 0, :2] = delay_ms, tag
    return img


@pytest.mark.parametrize("workers", [None, 1, 3])
def test_results_come_back_in_order_whatever_finishes_first(workers: int | None) -> None:
    delays = [30, 1, 20, 1, 10, 1, 5, 1, 1, 25]
    double = Workers()
    out = list(segment_each(double, list(range(len(delays))), lambda i: _image(delays[i], i), workers))
    assert [i for i, _ in out] == list(range(len(delays)))
    assert [int(seg.class_map[0, 0]) for _, seg in out] == list(range(len(delays)))  # type: ignore[union-attr]
    expected = 1 if workers == 1 else (workers or 2)
    assert len(double.shared["threads"]) == expected and double.shared["most"] <= expected


def test_an_error_comes_back_with_its_item_and_the_rest_go_on() -> None:
    out = dict(segment_each(Workers(), [0, 1, 2], lambda i: _image(255 if i == 1 else 1, i)))
    assert isinstance(out[1], ValueError) and isinstance(out[0], Segmentation) and isinstance(out[2], Segmentation)


def test_a_segmenter_without_workers_runs_in_the_callers_thread() -> None:
    inner = Workers()

    class Plain:  # the Segmenter protocol only: model_id, sha256, segment
        model_id, sha256 = inner.model_id, inner.sha256
        segment = inner.segment

    out = list(segment_each(Plain(), [0, 1], lambda i: _image(1, i)))
    assert [i for i, _ in out] == [0, 1] and inner.shared["threads"] == {threading.current_thread().name}


def test_at_most_two_items_per_worker_are_read_ahead() -> None:
    loaded: list[int] = []
    gen = segment_each(Workers(), range(100), lambda i: (loaded.append(i), _image(1, i))[1], workers=2)
    first = next(gen)
    assert first[0] == 0 and len(loaded) <= 2 * 2 + 1
    gen.close()  # stopping early cancels what is queued
    assert len(loaded) <= 2 * 2 + 1
