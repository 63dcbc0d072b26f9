"""Test data paths and the fake segmenter shared by the onboard tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from skyinspect.segmentation import CRACK, Instance, Segmentation

DATA = Path(__file__).resolve().parents[1] / "data" / "telemetry"
FACADE_TLOG = DATA / "arducopter_sitl_facade" / "flight.tlog"
PLANE_DIR = DATA / "arduplane_real_2016"


class DarkPixelSegmenter:
    """Test double for the Segmenter protocol: pixels darker than 60 are 'crack'."""

    model_id = "test-dark-pixels"
    sha256 = "0" * 64

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        class_map = np.where(gray < 60, CRACK, 0).astype(np.uint8)
        contours, _ = cv2.findContours(class_map, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        instances = [Instance(CRACK, 0.9, c.reshape(-1, 2).astype(float), float(cv2.contourArea(c)))
                     for c in contours if len(c) >= 3]
        return Segmentation(class_map, tuple(instances), self.model_id)
