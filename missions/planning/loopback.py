"""A loopback vehicle for tests and demos: a pymavlink thread on 127.0.0.1 that answers the
mission protocol like an autopilot (stores uploads, serves downloads, sends heartbeats).

Loopback addresses only; the thread stops after ``lifetime_s`` at the latest. ``legacy_requests``
makes it ask for items with MISSION_REQUEST (pre-MAVLink-2 vehicles) instead of
MISSION_REQUEST_INT; ``overwrite_home`` mimics ArduPilot replacing item 0 with its own home;
``drop_first_request`` ignores the first item once (to exercise the GCS's retries). ``autopilot``
("ardupilot" or "px4") is what its HEARTBEAT says it runs; ``gimbal_heartbeat`` adds a gimbal
component's HEARTBEAT (component 154, MAV_AUTOPILOT_INVALID) sent just before the autopilot's;
``other_vehicle`` (a system id) adds another vehicle's autopilot HEARTBEAT just before its own, as a router
shared by two vehicles forwards (that vehicle answers nothing); with ``other_vehicle_late`` only from the first
MISSION_COUNT on (a vehicle switched on, or come into radio range, during the upload).
Mission messages addressed to another component are ignored, as ArduPilot's routing does.
``max_items`` answers a longer MISSION_COUNT with MAV_MISSION_NO_SPACE; an item whose command is in
``unsupported`` is answered with MAV_MISSION_UNSUPPORTED (as ArduPilot before 4.3 for GIMBAL_MANAGER).
As ArduPilot's ``MissionItemProtocol::handle_mission_item``, an item out of sequence (a late duplicate)
is answered with MAV_MISSION_INVALID_SEQUENCE and dropped while the upload goes on;
``duplicate_request`` asks for item 1 twice, as ArduPilot re-requests an item not received within 1 s.
``lose_final_ack`` stores the mission but its MISSION_ACK never reaches the GCS (a lossy radio).
``ardupilot_storage`` serves the read-back as ArduPilot's AP_Mission stores the items
(``mavlink_int_to_mission_cmd`` / ``mission_cmd_to_mavlink_int``): commands without a stored location
come back with frame 0, altitudes of located commands in whole centimetres (truncated), the
gimbal-manager pitch and rates as whole degrees (int8); x and y are integers as sent.
The fence (MAV_MISSION_TYPE_FENCE) is taken as ArduPilot's ``MissionItemProtocol_Fence`` and
``AC_PolyFence_loader::validate_fence`` take it: a frame other than a global one is MAV_MISSION_UNSUPPORTED_FRAME,
a command other than a fence item MAV_MISSION_UNSUPPORTED, a fence that fails the check (a polygon under 3
vertices, vertex counts that disagree) MAV_MISSION_ERROR and the old fence kept; it is read back with frame 0,
z 0 and autocontinue 0. ``fence_max_items`` answers a longer count with MAV_MISSION_NO_SPACE (70 on ArduCopter, 16 KB board);
``fence_supported=False`` answers every fence message with MAV_MISSION_UNSUPPORTED (no fence in the build).
It speaks MAVLink 2, as ArduPilot 4 does on its telemetry ports (SERIALn_PROTOCOL 2); ``mavlink2=False``
keeps it on MAVLink 1 until the GCS speaks 2 (PX4's MAV_PROTO_VER 0), ``mavlink1_only`` whatever the GCS speaks
(ArduPilot SERIALn_PROTOCOL 1, PX4 MAV_PROTO_VER 1; only in a process not yet on MAVLink 2: pymavlink's
version is process-wide). A MISSION_COUNT truncates the stored mission to its count at
once, as ArduPilot's ``MissionItemProtocol_Waypoints::truncate`` does. ``ack_at=(seq, code)`` answers item
``seq`` (-1: the MISSION_COUNT) with MISSION_ACK ``code`` and ends the upload there (14 DENIED: another
ground station's transfer; 15 OPERATION_CANCELLED: ArduPilot's upload timeout, 8 s without an item).
``list_ack=code`` answers the mission's MISSION_REQUEST_LIST with MISSION_ACK ``code`` (14 DENIED: ArduPilot's
``MissionItemProtocol::handle_mission_request_list`` while another ground station uploads).
``px4_storage`` answers as PX4's ``MavlinkMissionManager::parse_mavlink_mission_item`` /
``format_mavlink_mission_item``: a command it takes only without coordinates (NAV_RETURN_TO_LAUNCH, DO
commands) sent in a global frame is refused with MAV_MISSION_UNSUPPORTED; located items come back in
the *_INT frames, their yaw (param 4) through float radians wrapped to [0, 2 pi). Its fence is taken as PX4's
``handle_mission_item_both`` takes one: a terrain frame is MAV_MISSION_UNSUPPORTED_FRAME, a polygon vertex
whose count is under 3 MAV_MISSION_ERROR, vertex counts that disagree are not checked; it reads back in
MAV_FRAME_GLOBAL_INT with z as sent.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from missions.planning.formats import FIRMWARE_TYPE

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


class LoopbackVehicle(threading.Thread):
    def __init__(self, port: int, transport: str = "udp", legacy_requests: bool = False,
                 overwrite_home: bool = False, drop_first_request: bool = False, lifetime_s: float = 30.0,
                 autopilot: str = "ardupilot", gimbal_heartbeat: bool = False, other_vehicle: int = 0,
                 other_vehicle_late: bool = False, max_items: int = 0,
                 unsupported: tuple[int, ...] = (), duplicate_request: bool = False,
                 lose_final_ack: bool = False, ardupilot_storage: bool = False, px4_storage: bool = False,
                 fence_supported: bool = True, fence_max_items: int = 0, mavlink2: bool = True,
                 mavlink1_only: bool = False, ack_at: tuple[int, int] = (), list_ack: int = 0) -> None:
        super().__init__(daemon=True, name=f"loopback-vehicle-{port}")
        self.url = f"{'udpin' if transport == 'udp' else 'tcpin'}:127.0.0.1:{port}"
        self.gcs_url = f"{'udpout' if transport == 'udp' else 'tcp'}:127.0.0.1:{port}"
        self.legacy, self.overwrite_home, self.drop = legacy_requests, overwrite_home, drop_first_request
        self.lifetime_s = lifetime_s
        self.mav_autopilot = FIRMWARE_TYPE[autopilot]  # MAV_AUTOPILOT_ARDUPILOTMEGA / _PX4 (as QGC's firmwareType)
        self.gimbal_heartbeat, self.other_vehicle = gimbal_heartbeat, other_vehicle
        self._other_heard = not other_vehicle_late
        self.max_items, self.unsupported = max_items, unsupported
        self.duplicate_request, self.lose_final_ack = duplicate_request, lose_final_ack
        self.ardupilot_storage, self.px4_storage = ardupilot_storage, px4_storage
        self.mission: list[Any] = []
        self.fence: list[Any] = []
        self.fence_supported, self.fence_max_items, self.mavlink2 = fence_supported, fence_max_items, mavlink2
        self.mavlink1_only = mavlink1_only
        self.ack_at, self.list_ack = ack_at, list_ack
        self._fence_expected, self._fence_in = 0, []  # type: ignore[var-annotated]
        self.requests_seen: list[str] = []
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def _run(self) -> None:
        from pymavlink import mavutil

        conn = mavutil.mavlink_connection(self.url, source_system=1, source_component=1)
        if self.mavlink1_only:
            conn.first_byte = False  # pymavlink switches on the first bytes heard only
        elif self.mavlink2:
            conn.auto_mavlink_version(b"\xfd")  # pymavlink's own switch, as on hearing a MAVLink 2 frame
        self.ready.set()
        end = time.monotonic() + self.lifetime_s
        expected, incoming, last_hb = 0, [], 0.0
        dropped = False
        try:
            while not self.stop_event.is_set() and time.monotonic() < end:
                now = time.monotonic()
                if now - last_hb > 0.2:
                    try:  # udpin sends nothing until a GCS has spoken
                        if self.other_vehicle and self._other_heard:
                            conn.mav.srcSystem = self.other_vehicle
                            conn.mav.heartbeat_send(2, self.mav_autopilot, 0, 0, 4)
                            conn.mav.srcSystem = 1
                        if self.gimbal_heartbeat:
                            conn.mav.srcComponent = 154  # MAV_COMP_ID_GIMBAL, MAV_TYPE_GIMBAL, MAV_AUTOPILOT_INVALID
                            conn.mav.heartbeat_send(26, 8, 0, 0, 4)
                            conn.mav.srcComponent = 1
                        conn.mav.heartbeat_send(2, self.mav_autopilot, 0, 0, 4)  # quadrotor, standby
                    except OSError:
                        pass
                    last_hb = now
                msg = conn.recv_match(blocking=True, timeout=0.05)
                if msg is None or msg.get_srcSystem() == 1 or getattr(msg, "target_component", 1) not in (0, 1):
                    continue
                t, ts, tc = msg.get_type(), msg.get_srcSystem(), msg.get_srcComponent()
                if t in FENCE_MESSAGES and getattr(msg, "mission_type", 0) == 1:  # MAV_MISSION_TYPE_FENCE
                    self._fence_message(conn, msg)
                elif t == "MISSION_COUNT":
                    if not self._other_heard:
                        self._other_heard, last_hb = True, 0.0  # heard from now on: at once (an upload here is ms)
                    expected, incoming = int(msg.count), []
                    if self.max_items and expected > self.max_items:
                        conn.mav.mission_ack_send(ts, tc, 4, 0)  # MAV_MISSION_NO_SPACE
                        continue
                    if self.ack_at and self.ack_at[0] == -1:
                        conn.mav.mission_ack_send(ts, tc, self.ack_at[1], 0)
                        continue
                    self.mission = self.mission[:expected]  # after the checks, as handle_mission_count
                    self._request(conn, ts, tc, 0)
                elif t == "MISSION_ITEM_INT" and self.ack_at and self.ack_at[0] == msg.seq:
                    # AP_Mission has stored each item as it came (replace_cmd / add_cmd): the items so far stay
                    self.mission = incoming + self.mission[len(incoming):expected]
                    conn.mav.mission_ack_send(ts, tc, self.ack_at[1], 0)
                elif t == "MISSION_ITEM_INT" and (msg.command in self.unsupported or (
                        self.px4_storage and msg.frame in (0, 3, 5, 6) and msg.command not in PX4_GLOBAL_COMMANDS)):
                    conn.mav.mission_ack_send(ts, tc, 3, 0)  # MAV_MISSION_UNSUPPORTED
                elif t == "MISSION_ITEM_INT":
                    if self.drop and not dropped and msg.seq == 1:
                        dropped = True  # pretend it was lost and ask for it again
                        self._request(conn, ts, tc, len(incoming))
                        continue
                    if int(msg.seq) != len(incoming):
                        conn.mav.mission_ack_send(ts, tc, 13, 0)  # MAV_MISSION_INVALID_SEQUENCE; still receiving
                        continue
                    incoming.append(msg)
                    if len(incoming) < expected:
                        if self.duplicate_request and len(incoming) == 1:
                            self._request(conn, ts, tc, 1)  # the 1-s re-request crossing the item in flight
                        self._request(conn, ts, tc, len(incoming))
                    else:
                        self.mission = list(incoming)
                        if self.overwrite_home and self.mission:
                            self.mission[0].x, self.mission[0].y = self.mission[0].x + 3, self.mission[0].y - 3
                        if not self.lose_final_ack:
                            conn.mav.mission_ack_send(ts, tc, 0, 0)
                elif t == "MISSION_REQUEST_LIST" and self.list_ack:
                    conn.mav.mission_ack_send(ts, tc, self.list_ack, 0)
                elif t == "MISSION_REQUEST_LIST":
                    conn.mav.mission_count_send(ts, tc, len(self.mission), 0)
                elif t in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
                    self.requests_seen.append(t)
                    if 0 <= msg.seq < len(self.mission):
                        m = self.mission[msg.seq]
                        frame, p, z = m.frame, [m.param1, m.param2, m.param3, m.param4], m.z
                        if self.ardupilot_storage:
                            frame, p, z = _as_ardupilot_stores(m)
                        elif self.px4_storage:
                            frame, p = _as_px4_stores(m)
                        conn.mav.mission_item_int_send(ts, tc, m.seq, frame, m.command, 0, m.autocontinue,
                                                       *p, m.x, m.y, z, 0)
        finally:
            conn.close()

    def _request(self, conn: Any, ts: int, tc: int, seq: int, mission_type: int = 0) -> None:
        if self.legacy:
            conn.mav.mission_request_send(ts, tc, seq, mission_type)
        else:
            conn.mav.mission_request_int_send(ts, tc, seq, mission_type)

    def _fence_message(self, conn: Any, msg: Any) -> None:
        t, ts, tc = msg.get_type(), msg.get_srcSystem(), msg.get_srcComponent()
        if not self.fence_supported:  # GCS_MAVLINK: no protocol for the mission type
            conn.mav.mission_ack_send(ts, tc, 3, 1)
        elif t == "MISSION_COUNT":
            self._fence_expected, self._fence_in = int(msg.count), []
            if self.fence_max_items and self._fence_expected > self.fence_max_items:
                conn.mav.mission_ack_send(ts, tc, 4, 1)  # MAV_MISSION_NO_SPACE
            elif self._fence_expected == 0:
                self.fence = []
                conn.mav.mission_ack_send(ts, tc, 0, 1)
            else:
                self._request(conn, ts, tc, 0, 1)
        elif t == "MISSION_ITEM_INT":
            if int(msg.seq) != len(self._fence_in):
                conn.mav.mission_ack_send(ts, tc, 13, 1)
                return
            refusal = 2 if msg.frame not in ((0, 3, 5, 6) if self.px4_storage else (0, 3, 5, 6, 10, 11)) else \
                3 if msg.command not in range(5000, 5005) else 0
            if self.px4_storage and not refusal and msg.command in (5001, 5002) and int(msg.param1 + 0.5) < 3:
                refusal = 1  # PX4 handle_mission_item_both: "Fence: too few vertices", MAV_MISSION_ERROR
            if refusal:  # convert_MISSION_ITEM_INT_to_AC_PolyFenceItem: the upload ends there
                conn.mav.mission_ack_send(ts, tc, refusal, 1)
                self._fence_expected, self._fence_in = 0, []
                return
            self._fence_in.append(msg)
            if len(self._fence_in) < self._fence_expected:
                self._request(conn, ts, tc, len(self._fence_in), 1)
                return
            ok = self.px4_storage or _valid_fence(self._fence_in)  # PX4 checks each vertex's count alone
            if ok:
                self.fence = list(self._fence_in)
            conn.mav.mission_ack_send(ts, tc, 0 if ok else 1, 1)  # MAV_MISSION_ERROR: write_fence failed
        elif t == "MISSION_REQUEST_LIST":
            conn.mav.mission_count_send(ts, tc, len(self.fence), 1)
        elif t in ("MISSION_REQUEST_INT", "MISSION_REQUEST") and 0 <= msg.seq < len(self.fence):
            m = self.fence[msg.seq]  # MissionItemProtocol_Fence::get_item_as_mission_item: frame, z, autocontinue 0
            # PX4 format_mavlink_mission_item: a fence point keeps no relative-altitude flag, so it reads back in
            # MAV_FRAME_GLOBAL_INT whatever frame it went up in, with its z; autocontinue 0 as well
            frame, z = (5, m.z) if self.px4_storage else (0, 0)
            conn.mav.mission_item_int_send(ts, tc, m.seq, frame, m.command, 0, 0, m.param1, 0, 0, 0, m.x, m.y, z, 1)


FENCE_MESSAGES = ("MISSION_COUNT", "MISSION_ITEM_INT", "MISSION_REQUEST_LIST", "MISSION_REQUEST_INT", "MISSION_REQUEST")


def _valid_fence(items: list[Any]) -> bool:
    """AC_PolyFence_loader::validate_fence: each polygon's vertices in a row, all with its vertex count (>= 3)."""
    left, kind, count = 0, 0, 0
    for m in items:
        if m.command in (5001, 5002):
            n = int(m.param1)
            if n < 3:
                return False
            if left == 0:
                left, kind, count = n, m.command, n
            elif m.command != kind or n != count:
                return False
            left -= 1
        elif left or (m.command in (5003, 5004) and not m.param1 > 0):
            return False
    return left == 0


