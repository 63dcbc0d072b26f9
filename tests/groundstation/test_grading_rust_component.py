"""ISO 4628-3 rusted area per registry component, not over the whole flight (groundstation.grading.coverage)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import numpy as np
import pytest
from gs_fixtures import FLY_HEIGHT_M, bridge_on_face, corrosion_on_face, crack_on_face, face_flight, face_surface

from groundstation.grading import grade_all
from groundstation.grading.coverage import covered_by_component_m2
from groundstation.pipeline import process
from groundstation.registry import build_registry
from groundstation.republish import publish_reviewed
from groundstation.review.audit import AuditLog

EXAMPLES = Path(__file__).resolve().parents[2] / "missions" / "examples"
SPLIT_NORTH_M = 0.3  # the two piers meet here, mid-way along the camera's 0..0.6 m path


def _two_piers(tmp_path: Path) -> Path:
    """The example bridge with its two piers side by side along the test face, meeting at SPLIT_NORTH_M."""
    asset = bridge_on_face(tmp_path, [(SPLIT_NORTH_M - 1.65, 3.3), (SPLIT_NORTH_M + 1.5, 3.0)])
    build_registry([(asset, "creek")], tmp_path / "reg.gpkg")
    return tmp_path / "reg.gpkg"


@pytest.fixture(scope="module")
def two_piers_processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 0.12 m rust patch on pier P1 and a crack on P2, processed with the two-pier registry."""
    tmp = tmp_path_factory.mktemp("rust_component")
    reg = _two_piers(tmp)
    flight = face_flight(tmp / "flight", [corrosion_on_face(0.0, FLY_HEIGHT_M, 0.12),
                                          crack_on_face(0.5, FLY_HEIGHT_M + 0.3, wander_m=0.01)])
    process(flight, tmp / "out", face_surface(), progress=False, registry=reg)
    return tmp / "out"


def test_rust_on_one_pier_is_rated_over_that_pier_not_the_clean_one_beside_it(two_piers_processed: Path,
                                                                             tmp_path: Path) -> None:
    # a 0.12 m rust patch on pier P1, pier P2 clean: ~0.011 m2 over P1's ~1.7 m2 seen is 0.65 % (Ri3);
    # over the flight's 3.4 m2 (P2 too) it had read 0.32 % (Ri2), half the rust grade of the pier
    out = tmp_path / "out"
    shutil.copytree(two_piers_processed, out)  # the review below is this test's own
    stage = json.loads((out / "stages" / "grades.json").read_text())["data"]
    (fid, a), = [(k, v) for k, v in stage["assignments"].items() if v["component_id"] != "creek/P2"]
    assert a["component_id"] == "creek/P1"
    (iso,) = [g for g in stage["grades"][fid] if g["rule"].startswith("iso-4628-3")]
    assert iso["state"] == "Ri3", iso["values"]
    report = (out / "report.html").read_text()
    flight_m2 = float(report.split("Area covered on the surface</th><td>")[1].split(" m2")[0])
    pier_m2 = a["component_covered_m2"]
    assert 0.4 * flight_m2 < pier_m2 < 0.6 * flight_m2  # the path is centred on where the piers meet
    findings = json.loads((out / "findings.geojson").read_text())["features"]
    rust_m2 = next(x["properties"]["area_m2"] for x in findings if x["properties"]["finding_id"] == fid)
    assert iso["values"]["rusted_area_pct"] == pytest.approx(100 * rust_m2 / pier_m2, rel=0.02)
    rust = next(x["properties"] for x in findings if x["properties"]["finding_id"] == fid)
    assert "Ri3 (iso-4628-3@1)" in rust["other_grades"]
    # publish grades the reviewed findings again (a crack on P2 rejected): by the pier still, not the flight
    crack = next(k for k in stage["assignments"] if k != fid)
    AuditLog(out / "review" / "audit.jsonl").append("Ann", "reject", crack, comment="a stain")
    publish_reviewed(out)
    rust = next(x["properties"] for x in json.loads((out / "findings.geojson").read_text())["features"]
                if x["properties"]["finding_id"] == fid)
    assert "Ri3 (iso-4628-3@1)" in rust["other_grades"]


