"""The onboard runtime: frames + telemetry (a log or a live link) → pipeline → crash-safe record.

``run_onboard`` differs from ``onboard.replay.run_replay`` (all-or-nothing, for ground use) in what a
flight needs: it runs the threaded pipeline, keeps every frame it has committed whatever happens
next (SIGKILL, power cut, Ctrl-C), resumes an existing record (frames already in it are skipped
when replaying, numbered after it when live), keeps going on a full disk and a lost link, and
sends alerts. ``python -m onboard.runtime`` is the same thing from a shell (the kill test uses it).
Frames get their poses from ``onboard.taggers`` (``ReplayTagger``, ``LiveTagger``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from onboard.alerts import mqtt_target as _mqtt_target
from onboard.ending import DID_NOT_FINISH, ended_meta, how_it_ended
from onboard.ending import set_meta_safely as _set_meta
from onboard.pipeline import HELPER_NICE, Pipeline, PipelineStats, Tagger
from onboard.taggers import CLOCK_SETTLING, LiveTagger, ReplayTagger  # noqa: F401 - CLOCK_SETTLING, ReplayTagger: for callers
from onboard.telemetry.mount import FixedMount
from onboard.telemetry.link_spec import CONNECT_TIMEOUT_S
from onboard.telemetry.live import LiveMavlink
from onboard.telemetry.sources import is_live
from skyinspect.camera import CameraModel
from skyinspect.errors import InputError, describe
from skyinspect.record import FlightRecordWriter
from skyinspect.segmentation import Segmenter, settings_of

log = logging.getLogger(__name__)


# --- the runtime ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OnboardSummary:
    mode: str  # "replay" or "live"
    stats: PipelineStats
    out: Path
    reconnects: int = 0
    alerts_severe: int = 0
    ended: str = ""  # how the run ended (also the record's meta "ended")


def run_onboard(frames: str | Path, telemetry: str | Path, out: Path, segmenter: Segmenter, camera: CameraModel, *,
                latency_s: float = 0.0, gap_threshold_s: float = 1.0, time_base: str = "auto",
                frame_clock: str = "auto", queue_size: int = 4, drop_frames: bool | None = None,
                realtime_fps: float | None = None,
                alerts: object | None = None, send_mavlink_alerts: bool = True, mqtt: str | None = None,
                duration_s: float | None = None, max_frames: int | None = None,
                stop_event: threading.Event | None = None, on_recorded: Callable[[int], None] | None = None,
                link_timeout_s: float = 2.0, connect_timeout_s: float = CONNECT_TIMEOUT_S, live: LiveMavlink | None = None,
                helper_nice: int | None = None, opencv_threads: int | None = 1,
                inference_workers: int | None = None, fixed_mount: FixedMount | None = None,
                vehicle_system_id: int | None = None, video_fps: float | None = None) -> OnboardSummary:
    """Run the onboard pipeline until the frames end, ``duration_s`` passes or ``stop_event`` is set.
    ``inference_workers``: frames segmented at once (None: what the segmenter says pays off, see
    ``parallel_workers``; 1: one at a time). ``helper_nice``: the recording thread's nice increment (None:
    0 live, where nothing may be lost, HELPER_NICE in a replay). ``vehicle_system_id``: live, the vehicle to follow on a
    shared link (None: the first heard). ``connect_timeout_s``: live over TCP, how long one try to connect waits for
    an answer before it is said and retried with the back-off."""
    from onboard.alerts import Alerts, MavlinkAlerter, MqttPublisher
    from onboard.capture import open_camera

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(describe(out, "output exists and is a file; expected a flight record folder"))
    if queue_size < 1:  # else the pipeline's ValueError, a traceback, after the record was created
        raise InputError(describe("--queue-size", f"expected at least 1 frame, got {queue_size}",
                                  "leave it out for 4"))
    mqtt_target = _mqtt_target(mqtt) if mqtt else None
    live_mode = live is not None or is_live(str(telemetry))
    # a replay's sources resolved (as run_replay writes them): a resumed run compares them (_check_resumed)
    meta: dict[str, object] = {"mode": "live" if live_mode else "onboard-replay",
                               "telemetry_source": str(telemetry if live_mode else Path(telemetry).resolve()),
                               "frames_source": str(frames if live_mode else Path(frames).resolve()),
                               "latency_s": latency_s,
                               "gap_threshold_s": gap_threshold_s, "segmentation": settings_of(segmenter)}
    if fixed_mount is not None:
        meta["camera_mount"] = fixed_mount.describe()
    mqtt_pub = None
    if live_mode and live is None:  # a string pymavlink can never open: said now, not retried all flight
        from onboard.telemetry.link_spec import parse_link

        parse_link(str(telemetry))
    # An --out this run may not resume is refused before the camera is opened or a replay's log read (a long
    # log was read in full, a camera held, to be refused); the arguments' own errors above are said first.
    _check_resumed(out, meta)
    if live_mode:
        if frame_clock != "auto":
            log.warning("frame clock %r ignored: live frames are stamped by this computer's clock, which TIMESYNC "
                        "maps to the vehicle's", frame_clock)
        link = live or LiveMavlink(str(telemetry), link_timeout_s=link_timeout_s, system_id=vehicle_system_id,
                                   connect_timeout_s=connect_timeout_s)
        source = open_camera(str(frames), realtime_fps=realtime_fps, max_frames=max_frames, camera=camera)
        drop = True if drop_frames is None else drop_frames
        stop = stop_event or threading.Event()
        tagger: Tagger = LiveTagger(link, latency_s, gap_threshold_s, time_base, stop=stop, fixed_mount=fixed_mount)
    else:
        from onboard.replay import plan_replay

        plan = plan_replay(Path(frames), Path(telemetry), latency_s, gap_threshold_s, time_base,
                           frame_clock=frame_clock, fixed_mount=fixed_mount, video_fps=video_fps)
        meta.update(plan.meta())
        source = plan.source
        if realtime_fps:
            from onboard.capture import PacedSource

            source = PacedSource(Path(frames), realtime_fps, stamp_now=False, opened=plan.source)
        source = _calibrated_size(plan.source, source, camera)
        drop = False if drop_frames is None else drop_frames
        stop = stop_event or threading.Event()
        tagger = plan.tagger()
        link = None
    _create_record_atomically(out, camera, segmenter, meta)
    writer = FlightRecordWriter(out, camera, segmenter.model_id, segmenter.sha256, extra_meta=meta,
                                drift_reference=getattr(segmenter, "drift_reference", None),
                                keep_frames_on_write_error=True)
    try:
        done = writer.recorded_indices()
        writer.set_meta("ended", ended_meta(DID_NOT_FINISH))  # replaced below unless killed or powered off
        if alerts is None and (mqtt or (link is not None and send_mavlink_alerts)):
            if mqtt_target:
                mqtt_pub = MqttPublisher(*mqtt_target)
            alerts = Alerts(mavlink_alerter=MavlinkAlerter(link.send) if link is not None and send_mavlink_alerts else None,
                            mqtt=mqtt_pub)
        pipeline = Pipeline(source, segmenter, writer, tagger, queue_size=queue_size, drop_oldest=drop, alerts=alerts,
                            on_recorded=on_recorded, skip_indices=done if not live_mode else None,
                            index_offset=max(done, default=0) if live_mode else 0,
                            helper_nice=_helper_nice(helper_nice, live_mode), nice_capture=not live_mode,
                            opencv_threads=opencv_threads, inference_workers=inference_workers)
        watcher = threading.Thread(target=_watch_stop, args=(stop, pipeline), daemon=True)
        watcher.start()
        if link is not None and live is None:
            link.start()
        try:
            if max_frames is not None and not live_mode:
                pipeline.source = _limit(source, max_frames)
            try:
                stats = pipeline.run(duration_s)
            except BaseException as exc:
                _set_meta(writer, "ended", ended_meta(f"failed: {type(exc).__name__}: {exc}", pipeline.stats.recorded))
                raise
            ended = how_it_ended(stop, pipeline.ended_by)
        finally:
            stop.set()
            if alerts is not None and hasattr(alerts, "close"):
                alerts.close()  # first: its last SI_SEVERE count goes out before the link stops
            if link is not None and live is None:
                link.stop()
        if isinstance(tagger, LiveTagger):
            _store_live_time_base(writer, tagger)
        _set_meta(writer, "ended", ended_meta(ended, stats.recorded))
    finally:
        writer.close()
    if stats.untagged:
        log.warning("%s: %d of %d frames untagged (see each frame's pose status)", out, stats.untagged, stats.recorded)
    if stats.dropped:
        log.warning("%s: inference was slower than the camera; %d frames dropped (newest kept)", out, stats.dropped)
    return OnboardSummary("live" if live_mode else "replay", stats, out,
                          reconnects=link.reconnects if link is not None else 0,
                          alerts_severe=getattr(alerts, "severe", 0), ended=ended)


def _helper_nice(helper_nice: int | None, live_mode: bool) -> int:
    """Live, the recorder keeps normal priority: at nice 19 any steady normal-priority load beside it (a
    video streamer, ROS) starved it, the record queue filled, inference blocked and the camera dropped
    frames (10 of 25 recorded under load, 25 at normal priority). A replay loses nothing by waiting."""
    if helper_nice is not None:
        return helper_nice
    return 0 if live_mode else HELPER_NICE


def _create_record_atomically(out: Path, camera: CameraModel, segmenter: Segmenter, meta: dict[str, object]) -> None:
    """Make a new record in a hidden sibling folder and rename it into place, so that ``out`` is at
    every instant either absent (or the empty folder the user made) or a record that opens — a kill
    while SQLite creates its schema must not leave a database without tables."""
    import os
    import shutil

    from skyinspect.atomic import fsync_dir
    from skyinspect.record.format import DB_NAME

    for stale in out.parent.glob(f".{out.name}.creating-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a run killed while creating
    if out.is_dir() and (out / DB_NAME).is_file():
        return
    if out.is_dir():
        _create_in_place(out, camera, segmenter, meta)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    _refuse_read_only(out, out.parent)
    tmp = out.parent / f".{out.name}.creating-{os.getpid()}"
    FlightRecordWriter(tmp, camera, segmenter.model_id, segmenter.sha256, extra_meta=meta).close()
    os.rename(tmp, out)
    fsync_dir(out.parent)  # the rename itself survives a power cut; a file system refusing it is let be


def _create_in_place(out: Path, camera: CameraModel, segmenter: Segmenter, meta: dict[str, object]) -> None:
    """A new record in the empty folder the user made. Renamed over it, as before, a mount point (--out
    /media/card, an empty FAT card) refused: EBUSY, a traceback, the record left on the parent's disk. The
    database is made in a hidden folder inside and renamed in last: until then ``out`` holds only what a
    kill here leaves (empty images/ and masks/, .creating-PID), which is taken as empty again."""
    import os
    import shutil

    from skyinspect.atomic import fsync_dir
    from skyinspect.record.format import DB_NAME, IMAGES_DIR, MASKS_DIR

    for stale in out.glob(".creating-*"):
        shutil.rmtree(stale, ignore_errors=True)
    if any(p.name not in (IMAGES_DIR, MASKS_DIR) or not p.is_dir() or any(p.iterdir()) for p in out.iterdir()):
        raise InputError(describe(out, f"folder is not empty and is not a flight record (no {DB_NAME})",
                                  "Choose a new or empty folder"))
    _refuse_read_only(out, out)
    tmp = out / f".creating-{os.getpid()}"
    FlightRecordWriter(tmp, camera, segmenter.model_id, segmenter.sha256, extra_meta=meta).close()
    for subdir in (IMAGES_DIR, MASKS_DIR):
        (out / subdir).mkdir(exist_ok=True)
    os.rename(tmp / DB_NAME, out / DB_NAME)  # closed: no -wal or -shm beside it
    fsync_dir(out)
    shutil.rmtree(tmp, ignore_errors=True)


def _refuse_read_only(out: Path, where: Path) -> None:
    """RecordError naming ``out`` where the record cannot be made in ``where``: the writer's own error named the
    hidden ``.creating-PID`` folder it is made in first, a path the user never gave."""
    import os

    from skyinspect.errors import RecordError
    from skyinspect.record.writer import on_read_only_disk

    read_only_disk = on_read_only_disk(where)
    if read_only_disk or not os.access(where, os.W_OK):
        why = "is on a read-only disk" if read_only_disk else "is read-only to this user (permission denied)"
        raise RecordError(describe(out, f"cannot create the flight record: {where} {why}", "Record into an --out "
                                   "on a writable disk" if read_only_disk else "Record into an --out this user "
                                   f"may write in, or make {where} writable (chmod u+w)"))


def _check_resumed(out: Path, meta: dict[str, object]) -> None:
    """Refuse a live run into a replay's record and a replay into a live one, and to resume a replay's record
    of another flight or with other segmentation settings (model, passes). Frames already recorded are
    skipped by number, so another flight's frames 1..N stood for this one's (never segmented) under this
    flight's meta; and with other settings the frames before and after came from two while the meta named
    only the last (found resuming a --flips 1 record with --flips 2)."""
    import json

    from skyinspect.record import FlightRecordReader
    from skyinspect.record.format import DB_NAME

    if not (out / DB_NAME).is_file():
        return
    try:
        with FlightRecordReader(out) as record:
            before, mode = record.meta.get("segmentation"), record.meta.get("mode")
            sources = {key: record.meta.get(key) for key in ("frames_source", "telemetry_source")}
    except Exception:  # noqa: BLE001 - a record that does not open: the writer says why
        return
    if mode is not None and (mode == "live") != (meta["mode"] == "live"):
        # live frames are numbered after the record's: a replay's record got the live flight appended
        raise InputError(describe(out, f"holds the record of a {'live flight' if mode == 'live' else 'replay'} (mode {mode}), and "
                                  f"this run is {'a live flight' if meta['mode'] == 'live' else 'a replay'}: one "
                                  "record holds one flight", "Record into a new --out (or an empty folder)"))
    if meta["mode"] == "live":  # a live run resumed after a reboot: its camera or link may be named anew
        return
    other = [f"{key} {old}" for key, old in sources.items()
             if old is not None and not _same_path(old, str(meta[key]))]
    if other:
        raise InputError(describe(out, f"holds a record of another flight ({'; '.join(other)}), not of "
                                  f"{meta['frames_source']} with {meta['telemetry_source']}: resuming would skip "
                                  "this flight's first frames as recorded", "Record into a new --out (or an empty "
                                  "folder); to resume that flight, pass its frames and log"))
    if before is None:
        return
    old, new = json.loads(before), json.loads(json.dumps(meta.get("segmentation")))
    changed = [f"{k} {old.get(k)} → {new.get(k)}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    if changed:
        raise InputError(describe(out, "holds frames segmented with other settings than these ("
                                  + ", ".join(changed[:4]) + "): resuming would mix detections of two settings "
                                  "in one record", "Resume with the same --model, --flips and --upscale, or "
                                  "record into a new --out"))


def _same_path(recorded: str, given: str) -> bool:
    """Whether a source the record names is ``given``: records before session 26 kept the path as typed
    (relative to where that run started; only its resolution from here can be compared)."""
    return recorded == given or Path(recorded).resolve() == Path(given).resolve()


def _store_live_time_base(writer: FlightRecordWriter, tagger: LiveTagger) -> None:
    """How the live telemetry was timed (TIMESYNC offset, SYSTEM_TIME) → meta ``telemetry_time``."""
    try:
        buffer = tagger._buffer()
        if buffer is not None:
            _set_meta(writer, "telemetry_time", buffer.describe_time_base())
    except Exception as exc:  # noqa: BLE001 - a meta row must never cost the flight
        log.warning("could not store the live time base: %s", exc)


def _calibrated_size(first_of, source, camera: CameraModel):  # type: ignore[no-untyped-def]
    """``source``'s frames, each refused (InputError naming it) when its size is not the calibration's, as
    ``run_replay`` refuses it: the pipeline recorded a 100x100 frame among 1280x960 ones under their
    calibration without a word, so its detections would be placed by the wrong intrinsics. The first
    frame of ``first_of`` is checked now, before a record is created for a folder of the wrong size."""
    from onboard.capture import CalibratedSize
    from onboard.replay import check_folder_sizes, check_frame_size

    check_folder_sizes(first_of, camera)
    frames = iter(first_of)
    try:
        first = next(frames, None)
    finally:
        getattr(frames, "close", lambda: None)()  # a video's capture released
    if first is not None:
        check_frame_size(first, camera)
    return CalibratedSize(source, camera)  # every frame checked; stop() still reaches a paced source


def _limit(source, n: int):  # type: ignore[no-untyped-def]
    for i, frame in enumerate(source):
        if i >= n:
            return
        yield frame


def _watch_stop(stop: threading.Event, pipeline: Pipeline) -> None:
    while not pipeline.stop_event.is_set():
        if stop.wait(0.1):
            pipeline.stop()
            return


# --- command line (python -m onboard.runtime) ----------------------------------------------------
def _load_segmenter(spec: str | None) -> Segmenter:
    """``None`` → the shipped model; ``path/to/file.py:Class`` → that class (test doubles)."""
    if spec and ":" in spec and spec.split(":", 1)[0].endswith(".py"):
        import importlib.util

        file, _, name = spec.partition(":")
        module_spec = importlib.util.spec_from_file_location(Path(file).stem, file)
        module = importlib.util.module_from_spec(module_spec)  # type: ignore[arg-type]
        module_spec.loader.exec_module(module)  # type: ignore[union-attr]
        return getattr(module, name)()
    from models import load_segmenter

    return load_segmenter(spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m onboard.runtime", description=__doc__.splitlines()[0])
    parser.add_argument("--frames", required=True)
    parser.add_argument("--telemetry", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--camera", type=Path, help="calibration YAML/JSON")
    parser.add_argument("--fov", help="WIDTHxHEIGHTxHFOV_DEG instead of a calibration (tests)")
    parser.add_argument("--segmenter", help="ONNX path or file.py:Class")
    parser.add_argument("--latency-s", type=float, default=0.0)
    parser.add_argument("--gap-threshold-s", type=float, default=1.0)
    parser.add_argument("--queue-size", type=int, default=4)
    parser.add_argument("--print-recorded", action="store_true", help="print 'recorded N' per committed frame")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.fov:
        w, h, fov = args.fov.split("x")
        camera = CameraModel.from_fov(int(w), int(h), float(fov))
    else:
        camera = CameraModel.load(args.camera)
    from onboard.ending import StopRequest, stop_on_signals

    stop = StopRequest()

    def report(index: int) -> None:
        sys.stdout.write(f"recorded {index}\n")
        sys.stdout.flush()

    with stop_on_signals(stop):
        summary = run_onboard(args.frames, args.telemetry, args.out, _load_segmenter(args.segmenter), camera,
                              latency_s=args.latency_s, gap_threshold_s=args.gap_threshold_s,
                              queue_size=args.queue_size, stop_event=stop,
                              on_recorded=report if args.print_recorded else None)
    s = summary.stats
    print(f"done recorded={s.recorded} tagged={s.tagged} dropped={s.dropped} skipped={s.skipped}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
