"""Replay mode: recorded frames + a telemetry log → a tagged, segmented flight record.

The log may be a MAVLink .tlog, an ArduPilot DataFlash .bin, a PX4 .ulg or a folder of DJI photos
(``onboard.telemetry.sources.read_telemetry`` picks the reader by content).

Capture times, in order of preference:
1. CAMERA_FEEDBACK (or PX4's CAMERA_IMAGE_CAPTURED): when the log has one per frame (img_idx 1..N),
   frame n is photo img_idx n and gets the pose the autopilot reported at the trigger
   (``TelemetryBuffer.pose_for_event``); with more photos than frames, frames that carry their own
   times take the photo nearest them (a photo deleted from the card shifted every later one).
2. The frame's own time (file name or EXIF; video start + frame timestamps) plus ``latency_s``,
   interpolated in the telemetry (``TelemetryBuffer.pose_at``). ``frame_clock`` says which clock
   that time is on: ``utc``, ``log`` (the computer that wrote the .tlog; mapped to UTC through the
   log's TIMESYNC round trips) or ``auto`` (see ``onboard.telemetry.frame_clock``).
Every input is checked before ``out`` is created; a failure mid-run removes what this run wrote.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from glob import escape as glob_escape
from dataclasses import dataclass
from pathlib import Path

from onboard.dji_frames import is_self_folder, self_folder_events, untagged_why
from onboard.ending import DID_NOT_FINISH, ended_meta
from onboard.frames import Frame, ImageFolderSource, VideoSource, open_frames
from onboard.taggers import ReplayTagger
from onboard.telemetry.buffer import CameraEvent, TelemetryBuffer
from onboard.telemetry.dji import read_dji_flight
from onboard.telemetry.mount import FixedMount
from onboard.telemetry.frame_clock import (FRAME_CLOCKS, FrameClock, map_frame_clock, numbers_contradict_times,
                                         outside_note, pair_by_time)
from onboard.telemetry.sources import detect_kind, read_telemetry
from skyinspect.camera import CameraModel
from skyinspect.errors import InputError, RecordError, SkyinspectError, describe
from skyinspect.leftovers import remove_dead, trailing_pid
from skyinspect.record import FlightRecordWriter
from skyinspect.record.format import DB_NAME
from skyinspect.record.writer import being_written
from skyinspect.segmentation import Segmenter, segment_each, settings_of

log = logging.getLogger(__name__)


class ReplayError(SkyinspectError, RuntimeError):
    """Processing a frame failed for a reason other than bad input (e.g. the segmenter raised)."""


@dataclass(frozen=True)
class ReplaySummary:
    frames: int
    tagged: int
    untagged: int
    instances: int
    elapsed_s: float
    fps: float
    capture_time_source: str  # "camera_feedback" or "frame_timestamp"
    out: Path


@dataclass(frozen=True)
class _Plan:
    buffer: TelemetryBuffer
    source: ImageFolderSource | VideoSource
    capture_time_source: str
    events: dict[int, CameraEvent]
    frame_clock: FrameClock | None = None  # frame time → telemetry time (None with CAMERA_FEEDBACK)
    photo_time: dict[str, object] | None = None  # a DJI folder's dji_photo_time, from its photos as read for telemetry
    untagged_why: dict[int, str] | None = None  # frame index → why it has no CAMERA_FEEDBACK (onboard.dji_frames)

    def telemetry_time_s(self, frame_s: float) -> float:
        return self.frame_clock.to_telemetry_s(frame_s) if self.frame_clock is not None else frame_s

    def tagger(self) -> ReplayTagger:
        """How both replays (run_replay, onboard.runtime's --crash-safe) tag a frame: by its CAMERA_FEEDBACK,
        else its own time; a DJI photo without a pose has no CAMERA_FEEDBACK (onboard.dji_frames)."""
        return ReplayTagger(self.buffer, self.events if self.capture_time_source == "camera_feedback" else None,
                            self.telemetry_time_s, self.untagged_why)

    def meta(self) -> dict[str, object]:
        """The record meta this plan decides, for both replays (run_replay, onboard.runtime's --crash-safe):
        each built its own, and the crash-safe one had missed dji_photo_time."""
        origin = self.buffer.local_frame
        meta: dict[str, object] = {
            "local_origin": {"lat_deg": origin.lat0_deg, "lon_deg": origin.lon0_deg, "h_m": origin.h0_m},
            "capture_time_source": self.capture_time_source, "telemetry_time": self.buffer.describe_time_base()}
        if (separation := self.buffer.geoid_separation()) is not None:  # findings.geojson's ellipsoidal heights
            meta["geoid_separation"] = separation
        if self.frame_clock is not None:
            meta["frame_clock"] = self.frame_clock.describe()
        if self.photo_time is not None:  # whether the record's times are UTC or the camera's local clock
            meta["dji_photo_time"] = self.photo_time
        return meta


def run_replay(frames: Path, mavlink: Path, out: Path, segmenter: Segmenter, camera: CameraModel,
               latency_s: float = 0.0, gap_threshold_s: float = 1.0, progress: bool = True, *,
               overwrite: bool = False, time_base: str = "auto",
               video_start_utc_s: float | None = None, frame_clock: str = "auto",
               fixed_mount: FixedMount | None = None, video_fps: float | None = None) -> ReplaySummary:
    """Segment and tag every frame and write them to the flight record ``out``."""
    started = time.monotonic()
    frames, mavlink, out = Path(frames), Path(mavlink), Path(out)
    plan = _validate(frames, mavlink, out, segmenter, camera, latency_s, gap_threshold_s, overwrite,
                     time_base, video_start_utc_s, frame_clock, fixed_mount, video_fps)
    # an old record (_validate checked it is one) is replaced only once the new one is whole: removed
    # first, a replay that then failed (a photo cut short at frame 400) left no record at all
    replacing = out.exists() and overwrite and any(out.iterdir())
    target = out.parent / f".{out.name}.replacing-{os.getpid()}" if replacing else out
    if replacing:  # what runs killed while replacing this record left beside it (this pid's too)
        shutil.rmtree(target, ignore_errors=True)
        remove_dead(out.parent.glob(f".{glob_escape(out.name)}.replacing-*"), trailing_pid)
    created = not target.exists()
    meta = {"mode": "replay", "telemetry_source": str(mavlink.resolve()), "frames_source": str(frames.resolve()),
            "latency_s": latency_s, "gap_threshold_s": gap_threshold_s, "segmentation": settings_of(segmenter),
            # errors and Ctrl-C remove the record, but after a SIGKILL or a power cut the frames committed so
            # far stay: it reads "did not finish" until the last frame is in (as the runtime's records do)
            "ended": ended_meta(DID_NOT_FINISH), **plan.meta()}
    if fixed_mount is not None:
        meta["camera_mount"] = fixed_mount.describe()
    writer: FlightRecordWriter | None = None
    frame: Frame | None = None
    count = tagged = instances = 0
    tagger = plan.tagger()  # as the crash-safe runtime tags
    try:
        writer = FlightRecordWriter(target, camera, segmenter.model_id, segmenter.sha256, extra_meta=meta,
                                    drift_reference=getattr(segmenter, "drift_reference", None))
        # frames are segmented by the segmenter's parallel workers, a few ahead, and recorded in order
        for frame, segmentation in segment_each(segmenter, _checked(plan.source, camera, progress),
                                                lambda f: f.image_bgr):
            if isinstance(segmentation, Exception):
                raise segmentation
            pose = tagger(frame)
            writer.add_frame(frame.index, pose.time_utc_s, frame.image_bgr, pose, segmentation,
                             jpeg_bytes=frame.jpeg_bytes)
            count += 1
            tagged += pose.is_tagged
            instances += len(segmentation.instances)
        writer.set_meta("ended", ended_meta("the frames ended", count))
        writer.close()
        if replacing:
            _swap_into_place(target, out)
    except BaseException as exc:  # noqa: BLE001 - includes Ctrl-C: a replay is all or nothing
        _close_quietly(writer)
        _remove_partial(target, created)
        if isinstance(exc, SkyinspectError) or not isinstance(exc, Exception):
            raise
        where = frame.source if frame is not None else out
        index = f"frame {frame.index}: " if frame is not None else ""
        raise ReplayError(describe(where, f"{index}{type(exc).__name__}: {exc}")) from exc
    elapsed = time.monotonic() - started
    if count - tagged:
        log.warning("%s: %d of %d frames untagged (see each frame's pose status)", out, count - tagged, count)
    return ReplaySummary(count, tagged, count - tagged, instances, elapsed, count / elapsed if elapsed > 0 else 0.0,
                         plan.capture_time_source, out)


def _checked(source: ImageFolderSource | VideoSource, camera: CameraModel, progress: bool) -> Iterator[Frame]:
    for frame in _with_progress(source, len(source), progress):
        check_frame_size(frame, camera)
        yield frame


# --- validation ---------------------------------------------------------------------------------
def _validate(frames: Path, mavlink: Path, out: Path, segmenter: Segmenter, camera: CameraModel,
              latency_s: float, gap_threshold_s: float, overwrite: bool, time_base: str,
              video_start_utc_s: float | None, frame_clock: str, fixed_mount: FixedMount | None = None,
              video_fps: float | None = None) -> _Plan:
    if not isinstance(camera, CameraModel):
        raise InputError(f"camera: expected a CameraModel (load one with CameraModel.load), got {type(camera).__name__}")
    if not callable(getattr(segmenter, "segment", None)) or not hasattr(segmenter, "model_id"):
        raise InputError(f"segmenter: expected an object with segment(image_bgr) and model_id/sha256 "
                         f"(models.load_segmenter), got {type(segmenter).__name__}")
    _check_out(out, overwrite)
    plan = plan_replay(frames, mavlink, latency_s, gap_threshold_s, time_base, video_start_utc_s,
                       frame_clock, fixed_mount, video_fps)
    check_folder_sizes(plan.source, camera)
    return plan


def plan_replay(frames: Path, mavlink: Path, latency_s: float = 0.0, gap_threshold_s: float = 1.0,
                time_base: str = "auto", video_start_utc_s: float | None = None,
                frame_clock: str = "auto", fixed_mount: FixedMount | None = None,
                video_fps: float | None = None) -> _Plan:
    """Open the frames and the telemetry and decide how each frame gets its capture time."""
    frames, mavlink = Path(frames), Path(mavlink)
    if frame_clock not in FRAME_CLOCKS:
        raise InputError(describe(frames, f"frame clock must be one of {FRAME_CLOCKS}, got {frame_clock!r}",
                                  "Pass utc (GNSS time), log (the .tlog writer's clock) or auto"))
    source = open_frames(frames, video_start_utc_s, video_fps)
    kind = detect_kind(mavlink)
    if frame_clock == "log" and kind != "tlog":
        raise InputError(describe(mavlink, f"frame clock 'log' means the clock of the computer that wrote a "
                                  f".tlog, but this is a {kind} log, timed by the vehicle or camera itself",
                                  "Pass --frame-clock utc (or auto) for frames stamped in UTC"))
    dji = read_dji_flight(mavlink) if kind == "dji" else None  # its photos read once: records and dji_photo_time
    messages = dji.records if dji is not None else read_telemetry(mavlink, kind)[0]
    photo_time = dji.photo_time if dji is not None else None
    if dji is not None and isinstance(source, ImageFolderSource):  # the frames' EXIF times as read just now
        source.use_photo_times(dji.times)
    buffer = TelemetryBuffer(messages, mavlink, latency_s, gap_threshold_s, time_base, fixed_mount)
    if fixed_mount is not None and buffer.gimbal_source is not None:
        log.warning("%s: the log carries gimbal attitude (%s), which is ignored: the camera is tagged as fixed to "
                    "the airframe at pitch %g deg, as the command line says. Leave the mount out to use the log's",
                    mavlink, buffer.gimbal_source, fixed_mount.pitch_deg)
    n = len(source)
    events: dict[int, CameraEvent] = {}
    for event in buffer.camera_events():
        events.setdefault(event.img_idx, event)  # two cameras share img_idx numbers: keep the first
    if dji is not None and is_self_folder(frames, mavlink, kind, source):  # the frames are the photos: photo n is frame n
        return _Plan(buffer, source, "camera_feedback", self_folder_events(source, mavlink, events),  # type: ignore[arg-type]
                     photo_time=photo_time, untagged_why=untagged_why(source, dji.skipped))  # type: ignore[arg-type]
    times = source.capture_times()
    clock = None  # the frames' times on the telemetry's, mapped once (its warnings said once)
    if n and all(i in events for i in range(1, n + 1)):
        clock = _clock_or_none(buffer, frame_clock, frames) if all(t is not None for t in times) else None
        by_time = pair_by_time(buffer, events, times, clock, kind == "dji") if len(events) != n and clock is not None \
            else None
        if by_time is not None:
            missing = sorted(set(events) - {e.img_idx for e in by_time.values()})
            log.warning("%s: %d CAMERA_FEEDBACK events for %d frames in %s: each frame is paired with the photo "
                        "nearest its own time (photos without a frame: img_idx %s)", mavlink, len(events), n, frames,
                        ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else ""))
            return _Plan(buffer, source, "camera_feedback", by_time, photo_time=photo_time)
        not_photos = numbers_contradict_times(buffer, events, times, clock) if clock is not None else None
        if not_photos is not None:  # tagged at their own times below
            log.warning("%s: %s; each frame is tagged by the telemetry at its own time", frames, not_photos)
        elif len(events) != n:  # frame n takes img_idx n: one photo missing shifts every later pose
            log.warning("%s: %d CAMERA_FEEDBACK events (img_idx %d..%d) for %d frames in %s; frame n takes the "
                        "pose of img_idx n, so if photos are missing from the folder (deleted, or on another "
                        "card) every later frame gets the pose of another photo. Check the counts match",
                        mavlink, len(events), min(events), max(events), n, frames)
        if not_photos is None:
            return _Plan(buffer, source, "camera_feedback", events, photo_time=photo_time)
    if n and all(t is not None for t in times):
        if isinstance(source, VideoSource):  # timed by its container: its stated rate must hold
            source.refuse_bad_rate(mavlink)
        if time_base == "auto" and frame_clock == "auto":  # (its clock 'same', on whichever buffer is picked)
            buffer, clock = _pick_time_base(buffer, messages, mavlink, latency_s, gap_threshold_s,
                                            times), None  # type: ignore[arg-type]
        clock = clock if clock is not None else map_frame_clock(buffer, frame_clock, frames)
        unzoned = getattr(source, "times_without_zone", [])
        if unzoned:
            log.warning("%s: %d of %d photos' EXIF DateTimeOriginal carry no time zone (no OffsetTimeOriginal or "
                        "GPS time stamp; first: %s); taken as UTC. If the camera clock was on local time, pass --latency-s to shift it",
                        frames, len(unzoned), n, unzoned[0])
        if (note := outside_note(buffer, times, clock)) is not None:  # type: ignore[arg-type]
            log.warning("%s: %s", frames, note)  # the frames are kept (docs/onboard.md), said once
        return _Plan(buffer, source, "frame_timestamp", {}, clock, photo_time)
    have = f"img_idx {min(events)}..{max(events)} ({len(events)} events)" if events else "none"
    missing = sum(t is None for t in times)
    # the command line has no start-time option: a video is timed by a UTC time in its name
    video = ("name the video by its UTC start time (e.g. cam20161112234651200Z.mp4)" if isinstance(source, VideoSource)
             else "name frames by UTC capture time (e.g. raw20161112234651200Z.jpg) / keep EXIF DateTimeOriginal")
    raise InputError(describe(
        frames, f"cannot assign capture times to {n} frames: CAMERA_FEEDBACK in {mavlink.name} does not cover "
        f"frames 1..{n} (has {have}), and {missing} frame(s) carry no UTC time in their name or EXIF",
        f"Either log CAMERA_FEEDBACK for every photo (frame n = img_idx n), or {video}"))


def _clock_or_none(buffer: TelemetryBuffer, frame_clock: str, frames: Path) -> FrameClock | None:
    """``map_frame_clock``, or None where the frames' clock cannot be mapped (frames paired by number need none)."""
    try:
        return map_frame_clock(buffer, frame_clock, frames)
    except InputError:
        return None


def _check_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(describe(out, "output exists and is a file; expected a new or empty folder"))
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise InputError(describe(out, "output folder is not empty", "Choose a new folder, or pass --overwrite to replace the "
                                      "flight record in it (overwrite=True from Python)"))
        if not (out / DB_NAME).is_file():
            raise InputError(describe(out, f"refusing to overwrite: the folder is not empty and is not a flight "
                                      f"record (no {DB_NAME})", "Choose a new or empty folder"))
        _refuse_if_being_written(out)
        if os.path.ismount(out):  # the new record is swapped in by renames, refused only after the whole flight
            raise InputError(describe(out, "is a mount point: --overwrite replaces the record by renaming a new one "
                                      "into its place, which a mount point refuses", "Record into a folder on it "
                                      f"(--out {out / 'flight'}), or remove the old record's files first"))


def _refuse_if_being_written(out: Path) -> None:
    if being_written(out):  # replaced, a live run holding it would commit frames into a removed folder
        raise RecordError(describe(out, "is being written by another process (a live skyinspect onboard or a "
                                   "replay with the same --out)", "Stop the other run, or choose another --out"))


def _pick_time_base(buffer: TelemetryBuffer, messages: list, mavlink: Path, latency_s: float,
                    gap_threshold_s: float, times: list[float]) -> TelemetryBuffer:
    """If the frame clock matches the .tlog writer's clock rather than the vehicle's UTC, use it."""
    if buffer.time_base != "system_time":
        return buffer

    def inside(b: TelemetryBuffer) -> int:
        lo, hi = b.span_utc_s
        return sum(lo <= t + latency_s <= hi for t in times)

    if inside(buffer) > 0:
        return buffer
    alt = TelemetryBuffer(messages, mavlink, latency_s, gap_threshold_s, "tlog", buffer.fixed_mount)
    if inside(alt) > 0:
        log.warning("%s: frame times fall outside the vehicle's UTC (SYSTEM_TIME) span but inside the .tlog "
                    "clock's; timing telemetry by .tlog timestamps (frames stamped by the logging computer)",
                    mavlink)
        return alt
    return buffer  # plan_replay says what is wrong: every frame outside the telemetry


# --- per-frame helpers --------------------------------------------------------------------------
def check_frame_size(frame: Frame, camera: CameraModel) -> None:
    """Refuse, naming it, a frame whose size is not the calibration's (also onboard.runtime's replay)."""
    h, w = frame.image_bgr.shape[:2]
    _check_size(frame.source, w, h, camera)


def check_folder_sizes(source: ImageFolderSource | VideoSource, camera: CameraModel) -> None:
    """Every image of a folder checked against the calibration's size from its header (a few ms a
    photo), before any is segmented: a folder of 500 photos with a smaller one at 400 was refused only
    when the replay reached it, after hours of segmenting, and then all of it removed. A file whose
    header PIL cannot read is left to the check as it is decoded."""
    if not isinstance(source, ImageFolderSource):
        return
    from skyinspect.photo import checked_header_shapes

    for path in source.paths:
        shapes = checked_header_shapes(path)  # and what the replay would refuse of it, refused now
        if shapes is not None:
            (h, w), _ = shapes  # as decoded: EXIF-turned
            _check_size(path, w, h, camera)


def _check_size(source: Path, w: int, h: int, camera: CameraModel) -> None:
    if (w, h) == (camera.width_px, camera.height_px):
        return
    from skyinspect.photo import QUARTER_TURNS, exif_orientation  # lazy: cv2, as onboard.frames

    turn = exif_orientation(source) if (h, w) == (camera.width_px, camera.height_px) else 1
    if turn in QUARTER_TURNS:  # the calibration may be estimated from this very photo's stored size
        raise InputError(describe(source, f"frame is {w}x{h} as its EXIF orientation ({turn}) turns it a "
                                  f"quarter for viewers, but the camera calibration is for {camera.width_px}x"
                                  f"{camera.height_px}: the calibration and the pose describe the camera's own, "
                                  "unturned pixels", "Remove the orientation tag (exiftool -n -Orientation=1 "
                                  "PHOTO) so that the frame is read as the camera took it"))
    # one calibration serves one size: a folder of two sizes cannot be replayed as one flight
    raise InputError(describe(source, f"frame is {w}x{h} but the camera calibration is for "
                              f"{camera.width_px}x{camera.height_px}", "Pass the calibration for this resolution "
                              "(photos of two sizes: replay those of each size as a flight of its own)"))


def _with_progress(frames: Iterable[Frame], total: int, show: bool) -> Iterator[Frame]:
    if not show:
        yield from frames
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
        task = bar.add_task("frames", total=total or None)
        for frame in frames:
            yield frame
            bar.advance(task)


def _close_quietly(writer: FlightRecordWriter | None) -> None:
    if writer is None:
        return
    try:
        writer.close()
    except Exception as exc:  # noqa: BLE001 - the original error matters more
        log.debug("closing the partial record failed: %s", exc)


def _swap_into_place(new: Path, out: Path) -> None:
    """Put the finished record ``new`` where the old one ``out`` is, the old one kept if that fails."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    _refuse_if_being_written(out)  # a run may have opened it while this one replayed
    os.replace(out, old)
    try:
        os.replace(new, out)
    except OSError:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove_partial(out: Path, created: bool) -> None:
    """Leave ``out`` as it was before the run: gone if we created it, else empty again."""
    if not out.exists():
        return
    if created:
        shutil.rmtree(out, ignore_errors=True)
        return
    for child in out.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
