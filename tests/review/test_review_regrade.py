"""`skyinspect publish` and `process` grade the reviewed findings: before, a rejected finding's area still
counted in the rusted area % and a relabelled finding stayed graded as the class found (grades came
from stages/grades.json), while the report, map and work orders showed the reviewer's class."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust, decide  # noqa: E402


def _decide(results: Path) -> tuple[str, str]:
    """The rust patch rejected as a stain, the crack relabelled corrosion."""
    c, crack, rust = crack_and_rust(results)
    decide(c, rust, "reject", comment="a stain")
    decide(c, crack, "relabel", label="corrosion")
    return crack, rust


def _published(results: Path, crack: str) -> dict:
    import pyogrio

    props = json.loads((results / "findings.geojson").read_text())["features"][0]["properties"]
    gpkg = pyogrio.read_dataframe(results / "findings.gpkg", layer="findings")
    orders = json.loads((results / "workorders.json").read_text())["work_orders"]
    order = next(o for o in orders if o["finding_id"] == crack)
    return {"geojson": (props["grade"], props["grade_rule"], props["other_grades"]),
            "gpkg": (gpkg["grade"][0], gpkg["grade_rule"][0], gpkg["other_grades"][0]), "order": order}


def test_publish_grades_the_reviewed_set_and_every_product_agrees(results: Path) -> None:
    from groundstation.grading import load_rules
    from groundstation.grading.grader import grade_finding
    from skyinspect.findings import Measurement
    from groundstation.grading.stage import grade_output_from_json
    from groundstation.republish import publish_reviewed
    from groundstation.stages import finding_from_dict

    crack, rust = _decide(results)
    stages = {p.name: p.read_bytes() for p in (results / "stages").glob("*.json")}
    found = {f.finding_id: f for f in (finding_from_dict(x) for x in
                                        json.loads((results / "stages" / "findings.json").read_text())["data"])}
    stored = grade_output_from_json(json.loads((results / "stages" / "grades.json").read_text())["data"]).grades
    publish_reviewed(results)
    got = _published(results, crack)
    state, rule, others = got["geojson"]
    assert rule.startswith("aashto-mbei-1000") and rule != stored[crack][0].rule  # graded as corrosion now
    assert got["gpkg"] == got["geojson"]
    # ISO 4628-3 by the rusted area of the relabelled crack alone: the rejected stain's area is out
    covered = json.loads((results / "inspection.json").read_text())
    iso = load_rules()["iso-4628-3"]
    cov = _covered(results)
    pct = 100.0 * found[crack].measurements["area_m2"].value / cov
    want = grade_finding(dataclasses.replace(found[crack], class_name="corrosion"), iso,
                         {"rusted_area_pct": Measurement(pct, 0.0, "%")}).state
    assert others.startswith(f"{want} (iso-4628-3") and covered["review"]["rejected"] == [rust]
    assert got["order"]["grade"].rstrip("+") == state
    assert "graded as corrosion" in got["order"]["description"]
    assert "grade it again" not in got["order"]["description"]
    html = (results / "report.html").read_text()
    assert "corrosion (relabelled from crack; graded as corrosion)" in html
    if shutil.which("pdftotext"):
        text = " ".join(subprocess.run(["pdftotext", str(results / "report.pdf"), "-"], capture_output=True,
                                       text=True, check=True).stdout.split())
        assert "graded as corrosion" in text and "graded as crack" not in text
    assert {p.name: p.read_bytes() for p in (results / "stages").glob("*.json")} == stages


def _covered(results: Path) -> float:
    from groundstation.load import load_flight
    from groundstation.plane import chart_for
    from groundstation.publish import PublishInput
    from groundstation.publish.context import covered_area_m2
    from groundstation.stages import georeferenced_from_dict

    geo = georeferenced_from_dict(json.loads((results / "stages" / "aligned.json").read_text())["data"])
    loaded = load_flight(Path(json.loads((results / "inspection.json").read_text())["flight"]))
    return round(covered_area_m2(PublishInput(loaded, geo, (), chart_for(geo.surface, loaded.origin))), 3)


def test_process_into_the_reviewed_folder_grades_the_same(results: Path) -> None:
    """One implementation: `process` publishing the review gives the grades `publish` gives."""
    from gs_fixtures import face_surface

    from groundstation.pipeline import process
    from groundstation.republish import publish_reviewed

    crack, _ = _decide(results)
    publish_reviewed(results)
    by_publish = _published(results, crack)
    flight = Path(json.loads((results / "inspection.json").read_text())["flight"])
    process(flight, results, face_surface(), progress=False)
    assert _published(results, crack) == by_publish


def test_grades_stored_by_other_rules_are_refused_not_regraded_by_the_shipped_ones(results: Path) -> None:
    """A rule file changed since `process` graded: the review would be graded by other rules than the rest."""
    from groundstation.republish import publish_reviewed
    from skyinspect.errors import InputError

    _decide(results)
    path = results / "stages" / "grades.json"
    stored = json.loads(path.read_text())
    ref = next(iter(stored["data"]["rules"]))
    stored["data"]["rules"][ref] = "0" * 64
    path.write_text(json.dumps(stored))
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    with pytest.raises(InputError, match="other than those"):
        publish_reviewed(results)
    assert {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()} == before
