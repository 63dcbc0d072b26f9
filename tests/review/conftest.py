"""A processed results folder (two findings, images on disk) shared by the review tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "groundstation"))  # gs_fixtures
sys.path.insert(0, str(Path(__file__).resolve().parent))  # review_helpers

pytest.importorskip("fastapi", reason="the review app needs FastAPI (pip install fastapi uvicorn httpx)")


@pytest.fixture(scope="session")
def processed_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface

    from groundstation.pipeline import process

    tmp = tmp_path_factory.mktemp("review")
    flight = face_flight(tmp / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)])
    process(flight, tmp / "results", face_surface(), progress=False)
    return tmp / "results"


@pytest.fixture()
def results(processed_results: Path, tmp_path: Path) -> Path:
    """A fresh copy per test: each starts with an empty audit trail."""
    out = tmp_path / "results"
    shutil.copytree(processed_results, out)
    return out
