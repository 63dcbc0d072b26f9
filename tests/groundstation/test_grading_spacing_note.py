"""A crack graded by its spacing names the joint-like line left out of that spacing once.

Found in the demo's report.pdf: F-0010-J (CS3, heavy crack spacing: 0.233 m to F-0009) read "...
crack_spacing_m 0.233 m (outline to nearest other crack outline (F-0009); not counted: joint-like line
F-0008 at 0.11 m (if a check finds it is a crack, the spacing is that)); crack spacing: not counted:
joint-like line F-0008 at 0.11 m (if a check finds it is a crack, the spacing is that)": the same
sentence twice in its clause, its work order's clause and description."""

from __future__ import annotations

from test_grading import RULES, finding

from groundstation.grading import grade_all


def test_the_left_out_joint_line_is_said_once_when_spacing_decides() -> None:
    # F-0002 (joint-like) 0.10 m from F-0001, F-0003 0.25 m away: CS3 by spacing (< 1 ft), a hairline width
    fs = [finding(fid="F-0001", width_mm=0.2), finding(fid="F-0002", north=0.4, width_mm=0.2),
          finding(fid="F-0003", north=0.55, width_mm=0.2)]
    g = grade_all(fs, RULES, "rc_bridge", covered_area_m2=1.0, joint_like={"F-0002"})["F-0001"][0]
    assert g.state == "CS3" and "crack_spacing_m 0.25" in g.note, g.note
    assert g.note.count("joint-like line F-0002 at 0.10 m") == 1, g.note


def test_the_left_out_joint_line_is_still_said_when_width_decides() -> None:
    # spacing 1.7 m does not decide (CS1 by width 0.2 mm): the note names the left-out line, once
    fs = [finding(fid="F-0001", width_mm=0.2), finding(fid="F-0002", north=0.5, width_mm=0.2),
          finding(fid="F-0003", north=2.0, width_mm=0.2)]
    g = grade_all(fs, RULES, "rc_bridge", covered_area_m2=1.0, joint_like={"F-0002"})["F-0001"][0]
    assert g.state == "CS1" and g.note.count("joint-like line F-0002 at 0.20 m") == 1, g.note
