"""Work orders (CSV, JSON for a CMMS) and alerts: webhook POST to a local server, MQTT to mosquitto."""

from __future__ import annotations

import csv
import http.server
import io
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from groundstation.grading import grade_all
from groundstation.workorders import (AlertConfig, WorkOrderPolicy, build_work_orders, read_work_orders, send_alerts,
                                      work_orders_csv, write_work_orders)
from skyinspect.findings import Finding, Measurement
from gs_fixtures import WebhookSink as _Sink
from mqtt_broker import broker_and_subscriber


def _finding(fid: str, cls: str, north: float, **values: float | None) -> Finding:
    outline = np.array([[north, 2.0, -10.0], [north + 0.3, 2.0, -10.0], [north + 0.3, 2.0, -10.004]])
    meas = {k: Measurement(v, 0.01 if v is not None else None, "mm", "" if v is not None else "not measurable: GSD")
            for k, v in values.items()}
    return Finding(fid, 1, cls, 47.1, 8.2, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9, ((0, 0),), (0, 0), meas,
                   outline_ned_m=outline, surface_name="face")


FINDINGS = [_finding("F-0001", "crack", 0.0, width_mm=2.0), _finding("F-0002", "crack", 5.0, width_mm=0.1),
            _finding("F-0003", "crack", 10.0, width_mm=None), _finding("F-0004", "crack", 15.0, width_mm=0.5)]
GRADES = grade_all(FINDINGS, profile="rc_bridge")
ASSIGN = {"F-0001": {"label": "P1 pier", "component_id": "bridge/P1"}}


def orders():  # type: ignore[no-untyped-def]
    return build_work_orders(FINDINGS, GRADES, "2025-06-01", "BR-7", ASSIGN)


def test_work_orders_priority_due_date_and_indeterminate() -> None:
    wo = orders()
    by = {o.finding_id: o for o in wo}
    assert set(by) == {"F-0001", "F-0003", "F-0004"}  # F-0002 is CS1: no work order at max_priority 3
    assert by["F-0001"].grade == "CS3" and by["F-0001"].priority == 2 and by["F-0001"].due_date == "2025-08-30"
    assert by["F-0001"].component == "P1 pier" and by["F-0001"].asset_id == "BR-7"
    assert by["F-0004"].grade == "CS2" and by["F-0004"].due_date == "2026-06-01"
    assert by["F-0003"].grade == "indeterminate" and by["F-0003"].due_date == "2025-08-30" and "GSD" in by["F-0003"].clause
    assert [o.finding_id for o in wo] == ["F-0001", "F-0003", "F-0004"]  # most urgent first
    assert all(any(e.startswith("report.html#") for e in o.evidence) for o in wo)
    assert len(build_work_orders(FINDINGS, GRADES, "2025-06-01", policy=WorkOrderPolicy(max_priority=4))) == 4


def test_csv_and_json_roundtrip(tmp_path: Path) -> None:
    wo = orders()
    write_work_orders(wo, tmp_path / "wo.csv", tmp_path / "wo.json", "BR-7", "2025-06-01")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "wo.csv").read_text())))
    assert [r["finding_id"] for r in rows] == ["F-0001", "F-0003", "F-0004"]
    assert rows[0]["asset_id"] == "BR-7" and rows[0]["due_date"] == "2025-08-30" and "1.27 mm" in rows[0]["clause"]
    assert read_work_orders(tmp_path / "wo.json") == wo


def test_csv_cells_cannot_inject_formulas() -> None:
    wo = build_work_orders(FINDINGS[:1], GRADES, "2025-06-01", "=HYPERLINK(\"http://x\")")
    assert "'=HYPERLINK" in work_orders_csv(wo)


def test_webhook_posts_only_orders_over_the_threshold() -> None:
    _Sink.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        report = send_alerts(orders(), AlertConfig(max_priority=2, webhook_url=url, webhook_token="s3cret", timeout_s=3))
    finally:
        server.shutdown()
        thread.join(5)
    # F-0001 CS3 and F-0003, whose width was not measured: a check as urgent as CS3 (priority 2); not F-0004 (CS2)
    assert report.errors == [] and report.webhook_sent == 2
    assert report.alerted == ["WO-BR-7-2025-06-01-F-0001", "WO-BR-7-2025-06-01-F-0003"]
    auth, body = _Sink.received[0]
    assert auth == "Bearer s3cret" and body["event"] == "finding_alert" and body["finding_id"] == "F-0001"
    # by state instead of priority, and an unreachable hook is reported, not raised
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    bad = send_alerts(orders(), AlertConfig(max_priority=0, states=("CS2",), webhook_url=f"http://127.0.0.1:{dead}/",
                                            timeout_s=1))
    assert bad.alerted == ["WO-BR-7-2025-06-01-F-0004"] and bad.webhook_sent == 0 and len(bad.errors) == 1


