"""The report's condition per component says what its worst grade leaves open: findings graded
indeterminate that may be worse, and a worse grade that rests only on lines flagged as joint-like.

On the demo (`skyinspect demo`, seed 7) the pier face read "unassigned: CS3 (aashto-mbei-1130@2)": every
CS3 was one of the three straight lines flagged "check it is a crack" (F-0006, F-0010, F-0010-J, CS3 by
their spacing to a true crack), and the seven cracks graded indeterminate (width intervals across 1.27 mm,
each a priority-2 check "may be CS3") were not counted at all. Without those lines the face read "CS2+"
(its rust) while the actions listed seven priority-2 checks of cracks that may be CS3."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from groundstation.grading.grader import Grade
from groundstation.publish.report import component_condition


def _grade(fid: str, rule: str, state: str, priority: int | None, bound: str = "exact", could_be: str = "",
           could_be_priority: int | None = None) -> Grade:
    return Grade(fid, rule, state, "", "", f"cites {rule}", priority, None if priority is None else 90, "",
                 bound=bound, could_be=could_be, could_be_priority=could_be_priority,
                 could_be_days=None if could_be_priority is None else 90)


@dataclass(frozen=True)
class _Finding:
    finding_id: str


@dataclass
class _Input:  # what component_condition reads of a PublishInput
    findings: tuple[_Finding, ...]
    grades: dict[str, tuple[Grade, ...]]
    checks: dict[str, str] = field(default_factory=dict)

    def component_label(self, fid: str) -> str:
        return ""


RUST = "aashto-mbei-1000@1"
CRACK = "aashto-mbei-1130@2"


def _rust(fid: str) -> tuple[Grade, ...]:
    return (_grade(fid, RUST, "CS2", 3, bound="at_least"),)


def _hairline(fid: str) -> tuple[Grade, ...]:
    return (_grade(fid, CRACK, "indeterminate", None, could_be="CS3", could_be_priority=2),)


def _condition(inp: Any) -> tuple[str, str, str, int]:
    rows = component_condition(inp)
    assert len(rows) == 1
    return rows[0]


def test_indeterminate_findings_that_may_be_worse_are_said() -> None:
    grades = {"F-0001": _rust("F-0001"), "F-0002": _hairline("F-0002"), "F-0003": _hairline("F-0003")}
    comp, grade, source, n = _condition(_Input(tuple(_Finding(f) for f in grades), grades))
    assert (comp, n, source) == ("unassigned", 3, f"cites {RUST}")
    assert grade.startswith(f"CS2+ ({RUST})")
    assert f"may be CS3 ({CRACK}): 2 indeterminate (F-0002, F-0003)" in grade


def test_indeterminate_findings_that_cannot_be_worse_add_nothing() -> None:
    grades = {"F-0001": (_grade("F-0001", CRACK, "CS3", 2),), "F-0002": _hairline("F-0002")}
    assert _condition(_Input(tuple(_Finding(f) for f in grades), grades))[1] == f"CS3 ({CRACK})"


def test_a_worse_grade_only_on_joint_like_lines_is_said_as_such() -> None:
    """The demo's face: rust CS2+, hairlines indeterminate, CS3 only on lines flagged as joint-like."""
    grades = {"F-0001": _hairline("F-0001"), "F-0002": _rust("F-0002"),
              "F-0006": (_grade("F-0006", CRACK, "CS3", 2),), "F-0010": (_grade("F-0010", CRACK, "CS3", 2),)}
    checks = {"F-0006": "straight and plumb", "F-0010": "straight and plumb", "F-0001": "", "F-0002": ""}
    comp, grade, source, n = _condition(_Input(tuple(_Finding(f) for f in grades), grades, checks))
    assert (n, source) == (4, f"cites {RUST}")
    assert grade.startswith(f"CS2+ ({RUST})")
    assert f"CS3 ({CRACK}) if the 2 joint-like lines to check (F-0006, F-0010) are cracks" in grade
    assert "may be CS3" in grade


def test_a_component_of_joint_like_lines_only_is_graded_by_them_and_says_so() -> None:
    grades = {"F-0006": (_grade("F-0006", CRACK, "CS3", 2),)}
    comp, grade, source, n = _condition(_Input((_Finding("F-0006"),), grades, {"F-0006": "straight"}))
    assert source == f"cites {CRACK}"
    assert grade == f"CS3 ({CRACK}) if the joint-like line to check (F-0006) is a crack"


def test_a_component_of_joint_like_lines_still_says_its_indeterminate_findings() -> None:
    """Graded by a joint-like line alone, a component had dropped its indeterminate cracks: a hairline that
    may be CS3 (whether or not the line is a crack) was not said."""
    grades = {"F-0001": _hairline("F-0001"), "F-0006": (_grade("F-0006", CRACK, "CS3", 2),)}
    comp, grade, source, n = _condition(_Input(tuple(_Finding(f) for f in grades), grades, {"F-0006": "straight"}))
    assert (n, source) == (2, f"cites {CRACK}")
    assert grade.startswith(f"CS3 ({CRACK}) if the joint-like line to check (F-0006) is a crack")
    assert f"may be CS3 ({CRACK}): 1 indeterminate (F-0001)" in grade
