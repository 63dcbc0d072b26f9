"""The review API: filters, views, audited decisions, tokens, and refused attacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402
from review_helpers import W, decide  # noqa: E402

from groundstation.review import is_loopback  # noqa: E402
from groundstation.review.app import create_app  # noqa: E402
from groundstation.review.audit import AuditLog  # noqa: E402


def client(results: Path, token: str | None = None) -> TestClient:
    return TestClient(create_app(results, token))


def test_list_filter_detail_and_every_view(results: Path) -> None:
    c = client(results)
    rows = c.get("/api/findings").json()
    assert {r["class"] for r in rows} == {"crack", "corrosion"}
    crack = next(r for r in rows if r["class"] == "crack")
    assert crack["grade"] == "CS3" and "1.27 mm" in crack["grade_clause"]
    assert [r["finding_id"] for r in c.get("/api/findings", params={"cls": "crack"}).json()] == [crack["finding_id"]]
    assert c.get("/api/findings", params={"grade": "CS3"}).json()[0]["finding_id"] == crack["finding_id"]
    detail = c.get(f"/api/findings/{crack['finding_id']}").json()
    assert len(detail["views_list"]) == 5 and all(v["url"] for v in detail["views_list"])
    # the fixture's crack is a ruler-straight level line: publish flagged it for a look
    assert "straight and level" in detail["check"] and "joint" in detail["check"]
    rust = next(r for r in rows if r["class"] == "corrosion")
    assert c.get(f"/api/findings/{rust['finding_id']}").json()["check"] == ""
    for v in detail["views_list"]:
        r = c.get(v["url"])
        assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
    page = c.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"] and "unsafe-inline" not in page.headers[
        "content-security-policy"].split("script-src")[1].split(";")[0]


def test_decisions_are_audited_append_only(results: Path) -> None:
    c = client(results)
    fid = c.get("/api/findings").json()[0]["finding_id"]
    decide(c, fid, "confirm")
    decide(c, fid, "relabel", label="corrosion")
    decide(c, fid, "comment", {**W, "X-Reviewer": "bob"}, comment="seen on site")
    decide(c, fid, "reject")
    audit = c.get("/api/audit").json()
    assert audit["verified"] and [e["action"] for e in audit["entries"]] == ["confirm", "relabel", "comment", "reject"]
    assert all(e["who"] and e["time_utc"] and e["finding_id"] == fid for e in audit["entries"])
    row = c.get(f"/api/findings/{fid}").json()
    assert row["review"]["status"] == "rejected" and row["review"]["label"] == "corrosion"
    assert row["review"]["comments"][0] == {"who": "bob", "time_utc": audit["entries"][2]["time_utc"], "text": "seen on site"}
    assert c.get("/api/findings", params={"status": "rejected"}).json()[0]["finding_id"] == fid
    log = results / "review" / "audit.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:1] + lines[2:]) + "\n")  # someone deletes an entry
    assert not AuditLog(log).verify()
    log.write_text("\n".join([lines[0].replace("ada", "eve")] + lines[1:]) + "\n")  # or edits one
    assert not AuditLog(log).verify()


def test_token_required_for_writes(results: Path) -> None:
    c = client(results, token="s3cret-token")
    fid = c.get("/api/findings").json()[0]["finding_id"]  # reads stay open
    url = f"/api/findings/{fid}/review"
    assert c.post(url, json={"action": "confirm"}, headers=W).status_code == 401
    assert c.post(url, json={"action": "confirm"}, headers={**W, "Authorization": "Bearer wrong"}).status_code == 401
    assert c.post("/api/export", json={}, headers=W).status_code == 401
    assert c.post(url, json={"action": "confirm"}, headers={**W, "Authorization": "Bearer s3cret-token"}).status_code == 201
    assert c.get("/api/inspection").json()["write_token_required"] is True


def test_non_loopback_bind_generates_a_token(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from skyinspect.cli.serve import serve_command

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20") and not is_loopback("example.org")
    started: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(app=app, **kw))
    serve_command(results, host="0.0.0.0", port=9, token=None, flight=None)
    c = TestClient(started["app"])
    fid = c.get("/api/findings").json()[0]["finding_id"]
    assert c.post(f"/api/findings/{fid}/review", json={"action": "confirm"}, headers=W).status_code == 401
    serve_command(results, host="127.0.0.1", port=9, token=None, flight=None)
    c = TestClient(started["app"], base_url="http://127.0.0.1:9")  # on loopback: a loopback Host only
    decide(c, fid, "confirm")


@pytest.mark.parametrize("path", [
    "/files/../../../../etc/passwd", "/files/..%2F..%2F..%2F..%2Fetc%2Fpasswd", "/files/%2e%2e/%2e%2e/etc/passwd",
    "/files/stages/findings.json", "/files/stages%2Ffindings.json", "/files/review%2Faudit.jsonl", "/files/inspection.json",
    "/api/findings/..%2F..%2F..%2Fetc%2Fpasswd", "/api/findings/F-0001/views/..%2F..%2F..%2Fetc%2Fpasswd.jpg",
    "/api/findings/F-0001/views/-1.jpg", "/api/findings/F-0001/views/99.jpg", "/static/..%2Fapp.py",
    "/api/findings/%2Fetc%2Fpasswd"])
def test_path_traversal_is_refused(results: Path, path: str) -> None:
    r = client(results).get(path)
    assert r.status_code in (404, 422), (path, r.status_code)
    assert b"root:" not in r.content and b"finding_id" not in r.content


def test_products_are_served_by_name(results: Path) -> None:
    c = client(results)
    r = c.get("/files/report.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert "sandbox" in c.get("/files/map.html").headers["content-security-policy"]


def test_script_injection_is_refused_or_inert(results: Path) -> None:
    c = client(results)
    fid = c.get("/api/findings").json()[0]["finding_id"]
    url = f"/api/findings/{fid}/review"
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    assert c.post(url, json={"action": "relabel", "label": evil}, headers=W).status_code == 422
    assert c.post(url, json={"action": "confirm"}, headers={**W, "X-Reviewer": "<script>x</script>"}).status_code == 422
    assert c.post(url, json={"action": "<script>"}, headers=W).status_code == 422
    assert c.post(url, content=json.dumps({"action": "confirm"}),
                  headers={"X-Reviewer": "ada", "Content-Type": "application/x-www-form-urlencoded"}).status_code == 415
    assert c.post(url, json={"action": "confirm"}, headers={**W, "Origin": "http://evil.example"}).status_code == 403
    assert c.post(url, json={"action": "comment", "comment": "x" * 2001}, headers=W).status_code == 422
    # a comment is free text: stored verbatim, only ever served as JSON (the page renders it with textContent)
    r = c.post(url, json={"action": "comment", "comment": evil}, headers=W)
    assert r.status_code == 201 and r.headers["content-type"].startswith("application/json")
    assert c.get(f"/api/findings/{fid}").json()["review"]["comments"][0]["text"] == evil
    assert "innerHTML" not in c.get("/static/app.js").text
    assert len(AuditLog(results / "review" / "audit.jsonl").entries()) == 1  # only the accepted comment


def test_export_ultralytics_training_set(results: Path) -> None:
    c = client(results)
    rows = {r["class"]: r["finding_id"] for r in c.get("/api/findings").json()}
    c.post(f"/api/findings/{rows['crack']}/review", json={"action": "confirm"}, headers=W)
    c.post(f"/api/findings/{rows['corrosion']}/review", json={"action": "reject"}, headers=W)
    summary = c.post("/api/export", json={}, headers=W).json()
    assert summary == {"samples": 10, "folder": summary["folder"], "positives": 5, "negatives": 5}
    out = Path(summary["folder"])
    import yaml

    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == {0: "crack", 1: "corrosion"} and data["train"] == "images/train"
    labels = sorted(out.glob("labels/*/*.txt"))
    assert len(labels) == 10 and len(list(out.glob("images/*/*.jpg"))) == 10 and len(list(out.glob("masks/*/*.png"))) == 10
    for lab in labels:
        text = lab.read_text().split()
        if rows["crack"] in lab.name:
            assert text[0] == "0" and len(text) >= 7 and all(0.0 <= float(v) <= 1.0 for v in text[1:])
        else:
            assert text == []  # rejected: a background sample
    manifest = json.loads((out / "manifest.json").read_text())["samples"]
    assert {m["reviewer"] for m in manifest} == {"ada"}


def test_class_filter_follows_a_relabel(results: Path) -> None:
    """The table shows a relabelled finding under its new label, but the class filter matched the
    model's class: on the demo, F-0002 relabelled corrosion -> crack read "crack" in the table yet was
    missing from "class: crack" and listed under "class: corrosion"."""
    c = client(results)
    rust = next(r["finding_id"] for r in c.get("/api/findings").json() if r["class"] == "corrosion")
    decide(c, rust, "relabel", label="crack")
    assert rust in [r["finding_id"] for r in c.get("/api/findings", params={"cls": "crack"}).json()]
    assert rust not in [r["finding_id"] for r in c.get("/api/findings", params={"cls": "corrosion"}).json()]


def test_grade_filter_as_typed(results: Path) -> None:
    """The grade filter is a text box; "cs3" or "CS3 " (as typed) listed nothing at all."""
    c = client(results)
    want = [r["finding_id"] for r in c.get("/api/findings", params={"grade": "CS3"}).json()]
    assert want
    for typed in ("cs3", " CS3 ", "Cs3"):
        assert [r["finding_id"] for r in c.get("/api/findings", params={"grade": typed}).json()] == want
    assert c.get("/api/findings", params={"grade": "  "}).json() == c.get("/api/findings").json()
