"""Open cracks wider than any the model was trained on, found in a pass over the frame reduced.

The model knows cracks up to about 25 px wide (DeepCrack's widest training cracks; UAV75's are
hairlines). A drone flown close to an open crack, the kind that grades worst, sees it 30-100 px
wide, and the model gives its inside background: in session 13's DeepCrack test run a third of all
missed crack pixels sat in 8 such images (models/MODEL_CARD.md, "Wide open cracks"). In the frame
reduced by ``scale`` (0.5: a 50-px crack is 25 px) the same crack is one the model knows. The
reduced pass's crack components that are wide at the frame's own scale (at least
``WIDE_CRACK_MIN_WIDTH_PX``, wider than any training crack) are added to the frame's class map as
crack where it says background; thinner ones are left to the full-scale passes, which see hairlines
the reduced frame has lost. The crack refinement (models.refine) then trims what was added to the
dark pixels, with a window sized to each crack's width.

Post-flight only (``skyinspect segment``, the evaluation): a reduced pass costs a quarter of a
full one, and onboard keeps one pass per frame. Numbers in models/MODEL_CARD.md (session 15).
"""

from __future__ import annotations

import cv2
import numpy as np

from models.postprocess import label_components
from models.refine import component_widths
from skyinspect.segmentation import CRACK

# the frame reduced by this factor for the extra pass (post-flight default; models.load_segmenter)
POST_FLIGHT_WIDE_CRACK_SCALE = 0.5
# a reduced pass's crack component is added when at least this wide at the frame's scale (px; width
# = area over centreline length): wider than DeepCrack's widest training cracks (~25 px). Chosen on
# validation: 20 px cost DeepCrack val 0.012 IoU (its cracks up to 25 px drawn wider), 30 and 40 px
# none; the enlarged hold-out gained 0.094 at 30 and 0.080 at 40.
WIDE_CRACK_MIN_WIDTH_PX = 30.0


def wide_crack_mask(class_map_reduced: np.ndarray, scale: float, height: int, width: int,
                    min_width_px: float = WIDE_CRACK_MIN_WIDTH_PX) -> np.ndarray:
    """Boolean (height, width) mask of the crack components of ``class_map_reduced`` (the class
    map of the frame reduced by ``scale``) that are at least ``min_width_px`` wide at the frame's
    own scale, enlarged back to it (nearest neighbour)."""
    if not 0.0 < scale < 1.0:
        raise ValueError(f"expected a reduction factor in (0, 1), got {scale!r}")
    crack = (class_map_reduced == CRACK).view(np.uint8)
    _, labels, stats = label_components(crack)
    # a crack is at least as long as it is wide: smaller than that square, a speck (whose one-pixel
    # skeleton would make its whole area its "width")
    long_enough = stats[:, cv2.CC_STAT_AREA] >= (min_width_px * scale) ** 2
    keep = (long_enough & (component_widths(labels, stats) / scale >= min_width_px)).astype(np.uint8)
    keep[0] = 0
    if not keep.any():
        return np.zeros((height, width), dtype=bool)
    return cv2.resize(keep[labels], (width, height), interpolation=cv2.INTER_NEAREST) > 0


def add_wide_cracks(class_map: np.ndarray, confidence: np.ndarray, wide: np.ndarray,
                    wide_crack_prob: np.ndarray) -> tuple[np.ndarray, tuple[slice, slice] | None]:
    """(``class_map`` with the ``wide`` pixels it gives background made crack, a new array when
    anything changes; the rectangle holding the added pixels, None when none were). ``confidence``
    takes the reduced pass's crack probability there (``wide_crack_prob``, at the frame's size), in
    place: the full-scale passes' top probability there is background's."""
    add = wide & (class_map == 0)
    x, y, w, h = cv2.boundingRect(add.view(np.uint8))
    if not w:
        return class_map, None
    out = class_map.copy()
    out[add] = CRACK
    confidence[add] = wide_crack_prob[add]
    return out, (slice(y, y + h), slice(x, x + w))
