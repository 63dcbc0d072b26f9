"""Live connection strings: what pymavlink cannot open whatever happens later is refused before recording."""

from __future__ import annotations

import termios
from pathlib import Path

import pytest
from loopback_vehicle import PtyEnd, free_udp_port
from onboard_helpers import DarkPixelSegmenter, make_frames

from onboard.runtime import run_onboard
from onboard.telemetry.live import pymavlink_connect
from skyinspect.camera import CameraModel
from skyinspect.errors import TelemetryError

BAD = [
    ("udpin:0.0.0.0", "HOST:PORT"),  # no port
    ("udpin:127.0.0.1:notaport", "port"),
    ("tcp:localhost:99999", "port"),
    ("tcp:127.0.0.1", "HOST:PORT"),
    ("udp://127.0.0.1:14550", "udpin:"),  # MAVSDK/QGC's URL form, not pymavlink's
    ("serial:/dev/ttyACM0:fast", "baud"),
    ("serial:", "device"),
    ("udpin:[::]:14550", "IPv6"),  # pymavlink splits on ':': 'UDP ports must be specified as host:port'
    ("tcp:[::1]:5760", "IPv6"),
]


@pytest.mark.parametrize(("spec", "said"), BAD)
def test_a_malformed_connection_string_is_refused_before_recording(tmp_path: Path, spec: str, said: str) -> None:
    # Before: each was retried for the whole flight ('cannot open link (UDP ports must be specified as
    # host:port)', 'invalid literal for int()', 'Name or service not known' ...), every frame untagged.
    frames = make_frames(tmp_path / "cam", 2)
    with pytest.raises(TelemetryError) as err:
        run_onboard(frames, spec, tmp_path / "rec", DarkPixelSegmenter(), CameraModel.from_fov(64, 48, 60.0),
                    realtime_fps=8.0, link_timeout_s=0.2)
    assert spec in str(err.value) and said in str(err.value)
    assert not (tmp_path / "rec").exists()  # nothing half-written


def test_a_device_path_with_a_baud_rate_opens_the_serial_line_at_it() -> None:
    # Before: '/dev/ttyUSB0:921600' (no 'serial:') went to pymavlink as a UDP address: 'Name or service not known'.
    line = PtyEnd()
    try:
        for spec, speed in [(f"{line.path}:921600", termios.B921600), (f"{line.path},115200", termios.B115200),
                            (line.path, termios.B57600), (f"SERIAL:{line.path}:230400", termios.B230400)]:
            conn = pymavlink_connect(spec, 255, 191)
            try:
                assert type(conn).__name__ == "mavserial", spec
                assert termios.tcgetattr(line.slave_fd)[4] == speed, spec
            finally:
                conn.close()  # type: ignore[attr-defined]
    finally:
        line.release()


def test_upper_case_schemes_reach_pymavlink_in_its_spelling() -> None:
    conn = pymavlink_connect(f"UDPIN:127.0.0.1:{free_udp_port()}", 255, 191)  # pymavlink knows only 'udpin:'
    try:
        assert type(conn).__name__ == "mavudp"
    finally:
        conn.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize(("spec", "fix"), [("udpin:14550", "udpin:0.0.0.0:14550"), ("tcp:5760", "tcp:127.0.0.1:5760")])
def test_a_port_without_a_host_is_said_to_lack_the_host(spec: str, fix: str) -> None:
    # Before: 'udpin:14550' was refused as 'got no port' (it has one; the host is missing) with the example
    # udpin:0.0.0.0:14550, and 'tcp:5760' was told to write tcp:127.0.0.1:14550, another port.
    from onboard.telemetry.link_spec import parse_link

    with pytest.raises(TelemetryError) as err:
        parse_link(spec)
    assert "no host" in str(err.value) and "no port" not in str(err.value) and fix in str(err.value)


@pytest.mark.parametrize(("spec", "device", "baud"), [
    ("/dev/serial/by-path/platform-3610000.xhci-usb-0:2.1:1.0", "/dev/serial/by-path/platform-3610000.xhci-usb-0:2.1:1.0",
     57600),
    ("/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0", "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0",
     57600),
    ("serial:/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0:921600",
     "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0", 921600),
])
def test_an_unplugged_by_path_serial_device_is_taken_whole(spec: str, device: str, baud: int) -> None:
    # Before: udev's /dev/serial/by-path names hold ':'; not plugged in yet (the autopilot powered after the
    # companion), the part after the last ':' was read as the baud rate and the flight refused: "baud rate
    # must be a whole number, got '1.0'", with a fix naming a device that does not exist (…usb-0:2.1:57600).
    from onboard.telemetry.link_spec import parse_link

    spec_ = parse_link(spec)
    assert (spec_.url, spec_.baud, spec_.serial) == (device, baud, True)
