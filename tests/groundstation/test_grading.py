"""Grading rules: every state boundary of every rule on both sides; indeterminate, never guessed."""

from __future__ import annotations

import numpy as np
import pytest

from groundstation.grading import (INDETERMINATE, crack_spacing, grade_all, grade_finding, grades_from_json,
                                   grades_to_json, load_rules, rules_digest)
from groundstation.grading.rules import RULES_DIR, load_profiles, parse_rule
from skyinspect.errors import InputError
from skyinspect.findings import Finding, Measurement

RULES = load_rules()


def finding(cls: str = "crack", fid: str = "F-0001", north: float = 0.0, **values: float | None) -> Finding:
    meas = {k: Measurement(v, 0.0 if v is not None else None, "", "" if v is not None else "not measurable: GSD 9 mm")
            for k, v in values.items()}
    outline = np.array([[north, 2.0, -10.0], [north + 0.3, 2.0, -10.0], [north + 0.3, 2.0, -10.004]])
    return Finding(fid, 1 if cls == "crack" else 2, cls, 47.0, 8.0, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9,
                   ((0, 0),), (0, 0), meas, outline_ned_m=outline, surface_name="face")


def state(rule: str, cls: str, zone: str = "", extra: dict | None = None, **values: float | None) -> str:
    return grade_finding(finding(cls, **values), RULES[rule], extra, zone).state


# (rule, class, quantity, value, expected state): both sides of every boundary
BOUNDARIES = [
    # AASHTO's limits in inches converted exactly: 0.012 in. = 0.3048 mm, 0.004 in. = 0.1016, 0.009 in. = 0.2286
    ("aashto-mbei-1130", "crack", "width_mm", 0.3047, "CS1"), ("aashto-mbei-1130", "crack", "width_mm", 0.3048, "CS2"),
    ("aashto-mbei-1130", "crack", "width_mm", 1.27, "CS2"), ("aashto-mbei-1130", "crack", "width_mm", 1.2701, "CS3"),
    ("aashto-mbei-1130", "crack", "width_mm", 0.0, "CS1"), ("aashto-mbei-1130", "crack", "width_mm", 25.0, "CS3"),
    ("aashto-mbei-1110", "crack", "width_mm", 0.1015, "CS1"), ("aashto-mbei-1110", "crack", "width_mm", 0.1016, "CS2"),
    ("aashto-mbei-1110", "crack", "width_mm", 0.2286, "CS2"), ("aashto-mbei-1110", "crack", "width_mm", 0.2287, "CS3"),
    ("iso-4628-3", "corrosion", "rusted_area_pct", 0.0, "Ri0"), ("iso-4628-3", "corrosion", "rusted_area_pct", 1e-6, "Ri1"),
    ("iso-4628-3", "corrosion", "rusted_area_pct", 0.05, "Ri1"), ("iso-4628-3", "corrosion", "rusted_area_pct", 0.0501, "Ri2"),
    ("iso-4628-3", "corrosion", "rusted_area_pct", 0.5, "Ri2"), ("iso-4628-3", "corrosion", "rusted_area_pct", 0.5001, "Ri3"),
    ("iso-4628-3", "corrosion", "rusted_area_pct", 1.0, "Ri3"), ("iso-4628-3", "corrosion", "rusted_area_pct", 1.0001, "Ri4"),
    ("iso-4628-3", "corrosion", "rusted_area_pct", 8.0, "Ri4"), ("iso-4628-3", "corrosion", "rusted_area_pct", 8.0001, "Ri5"),
    ("iso-4628-3", "corrosion", "rusted_area_pct", 45.0, "Ri5"),
    ("aashto-mbei-3440", "corrosion", "rusted_area_pct", 0.0, "CS1"), ("aashto-mbei-3440", "corrosion", "rusted_area_pct", 0.05, "CS1"),
    ("aashto-mbei-3440", "corrosion", "rusted_area_pct", 0.0501, "CS2"), ("aashto-mbei-3440", "corrosion", "rusted_area_pct", 1.0, "CS2"),
    ("aashto-mbei-3440", "corrosion", "rusted_area_pct", 1.0001, "CS3"), ("aashto-mbei-3440", "corrosion", "rusted_area_pct", 8.0, "CS3"),
    ("aashto-mbei-3440", "corrosion", "rusted_area_pct", 8.0001, "CS4"),
    ("epri-blade", "crack", "length_mm", 9.999, "CAT1"), ("epri-blade", "crack", "length_mm", 10.0, "CAT2"),
    ("epri-blade", "crack", "length_mm", 49.999, "CAT2"), ("epri-blade", "crack", "length_mm", 50.0, "CAT3"),
    ("epri-blade", "crack", "length_mm", 199.999, "CAT3"), ("epri-blade", "crack", "length_mm", 200.0, "CAT4"),
    ("epri-blade", "crack", "length_mm", 499.999, "CAT4"), ("epri-blade", "crack", "length_mm", 500.0, "CAT5"),
    ("epri-blade", "corrosion", "area_m2", 0.000499, "CAT1"), ("epri-blade", "corrosion", "area_m2", 0.0005, "CAT2"),
    ("epri-blade", "corrosion", "area_m2", 0.004999, "CAT2"), ("epri-blade", "corrosion", "area_m2", 0.005, "CAT3"),
    ("epri-blade", "corrosion", "area_m2", 0.04999, "CAT3"), ("epri-blade", "corrosion", "area_m2", 0.05, "CAT4"),
    ("epri-blade", "corrosion", "area_m2", 0.2499, "CAT4"), ("epri-blade", "corrosion", "area_m2", 0.25, "CAT5"),
]


