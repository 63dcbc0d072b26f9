"""Input drift: is this flight's imagery like the imagery the model was trained on?

A segmentation model is only as good as the match between its training images and the frames it
sees. Per frame we keep four cheap statistics (brightness, contrast, sharpness, the model's own
mean confidence); the model ships the same statistics over its training set as a reference
(central 95 % range per statistic). A flight is flagged out-of-distribution when, for any statistic,
more than ``DEFAULT_MAX_OUTSIDE_FRACTION`` of its frames fall outside that range: in-distribution
frames fall outside it 5 % of the time, so half the flight outside is a real shift (dusk, fog, a
dirty lens, a new surface) and the findings of that flight deserve less trust.

Statistics are taken at native pixel scale (the scale the model sees through tiling) on a grid of
patches, so a 4000x3000 frame costs about as much as a 1280x960 one.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from skyinspect.errors import InputError, describe

STAT_NAMES: tuple[str, ...] = ("brightness", "contrast", "sharpness", "mean_confidence")
# Only a drop counts for these: a model *more* sure than on its training crops (which are centred on
# defects) is what plain concrete looks like, not a shift.
LOW_SIDE_ONLY: tuple[str, ...] = ("mean_confidence",)
DEFAULT_MAX_OUTSIDE_FRACTION = 0.5
PATCH_PX = 256
PATCH_GRID = 3  # 3x3 patches per frame


@dataclass(frozen=True)
class FrameStats:
    """Image statistics of one frame. ``brightness``/``contrast``: mean/std of 8-bit gray (0-255);
    ``sharpness``: variance of the 3x3 Laplacian of gray (higher = sharper); ``mean_confidence``:
    mean over pixels of the model's top-class probability (NaN without a model)."""

    brightness: float
    contrast: float
    sharpness: float
    mean_confidence: float = float("nan")

    def as_dict(self) -> dict[str, float]:
        # by name, not dataclasses.asdict (a deep copy): the recorder asks for it on every frame
        return {name: float(getattr(self, name)) for name in STAT_NAMES}


@lru_cache(maxsize=16)  # one frame size per flight: the boxes are worked out once
def _patch_boxes(h: int, w: int) -> tuple[tuple[int, int, int, int], ...]:
    ph, pw = min(PATCH_PX, h), min(PATCH_PX, w)
    ys = sorted({int(v) for v in np.linspace(0, h - ph, PATCH_GRID)}) if h > ph else [0]
    xs = sorted({int(v) for v in np.linspace(0, w - pw, PATCH_GRID)}) if w > pw else [0]
    return tuple((y, x, ph, pw) for y in ys for x in xs)


def frame_stats(image_bgr: np.ndarray, confidence: np.ndarray | None = None,
                no_data: np.ndarray | None = None) -> FrameStats:
    """Statistics of one uint8 BGR (or gray) frame, plus the mean of ``confidence`` if given.
    ``no_data`` (bool, H x W: an orthophoto's collar) is left out of them (``_stats_with_no_data``).

    Only the patches are converted and filtered (not the frame; a frame smaller than the patches'
    total is converted to gray once, the same pixels), and the confidence mean is taken on every 4th
    pixel each way; the Laplacian is int16 (exact for its integer kernel, |value| <= 4*255, and half
    the memory of float32): ~0.8 ms instead of ~5 on the onboard recording thread."""
    import cv2

    img = np.asarray(image_bgr)
    if img.ndim not in (2, 3) or img.size == 0:
        raise InputError(describe("image", f"expected an (H, W[, 3]) image, got shape {img.shape}"))
    if no_data is not None and np.any(no_data):
        return _stats_with_no_data(img, confidence, np.asarray(no_data, bool))
    sums = sq = n = 0.0
    lap = []
    boxes = _patch_boxes(*img.shape[:2])
    patch_px = len(boxes) * boxes[0][2] * boxes[0][3]
    frame_gray = None
    if img.ndim == 3 and img.dtype == np.uint8 and patch_px > img.shape[0] * img.shape[1]:
        # the patches overlap (a 640x480 frame: 1.9 times its pixels), so converting the frame once is
        # less work; 8-bit gray is integer arithmetic per pixel, so each patch's gray is the same
        frame_gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    for y, x, ph, pw in boxes:
        if frame_gray is not None:
            gray = frame_gray[y:y + ph, x:x + pw]
        else:
            patch = img[y:y + ph, x:x + pw]
            gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else patch
        mean, std = (float(v[0][0]) for v in cv2.meanStdDev(gray))
        k = float(gray.size)
        sums, sq, n = sums + mean * k, sq + (std * std + mean * mean) * k, n + k
        lap.append(float(cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_16S, ksize=1))[1][0][0]) ** 2)
    mean_all = sums / n
    conf = float(np.mean(confidence[::4, ::4], dtype=np.float64)) if confidence is not None else float("nan")
    return FrameStats(brightness=mean_all, contrast=float(np.sqrt(max(sq / n - mean_all ** 2, 0.0))),
                      sharpness=float(statistics.median(lap)), mean_confidence=conf)


