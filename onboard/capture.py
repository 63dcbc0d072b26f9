"""Live frame sources: OpenCV ``VideoCapture`` on a V4L2 device, an RTSP URL or a GStreamer pipeline
(a Jetson CSI camera), plus the replay sources (image folder, video file) for tests and benches.

A live frame's capture time is the host clock (UTC) when ``grab()`` returned; the camera's own
latency (exposure → driver) is the ``latency_s`` the tagger adds. ``open_camera(spec)``:

- ``"0"``, ``"/dev/video0"``  → V4L2 device (``cv2.CAP_V4L2``)
- ``"rtsp://…"``, ``"http://…"`` → FFmpeg backend
- a string containing ``" ! "`` → GStreamer pipeline ending in ``appsink`` (see ``jetson_csi_pipeline``)
- a folder or a video file → ``onboard.frames`` sources; ``realtime_fps`` paces them like a camera
  and stamps them with the host clock (a stand-in camera for bench and tests).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from onboard.frames import Frame, open_frames
from skyinspect.errors import ImageError, InputError, describe

log = logging.getLogger(__name__)


def jetson_csi_pipeline(sensor_id: int = 0, width: int = 1920, height: int = 1080, fps: int = 30,
                        flip: int = 0) -> str:
    """GStreamer pipeline for a CSI camera on a Jetson (nvarguscamerasrc → BGR appsink)."""
    return (f"nvarguscamerasrc sensor-id={sensor_id} ! video/x-raw(memory:NVMM), width={width}, "
            f"height={height}, framerate={fps}/1, format=NV12 ! nvvidconv flip-method={flip} ! "
            f"video/x-raw, format=BGRx ! videoconvert ! video/x-raw, format=BGR ! "
            f"appsink drop=true max-buffers=2 sync=false")


def camera_backend(spec: str) -> tuple[object, int]:
    """(what to pass to VideoCapture, backend id) for a camera spec."""
    import cv2

    if re.fullmatch(r"\d+", spec):
        return int(spec), cv2.CAP_V4L2
    if spec.startswith("/dev/video"):
        return spec, cv2.CAP_V4L2
    if re.match(r"^(rtsp|rtsps|rtmp|http|https|udp)://", spec, re.IGNORECASE):
        return spec, cv2.CAP_FFMPEG
    if " ! " in spec:
        return spec, cv2.CAP_GSTREAMER
    return spec, cv2.CAP_ANY


class CameraSource:
    """Frames from an OpenCV VideoCapture until ``stop()`` or ``max_frames``.

    A camera that gives no frame for ``read_timeout_s`` (an IP camera rebooting, an RTSP/HTTP stream
    cut, a USB camera re-plugged) is reopened with back-off (``backoff_s`` … ``max_backoff_s``), as the
    MAVLink link is: before, it was taken as the end of the stream and the recording ended for the rest
    of the flight although the camera came back seconds later. ``reconnect=False``: end instead."""

    def __init__(self, spec: str, max_frames: int | None = None, read_timeout_s: float = 5.0,
                 size_px: tuple[int, int] | None = None, reconnect: bool = True, backoff_s: float = 0.5,
                 max_backoff_s: float = 5.0) -> None:
        self.spec = str(spec)
        self.size_px = size_px
        self.read_timeout_s, self.open_timeout_s = read_timeout_s, 10.0
        self._cap = self._open()
        if not self._cap.isOpened():
            import cv2

            backend = camera_backend(self.spec)[1]
            hint = {cv2.CAP_GSTREAMER: "OpenCV must be built with GStreamer (Jetson: the JetPack OpenCV)",
                    cv2.CAP_V4L2: "check the device exists and is not in use (v4l2-ctl --list-devices)",
                    cv2.CAP_FFMPEG: "check the URL plays in ffplay and the network route"}.get(backend)
            raise ImageError(describe(self.spec, "camera cannot be opened", hint))
        self.max_frames = max_frames
        self.reconnect, self.backoff_s, self.max_backoff_s = reconnect, backoff_s, max_backoff_s
        self.reconnects = 0
        self._stopped = False
        # A read that does not return at all (a Jetson CSI pipeline after a sensor error, a wedged V4L2 driver)
        # was never said: the record got no frames for the rest of the flight without a word. A watchdog says
        # it after 2 x read_timeout_s (past FFmpeg's own read timeout, which returns) and says its return.
        self._reading_since: float | None = None
        self._hung_since: float | None = None
        self._read_lock = threading.Lock()

    def _open(self) -> object:
        import cv2

        target, backend = camera_backend(self.spec)
        params: list[int] = []
        if backend == cv2.CAP_FFMPEG and hasattr(cv2, "CAP_PROP_READ_TIMEOUT_MSEC"):
            # FFmpeg's own limit is 30 s: a stalled stream held grab() that long before we could reopen it
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.open_timeout_s * 1000),
                      cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.read_timeout_s * 1000)]
        cap = cv2.VideoCapture(target, backend, params) if params else cv2.VideoCapture(target, backend)  # type: ignore[call-overload]
        if self.size_px is not None and cap.isOpened():  # V4L2 opens at the driver's default (often 640x480)
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size_px[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size_px[1])
        return cap

    def stop(self) -> None:
        self._stopped = True

    def _reopen(self, lost_at: float, what: str = "") -> bool:
        """Reopen until a frame can be grabbed again (True) or ``stop()`` (False); ``what``: said after 'no frame'."""
        log.warning("%s: no frame%s for %.1f s; reopening the camera until it answers", self.spec, what,
                    time.monotonic() - lost_at)
        self._cap.release()
        delay = self.backoff_s
        while not self._stopped:
            self._cap = self._open()
            if self._cap.isOpened() and self._grab():
                self.reconnects += 1
                log.warning("%s: camera back after %.1f s", self.spec, time.monotonic() - lost_at)
                return True
            self._cap.release()
            until = time.monotonic() + delay
            while not self._stopped and time.monotonic() < until:
                time.sleep(0.05)
            delay = min(delay * 2.0, self.max_backoff_s)
        return False

    def _grab(self) -> bool:
        with self._read_lock:
            self._reading_since = time.monotonic()
        try:
            return bool(self._cap.grab())
        finally:
            with self._read_lock:
                self._reading_since, hung = None, self._hung_since
                self._hung_since = None
            if hung is not None:
                log.warning("%s: the camera read returned again after %.1f s", self.spec, time.monotonic() - hung)

    def _watch_reads(self, done: threading.Event) -> None:
        limit_s = 2.0 * self.read_timeout_s
        while not done.wait(min(0.5, limit_s / 4)):
            with self._read_lock:
                since = self._reading_since
                if since is None or self._hung_since is not None or time.monotonic() - since < limit_s:
                    continue
                self._hung_since = since
            log.warning("%s: the camera read has not returned for %.1f s (a camera driver or pipeline that hangs); "
                        "no frames are recorded until it does", self.spec, time.monotonic() - since)

    def _retrieved(self) -> object | None:
        """The grabbed frame's image, or None when it does not decode."""
        ok, image = self._cap.retrieve()
        return image if ok and image is not None else None

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        failures_since = None
        done = threading.Event()
        threading.Thread(target=self._watch_reads, args=(done,), name="camera-watchdog", daemon=True).start()
        try:
            while not self._stopped and (self.max_frames is None or index < self.max_frames):
                asked = time.monotonic()
                ok = self._grab()
                t = time.time()
                # A frame grabbed that does not decode (corrupt MJPEG, an appsink without caps) is no frame
                # either: skipped with no clock, the capture went on without frames all flight, without a
                # word, the camera never reopened nor given up.
                image = self._retrieved() if ok else None
                if image is None:
                    failures_since = failures_since or asked  # a grab that timed out waited already
                    if time.monotonic() - failures_since <= self.read_timeout_s:
                        time.sleep(0.01)
                        continue
                    what = " that decodes" if ok else ""  # grabbed, not decoded
                    if not self.reconnect:
                        log.warning("%s: no frame%s for %.1f s; camera stream ended", self.spec, what,
                                    self.read_timeout_s)
                        return
                    if not self._reopen(failures_since, what):
                        return
                    failures_since = time.monotonic()  # the reopened camera has its own read_timeout_s
                    t = time.time()  # the first frame after reopening was grabbed just now
                    image = self._retrieved()
                    if image is None:
                        continue
                failures_since = None
                index += 1
                yield Frame(index, image, Path(self.spec), t)  # type: ignore[arg-type]
        finally:
            done.set()
            self._cap.release()


