"""Commands name the folders and files they wrote as given: rich read '[draft]' in 'out [draft]' as a
style and dropped it ('wrote reg .gpkg', 'published ... into rs '), so the line named a path that is not
there, and a closing tag ('[/x]' across two folders: 'pl [old] [/x]') ended in a MarkupError traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from skyinspect.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "missions" / "examples"


def _said(*args: str) -> str:
    run = CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})
    assert run.exit_code == 0, run.output
    return " ".join(run.output.split())


def test_registry_and_publish_name_their_outputs_as_given(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    gpkg = tmp_path / "reg [draft].gpkg"
    assert f"wrote {gpkg}" in _said("registry", str(EXAMPLES / "bridge.yaml"), "--out", str(gpkg))
    results = tmp_path / "rs [draft]"
    shutil.copytree(inspections[1], results)
    assert f"into {results} (" in _said("publish", str(results))
    out = tmp_path / "ch [old]" / "[/x]"
    said = _said("change", str(inspections[0]), str(results), "--out", str(out))
    assert f"{out / 'change.json'}" in said, said


def test_plan_names_its_outputs_as_given(tmp_path: Path) -> None:
    """`skyinspect plan ASSET --out 'pl [draft]'` said 'wrote pl /mission.plan, ...'."""
    out = tmp_path / "pl [draft]"
    said = _said("plan", str(EXAMPLES / "pipeline.geojson"), "--out", str(out), "--crack-width-mm", "3")
    assert f"wrote {out / 'mission.plan'}, {out / 'mission.waypoints'}" in said, said


def test_model_info_names_the_model_file_as_given(tmp_path: Path) -> None:
    """`skyinspect model info --model 'm [draft].onnx'` printed its path as 'm .onnx'."""
    model = tmp_path / "m [draft].onnx"
    shutil.copyfile(Path(__file__).resolve().parents[2] / "models" / "skyinspect-seg.onnx", model)
    said = _said("model", "info", "--model", str(model))
    assert str(model) in said, said


def test_onboard_replay_names_the_record_folder_as_given(tmp_path: Path) -> None:
    """`skyinspect onboard ... --out 'fl [draft]'` said 'recorded 6 frames ... into fl '."""
    sim = tmp_path / "sim"
    _said("simulate", "--small", "--out", str(sim))
    out = tmp_path / "fl [draft]"
    said = _said("onboard", "--frames", str(sim / "frames"), "--mavlink", str(sim / "flight.tlog"),
                 "--camera", str(sim / "camera.yaml"), "--out", str(out))
    assert f"frames/s into {out}" in said, said


def test_demo_names_its_products_as_given(tmp_path: Path) -> None:
    """`skyinspect demo --small --out 'dm [draft]'` said 'map: dm /results/map.html'."""
    out = tmp_path / "dm [draft]"
    said = _said("demo", "--small", "--out", str(out))
    assert f"map: {out / 'results' / 'map.html'}" in said and f"GIS: {out / 'results' / 'findings.gpkg'}" in said, said


def test_process_names_a_flight_without_its_images_as_given(tmp_path: Path) -> None:
    """`skyinspect process 'fl [old]/[/x]'` on a record copied without images/ and masks/: its warnings named
    the flight folder as rich markup, a MarkupError traceback (exit 1) after every product was written."""
    from gs_fixtures import FLY_HEIGHT_M, crack_on_face, face_flight, face_surface

    folder = face_flight(tmp_path / "fl [old]" / "[/x]", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1)])
    shutil.rmtree(folder / "images")
    shutil.rmtree(folder / "masks")
    surface = tmp_path / "surface.json"
    face_surface().save(surface)
    said = _said("process", str(folder), "--out", str(tmp_path / "res"), "--surface", str(surface))
    assert f"images are missing from {folder}" in said and f"masks are missing from {folder}" in said, said


def test_change_shows_a_reviewers_name_as_written(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    """The changes table quotes who confirmed a finding in the review app ('confirmed a crack in review
    (NAME, this time)'): a reviewer who signed '[/x]' ended `skyinspect change` in a MarkupError traceback."""
    import json

    from groundstation.review.audit import AuditLog

    results = tmp_path / "rs"
    shutil.copytree(inspections[1], results)
    log = AuditLog(results / "review" / "audit.jsonl")
    for f in json.loads((results / "findings.geojson").read_text())["features"]:
        log.append("Ana [/x]", "confirm", f["properties"]["finding_id"])
    said = _said("change", str(inspections[0]), str(results), "--out", str(tmp_path / "ch"))
    assert "(Ana [/x], this time)" in said, said
