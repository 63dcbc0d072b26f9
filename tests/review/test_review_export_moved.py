"""The exported training set still trains after the results folder has moved (another disk, the
training machine): its data.yaml names no absolute path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402

W = {"X-Reviewer": "ada", "Content-Type": "application/json"}


def _dataset_root(data_yaml: Path) -> Path:
    """Where ultralytics (check_det_dataset) looks for train/val: the yaml's ``path``, else the folder
    the yaml is in; a relative ``path`` is taken under its own datasets folder, not beside the yaml."""
    data = yaml.safe_load(data_yaml.read_text())
    return Path(data.get("path") or data_yaml.parent)


def test_a_moved_results_folder_keeps_a_usable_training_set(results: Path, tmp_path: Path) -> None:
    c = TestClient(create_app(results))
    fid = c.get("/api/findings").json()[0]["finding_id"]
    c.post(f"/api/findings/{fid}/review", json={"action": "confirm"}, headers=W)
    assert c.post("/api/export", json={}, headers=W).json()["samples"] > 0
    moved = tmp_path / "elsewhere" / "results"
    shutil.move(str(results), str(moved))
    data_yaml = moved / "review" / "training" / "data.yaml"
    root = _dataset_root(data_yaml)
    # before: "path: <the old folder>", which no longer exists: ultralytics found no images
    assert root.resolve() == data_yaml.parent.resolve()
    data = yaml.safe_load(data_yaml.read_text())
    assert list((root / data["train"]).glob("*.jpg"))