class PacedSource:
    """A folder or video replayed like a camera: ``fps`` frames a second, host-clock timestamps."""

    def __init__(self, path: Path, fps: float, stamp_now: bool = True, opened: object | None = None) -> None:
        # ``opened``: the replay's own source (its video frame rate kept), not the path opened again
        self.inner = opened if opened is not None else open_frames(Path(path))
        self.fps = float(fps)
        self.stamp_now = stamp_now
        self._stopped = False

    def __len__(self) -> int:
        return len(self.inner)

    def stop(self) -> None:
        self._stopped = True

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        for frame in self.inner:
            if self._stopped:
                return
            due = start + (frame.index - 1) / self.fps
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t = time.time() if self.stamp_now else frame.capture_time_utc_s
            yield replace(frame, capture_time_utc_s=t)


class CalibratedSize:
    """A live source whose every frame must have the calibration's size (``InputError`` naming the frame
    otherwise, as a replay refuses it): a camera at another resolution than its calibration was recorded
    without a word, every detection then placed with the wrong intrinsics. ``stop`` reaches the source."""

    def __init__(self, inner: object, camera: object) -> None:
        self.inner, self.camera = inner, camera

    def stop(self) -> None:
        getattr(self.inner, "stop", lambda: None)()

    def __iter__(self) -> Iterator[Frame]:
        from onboard.replay import check_frame_size

        for frame in self.inner:  # type: ignore[attr-defined]
            check_frame_size(frame, self.camera)  # type: ignore[arg-type]
            yield frame


