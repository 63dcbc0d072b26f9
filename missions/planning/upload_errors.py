"""What a mission transfer that did not end well says: a refusal (MISSION_ACK error) named with its fix, and
what the vehicle holds after an upload cut short (``missions.planning.upload`` raises these)."""

from __future__ import annotations

from missions.planning.mission import MissionItem

MISSION_TYPE_MISSION, MISSION_TYPE_FENCE = 0, 1
TRANSFER = {MISSION_TYPE_MISSION: "mission", MISSION_TYPE_FENCE: "fence"}


def result_name(code: int) -> str:
    names = {1: "ERROR", 2: "UNSUPPORTED_FRAME", 3: "UNSUPPORTED", 4: "NO_SPACE", 5: "INVALID",
             13: "INVALID_SEQUENCE", 14: "DENIED", 15: "OPERATION_CANCELLED"}
    return names.get(code, f"INVALID_PARAM{code - 5}" if 6 <= code <= 12 else f"RESULT_{code}")


def download_refusal(code: int, mission_type: int) -> str:
    """A MISSION_ACK error in answer to a read (it waited for a MISSION_COUNT and blamed the link)."""
    what = TRANSFER[mission_type]
    fix = {14: "The vehicle is busy with another ground station's upload (ArduPilot refuses a read while one is "
               "in progress: QGroundControl or Mission Planner on the same vehicle): wait for it or close it, then "
               "read again",
           3: (f"The firmware serves no {what} over the mission protocol" + (
               " (MAV_MISSION_TYPE_FENCE: ArduPilot 4.0 or later built with fences, PX4): set and check the fence "
               "from the ground station" if mission_type == MISSION_TYPE_FENCE else ""))
           }.get(code, "Check the autopilot's messages (STATUSTEXT) for why, then read again")
    return f"{what} download: the vehicle refused to send its {what} with MAV_MISSION_{result_name(code)} ({code}). {fix}"


def refusal(code: int, items: tuple[MissionItem, ...], seq: int | None,
            mission_type: int = MISSION_TYPE_MISSION) -> str:
    """What a MISSION_ACK error means for this mission (it read 'MAV_MISSION_RESULT 3' before)."""
    name = result_name(code)
    at = (f" at {'fence ' if mission_type == MISSION_TYPE_FENCE else ''}item {seq} ({items[seq].name})"
          if seq is not None and 0 <= seq < len(items) else "")
    if mission_type == MISSION_TYPE_FENCE:
        fix = {4: f"The vehicle's fence storage holds fewer than {len(items)} points (ArduCopter on a 16 KB board: 70): "
                  f"give the keep-outs and the site's fence simpler outlines",
               3: "The firmware takes no fence over the mission protocol (MAV_MISSION_TYPE_FENCE: ArduPilot 4.0 or "
                  "later built with fences, PX4): set the fence from the ground station",
               1: "ArduPilot refuses a fence that fails its check (a polygon under 3 or over 255 vertices, vertex "
                  "counts that disagree, more than its storage holds), PX4 a polygon vertex whose count is under 3 "
                  "(or a fence it could not write to its storage); both keep the fence they had"
               }.get(code, "Check the fence polygons against what the autopilot supports")
        return f"fence upload: the vehicle refused the fence with MAV_MISSION_{name} ({code}){at}. {fix}"
    if code == 4:
        fix = (f"The vehicle cannot store {len(items)} items: plan again with --max-mission-items set to what it "
               f"holds (ArduPilot says 'Only N items are supported'), which cuts the inspection into more flights")
    elif code == 3 and (seq is None or not 0 <= seq < len(items) or items[seq].name == "DO_GIMBAL_MANAGER_PITCHYAW"):
        fix = ("The firmware does not know that command (MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW needs ArduPilot 4.3 or "
               "later, or PX4 with gimbal v2): update the autopilot")
    elif code == 3:  # it blamed the gimbal command for any command, e.g. DO_SET_ROI_LOCATION on Copter 4.6
        fix = f"The firmware does not take {items[seq].name} in a mission: update the autopilot"
    elif code == 14:  # GCS_MAVLINK: one transfer at a time
        fix = ("The vehicle is busy with another ground station's transfer (QGroundControl or Mission Planner on the "
               "same vehicle reads its mission on connecting): wait for it or close it, then upload again")
    elif code == 15:  # MissionItemProtocol::update: no item for upload_timeout_ms
        fix = ("The vehicle gave up waiting for the next item (ArduPilot cancels an upload 8 s after the last item "
               "arrived: a lossy or slow link). Check the link and upload again")
    else:
        fix = "Check that item against the commands and ranges the autopilot supports"
    if seq is not None and code != 4:  # the vehicle had taken the count and asked for items: it changed its mission
        done = f"items 0-{seq - 1} of this plan are on the vehicle already and " if seq > 0 else ""
        fix += f". {_mission_changed(items, done)}"
    return f"mission upload: the vehicle refused the mission with MAV_MISSION_{name} ({code}){at}. {fix}"


def _mission_changed(items: tuple[MissionItem, ...], done: str) -> str:
    return (f"The vehicle's mission is no longer the one it had: {done}ArduPilot cut its mission to {len(items)} "
            f"items when the upload began (it stores each item as it arrives; PX4 keeps its old mission until the "
            f"upload completes), so do not fly it in AUTO until a mission uploads and reads back identical")


def cut_short(said: str, items: tuple[MissionItem, ...], asked: int | None, sent: int | None, mission_type: int) -> str:
    """An upload that ended without the vehicle's answer after it had asked for items (the link dropped): the
    mission it holds is changed as after a refusal. ``asked``, ``sent``: the items the vehicle asked for and we
    wrote last (a write that failed did not send its item). A fence is stored only once whole; before any item
    was asked for, whether the count arrived is unknown."""
    if mission_type != MISSION_TYPE_MISSION or asked is None:
        return said
    done = f"items 0-{sent} of this plan were sent and " if sent is not None else ""
    return f"{said}. {_mission_changed(items, done)}"