def test_the_report_gives_each_components_covered_area_and_rusted_share(two_piers_processed: Path) -> None:
    """The report printed the flight's covered area only, and its methods said rust was rated over it, while
    the grades took P1's own: no figure in report.html or report.pdf let an engineer check P1's Ri3."""
    out = two_piers_processed
    stage = json.loads((out / "stages" / "grades.json").read_text())["data"]
    (fid, a), = [(k, v) for k, v in stage["assignments"].items() if v["component_id"] == "creek/P1"]
    pct = next(g for g in stage["grades"][fid] if g["rule"].startswith("iso-4628-3"))["values"]["rusted_area_pct"]
    said = f"{a['component_covered_m2']:.1f} m2 seen, {pct:.3g} % rusted"
    html = (out / "report.html").read_text()
    table = html.split("Condition per component", 1)[1].split("</table>", 1)[0]
    rows = {cells[0]: cells for cells in ([unescape(re.sub(r"<[^>]+>", "", c)).strip()
                                           for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
                                          for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:])}
    assert rows[a["label"]][3] == said, rows
    assert "over its component's" in unescape(html)  # the methods say which area
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils): PDF text not checked")
    pdf = " ".join(subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert f"{a['label']}: " in pdf and said in pdf


def test_findings_without_a_component_keep_the_whole_flights_area() -> None:
    from test_grading import finding  # type: ignore[import-not-found]

    a, b = finding("corrosion", fid="F-0001", area_m2=0.05), finding("corrosion", fid="F-0002", north=5.0, area_m2=0.05)
    grades = grade_all([a, b], profile="rc_bridge", covered_area_m2=10.0, components={"F-0001": ("x/P1", 1.0)})
    pct = {fid: next(g for g in gs if g.rule.startswith("iso")).values["rusted_area_pct"] for fid, gs in grades.items()}
    assert pct["F-0001"] == pytest.approx(5.0)  # its own 0.05 m2 over P1's 1 m2
    assert pct["F-0002"] == pytest.approx(1.0)  # both over the flight's 10 m2, as before


def test_pipeline_coverage_is_split_at_the_chainage_segments() -> None:
    # a 4 m wide strip along the example gas line from chainage 30 to 70 m (segments of 50 m) is 80 m2 on
    # each side of km 0.050; a strip 12-16 m off the line (right of way 20 m: 10 m each side) is no segment's
    from shapely import wkt

    from groundstation.crack_length import LocalPlane

    reg = build_registry([(EXAMPLES / "pipeline.geojson", "gas")])
    route = wkt.loads(reg.assets["gas"].params["route_wkt"])
    (e0, n0), (e1, n1) = route.interpolate(30.0).coords[0], route.interpolate(70.0).coords[0]
    along = np.array([e1 - e0, n1 - n0]) / 40.0
    left = np.array([-along[1], along[0]])  # ENU, across the line

    def strip(start_m: float, end_m: float, off_a_m: float, off_b_m: float) -> np.ndarray:
        corners = [np.array([e0, n0]) + along * (c - 30.0) + left * o
                   for c, o in ((start_m, off_a_m), (end_m, off_a_m), (end_m, off_b_m), (start_m, off_b_m))]
        return np.array([[n, e, 0.0] for e, n in corners])  # NED on the ground (the frame's origin height)

    ground = LocalPlane(np.zeros(3), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    m2 = covered_by_component_m2([strip(30.0, 70.0, -2.0, 2.0), strip(30.0, 50.0, 12.0, 16.0)], ground,
                                 reg.assets["gas"].frame, reg, "gas")
    assert set(m2) == {"gas/km-0.000", "gas/km-0.050"}
    assert m2["gas/km-0.000"] == pytest.approx(80.0, rel=0.03)
    assert m2["gas/km-0.050"] == pytest.approx(80.0, rel=0.03)


def test_blade_coverage_is_split_at_the_zones() -> None:
    # the example turbine's blade A points straight up (rotor locked in "Y"), 40 m long: zones of 13.33 m.
    # A 2 m wide strip up its face from 5 to 25 m out from the hub is 8.33 m x 2 m on the root zone and
    # 11.67 m x 2 m on the mid zone (a zone split at the wrong radius, or a blade's points given to the
    # nacelle or another blade near the hub, moves area between them)
    from groundstation.crack_length import LocalPlane

    reg = build_registry([(EXAMPLES / "wind_turbine.yaml", "t1")])
    par = reg.assets["t1"].params
    hub, up = np.array(par["hub"]), np.array(par["blades"]["A"]["axis"])
    right = np.array(par["blades"]["A"]["rotation"])  # across blade A, in the rotor plane
    ned = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])  # ENU -> NED
    face = LocalPlane(hub @ ned, np.array([right @ ned, up @ ned]))  # the rotor plane through the hub

    def strip(r0_m: float, r1_m: float) -> np.ndarray:
        return face.to_3d(np.array([[-1.0, r0_m], [1.0, r0_m], [1.0, r1_m], [-1.0, r1_m]]))

    m2 = covered_by_component_m2([strip(5.0, 25.0)], face, reg.assets["t1"].frame, reg, "t1")
    assert set(m2) == {"t1/blade-A/root", "t1/blade-A/mid"}, m2
    assert m2["t1/blade-A/root"] == pytest.approx(2.0 * (40 / 3 - 5.0), rel=0.03)
    assert m2["t1/blade-A/mid"] == pytest.approx(2.0 * (25.0 - 40 / 3), rel=0.03)
