"""`skyinspect workorders RESULTS [--alerts alerts.yaml]`: list, alert over a webhook, report failures, refuse bad input."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import pytest
from gs_fixtures import WebhookSink as _Sink
from typer.testing import CliRunner

from groundstation.workorders import AlertConfig, read_work_orders
from skyinspect.cli.main import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_lists_every_work_order(inspections: tuple[Path, Path]) -> None:
    results = inspections[1]
    orders = read_work_orders(results / "workorders.json")
    assert orders  # the fixture has urgent findings (CAT5)
    code, text = _run("workorders", str(results))
    assert code == 0, text
    assert f"{len(orders)} work orders" in text
    for o in orders:
        assert o.finding_id in text


def test_alerts_post_the_orders_over_the_threshold(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    results = inspections[1]
    _Sink.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    cfg = tmp_path / "alerts.yaml"
    cfg.write_text(f"max_priority: 1\nwebhook_url: http://127.0.0.1:{server.server_address[1]}/hook\n"
                   "webhook_token: s3cret\ntimeout_s: 3\n")
    try:
        code, text = _run("workorders", str(results), "--alerts", str(cfg))
    finally:
        server.shutdown()
        thread.join(5)
    expected = [o for o in read_work_orders(results / "workorders.json") if AlertConfig(max_priority=1).crosses(o)]
    assert code == 0, text
    assert expected and len(expected) < len(read_work_orders(results / "workorders.json"))  # a real threshold
    assert f"webhook sent {len(expected)}" in text
    assert sorted(b["work_order_id"] for _, b in _Sink.received) == sorted(o.work_order_id for o in expected)
    assert all(auth == "Bearer s3cret" and b["event"] == "finding_alert" for auth, b in _Sink.received)


def test_undelivered_alert_exits_1_and_says_why(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    cfg = tmp_path / "alerts.yaml"
    cfg.write_text(f"max_priority: 1\nwebhook_url: http://127.0.0.1:{_dead_port()}/hook\ntimeout_s: 1\n")
    code, text = _run("workorders", str(inspections[1]), "--alerts", str(cfg))
    assert code == 1 and "alert failed" in text and "webhook sent 0" in text


def test_dry_run_sends_nothing(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    _Sink.received = []
    cfg = tmp_path / "alerts.yaml"
    cfg.write_text(f"max_priority: 1\nwebhook_url: http://127.0.0.1:{_dead_port()}/hook\ntimeout_s: 1\n")
    code, text = _run("workorders", str(inspections[1]), "--alerts", str(cfg), "--dry-run")
    expected = [o.work_order_id for o in read_work_orders(inspections[1] / "workorders.json")
                if AlertConfig(max_priority=1).crosses(o)]
    assert code == 0 and f"dry run: {len(expected)} would alert" in text and expected[0] in text


@pytest.mark.parametrize("content, message", [
    ("max_prio: 1\n", "unknown keys"),
    ("max_priority: urgent\n", "max_priority: expected a number"),
    ("states: CS3\n", "states: expected a list"),
    ("webhook_url: ftp://x/\n", "expected an http(s) URL"),
    ("- a\n- b\n", "expected a mapping"),
    ("max_priority: [1\n", "not valid YAML"),
])
def test_bad_alert_config_is_refused(inspections: tuple[Path, Path], tmp_path: Path, content: str,
                                     message: str) -> None:
    cfg = tmp_path / "alerts.yaml"
    cfg.write_text(content)
    code, text = _run("workorders", str(inspections[1]), "--alerts", str(cfg))
    assert code == 2 and "alerts.yaml" in text and message in text and "Traceback" not in text


def test_missing_inputs_are_refused(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    code, text = _run("workorders", str(tmp_path / "nope"))
    assert code == 2 and "nope" in text and "no such results folder" in text
    code, text = _run("workorders", str(tmp_path))
    assert code == 2 and "workorders.json" in text and "not a skyinspect results folder" in text
    code, text = _run("workorders", str(inspections[1]), "--alerts", str(tmp_path / "none.yaml"))
    assert code == 2 and "none.yaml" in text
    code, text = _run("workorders", str(inspections[1]), "--dry-run")
    assert code == 2 and "--alerts" in text


def test_write_csv_to_a_folder_is_refused_and_leaves_no_part_file(inspections: tuple[Path, Path],
                                                                    tmp_path: Path) -> None:
    """--write-csv naming a folder said 'cannot write (Is a directory)' but left FOLDER.part (the whole CSV)."""
    folder = tmp_path / "cmms"
    folder.mkdir()
    code, text = _run("workorders", str(inspections[1]), "--write-csv", str(folder))
    assert code == 2 and "cmms" in text and "folder" in text, text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmms"] and not any(folder.iterdir())


def test_write_csv_interrupted_leaves_no_part_file(inspections: tuple[Path, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C between writing the CSV and putting it in place left cmms.csv.part behind."""
    def interrupted(self: Path, target: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", interrupted)
    code, text = _run("workorders", str(inspections[1]), "--write-csv", str(tmp_path / "cmms.csv"))
    assert code == 130, text
    assert list(tmp_path.iterdir()) == []
