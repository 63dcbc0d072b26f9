"""The flight's input-drift verdict reaches inspection.json and the report's data-quality section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gs_fixtures import MODEL_ID, Defect, face_surface

import models.runtime
from groundstation.pipeline import process
from skyinspect.drift import DriftReference, StatRange


def _reference(tmp_path: Path, model_id: str, brightness: tuple[float, float]) -> Path:
    ref = DriftReference(model_id, 100, {"brightness": StatRange(brightness[0], sum(brightness) / 2, brightness[1])})
    path = tmp_path / "drift_reference.json"
    path.write_text(ref.to_json())
    return path


@pytest.mark.parametrize(("model_id", "brightness", "expect"), [
    (MODEL_ID, (180.0, 250.0), "OUT OF DISTRIBUTION"),  # the fixture frames are mid-grey (~128)
    (MODEL_ID, (90.0, 170.0), "look like the training imagery"),
    ("another-model", (180.0, 250.0), "not checked"),  # a reference for another model is not used
])
def test_verdict_in_products(tmp_path: Path, two_defect_flight: tuple[Path, list[Defect]],
                             monkeypatch: pytest.MonkeyPatch, model_id: str, brightness: tuple[float, float],
                             expect: str) -> None:
    monkeypatch.setattr(models.runtime, "DRIFT_REFERENCE_FILE", _reference(tmp_path, model_id, brightness))
    folder, _ = two_defect_flight
    out = tmp_path / "out"
    process(folder, out, face_surface(), progress=False)
    assert expect in (out / "report.html").read_text()
    drift = json.loads((out / "inspection.json").read_text())["input_drift"]
    if expect == "not checked":
        assert drift is None
    else:
        assert drift["out_of_distribution"] is (expect == "OUT OF DISTRIBUTION")
        assert drift["n_frames"] == 6  # every recorded frame has statistics, tagged or not


def test_report_states_the_models_accuracy(tmp_path: Path, two_defect_flight: tuple[Path, list[Defect]]) -> None:
    """The shipped model's measured accuracy is in the appendix only for the model it belongs to."""
    from groundstation.publish import report
    from groundstation.load import load_flight

    folder, _ = two_defect_flight
    flight = load_flight(folder)
    inp = type("Inp", (), {"flight": flight})()
    assert "No accuracy figures" in report.model_text(inp)  # the fixture's model is not the shipped one
    shipped = json.loads((Path(report.__file__).resolve().parents[2] / "models/data/eval_summary.json").read_text())
    object.__setattr__(flight, "model_id", shipped["model_id"])
    text = report.model_text(inp)
    assert f"{shipped['uav75_val']['tol_f']:.2f}" in text and f"{shipped['corrosion_test']['iou']:.2f}" in text
