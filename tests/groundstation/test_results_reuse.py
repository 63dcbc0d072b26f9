"""A results folder processed again: review decisions and change files name findings by id, so once
the findings are others (another flight processed into the folder) they are moved aside, never
applied to whichever new finding has the old id; the same findings keep them."""

from __future__ import annotations

from pathlib import Path

import pytest
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface

from groundstation.pipeline import process
from groundstation.review.audit import AuditLog
from groundstation.workorders import apply_review, read_work_orders


@pytest.fixture(scope="module")
def flights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("reuse")
    crack = face_flight(tmp / "crack", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1, width_m=0.004)])
    rust = face_flight(tmp / "rust", [corrosion_on_face(0.3, FLY_HEIGHT_M)])
    return crack, rust


def _reviewed(flight: Path, out: Path) -> None:
    process(flight, out, face_surface(), progress=False)
    AuditLog(out / "review" / "audit.jsonl").append("Ann", "reject", "F-0001", comment="not a defect")
    (out / "change.json").write_text("{}")


def test_another_flights_findings_do_not_inherit_the_review(flights: tuple[Path, Path], tmp_path: Path) -> None:
    crack, rust = flights
    out = tmp_path / "results"
    _reviewed(crack, out)
    summary = process(rust, out, face_surface(), progress=False)
    assert summary.superseded is not None and summary.superseded.parent == out
    assert (summary.superseded / "review" / "audit.jsonl").is_file() and (summary.superseded / "change.json").is_file()
    assert not (out / "review").exists() and not (out / "change.json").exists()
    orders, said = apply_review(read_work_orders(out / "workorders.json"), out)
    assert [o.finding_id for o in orders] == ["F-0001"] and said == []  # the rust's order is not dropped


def test_the_same_findings_keep_their_review(flights: tuple[Path, Path], tmp_path: Path) -> None:
    crack, _ = flights
    out = tmp_path / "results"
    _reviewed(crack, out)
    summary = process(crack, out, face_surface(), progress=False, grading_profile="steel_bridge")  # regraded only
    assert summary.superseded is None and (out / "review" / "audit.jsonl").is_file()
    assert not list(out.glob("superseded-*"))
    assert apply_review(read_work_orders(out / "workorders.json"), out)[0] == []


def test_a_review_survives_a_new_stage_fingerprint_with_the_same_findings(flights: tuple[Path, Path],
                                                                           tmp_path: Path) -> None:
    """A new version (its stage fingerprints change) or --rerun recomputes the stages; the findings
    are the same, so their review stays."""
    import json

    crack, _ = flights
    out = tmp_path / "results"
    _reviewed(crack, out)
    stage = out / "stages" / "findings.json"
    stored = json.loads(stage.read_text())
    stage.write_text(json.dumps(stored | {"fingerprint": "from an older version"}))
    summary = process(crack, out, face_surface(), progress=False)
    assert "measure" not in summary.stages_reused and summary.superseded is None
    assert (out / "review" / "audit.jsonl").is_file()
