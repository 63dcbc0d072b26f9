"""An asset id is one MQTT topic level whatever it holds: 'Bridge #12' made paho refuse every publish
('Publish topic cannot contain wildcards', no alert sent) and 'A7/north' split the asset over two
levels, so a subscriber to skyinspect/alerts/+ got nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from mqtt_broker import broker_and_subscriber
from test_workorders import FINDINGS, GRADES

from groundstation.workorders import AlertConfig, build_work_orders, send_alerts


@pytest.mark.parametrize("asset", ["Bridge #12", "A7/north", "pier+1"])
def test_an_asset_id_is_one_topic_level(tmp_path: Path, asset: str) -> None:
    with broker_and_subscriber(tmp_path, "skyinspect/alerts/+") as (port, got, wait):  # one level per asset
        orders = build_work_orders(FINDINGS, GRADES, "2025-06-01", asset)
        report = send_alerts(orders, AlertConfig(max_priority=2, mqtt_host="127.0.0.1", mqtt_port=port, timeout_s=3))
        wait()
    assert report.errors == [] and report.mqtt_sent == 2  # F-0001 (CS3) and F-0003 (width not measured: may be CS3)
    assert got and {g[1]["asset_id"] for g in got} == {asset}  # the payload keeps the id as it is