# AP_Mission::stored_in_location: the commands ArduPilot keeps a location (and its frame) for
ARDUPILOT_LOCATION_COMMANDS = (16, 17, 18, 19, 21, 22, 30, 31, 82, 92, 179, 189, 191, 201)


def _as_ardupilot_stores(m: Any) -> tuple[int, list[float], float]:
    """(frame, param1..4, z) of MISSION_ITEM_INT ``m`` as ArduPilot sends it back after storing it."""
    import numpy as np

    p = [m.param1, m.param2, m.param3, m.param4]
    if m.command == 195:  # DO_SET_ROI_LOCATION: how AP_Mission keeps it was not established; served as sent
        return m.frame, p, m.z
    if m.command in ARDUPILOT_LOCATION_COMMANDS:  # alt in int32 cm: packet.z * 100.0f truncated, back * 0.01f
        cm = int(np.float32(m.z) * np.float32(100.0))
        return (3 if m.frame in (3, 6) else 0), p, float(np.float32(cm) * np.float32(0.01))
    if m.command == 1000:  # gimbal_manager_pitchyaw_Command: int8 pitch, int16 yaw, int8 rates
        p = [float(int(p[0])), float(int(p[1])), float(int(p[2])), float(int(p[3]))]
    return 0, p, m.z


