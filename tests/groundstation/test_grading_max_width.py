"""An owner's rule file may grade cracks by their widest stretch (``max_width_mm``) instead of the mean.

The shipped AASHTO MBEI rules grade ``width_mm``, the mean width along the crack (docs/maintenance.md
says why: the sources found do not say which width the condition states mean). An owner whose manual
grades by the widest point writes ``quantity: max_width_mm``; its value, ± and bound grade as the
mean's do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from groundstation.grading import grade_all
from groundstation.grading.rules import RULES_DIR
from skyinspect.findings import Finding, Measurement


def _owner_rules(folder: Path) -> Path:
    """The shipped AASHTO 1130 rule, renamed and grading max_width_mm, in a profile of its own."""
    rule = yaml.safe_load((RULES_DIR / "aashto_mbei_1130.yaml").read_text())
    rule["rule_id"], rule["version"] = "owner-1130-widest", 1
    rule["criteria"][0]["quantities"][0]["quantity"] = "max_width_mm"
    folder.mkdir()
    (folder / "owner_1130_widest.yaml").write_text(yaml.safe_dump(rule, sort_keys=False))
    (folder / "profiles.yaml").write_text(yaml.safe_dump(
        {"version": 1, "default": "owner", "profiles": {"owner": {"crack": ["owner-1130-widest"]}}}))
    return folder


def _crack(fid: str, north: float, width: Measurement, widest: Measurement) -> Finding:
    outline = np.array([[north, 2.0, -10.0], [north + 0.3, 2.0, -10.0], [north + 0.3, 2.0, -10.004]])
    return Finding(fid, 1, "crack", 47.1, 8.2, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9, ((0, 0),), (0, 0),
                   {"width_mm": width, "max_width_mm": widest}, outline_ned_m=outline, surface_name="face")


def test_an_owner_rule_grades_cracks_by_their_widest_stretch(tmp_path: Path) -> None:
    cracks = [  # 5 m apart: spacing CS1, the width decides
        _crack("F-0001", 0.0, Measurement(0.25, 0.02, "mm"), Measurement(0.93, 0.06, "mm")),
        _crack("F-0002", 5.0, Measurement(0.80, 0.05, "mm"), Measurement(1.60, 0.08, "mm")),
        _crack("F-0003", 10.0, Measurement(None, None, "mm", "bound", 0.10, 0.25),
               Measurement(None, None, "mm", "bound", 0.40, 1.10)),  # the widest stretch's interval: CS2
    ]
    shipped = grade_all(cracks)
    assert [shipped[f][0].state for f in ("F-0001", "F-0002", "F-0003")] == ["CS1", "CS2", "CS1"]
    owner = grade_all(cracks, rules_dir=_owner_rules(tmp_path / "rules"), profile="owner")
    got = {f: owner[f][0] for f in ("F-0001", "F-0002", "F-0003")}
    assert [g.state for g in got.values()] == ["CS2", "CS3", "CS2"], got
    assert all(g.rule == "owner-1130-widest@1" for g in got.values()), got
    assert got["F-0001"].values["max_width_mm"] == 0.93
    assert "max_width_mm" in got["F-0003"].note and "bound" in got["F-0003"].note, got["F-0003"].note


def test_a_widest_stretch_not_measured_says_why_to_a_rule_grading_it(tmp_path: Path) -> None:
    """Where the width is the mask's area / length (no image) or the GSD is too coarse for any width,
    ``max_width_mm`` was left out: an owner's rule on it graded such cracks indeterminate "max_width_mm:
    not measured", where a rule on the mean gave the reason (and what to do about it)."""
    from gs_fixtures import FLY_HEIGHT_M, crack_on_face
    from test_measure import _measured, _poses, _render_record

    from groundstation.measure import MeasureLimits

    crack = crack_on_face(-0.15, FLY_HEIGHT_M, length_m=0.30, width_m=0.004)
    (no_image,) = _measured(_render_record(tmp_path / "a", [crack], _poses(), write_images=False))
    (coarse,) = _measured(_render_record(tmp_path / "b", [crack], _poses()), MeasureLimits(max_gsd_crack_width_m=0.001))
    assert no_image.measurements["width_mm"].value is not None  # the mean from area / length
    rules = _owner_rules(tmp_path / "rules")
    for f, why in ((no_image, "mask area/length"), (coarse, "needed for width")):
        widest = f.measurements.get("max_width_mm")
        assert widest is not None and widest.value is None and not widest.is_bound, f.measurements
        assert why in widest.note, widest.note
        (g,) = grade_all([f], rules_dir=rules, profile="owner")[f.finding_id]
        assert g.state == "indeterminate" and why in g.note and "not measured" not in g.note, g.note
