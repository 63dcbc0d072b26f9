"""Change since the last inspection: a pair of inspections of one face a year apart, with planted growth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, dated_face_record, face_surface

from groundstation.change import compare, load_inspection, write_change
from groundstation.pipeline import process
from skyinspect.errors import InputError

YEAR_S = 365.25 * 86400
BLADE = "wind_turbine_blade"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("pair")
    up = FLY_HEIGHT_M
    # graded as a blade (EPRI categories by crack length) so the planted growth also escalates: CAT4 -> CAT5
    # wandering 4 mm, as cracks do: a straight level line is a joint-like line, whose growth is not judged
    grows_then = crack_on_face(-0.3, up + 0.4, length_m=0.30, width_m=0.003, wander_m=0.004)  # CAT4 (200-500 mm)
    grows_now = crack_on_face(-0.3, up + 0.4, length_m=0.55, width_m=0.003, wander_m=0.004)  # +250 mm: CAT5 (>= 500 mm)
    rust = corrosion_on_face(0.6, up - 0.1)
    repaired = crack_on_face(0.45, up + 0.4, length_m=0.2, width_m=0.001)
    fresh = crack_on_face(0.0, up - 0.6, length_m=0.25, width_m=0.001)
    runs = []
    for name, defects, t0 in (("2024", [grows_then, rust, repaired], 1.7e9), ("2025", [grows_now, rust, fresh], 1.7e9 + YEAR_S)):
        rec = dated_face_record(tmp / f"flight-{name}", defects, t0)
        out = tmp / f"results-{name}"
        process(rec, out, face_surface(), progress=False, grading_profile=BLADE)
        runs.append(out)
    later = tmp / "results-2026"
    process(dated_face_record(tmp / "flight-2026", [grows_now, rust, fresh], 1.7e9 + 2 * YEAR_S), later, face_surface(), progress=False,
            grading_profile=BLADE)
    return runs[0], runs[1], later


def _by_status(report) -> dict[str, list]:  # type: ignore[no-untyped-def]
    out: dict[str, list] = {}
    for c in report.changes:
        out.setdefault(c.status, []).append(c)
    return out


def test_planted_growth_is_classified(pair) -> None:  # type: ignore[no-untyped-def]
    before, after, _ = pair
    report = compare(before, after)
    s = _by_status(report)
    assert {k: len(v) for k, v in s.items()} == {"grown": 1, "stable": 1, "new": 1, "not_re_observed": 1}
    assert report.years == pytest.approx(1.0, abs=0.01)
    grown = s["grown"][0]
    length = next(g for g in grown.growth if g.quantity == "length_mm")
    assert grown.class_name == "crack" and length.significant
    assert length.delta == pytest.approx(250, abs=10) and length.per_year == pytest.approx(250, abs=10)
    assert (grown.previous_grade, grown.current_grade, grown.escalated) == ("CAT4", "CAT5", True)
    stable = s["stable"][0]
    assert stable.class_name == "corrosion" and not stable.escalated and stable.distance_m < 0.05
    assert s["new"][0].class_name == "crack" and s["not_re_observed"][0].previous_finding_id


def test_defect_identity_is_stable_across_three_inspections(pair) -> None:  # type: ignore[no-untyped-def]
    first, second, third = pair
    r12 = compare(first, second)
    write_change(r12, second)
    uids = json.loads((second / "defects.json").read_text())["uids"]
    first_date = load_inspection(first).date
    grown = next(c for c in r12.changes if c.status == "grown")
    assert grown.defect_uid.split(":")[1] == first_date and uids[grown.finding_id] == grown.defect_uid
    r23 = compare(second, third)
    again = next(c for c in r23.changes if c.previous_finding_id == grown.finding_id)
    assert again.defect_uid == grown.defect_uid and again.status == "stable"  # same size in the third year
    new_uid = next(c for c in r12.changes if c.status == "new").defect_uid
    assert new_uid in {c.defect_uid for c in r23.changes}  # the 2025 defect keeps its 2025 name
    assert json.loads((second / "change.json").read_text())["years"] == pytest.approx(1.0, abs=0.01)


def test_not_a_results_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="inspection.json"):
        load_inspection(tmp_path)


def _inspection(folder: str, day: str, positions_ned: list[tuple[float, float, float]], shift=(0.0, 0.0, 0.0)):  # type: ignore[no-untyped-def]
    """An Inspection of corrosion findings at ``positions_ned`` (+ ``shift``) around a fixed origin,
    with plain-GNSS CE90 (1.3 m)."""
    import numpy as np

    from groundstation.change import Inspection
    from skyinspect.findings import Finding
    from skyinspect.geodesy import LocalFrame

    frame = LocalFrame(47.0, 8.0, 400.0)
    findings = []
    for k, p in enumerate(positions_ned):
        ned = np.array(p) + np.array(shift)
        lat, lon, alt = frame.to_geodetic(ned)
        ring = np.array([[lat, lon, alt]] * 3)
        findings.append(Finding(f"F-{k + 1:04d}", 2, "corrosion", float(lat), float(lon), float(alt), ring, ned, 0.9,
                                ((k, 0),), (k, 0), {}, 1.3, 1.9, "", None, None, 0.003, 5.0, 0.0))
    return Inspection(Path(folder), "pier-1", day, tuple(findings), {}, {f.finding_id: f"pier-1:{day}:{f.finding_id}"
                                                                         for f in findings})


def test_a_whole_flight_offset_is_taken_out_before_matching() -> None:
    """Ten rust spots scattered over a 4 m x 2 m face, some 0.3-0.6 m apart; the second flight's
    GNSS put everything 0.55 m north and 0.2 m up, so nearest-centroid matching alone pairs some
    spots with a neighbour."""
    import numpy as np

    rng = np.random.default_rng(3)
    spots = [(float(n), 0.0, float(d)) for n, d in zip(rng.uniform(0, 4, 10), rng.uniform(-3, -1, 10))]
    prev = _inspection("/tmp/prev", "2025-05-01", spots)
    cur = _inspection("/tmp/cur", "2026-05-01", spots, shift=(0.55, 0.0, -0.2))
    report = compare(prev, cur)
    assert report.offset_m == pytest.approx((-0.55, 0.0, 0.2), abs=0.01)
    pairs = {c.finding_id: c.previous_finding_id for c in report.changes if c.status == "stable"}
    assert pairs == {f"F-{k:04d}": f"F-{k:04d}" for k in range(1, 11)}
    naive = compare(prev, cur, offset_tol_m=100.0)  # an offset that large is never applied
    assert naive.offset_m is None
    assert {c.finding_id: c.previous_finding_id for c in naive.changes if c.status == "stable"} != pairs
    assert max(c.distance_m for c in report.changes if c.distance_m is not None) < 0.01
    # without an offset nothing moves, and a lone pair is too little to vote on
    assert compare(prev, _inspection("/tmp/cur", "2026-05-01", spots)).offset_m is None
    one = compare(_inspection("/tmp/prev", "2025-05-01", spots[:1]),
                  _inspection("/tmp/cur", "2026-05-01", spots[:1], shift=(0.55, 0.0, -0.2)))
    assert one.offset_m is None and [c.status for c in one.changes] == ["stable"]
    assert np.isfinite(one.changes[0].distance_m)


def test_growth_measured_by_another_method_is_not_judged(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A results folder from before the methods were recorded (or from another method): the planted
    250 mm of crack growth is shown, not judged, and the report says why and what to do."""
    import shutil

    from groundstation.measure import MEASUREMENT_METHODS

    before, after, _ = pair
    assert load_inspection(before).methods == MEASUREMENT_METHODS
    legacy = tmp_path / "legacy"
    shutil.copytree(before, legacy)
    meta = json.loads((legacy / "inspection.json").read_text())
    del meta["measurement_methods"]
    (legacy / "inspection.json").write_text(json.dumps(meta))
    report = compare(legacy, after)
    assert report.method_changes == tuple(f"{q} (unrecorded -> {m})" for q, m in MEASUREMENT_METHODS.items())
    assert not report.by_status("grown")
    crack = next(c for c in report.changes if c.previous_finding_id and c.class_name == "crack")
    length = next(g for g in crack.growth if g.quantity == "length_mm")
    assert length.delta == pytest.approx(250, abs=10) and not length.significant and "another method" in length.note
    assert "measured by another method last time" in crack.note
    meta["measurement_methods"] = "crack-network-1"
    (legacy / "inspection.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="measurement_methods"):
        load_inspection(legacy)


def test_change_cli_warns_about_another_method(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    before, after, _ = pair
    legacy = tmp_path / "legacy"
    shutil.copytree(before, legacy)
    meta = json.loads((legacy / "inspection.json").read_text())
    meta["measurement_methods"] = {**meta["measurement_methods"], "length_mm": "one-sighting-0"}
    (legacy / "inspection.json").write_text(json.dumps(meta))
    result = CliRunner().invoke(app, ["change", str(legacy), str(after), "--out", str(tmp_path / "change")])
    assert result.exit_code == 0, result.output
    from groundstation.measure import MEASUREMENT_METHODS

    assert f"length_mm (one-sighting-0 -> {MEASUREMENT_METHODS['length_mm']})" in " ".join(result.output.split())


def test_where_the_crack_grew(pair) -> None:  # type: ignore[no-untyped-def]
    """The planted crack grew 250 mm at its north end (0.30 -> 0.55 m from the same start): the
    change says how much new line there is and where, from the two inspections' crack lines."""
    before, after, third = pair
    grown = next(c for c in compare(before, after).changes if c.status == "grown")
    assert "new crack line" in grown.note, grown.note
    mm = float(grown.note.split("new crack line ")[1].split(" mm")[0])
    assert mm == pytest.approx(250, abs=12)
    assert "north of the crack's middle" in grown.note  # the crack runs north along the face: it grew there
    again = next(c for c in compare(after, third).changes if c.previous_finding_id == grown.finding_id)
    assert again.status == "stable" and "no new crack line" in again.note  # the same size a year later


def test_inspections_of_two_places_are_refused_not_reported_as_all_new() -> None:
    """Results of a flight 7,000 km away (no asset ids to tell) read as 16 new and 54 gone."""
    from skyinspect.errors import InputError

    spots = [(0.0, 0.0, -2.0), (1.0, 0.0, -2.0)]
    prev = _inspection("/tmp/prev", "2025-05-01", spots)
    far = _inspection("/tmp/cur", "2026-05-01", spots, shift=(0.0, 12_000.0, 0.0))  # 12 km east
    with pytest.raises(InputError, match=r"/tmp/cur: its findings lie 12\.0 km from the previous inspection's"):
        compare(prev, far)
    near = compare(prev, _inspection("/tmp/cur", "2026-05-01", spots, shift=(0.0, 3_000.0, 0.0)))  # another stretch
    assert {c.status for c in near.changes} == {"new", "not_re_observed"}


def test_a_new_defect_never_takes_an_older_defects_uid_on_the_same_day() -> None:
    """A re-flight the same day: the new finding F-0001 got uid pier-1:<day>:F-0001, the uid of the
    previous F-0001 (not re-observed), so defects.json merged two defects into one."""
    prev = _inspection("/tmp/prev", "2025-05-01", [(0.0, 0.0, -2.0), (5.0, 0.0, -2.0)])
    cur = _inspection("/tmp/cur", "2025-05-01", [(10.0, 0.0, -2.0), (5.0, 0.0, -2.0)])
    report = compare(prev, cur)
    uids = [c.defect_uid for c in report.changes]
    assert sorted(c.status for c in report.changes) == ["new", "not_re_observed", "stable"]
    assert len(set(uids)) == len(uids), uids
    new = next(c for c in report.changes if c.status == "new")
    assert new.defect_uid == "pier-1:2025-05-01:F-0001#2"
    # a year later nothing collides and the plain first-observation uid is kept
    later = compare(prev, _inspection("/tmp/cur", "2026-05-01", [(10.0, 0.0, -2.0), (5.0, 0.0, -2.0)]))
    assert next(c for c in later.changes if c.status == "new").defect_uid == "pier-1:2026-05-01:F-0001"


def test_growth_graded_by_an_own_rules_folder_escalates(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An owner's rules (`process --rules`: a copy of the EPRI blade rule under its own id) rank grades as the
    shipped ones do: change ranked states only by the shipped rules, so CAT4 -> CAT5 by 'owner-blade@1'
    read not escalated, silently. grades.json records each rule's states in order of severity."""
    import shutil

    from groundstation.grading.rules import RULES_DIR

    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    (rules / "epri_blade.yaml").write_text((rules / "epri_blade.yaml").read_text().replace(
        "rule_id: epri-blade", "rule_id: owner-blade"))
    (rules / "profiles.yaml").write_text("version: 1\ndefault: blade\nprofiles:\n"
                                         "  blade: {crack: [owner-blade], corrosion: [owner-blade]}\n")
    folders = []
    for src in pair[:2]:
        out = tmp_path / src.name
        shutil.copytree(src, out)
        flight = Path(json.loads((out / "inspection.json").read_text())["flight"])
        process(flight, out, face_surface(), progress=False, grading_profile="blade", rules_dir=rules)
        folders.append(out)
    grown = _by_status(compare(*folders))["grown"][0]
    assert (grown.previous_grade, grown.current_grade) == ("CAT4", "CAT5")
    assert grown.escalated


@pytest.mark.parametrize("data", [{}, "findings", 7])
def test_findings_that_are_not_a_list_are_refused_not_compared_as_none(pair, tmp_path: Path, data) -> None:  # type: ignore[no-untyped-def]
    """stages/findings.json whose data is not a list (a hand edit, another tool's file): a mapping was read as
    no findings, so every defect of last time was reported not re-observed, exit 0."""
    import shutil

    folder = tmp_path / "results"
    shutil.copytree(pair[1], folder)
    path = folder / "stages" / "findings.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "data": data}))
    with pytest.raises(InputError, match="findings.json"):
        load_inspection(folder)
