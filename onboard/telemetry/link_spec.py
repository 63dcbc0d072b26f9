"""A live link's connection string, checked before a flight records anything.

pymavlink's ``mavlink_connection`` takes ``udp:``/``udpin:``/``udpout:``/``udpbcast:``/``tcp:``/``tcpin:``
``HOST:PORT``, ``mcast:`` and serial devices (``/dev/ttyTHS1``, ``COM3``; the baud rate as ``DEV,BAUD``).
We also take ``serial:DEV[:BAUD]`` and ``DEV:BAUD`` (pymavlink read ``/dev/ttyUSB0:921600`` as a UDP
address; a ``/dev/serial/by-path`` name, which holds ':', is a device whole unless a number follows), schemes in any case (pymavlink knows only lower case). What can never open — no port, a port
that is not a number 1–65535, an IPv6 host, a URL (``udp://``), a baud rate that is not a number, no
pyserial — is a ``TelemetryError`` naming the string: retried by the link, it left a whole flight untagged.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import re
from dataclasses import dataclass

from skyinspect.errors import TelemetryError, describe

# A TCP connect's bound: a reachable host answers in milliseconds; 5 s lets a lossy radio-IP link resend the SYN twice
CONNECT_TIMEOUT_S = 5.0
DEFAULT_BAUD = 57600  # ArduPilot's TELEM ports (SERIALn_BAUD 57) and pymavlink tools' usual default
_NETWORK = ("udp", "udpin", "udpout", "udpbcast", "tcp", "tcpin")
_HOST_OPTIONAL = ("udp", "udpin", "tcpin")  # listening: an empty host is every interface
_EXAMPLES = "e.g. udpin:0.0.0.0:14550, tcp:127.0.0.1:5760, serial:/dev/ttyTHS1:921600 or /dev/ttyACM0"
# "No route to host" / "Network is unreachable": the kernel has no way there (vehicle on another network)
_UNREACHABLE = (errno.EHOSTUNREACH, errno.ENETUNREACH)


@dataclass(frozen=True)
class LinkSpec:
    """What pymavlink is given: ``url`` (a serial device without its baud rate) and ``baud``."""

    url: str
    baud: int = DEFAULT_BAUD
    serial: bool = False


def unreachable_hint(exc: BaseException) -> str | None:
    """What to check when ``exc`` says the host or its network cannot be reached, else None (``onboard
    --mavlink`` and ``upload --connect`` say it alike: they said 'a port held by another MAVLink program' and
    'Use udpout:HOST:PORT' of it)."""
    if not (isinstance(exc, OSError) and exc.errno in _UNREACHABLE):
        return None
    return ("This computer cannot reach that address: check the host's address, that this computer is on the "
            "vehicle's or router's network (Wi-Fi, radio-IP link, VPN) and that a route leads there (ip route get HOST)")


def parse_link(spec: str) -> LinkSpec:
    """``spec`` → what pymavlink opens, or a ``TelemetryError`` saying what is wrong with it."""
    text = spec.strip()
    url_form = re.match(r"^([a-z]+)://(.*)$", text, re.IGNORECASE)
    if url_form:
        scheme = url_form.group(1).lower()
        hint = f"udpin:{url_form.group(2)}" if scheme == "udp" else f"{scheme}:{url_form.group(2)}"
        raise TelemetryError(describe(spec, "a URL (scheme://) is not a pymavlink connection string; expected "
                                      "SCHEME:HOST:PORT without '//'", f"Write {hint} ({_EXAMPLES})"))
    scheme, colon, rest = text.partition(":")
    scheme = scheme.lower()
    if colon and scheme in _NETWORK:
        host, sep, port = rest.rpartition(":")
        example_host = "0.0.0.0" if scheme in _HOST_OPTIONAL else "127.0.0.1"
        if not sep or (not host and scheme not in _HOST_OPTIONAL):
            given = rest if not sep else port  # 'udpin:14550' has its port, not its host
            lacks = "host" if sep or given.isdigit() else "port"
            example = given if given.isdigit() else "14550"
            raise TelemetryError(describe(spec, f"expected {scheme}:HOST:PORT, got no {lacks}",
                                          f"e.g. {scheme}:{example_host}:{example}"))
        if ":" in host:  # pymavlink splits HOST:PORT on ':' and retried such a link all flight
            raise TelemetryError(describe(spec, f"pymavlink's {scheme}: links take an IPv4 address or a host name, "
                                          f"got the IPv6 address {host}",
                                          f"e.g. {scheme}:{example_host}:{port if port.isdigit() else 14550}"))
        if not (port.isdigit() and 1 <= int(port) <= 65535):
            raise TelemetryError(describe(spec, f"port must be a number from 1 to 65535, got {port!r}",
                                          f"e.g. {scheme}:{host or '0.0.0.0'}:14550"))
        return LinkSpec(f"{scheme}:{host}:{int(port)}")
    if colon and scheme == "mcast":
        return LinkSpec(f"mcast:{rest}")
    if colon and scheme == "serial":
        return _serial(spec, rest)
    return _serial(spec, text)


def _serial(spec: str, device: str) -> LinkSpec:
    baud = str(DEFAULT_BAUD)
    if "," in device and not os.path.exists(device):  # pymavlink's own DEV,BAUD
        device, _, baud = device.rpartition(",")
    elif ":" in device and not os.path.exists(device):
        head, _, tail = device.rpartition(":")
        # udev's /dev/serial/by-path names hold ':' (…usb-0:2.1:1.0); one not plugged in yet is no DEV:BAUD
        if tail.isdigit() or not device.startswith("/dev/serial/"):
            device, baud = head, tail
    if not device:
        raise TelemetryError(describe(spec, "no serial device given", f"Name it: {_EXAMPLES}"))
    if not (baud.isdigit() and int(baud) > 0):
        raise TelemetryError(describe(spec, f"baud rate must be a whole number, got {baud!r}",
                                      f"e.g. serial:{device}:57600 (or 115200, 921600: the autopilot's SERIALn_BAUD)"))
    if importlib.util.find_spec("serial") is None:
        raise TelemetryError(describe(spec, "a serial link needs pyserial, which is not installed",
                                      "pip install -e '.[onboard]' (or pip install pyserial)"))
    return LinkSpec(device, int(baud), serial=True)


def open_link(spec: LinkSpec, source_system: int, source_component: int, retries: int = 3,
              connect_timeout_s: float = CONNECT_TIMEOUT_S) -> object:
    """Open what ``parse_link`` gave with pymavlink, speaking MAVLink 2 from the first message: `onboard
    --mavlink` and `upload --connect` (one opener, so the two never read or open a link differently).

    pymavlink's mavutil decodes with the MAVLink 1 dialect unless MAVLINK20 is set, and sends MAVLink 1 until it
    hears 2; a vehicle may do the same until its ground station speaks 2 (PX4's MAV_PROTO_VER 0, the MAVLink
    guide's negotiation), so neither moved. MAVLink 2 is needed for GIMBAL_DEVICE_ATTITUDE_STATUS, GPS_RAW_INT's
    h_acc/v_acc and the mission protocol's mission_type (the fence); MAVLink 1 frames are still read.
    ``retries``: tries of a TCP connect, a second apart (0: one try), all within ``connect_timeout_s``
    (``link_tcp.BoundedTcp``: pymavlink's own waited ~130 s a try for a host that never answers)."""
    from pymavlink import mavutil

    if os.environ.get("MAVLINK20") != "1" or "v20" not in getattr(mavutil.mavlink, "__name__", "v20"):
        os.environ["MAVLINK20"] = "1"
        mavutil.set_dialect("ardupilotmega")
    if spec.serial:  # straight to the serial class: a device path holding ':' or '.' would be read as UDP or a log
        return mavutil.mavserial(spec.url, baud=spec.baud, source_system=source_system,
                                 source_component=source_component, autoreconnect=False)
    if spec.url.startswith("tcp:"):
        from onboard.telemetry.link_tcp import BoundedTcp

        return BoundedTcp(spec.url[4:], source_system=source_system, source_component=source_component,
                          autoreconnect=False, retries=retries, connect_timeout_s=connect_timeout_s)
    return mavutil.mavlink_connection(spec.url, baud=spec.baud, source_system=source_system,
                                      source_component=source_component, autoreconnect=False,
                                      robust_parsing=True, retries=retries)


def pymavlink_connect(url: str, source_system: int, source_component: int,
                      connect_timeout_s: float = CONNECT_TIMEOUT_S) -> object:
    """Open a link with pymavlink (``serial:/dev/ttyTHS1:921600`` → device + baud; see ``parse_link``,
    ``open_link``)."""
    # One try: the live link retries with its own back-off and says a failure once a minute, where pymavlink's
    # retries printed '[Errno 111] Connection refused sleeping' to the console every second of the flight
    return open_link(parse_link(url), source_system, source_component, retries=0, connect_timeout_s=connect_timeout_s)

