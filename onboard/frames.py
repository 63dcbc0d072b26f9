"""Frame sources for replay: a folder of images or a video file.

Capture times: a file name carrying a UTC timestamp (cuav style ``raw2016111223465120Z.png`` =
2016-11-12 23:46:51.20 UTC: 14 digits YYYYMMDDhhmmss, optional fraction digits, then ``Z``), else
EXIF DateTimeOriginal (+ SubSecTimeOriginal, OffsetTimeOriginal). For a video, the start time comes
from its name (same pattern) or the caller, plus each frame's container timestamp. These are taken to
be UTC (hence ``capture_time_utc_s``) unless the replay is told they are on the .tlog writer's clock
(``frame_clock="log"``, ``onboard.telemetry.frame_clock``), which maps them to UTC before tagging.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from skyinspect.errors import ImageError, InputError, describe
from skyinspect.jpeg import JPEG_SUFFIXES
from skyinspect.pixel_cap import refuse_over_cap

if TYPE_CHECKING:
    from onboard.photo_time import PhotoTime  # lazy at run time: PIL

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".m4v", ".ts")
_NAME_TIME = re.compile(r"(?<!\d)(\d{14})(\d{0,6})Z", re.IGNORECASE)
MAX_VIDEO_FPS = 240.0  # above any inspection camera's video mode: a higher stated rate is a broken header


@dataclass(frozen=True, eq=False)
class Frame:
    """One frame to process; ``index`` counts from 1 in source order. ``jpeg_bytes``: the file as
    read, for a frame decoded from a JPEG file (the record keeps those bytes, EXIF included, instead
    of encoding the image a second time, and the file is read once)."""

    index: int
    image_bgr: np.ndarray
    source: Path
    capture_time_utc_s: float | None
    jpeg_bytes: bytes | None = None


def is_hidden(path: Path) -> bool:
    """A hidden file, left out of a folder's images as file browsers leave it out: macOS writes a
    ``._DJI_0001.JPG`` of metadata beside every photo it copies to a FAT/exFAT card, which is no image
    (the replay refused the folder over it, and a DJI folder was not recognised as one)."""
    return path.name.startswith(".")


def natural_key(name: str) -> list[object]:
    """Sort key that puts img2 before img10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def time_from_name(name: str) -> float | None:
    """UTC seconds from a name like ``raw2016111223465120Z.png``; None if it carries none."""
    match = _NAME_TIME.search(name)
    if not match:
        return None
    try:
        stamp = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    frac = match.group(2)
    return stamp.timestamp() + (int(frac) / 10 ** len(frac) if frac else 0.0)


def exif_time(path: Path) -> tuple[float | None, bool]:
    """(UTC seconds from the photo's EXIF or None, whether the photo says how its clock relates to UTC:
    a GPS time stamp or OffsetTimeOriginal, ``onboard.photo_time``). Cameras usually write local time
    without either; it is then taken as UTC: only a constant offset from the telemetry results, which
    the replay's latency can absorb, so the replay says so, once, rather than refuse. The GPS time
    stamp was not read here before (only for DJI folders), so a phone's geotagged photos were taken
    as UTC although they said when they were taken in UTC."""
    from onboard.photo_time import photo_time  # lazy: PIL, only for files without a time in their name

    t = photo_time(path)
    return (t.utc_s, t.source != "local") if t is not None else (None, False)


class ImageFolderSource:
    """Images in one folder, in natural name order."""

    def __init__(self, folder: Path) -> None:
        from skyinspect.photo import is_listed  # lazy: cv2, as in __iter__

        self.path = Path(folder)
        if not self.path.is_dir():
            raise InputError(describe(self.path, "frames folder not found", "Pass a folder of images or a video"))
        # a broken link is listed (and refused when read): left out, every later frame took the pose of
        # the photo before it (frame n = CAMERA_FEEDBACK img_idx n)
        self.paths = sorted((p for p in self.path.iterdir() if is_listed(p) and p.suffix.lower() in IMAGE_SUFFIXES
                             and not is_hidden(p)), key=lambda p: natural_key(p.name))
        if not self.paths:
            raise InputError(describe(self.path, f"no images found; expected files ending in {', '.join(IMAGE_SUFFIXES)}",
                                      "Point --frames at the folder holding the captured images"))
        self._times: list[float | None] | None = None
        self.times_without_zone: list[str] = []  # EXIF times taken as UTC (see exif_time)
        self._read_times: dict[Path, PhotoTime] = {}  # EXIF times read already, by resolved path

    def use_photo_times(self, times: Mapping[Path, PhotoTime]) -> None:
        """EXIF capture times already read from these files (a DJI folder's, read for its telemetry), taken
        instead of opening and parsing each photo's EXIF again; a file not among them is read as before."""
        self._read_times = {Path(p).resolve(): t for p, t in times.items()}
        self._times = None

    def __len__(self) -> int:
        return len(self.paths)

    def capture_times(self) -> list[float | None]:
        """Each image's UTC capture time from its name or EXIF (None where neither has one); read once."""
        if self._times is None:
            times, self.times_without_zone = [], []
            for p in self.paths:
                t, zoned = time_from_name(p.name), True
                if t is None:
                    known = self._read_times.get(p.resolve()) if self._read_times else None
                    t, zoned = (known.utc_s, known.source != "local") if known is not None else exif_time(p)
                    if t is not None and not zoned:
                        self.times_without_zone.append(p.name)
                times.append(t)
            self._times = times
        return list(self._times)

    def __iter__(self) -> Iterator[Frame]:
        from skyinspect.photo import read_bgr, read_file_bytes  # lazy: cv2, as below

        for index, (path, t) in enumerate(zip(self.paths, self.capture_times()), start=1):
            # read as `segment` reads photos (skyinspect.photo): a 16-bit frame refused, not scaled to near black
            data = read_file_bytes(path) if path.suffix.lower() in JPEG_SUFFIXES else None
            yield Frame(index, read_bgr(path, data=data), path, t, data)


