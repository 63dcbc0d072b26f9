"""MAVLink mission protocol: upload a plan, download it back, compare (pymavlink, udp/tcp/serial).

Upload: MISSION_COUNT → the vehicle asks for each item with MISSION_REQUEST_INT (or the legacy
MISSION_REQUEST, answered the same way, with MISSION_ITEM_INT, as QGroundControl does) → we send
MISSION_ITEM_INT → the vehicle ends with MISSION_ACK. Download: MISSION_REQUEST_LIST →
MISSION_COUNT → MISSION_REQUEST_INT per item → MISSION_ITEM_INT → we send MISSION_ACK.
Every wait is bounded (``timeout_s`` per message, ``retries`` re-sends), so a silent link fails
with a ``TelemetryError`` naming the step instead of hanging; so does a link that drops (a TCP server
closing, a serial device unplugged), and an upload cut short says that the vehicle's mission has changed.
A MISSION_ACK saying MAV_MISSION_INVALID_SEQUENCE during the upload is not a refusal: ArduPilot sends it for a late
duplicate item and keeps the upload going. A MISSION_ACK error in answer to a read (ArduPilot's
MAV_MISSION_DENIED while another ground station uploads, MAV_MISSION_UNSUPPORTED for a mission type its
build lacks) is named with its fix, not waited out as a silent link.

ArduPilot stores home as item 0, so for ``autopilot == "ardupilot"`` the upload starts with home
and the comparison skips item 0 (the vehicle overwrites it); PX4 missions start at item 0.

The plan's fence (``fence.fence_items``) goes up after the mission as MAV_MISSION_TYPE_FENCE, the
same protocol with ``mission_type`` 1 on every message, and is read back and compared too, in the order
QGroundControl sends them (mission, then fence). A plan without a fence leaves the vehicle's fence as it is.

The vehicle is the first HEARTBEAT from an autopilot (a gimbal's, camera's or companion computer's
says MAV_AUTOPILOT_INVALID, and a mission sent to that component is never answered); a plan made for
the other autopilot than the one the HEARTBEAT names is refused before anything is sent. On a link that carries
more than one vehicle's autopilot (a router or radio shared by vehicles) ``system_id`` (``--system-id``) chooses;
without it the upload is refused when another autopilot's HEARTBEAT comes with the first one's (it went to whichever
came first), and a vehicle heard only during the transfer is named in the result (``other_vehicles``).
"""

from __future__ import annotations

import math
import socket
import time
from dataclasses import dataclass
from typing import Any

from skyinspect.errors import TelemetryError

from missions.planning.fence import FENCE_COMMANDS
from missions.planning.formats import FIRMWARE_TYPE
from missions.planning.mission import FRAME_GLOBAL, GLOBAL_FRAMES, NAV_WAYPOINT, MissionItem
from missions.planning.upload_errors import MISSION_TYPE_FENCE, MISSION_TYPE_MISSION, TRANSFER, cut_short, \
    download_refusal, refusal

SAME_FRAME = {5: 0, 6: 3, 11: 10}  # the deprecated *_INT frames mean the same altitude reference
# commands whose x/y/z are a position: ArduPilot's AP_Mission::stored_in_location, and DO_SET_ROI_LOCATION.
# ArduPilot keeps no frame for any other command (it reads back frame 0) and copies their x/y as integers.
LOCATED_COMMANDS = frozenset((16, 17, 18, 19, 21, 22, 30, 31, 82, 92, 179, 189, 191, 195, 201))
STORED_ALT_TOL_M = 0.0101  # ArduPilot keeps altitudes in whole cm: int32(packet.z * 100.0f), read back * 0.01f
MAV_MISSION_ACCEPTED, MAV_MISSION_INVALID_SEQUENCE = 0, 13
GCS_SYSID, GCS_COMPID = 255, 190
HEARD_BESIDE_S = 0.1  # after the first autopilot's HEARTBEAT, how long others that came with it are read
MAV_TYPE_GCS, MAV_AUTOPILOT_INVALID = 6, 8
AUTOPILOT_OF_HEARTBEAT = {v: k for k, v in FIRMWARE_TYPE.items()}  # MAV_AUTOPILOT_ARDUPILOTMEGA, _PX4
AUTOPILOT_NAMES = {"ardupilot": "ArduPilot", "px4": "PX4"}


