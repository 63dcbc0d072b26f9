"""A severe finding on a frame recorded untagged (telemetry still behind it, the clock mapping not known yet)
is told again, with its position, once the frame is re-tagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onboard_helpers import DarkPixelSegmenter

from onboard.alerts import AlertPolicy, Alerts, MavlinkAlerter
from onboard.frames import Frame
from onboard.pipeline import Pipeline, Tagger
from skyinspect.camera import CameraModel
from skyinspect.pose import Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter
from skyinspect.segmentation import CRACK

CAMERA = CameraModel.from_fov(64, 48, 60.0)


class LateTelemetry(Tagger):
    """Every frame is newer than the telemetry when recorded; the next re-tag places it at 47.2 N."""

    def __init__(self) -> None:
        self.pending: dict[int, float] = {}

    def __call__(self, frame: Frame) -> Pose:
        self.pending[frame.index] = frame.capture_time_utc_s or 0.0
        return Pose.untagged(frame.capture_time_utc_s or 0.0, "after the last GLOBAL_POSITION_INT (0.6 s)")

    def retag(self) -> list[tuple[int, Pose]]:
        done = [(i, Pose(t, 47.2, 8.2, 500.0, 20.0, 0.0, 0.0, 90.0, fix_type=3)) for i, t in self.pending.items()]
        self.pending.clear()
        return done


class Mqtt:
    def __init__(self) -> None:
        self.payloads: list[dict] = []

    def publish(self, payload: dict) -> None:
        self.payloads.append(payload)

    def close(self) -> None:
        pass


def _frames(n: int) -> list[Frame]:
    frames = []
    for i in range(1, n + 1):
        img = np.full((48, 64, 3), 200, np.uint8)
        img[10:30, 10:40] = 20  # one dark 'crack' of ~550 px
        frames.append(Frame(i, img, Path(f"IMG_{i}.png"), 1.7e9 + i))
    return frames


def test_a_severe_finding_on_a_frame_tagged_later_is_told_with_its_position(tmp_path: Path) -> None:
    # Before: 'SI crack f1 0.90 untagged' and MQTT pose status 'untagged', lat null; the frame was re-tagged
    # in the record a moment later, but the ground station and the MQTT consumer never got where it was.
    sent: list = []
    now = [0.0]
    mqtt = Mqtt()
    alerts = Alerts(AlertPolicy(min_area_px={CRACK: 400.0}),
                    mavlink_alerter=MavlinkAlerter(lambda m: sent.append(m) or True, clock=lambda: now[0],
                                                   min_interval_s=0.0), mqtt=mqtt)
    writer = FlightRecordWriter(tmp_path / "rec", CAMERA, "test-dark-pixels", "0" * 64)
    pipeline = Pipeline(_frames(2), DarkPixelSegmenter(), writer, LateTelemetry(), drop_oldest=False,
                        alerts=alerts, retag_interval_s=0.0, helper_nice=0, inference_workers=1)
    stats = pipeline.run()
    alerts.close()
    writer.close()
    assert stats.retagged == 2
    with FlightRecordReader(tmp_path / "rec") as record:
        assert all(f.pose.is_tagged for f in record.frames())
    texts = [m.text for m in sent if m.get_type() == "STATUSTEXT"]
    assert [t for t in texts if "untagged" in t] == ["SI crack f1 0.90 untagged", "SI crack f2 0.90 untagged"]
    assert sorted(t for t in texts if "untagged" not in t) == ["SI crack f1 0.90 47.20000,8.20000",
                                                               "SI crack f2 0.90 47.20000,8.20000"]
    assert alerts.severe == 2 and alerts.mavlink.count == 2  # the count is of findings, not of messages
    first = [p for p in mqtt.payloads if "retagged" not in p]
    located = [p for p in mqtt.payloads if "retagged" in p]
    assert [(p["frame_index"], p["pose"]["lat_deg"]) for p in first] == [(1, None), (2, None)]
    assert [(p["frame_index"], p["pose"]["lat_deg"], p["pose"]["status"], p["retagged"]) for p in located] == \
        [(1, 47.2, "ok", True), (2, 47.2, "ok", True)]


def test_a_frame_given_up_untagged_is_forgotten_and_not_told_again() -> None:
    sent: list = []
    mqtt = Mqtt()
    alerts = Alerts(AlertPolicy(min_area_px={CRACK: 400.0}), mqtt=mqtt,
                    mavlink_alerter=MavlinkAlerter(lambda m: sent.append(m) or True, min_interval_s=0.0))
    frame = _frames(1)[0]
    (inst,) = DarkPixelSegmenter().segment(frame.image_bgr).instances
    alerts.on_frame(1, 1.7e9, Pose.untagged(1.7e9, "after the last GLOBAL_POSITION_INT"), (inst,), "m")
    alerts.on_retag(1, Pose.untagged(1.7e9, "telemetry gap 4.0 s"))  # given up
    alerts.on_retag(1, Pose(1.7e9, 47.2, 8.2, 500.0, 20.0, 0.0, 0.0, 90.0, fix_type=3))  # nothing left to tell
    assert len(mqtt.payloads) == 1 and len([m for m in sent if m.get_type() == "STATUSTEXT"]) == 1
    assert alerts.located == 0
