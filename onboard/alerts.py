"""Live alerts while flying: a severe finding → STATUSTEXT + NAMED_VALUE_INT to the ground station,
and optionally one MQTT message (JSON) per finding.

Severity (``AlertPolicy``): an instance is severe when its score ≥ ``min_score`` and its area ≥
``min_area_px`` for its class (defaults: cracks ≥ 400 px, corrosion ≥ 2,000 px). STATUSTEXT is
rate-limited (one per ``min_interval_s``; GCS consoles and radios are slow): a finding inside the
interval, or one the link refused, is held (per class, the highest score) and its text sent once the
interval has passed, the longest-held class first, the rest at the end; the NAMED_VALUE_INT
``SI_SEVERE`` carries the running count, at most every ``value_interval_s`` (sent once more when
the count changed since, on the next frame or at the end), so nothing is lost by either limit.

No alert ever blocks or fails the pipeline: sends return False on a dead link, MQTT publishes go
through paho's own network thread and queue.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from skyinspect.errors import InputError, describe
from skyinspect.pose import Pose
from skyinspect.segmentation import CLASS_NAMES, Instance

log = logging.getLogger(__name__)

# Frames whose findings were told untagged, kept for their re-tag (the live tagger gives a frame up after 30 s:
# at 10 frames/s with findings on each, 300; the oldest are forgotten beyond this)
MAX_UNTAGGED_FRAMES = 1000


@dataclass(frozen=True)
class AlertPolicy:
    min_score: float = 0.5
    min_area_px: dict[int, float] = field(default_factory=lambda: {1: 400.0, 2: 2000.0})

    def is_severe(self, inst: Instance) -> bool:
        limit = self.min_area_px.get(int(inst.class_id))
        return limit is not None and float(inst.score) >= self.min_score and float(inst.area_px) >= limit


def finding_json(frame_index: int, capture_time_utc_s: float, inst: Instance, pose: Pose, model_id: str,
                 severe: bool) -> dict[str, object]:
    def num(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    return {"frame_index": int(frame_index), "capture_time_utc_s": float(capture_time_utc_s),
            "class_id": int(inst.class_id), "class": CLASS_NAMES[int(inst.class_id)],
            "score": round(float(inst.score), 4), "area_px": round(float(inst.area_px), 1),
            "bbox_px": [round(v, 1) for v in inst.bbox_px], "severe": bool(severe), "model_id": model_id,
            "pose": {"status": pose.status, "lat_deg": num(pose.lat_deg), "lon_deg": num(pose.lon_deg),
                     "alt_msl_m": num(pose.alt_msl_m), "alt_rel_m": num(pose.alt_rel_m),
                     "h_acc_m": num(pose.h_acc_m), "fix_type": int(pose.fix_type)}}


STATUSTEXT_BYTES = 50  # STATUSTEXT.text is char[50]


def statustext_chunks(text: str) -> list[bytes]:
    """``text`` as STATUSTEXT texts: one when it fits 50 bytes, else MAVLink 2 chunks to send with one id and
    chunk_seq 0, 1, ... (cut between characters); a last chunk of exactly 50 bytes is followed by an empty one,
    since a GCS takes a chunk without a NUL to mean more follow (as ArduPilot sends them)."""
    data = text.encode()
    if len(data) <= STATUSTEXT_BYTES:
        return [data]
    chunks: list[bytes] = []
    chunk = b""
    for ch in text:
        b = ch.encode()
        if len(chunk) + len(b) > STATUSTEXT_BYTES:
            chunks.append(chunk)
            chunk = b""
        chunk += b
    chunks.append(chunk)
    if len(chunks[-1]) == STATUSTEXT_BYTES:
        chunks.append(b"")
    return chunks


class MavlinkAlerter:
    """Severe findings → STATUSTEXT (rate-limited) + NAMED_VALUE_INT ``SI_SEVERE`` count."""

    def __init__(self, send: Callable[[mavlink.MAVLink_message], bool], min_interval_s: float = 1.0,
                 severity: int = mavlink.MAV_SEVERITY_WARNING, name: str = "SI_SEVERE",
                 clock: Callable[[], float] = time.monotonic, value_interval_s: float = 0.5) -> None:
        if not 0 < len(name.encode()) <= 10:
            # NAMED_VALUE_INT.name is char[10]: pymavlink cut 'SI_SEVERE_CRACKS' to 'SI_SEVERE_' on the wire
            # without a word, and a GCS widget watching the full name never saw a value
            raise InputError(describe("NAMED_VALUE_INT name", f"expected 1 to 10 ASCII characters, got {name!r} "
                                      f"({len(name.encode())})", "Use a shorter name, e.g. SI_SEVERE"))
        self._send = send
        self.min_interval_s = min_interval_s
        # The count went out once per severe instance: 50 cracks a frame at 10 frames/s were 500
        # messages/s (~15 kB/s), more than a 57600-baud telemetry radio carries, crowding out the
        # vehicle's own telemetry. The count is cumulative, so sending the latest is enough.
        self.value_interval_s = value_interval_s
        self._last_value = -math.inf
        self._value_due = False
        self.severity = severity
        self.name = name
        self._clock = clock
        self._t0 = clock()
        self._last_text = -math.inf
        self._held: dict[int, tuple[int, Instance, Pose]] = {}  # class → the finding its next text tells
        self.count = 0
        self.sent_text = 0
        self.sent_values = 0

    def alert(self, frame_index: int, inst: Instance, pose: Pose) -> None:
        self.count += 1
        self._value_due = True
        self.located(frame_index, inst, pose)

    def located(self, frame_index: int, inst: Instance, pose: Pose) -> None:
        """Tell a finding already counted again, now that its frame has a position (not counted twice)."""
        # Held, not dropped: a corrosion 0.3 s after a crack's text fell inside the interval and was never
        # told (only the count rose), nor was a finding whose text the link refused while it was down.
        held = self._held.get(int(inst.class_id))
        if held is None or float(inst.score) >= float(held[1].score):
            self._held[int(inst.class_id)] = (frame_index, inst, pose)
        self.tick()

    def _send_texts(self, now: float, force: bool) -> None:
        while self._held and (force or now - self._last_text >= self.min_interval_s):
            cls = next(iter(self._held))  # the class held longest
            frame_index, inst, pose = self._held[cls]
            where = f" {pose.lat_deg:.5f},{pose.lon_deg:.5f}" if pose.is_tagged else " untagged"
            text = f"SI {CLASS_NAMES[cls]} f{frame_index} {float(inst.score):.2f}{where}"[:50]
            if not self._send(mavlink.MAVLink_statustext_message(self.severity, text.encode(), 0, 0)):
                return  # the link is down or full: kept for a later frame
            del self._held[cls]
            self._last_text = now
            self.sent_text += 1

    @property
    def held_texts(self) -> int:
        """Findings (one per class) whose text has not gone out yet."""
        return len(self._held)

    def tick(self, now: float | None = None, force: bool = False) -> None:
        """Send a held text once ``min_interval_s`` has passed, and the running count if it changed and
        ``value_interval_s`` has passed (``force``: both now)."""
        now = self._clock() if now is None else now
        self._send_texts(now, force)
        if not self._value_due or (not force and now - self._last_value < self.value_interval_s):
            return
        ms = int((now - self._t0) * 1000) & 0xFFFFFFFF
        if self._send(mavlink.MAVLink_named_value_int_message(ms, self.name.encode(), self.count)):
            self.sent_values += 1
            self._last_value, self._value_due = now, False


class MqttPublisher:
    """Publish each finding as JSON on ``topic`` (QoS 1) through a paho-mqtt client."""

    def __init__(self, host: str, port: int = 1883, topic: str = "skyinspect/findings", client_id: str = "",
                 keepalive_s: int = 30, max_queued: int = 10_000) -> None:
        try:
            import paho.mqtt.client as mqtt
        except ImportError as exc:  # pragma: no cover - depends on the install
            from skyinspect.errors import InputError

            raise InputError("MQTT alerts need paho-mqtt: pip install 'skyinspect[onboard]'") from exc
        self.topic = topic
        try:
            self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        except AttributeError:  # paho-mqtt 1.x
            self._client = mqtt.Client(client_id=client_id)
        self._client.max_queued_messages_set(max_queued)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_publish = self._on_publish
        # An unreachable broker was silent until the flight ended ('N finding(s) not acknowledged'):
        # each outage is now said once while it lasts, and its end.
        self.where, self.max_queued = f"{host}:{port}", max_queued
        self._down: str | None = None
        self._closing = False
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = lambda *_: self._say_down("cannot connect to")
        self._client.on_disconnect = lambda *args: None if self._closing else self._say_down("lost the connection to")
        self._client.connect_async(host, int(port), keepalive_s)
        self._client.loop_start()
        self.queued = 0  # accepted by paho (sent now, or once the broker is reachable)
        self.refused = 0  # refused by paho (its queue full while the broker is away): never sent
        self._refusing: object = None
        self.published = 0  # acknowledged by the broker (QoS 1 PUBACK)

    def _on_publish(self, *args: object) -> None:
        self.published += 1

    def _say_down(self, what: str) -> None:
        if self._down is None:
            self._down = what
            log.warning("MQTT: %s the broker %s; findings are kept (up to %d) and sent when it answers",
                        what, self.where, self.max_queued)

    def _on_connect(self, _client: object, _userdata: object, _flags: object, reason: object, *_: object) -> None:
        if getattr(reason, "is_failure", reason not in (0, None)):  # refused: bad credentials, not authorised
            self._down = None
            self._say_down(f"was refused ({reason}) by")
        elif self._down is not None:
            self._down = None
            log.warning("MQTT: connected to the broker %s; sending the findings kept meanwhile", self.where)

    def publish(self, payload: dict[str, object]) -> None:
        import paho.mqtt.client as mqtt

        info = self._client.publish(self.topic, json.dumps(payload, separators=(",", ":")), qos=1)
        if info.rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):  # NO_CONN: queued until connected
            self.queued += 1
            self._refusing = None
            return
        self.refused += 1
        # Once per run of refusals, not once per finding: with the broker away and paho's queue full,
        # every finding of the flight logged its own line (10 findings/s: 600 lines a minute).
        if self._refusing != info.rc:
            self._refusing = info.rc
            full = info.rc == mqtt.MQTT_ERR_QUEUE_SIZE
            log.warning("MQTT publish to %s refused (%s); findings are not sent until it accepts again (counted)",
                        self.topic, f"{self.max_queued} kept for the broker {self.where}, queue full" if full
                        else f"rc={info.rc}")

    def close(self, flush_timeout_s: float = 3.0) -> None:
        """Wait (bounded) for the broker to acknowledge what was queued, then disconnect."""
        deadline = time.monotonic() + flush_timeout_s
        while self.published < self.queued and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.published < self.queued or self.refused:
            log.warning("MQTT: %d finding(s) not acknowledged by the broker %s%s", self.queued - self.published,
                        self.where, f"; {self.refused} not sent at all (refused while its queue was full)"
                        if self.refused else "")
        self._closing = True
        self._client.disconnect()
        self._client.loop_stop()


def mqtt_target(spec: str) -> tuple[str, int, str]:
    """(host, port, topic) of ``--mqtt HOST[:PORT][/TOPIC]``, checked before anything is created (a port
    that is no number was a ValueError traceback, after the record was made)."""
    host, _, rest = spec.partition(":")
    if not rest:
        host, _, topic = host.partition("/")
        port = ""
    else:
        port, _, topic = rest.partition("/")
    if not host or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        raise InputError(describe("--mqtt", f"expected HOST, HOST:PORT or HOST:PORT/TOPIC, got {spec!r}",
                                  "e.g. --mqtt 127.0.0.1:1883/skyinspect/findings"))
    return host, int(port or 1883), topic or "skyinspect/findings"


class Alerts:
    """What the recorder calls for each recorded frame."""

    def __init__(self, policy: AlertPolicy | None = None, mavlink_alerter: MavlinkAlerter | None = None,
                 mqtt: MqttPublisher | None = None, publish_all: bool = True) -> None:
        self.policy = policy or AlertPolicy()
        self.mavlink = mavlink_alerter
        self.mqtt = mqtt
        self.publish_all = publish_all
        self.severe = 0
        # Findings told with an untagged pose, by frame, until it is re-tagged (or given up): the frame got
        # its position in the record a moment later, but the GCS and the MQTT consumer never did.
        self._untagged: OrderedDict[int, tuple[list[tuple[Instance, bool]], str]] = OrderedDict()
        self.located = 0  # findings told again with the position their frame was re-tagged with

    def on_frame(self, frame_index: int, capture_time_utc_s: float, pose: Pose, instances: tuple[Instance, ...],
                 model_id: str) -> None:
        told: list[tuple[Instance, bool]] = []
        for inst in instances:
            severe = self.policy.is_severe(inst)
            if severe:
                self.severe += 1
                if self.mavlink is not None:
                    self.mavlink.alert(frame_index, inst, pose)
            if self.mqtt is not None and (severe or self.publish_all):
                self.mqtt.publish(finding_json(frame_index, capture_time_utc_s, inst, pose, model_id, severe))
            if severe or (self.mqtt is not None and self.publish_all):
                told.append((inst, severe))
        if told and not pose.is_tagged:
            self._untagged[frame_index] = (told, model_id)
            while len(self._untagged) > MAX_UNTAGGED_FRAMES:
                self._untagged.popitem(last=False)
        if self.mavlink is not None:
            self.mavlink.tick()  # a count held back by the interval goes out with a later frame

    def on_retag(self, frame_index: int, pose: Pose) -> None:
        """A frame recorded untagged got its pose: its findings are told again with it (STATUSTEXT like any
        other, MQTT with ``"retagged": true``); a frame given up untagged is forgotten."""
        told = self._untagged.pop(frame_index, None)
        if told is None or not pose.is_tagged:
            return
        for inst, severe in told[0]:
            if severe and self.mavlink is not None:
                self.mavlink.located(frame_index, inst, pose)
            if self.mqtt is not None and (severe or self.publish_all):
                self.mqtt.publish({**finding_json(frame_index, pose.time_utc_s, inst, pose, told[1], severe),
                                   "retagged": True})
            self.located += 1

    def close(self) -> None:
        """Before the link stops: the last count goes out; MQTT is flushed."""
        if self.mavlink is not None:
            self.mavlink.tick(force=True)
            if self.mavlink.held_texts:
                log.warning("MAVLink: %d alert text(s) not sent (the link did not take them); the SI_SEVERE count "
                            "and the record hold every finding", self.mavlink.held_texts)
        if self.mqtt is not None:
            self.mqtt.close()
