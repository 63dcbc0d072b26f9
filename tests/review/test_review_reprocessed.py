"""A review app left running while `skyinspect process` writes other findings into its folder: its
decisions would name the old findings' ids and land on the new ones (the new F-0001's work order
dropped by a rejection of the old F-0001 that the reviewer saw)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, face_flight, face_surface  # noqa: E402
from review_helpers import W, decide  # noqa: E402

from groundstation.pipeline import process  # noqa: E402
from groundstation.review.app import create_app  # noqa: E402
from groundstation.review.audit import AuditLog  # noqa: E402


def test_decisions_are_refused_once_the_folder_holds_other_findings(results: Path, tmp_path: Path) -> None:
    c = TestClient(create_app(results))
    decide(c, "F-0001", "confirm")
    # the same findings written again (another grading profile): decisions still apply
    process(Path(c.app.state.data.inspection["flight"]), results, face_surface(), progress=False,  # type: ignore[attr-defined]
            grading_profile="steel_bridge")
    decide(c, "F-0001", "comment", comment="ok")
    # another flight processed into the folder: the app's findings are not the folder's any more
    other = face_flight(tmp_path / "other", [corrosion_on_face(0.3, FLY_HEIGHT_M + 0.4)])
    process(other, results, face_surface(), progress=False)
    r = c.post("/api/findings/F-0001/review", json={"action": "reject"}, headers=W)
    assert r.status_code == 409 and "processed again" in r.json()["detail"] and "restart" in r.json()["detail"]
    assert AuditLog(results / "review" / "audit.jsonl").entries() == []  # nothing written onto the new findings
