"""A camera fixed to the airframe (no gimbal, or a gimbal that reports nothing).

Without gimbal telemetry the tagger assumes a stabilised camera looking level along the nose
(``Pose``'s default gimbal). That is wrong for the other common rig: a camera bolted to the airframe,
often looking straight down (a fixed-wing mapping camera) or tilted forward. Such a camera turns with
every roll and pitch of the vehicle, so its angles are relative to the body (``GimbalFrame.BODY``),
not to the horizon. The operator states the mount (``skyinspect onboard --mount-pitch-deg -90``);
the angles are the camera's direction in the body frame: pitch -90 straight down, yaw 90 to the
right wing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from skyinspect.errors import InputError
from skyinspect.pose import GimbalFrame


@dataclass(frozen=True)
class FixedMount:
    """Camera angles relative to the vehicle body, in degrees (Euler ZYX, as the gimbal's)."""

    pitch_deg: float
    yaw_deg: float = 0.0
    roll_deg: float = 0.0

    def __post_init__(self) -> None:
        for name, value, limit in (("pitch", self.pitch_deg, 90.0), ("yaw", self.yaw_deg, 180.0),
                                   ("roll", self.roll_deg, 180.0)):
            if not (math.isfinite(value) and -limit <= value <= limit):
                raise InputError(f"camera mount {name}: expected degrees in [-{limit:g}, {limit:g}] (pitch -90 = "
                                 f"straight down, 0 = along the nose), got {value}. Give the mount in degrees, "
                                 f"not radians")

    def gimbal(self) -> tuple[float, float, float, GimbalFrame]:
        """(roll, pitch, yaw, frame) as ``Pose`` takes its gimbal."""
        return self.roll_deg, self.pitch_deg, self.yaw_deg, GimbalFrame.BODY

    def describe(self) -> dict[str, object]:
        """For the flight record's meta."""
        return {"kind": "fixed to the airframe", "roll_deg": self.roll_deg, "pitch_deg": self.pitch_deg,
                "yaw_deg": self.yaw_deg}
