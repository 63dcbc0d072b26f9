"""The real-time pipeline: capture → inference → recording, each in its own thread.

::

    source ──capture──> [frames: bounded, drop-oldest when live] ──inference──> [segmented: bounded,
    blocking] ──recording──> tag (pose) → FlightRecordWriter.add_frame (files synced) → alerts;
    commit each frame (or every few: COMMIT_FRAMES, COMMIT_AFTER_S); re-tag late frames

- When inference is slower than the camera the capture queue keeps the *newest* frames and counts
  the ones it discards (``PipelineStats.dropped``); replay sources block instead (nothing dropped).
- The recording queue blocks: a frame that got through inference is never discarded.
- Group commit: a frame counts as recorded (``on_recorded``, ``PipelineStats.recorded``) once its rows are
  committed, in a group of up to ``COMMIT_FRAMES`` frames or ``COMMIT_AFTER_S`` after it was written; a kill
  before that loses it as it loses the frames in the queues, never a committed one.
- A segmenter error on one frame records that frame without detections (counted, logged once per
  kind); a record error (e.g. the database's disk is full) is counted and logged, the flight goes on
  and the frame's alerts are still raised.
- Threads share only the two queues and a stop event; ``run`` returns once everything is drained.
- Inference may run in several workers (``inference_workers``; the segmenter's
  ``parallel_workers``: two one-thread ONNX Runtime workers on a 2-core CPU segment ~1.4x the
  frames of one), so frames can reach recording slightly out of order. OpenCV runs single-threaded
  while the pipeline runs; with one inference worker the recording thread (and a replay's decoding
  thread) run at ``helper_nice`` (see ``HELPER_NICE``; live mode passes 0).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from onboard.frames import Frame
from onboard.threads import FrameQueue, lower_thread_priority
from skyinspect.errors import RecordError
from skyinspect.pose import Pose
from skyinspect.record import FlightRecordWriter
from skyinspect.segmentation import Segmentation, Segmenter

log = logging.getLogger(__name__)


# With one inference thread the model must have the cores: on a 2-core CPU, JPEG decoding and
# recording at normal priority (and OpenCV's own worker pool, whose threads run at normal priority
# whoever calls it) cost the model ~8 % of its rate at 640x480 (bench/onboard_pipeline.py: 0.91 →
# 0.93-0.96 with both changes, no gain with either alone). At nice 19 the helpers run in the gaps
# that thread leaves (its single-threaded pre- and post-processing). Several inference workers
# leave no gaps: there a nice-19 recorder starves and stalls them through the bounded queue (33.4
# → 32.2 fps), so the helpers keep normal priority. Live, run_onboard passes 0: any steady normal-priority
# load beside the pipeline (a video streamer, ROS) starved a nice-19 recorder and the camera dropped
# frames (10 of 25 recorded); a replay loses nothing by waiting, so it keeps this gain.
HELPER_NICE = 19
# Group commit: the recording thread commits the frames it has written every COMMIT_FRAMES frames, or once
# the first waiting one has waited COMMIT_AFTER_S (checked at least every 0.1 s); until then those frames are
# in flight, like the queues'. A commit costs a transaction with its WAL fsync and a fsync of images/ and
# masks/ (add_frame 3.37 -> 2.59 ms of thread CPU a 640x480 frame in batches of 4, in isolation), but inside
# the pipeline on 2 idle cores groups of 4 gained nothing measurable (bench/onboard_pipeline.py, session 23:
# 0.896 / 0.898 of the bare model against 0.897 / 0.920 committing each frame; recording 3.6-3.9 ms of CPU
# a frame either way), so each frame is committed (1): nothing written is left waiting. Storage whose
# fsync is slow (an SD card) may gain from Pipeline(commit_frames=4).
COMMIT_FRAMES = 1
COMMIT_AFTER_S = 0.25


class Tagger:
    """Gives each frame its pose; ``retag`` returns frames whose pose became known later (tagged, or the
    untagged pose a frame is given up with)."""

    def __call__(self, frame: Frame) -> Pose:  # pragma: no cover - interface
        raise NotImplementedError

    def retag(self) -> list[tuple[int, Pose]]:
        return []


@dataclass
class PipelineStats:
    captured: int = 0
    dropped: int = 0
    skipped: int = 0  # already in the record (a resumed run)
    segmented: int = 0
    segment_errors: int = 0
    recorded: int = 0
    record_errors: int = 0
    tagged: int = 0
    untagged: int = 0
    retagged: int = 0
    instances: int = 0
    images_not_saved: int = 0
    inference_s: float = 0.0
    # where the time went (s, summed per thread): getting frames from the source (decode, or waiting
    # for the camera), inference waiting for a frame, inference blocked handing a result to recording,
    # recording (tag, image/mask files + fsync, commit, alerts); *_cpu_s: CPU time of those threads,
    # which competes with the model for the cores. With several inference workers, inference_s,
    # infer_idle_s and handoff_s are summed over them (model_fps is then one worker's rate)
    source_s: float = 0.0
    infer_idle_s: float = 0.0
    handoff_s: float = 0.0
    record_s: float = 0.0
    source_cpu_s: float = 0.0
    record_cpu_s: float = 0.0
    elapsed_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.recorded / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def model_fps(self) -> float:
        return self.segmented / self.inference_s if self.inference_s > 0 else 0.0


class Pipeline:
    def __init__(self, source: Iterable[Frame], segmenter: Segmenter, writer: FlightRecordWriter, tagger: Tagger, *,
                 queue_size: int = 4, drop_oldest: bool = True, alerts: object | None = None,
                 on_recorded: Callable[[int], None] | None = None, skip_indices: set[int] | None = None,
                 index_offset: int = 0,
                 retag_interval_s: float = 0.5, helper_nice: int = HELPER_NICE, nice_capture: bool = True,
                 opencv_threads: int | None = 1, inference_workers: int | None = 1,
                 commit_frames: int = COMMIT_FRAMES, commit_after_s: float = COMMIT_AFTER_S) -> None:
        # nice_capture=False for a live camera: a starved reader would take stale frames from the
        # driver's queue and stamp them late
        self.helper_nice, self.nice_capture, self.opencv_threads = helper_nice, nice_capture, opencv_threads
        # None: as many as the segmenter says pay off (ONNX Runtime on the CPU: 2); see _segmenters
        self.inference_workers = inference_workers
        self.source, self.segmenter, self.writer, self.tagger = source, segmenter, writer, tagger
        self.frames_q = FrameQueue(queue_size, drop_oldest)
        self.record_q = FrameQueue(max(queue_size, 2), drop_oldest=False)
        self.alerts = alerts
        self.on_recorded = on_recorded
        self.skip = skip_indices or set()
        self.index_offset = index_offset
        self.retag_interval_s = retag_interval_s
        self.commit_frames, self.commit_after_s = max(1, commit_frames), commit_after_s
        self._waiting: list[tuple[int, bool, int]] = []  # written, not yet committed: index, tagged, instances
        self._waiting_since = 0.0
        self.stats = PipelineStats()
        self._stats_lock = threading.Lock()  # inference workers add to the same counters
        self._inferring = 0
        self._helper_nice = helper_nice
        self.stop_event = threading.Event()
        self._error_kinds: set[str] = set()
        self._fatal: BaseException | None = None
        self.ended_by: str | None = None  # why run() stopped early: "duration reached", "interrupted"
        self.source_grace_s = 3.0  # after a stop request, how long a blocked frame source is waited for

    def stop(self) -> None:
        self.stop_event.set()
        stop = getattr(self.source, "stop", None)
        if callable(stop):
            stop()

    def run(self, duration_s: float | None = None) -> PipelineStats:
        import cv2

        # parallelism comes from the stages here; OpenCV's pool would oversubscribe the cores
        opencv_threads = cv2.getNumThreads()
        if self.opencv_threads is not None:
            cv2.setNumThreads(self.opencv_threads)
        try:
            return self._run(duration_s)
        finally:
            cv2.setNumThreads(opencv_threads)

    def _run(self, duration_s: float | None) -> PipelineStats:
        started = time.monotonic()
        segmenters = self._segmenters()
        self._inferring = len(segmenters)
        self._helper_nice = self.helper_nice if len(segmenters) == 1 else 0  # see HELPER_NICE
        threads = [threading.Thread(target=self._guard, args=(self._capture,), name="capture", daemon=True)]
        threads += [threading.Thread(target=self._guard, args=(lambda s=seg: self._infer(s),), name=f"inference-{i}",
                                     daemon=True) for i, seg in enumerate(segmenters)]
        threads.append(threading.Thread(target=self._guard, args=(self._record,), name="recording", daemon=True))
        for t in threads:
            t.start()
        stop_seen: float | None = None
        try:
            while any(t.is_alive() for t in threads):
                threads[-1].join(0.1)
                if duration_s is not None and time.monotonic() - started > duration_s and not self.stop_event.is_set():
                    self.ended_by = self.ended_by or f"duration reached ({duration_s:g} s)"
                    self.stop()
                if self.stop_event.is_set():
                    stop_seen = stop_seen or time.monotonic()
                    if threads[0].is_alive() and time.monotonic() - stop_seen > self.source_grace_s:
                        # a camera read that never returns (USB camera unplugged mid-grab, a stalled
                        # stream) kept every stage waiting for the frame queue to close: Ctrl-C hung
                        log.warning("the frame source did not stop within %.0f s of the stop request (a camera "
                                    "read that hangs); finishing without it", self.source_grace_s)
                        self.frames_q.close()
                        threads = threads[1:]  # the capture thread is a daemon: left behind
        except KeyboardInterrupt:
            self.ended_by = "interrupted (KeyboardInterrupt)"
            self.stop()
            for t in threads:
                t.join(10.0)
        self.stats.dropped = self.frames_q.dropped
        self.stats.images_not_saved = getattr(self.writer, "dropped_images", 0)
        self.stats.elapsed_s = time.monotonic() - started
        if self._fatal is not None:
            raise self._fatal
        return self.stats

    def _segmenters(self) -> list[Segmenter]:
        """One segmenter per inference thread: the segmenter's ``parallel_workers`` where it has
        them (a test double or a GPU backend runs in one thread)."""
        if self.inference_workers == 1 or not hasattr(self.segmenter, "parallel_workers"):
            return [self.segmenter]
        return list(self.segmenter.parallel_workers(self.inference_workers)) or [self.segmenter]

    # --- workers --------------------------------------------------------------------------------
    def _guard(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - surface in run(), stop the others
            self._fatal = self._fatal or exc
            self.stop()
            self.frames_q.close()
            self.record_q.close()

    def _capture(self) -> None:
        if self.nice_capture:
            lower_thread_priority(self._helper_nice)
        cpu0 = time.thread_time()
        try:
            frames = iter(self.source)
            while True:
                t0 = time.perf_counter()
                frame = next(frames, None)
                self.stats.source_s += time.perf_counter() - t0
                if frame is None or self.stop_event.is_set():
                    break
                if self.index_offset:
                    frame = replace(frame, index=frame.index + self.index_offset)
                if frame.index in self.skip:
                    self.stats.skipped += 1
                    continue
                self.stats.captured += 1
                if not self.frames_q.put(frame, self.stop_event):
                    break
        finally:
            self.stats.source_cpu_s = time.thread_time() - cpu0
            self.frames_q.close()

    def _infer(self, segmenter: Segmenter) -> None:
        try:
            idle_from = None  # the first frame's wait is start-up, not idling
            while True:
                try:
                    got, frame = self.frames_q.get()
                except EOFError:
                    return
                if not got:
                    continue
                t0 = time.perf_counter()
                seg: Segmentation | None
                try:
                    seg = segmenter.segment(frame.image_bgr)  # type: ignore[union-attr]
                    t1 = time.perf_counter()
                    with self._stats_lock:
                        self.stats.segmented += 1
                        self.stats.inference_s += t1 - t0
                except Exception as exc:  # noqa: BLE001 - record the frame without detections
                    seg = None
                    with self._stats_lock:
                        self.stats.segment_errors += 1
                    self._once(f"segment:{type(exc).__name__}", f"frame {frame.index}: segmenter failed "  # type: ignore[union-attr]
                               f"({type(exc).__name__}: {exc}); recording frames without detections")
                t1 = time.perf_counter()
                self.record_q.put((frame, seg))
                t2 = time.perf_counter()
                with self._stats_lock:
                    if idle_from is not None:
                        self.stats.infer_idle_s += t0 - idle_from
                    self.stats.handoff_s += t2 - t1
                idle_from = t2
        finally:
            with self._stats_lock:
                self._inferring -= 1
                last = self._inferring == 0
            if last:  # the recording thread ends once every worker has handed over its frames
                self.record_q.close()

    def _record(self) -> None:
        lower_thread_priority(self._helper_nice)
        cpu0 = time.thread_time()
        last_retag = time.monotonic()
        try:
            while True:
                try:
                    got, item = self.record_q.get()
                except EOFError:
                    break
                if time.monotonic() - last_retag > self.retag_interval_s:
                    self._commit()  # a frame is re-tagged in its committed row
                    self._retag()
                    last_retag = time.monotonic()
                if got:
                    frame, seg = item  # type: ignore[misc]
                    t0 = time.perf_counter()
                    self._record_one(frame, seg)
                    self.stats.record_s += time.perf_counter() - t0
                if self._waiting and (len(self._waiting) >= self.commit_frames
                                      or time.monotonic() - self._waiting_since >= self.commit_after_s):
                    self._commit()
        finally:  # also when this thread fails: the frames written are whole, and counted once committed
            self._commit()
        self._retag()
        self.stats.record_cpu_s = time.thread_time() - cpu0

    def _record_one(self, frame: Frame, seg: Segmentation | None) -> None:
        pose = self.tagger(frame)
        instances = seg.instances if seg is not None else ()
        try:
            self.writer.add_frame(frame.index, pose.time_utc_s, frame.image_bgr, pose, seg, jpeg_bytes=frame.jpeg_bytes,
                                  commit=False)
        except (RecordError, OSError) as exc:
            self.stats.record_errors += 1
            self._once(f"record:{type(exc).__name__}", f"frame {frame.index} not recorded: {exc}")
        else:
            if not self._waiting:
                self._waiting_since = time.monotonic()
            self._waiting.append((frame.index, pose.is_tagged, len(instances)))
        # A frame the record could not keep (a full disk) still raises its alerts: they need no disk,
        # and before, from the moment the disk filled no severe finding reached the GCS or MQTT.
        if self.alerts is not None:
            try:
                self.alerts.on_frame(frame.index, pose.time_utc_s, pose, instances,  # type: ignore[attr-defined]
                                     seg.model_id if seg is not None else "")
            except Exception as exc:  # noqa: BLE001 - an alert must never stop recording
                self._once(f"alert:{type(exc).__name__}", f"alert failed: {exc}")

    def _commit(self) -> None:
        """Group commit (see COMMIT_FRAMES): the frames written since the last commit become recorded."""
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        t0 = time.perf_counter()
        try:
            self.writer.commit()
        except (RecordError, OSError) as exc:
            self.stats.record_errors += len(waiting)
            self._once(f"record:{type(exc).__name__}", f"{len(waiting)} frames not recorded: {exc}")
            return
        finally:
            self.stats.record_s += time.perf_counter() - t0
        for index, tagged, n_instances in waiting:
            self.stats.recorded += 1
            self.stats.tagged += tagged
            self.stats.untagged += not tagged
            self.stats.instances += n_instances
            if self.on_recorded is not None:
                self.on_recorded(index)

    def _retag(self) -> None:
        for index, pose in self.tagger.retag():
            try:
                # a frame whose row the record refused (a full disk) is no re-tagged frame: before, the
                # summary counted it so, and said '-3 of 3 frames untagged'
                if self.writer.update_pose(index, pose) is not False and pose.is_tagged:  # else its final reason
                    self.stats.retagged += 1
                    self.stats.tagged += 1
                    self.stats.untagged -= 1
            except Exception as exc:  # noqa: BLE001
                self._once("retag", f"re-tagging frame {index} failed: {exc}")
            if self.alerts is not None and hasattr(self.alerts, "on_retag"):  # findings told 'untagged' get a place
                try:
                    self.alerts.on_retag(index, pose)
                except Exception as exc:  # noqa: BLE001 - an alert must never stop recording
                    self._once(f"alert:{type(exc).__name__}", f"alert failed: {exc}")

    def _once(self, kind: str, message: str) -> None:
        self.stats.errors.append(message)
        del self.stats.errors[:-100]
        if kind not in self._error_kinds:
            self._error_kinds.add(kind)
            log.warning("%s", message)
        else:
            log.debug("%s", message)