@pytest.mark.parametrize("rule,cls,quantity,value,expected", BOUNDARIES)
def test_boundary(rule: str, cls: str, quantity: str, value: float, expected: str) -> None:
    if quantity == "rusted_area_pct":
        g = grade_finding(finding(cls, area_m2=0.01), RULES[rule], {quantity: Measurement(value, 0.0, "%")})
    else:
        g = grade_finding(finding(cls, **{quantity: value}), RULES[rule])
    assert g.state == expected, (value, g)
    assert g.clause and g.rule == RULES[rule].ref and g.citation and g.priority is not None and g.interval_days is not None


@pytest.mark.parametrize("value,expected", [(0.9145, "CS1"), (0.9144, "CS2"), (0.3048, "CS2"), (0.3047, "CS3")])
def test_1130_spacing_boundaries(value: float, expected: str) -> None:
    g = grade_finding(finding(width_mm=0.1), RULES["aashto-mbei-1130"], {"crack_spacing_m": Measurement(value, 0.0, "m")})
    assert g.state == expected and "spacing" in g.clause


def test_every_rule_file_partitions_its_quantities() -> None:
    """Just below, at and just above every edge of every rule, exactly one band applies: no gaps, no overlaps."""
    checked = 0
    for rule in RULES.values():
        for crit in rule.criteria:
            for q in crit.quantities:
                if q.quantity == "present":  # a flag (always 1), not a scale
                    continue
                edges = sorted({e for b in q.bands for e in b.edges()})
                for e in edges:
                    for v in (e - 1e-9, e, e + 1e-9):
                        if v < 0:
                            continue
                        assert sum(b.contains(v) for b in q.bands) == 1, (rule.rule_id, q.quantity, v)
                        checked += 1
    assert checked > 60


def test_every_rule_cites_a_source_and_clause() -> None:
    assert set(RULES) == {"aashto-mbei-1130", "aashto-mbei-1110", "aashto-mbei-1000", "aashto-mbei-3440", "iso-4628-3",
                          "epri-blade"}
    for rule in RULES.values():
        assert rule.source["document"] and rule.source["section"] and rule.version >= 1
        assert all(b.clause for c in rule.criteria for q in c.quantities for b in q.bands)
    _, profiles = load_profiles()
    assert all(rid in RULES for p in profiles.values() for ids in p.values() for rid in ids)


