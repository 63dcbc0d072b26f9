"""Change detection matches like with like: a joint-like line only with a joint-like line, a crack
only with a crack, and a joint line's length is never judged as growth (groundstation/change/joints.py).

Found on the demo scene flown twice (simulator seeds 7 and 3, nothing changed): a 150 mm joint-like
piece of the first flight was matched to the 623 mm joint line split off a crack (``F-0007-J``) in
the second and reported as a crack "grown" by 473 mm.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

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
    # process always grades (none graded here); a test grading its findings writes its own
    (folder / "stages" / "grades.json").write_text(json.dumps({"data": {"grades": {}}}))
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


def _line(fid: str, north_m: float, down_m: tuple[float, float], length_mm: float | None = None) -> Finding:
    """A plumb line on a face running north (x = north, y = 0 the face), from ``down_m[0]`` to ``down_m[1]``."""
    line = np.stack([np.full(50, north_m), np.zeros(50), np.linspace(*down_m, 50)], axis=1)
    f = _crack(fid, tuple(line.mean(axis=0)), length_mm or 1000.0 * abs(down_m[1] - down_m[0]))
    return replace(f, centrelines_ned_m=(line,))


def _with_origin(folder: Path) -> Path:
    """inspection.json naming the flight's NED frame, as `skyinspect process` writes it."""
    meta = json.loads((folder / "inspection.json").read_text())
    meta["origin"] = {"lat_deg": FRAME.lat0_deg, "lon_deg": FRAME.lon0_deg, "h_m": FRAME.h0_m}
    (folder / "inspection.json").write_text(json.dumps(meta))
    return folder


def test_two_stretches_of_one_joint_are_one_joint(tmp_path: Path) -> None:
    """Demo scene, seeds 7 and 3 (nothing changed): the model drew the plumb formwork joint at 0.84 m
    south of the first crack from 0.97 to 1.34 m down in one flight (F-0003-J, 0.37 m) and from 0.26 to
    0.87 m down in the other (F-0004, 0.61 m): the centroids are 0.59 m apart along the joint, the
    lines 0.10 m. Matched by their centroids in the 0.5 m gate they read one 'new' and one 'not
    re-observed'; along a line the centroid says which stretch the model drew, not where the joint is."""
    prev = _with_origin(_results(tmp_path / "prev", "2025-06-02", [_line("F-0003-J", -0.84, (0.97, 1.34))], set()))
    cur = _with_origin(_results(tmp_path / "cur", "2026-06-02", [_line("F-0004", -0.84, (0.26, 0.87))], {"F-0004"}))
    report = compare(prev, cur)
    assert [(c.status, c.previous_finding_id, c.finding_id) for c in report.changes] == [
        ("stable", "F-0003-J", "F-0004")]
    assert report.changes[0].distance_m == pytest.approx(0.59, abs=0.01)  # the centroids, as for every pair
    assert "joint-like line both times" in report.changes[0].note


def test_a_joint_matched_beyond_the_centroid_gate_says_why(tmp_path: Path) -> None:
    """Its distance_m (0.59 m, the centroids') is past the 0.5 m gate: the note says the lines are
    0.10 m apart, so the CSV row does not read as a match outside the gate."""
    prev = _with_origin(_results(tmp_path / "prev", "2025-06-02", [_line("F-0003-J", -0.84, (0.97, 1.34))], set()))
    cur = _with_origin(_results(tmp_path / "cur", "2026-06-02", [_line("F-0004", -0.84, (0.26, 0.87))], {"F-0004"}))
    assert "the lines 0.10 m apart (centroids 0.59 m: another stretch drawn)" in compare(prev, cur).changes[0].note


def test_joint_lines_apart_across_or_crossing_are_not_one_joint(tmp_path: Path) -> None:
    """Two parallel plumb joints 0.6 m apart, and a level line crossing a plumb one, are not one joint."""
    level = replace(_crack("F-0002", (0.4, 0.0, 0.5), 1200.0),
                    centrelines_ned_m=(np.stack([np.linspace(-0.2, 1.0, 50), np.zeros(50), np.full(50, 0.5)], axis=1),))
    prev = _with_origin(_results(tmp_path / "prev", "2025-06-02",
                                 [_line("F-0001", 0.0, (0.0, 0.6)), level], {"F-0001", "F-0002"}))
    cur = _with_origin(_results(tmp_path / "cur", "2026-06-02",
                                [_line("F-0001", 0.6, (0.0, 0.6)), _line("F-0002", 0.7, (0.3, 1.3))],
                                {"F-0001", "F-0002"}))
    report = compare(prev, cur)
    assert sorted((c.status, c.previous_finding_id or c.finding_id) for c in report.changes) == [
        ("new", "F-0001"), ("new", "F-0002"), ("not_re_observed", "F-0001"), ("not_re_observed", "F-0002")]