class VideoSource:
    """Frames of one video file; times = start (UTC) + the container's per-frame timestamps, or
    (index - 1) / ``fps`` where the caller states the camera's rate (a broken header's rate, see
    ``video_rate_problem``)."""

    def __init__(self, path: Path, start_utc_s: float | None = None, fps: float | None = None) -> None:
        import cv2

        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(describe(self.path, "video file not found"))
        if fps is not None and not (math.isfinite(fps) and 0 < fps <= MAX_VIDEO_FPS):
            raise InputError(describe(self.path, f"video frame rate must be above 0 and at most "
                                      f"{MAX_VIDEO_FPS:g} fps, got {fps:g}", "Pass the camera's video frame rate"))
        self.fps_given = fps
        cap = cv2.VideoCapture(str(self.path))
        try:
            if not cap.isOpened():
                raise ImageError(describe(self.path, "cannot be opened as a video",
                                          "Convert it to MP4/H.264 or extract the frames into a folder"))
            self._count = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
            self.fps = float(cap.get(cv2.CAP_PROP_FPS))
            refuse_over_cap(self.path, int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                            "its frames are")
        finally:
            cap.release()
        self.start_utc_s = start_utc_s if start_utc_s is not None else time_from_name(self.path.name)
        self.rate_problem = video_rate_problem(self.path, self.fps) if fps is None else None

    def __len__(self) -> int:
        return self._count

    def refuse_bad_rate(self, telemetry: Path) -> None:
        """Refuse to time the frames by a broken stated rate: every frame would get the pose of another
        moment, and without CAMERA_FEEDBACK (frame n = img_idx n) nothing else would tell."""
        if self.rate_problem is not None:
            raise InputError(describe(
                self.path, f"cannot time its frames: {self.rate_problem}, and {Path(telemetry).name} has no "
                "CAMERA_FEEDBACK for every frame to pair them by number instead",
                "Pass the camera's real frame rate (--video-fps 30 for 30 fps; run_replay(video_fps=30)), "
                "or log CAMERA_FEEDBACK for every frame"))

    def capture_times(self) -> list[float | None]:
        """Known only while decoding; this reports whether they will be available."""
        return [self.start_utc_s] * self._count if self.start_utc_s is not None else [None] * self._count

    def __iter__(self) -> Iterator[Frame]:
        import cv2

        cap = cv2.VideoCapture(str(self.path))
        try:
            index = 0
            while True:
                ok, image = cap.read()
                if not ok:
                    break
                index += 1
                pos_s = ((index - 1) / self.fps_given if self.fps_given is not None
                         else cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
                t = self.start_utc_s + pos_s if self.start_utc_s is not None else None
                yield Frame(index, image, self.path, t)
        finally:
            cap.release()
        if index == 0:
            raise ImageError(describe(self.path, "no frame could be decoded from the video"))


def avi_stream_rate(path: Path) -> tuple[int, int] | None:
    """(dwRate, dwScale) of an AVI's video stream header, or None for no AVI / no video stream: FFmpeg
    reports a rate of 0 as 25 fps, so only the header tells a broken rate from a real 25."""
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return None
    if head[:4] != b"RIFF" or head[8:12] != b"AVI ":
        return None
    at = head.find(b"strh", 12)
    while at >= 0 and at + 36 <= len(head):  # the first stream may be audio
        if head[at + 8:at + 12] == b"vids":
            scale, rate = struct.unpack_from("<II", head, at + 28)
            return rate, scale
        at = head.find(b"strh", at + 4)
    return None


def video_rate_problem(path: Path, fps: float) -> str | None:
    """What is wrong with the frame rate a video states, or None. An AVI has no per-frame timestamps:
    frame k is timed k / rate, so a wrong rate times every frame wrongly (1000 fps put a 30 fps video's
    frames 1 ms apart)."""
    avi = avi_stream_rate(path) if path.suffix.lower() == ".avi" else None
    if avi is not None and (avi[0] == 0 or avi[1] == 0):
        return f"its AVI header states a frame rate of 0 ({avi[0]}/{avi[1]}), which the decoder reads as {fps:g} fps"
    if not math.isfinite(fps) or fps <= 0:
        return f"it states no usable frame rate ({fps:g} fps)"
    if fps > MAX_VIDEO_FPS:
        return f"it states {fps:g} fps, more than any inspection camera records ({MAX_VIDEO_FPS:g})"
    return None


def open_frames(path: Path, video_start_utc_s: float | None = None,
                video_fps: float | None = None) -> ImageFolderSource | VideoSource:
    """A folder → its images; a video file → its frames (``video_fps``: its real rate, for a video only)."""
    path = Path(path)
    if path.suffix.lower() in VIDEO_SUFFIXES and not path.is_dir():
        return VideoSource(path, video_start_utc_s, video_fps)
    if video_fps is not None:
        raise InputError(describe(path, "a video frame rate was given for frames that are not a video file",
                                  "Leave out the video frame rate (--video-fps) for a folder of images"))
    if path.is_dir():
        return ImageFolderSource(path)
    if path.exists():
        raise InputError(describe(path, f"expected a folder of images or a video ({', '.join(VIDEO_SUFFIXES)})"))
    raise InputError(describe(path, "frames folder or video not found"))