def test_unmeasured_is_indeterminate_never_guessed() -> None:
    g = grade_finding(finding(width_mm=None), RULES["aashto-mbei-1130"])
    assert g.state == INDETERMINATE and g.priority is None and "GSD" in g.note
    g = grade_finding(finding(), RULES["aashto-mbei-1130"])  # no width at all
    assert g.state == INDETERMINATE and "not measured" in g.note
    g = grade_finding(finding("corrosion", area_m2=0.01), RULES["iso-4628-3"],
                      {"rusted_area_pct": Measurement(None, None, "%", "area not measurable for F-0002")})
    assert g.state == INDETERMINATE and "F-0002" in g.note
    assert grade_finding(finding("corrosion"), RULES["aashto-mbei-1130"]).state == INDETERMINATE  # no criterion


def test_steel_corrosion_is_a_lower_bound() -> None:
    g = grade_finding(finding("corrosion", area_m2=0.001), RULES["aashto-mbei-1000"])
    assert g.state == "CS2" and g.bound == "at_least" and g.short.startswith("CS2+") and "section loss" in g.clause


def test_blade_root_zone_escalates_and_caps() -> None:
    assert state("epri-blade", "crack", zone="root", length_mm=10.0) == "CAT3"
    assert state("epri-blade", "crack", zone="tip", length_mm=10.0) == "CAT2"
    assert state("epri-blade", "crack", zone="root", length_mm=900.0) == "CAT5"


def test_near_boundary_is_noted() -> None:
    f = finding()
    f.measurements["width_mm"] = Measurement(0.29, 0.05, "mm")
    g = grade_finding(f, RULES["aashto-mbei-1130"])
    assert g.state == "CS1" and "within 1 sigma" in g.note


def test_width_bound_inside_one_band_grades_across_it_is_indeterminate() -> None:
    """A hairline's width known only as an interval: every width it allows gives one state, or not."""
    rule = RULES["aashto-mbei-1130"]
    f = finding()
    f.measurements["width_mm"] = Measurement(None, None, "mm", "bound: between 0.37 and 1.05 mm", 0.37, 1.05)
    g = grade_finding(f, rule)
    assert g.state == "CS2" and g.priority is not None and "bound" in g.note and g.values["width_mm"] is None
    f.measurements["width_mm"] = Measurement(None, None, "mm", "bound: between 0.20 and 0.50 mm", 0.20, 0.50)
    g = grade_finding(f, rule)
    assert g.state == INDETERMINATE and g.note.startswith("width_mm spans CS1 to CS2 (between 0.2 and 0.5 mm): bound: between 0.20")
    f.measurements["width_mm"] = Measurement(None, None, "mm", "bound", 0.05, 0.2999)
    assert grade_finding(f, rule).state == "CS1"
    f.measurements["width_mm"] = Measurement(None, None, "mm", "bound", 1.0, 1.2701)  # ends in CS3
    assert grade_finding(f, rule).state == INDETERMINATE
    f.measurements["width_mm"] = Measurement(None, None, "mm", "inverted", 0.9, 0.4)  # not an interval
    assert grade_finding(f, rule).state == INDETERMINATE


def test_grade_all_profile_spacing_rust_and_json_roundtrip() -> None:
    fs = [finding(fid="F-0001", width_mm=0.2), finding(fid="F-0002", north=0.5, width_mm=0.2),
          finding("corrosion", fid="F-0003", area_m2=0.02)]
    grades = grade_all(fs, RULES, "rc_bridge", covered_area_m2=1.0)
    assert grades["F-0001"][0].state == "CS3"  # hairline (CS1) but 0.2 m < 1 ft from the next crack: CS3
    assert grades["F-0001"][0].values["crack_spacing_m"] == pytest.approx(0.2)
    assert [g.rule for g in grades["F-0003"]] == ["aashto-mbei-1000@1", "iso-4628-3@1"]
    assert grades["F-0003"][1].state == "Ri4" and grades["F-0003"][1].values["rusted_area_pct"] == pytest.approx(2.0)
    assert grades_from_json(grades_to_json(grades)) == grades
    with pytest.raises(InputError):
        grade_all(fs, RULES, "no-such-profile")
    assert len(rules_digest(RULES)) == 64


