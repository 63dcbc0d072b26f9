"""Exporting the training set again: review/training holds exactly what the manifest lists. Before, a
second export wrote over the first in place, so a sample it could not cut again stayed on disk with
its old label (a finding rejected since still trained as a crack), and an export with no view to cut
(the flight record not there) said '0 samples written' over a folder of 17 old ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402

W = {"X-Reviewer": "ada", "Content-Type": "application/json"}


def _on_disk(training: Path) -> set[str]:
    return {str(p.relative_to(training)) for p in training.glob("images/*/*.jpg")}


def test_a_second_export_leaves_no_sample_of_the_first(results: Path, tmp_path: Path) -> None:
    flight = tmp_path / "flight"  # a copy: one of its frame images is removed below
    shutil.copytree(json.loads((results / "inspection.json").read_text())["flight"], flight)
    c = TestClient(create_app(results, flight=flight))
    rows = {r["class"]: r["finding_id"] for r in c.get("/api/findings").json()}
    for fid in rows.values():
        assert c.post(f"/api/findings/{fid}/review", json={"action": "confirm"}, headers=W).status_code == 201
    first = c.post("/api/export", json={}, headers=W).json()
    training = results / "review" / "training"
    assert first["samples"] == 10 and len(_on_disk(training)) == 10
    shutil.rmtree(results / "review" / "training" / "labels" / "train")  # stand-in for anything of the first
    # one view's frame image gone (a card's file lost): that sample cannot be cut again
    rec = c.app.state.data.frames[c.app.state.data.findings[rows["crack"]].views[0][0]]
    rec.image_path.unlink()
    assert c.post(f"/api/findings/{rows['crack']}/review", json={"action": "reject"}, headers=W).status_code == 201
    second = c.post("/api/export", json={}, headers=W).json()
    manifest = json.loads((training / "manifest.json").read_text())["samples"]
    assert _on_disk(training) == {m["image"] for m in manifest}  # the first export's crack view had stayed
    assert second["samples"] == len(manifest) < 10
    for m in manifest:
        text = (training / m["image"].replace("images/", "labels/").replace(".jpg", ".txt")).read_text()
        assert (text == "") == (m["finding_id"] == rows["crack"])  # rejected: background only
    assert not [p for p in training.parent.iterdir() if p.name != "training" and p.name != "audit.jsonl"]


def test_an_export_with_no_view_to_cut_says_why_and_keeps_the_set(results: Path) -> None:
    c = TestClient(create_app(results))
    fid = c.get("/api/findings").json()[0]["finding_id"]
    assert c.post(f"/api/findings/{fid}/review", json={"action": "confirm"}, headers=W).status_code == 201
    assert c.post("/api/export", json={}, headers=W).json()["samples"] == 5
    training = results / "review" / "training"
    before = {p: p.read_bytes() for p in training.rglob("*") if p.is_file()}
    meta = json.loads((results / "inspection.json").read_text())
    meta["flight"] = str(results.parent / "elsewhere" / "flight")  # served where the record is not
    (results / "inspection.json").write_text(json.dumps(meta))
    c = TestClient(create_app(results))
    r = c.post("/api/export", json={}, headers=W)
    assert r.status_code == 409, r.text
    assert "flight record" in r.json()["detail"] and "--flight" in r.json()["detail"]
    assert {p: p.read_bytes() for p in training.rglob("*") if p.is_file()} == before


def test_a_set_that_cannot_be_moved_into_place_leaves_the_earlier_one(results: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    c = TestClient(create_app(results), raise_server_exceptions=False)
    fid = c.get("/api/findings").json()[0]["finding_id"]
    assert c.post(f"/api/findings/{fid}/review", json={"action": "confirm"}, headers=W).status_code == 201
    assert c.post("/api/export", json={}, headers=W).json()["samples"] == 5
    training = results / "review" / "training"
    before = {p: p.read_bytes() for p in training.rglob("*") if p.is_file()}
    rename = Path.rename

    def full_disk(self: Path, target: Path) -> Path:  # the new set's move into place fails
        if ".part-" in self.name:
            raise OSError(28, "No space left on device")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", full_disk)
    assert c.post("/api/export", json={}, headers=W).status_code == 503
    assert {p: p.read_bytes() for p in training.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in training.parent.iterdir()) == ["audit.jsonl", "training"]
