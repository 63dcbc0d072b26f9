"""Which system on a live link is the vehicle.

A companion on a shared link (mavlink-router, a telemetry radio network) hears more than its autopilot:
the ground station's heartbeats, its own messages echoed back, a second vehicle. ``VehicleLock`` follows
one vehicle — ``system_id`` when given, else the first system heard sending vehicle telemetry (position,
attitude, GPS, SYSTEM_TIME, or an autopilot's HEARTBEAT) — and says once for each other vehicle that it
is ignored. Only the vehicle's messages count as telemetry: a ground station's heartbeats kept a link
'up' through a silent vehicle, and two vehicles' positions in one window made the buffer follow
whichever had sent more (20 swaps in 20 s at 10 % radio loss: frames tagged 111 km away).
"""

from __future__ import annotations

import logging

from pymavlink.dialects.v20 import ardupilotmega as mavlink

log = logging.getLogger("onboard.telemetry.live")

_VEHICLE_TYPES = ("GLOBAL_POSITION_INT", "ATTITUDE", "ATTITUDE_QUATERNION", "GPS_RAW_INT", "SYSTEM_TIME")


def is_vehicle_telemetry(msg: mavlink.MAVLink_message) -> bool:
    """A message only a vehicle sends (a GCS or companion heartbeat has autopilot INVALID or type GCS)."""
    if msg.get_type() == "HEARTBEAT":
        return msg.autopilot != mavlink.MAV_AUTOPILOT_INVALID and msg.type != mavlink.MAV_TYPE_GCS
    return msg.get_type() in _VEHICLE_TYPES


class VehicleLock:
    """The vehicle a link follows; ``own_ids`` (our system, component) are never it."""

    def __init__(self, source: str, own_ids: tuple[int, int], system_id: int | None = None) -> None:
        self.source, self.own_ids, self.system = source, own_ids, system_id
        self._why = "as asked" if system_id is not None else "the first heard"
        self._said: set[int] = set()

    def from_vehicle(self, msg: mavlink.MAVLink_message) -> bool:
        system = msg.get_srcSystem()
        if (system, msg.get_srcComponent()) in (self.own_ids, (self.system, self.own_ids[1])):
            return False  # our own message (alerts go as the vehicle's component), echoed back by a router
        if self.system is None and is_vehicle_telemetry(msg):
            self.system = system
            log.info("%s: following vehicle system %d", self.source, system)
        if self.system is None or system == self.system:
            # a camera's, a gimbal's or a companion's heartbeat (ours too, sent as the vehicle's system) is
            # not the vehicle's telemetry: it must not keep a silent vehicle's link up
            return self.system is not None and (msg.get_type() != "HEARTBEAT" or is_vehicle_telemetry(msg))
        if system not in self._said and is_vehicle_telemetry(msg):
            self._said.add(system)
            log.warning("%s: system %d also sends vehicle telemetry on this link (a second vehicle?); ignored, "
                        "following system %d (%s). To follow the other: --vehicle-system-id %d",
                        self.source, system, self.system, self._why, system)
        return False


class CompanionHeartbeat:
    """Our HEARTBEAT (MAV_TYPE_ONBOARD_CONTROLLER; every MAVLink component sends one at 1 Hz), so routers
    learn our route: a router (mavlink-router's UDP server endpoint, --mavlink udpout:) sends only to
    peers it has heard from. Sent as a component of the vehicle's system, never as system 255: ArduPilot
    takes any heartbeat from SYSID_MYGCS (255) as its GCS alive, which would mask a GCS-loss failsafe."""

    def __init__(self, component: int) -> None:
        self.component = component
        self._enc: mavlink.MAVLink | None = None  # one per system, so the sequence numbers run on

    def pack(self, system: int, msg: mavlink.MAVLink_message | None = None) -> bytes:
        """Our heartbeat, or ``msg`` (an alert) from the same (system, component), so one sequence runs
        over both: a GCS counts a component's lost packets by it."""
        if self._enc is None or self._enc.srcSystem != system:
            self._enc = mavlink.MAVLink(None, srcSystem=system, srcComponent=self.component)
        if msg is None:
            msg = mavlink.MAVLink_heartbeat_message(mavlink.MAV_TYPE_ONBOARD_CONTROLLER, mavlink.MAV_AUTOPILOT_INVALID,
                                                    0, 0, mavlink.MAV_STATE_ACTIVE, 3)
        packed = msg.pack(self._enc)
        self._enc.seq = (self._enc.seq + 1) % 256  # as MAVLink.send does: pack alone kept every one at seq 0
        return packed
