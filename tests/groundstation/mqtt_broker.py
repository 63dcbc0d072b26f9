"""A real mosquitto broker on a free local port and a subscriber collecting what it receives, for the
alert tests (skipped with the install command when the Debian package is missing)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


@contextmanager
def broker_and_subscriber(tmp_path: Path, topic: str) -> Iterator[tuple[int, list[tuple[str, Any]], Callable[[], None]]]:
    """(port, messages received as (topic, JSON payload), wait for the first message up to 5 s)."""
    exe = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if exe is None:
        pytest.skip("mosquitto broker not installed (Debian: apt-get install -y mosquitto)")
    import paho.mqtt.client as mqtt

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "m.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    got: list[tuple[str, Any]] = []
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)

    def wait() -> None:
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)

    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                sub.connect("127.0.0.1", port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sub.on_message = lambda c, u, m: got.append((m.topic, json.loads(m.payload)))
        sub.subscribe(topic, qos=1)
        sub.loop_start()
        time.sleep(0.2)
        yield port, got, wait
    finally:
        sub.loop_stop()
        proc.terminate()
        proc.wait(5)
