"""Change since the last inspection: the same defect matched across two results folders of one asset.

Matching: findings of the same class and kind (joint-like lines apart and placed by their lines, change/joints.py;
the review app's verdicts first, change/review.py), by distance, in a gate of
``max(gate_m, sqrt(ce90_prev² + ce90_cur²))`` (two flights' GNSS errors add). Two flights with plain
GNSS are offset from each other as a whole (each carries its own error), so first the offset most
same-class pairs within that gate agree on (``groundstation.offset_vote``, within ``offset_tol_m``,
backed by at least three current findings and twice any rival) is taken out of the current
positions; then the nearest neighbour is the same defect again, not whichever sits the offset away.
An offset smaller than ``offset_tol_m`` is not applied; the report states the one used
(``offset_m``, north/east/down) and distances are after it.

Identity: each defect gets a ``defect_uid`` at its first observation (``<asset>:<date>:<finding id>``)
and a matched finding inherits its predecessor's uid, so a defect keeps one name across any number
of inspections (written to ``defects.json`` in the current results folder).

Classification of each current finding: ``new`` (no predecessor), ``grown`` (length, width, widest width
``max_width_mm`` or area larger by more than ``k_sigma`` times the combined 1-sigma of the two measurements)
or ``stable`` (a quantity one of the two did not measure, e.g. a folder from before max_width_mm, says so);
each unmatched previous finding is ``not_re_observed`` (repaired, hidden, or missed: to be checked; its note says
when its place lay outside this flight's frames, not looked at, and a new one's when outside last flight's,
change/coverage.py). An
unmatched finding rejected in the review app (this time's, or last time's) is ``rejected``: not a defect, so
neither new nor one to look for (change/review.py).
Growth is given per quantity with its rate per year; ``escalated`` is true when a grade under the same
rule is worse than last time (the primary, or another: the note names it, change/grades.py; a grade of last
time by another version of the rule is graded again by this time's from its stored measurements, or said not
compared: ``rule_changes``). A quantity measured by a different method in the two
results folders (``measurement_methods`` in inspection.json; a folder written before the methods were
recorded counts as "unrecorded") is shown but never judged grown or shrunk: a new way of measuring
is not a change in the structure (session 11's crack length read 5-60 % longer than the one-frame
length before it). The report lists those quantities; processing the older flight again with the
current version makes them comparable. So with another segmentation model (``model_change``), and
a width known only as an interval (change/bounds.py) is said against a value, never judged.

Products (``write_change_products``, used by ``skyinspect change``): ``change.json`` (the report),
``change.csv`` (one row per defect, growth columns per quantity) and ``defects.json`` in the current
results folder; all are written to temporary names first, so a failure leaves none half-written.
Refused as input: a missing or damaged results folder (one without ``stages/grades.json`` too: process
writes it with inspection.json, and without it every grade read '-', none escalated; change/load.py), the
same folder twice, one flight in two folders (a copy, or the flight processed again: the same
``start_time_utc_s``), two different assets, a current inspection dated before the previous one, and two
flights of different places (findings kilometres apart, or no defect matched and no frame of either near
the other's: change/coverage.py).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
from pyproj import Geod

from groundstation.change.bounds import bound_growth
from groundstation.change.coverage import GONE_NOTES, NEW_NOTES, Coverage, covered, looked_apart
from groundstation.change.grades import RuleRanks, escalation
from groundstation.change.joints import JOINT_KIND, NOT_JUDGED, joint_lines, line_gap, not_judged, reach_m
from groundstation.change.lines import where_it_grew
# the types and the reading of a results folder (this module was past 400 lines)
from groundstation.change.load import load_inspection
from groundstation.change.model import QUANTITIES, TABLE_COLUMNS, ChangeReport, DefectChange, Growth, Inspection
from groundstation.change.near import _closest_pair, _pairs_within
from groundstation.change.review import REJECTED_KIND, as_matched, crosses, verdict_note
from groundstation.offset_vote import vote_offset
from skyinspect.errors import InputError, describe
from skyinspect.findings import Finding
from skyinspect.geodesy import SITE_RADIUS_M, LocalFrame


def _growth(q: str, a: Finding, b: Finding, years: float, k_sigma: float, other_method: str = "") -> Growth | None:
    """``other_method``: non-empty when the two folders measured ``q`` differently (module doc)."""
    ma, mb = a.measurements.get(q), b.measurements.get(q)
    if ma is None and mb is None:
        return None
    va = None if ma is None else ma.value
    vb = None if mb is None else mb.value
    if va is None or vb is None:
        told = bound_growth(q, ma, mb, k_sigma)  # said, never judged (change/bounds.py)
        if told is None:  # e.g. max_width_mm against a folder written before it was measured: no growth
            missing = "not measured last time" if ma is None else "not measured this time" if mb is None else ""
            return Growth(q, va, vb, None, None, None, False, "; ".join(x for x in (missing, other_method) if x))
        delta, sigma, said = told
        return Growth(q, va, vb, delta, sigma, delta / years if years > 0 else None, False,
                      other_method or "an interval: not judged", said)
    sigma = math.hypot(ma.sigma or 0.0, mb.sigma or 0.0)  # type: ignore[union-attr]
    delta = float(vb) - float(va)
    per_year = delta / years if years > 0 else None
    judged = not other_method
    return Growth(q, float(va), float(vb), delta, sigma, per_year, judged and delta > k_sigma * sigma and delta > 0,
                  other_method)


SAME_SITE_M = SITE_RADIUS_M  # two inspections whose nearest findings are farther apart are not of one structure


def compare(previous: Path | Inspection, current: Path | Inspection, gate_m: float = 0.5,
            k_sigma: float = 2.0, offset_tol_m: float = 0.1) -> ChangeReport:
    prev = previous if isinstance(previous, Inspection) else load_inspection(previous)
    cur = current if isinstance(current, Inspection) else load_inspection(current)
    if prev.asset_id and cur.asset_id and prev.asset_id != cur.asset_id:
        raise InputError(describe(cur.folder, f"asset {cur.asset_id!r} differs from the previous inspection's "
                                              f"{prev.asset_id!r}", "Compare inspections of the same asset"))
    if Path(prev.folder).resolve() == Path(cur.folder).resolve():
        raise InputError(describe(cur.folder, "is the previous inspection itself", "Compare two different results folders"))
    if prev.start_time_utc_s is not None and math.isfinite(prev.start_time_utc_s) \
            and prev.start_time_utc_s == cur.start_time_utc_s:  # a copy, or reprocessed
        from groundstation.publish.context import iso_utc

        raise InputError(describe(cur.folder, f"is the same flight as the previous inspection ({prev.folder}: both "
                                              f"started {iso_utc(prev.start_time_utc_s)}); one flight tells nothing "
                                              "of a change",
                                  "Compare the results of two different flights of the asset"))
    years = (date.fromisoformat(cur.date) - date.fromisoformat(prev.date)).days / 365.25
    if years < 0:
        raise InputError(describe(cur.folder, f"inspected {cur.date}, before the previous inspection ({prev.date}, "
                                              f"{prev.folder})", "Give the older results folder first"))
    ref = prev.findings[0] if prev.findings else (cur.findings[0] if cur.findings else None)
    frame = LocalFrame(ref.lat_deg, ref.lon_deg, ref.alt_msl_m) if ref else LocalFrame(0, 0, 0)

    def xyz(findings: tuple[Finding, ...]) -> np.ndarray:  # one transform per inspection, not per pair
        if not findings:
            return np.zeros((0, 3))
        return np.asarray(frame.to_ned(np.array([f.lat_deg for f in findings]), np.array([f.lon_deg for f in findings]),
                                       np.array([f.alt_msl_m for f in findings]))).reshape(-1, 3)

    def gate(a: Finding, b: Finding) -> float:
        return max(gate_m, math.hypot(a.ce90_m if math.isfinite(a.ce90_m) else 0.0,
                                      b.ce90_m if math.isfinite(b.ce90_m) else 0.0))

    p_prev, p_cur = xyz(prev.findings), xyz(cur.findings)
    if len(p_prev) and len(p_cur):  # another structure altogether: every defect would read new or gone
        i, k = _closest_pair(p_prev, p_cur)
        a, b = prev.findings[i], cur.findings[k]
        apart = Geod(ellps="WGS84").inv(a.lon_deg, a.lat_deg, b.lon_deg, b.lat_deg)[2]  # the chart bends far off
        if apart > SAME_SITE_M:
            raise InputError(describe(cur.folder, f"its findings lie {apart / 1000:,.1f} km from the previous "
                                                  f"inspection's ({prev.folder}) at the closest; expected the same "
                                                  f"structure (within {SAME_SITE_M / 1000:g} km)",
                                      "Compare two inspections of the same asset"))
    candidates = []  # (previous, current, index of current, previous minus current position)
    # each flight's widest CE90 (previous, current)
    worst_ce90 = tuple(max((f.ce90_m for f in x.findings if math.isfinite(f.ce90_m)), default=0.0) for x in (prev, cur))
    widest = max(gate_m, math.hypot(*worst_ce90))  # no gate is wider
    # (class, kind, verdict) of each finding: the reviewer's verdict outranks the model and the joint flag (review.py)
    mp = {f.finding_id: as_matched(f, prev.joint_like, prev.verdicts) for f in prev.findings}
    mc = {f.finding_id: as_matched(f, cur.joint_like, cur.verdicts) for f in cur.findings}
    # joint-like lines are one joint when their lines meet within the gate, wherever their centroids (joints.py)
    # (flagged ones, whatever a reviewer said of them: a crack confirmed along a joint is still a straight line)
    lines = tuple(joint_lines(side.findings, side.joint_like, side.origin, frame) for side in (prev, cur))
    reach = [max((reach_m(pts, p[i]) for i, f in enumerate(side.findings) if (pts := ln.get(f.finding_id)) is not None),
                 default=0.0) for side, ln, p in ((prev, lines[0], p_prev), (cur, lines[1], p_cur))]
    # the wider radius only among the lines: for every finding it multiplied the pairs tried at inspection scale
    on = [np.array([i for i, f in enumerate(side.findings) if f.finding_id in ln], dtype=int)
          for side, ln in ((prev, lines[0]), (cur, lines[1]))]
    wide = {(int(on[0][i]), int(on[1][k])) for i, k in _pairs_within(p_prev[on[0]], p_cur[on[1]],
                                                                      widest + reach[0] + reach[1])}
    for i, k in sorted(set(_pairs_within(p_prev, p_cur, widest)) | wide):
        a, b = prev.findings[i], cur.findings[k]
        d = p_prev[i] - p_cur[k]
        (ca, ka, _), (cb, kb, _) = mp[a.finding_id], mc[b.finding_id]
        # like with like, unless a reviewer's verdict crossed the joint flag (change/review.py)
        if ka != kb and not (ca == cb and (crosses(a, prev.joint_like, prev.verdicts)
                                           or crosses(b, cur.joint_like, cur.verdicts))):
            continue
        on_lines = a.finding_id in lines[0] and b.finding_id in lines[1]
        if float(np.linalg.norm(d)) <= gate(a, b) or (on_lines and float(np.linalg.norm(d)) <= gate(a, b) + reach[0]
                                                      + reach[1]):
            candidates.append((a, b, k, d, on_lines, ka != kb))
    shift = np.zeros(3)
    votes = [c for c in candidates if not c[4]]  # two stretches of a joint: their centroids' offset is no flight's
    if votes:
        won = vote_offset(np.array([c[3] for c in votes]), np.array([c[2] for c in votes]), offset_tol_m, min_support=3)
        if won is not None and float(np.linalg.norm(won[0])) >= offset_tol_m:
            shift = won[0]
    pairs, stretch = [], {}
    for a, b, _, diff, on_lines, unlike in candidates:
        d = float(np.linalg.norm(diff - shift))
        apart = line_gap(lines[0][a.finding_id], lines[1][b.finding_id] + shift) if on_lines else d
        if apart <= gate(a, b):
            pairs.append((unlike, apart, d, a.finding_id, b.finding_id))
            if d > gate(a, b):  # matched by the lines, past the centroids' gate: the row says why
                stretch[a.finding_id, b.finding_id] = (f"the lines {apart:.2f} m apart (centroids {d:.2f} m: "
                                                       "another stretch drawn)")
    matched_prev: dict[str, tuple[str, float]] = {}
    matched_cur: dict[str, str] = {}
    for _, _, d, pa, cb in sorted(pairs):  # like with like first
        if pa not in matched_prev and cb not in matched_cur:
            matched_prev[pa] = (cb, d)
            matched_cur[cb] = pa
    # nothing matched and neither flight looked where the other did: another structure, not this one's change
    if not matched_prev and looked_apart(prev, cur, frame, shift, widest):
        raise InputError(describe(cur.folder, f"its flight looked at no place the previous inspection's ({prev.folder}) "
                                              f"did (no frame of either within {widest:.2f} m of the other's) and no "
                                              "defect matched; expected two inspections of one structure",
                                  "Compare two inspections of the same asset, or of the same part of it"))
    pf = {f.finding_id: f for f in prev.findings}
    # an unmatched finding beside an unmatched one of another class: perhaps one defect the model named otherwise
    near: dict[tuple[str, str], tuple[float, str]] = {}
    # the test below takes the flights' offset out: as logged, such a pair lies up to |shift| farther apart
    for i, k in _pairs_within(p_prev, p_cur, widest + float(np.linalg.norm(shift))):
        a, b = prev.findings[i], cur.findings[k]
        (ca, _, _), (cb, _, _) = mp[a.finding_id], mc[b.finding_id]
        d = float(np.linalg.norm(p_prev[i] - p_cur[k] - shift))
        if ca != cb and a.finding_id not in matched_prev and b.finding_id not in matched_cur and d <= gate(a, b):
            for key, said in ((("prev", a.finding_id), f"{cb} {b.finding_id} this time"),
                              (("cur", b.finding_id), f"{ca} {a.finding_id} last time")):
                near[key] = min(near.get(key, (math.inf, "")), (d, said))
    beside = {key: f"at the place of {said}, {d:.2f} m away (another class: if one defect, relabel it in review)"
              for key, (d, said) in near.items()}
    # a new model draws another share of a crack or a patch: like a new method, not a change in the structure
    model_change = f"{prev.model_id} -> {cur.model_id}" if prev.model_id and cur.model_id != prev.model_id \
        and cur.model_id else ""
    other = {q: f"segmented by another model last time ({model_change}): not judged" if model_change else
             f"measured by another method last time ({prev.methods.get(q, 'unrecorded')} -> "
             f"{cur.methods.get(q, 'unrecorded')}): not judged" for q in QUANTITIES
             if model_change or prev.methods.get(q) != cur.methods.get(q)}
    # whether the other flight's frames looked at an unmatched finding's place: outside them, not looked for
    covers: dict[int, Coverage] = {}  # 0: the previous flight's, 1: this one's

    def looked(f: Finding, side: Inspection, to_side: np.ndarray) -> str:  # to_side: into that flight's positions
        if side.footprints_ned_m is None or side.origin is None:
            return ""
        i = 1 if side is cur else 0
        if i not in covers:
            covers[i] = Coverage(side.footprints_ned_m, side.origin, frame, gate_m)
        pts = np.vstack([np.asarray(f.outline_wgs84, dtype=np.float64).reshape(-1, 3),
                         [[f.lat_deg, f.lon_deg, f.alt_msl_m]]])
        # how far the two flights' positions may disagree: the offset vote's agreement once it is taken out,
        # else the CE90s (plain GNSS: metres)
        unc = offset_tol_m if shift.any() else math.hypot(f.ce90_m if math.isfinite(f.ce90_m) else 0.0,
                                                          worst_ce90[i])
        return covered(np.asarray(frame.to_ned(pts[:, 0], pts[:, 1], pts[:, 2])).reshape(-1, 3) + to_side,
                       covers[i], unc)
    changes: list[DefectChange] = []
    # the shipped rules read on first need; last time's grades by another version graded again by this time's
    rules = RuleRanks(prev.rule_states, cur.rule_states, current_files=cur.rule_files)
    taken = set(prev.uids.values())
    for b in cur.findings:
        g_cur = (cur.grades.get(b.finding_id) or (None,))[0]
        if b.finding_id not in matched_cur:
            # its own first observation, not what an earlier run against another inspection wrote to defects.json;
            # on one day (a re-flight, a flight processed again) that uid can be an older one's
            first = f"{cur.asset_id or prev.asset_id or 'asset'}:{cur.date}:{b.finding_id}"  # the report's asset
            uid = next(u for n in range(1, len(taken) + 2) if (u := first + (f"#{n}" if n > 1 else "")) not in taken)
            taken.add(uid)
            # rejected in review: not a defect, so no new one (counted apart)
            fresh = "rejected" if mc[b.finding_id][2] == "rejected" else "new"
            changes.append(DefectChange(uid, fresh, b.finding_id, None, mc[b.finding_id][0], None, (),
                                        "", g_cur.state if g_cur else "", False, "; ".join(
                                            x for x in (NEW_NOTES[looked(b, prev, shift)] if fresh == "new" else "",
                                                        verdict_note(b, mc[b.finding_id][0], cur.verdicts, "this time"),
                                                        beside.get(("cur", b.finding_id), "")) if x),
                                        cur.locations.get(b.finding_id, {})))
            continue
        a = pf[matched_cur[b.finding_id]]
        growth = tuple(g for g in (_growth(q, a, b, years, k_sigma, other.get(q, "")) for q in QUANTITIES)
                       if g is not None)
        g_prev = (prev.grades.get(a.finding_id) or (None,))[0]
        # any grade worse under its rule (rust's primary AASHTO 1000 is CS2+ whatever its extent; ISO's Ri rises)
        escalated, raised = escalation(prev.grades.get(a.finding_id) or (), cur.grades.get(b.finding_id) or (), rules,
                                      a)
        # the newest verdict decides; with none, a joint-like pair (kinds match) is not judged: a joint does not grow
        verdict = mc[b.finding_id][2] or mp[a.finding_id][2]
        joint = not verdict and JOINT_KIND in mc[b.finding_id][1]
        if joint or verdict == "rejected":  # nor its grade's rise: the same drawn length or area (shown, not escalated)
            growth, escalated, raised = not_judged(growth, "joint-like line" if joint else REJECTED_KIND), False, ""
        # joined by a reviewer's relabel: each was measured by its model class's rules (a patch's area, a crack's)
        classes = f"measured as {a.class_name} last time, as {b.class_name} this time" \
            if a.class_name != b.class_name else ""
        if classes:
            growth = not_judged(growth, classes)
        grown = any(g.significant for g in growth)
        shrunk = [g.quantity for g in growth if g.delta is not None and g.sigma is not None and not g.note
                  and -g.delta > k_sigma * g.sigma]
        note = f"measured smaller ({', '.join(shrunk)}): repaired, or measurement differs" if shrunk else ""
        note = "; ".join(x for x in (note, *(g.interval for g in growth)) if x)
        judged = not joint and verdict != "rejected" and mc[b.finding_id][0] == "crack" and "length_mm" not in other
        length = next((g for g in growth if g.quantity == "length_mm" and g.sigma), None)
        where = where_it_grew(a, b, (prev.origin, cur.origin), frame, shift,  # a joint's "new crack line" is noise
                              (k_sigma, length.sigma if length else 0.0)) if judged else ""
        said = [verdict_note(a, mp[a.finding_id][0], prev.verdicts, "last time"),
                verdict_note(b, mc[b.finding_id][0], cur.verdicts, "this time")
                or ("flagged joint-like this time, not reviewed yet" if b.finding_id in cur.joint_like and verdict else "")]
        note = "; ".join(x for x in (note, raised, where, NOT_JUDGED if joint else "",
                                     stretch.get((a.finding_id, b.finding_id), ""), *said,
                                     f"{classes}: not judged" if classes else "",
                                     "its change is shown but not judged" if verdict == "rejected" else "") if x)
        unjudged = [g.quantity for g in growth if g.note and g.quantity in other]
        if unjudged:
            note = "; ".join(x for x in (note, f"{', '.join(unjudged)} measured by another "
                                               f"{'model' if model_change else 'method'} last time: "
                                               "not judged") if x)
        changes.append(DefectChange(prev.uids[a.finding_id], "grown" if grown else "stable", b.finding_id,
                                    a.finding_id, mc[b.finding_id][0], matched_prev[a.finding_id][1], growth,
                                    g_prev.state if g_prev else "", g_cur.state if g_cur else "", escalated, note,
                                    cur.locations.get(b.finding_id, {})))
    for a in prev.findings:
        if a.finding_id not in matched_prev:
            g_prev = (prev.grades.get(a.finding_id) or (None,))[0]
            said = verdict_note(a, mp[a.finding_id][0], prev.verdicts, "last time")
            # rejected in review last time: not a defect, so none to look for ("repaired, hidden ... or missed")
            rejected = mp[a.finding_id][2] == "rejected"
            changes.append(DefectChange(prev.uids[a.finding_id], "rejected" if rejected else "not_re_observed", None,
                                        a.finding_id, mp[a.finding_id][0], None, (), g_prev.state if g_prev else "",
                                        "", False,
                                        "; ".join(x for x in ("not seen this time" if rejected else
                                                              GONE_NOTES[looked(a, cur, -shift)], said,
                                                              beside.get(("prev", a.finding_id), "")) if x),
                                        prev.locations.get(a.finding_id, {})))
    return ChangeReport(cur.asset_id or prev.asset_id, str(prev.folder), str(cur.folder), prev.date, cur.date,
                        round(years, 4), tuple(changes),
                        tuple(round(float(v), 4) for v in shift) if shift.any() else None,  # type: ignore[arg-type]
                        tuple(f"{q} ({prev.methods.get(q, 'unrecorded')} -> {cur.methods.get(q, 'unrecorded')})"
                              for q in QUANTITIES if prev.methods.get(q) != cur.methods.get(q)),
                        tuple(n for n in (prev.verdicts.note, cur.verdicts.note) if n), model_change, rules.notes())


# the products live in output.py; imported last, as it imports the types from here
from groundstation.change.output import change_table_csv, write_change, write_change_products  # noqa: E402

__all__ = ["ChangeReport", "DefectChange", "Growth", "Inspection", "TABLE_COLUMNS", "change_table_csv", "compare",
           "load_inspection", "write_change", "write_change_products"]