def _stats_with_no_data(img: np.ndarray, confidence: np.ndarray | None, no_data: np.ndarray) -> FrameStats:
    """``frame_stats`` over the pixels that hold data: an ortho's black collar read as a dark, contrasty
    photo (3 UAV75 photos with a 55 % collar: brightness 87-119, contrast 84-113, flagged). Each patch's
    mean and spread over its data pixels, its Laplacian's on those a pixel away from the collar (the
    collar's edge is no texture); a patch under a quarter data is left out (NaN if all are)."""
    import cv2

    sums = sq = n = 0.0
    lap = []
    for y, x, ph, pw in _patch_boxes(*img.shape[:2]):
        patch = img[y:y + ph, x:x + pw]
        gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else patch
        valid = (~no_data[y:y + ph, x:x + pw]).astype(np.uint8)
        k = float(np.count_nonzero(valid))
        if k < 0.25 * valid.size:
            continue
        mean, std = (float(v[0][0]) for v in cv2.meanStdDev(gray, mask=valid))
        sums, sq, n = sums + mean * k, sq + (std * std + mean * mean) * k, n + k
        inner = cv2.erode(valid, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)
        if inner.any():
            lap.append(float(cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_16S, ksize=1), mask=inner)[1][0][0]) ** 2)
    conf = float("nan")
    if confidence is not None and not no_data.all():
        # every 4th pixel each way, as without no data: an ortho's whole-size gather took its size again
        sample = ~no_data[::4, ::4]
        conf = float(np.mean(np.asarray(confidence)[::4, ::4][sample], dtype=np.float64)) if sample.any() \
            else float(np.mean(np.asarray(confidence)[~no_data], dtype=np.float64))
    if not n:
        return FrameStats(float("nan"), float("nan"), float("nan"), conf)
    mean_all = sums / n
    return FrameStats(brightness=mean_all, contrast=float(np.sqrt(max(sq / n - mean_all ** 2, 0.0))),
                      sharpness=float(statistics.median(lap)) if lap else float("nan"), mean_confidence=conf)


@dataclass(frozen=True)
class StatRange:
    """Central range of one statistic over the reference set (2.5th to 97.5th percentile)."""

    low: float
    median: float
    high: float


