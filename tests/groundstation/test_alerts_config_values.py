"""alerts.yaml values that can never deliver are refused when the file is read (exit 2, nothing sent), as
unknown keys and wrong types are: each was tried on every alert instead, failing one by one ('Timeout value
out of range', 'Invalid port number.', '<urlopen error no host given>', 'Invalid IPv6 URL'; exit 1, as if
the CMMS were down), and timeout_s: .inf was an OverflowError traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundstation.workorders import AlertConfig
from skyinspect.errors import InputError


@pytest.mark.parametrize(("text", "said"), [
    ("webhook_url: http://127.0.0.1:1/x\ntimeout_s: .nan\n", r"timeout_s: expected seconds above 0"),
    ("webhook_url: http://127.0.0.1:1/x\ntimeout_s: -5\n", r"timeout_s: expected seconds above 0"),
    ("webhook_url: http://127.0.0.1:1/x\ntimeout_s: .inf\n", r"timeout_s: expected seconds above 0"),
    ("mqtt_host: 127.0.0.1\nmqtt_port: 99999\n", r"mqtt_port: expected a port from 1 to 65535, got 99999"),
    ("mqtt_host: 127.0.0.1\nmqtt_port: -1\n", r"mqtt_port: expected a port from 1 to 65535, got -1"),
    ("webhook_url: 'http://'\n", r"webhook_url: expected an http\(s\) URL with a host"),
    ("webhook_url: 'http://[::1'\n", r"webhook_url: expected an http\(s\) URL with a host"),
    ("webhook_url: 'http://cmms.example:99999/hook'\n", r"webhook_url: expected an http\(s\) URL with a host"),
    ("mqtt_host: 127.0.0.1\nmqtt_topic: 'alerts/#'\n", r"mqtt_topic: expected a topic to publish to"),
    ("mqtt_host: 127.0.0.1\nmqtt_topic: ''\n", r"mqtt_topic: expected a topic to publish to"),
])
def test_a_setting_that_can_never_deliver_is_refused_by_name(tmp_path: Path, text: str, said: str) -> None:
    cfg = tmp_path / "alerts.yaml"
    cfg.write_text(text)
    with pytest.raises(InputError, match=rf"alerts\.yaml: {said}"):
        AlertConfig.from_yaml(cfg)


def test_sound_settings_still_read(tmp_path: Path) -> None:
    cfg = tmp_path / "alerts.yaml"
    cfg.write_text("webhook_url: https://cmms.example:8443/hook\ntimeout_s: 2\nmqtt_host: broker.local\n"
                   "mqtt_port: 8883\nmqtt_topic: site/alerts\nmax_priority: 0\nstates: [CAT5]\n")
    got = AlertConfig.from_yaml(cfg)
    assert (got.timeout_s, got.mqtt_port, got.mqtt_topic, got.max_priority) == (2, 8883, "site/alerts", 0)