def test_a_long_joint_line_widens_the_search_for_lines_only(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Two stretches of a joint are sought up to both lines' reach apart; searching that far around
    every finding tried every pair of a 3 m neighbourhood (900 cracks a side on a 0.35 m grid, one 3 m
    joint line: 90 k pairs against 5 k)."""
    import groundstation.change as change

    def side(name: str, day: str) -> Path:
        cracks = [_crack(f"F-{i:04d}-{k:02d}", (0.35 * i, 3.0, -0.35 * k), 200.0) for i in range(30) for k in range(30)]
        return _with_origin(_results(tmp_path / name, day, [*cracks, _line("F-J", 5.1, (0.0, 3.0))], {"F-J"}))

    prev, cur = side("prev", "2025-06-02"), side("cur", "2026-06-02")
    tried: list[int] = []
    real = change._pairs_within
    monkeypatch.setattr(change, "_pairs_within", lambda p, q, r: (out := real(p, q, r), tried.append(len(out)))[0])
    report = change.compare(prev, cur)
    assert len(report.by_status("stable")) == 901
    assert sum(tried) < 3 * 30 * 30 * 9  # each crack's 3 x 3 neighbourhood (its gate) and a little more


def _graded(folder: Path, states: dict[str, str]) -> Path:
    """stages/grades.json as the grading stage writes it, by the shipped blade rule (crack length)."""
    grades = {fid: [{"finding_id": fid, "rule": "epri-blade@1", "state": s, "label": "", "clause": "", "citation": "",
                     "priority": 3, "interval_days": 90, "action": ""}] for fid, s in states.items()}
    (folder / "stages" / "grades.json").write_text(json.dumps({"data": {"grades": grades}}))
    return folder


def test_a_joint_like_pair_is_never_escalated(tmp_path: Path) -> None:
    """Demo seeds 7 and 3 processed with the blade profile (graded by length), nothing changed: the
    two joint-like pairs read escalated, CAT3 -> CAT5 (F-0006 -> F-0007-J, 150 -> 623 mm) and CAT4
    -> CAT5, from the drawn length the growth test does not judge; the real cracks beside them not."""
    prev = _graded(_results(tmp_path / "prev", "2025-06-02",
                            [_crack("F-0005", (1.95, 3.0, -1.28), 565.0), _crack("F-0006", (1.86, 3.0, -1.07), 150.0)],
                            {"F-0006"}), {"F-0005": "CAT4", "F-0006": "CAT3"})
    cur = _graded(_results(tmp_path / "cur", "2026-06-02",
                           [_crack("F-0007", (1.96, 3.0, -1.28), 521.0), _crack("F-0007-J", (1.86, 3.0, -0.93), 623.0)],
                           set()), {"F-0007": "CAT5", "F-0007-J": "CAT5"})
    report = compare(prev, cur)
    assert {c.finding_id: c.escalated for c in report.changes} == {"F-0007": True, "F-0007-J": False}
    joint = next(c for c in report.changes if c.finding_id == "F-0007-J")
    assert (joint.previous_grade, joint.current_grade) == ("CAT3", "CAT5")  # shown


def test_an_unreviewed_joint_is_not_said_confirmed(tmp_path: Path) -> None:
    """The joint-like pair's note read '...: its change is shown but not judged; confirmed a crack in the
    review app, it is judged as one when compared again', where nobody had reviewed it: a filter on
    'confirmed a crack' in change.csv's notes (the words a real confirmation writes: 'confirmed a crack in
    review (Ana, last time)') listed every joint-like pair with the confirmed cracks."""
    import re

    prev = _results(tmp_path / "prev", "2025-06-02", [_crack("F-0006", (1.86, 3.0, -1.07), 150.0)], {"F-0006"})
    cur = _results(tmp_path / "cur", "2026-06-02", [_crack("F-0007-J", (1.86, 3.0, -0.93), 623.0)], set())
    (joint,) = compare(prev, cur).changes
    assert "joint-like line both times" in joint.note
    assert not re.search(r"(?<!if )confirmed a crack", joint.note), joint.note
    assert "if confirmed a crack in the review app" in joint.note