def test_a_joint_like_line_is_not_a_crack_neighbour_but_is_named() -> None:
    """The demo's model draws formwork joints as cracks; a true crack 0.2 m from such a line read
    "CS3 heavy crack spacing" with a repair work order. A line flagged as joint-like is left out of
    the spacing and named in the grade's note; once a reviewer says it is a crack it counts again."""
    fs = [finding(fid="F-0001", width_mm=0.2), finding(fid="F-0002", north=0.5, width_mm=0.2),
          finding(fid="F-0003", north=2.0, width_mm=0.2)]
    grades = grade_all(fs, RULES, "rc_bridge", covered_area_m2=1.0, joint_like={"F-0002"})
    g = grades["F-0001"][0]
    assert g.state == "CS1" and g.values["crack_spacing_m"] == pytest.approx(1.7)  # to F-0003, not F-0002
    assert g.note.count("not counted: joint-like line F-0002 at 0.20 m") == 1  # in the spacing quoted
    assert "joint-like line F-0002 at 1.20 m" in grades["F-0003"][0].note  # nearer than F-0001 at 1.7 m
    assert "not counted" not in grade_all(fs[:1] + fs[2:], RULES, "rc_bridge", 1.0, joint_like={"F-0002"})[
        "F-0001"][0].note  # nothing left out, nothing said
    spacing = crack_spacing(fs, {"F-0002"})
    assert "(F-0003)" in spacing["F-0001"].note
    alone = crack_spacing(fs[:2], {"F-0002"})["F-0001"]
    assert alone.value is None and alone.note.startswith("no other crack on the surface; not counted: joint-like")
    assert grade_all(fs, RULES, "rc_bridge", covered_area_m2=1.0)["F-0001"][0].state == "CS3"  # without the flag


def test_bad_rule_file_is_refused() -> None:
    good = {"rule_id": "x", "version": 1, "title": "t", "source": {"document": "d", "section": "s"},
            "states": {"A": {"priority": 1, "interval_days": 1}},
            "criteria": [{"classes": ["crack"], "quantities": [{"quantity": "width_mm", "states": [
                {"state": "A", "below": 1.0, "clause": "c"}]}]}]}
    assert parse_rule(good, RULES_DIR / "x.yaml").ref == "x@1"
    bad = {**good, "criteria": [{"classes": ["crack"], "quantities": [{"quantity": "width_mm", "states": [
        {"state": "B", "below": 1.0, "clause": "c"}]}]}]}
    with pytest.raises(InputError, match="not listed"):
        parse_rule(bad, RULES_DIR / "x.yaml")
    no_clause = {**good, "criteria": [{"classes": ["crack"], "quantities": [{"quantity": "width_mm", "states": [
        {"state": "A", "below": 1.0}]}]}]}
    with pytest.raises(InputError, match="clause"):
        parse_rule(no_clause, RULES_DIR / "x.yaml")


def test_width_bound_survives_the_stage_files_and_reaches_the_gis_properties() -> None:
    import json

    from groundstation.publish.gis import finding_properties
    from groundstation.stages import finding_from_dict, finding_to_dict

    f = finding()
    f.measurements["width_mm"] = Measurement(None, None, "mm", "bound: between 0.37 and 1.05 mm", 0.37, 1.05)
    back = finding_from_dict(json.loads(json.dumps(finding_to_dict(f))))
    assert back.measurements["width_mm"] == f.measurements["width_mm"]
    old = finding_to_dict(f)  # a stage file written before bounds were stored still loads
    for m in old["measurements"].values():
        m.pop("low"), m.pop("high")
    assert not finding_from_dict(old).measurements["width_mm"].is_bound
    props = finding_properties(back)
    assert props["width_mm"] is None and (props["width_mm_low"], props["width_mm_high"]) == (0.37, 1.05)
