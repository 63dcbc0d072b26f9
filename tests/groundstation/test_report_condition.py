"""The report's condition per component: of two grades with the same priority, the one that is only a
lower bound ("CS2+": CS3/CS4 cannot be excluded from imagery) is the worse.

On the demo the pier face's six corrosion patches were CS2+ (aashto-mbei-1000) and its cracks CS2
(aashto-mbei-1130), all priority 3: the report said "unassigned: CS2 (aashto-mbei-1130@1)", citing the
cracking table, as if the component were known to be in Fair condition."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from groundstation.grading.grader import Grade
from groundstation.publish.report import component_condition


def _grade(fid: str, rule: str, bound: str = "exact", state: str = "CS2", priority: int | None = 3) -> Grade:
    return Grade(finding_id=fid, rule=rule, state=state, label="Fair", clause="", citation=f"cites {rule}",
                 priority=priority, interval_days=180, action="", bound=bound)


@dataclass(frozen=True)
class _Finding:
    finding_id: str


@dataclass
class _Input:  # what component_condition reads of a PublishInput
    findings: tuple[_Finding, ...]
    grades: dict[str, tuple[Grade, ...]]
    labels: dict[str, str] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)  # none flagged as joint-like

    def primary_grade(self, fid: str) -> Any:
        return (self.grades.get(fid) or (None,))[0]

    def component_label(self, fid: str) -> str:
        return self.labels.get(fid, "")


def test_a_lower_bound_outranks_the_same_state_exact_whatever_the_order() -> None:
    crack = _grade("F-0001", "aashto-mbei-1130@1")
    rust = _grade("F-0002", "aashto-mbei-1000@1", bound="at_least")
    for order in (("F-0001", "F-0002"), ("F-0002", "F-0001")):
        inp = _Input(tuple(_Finding(f) for f in order), {"F-0001": (crack,), "F-0002": (rust,)})
        assert component_condition(inp) == [("unassigned", "CS2+ (aashto-mbei-1000@1)",  # type: ignore[arg-type]
                                             "cites aashto-mbei-1000@1", 2)]


def test_a_more_urgent_grade_still_wins_over_a_bound() -> None:
    crack = _grade("F-0001", "aashto-mbei-1130@1", state="CS3", priority=2)
    rust = _grade("F-0002", "aashto-mbei-1000@1", bound="at_least")
    inp = _Input((_Finding("F-0002"), _Finding("F-0001")), {"F-0001": (crack,), "F-0002": (rust,)})
    assert component_condition(inp)[0][1] == "CS3 (aashto-mbei-1130@1)"  # type: ignore[arg-type]


def test_components_are_listed_worst_first() -> None:
    """Sorted by the grade's text, the table listed the pier's CS2 above the bearing's CS3 (P2), and
    a CS4 (P1) girder after both: best first, against its own heading's order (worst first)."""
    grades = {"F-0001": (_grade("F-0001", "aashto-mbei-1130@1"),),
              "F-0002": (_grade("F-0002", "aashto-mbei-1130@1", state="CS3", priority=2),),
              "F-0003": (_grade("F-0003", "aashto-mbei-1130@1", state="CS4", priority=1),),
              "F-0004": (_grade("F-0004", "aashto-mbei-1130@1", state="indeterminate", priority=None),)}
    labels = {"F-0001": "pier 1", "F-0002": "bearing 2", "F-0003": "girder 3", "F-0004": "abutment A"}
    inp = _Input(tuple(_Finding(f) for f in grades), grades, labels)
    assert [r[0] for r in component_condition(inp)] == ["girder 3", "bearing 2", "pier 1", "abutment A"]  # type: ignore[arg-type]


def test_a_more_urgent_grade_beside_the_primary_is_the_components_worst() -> None:
    """rc_bridge grades rust by AASHTO 1000 first (any visible rust: CS2+, priority 3) and ISO 4628-3 beside
    it: a pier 10 % rusted is Ri5 (priority 2, full recoat), as its work order says, but the condition table
    read 'CS2+ (aashto-mbei-1000@1)', Fair, from the primary grade alone."""
    rust = (_grade("F-0002", "aashto-mbei-1000@1", bound="at_least"),
            _grade("F-0002", "iso-4628-3@1", state="Ri5", priority=2))
    crack = (_grade("F-0001", "aashto-mbei-1130@1"),)
    inp = _Input((_Finding("F-0001"), _Finding("F-0002")), {"F-0001": crack, "F-0002": rust}, {"F-0002": "P1"})
    assert component_condition(inp) == [("P1", "Ri5 (iso-4628-3@1)", "cites iso-4628-3@1", 1),  # type: ignore[arg-type]
                                        ("unassigned", "CS2 (aashto-mbei-1130@1)", "cites aashto-mbei-1130@1", 1)]
