"""The report's condition per component (report.html and report.pdf): each component's worst grade, what it
leaves open, and the area seen on it."""

from __future__ import annotations

from typing import Any

from groundstation.publish.context import PublishInput, covered_area_m2


def _worse(g: Any, than: Any) -> bool:
    """More urgent, or as urgent and only a lower bound ("CS2+": worse cannot be excluded), which the
    condition table had lost to an exact CS2 listed before it."""
    return bool(g.priority < than.priority or (g.priority == than.priority and g.bound == "at_least"
                                                 and than.bound != "at_least"))


def component_condition(inp: PublishInput) -> list[tuple[str, str, str, int]]:
    """(component, worst grade, rule, findings) per component, worst first (by priority). Every grade of a
    finding counts, as for its work order: by the primary alone a pier 10 % rusted read CS2+ (AASHTO 1000,
    any visible rust) beside the Ri5 (ISO 4628-3, full recoat) its order is due by. The worst grade says
    what it leaves open (``_open``): the demo's face read 'CS3' from three lines flagged as joint-like
    alone, and its seven indeterminate cracks, checked at CS3's priority, were not counted."""
    seen: dict[str, _Condition] = {}
    for f in inp.findings:
        c = seen.setdefault(inp.component_label(f.finding_id) or "unassigned", _Condition())
        c.n += 1
        joint_like = bool(inp.checks.get(f.finding_id))  # its grade holds only if a check finds a crack
        for g in inp.grades.get(f.finding_id) or ():
            if g.is_indeterminate:
                c.open.setdefault(f.finding_id, []).append(g)
            elif g.priority is not None:
                c.add(g, f.finding_id if joint_like else "")
    # worst first: by priority, a bound before an exact grade; sorted by the grade's text, CS2 had come
    # before CS3 and CS4, best first
    order = sorted(seen.items(), key=lambda kv: (kv[1].shown is None, getattr(kv[1].shown, "priority", 0),
                                                 getattr(kv[1].shown, "bound", "") != "at_least", kv[0]))
    return [(comp, c.text(), c.shown.citation if c.shown is not None else "", c.n) for comp, c in order]


class _Condition:
    """One component's grades for ``component_condition``: the worst of its findings not flagged as
    joint-like, the worst of those flagged, and its indeterminate findings (the worst grade each may be)."""

    def __init__(self) -> None:
        self.n = 0
        self.worst: Any = None
        self.joint: Any = None
        self.joints: list[str] = []
        self.open: dict[str, Any] = {}

    def add(self, g: Any, joint_id: str) -> None:
        if not joint_id:
            self.worst = g if self.worst is None or _worse(g, self.worst) else self.worst
            return
        self.joint = g if self.joint is None or _worse(g, self.joint) else self.joint
        if joint_id not in self.joints:
            self.joints.append(joint_id)

    @property
    def shown(self) -> Any:
        """The grade the row is listed and cited by: a joint-like line's only where nothing else graded."""
        return self.worst if self.worst is not None else self.joint

    def text(self) -> str:
        if self.shown is None:
            ids, most = _open(self.open, None)
            return f"indeterminate{' (may be ' + most + ')' if most else ''}" if ids else "indeterminate"
        ids, most = _open(self.open, self.worst)
        # graded by joint-like lines alone: their grade holds only if they are cracks, and its indeterminate
        # findings are open whatever they are (they had gone unsaid)
        said = [self.worst.short if self.worst is not None else _if_cracks(self.joint, self.joints)]
        if ids:
            said.append(f"may be {most}: {len(ids)} indeterminate ({_ids(ids)})" if most else
                        f"{len(ids)} indeterminate ({_ids(ids)}), may be worse")
        if self.worst is not None and self.joint is not None and _worse(self.joint, self.worst):
            said.append(_if_cracks(self.joint, self.joints))
        return "; ".join(said)


def _ids(ids: list[str], shown: int = 5) -> str:
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


def _if_cracks(g: Any, ids: list[str]) -> str:
    one = len(ids) == 1
    return (f"{g.short} if the {'' if one else f'{len(ids)} '}joint-like line{'' if one else 's'} to check "
            f"({_ids(ids)}) {'is a crack' if one else 'are cracks'}")


def _open(open_: dict[str, list[Any]], worst: Any) -> tuple[list[str], str]:
    """(the indeterminate findings that may be worse than ``worst``, None: than nothing graded; the worst
    grade they may be, "" where one's worst is not known). ``open_``: finding id -> its indeterminate grades,
    each with the worst state its interval allows (``Grade.could_be``), if any."""
    ids = [fid for fid, gs in open_.items() if worst is None or any(
        g.could_be_priority is None or g.could_be_priority < worst.priority for g in gs)]
    gs = [g for fid in ids for g in open_[fid]]
    if not gs or any(g.could_be_priority is None for g in gs):
        return ids, ""
    most = min(gs, key=lambda g: g.could_be_priority)
    return ids, f"{most.could_be} ({most.rule})"


def component_coverage(inp: PublishInput) -> dict[str, str]:
    """Per component of ``component_condition``: the surface area seen on it and its rusted share, as
    the grades took them (a registry component's own covered area, groundstation.grading.coverage; the
    whole flight's for the unassigned). The report had given the flight's area only, so a component's
    rust grade could not be checked against any figure printed."""
    flight_m2: float | None = None
    out: dict[str, str] = {}
    for f in inp.findings:
        comp = inp.component_label(f.finding_id) or "unassigned"
        if comp in out and "rusted" in out[comp]:
            continue
        m2 = (inp.assignments.get(f.finding_id) or {}).get("component_covered_m2")
        if not m2:
            flight_m2 = covered_area_m2(inp) if flight_m2 is None else flight_m2
        seen = f"{float(m2):.1f} m2 seen" if m2 else f"{flight_m2:.1f} m2 seen (the whole flight)"
        pct = next((g.values["rusted_area_pct"] for g in inp.grades.get(f.finding_id) or ()
                    if g.values.get("rusted_area_pct") is not None), None)
        # 3 significant digits: '0.05 %' had hidden which side of ISO 4628-3's 0.05 % boundary it lies
        out[comp] = seen + (f", {float(pct):.3g} % rusted" if pct is not None else "")
    return out