# PX4 parse_mavlink_mission_item: the commands it takes in a global frame (any other: MAV_MISSION_UNSUPPORTED)
PX4_GLOBAL_COMMANDS = (16, 17, 18, 19, 21, 22, 31, 80, 84, 85, 195, 201, 4501, 5000, 5001, 5002, 5003, 5004, 5100)


def _as_px4_stores(m: Any) -> tuple[int, list[float]]:
    """(frame, param1..4) of MISSION_ITEM_INT ``m`` as PX4 sends it back: located items in the *_INT
    frames, the yaw of NAV_WAYPOINT/NAV_LAND/NAV_TAKEOFF as degrees(wrap_2pi(radians(param4))) in float."""
    import numpy as np

    p = [m.param1, m.param2, m.param3, m.param4]
    if m.frame not in (0, 3, 5, 6) or m.command == 195:  # DO_SET_ROI_LOCATION's read-back: not established
        return m.frame, p
    if m.command in (16, 21, 22):
        rad = np.float32(np.radians(np.float32(p[3]), dtype=np.float32))
        two_pi = np.float32(2 * np.pi)
        rad = np.float32(rad - two_pi * np.floor(rad / two_pi)) if np.isfinite(rad) else rad
        p[3] = float(np.float32(np.degrees(rad, dtype=np.float32)))
    return (6 if m.frame in (3, 6) else 5), p


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def unanswered_tcp_port() -> Iterator[int]:
    """A loopback TCP port whose connection attempts are never answered, as a host that is off, on another
    network or behind a firewall dropping the port: a listener with a full accept queue (Linux then drops
    each SYN), so ``connect`` waits for the kernel's SYN retries (~130 s with tcp_syn_retries 6)."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    try:
        for _ in range(3):  # one completes into the accept queue, which then holds no more
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        with socket.socket() as probe:
            probe.settimeout(0.3)
            try:
                probe.connect(("127.0.0.1", port))
            except TimeoutError:
                pass
            else:
                raise RuntimeError("this kernel answered a connection to a full accept queue")
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()
