"""One rust patch whose area could not be measured no longer leaves the rest unrated where they decide it.

The rusted share is all corrosion over the area inspected; with any patch's area not measurable (GSD
coarser than 20 mm) it was None, so every corrosion finding of the inspection got an indeterminate
ISO 4628-3 grade, even where the measured patches alone are past 8 % (Ri5, whatever the other adds).
Now the measured patches give a lower bound: past the last boundary it grades (Ri5, said as "at least");
below it the grade stays indeterminate, as before, with the bound in the note."""

from __future__ import annotations

import numpy as np

from groundstation.grading import INDETERMINATE, grade_all, rusted_area_pct
from skyinspect.findings import Finding, Measurement


def _rust(fid: str, area_m2: float | None) -> Finding:
    outline = np.array([[0.0, 2.0, -10.0], [0.3, 2.0, -10.0], [0.3, 2.0, -10.3]])
    m = Measurement(area_m2, 0.001 if area_m2 is not None else None, "m2", "" if area_m2 else "GSD 31 mm > 20 mm")
    return Finding(fid, 2, "corrosion", 47.1, 8.2, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9, ((0, 0),),
                   (0, 0), {"area_m2": m}, outline_ned_m=outline, surface_name="face")


def test_measured_patches_past_the_last_boundary_grade_ri5() -> None:
    rust = [_rust("F-0001", 0.09), _rust("F-0002", None)]
    m = rusted_area_pct(rust, 1.0)
    assert m.value is None and m.low == 9.0 and m.high is None and "at least" in m.note and "F-0002" in m.note
    grades = grade_all(rust, profile="pipeline", covered_area_m2=1.0)
    iso = grades["F-0001"][0]
    assert iso.state == "Ri5" and iso.priority == 2 and "at least 9 %" in iso.note, iso
    assert grades["F-0002"][0].state == "Ri5"  # the share is the inspection's, not the patch's


def test_a_lower_bound_below_the_last_boundary_stays_indeterminate() -> None:
    rust = [_rust("F-0001", 0.02), _rust("F-0002", None)]
    g = grade_all(rust, profile="pipeline", covered_area_m2=1.0)["F-0001"][0]
    assert g.state == INDETERMINATE and "at least 2 %" in g.note and "F-0002" in g.note, g
    nothing = rusted_area_pct([_rust("F-0002", None)], 1.0)  # nothing measured: nothing known, as before
    assert nothing.value is None and nothing.low is None