@dataclass(frozen=True)
class TransferResult:
    sent: int
    received: int
    same: bool
    differences: tuple[str, ...]
    acknowledged: bool = True  # False: every item went up but no MISSION_ACK came; the read-back decided
    fence_sent: int = 0  # fence items uploaded (MAV_MISSION_TYPE_FENCE) and read back; 0: none sent
    system_id: int = 0  # the vehicle's system id (0: not known)
    other_vehicles: tuple[int, ...] = ()  # other systems whose autopilot was heard during the transfer


def to_int_fields(it: MissionItem) -> tuple[int, int]:
    if it.frame in GLOBAL_FRAMES:
        return int(round(it.params[4] * 1e7)), int(round(it.params[5] * 1e7))
    return int(round(0.0 if math.isnan(it.params[4]) else it.params[4])), \
        int(round(0.0 if math.isnan(it.params[5]) else it.params[5]))


def from_item_int(msg: Any) -> MissionItem:
    """A read-back item; x/y are degrees only for a command with a position (a DO_DIGICAM_CONTROL's x = 1
    comes back from ArduPilot in frame 0, and is 1, not 1e-7 degrees)."""
    if (msg.command in LOCATED_COMMANDS or msg.command in FENCE_COMMANDS) and msg.frame in GLOBAL_FRAMES:
        x, y = msg.x / 1e7, msg.y / 1e7
    else:
        x, y = float(msg.x), float(msg.y)
    return MissionItem(int(msg.command), int(msg.frame),
                       (float(msg.param1), float(msg.param2), float(msg.param3), float(msg.param4), x, y, float(msg.z)),
                       bool(msg.autocontinue))


def with_home(items: tuple[MissionItem, ...], home_lat_lon_alt: tuple[float, float, float],
              autopilot: str) -> tuple[MissionItem, ...]:
    if autopilot != "ardupilot":
        return tuple(items)
    home = MissionItem(NAV_WAYPOINT, FRAME_GLOBAL, (0.0, 0.0, 0.0, 0.0) + tuple(home_lat_lon_alt))  # type: ignore[arg-type]
    return (home,) + tuple(items)


