"""Each shipped AASHTO rule cites the MBEI defect it implements by the manual's own number and name.

MBEI defects of element 515 (Steel Protective Coating): 3410 Chalking, 3420 Peeling/Bubbling/Cracking,
3430 Oxide Film Degradation, 3440 Effectiveness (MBEI 2019 defect list, as the FHWA/state element
tables reproduce it). The coating rule graded "Effectiveness" but was named and cited as defect 3420,
so every steel-bridge and pipeline grade pointed an engineer at the peeling/bubbling/cracking table."""

from __future__ import annotations

import re

from groundstation.grading import load_rules
from groundstation.grading.rules import load_profiles

# MBEI defect number -> words its name starts with (the defects the shipped rules use, and 3420's)
MBEI_DEFECTS = {"1000": "Corrosion", "1110": "Cracking (PSC)", "1130": "Cracking (RC and Other)",
                "3410": "Chalking", "3420": "Peeling/Bubbling/Cracking", "3430": "Oxide Film Degradation",
                "3440": "Effectiveness"}


def test_aashto_rules_cite_the_defect_by_its_number_and_name() -> None:
    checked = 0
    for rule in load_rules().values():
        if not rule.rule_id.startswith("aashto-mbei-"):
            continue
        number = rule.rule_id.rsplit("-", 1)[1]
        section = rule.source["section"]
        m = re.match(r"Defect (\d{4}) (.+)", section)
        assert m, (rule.rule_id, section)
        assert m.group(1) == number, (rule.rule_id, section)
        assert m.group(2).startswith(MBEI_DEFECTS[number]), (rule.rule_id, section, MBEI_DEFECTS[number])
        assert f"defect {number}" in rule.title and MBEI_DEFECTS[number].split(" (")[0] in rule.title, rule.title
        checked += 1
    assert checked == 4


def test_coating_effectiveness_is_defect_3440_in_the_profiles() -> None:
    rules = load_rules()
    assert "aashto-mbei-3440" in rules and "aashto-mbei-3420" not in rules
    _, profiles = load_profiles()
    assert profiles["steel_bridge"]["corrosion"] == ("aashto-mbei-1000", "aashto-mbei-3440", "iso-4628-3")
    assert profiles["pipeline"]["corrosion"] == ("iso-4628-3", "aashto-mbei-3440")
    assert profiles["wind_turbine_tower"]["corrosion"] == ("iso-4628-3", "aashto-mbei-3440")
    words = [b.clause for c in rules["aashto-mbei-3440"].criteria for q in c.quantities for b in q.bands]
    # the manual's condition-state words, each with skyinspect's rusted-area mapping said as its own
    for said in ("Fully effective", "Substantially effective", "Limited effectiveness",
                 "no protection of the underlying metal"):
        assert sum(said in w for w in words) == 1, (said, words)
    assert all("skyinspect mapping" in w for w in words), words


def test_a_grade_by_skyinspect_limits_cites_them_as_such() -> None:
    """The coating-effectiveness and blade rules' numbers are skyinspect's defaults (``source.thresholds``),
    but a grade's citation, which the report's condition table prints, gave the standard's document and
    section alone: 'CS3 (aashto-mbei-3440@1)' cited AASHTO as if AASHTO gave 1-8 % rusted."""
    from groundstation.grading import grade_finding
    from skyinspect.findings import Measurement
    from test_grading import finding  # type: ignore[import-not-found]

    rules = load_rules()
    for rid, cls, extra in (("aashto-mbei-3440", "corrosion", {"rusted_area_pct": Measurement(2.0, 0.0, "%")}),
                            ("epri-blade", "crack", None)):
        f = finding(cls, area_m2=0.01, length_mm=120.0)
        g = grade_finding(f, rules[rid], extra)
        assert g.state in ("CS3", "CAT3") and rules[rid].source["thresholds"] in g.citation, g.citation
    g = grade_finding(finding(width_mm=0.5), rules["aashto-mbei-1130"])
    assert "thresholds" not in g.citation and "skyinspect" not in g.citation  # the manual's own numbers
