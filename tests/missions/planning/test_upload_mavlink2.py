"""`skyinspect upload` speaks MAVLink 2 from its first message, as `onboard --mavlink` does (one opener,
onboard.telemetry.link_spec.open_link). A vehicle may send MAVLink 1 until its ground station speaks 2 (the
MAVLink guide's negotiation; PX4's default MAV_PROTO_VER 0, 'Default to 1, switch to 2 if GCS sends version 2');
upload sent MAVLink 1 and switched only on hearing 2, so neither side moved and the plan's fence (mission_type
is a MAVLink 2 extension) was refused: 'the link speaks MAVLink 1 ... Set the telemetry port to MAVLink 2'.
A vehicle held on MAVLink 1 (ArduPilot SERIALn_PROTOCOL 1) is still refused the fence, told by the framing of its
answers: speaking 2 ourselves, pymavlink's own version said nothing of the vehicle's.

The vehicle and the upload each run in a fresh process: pymavlink's MAVLink version is process-wide (once any
connection of a process hears MAVLink 2, every later one speaks it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from missions.planning.export import write_all
from missions.planning.loopback import free_port

ROOT = Path(__file__).resolve().parents[3]
VEHICLE = """
import sys
from missions.planning.loopback import LoopbackVehicle
v = LoopbackVehicle({port}, lifetime_s=60.0, ardupilot_storage=True, mavlink2=False, mavlink1_only={held})
v.start()
assert v.ready.wait(5)
print('ready', flush=True)
sys.stdin.readline()
v.stop()
v.join(5)
print(len(v.mission), len(v.fence), v.error, flush=True)
"""


def _upload_to_a_fresh_vehicle(plan_file: Path, held: bool) -> tuple[subprocess.CompletedProcess, str, str]:
    """(the upload CLI's run, what it said, the vehicle's 'mission-items fence-items error')."""
    env = {k: v for k, v in os.environ.items() if k != "MAVLINK20"}  # as a fresh shell has it
    port = free_port()
    vehicle = subprocess.Popen([sys.executable, "-c", VEHICLE.format(port=port, held=held)], cwd=ROOT, env=env,
                               text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert vehicle.stdout is not None and vehicle.stdout.readline().strip() == "ready"
        up = subprocess.run([sys.executable, "-m", "skyinspect.cli.main", "upload", str(plan_file), "--connect",
                             f"udpout:127.0.0.1:{port}", "--timeout-s", "0.5"], cwd=ROOT, env=env, text=True,
                            capture_output=True, timeout=60)
        out, _ = vehicle.communicate("stop\n", timeout=20)
    finally:
        vehicle.kill()
    return up, " ".join((up.stdout + up.stderr).split()), out


@pytest.mark.timeout(90)
def test_a_vehicle_on_mavlink_1_until_the_ground_speaks_2_takes_the_fence(bridge_plan, tmp_path):
    up, said, out = _upload_to_a_fresh_vehicle(write_all(bridge_plan, tmp_path)[0], held=False)
    mission, fence, error = out.split(maxsplit=2)
    assert error.strip() == "None", out
    # before: exit 2, 'fence upload: the link speaks MAVLink 1 ...', fence 0
    assert up.returncode == 0 and "read back identical" in said, said
    assert (int(mission), int(fence)) == (len(bridge_plan.items) + 1, 8), out


@pytest.mark.timeout(90)
def test_a_vehicle_held_on_mavlink_1_is_not_sent_the_fence(bridge_plan, tmp_path):
    up, said, out = _upload_to_a_fresh_vehicle(write_all(bridge_plan, tmp_path)[0], held=True)
    mission, fence, error = out.split(maxsplit=2)
    assert error.strip() == "None", out
    assert up.returncode == 2 and "the link speaks MAVLink 1" in said and "SERIALn_PROTOCOL 2" in said, said
    assert (int(mission), int(fence)) == (len(bridge_plan.items) + 1, 0), out  # the mission kept whole