def connect(url: str, timeout_s: float = 10.0, system_id: int | None = None) -> Any:
    """Open a pymavlink connection (e.g. udpout:127.0.0.1:14550, tcp:127.0.0.1:5760, /dev/ttyACM0)
    and wait for the vehicle's heartbeat; a TCP connect included, all within ``timeout_s``. ``system_id``: the
    vehicle to take on a link that carries more than one (else the only autopilot heard; ``conn.autopilots_heard``
    keeps every system whose autopilot is heard from then on)."""
    from onboard.telemetry.link_spec import open_link, parse_link, unreachable_hint

    try:  # onboard's reading of the string: a port over 65535 was a traceback, DEV:BAUD was taken for a UDP host
        spec = parse_link(url)
    except TelemetryError as exc:
        raise TelemetryError(f"--connect {exc}") from exc
    deadline = time.monotonic() + timeout_s
    try:  # onboard's opener too: MAVLink 2 from the first message (a vehicle may wait for it to switch)
        conn = open_link(spec, GCS_SYSID, GCS_COMPID, connect_timeout_s=timeout_s)
    except ModuleNotFoundError as exc:  # pyserial is not a dependency: it told a serial user to use a serial device
        raise TelemetryError(f"--connect {url}: expected pyserial for a serial link, got none installed "
                             f"({exc}). pip install pyserial (or connect over udpout:/tcp:)") from exc
    except ConnectionRefusedError as exc:  # it said 'Use udpout:HOST:PORT, tcp:HOST:PORT' of a well-formed string
        raise TelemetryError(f"--connect {url}: expected a TCP server to accept the connection, got it refused "
                             f"({exc}): nothing listens at that address and port. Check that SITL, mavlink-router "
                             f"or the autopilot's TCP server is running, and the port") from exc
    except socket.gaierror as exc:  # it said 'Use udpout:HOST:PORT, tcp:HOST:PORT' of a string in that form
        host = spec.url.split(":")[1]
        raise TelemetryError(f"--connect {url}: expected a host that resolves, got {host!r}, which does not resolve "
                             f"({exc}). Check the spelling, or give the vehicle's or router's IP address") from exc
    except TimeoutError as exc:  # a host that never answers: was ~135 s a try, 3 tries
        raise TelemetryError(f"--connect {url}: expected a TCP server to accept the connection, got {exc}. Check the "
                             f"host's address (the vehicle or router may be off or on another network) and that no "
                             f"firewall drops the port; --connect-timeout-s waits longer") from exc
    except Exception as exc:  # pymavlink raises bare OSErrors/ValueErrors for bad URLs
        if unreachable := unreachable_hint(exc):  # it said 'Use udpout:HOST:PORT' of a string in that form
            raise TelemetryError(f"--connect {url}: cannot open ({exc}). {unreachable}") from exc
        raise TelemetryError(f"--connect {url}: cannot open ({exc}). Use udpout:HOST:PORT, tcp:HOST:PORT "
                             f"or a serial device") from exc
    others: set[str] = set()  # components heard that are not an autopilot
    conn.autopilots_heard = heard = set()  # every system whose autopilot HEARTBEAT came, through the whole transfer
    conn.message_hooks.append(lambda _conn, m: heard.add(m.get_srcSystem()) if _is_autopilot(m) else None)
    try:
        hb = _autopilot_heartbeat(conn, deadline, others, system_id)
        settle = time.monotonic() + HEARD_BESIDE_S
        while hb is not None and system_id is None and (left := settle - time.monotonic()) > 0:
            conn.recv_match(type="HEARTBEAT", blocking=True, timeout=left)  # another vehicle's, beside it
    except OSError as exc:  # a TCP server that closes (a router with no vehicle behind it), a serial device unplugged
        conn.close()
        raise TelemetryError(f"--connect {url}: expected the vehicle's HEARTBEAT, got the link closed ({exc}). Check "
                             f"that the vehicle, or the router's link to it, is up, then upload again") from exc
    if hb is None:
        conn.close()
        if system_id is not None and heard:
            raise TelemetryError(f"--connect {url}: expected the autopilot of system {system_id}, heard only "
                                 f"system{'s' if len(heard) > 1 else ''} {_listed(heard)} within {timeout_s:g} s. "
                                 f"Check --system-id (the vehicle's SYSID_THISMAV / MAV_SYS_ID)")
        also = f" (heard only system/component {', '.join(sorted(others))}, not an autopilot)" if others else ""
        raise TelemetryError(f"--connect {url}: no HEARTBEAT from a vehicle's autopilot within {timeout_s:g} s"
                             f"{also}. Check the address, that the vehicle is powered and the link is up")
    if system_id is None and len(heard) > 1:  # the first heard is a guess: the mission could go to another vehicle
        conn.close()
        raise TelemetryError(f"--connect {url}: expected one vehicle, heard the autopilots of systems {_listed(heard)} "
                             f"(a router or radio shared by vehicles); nothing was sent. Choose one with --system-id "
                             f"(e.g. --system-id {min(heard)})")
    conn.target_system, conn.target_component = hb.get_srcSystem(), hb.get_srcComponent() or 1
    conn.vehicle_autopilot = AUTOPILOT_OF_HEARTBEAT.get(int(hb.autopilot))  # None: another autopilot
    return conn


def _is_autopilot(msg: Any) -> bool:
    """An autopilot's HEARTBEAT (onboard's test of a vehicle's: not a GCS's, a gimbal's, camera's or companion's)."""
    from onboard.telemetry.link_peers import is_vehicle_telemetry  # lazily, as connect's link_spec

    return msg.get_type() == "HEARTBEAT" and msg.get_srcSystem() != GCS_SYSID and is_vehicle_telemetry(msg)


def _listed(systems: set[int]) -> str:
    ids = [str(s) for s in sorted(systems)]
    return ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} and {ids[-1]}"


