"""Skeleton recall: a training loss term for thin cracks (the train extra only: imports torch).

Cross-entropy and Dice weigh a crack by its pixels, so a 1-2 px hairline counts for almost nothing
beside a wide crack or a rust patch, and the model learns to drop faint stretches (DeepCrack pixel
recall 0.68 at precision 0.88, models/MODEL_CARD.md). Skeleton recall (Kirchhoff et al., "Skeleton
Recall Loss for Connectivity Conserving and Resource Efficient Segmentation of Thin Tubular
Structures", ECCV 2024) adds ``1 - sum(p_crack * S) / sum(S)`` where S is the true crack's skeleton
widened by a pixel (a "tubed" skeleton): every stretch of crack weighs by its length, whatever its
width. The skeleton is taken on the batch, on the fly (tubed_skeleton).

Used by ``models.train --skeleton-recall W`` (the term's weight; 0 leaves ultralytics' loss as is).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from skyinspect.segmentation import CRACK


def tubed_skeleton(masks: torch.Tensor, class_id: int = CRACK) -> torch.Tensor:
    """(B, H, W) class-id masks → (B, H, W) 0/1: the class's skeleton (scikit-image, on the CPU: ~5
    ms a 384-px mask, where clDice's pooled soft skeleton took ~1 s a batch of 16) widened by a
    pixel, inside the class's pixels (so a perfect prediction covers all of it)."""
    import numpy as np
    from scipy.ndimage import binary_dilation
    from skimage.morphology import skeletonize

    binary = (masks == class_id).cpu().numpy()
    tube = np.zeros(binary.shape, dtype=np.float32)
    for i, m in enumerate(binary):
        if m.any():
            tube[i] = binary_dilation(skeletonize(m), structure=np.ones((3, 3), bool)) & m
    return torch.from_numpy(tube).to(masks.device)


def skeleton_recall(probs: torch.Tensor, masks: torch.Tensor, class_id: int = CRACK) -> torch.Tensor:
    """1 - the share of the class's tubed skeleton the class's probability covers (0 with no such
    pixels in the batch). ``probs``: (B, C, H, W) softmax; ``masks``: (B, H, W) class ids."""
    tube = tubed_skeleton(masks, class_id)
    total = tube.sum()
    if float(total) <= 0:
        return probs.sum() * 0.0
    return 1.0 - (probs[:, class_id] * tube).sum() / total


def with_skeleton_recall(base_loss: Any, weight: float) -> Any:
    """ultralytics' SemanticSegmentationLoss instance ``base_loss`` with ``weight`` x skeleton recall
    added to its total (reported as ``skel_loss``)."""

    class SkeletonRecallLoss(type(base_loss)):  # type: ignore[misc]
        def forward(self, preds: Any, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            total, items = super().forward(preds, batch)
            main = preds[0] if isinstance(preds, tuple) else preds
            masks = batch["semantic_mask"].to(main.device)
            if main.shape[2:] != masks.shape[1:]:
                main = F.interpolate(main, size=masks.shape[1:], mode="bilinear", align_corners=False)
            term = skeleton_recall(F.softmax(main, dim=1), masks) * weight
            return total + term * main.shape[0], {**items, "skel_loss": term.detach()}

    base_loss.__class__ = SkeletonRecallLoss
    return base_loss
