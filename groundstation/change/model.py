"""The change report's types (groundstation.change): the inspections compared, each defect's change and growth."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from groundstation.change.review import Verdicts
from groundstation.grading import Grade
from groundstation.registry.locate import LOCATION_COLUMNS
from skyinspect.findings import Finding
from skyinspect.geodesy import LocalFrame

# max_width_mm (the widest stretch) last: change.csv's older columns keep their places
QUANTITIES = ("length_mm", "width_mm", "area_m2", "max_width_mm")
TABLE_COLUMNS = (("defect_uid", "status", "class", "finding_id", "previous_finding_id", "distance_m", "previous_grade",
                  "current_grade", "escalated")
                 + tuple(f"{q}_{part}" for q in QUANTITIES for part in ("previous", "current", "delta", "per_year",
                                                                         "significant"))
                 + ("note",)
                 # where on the structure (registry.locate): last, so readers of the older columns keep working
                 + LOCATION_COLUMNS
                 # the two inspections compared, on every row: the table read alone (per-year rates) says over what
                 + ("previous_date", "current_date", "previous_results", "current_results"))


@dataclass(frozen=True)
class Inspection:
    folder: Path
    asset_id: str
    date: str  # ISO date
    findings: tuple[Finding, ...]
    grades: dict[str, tuple[Grade, ...]]
    uids: dict[str, str]  # finding id -> defect uid (from defects.json, or first-observation uids)
    methods: dict[str, str] = field(default_factory=dict)  # quantity -> measurement method (inspection.json)
    origin: LocalFrame | None = None  # the flight's NED frame of the findings' *_ned_m geometry
    joint_like: frozenset[str] = frozenset()  # ids of joint-like lines (change/joints.py): matched like with like
    model_id: str = ""  # the segmentation model (inspection.json; "" when not recorded)
    verdicts: Verdicts = field(default_factory=Verdicts)  # the review app's decisions (change/review.py)
    rule_states: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rule ref -> states (grades.json)
    rule_files: dict[str, str] = field(default_factory=dict)  # rule ref -> sha256 of its file (grades.json)
    # finding id -> registry.locate.location_cells, as the work orders give it; {} without a registry
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # each frame's footprint (K, 3) in the flight's NED frame (stages/aligned.json): whether it looked at a
    # place (change/coverage.py); None when the folder does not hold them
    footprints_ned_m: tuple[np.ndarray, ...] | None = None
    start_time_utc_s: float | None = None  # the flight's first frame (inspection.json): one flight, one inspection


@dataclass(frozen=True)
class Growth:
    quantity: str
    previous: float | None
    current: float | None
    delta: float | None
    sigma: float | None  # 1-sigma of the delta
    per_year: float | None
    significant: bool
    note: str = ""  # why it is not judged (measured by another method last time)
    interval: str = ""  # the change an interval measurement tells (change/bounds.py), "" for two values


@dataclass(frozen=True)
class DefectChange:
    defect_uid: str
    status: str  # new, grown, stable, not_re_observed; rejected (in review, with nothing to match)
    finding_id: str | None  # in the current inspection
    previous_finding_id: str | None
    class_name: str
    distance_m: float | None  # between the matched centroids
    growth: tuple[Growth, ...] = ()
    previous_grade: str = ""
    current_grade: str = ""
    escalated: bool = False
    note: str = ""
    # where on the structure (registry.locate.location_cells): this time's, last time's for one not re-observed;
    # {} when those results carry no registry assignment
    location: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeReport:
    asset_id: str
    previous: str  # folder
    current: str
    previous_date: str
    current_date: str
    years: float
    changes: tuple[DefectChange, ...] = field(default_factory=tuple)
    # added to the current findings' positions (north, east, down) to meet the previous flight's
    # before matching: the two flights' different GNSS errors (None: none applied)
    offset_m: tuple[float, float, float] | None = None
    # quantities measured by different methods in the two folders: "q (previous method -> current)"
    method_changes: tuple[str, ...] = ()
    review_notes: tuple[str, ...] = ()  # review decisions not applied, and why (change/review.py)
    model_change: str = ""  # "previous model -> current model" when they differ: no quantity judged
    # last time graded by another version of a rule: what was done with those grades (change/grades.py)
    rule_changes: tuple[str, ...] = ()

    def by_status(self, status: str) -> list[DefectChange]:
        return [c for c in self.changes if c.status == status]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
