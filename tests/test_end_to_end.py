"""The foundation's acceptance check: the default demo flight, end to end, scored against truth."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app

# Measured with the shipped model v5 on the default flight (session 13: one pass sharpened by the image,
# cracks continued along their probability ridge): 11 of 12 found (0.92: 6 of 6 corrosion, 5 of 6
# cracks), 5 false positives, all formwork-joint lines flagged as such, two of them split off cracks
# (README "What the demo produces"). The recall floor is the foundation's target (80 %: one more miss
# still passes); the position-error target (3 GSD) holds for the geometry check only (11.8 GSD with
# the model: partial masks; 12.9 before session 13, 15.0 before the joint line was split off, 16.5
# before cracks were placed at their centreline's centroid), so the model's is not asserted.
MODEL_RECALL_FLOOR = 0.80  # 10 of 12
MODEL_CRACKS_FOUND_FLOOR = 4  # of 6 hairline cracks (v1 found none once blobs stopped counting as cracks)
MODEL_FALSE_POSITIVE_CEILING = 25


@pytest.mark.slow
def test_demo_finds_defects_where_they_are(tmp_path: Path) -> None:
    from groundstation.evaluate import compare_with_truth

    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Findings vs simulator truth" in result.output and "Geometry check" in result.output
    results = out / "results"
    for name in ("findings.gpkg", "findings.geojson", "map.html", "report.html", "report.pdf"):
        assert (results / name).stat().st_size > 0, name
    truth = out / "simulation" / "truth.geojson"

    # Geometry chain (tagging, georeferencing, fusion, evaluation) with perfect segmentation: the
    # foundation's targets hold.
    geometry = compare_with_truth(out / "geometry-check" / "results" / "findings.geojson", truth)
    assert geometry.true_count >= 10
    assert geometry.recall >= 0.80
    assert geometry.error_in_gsd <= 1.0  # 0.40 measured (1.94 with area centroids for cracks; target 3)
    assert geometry.false_positive_count == 0
    assert geometry.placement_error_in_gsd <= 1.0 and geometry.mean_coverage >= 0.95
    # measurements from exact masks: crack by crack 1.01-1.08 of the truth's length measured (one
    # frame's chained longest paths read 0.65-0.96: a crack leaves the frame, a branch is crack too)
    assert len(geometry.crack_length_ratios) >= 5
    assert all(0.93 <= r <= 1.10 for r in geometry.crack_length_ratios), geometry.crack_length_ratios
    assert 0.97 <= geometry.crack_length_ratio <= 1.05 and 0.9 <= geometry.corrosion_area_ratio <= 1.1
    # width and grade against the truth's (groundstation.evaluate_grades): every matched defect is graded
    # by its true size too, and with exact masks no crack gets another state than its true size gives
    # (a hairline's bound across a boundary is indeterminate, never guessed)
    assert "crack grade = true size's" in result.output and "crack width: truth in bound" in result.output
    wg = geometry.width_grade
    assert len(wg.graded()) == geometry.found_count and wg.widths_compared >= 5
    assert not wg.differing("crack"), [(p.defect_id, p.grade, p.true_grade) for p in wg.differing("crack")]
    assert wg.agreeing("corrosion") == geometry.per_class["corrosion"].found_count

    # With the shipped model.
    model = compare_with_truth(results / "findings.geojson", truth)
    assert model.true_count == geometry.true_count
    assert model.recall >= MODEL_RECALL_FLOOR
    assert model.per_class["crack"].found_count >= MODEL_CRACKS_FOUND_FLOOR
    assert model.false_positive_count <= MODEL_FALSE_POSITIVE_CEILING
    assert model.per_class["corrosion"].found_count >= 1
    # a crack measured from one of its pieces read a fifth of its length (1.05 measured with v5, median
    # of 0.85-1.24; 0.95 (0.91-1.14) before session 13; 1.60 for F-0004 before the formwork joint line
    # the model draws through it was split off as a finding of its own, groundstation.joint_split)
    assert 0.7 <= model.crack_length_ratio <= 1.4
    assert all(0.6 <= r <= 1.3 for r in model.crack_length_ratios), model.crack_length_ratios
    found = json.loads((results / "findings.geojson").read_text())["features"]
    lines = [f["properties"] for f in found if f["properties"]["finding_id"].endswith("-J")]
    assert lines and all("formwork or construction joint" in p["joint_note"] for p in lines)