def test_alert_config_from_yaml(tmp_path: Path) -> None:
    p = tmp_path / "alerts.yaml"
    p.write_text("max_priority: 1\nstates: [CS3, CAT5]\nwebhook_url: http://127.0.0.1:9/x\n")
    cfg = AlertConfig.from_yaml(p)
    assert cfg.states == ("CS3", "CAT5") and cfg.max_priority == 1
    p.write_text("max_prio: 1\n")
    with pytest.raises(ValueError, match="unknown keys"):
        AlertConfig.from_yaml(p)


def test_mqtt_publish_to_a_real_broker(tmp_path: Path) -> None:
    with broker_and_subscriber(tmp_path, "skyinspect/alerts/#") as (port, got, wait):
        report = send_alerts(orders(), AlertConfig(max_priority=2, mqtt_host="127.0.0.1", mqtt_port=port, timeout_s=3))
        wait()
    assert report.errors == [] and report.mqtt_sent == 2  # F-0001 (CS3) and F-0003 (may be CS3)
    assert got and got[0][0] == "skyinspect/alerts/BR-7" and got[0][1]["finding_id"] == "F-0001"


def test_a_finding_to_check_first_says_so_in_its_work_order() -> None:
    note = "straight and plumb over 320 mm (...): runs like a formwork or construction joint; check it is a crack"
    by = {o.finding_id: o for o in build_work_orders(FINDINGS, GRADES, "2025-06-01", checks={"F-0001": note})}
    assert by["F-0001"].action.startswith("First check it is a defect") and note in by["F-0001"].description
    plain = {o.finding_id: o for o in orders()}
    assert by["F-0001"].action.endswith(plain["F-0001"].action)  # the grade's action follows
    assert by["F-0004"].action == plain["F-0004"].action  # the others are untouched
    # its own sentence: the demo's orders ran on '... max_width_mm 0.54-2.28 mm (bound) Check: straight ...'
    assert by["F-0001"].description.endswith(f"width 2.00 +/- 0.01 mm. Check: {note}."), by["F-0001"].description


def test_a_finding_rejected_in_review_gets_no_work_order_and_no_alert(tmp_path: Path) -> None:
    """The review app's decisions were only an audit trail: a formwork joint rejected there still
    raised its work order and, with --alerts, its alert."""
    import typer
    from typer.testing import CliRunner

    from groundstation.review.audit import AuditLog
    from groundstation.workorders import apply_review
    from skyinspect.cli.main_errors import handle_errors
    from skyinspect.cli.workorders import workorders_command

    results = tmp_path / "results"
    results.mkdir()
    write_work_orders(orders(), results / "workorders.csv", results / "workorders.json", "BR-7", "2025-06-01")
    assert apply_review(orders(), results) == (orders(), [])  # not reviewed: as built
    audit = AuditLog(results / "review" / "audit.jsonl")
    audit.append("eng1", "reject", "F-0003", comment="formwork joint")
    audit.append("eng1", "relabel", "F-0004", label="corrosion")
    audit.append("eng2", "confirm", "F-0001")
    kept, said = apply_review(orders(), results)
    assert [o.finding_id for o in kept] == ["F-0001", "F-0004"]
    assert said == ["1 rejected in review, no work order or alert: F-0003 (by eng1)",
                    "relabelled in review, still graded as found: F-0004 crack -> corrosion"]
    app = typer.Typer()
    app.command("workorders")(handle_errors(workorders_command))
    app.command("noop")(lambda: None)
    config = tmp_path / "alerts.yaml"
    config.write_text("max_priority: 3\nwebhook_url: http://127.0.0.1:9/never\n")
    r = CliRunner().invoke(app, ["workorders", str(results), "--alerts", str(config), "--dry-run"])
    out = " ".join(r.output.split())
    assert r.exit_code == 0, r.output
    assert "2 work orders" in out and "rejected in review" in out and "F-0003" not in out.split("would alert:")[1]
    r = CliRunner().invoke(app, ["workorders", str(results), "--write-csv", str(tmp_path / "cmms.csv")])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "cmms.csv").read_text())))
    assert [row["finding_id"] for row in rows] == ["F-0001", "F-0004"]  # what the CMMS gets: reviewed
    # an edited trail is not trusted: nothing applied, and said
    lines = audit.path.read_text().splitlines()
    audit.path.write_text("\n".join([lines[0].replace("eng1", "eng9")] + lines[1:]) + "\n")
    kept, said = apply_review(orders(), results)
    assert kept == orders() and "fails its hash check" in said[0]
