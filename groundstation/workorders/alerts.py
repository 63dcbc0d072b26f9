"""Alerts when a work order crosses a configured threshold: a JSON webhook POST and an MQTT publish.

Both are best effort with bounded timeouts; failures are reported, never raised, so an unreachable
CMMS does not lose the products. The payload is the work order's JSON plus ``"event": "finding_alert"``.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skyinspect.errors import InputError, describe


@dataclass(frozen=True)
class AlertConfig:
    max_priority: int = 2  # alert for work orders with priority <= this (1 = most urgent)
    states: tuple[str, ...] = ()  # or: alert whenever the grade is one of these (e.g. "CS3", "CAT5")
    webhook_url: str = ""
    webhook_token: str = ""  # sent as "Authorization: Bearer <token>" when set
    mqtt_host: str = ""
    mqtt_port: int = 1883
    mqtt_topic: str = "skyinspect/alerts"
    timeout_s: float = 5.0

    @classmethod
    def from_yaml(cls, path: Path) -> AlertConfig:
        import yaml

        path = Path(path)
        if not path.is_file():
            raise InputError(describe(path, "alert configuration not found",
                                      "Give a YAML file with max_priority, states, webhook_url, mqtt_host, ..."))
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(describe(path, f"not valid YAML ({exc})")) from exc
        if not isinstance(data, dict):
            raise InputError(describe(path, f"expected a mapping of settings, got {type(data).__name__}"))
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise InputError(describe(path, f"unknown keys {sorted(unknown)}",
                                      f"Use only {sorted(cls.__dataclass_fields__)}"))
        if "states" in data:
            states = data["states"]
            if isinstance(states, str) or not isinstance(states, (list, tuple)):
                raise InputError(describe(path, f"states: expected a list such as [CS3, CAT5], got {states!r}"))
            data["states"] = tuple(str(s) for s in states)
        for key, kind in (("max_priority", int), ("mqtt_port", int), ("timeout_s", (int, float))):
            if key in data and (isinstance(data[key], bool) or not isinstance(data[key], kind)):
                raise InputError(describe(path, f"{key}: expected a number, got {data[key]!r}"))
        for key in ("webhook_url", "webhook_token", "mqtt_host", "mqtt_topic"):
            if key in data and not isinstance(data[key], str):
                raise InputError(describe(path, f"{key}: expected text, got {data[key]!r}"))
        if data.get("webhook_url") and not str(data["webhook_url"]).startswith(("http://", "https://")):
            raise InputError(describe(path, f"webhook_url: expected an http(s) URL, got {data['webhook_url']!r}"))
        _refuse_undeliverable(path, data)
        return cls(**data)

    def crosses(self, order: Any) -> bool:
        # a state by any of the finding's grades: rc_bridge's Ri5 sits beside the primary CS2+ (AASHTO 1000)
        graded = (order.grade, *getattr(order, "other_grades", ()))
        return order.priority <= self.max_priority or any(g.rstrip("+") in self.states for g in graded)


def _refuse_undeliverable(path: Path, data: dict[str, Any]) -> None:
    """Values no delivery can succeed with, refused before anything is sent: each had failed on every alert
    (exit 1, as if the CMMS were down) and an infinite timeout was an OverflowError traceback."""
    timeout = data.get("timeout_s", 5.0)
    if not (math.isfinite(timeout) and 0 < timeout <= 600):
        raise InputError(describe(path, f"timeout_s: expected seconds above 0 and at most 600, got {timeout!r}",
                                  "e.g. timeout_s: 5"))
    port = data.get("mqtt_port", 1883)
    if not 1 <= port <= 65535:
        raise InputError(describe(path, f"mqtt_port: expected a port from 1 to 65535, got {port!r}",
                                  "1883 (8883 for TLS) is the broker's usual port"))
    url = data.get("webhook_url") or ""
    if url:
        try:
            parts = urllib.parse.urlsplit(url)
            ok = bool(parts.hostname) and (parts.port is None or parts.port > 0)  # .port raises over 65535
        except ValueError:  # 'Invalid IPv6 URL', 'Port out of range 0-65535'
            ok = False
        if not ok:
            raise InputError(describe(path, f"webhook_url: expected an http(s) URL with a host (and a port from 1 "
                                            f"to 65535, if any), got {url!r}", "e.g. https://cmms.example/hooks/skyinspect"))
    topic = data.get("mqtt_topic", "skyinspect/alerts")
    if not topic or any(c in topic for c in "#+\0"):  # MQTT: no wildcard in a topic published to
        raise InputError(describe(path, f"mqtt_topic: expected a topic to publish to (not empty, no '#' or '+' "
                                        f"wildcards), got {topic!r}", "e.g. mqtt_topic: skyinspect/alerts"))


@dataclass
class AlertReport:
    alerted: list[str] = field(default_factory=list)  # work order ids that crossed the threshold
    webhook_sent: int = 0
    mqtt_sent: int = 0
    errors: list[str] = field(default_factory=list)


def _payload(order: Any) -> bytes:
    return json.dumps({"event": "finding_alert", **order.to_dict()}).encode()


def post_webhook(url: str, body: bytes, token: str = "", timeout_s: float = 5.0) -> int:
    if not url.startswith(("http://", "https://")):
        raise InputError(describe(url, "webhook URL must be http(s)"))
    headers = {"Content-Type": "application/json", "User-Agent": "skyinspect-alerts/1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310 (scheme checked above)
        return int(resp.status)


def send_alerts(orders: list[Any], config: AlertConfig) -> AlertReport:
    report = AlertReport()
    due = [o for o in orders if config.crosses(o)]
    report.alerted = [o.work_order_id for o in due]
    if not due:
        return report
    if config.webhook_url:
        for o in due:
            try:
                status = post_webhook(config.webhook_url, _payload(o), config.webhook_token, config.timeout_s)
                if 200 <= status < 300:
                    report.webhook_sent += 1
                else:
                    report.errors.append(f"webhook {o.work_order_id}: HTTP {status}")
            except (urllib.error.URLError, OSError, ValueError) as exc:
                report.errors.append(f"webhook {o.work_order_id}: {exc}")
    if config.mqtt_host:
        report.mqtt_sent, errors = _mqtt_publish(config, due)
        report.errors += errors
    return report


def topic_level(name: str) -> str:
    """``name`` as one MQTT topic level: '/' splits levels and '+', '#' are wildcards a publish may not
    hold ('Bridge #12' had every alert refused by paho); each becomes '_' (the payload keeps the id)."""
    return "".join("_" if c in "/+#\0" else c for c in name) or "_"


def _mqtt_publish(config: AlertConfig, orders: list[Any]) -> tuple[int, list[str]]:
    try:
        import paho.mqtt.client as mqtt
    except ImportError:
        return 0, ["mqtt: paho-mqtt is not installed (pip install paho-mqtt)"]
    try:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    except AttributeError:  # paho-mqtt < 2
        client = mqtt.Client(client_id="", protocol=mqtt.MQTTv311)
    sent, errors = 0, []
    try:
        client.connect(config.mqtt_host, config.mqtt_port, keepalive=30)
        client.loop_start()
        for o in orders:
            info = client.publish(f"{config.mqtt_topic}/{topic_level(o.asset_id or 'asset')}", _payload(o), qos=1)
            info.wait_for_publish(timeout=config.timeout_s)
            if info.is_published():
                sent += 1
            else:
                errors.append(f"mqtt {o.work_order_id}: not acknowledged within {config.timeout_s} s")
    except (OSError, ValueError, RuntimeError) as exc:
        errors.append(f"mqtt: {exc}")
    finally:
        client.loop_stop()
        client.disconnect()
    return sent, errors
