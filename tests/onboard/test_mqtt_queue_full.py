"""MQTT while the broker stays away long enough for paho's queue to fill."""

from __future__ import annotations

import logging
import socket

import pytest

from onboard.alerts import MqttPublisher


def test_a_full_queue_is_said_once_and_counted_at_the_end(caplog: pytest.LogCaptureFixture) -> None:
    # Before: one warning per finding refused (15 lines for 15 findings; a flight with 10 findings/s
    # logged 600 a minute), and the closing line counted only the 5 kept ('5 not acknowledged').
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="onboard.alerts"):
        pub = MqttPublisher("127.0.0.1", port, client_id="test-queue-full", max_queued=5)
        for i in range(20):
            pub.publish({"frame_index": i + 1})
        pub.close(flush_timeout_s=0.2)
    said = [r.getMessage() for r in caplog.records]
    refused = [m for m in said if "refused" in m and "queue full" in m]
    assert len(refused) == 1 and "5 kept" in refused[0], said
    assert pub.queued == 5 and pub.refused == 15
    assert any("5 finding(s) not acknowledged" in m and "15 not sent at all" in m for m in said)
