"""A rule whose quantities are all optional (an owner's copy of AASHTO 1130 with ``required: false`` on the
width too) grades a finding that has none of them as indeterminate, saying why: `process --rules` ended in
a traceback (max() arg is an empty sequence) for a lone crack whose width did not show, after every
earlier stage had run."""

from __future__ import annotations

import yaml
from test_grading import finding

from groundstation.grading import INDETERMINATE, grade_all
from groundstation.grading.rules import RULES_DIR, parse_rule
from skyinspect.findings import Measurement


def _optional_1130():  # type: ignore[no-untyped-def]
    raw = (RULES_DIR / "aashto_mbei_1130.yaml").read_text()
    data = yaml.safe_load(raw.replace("required: true", "required: false"))
    return parse_rule(data, RULES_DIR / "owner_1130.yaml")


def test_no_optional_quantity_measured_is_indeterminate_not_a_traceback() -> None:
    rule = _optional_1130()
    lone = finding("crack", width_mm=None)  # no width (GSD too coarse), no other crack for a spacing
    g = grade_all([lone], {rule.rule_id: rule}, "rc_bridge")["F-0001"][0]
    assert g.state == INDETERMINATE and g.priority is None
    assert "width_mm not assessed (not measurable: GSD 9 mm)" in g.note
    assert "crack_spacing_m not assessed (no other crack on the surface)" in g.note


def test_a_width_bound_across_a_boundary_and_no_spacing_is_indeterminate() -> None:
    from dataclasses import replace

    rule = _optional_1130()
    lone = finding("crack", width_mm=None)
    bound = Measurement(None, None, "mm", "a bound", low=0.2, high=0.5)
    lone = replace(lone, measurements={"width_mm": bound})
    g = grade_all([lone], {rule.rule_id: rule}, "rc_bridge")["F-0001"][0]
    assert g.state == INDETERMINATE and "spans CS1 to CS2" in g.note
    # with a spacing it grades by the spacing, as before
    two = [lone, replace(finding("crack", fid="F-0002", north=1.0, width_mm=0.1))]  # 0.7 m apart
    assert grade_all(two, {rule.rule_id: rule}, "rc_bridge")["F-0001"][0].state == "CS2"