def _autopilot_heartbeat(conn: Any, deadline: float, others: set[str], system_id: int | None = None) -> Any:
    """The first HEARTBEAT from an autopilot (``system_id``'s when given) before ``deadline`` (None: none came);
    ``others`` gets the components heard that are not an autopilot."""
    while time.monotonic() < deadline:
        conn.mav.heartbeat_send(MAV_TYPE_GCS, MAV_AUTOPILOT_INVALID, 0, 0, 0)  # tells udpin peers where we are
        hb = conn.recv_match(type="HEARTBEAT", blocking=True, timeout=0.5)
        if hb is None or hb.get_srcSystem() == GCS_SYSID:
            continue
        if not _is_autopilot(hb):
            others.add(f"{hb.get_srcSystem()}/{hb.get_srcComponent()}")
        elif system_id is None or hb.get_srcSystem() == system_id:
            return hb
    return None


def _wait(conn: Any, types: list[str], timeout_s: float, mission_type: int = MISSION_TYPE_MISSION) -> Any:
    """The next of ``types`` from the vehicle about this transfer: a late MISSION_ACK of the mission's upload
    is not the fence's (mission_type is a MAVLink 2 extension: 0 when absent)."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        msg = conn.recv_match(type=types, blocking=True, timeout=left)
        if msg is not None and msg.get_srcSystem() == conn.target_system:
            conn.vehicle_framing = msg.get_msgbuf()[0]  # 0xFD: its last answer came as MAVLink 2
            if int(getattr(msg, "mission_type", 0)) == mission_type:
                return msg


def _vehicle_speaks_mavlink2(conn: Any) -> bool:
    """Whether the vehicle's last answer came in MAVLink 2 framing. We speak 2 from the first message (open_link),
    so pymavlink's own version says nothing of the vehicle's: one held on MAVLink 1 (ArduPilot SERIALn_PROTOCOL 1)
    answers in 1 and would never carry the fence's mission_type."""
    return bool(conn.mavlink20()) and getattr(conn, "vehicle_framing", 0xFD) == 0xFD