@dataclass(frozen=True)
class DriftReference:
    """The training set's statistics, shipped with the model it belongs to."""

    model_id: str
    n_images: int
    ranges: Mapping[str, StatRange]
    source: str = ""

    @classmethod
    def from_stats(cls, model_id: str, stats: Sequence[FrameStats], source: str = "") -> DriftReference:
        if not stats:
            raise InputError(describe(source or "reference", "no images to build a drift reference from"))
        ranges = {}
        for name in STAT_NAMES:
            values = np.array([getattr(s, name) for s in stats], dtype=np.float64)
            values = values[np.isfinite(values)]
            if len(values):
                lo, med, hi = np.percentile(values, [2.5, 50.0, 97.5])
                ranges[name] = StatRange(float(lo), float(med), float(hi))
        return cls(model_id=model_id, n_images=len(stats), ranges=ranges, source=source)

    def to_json(self) -> str:
        return json.dumps({"model_id": self.model_id, "n_images": self.n_images, "source": self.source,
                           "ranges": {k: asdict(v) for k, v in self.ranges.items()}}, indent=1)

    @classmethod
    def from_json(cls, text: str, origin: str | Path = "drift reference") -> DriftReference:
        try:
            d = json.loads(text)
            ranges = {k: StatRange(float(v["low"]), float(v["median"]), float(v["high"]))
                      for k, v in d["ranges"].items()}
            return cls(model_id=str(d["model_id"]), n_images=int(d["n_images"]), ranges=ranges,
                       source=str(d.get("source", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(describe(origin, f"expected a drift reference JSON with model_id, n_images and "
                                              f"ranges, got an error ({exc})",
                                      "rebuild it with `python -m models.drift_reference`")) from exc


@dataclass(frozen=True)
class DriftReport:
    """Verdict for one flight: per statistic, the fraction of frames outside the reference range
    and the flight's median; ``flagged`` names the statistics that drifted."""

    model_id: str
    n_frames: int
    outside_fraction: Mapping[str, float]
    flight_median: Mapping[str, float]
    reference: Mapping[str, StatRange]
    flagged: tuple[str, ...] = field(default=())
    max_outside_fraction: float = DEFAULT_MAX_OUTSIDE_FRACTION

    @property
    def out_of_distribution(self) -> bool:
        return bool(self.flagged)

    def summary(self, unit: str = "frames", results: str = "this flight's detections") -> str:
        """``unit``/``results``: what was checked and what to distrust (segment's photos and their masks)."""
        if not self.n_frames:
            return "drift check: no frame statistics in this flight"
        if not self.flagged:
            return f"drift check: {self.n_frames} {unit} look like the training imagery"
        parts = []
        for name in self.flagged:
            r = self.reference[name]
            parts.append(f"{name} {self.flight_median[name]:.3g} (training {r.low:.3g}-{r.high:.3g}; "
                         f"{self.outside_fraction[name]:.0%} of {unit} outside)")
        return "OUT OF DISTRIBUTION: " + "; ".join(parts) + f". Treat {results} with caution."

    def as_dict(self) -> dict[str, object]:
        return {"model_id": self.model_id, "n_frames": self.n_frames,
                "out_of_distribution": self.out_of_distribution, "flagged": list(self.flagged),
                "outside_fraction": dict(self.outside_fraction), "flight_median": dict(self.flight_median),
                "reference": {k: asdict(v) for k, v in self.reference.items()},
                "max_outside_fraction": self.max_outside_fraction, "summary": self.summary()}


def check_drift(stats: Iterable[FrameStats], reference: DriftReference,
                max_outside_fraction: float = DEFAULT_MAX_OUTSIDE_FRACTION) -> DriftReport:
    """Compare a flight's frame statistics with the model's training reference."""
    stats = list(stats)
    outside: dict[str, float] = {}
    medians: dict[str, float] = {}
    flagged = []
    for name, rng in reference.ranges.items():
        values = np.array([getattr(s, name) for s in stats], dtype=np.float64)
        values = values[np.isfinite(values)]
        if not len(values):
            continue
        out = values < rng.low if name in LOW_SIDE_ONLY else (values < rng.low) | (values > rng.high)
        frac = float(np.mean(out))
        outside[name], medians[name] = frac, float(np.median(values))
        if frac > max_outside_fraction:
            flagged.append(name)
    return DriftReport(model_id=reference.model_id, n_frames=len(stats), outside_fraction=outside,
                       flight_median=medians, reference=dict(reference.ranges), flagged=tuple(flagged),
                       max_outside_fraction=max_outside_fraction)


def stats_from_row(values: Mapping[str, object]) -> FrameStats:
    """FrameStats from a record row (NULL → NaN)."""
    def num(key: str) -> float:
        v = values.get(key)
        return float(v) if v is not None else math.nan  # type: ignore[arg-type]
    return FrameStats(*(num(k) for k in STAT_NAMES))
