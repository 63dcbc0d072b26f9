"""MAVLink mission upload/download against a loopback vehicle on 127.0.0.1 (bounded in time)."""

from __future__ import annotations

import pytest

from skyinspect.errors import TelemetryError

from missions.planning.loopback import LoopbackVehicle, free_port
from missions.planning.upload import connect, upload_and_verify, with_home


@pytest.fixture
def vehicle(request):
    kwargs = getattr(request, "param", {})
    v = LoopbackVehicle(free_port(), lifetime_s=20.0, **kwargs)
    v.start()
    assert v.ready.wait(5)
    yield v
    v.stop()
    v.join(3)
    assert v.error is None


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{}, {"legacy_requests": True}, {"drop_first_request": True},
                                     {"overwrite_home": True}, {"transport": "tcp"}], indirect=True,
                         ids=["int", "legacy-request", "lost-item", "home-overwritten", "tcp"])
def test_round_trip_ardupilot(vehicle, bridge_plan):
    r = upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)
    assert r.same, r.differences
    assert r.sent == r.received == len(bridge_plan.items) + 1  # + home at seq 0
    assert len(vehicle.mission) == r.sent


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"overwrite_home": True}], indirect=True)
def test_px4_round_trip_has_no_home_and_catches_changes(vehicle, bridge_plan_px4):
    r = upload_and_verify(vehicle.gcs_url, bridge_plan_px4.items, bridge_plan_px4.home_lat_lon_alt, "px4",
                          timeout_s=0.5, connect_timeout_s=5)
    assert r.sent == len(bridge_plan_px4.items)
    assert not r.same and r.differences[0].startswith("item 0")  # PX4 item 0 is the take-off, not home
    assert len(with_home(bridge_plan_px4.items, bridge_plan_px4.home_lat_lon_alt, "px4")) == r.sent


@pytest.mark.timeout(15)
def test_silent_link_fails_in_bounded_time():
    with pytest.raises(TelemetryError, match="no HEARTBEAT"):
        connect(f"udpout:127.0.0.1:{free_port()}", timeout_s=1.0)
