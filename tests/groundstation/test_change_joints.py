"""Change detection matches like with like: a joint-like line only with a joint-like line, a crack
only with a crack, and a joint line's length is never judged as growth (groundstation/change/joints.py).

Found on the demo scene flown twice (simulator seeds 7 and 3, nothing changed): a 150 mm joint-like
piece of the first flight was matched to the 623 mm joint line split off a crack (``F-0007-J``) in
the second and reported as a crack "grown" by 473 mm.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from groundstation.change import compare
from groundstation.stages import finding_to_dict
from skyinspect.findings import Finding, Measurement
from skyinspect.geodesy import LocalFrame

FRAME = LocalFrame(47.0, 8.0, 400.0)
JOINT_NOTE = "straight and plumb over 148 mm (0.5 mm RMS off a line, 0.1 deg off plumb): runs like a formwork joint"


def _crack(fid: str, ned: tuple[float, float, float], length_mm: float) -> Finding:
    p = np.array(ned, dtype=float)
    lat, lon, alt = FRAME.to_geodetic(p)
    ring = np.array([[lat, lon, alt]] * 3)
    m = {"length_mm": Measurement(length_mm, 0.05 * length_mm, "mm"), "area_m2": Measurement(1e-4, 1e-5, "m2")}
    return Finding(fid, 1, "crack", float(lat), float(lon), float(alt), ring, p, 0.9, ((0, 0),), (0, 0), m, 0.05, 0.05)


def _results(folder: Path, day: str, findings: list[Finding], joint_like: set[str]) -> Path:
    """A results folder as `skyinspect process` writes it, as far as compare() reads it: the
    joint-like flag is publish's ``joint_note`` in findings.geojson."""
    (folder / "stages").mkdir(parents=True)
    (folder / "inspection.json").write_text(json.dumps({"inspection_date": day, "asset_id": "pier-1"}))
    (folder / "stages" / "findings.json").write_text(json.dumps({"data": [finding_to_dict(f) for f in findings]}))
    features = [{"type": "Feature", "geometry": None,
                 "properties": {"finding_id": f.finding_id, "joint_note": JOINT_NOTE if f.finding_id in joint_like
                                else ""}} for f in findings]
    (folder / "findings.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return folder


def test_a_joint_like_line_is_not_reported_as_a_grown_crack(tmp_path: Path) -> None:
    """The seed 7 / seed 3 case: the previous flight's joint-like piece F-0006 (150 mm) and the
    current flight's joint line F-0007-J (623 mm) 0.14 m from it; the real cracks beside them
    (F-0005 / F-0007) are the same both times."""
    prev = _results(tmp_path / "prev", "2025-06-02",
                    [_crack("F-0005", (1.95, 3.0, -1.28), 565.0), _crack("F-0006", (1.86, 3.0, -1.07), 150.0)],
                    {"F-0006"})
    cur = _results(tmp_path / "cur", "2026-06-02",
                   [_crack("F-0007", (1.96, 3.0, -1.28), 521.0), _crack("F-0007-J", (1.86, 3.0, -0.93), 623.0)],
                   set())  # a -J line is joint-like by its id, flagged or not
    report = compare(prev, cur)
    assert report.by_status("grown") == []
    pairs = {c.finding_id: c.previous_finding_id for c in report.changes if c.status == "stable"}
    assert pairs == {"F-0007": "F-0005", "F-0007-J": "F-0006"}
    joint = next(c for c in report.changes if c.finding_id == "F-0007-J")
    length = next(g for g in joint.growth if g.quantity == "length_mm")
    assert length.delta == np.float64(473.0) and not length.significant  # shown, not judged
    assert "joint-like line both times" in joint.note and "new crack line" not in joint.note


def test_a_crack_is_never_matched_to_a_joint_line(tmp_path: Path) -> None:
    """A crack last time, only a joint line there this time (and the other way round): not one
    defect, so new and not re-observed, never "grown" or "shrunk"."""
    prev = _results(tmp_path / "prev", "2025-06-02",
                    [_crack("F-0001", (0.0, 3.0, -1.0), 300.0), _crack("F-0002", (2.0, 3.0, -1.0), 700.0)],
                    {"F-0002"})
    cur = _results(tmp_path / "cur", "2026-06-02",
                   [_crack("F-0001-J", (0.0, 3.0, -1.1), 650.0), _crack("F-0002", (2.0, 3.0, -1.1), 200.0)], set())
    report = compare(prev, cur)
    assert sorted((c.status, c.finding_id or c.previous_finding_id) for c in report.changes) == [
        ("new", "F-0001-J"), ("new", "F-0002"), ("not_re_observed", "F-0001"), ("not_re_observed", "F-0002")]
