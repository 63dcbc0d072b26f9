"""A segmenter that answers with the simulator's own label masks (a geometry check, not a model).

Running the demo flight through it separates the two error sources in the findings: whatever is
left when segmentation is perfect is the georeferencing, fusion and evaluation chain's own error.
Frames are recognised by the hash of their decoded pixels, so replay order does not matter.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

from models.postprocess import extract_instances
from skyinspect.errors import ImageError, InputError, describe
from skyinspect.segmentation import Segmentation


def _digest(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()


class TruthMaskSegmenter:
    """Implements the ``Segmenter`` protocol from a simulation folder's frames/ and truth_masks/."""

    model_id = "simulator-truth-masks"
    sha256 = "0" * 64

    def __init__(self, simulation: Path) -> None:
        frames, masks = Path(simulation) / "frames", Path(simulation) / "truth_masks"
        if not frames.is_dir() or not masks.is_dir():
            raise InputError(describe(simulation, "expected frames/ and truth_masks/ written by `skyinspect simulate`"))
        self._masks: dict[str, Path] = {}
        for frame in sorted(frames.glob("*.jpg")):
            image = cv2.imread(str(frame), cv2.IMREAD_COLOR)
            if image is None:
                raise ImageError(describe(frame, "cannot be decoded as an image"))
            self._masks[_digest(image)] = masks / f"{frame.stem}.png"

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        mask_path = self._masks.get(_digest(image_bgr))
        if mask_path is None:
            raise ImageError("frame is not one of the simulation's frames: the truth-mask segmenter only "
                             "answers for the frames it was built from")
        class_map = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
        if class_map is None:
            raise ImageError(describe(mask_path, "truth mask missing or unreadable"))
        return Segmentation(class_map, tuple(extract_instances(class_map)), self.model_id)
