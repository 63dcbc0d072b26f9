"""Crack spacing at inspection scale: the nearest-neighbour search must give every pair's answer.

``_spacing`` measured the outline distance of every pair of cracks (8 s for 431 cracks, quadratic);
it now visits cracks nearest first by bounding box and stops when no further one can be nearer.
These tests compare it with the every-pair definition, ties, joint-like lines, other surfaces and a
crack's own joint arm included, and check that far cracks are not measured.
"""

from __future__ import annotations

import numpy as np
import pytest

import groundstation.grading as grading
from groundstation.joints import arm_id
from skyinspect.findings import Finding, Measurement


def _crack(fid: str, outline: np.ndarray, surface: str = "face") -> Finding:
    return Finding(fid, 1, "crack", 47.0, 8.0, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9, ((0, 0),), (0, 0),
                   {}, outline_ned_m=outline, surface_name=surface)


def _every_pair(findings: list[Finding], joint_like: frozenset[str]) -> dict[str, tuple[float | None, str]]:
    """The definition: (nearest counted distance, nearest joint-like id if nearer) by measuring every pair."""
    out = {}
    for f in findings:
        dist = {g.finding_id: float(np.min(np.linalg.norm(np.asarray(f.outline_ned_m)[:, None]
                                                          - np.asarray(g.outline_ned_m)[None], axis=2)))
                for g in findings if g is not f and g.surface_name == f.surface_name
                and arm_id(f.finding_id) != g.finding_id and arm_id(g.finding_id) != f.finding_id}
        counted = sorted((d, k) for k, d in dist.items() if k not in joint_like)
        joints = sorted((d, k) for k, d in dist.items() if k in joint_like)
        near_joint = joints[0][1] if joints and (not counted or joints[0][0] < counted[0][0]) else ""
        out[f.finding_id] = (counted[0][0] if counted else None, near_joint)
    return out


def _random_cracks(n: int, seed: int) -> list[Finding]:
    rng = np.random.default_rng(seed)
    cracks = []
    for i in range(n):
        start = np.array([rng.uniform(0, 20), 2.0, -rng.uniform(8, 14)])
        pts = start + np.cumsum(rng.normal(0, 0.05, (8, 3)) * [1, 0, 1], axis=0)
        fid = f"F-{i + 1:04d}"
        if i % 9 == 5:  # the joint arm split off the previous crack: never each other's neighbour
            fid = f"{cracks[-1].finding_id}-J"
        cracks.append(_crack(fid, pts, "face" if i % 13 else "pier"))
    # two cracks at exactly the same distance from a third: the tie goes to the smaller id, as before
    cracks += [_crack("F-9001", np.array([[29.75, 2, -10], [30.0, 2, -10]])),
               _crack("F-9002", np.array([[30.5, 2, -10], [30.75, 2, -10]])),
               _crack("F-9003", np.array([[30.25, 2, -10], [30.25, 2, -10.5]]))]
    return cracks


@pytest.mark.parametrize("joint_share", [0.0, 0.2, 0.7])
def test_spacing_equals_every_pair(joint_share: float) -> None:
    cracks = _random_cracks(120, seed=4)
    rng = np.random.default_rng(5)
    joint_like = frozenset(f.finding_id for f in cracks if rng.uniform() < joint_share)
    spacing, asides = grading._spacing(cracks, joint_like)
    for fid, (value, near_joint) in _every_pair(cracks, joint_like).items():
        assert spacing[fid].value == value, fid  # exactly: the same distance computed the same way
        assert (near_joint in asides.get(fid, "")) if near_joint else fid not in asides, fid
    if not joint_like & {"F-9001", "F-9002"}:
        assert spacing["F-9003"].value == 0.25 and "(F-9001)" in spacing["F-9003"].note


def test_far_cracks_are_not_measured(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A row of 200 cracks 1 m apart: each looks at its neighbours, not at all 199 others."""
    cracks = [_crack(f"F-{i:04d}", np.array([[i * 1.0, 2, -10], [i + 0.3, 2, -10], [i + 0.3, 2, -10.01]]))
              for i in range(200)]
    calls = []
    real = np.linalg.norm
    monkeypatch.setattr(grading.np.linalg, "norm", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    spacing, _ = grading._spacing(cracks, frozenset())
    assert spacing["F-0100"].value == pytest.approx(0.7)
    assert len(calls) < 200 * 4  # every pair: 200 * 199


def test_no_other_crack() -> None:
    spacing, _ = grading._spacing([_crack("F-0001", np.array([[0.0, 2, -10], [0.3, 2, -10]]))], frozenset())
    assert spacing["F-0001"] == Measurement(None, None, "m", "no other crack on the surface")
