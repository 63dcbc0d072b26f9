"""`skyinspect change` at inspection scale: the rules are read once, pairs are found by neighbourhood.

It had re-read and parsed every grading rule's YAML for each graded finding (2,585 findings a side:
392 s of 437), tested every pair of findings in Python and held a whole pair matrix in memory. These
tests hold the replacements to the old definitions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, dated_face_record, face_surface

import groundstation.change as change
from groundstation.pipeline import process

YEAR_S = 365.25 * 86400


def test_rules_are_read_once_per_comparison(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import groundstation.grading.rules as rules_mod

    defects = [crack_on_face(x, FLY_HEIGHT_M + 0.2, length_m=0.2, wander_m=0.004) for x in (-0.4, 0.0, 0.4)] \
        + [corrosion_on_face(0.6, FLY_HEIGHT_M - 0.1)]
    runs = []
    for name, t0 in (("a", 1.7e9), ("b", 1.7e9 + YEAR_S)):
        runs.append(tmp_path / f"results-{name}")
        process(dated_face_record(tmp_path / f"flight-{name}", defects, t0), runs[-1], face_surface(), progress=False)
    reads = []
    real = rules_mod.load_rules
    monkeypatch.setattr(rules_mod, "load_rules", lambda *a, **k: (reads.append(1), real(*a, **k))[1])
    report = change.compare(runs[0], runs[1])
    graded = [c for c in report.changes if c.current_grade and c.previous_grade]
    assert len(graded) >= 3
    assert len(reads) <= 1  # once per graded finding (twice per pair) before; 0 when grades.json has the states


def _every_pair(p: np.ndarray, q: np.ndarray, r: float) -> list[tuple[int, int]]:
    return [(i, k) for i in range(len(p)) for k in range(len(q)) if float(np.linalg.norm(p[i] - q[k])) <= r]


@pytest.mark.parametrize("radius", [0.0, 0.05, 0.5, 3.0])
def test_pairs_within_keeps_every_pair_in_loop_order(radius: float) -> None:
    rng = np.random.default_rng(2)
    p, q = rng.uniform(0, 4, (300, 3)), rng.uniform(0, 4, (250, 3))
    q[:20] = p[:20]  # the same place in both inspections (distance 0)
    q[20:30] = p[20:30] + [radius, 0.0, 0.0]  # exactly at the gate
    got = change._pairs_within(p, q, radius)
    want = _every_pair(p, q, radius)
    wanted = set(want)
    assert [x for x in got if x in wanted] == want  # a superset, in the double loop's order
    assert got == sorted(got)


def test_pairs_within_without_finite_positions_falls_back_to_every_pair() -> None:
    p, q = np.array([[0.0, 0, 0], [np.nan, 0, 0]]), np.array([[0.1, 0, 0]])
    assert change._pairs_within(p, q, 0.5) == [(0, 0), (1, 0)]
    assert change._pairs_within(np.zeros((0, 3)), q, 0.5) == []


@pytest.mark.parametrize("cells", [1, 7, 1 << 22])
def test_closest_pair_equals_the_whole_matrix_argmin(cells: int) -> None:
    rng = np.random.default_rng(3)
    p, q = rng.uniform(0, 100, (40, 3)), rng.uniform(0, 100, (30, 3))
    q[25], q[5] = p[33] + [0, 0, 9], p[12] + [0, 0, -4]  # a tie in plan view: the first in row-major order wins

    def whole(p: np.ndarray, q: np.ndarray) -> tuple[int, int]:
        flat = np.hypot(*(p[:, None, :2] - q[None, :, :2]).transpose(2, 0, 1))
        i, k = np.unravel_index(int(np.argmin(flat)), flat.shape)
        return int(i), int(k)

    assert change._closest_pair(p, q, cells) == whole(p, q) == (12, 5)
    p[20, 0] = p[30, 1] = np.nan  # argmin takes the first NaN
    assert change._closest_pair(p, q, cells) == whole(p, q)