def open_camera(spec: str, realtime_fps: float | None = None, max_frames: int | None = None,
                camera: object | None = None) -> object:
    """``camera`` (a CameraModel): frames of another size are refused, and a camera device is asked for it."""
    source = _open_camera(spec, realtime_fps, max_frames, camera)
    return CalibratedSize(source, camera) if camera is not None else source


def _open_camera(spec: str, realtime_fps: float | None, max_frames: int | None, camera: object | None) -> object:
    """A camera spec, folder or video → an iterable of ``Frame``. A folder or video must be paced: read
    as fast as it decodes, a live run dropped 288 of a 300-frame video (drop-oldest queue) and tagged
    the rest with the moment each was tagged, a time that has nothing to do with the frame."""
    path = Path(spec)
    if realtime_fps is not None and not realtime_fps > 0:
        raise InputError(describe("--realtime-fps", f"expected frames a second above 0, got {realtime_fps:g}",
                                  "e.g. --realtime-fps 5"))
    if path.exists():
        if not realtime_fps:
            raise InputError(describe(path, "is a folder or video file, not a camera: live, it would be read as "
                                      "fast as it decodes (most frames dropped) and stamped when processed",
                                      "Pass --realtime-fps FPS to play it as a camera, or give --mavlink a "
                                      "telemetry log to replay it"))
        paced = PacedSource(path, realtime_fps)
        if camera is not None:  # a folder: every photo's size from its header, before a record is made
            from onboard.replay import check_folder_sizes

            check_folder_sizes(paced.inner, camera)  # type: ignore[arg-type]
        return paced
    size = (camera.width_px, camera.height_px) if camera is not None else None  # type: ignore[attr-defined]
    return CameraSource(spec, max_frames=max_frames, size_px=size)
