"""An asset id is one MQTT topic level whatever it holds: 'Bridge #12' made paho refuse every publish
('Publish topic cannot contain wildcards', no alert sent) and 'A7/north' split the asset over two
levels, so a subscriber to skyinspect/alerts/+ got nothing."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from test_workorders import FINDINGS, GRADES

from groundstation.workorders import AlertConfig, build_work_orders, send_alerts


@pytest.mark.parametrize("asset", ["Bridge #12", "A7/north", "pier+1"])
def test_an_asset_id_is_one_topic_level(tmp_path: Path, asset: str) -> None:
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
    got: list = []
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
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
        sub.subscribe("skyinspect/alerts/+", qos=1)  # one level per asset
        sub.loop_start()
        time.sleep(0.2)
        orders = build_work_orders(FINDINGS, GRADES, "2025-06-01", asset)
        report = send_alerts(orders, AlertConfig(max_priority=2, mqtt_host="127.0.0.1", mqtt_port=port, timeout_s=3))
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sub.loop_stop()
        proc.terminate()
        proc.wait(5)
    assert report.errors == [] and report.mqtt_sent == 1
    assert len(got) == 1 and got[0][1]["asset_id"] == asset  # the payload keeps the id as it is
