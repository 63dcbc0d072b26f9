"""One results folder read for change detection (groundstation.change): findings, grades, defect uids."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from groundstation.change.coverage import read_footprints
from groundstation.change.joints import joint_like_ids
from groundstation.change.model import Inspection
from groundstation.change.review import read_verdicts
from groundstation.grading import Grade
from skyinspect.errors import InputError, describe
from skyinspect.geodesy import LocalFrame


def load_inspection(folder: Path) -> Inspection:
    from groundstation.republish import _listed
    from groundstation.stages import finding_from_dict

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(describe(folder, "no such results folder", "Give a folder written by `skyinspect process`"))
    meta_path, findings_path = folder / "inspection.json", folder / "stages" / "findings.json"
    for p in (meta_path, findings_path):
        if not p.is_file():
            raise InputError(describe(p, "missing: not a skyinspect results folder (or made before grading existed)",
                                      "Process the flight again with `skyinspect process`"))
    gpath = folder / "stages" / "grades.json"
    if not gpath.is_file():  # process writes it with inspection.json: without it every grade read '-', 0 escalated
        raise InputError(describe(gpath, "missing: this results folder's grades, so no escalation could be told",
                                  "Process the flight again with `skyinspect process`"))
    path = meta_path
    try:
        meta = json.loads(meta_path.read_text())
        if not meta.get("inspection_date"):
            raise InputError(describe(meta_path, "expected an inspection_date, got none",
                                      "Process the flight again with `skyinspect process`"))
        date.fromisoformat(meta["inspection_date"])
        path = findings_path
        # a list, refused otherwise: {} had read as no findings, every defect of last time "not re-observed"
        findings = tuple(finding_from_dict(x) for x in _listed(json.loads(findings_path.read_text())["data"]))
        path = gpath
        data = json.loads(gpath.read_text())["data"]
        grades = {fid: tuple(Grade.from_dict(g) for g in gs) for fid, gs in data["grades"].items()}
        rule_states = {str(ref): tuple(map(str, st)) for ref, st in (data.get("rule_states") or {}).items()}
        rule_files = {str(ref): str(sha) for ref, sha in (data.get("rules") or {}).items()}
        locations = _locations(findings, data)
        path = meta_path
        # the grades the review changed, as publish published them (a relabel graded as the reviewer's class)
        regraded = (meta.get("review") or {}).get("grades") or {}
        grades.update({fid: tuple(Grade.from_dict(g) for g in gs) for fid, gs in regraded.items()})
        asset = meta.get("asset_id") or "asset"
        methods = meta.get("measurement_methods") or {}
        if not isinstance(methods, dict) or not all(isinstance(v, str) for v in methods.values()):
            raise ValueError(f"measurement_methods: expected an object of strings, got {methods!r}")
        t0 = meta.get("start_time_utc_s")
        if t0 is not None and (isinstance(t0, bool) or not isinstance(t0, (int, float))):
            raise ValueError(f"start_time_utc_s: expected a number of seconds, got {t0!r}")
        o = meta.get("origin")
        origin = LocalFrame(float(o["lat_deg"]), float(o["lon_deg"]), float(o["h_m"])) if o else None
        uids = {f.finding_id: f"{asset}:{meta['inspection_date']}:{f.finding_id}" for f in findings}
        dpath = folder / "defects.json"
        if dpath.is_file():
            path = dpath
            uids.update(json.loads(dpath.read_text()).get("uids", {}))
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(describe(path, f"unreadable ({type(exc).__name__}: {exc})",
                                  "Process the flight again with `skyinspect process`")) from exc
    return Inspection(folder, meta.get("asset_id", ""), meta["inspection_date"], findings, grades, uids,
                      {str(k): v for k, v in methods.items()}, origin, joint_like_ids(folder, findings),
                      model_id=str(meta.get("model_id") or ""), verdicts=read_verdicts(folder), rule_states=rule_states,
                      locations=locations, rule_files=rule_files, footprints_ned_m=read_footprints(folder),
                      start_time_utc_s=None if t0 is None else float(t0))


def _locations(findings: tuple, data: dict) -> dict[str, dict]:
    """Finding id -> where on the structure, the cells the work orders give (PublishInput.location): processed
    with a registry (an asset id stored with the grades), an unassigned finding says so; without, {}."""
    from groundstation.registry.locate import location_cells

    assignments = data.get("assignments") or {}
    if not assignments and not data.get("asset_id"):
        return {}
    return {f.finding_id: location_cells(assignments.get(f.finding_id) or None) for f in findings}