def _wait_download(conn: Any, want: str, timeout_s: float, mission_type: int) -> Any:
    """The vehicle's ``want`` during a read, or None; a MISSION_ACK error instead is its refusal. An ACCEPTED or
    INVALID_SEQUENCE ACK is the upload's, arriving late, not an answer to the read."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        msg = _wait(conn, [want, "MISSION_ACK"], left, mission_type) if left > 0 else None
        if msg is None or msg.get_type() == want:
            return msg
        if int(msg.type) not in (MAV_MISSION_ACCEPTED, MAV_MISSION_INVALID_SEQUENCE):
            raise TelemetryError(download_refusal(int(msg.type), mission_type))


def upload(conn: Any, items: tuple[MissionItem, ...], timeout_s: float = 1.5, retries: int = 5,
           ack_lost_ok: bool = False, mission_type: int = MISSION_TYPE_MISSION) -> int:
    """Send ``items`` (seq 0 first); return the count the vehicle accepted. ``ack_lost_ok``: when the last
    item was sent and no MISSION_ACK follows, return -1 instead of failing (the caller reads the mission
    back to decide). Re-sending the last item is no cure: the vehicle has ended the upload and does not
    repeat its ACK (ArduPilot's ``MissionItemProtocol::handle_mission_item`` then has no link and reports
    an internal error)."""
    ts, tc = conn.target_system, conn.target_component
    n = len(items)
    last_sent: int | None = None  # the item written last (None: none yet)
    tries = 0
    last_seq: int | None = None  # the item the vehicle asked for last (a refusal is about it)
    what = TRANSFER[mission_type]
    try:
        conn.mav.mission_count_send(ts, tc, n, mission_type)
        while True:
            msg = _wait(conn, ["MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"], timeout_s, mission_type)
            if msg is None:
                tries += 1
                if tries > retries:
                    if ack_lost_ok and last_seq == n - 1:
                        return -1
                    said = (f"{what} upload: no MISSION_REQUEST/ACK after {retries} retries "
                            f"({'count not answered' if last_sent is None else 'items started'}). Check the link")
                    raise TelemetryError(cut_short(said, items, last_seq, last_sent, mission_type))
                if last_sent is None:
                    conn.mav.mission_count_send(ts, tc, n, mission_type)
                continue
            if msg.get_type() == "MISSION_ACK" and msg.type == MAV_MISSION_INVALID_SEQUENCE:
                # a late duplicate of an item the vehicle asked for twice (ArduPilot re-asks after 1 s): it
                # drops that copy and goes on asking; out-of-sequence messages are recoverable in the mission
                # protocol. Counted as a retry, not an answer, so a vehicle that only says this still fails.
                tries += 1
                if tries > retries:
                    raise TelemetryError(refusal(MAV_MISSION_INVALID_SEQUENCE, items, last_seq, mission_type))
                continue
            tries = 0
            if msg.get_type() == "MISSION_ACK":
                if msg.type != MAV_MISSION_ACCEPTED:
                    raise TelemetryError(refusal(int(msg.type), items, last_seq, mission_type))
                return n
            seq = last_seq = int(msg.seq)
            if not 0 <= seq < n:
                raise TelemetryError(f"{what} upload: vehicle asked for item {seq} of {n}")
            it = items[seq]
            x, y = to_int_fields(it)
            p = it.params
            conn.mav.mission_item_int_send(ts, tc, seq, it.frame, it.command, 0, int(it.autocontinue),
                                           p[0], p[1], p[2], p[3], x, y, p[6], mission_type)
            last_sent = seq
    except OSError as exc:  # a TCP server closing, a serial device unplugged: pymavlink raises at a read or write
        said = f"{what} upload: the link failed ({exc})"
        raise TelemetryError(cut_short(said, items, last_seq, last_sent, mission_type)) from exc


def download(conn: Any, timeout_s: float = 1.5, retries: int = 5,
             mission_type: int = MISSION_TYPE_MISSION) -> tuple[MissionItem, ...]:
    ts, tc = conn.target_system, conn.target_component
    what = TRANSFER[mission_type]
    count = None
    try:
        for _ in range(retries + 1):
            conn.mav.mission_request_list_send(ts, tc, mission_type)
            msg = _wait_download(conn, "MISSION_COUNT", timeout_s, mission_type)
            if msg is not None:
                count = int(msg.count)
                break
        if count is None:
            raise TelemetryError(f"{what} download: no MISSION_COUNT after {retries} retries. Check the link")
        out: list[MissionItem] = []
        for seq in range(count):
            for _ in range(retries + 1):
                conn.mav.mission_request_int_send(ts, tc, seq, mission_type)
                msg = _wait_download(conn, "MISSION_ITEM_INT", timeout_s, mission_type)
                if msg is not None and int(msg.seq) == seq:
                    out.append(from_item_int(msg))
                    break
            else:
                raise TelemetryError(f"{what} download: item {seq} of {count} not received after {retries} retries")
        conn.mav.mission_ack_send(ts, tc, MAV_MISSION_ACCEPTED, mission_type)
        return tuple(out)
    except OSError as exc:  # a TCP server closing, a serial device unplugged: pymavlink raises at a read or write
        raise TelemetryError(f"{what} download: the link failed ({exc})") from exc


def compare(sent: tuple[MissionItem, ...], got: tuple[MissionItem, ...], skip_home: bool) -> tuple[str, ...]:
    diffs = []
    if len(sent) != len(got):
        diffs.append(f"count: sent {len(sent)}, read back {len(got)}")
    start = 1 if skip_home else 0
    for seq, (a, b) in enumerate(zip(sent, got)):
        if seq >= start and not same_as_stored(a, b):
            diffs.append(f"item {seq}: sent {a.name} (frame {a.frame}) {a.params}, read back {b.name} "
                         f"(frame {b.frame}) {b.params}")
    return tuple(diffs)


def same_as_stored(sent: MissionItem, got: MissionItem) -> bool:
    """Whether the vehicle holds ``sent`` as ``got`` says: the frame counts only for a command with a
    position (its altitude reference), whose altitude may come back to the centimetre below."""
    located = sent.command in LOCATED_COMMANDS or sent.command in FENCE_COMMANDS
    fence = sent.command in FENCE_COMMANDS  # ArduPilot reads a fence item back with autocontinue 0, z 0
    if sent.command != got.command or (not fence and bool(sent.autocontinue) != bool(got.autocontinue)):
        return False
    if located and SAME_FRAME.get(sent.frame, sent.frame) != SAME_FRAME.get(got.frame, got.frame):
        return False
    for k, (a, b) in enumerate(zip(sent.params, got.params)):
        if math.isnan(a) or math.isnan(b):
            if not (math.isnan(a) and math.isnan(b)):
                return False
        elif abs(a - b) > (STORED_ALT_TOL_M if located and k == 6 else 1e-9):
            return False
    return True


def upload_and_verify(url: str, items: tuple[MissionItem, ...], home_lat_lon_alt: tuple[float, float, float],
                      autopilot: str, timeout_s: float = 1.5, connect_timeout_s: float = 10.0,
                      fence: tuple[MissionItem, ...] = (), system_id: int | None = None) -> TransferResult:
    """Upload the mission, read it back and compare; then the same for ``fence`` (fence items) if any."""
    conn = connect(url, connect_timeout_s, system_id)
    try:
        runs = getattr(conn, "vehicle_autopilot", None)
        if runs is not None and runs != autopilot:  # ArduPilot would take a PX4 plan's take-off as its home
            raise TelemetryError(
                f"--connect {url}: expected a vehicle running {AUTOPILOT_NAMES[autopilot]} (the plan's firmwareType), "
                f"got {AUTOPILOT_NAMES[runs]} (its HEARTBEAT); the commands differ (item 0 is home on ArduPilot; "
                f"heading by CONDITION_YAW there, by waypoint yaw on PX4), so nothing was sent. "
                f"Plan again with --autopilot {runs}")
        full = with_home(items, home_lat_lon_alt, autopilot)
        n = upload(conn, full, timeout_s, ack_lost_ok=True)
        try:
            back = download(conn, timeout_s)
        except TelemetryError as exc:
            raise TelemetryError(f"{exc}. The mission went up but was not read back to check it: do not fly it in "
                                 f"AUTO until one reads back identical") from exc
        diffs = compare(full, back, skip_home=autopilot == "ardupilot")
        fence_sent = 0  # the fence goes up only after a mission that reads back identical
        if fence and not diffs:
            if not _vehicle_speaks_mavlink2(conn):  # mission_type is a MAVLink 2 extension: MAVLink 1 drops it
                raise TelemetryError(
                    f"fence upload: the link speaks MAVLink 1, which cannot say that a MISSION_COUNT is for the fence: "
                    f"the vehicle would take it for a new mission and ArduPilot would cut the mission just uploaded to "
                    f"{len(fence)} items. The mission was uploaded and read back identical; the fence was not sent. "
                    f"Set the telemetry port to MAVLink 2 (ArduPilot SERIALn_PROTOCOL 2) or upload the fence from "
                    f"QGroundControl")
            try:
                upload(conn, fence, timeout_s, ack_lost_ok=True, mission_type=MISSION_TYPE_FENCE)
            except TelemetryError as exc:
                raise TelemetryError(f"{exc}. The mission was uploaded and read back identical; the fence was not "
                                     f"taken") from exc
            try:
                got = download(conn, timeout_s, mission_type=MISSION_TYPE_FENCE)
            except TelemetryError as exc:
                raise TelemetryError(f"{exc}. The mission was uploaded and read back identical; the fence went up "
                                     f"but was not read back to check it") from exc
            diffs = tuple(f"fence {d}" for d in compare(fence, got, skip_home=False))
            fence_sent = len(fence)
        target = int(conn.target_system)
        others = () if system_id is not None else tuple(sorted(conn.autopilots_heard - {target}))  # chosen: no guess
        return TransferResult(len(full), len(back), not diffs, diffs, acknowledged=n >= 0, fence_sent=fence_sent,
                              system_id=target, other_vehicles=others)
    finally:
        conn.close()
