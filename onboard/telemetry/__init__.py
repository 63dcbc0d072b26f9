"""Telemetry input for the onboard runtime: MAVLink .tlog reading and pose interpolation."""

from onboard.telemetry.buffer import CameraEvent, TelemetryBuffer
from onboard.telemetry.tlog import TlogReader, read_tlog

__all__ = ["CameraEvent", "TelemetryBuffer", "TlogReader", "read_tlog"]
