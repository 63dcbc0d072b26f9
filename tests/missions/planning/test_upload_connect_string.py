"""`upload --connect` reads the connection string as `onboard --mavlink` does (onboard.telemetry.link_spec):
what can never open is refused by name, and a serial device's baud rate is taken, not read as a UDP host."""

from __future__ import annotations

import pytest

from skyinspect.errors import TelemetryError

from missions.planning.upload import connect


@pytest.mark.timeout(15)
@pytest.mark.parametrize(("url", "said"), [
    # was an OverflowError traceback from sendto() once the link was 'open'
    ("udpout:127.0.0.1:99999", r"--connect udpout:127.0.0.1:99999: port must be a number from 1 to 65535, got '99999'"),
    ("udp://127.0.0.1:14550", r"--connect udp://127.0.0.1:14550: a URL \(scheme://\) is not a pymavlink connection"),
    # onboard's DEV:BAUD and serial:DEV:BAUD forms: 'Name or service not known' / 'UDP ports must be specified'
    ("/dev/ttyNOPE0:57600", r"--connect /dev/ttyNOPE0:57600: cannot open .*could not open port /dev/ttyNOPE0\b"),
    ("serial:/dev/ttyNOPE0:921600", r"--connect serial:/dev/ttyNOPE0:921600: cannot open .*could not open port "
                                    r"/dev/ttyNOPE0\b"),
])
def test_a_connection_string_that_cannot_open_is_named(url: str, said: str) -> None:
    with pytest.raises(TelemetryError, match=said):
        connect(url, timeout_s=1.0)
