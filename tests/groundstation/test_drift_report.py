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
    """The shipped model's measured accuracy is in the appendix only for the model it belongs to, and
    for the passes that made this flight's detections (one onboard pass reads lower than segment's)."""
    from groundstation.publish import report
    from groundstation.load import load_flight

    folder, _ = two_defect_flight
    flight = load_flight(folder)
    inp = type("Inp", (), {"flight": flight})()
    assert "No accuracy figures" in report.model_text(inp)  # the fixture's model is not the shipped one
    data = Path(report.__file__).resolve().parents[2] / "models/data"
    post = json.loads((data / "eval_summary.json").read_text())
    one = json.loads((data / "eval_summary_one_pass.json").read_text())
    assert (post["flips"], post["upscale"], one["flips"], one["upscale"]) == (4, 1.5, 1, None)
    object.__setattr__(flight, "model_id", post["model_id"])

    def says(summary: dict) -> bool:  # type: ignore[type-arg]
        text = report.model_text(inp)
        return f"{summary['uav75_val']['tol_f']:.2f}" in text and f"{summary['corrosion_test']['iou']:.2f}" in text

    flight.meta.pop("segmentation", None)  # a record from before the settings were written: one pass
    assert says(one) and not says(post) and "passes not recorded" in report.model_text(inp)
    flight.meta["segmentation"] = json.dumps({"flips": 4, "upscale": 1.5})
    assert says(post) and "4 flipped model passes per frame plus two over the frame enlarged 1.5x" in report.model_text(inp)
    flight.meta["segmentation"] = json.dumps({"flips": 1, "upscale": None})
    assert says(one) and "as flown onboard" in report.model_text(inp)
    flight.meta["segmentation"] = json.dumps({"flips": 2, "upscale": None})
    assert "No accuracy figures on file for these passes" in report.model_text(inp)
