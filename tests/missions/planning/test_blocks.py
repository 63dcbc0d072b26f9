"""Point blocks (blocks.py): the coverage check's culling must not change which points a photo sees."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missions.planning import get_camera
from missions.planning.blocks import point_blocks
from missions.planning.geometry import Frustum, frustum_surface
from missions.planning.gsd import camera_rotation, seen_gsd_m, tangent_basis, view_half_tangents
from skyinspect.errors import InputError


def _cloud(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points on a few random patches (a surface-like cloud) with normals that vary across each."""
    pts, nrm = [], []
    for _ in range(4):
        centre = rng.uniform(-8, 8, 3)
        normal = rng.normal(size=3)
        normal /= np.linalg.norm(normal)
        t1 = np.cross(normal, rng.normal(size=3))
        t1 /= np.linalg.norm(t1)
        t2 = np.cross(normal, t1)
        a, b = rng.uniform(-3, 3, (2, n // 4, 1))
        pts.append(centre + a * t1 + b * t2 + 0.3 * np.sin(a + b) * normal)  # gently curved
        bent = normal + 0.4 * np.cos(a) * t1
        nrm.append(bent / np.linalg.norm(bent, axis=1, keepdims=True))
    return np.concatenate(pts), np.concatenate(nrm)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), cell=st.floats(0.05, 4.0), focal=st.sampled_from([4.5, 12.0, 40.0]))
def test_blocks_see_exactly_what_every_point_sees(seed, cell, focal):
    rng = np.random.default_rng(seed)
    pts, nrm = _cloud(rng, 800)
    cam = get_camera("dji_h20_zoom").model(focal)
    blocks = point_blocks(pts, cell, nrm)
    tangents = tangent_basis(nrm)
    tan_u, tan_v = view_half_tangents(cam)
    for _ in range(5):
        c = rng.uniform(-15, 15, 3)
        r = camera_rotation(rng.uniform(0, 360), rng.uniform(-90, 30))
        idx_all, g_all = seen_gsd_m(cam, c, r, pts, nrm, tangents)
        idx, g = seen_gsd_m(cam, c, r, pts, nrm, tangents, blocks.candidates(c, r, tan_u, tan_v))
        assert np.array_equal(idx, idx_all)
        assert np.array_equal(g, g_all)


def test_blocks_partition_the_points_with_honest_bounds():
    rng = np.random.default_rng(3)
    pts, nrm = _cloud(rng, 2000)
    b = point_blocks(pts, 0.7, nrm)
    assert np.array_equal(np.sort(b.order), np.arange(len(pts)))  # every point in exactly one block
    for k in range(b.count):
        members = b.order[b.starts[k]:b.starts[k + 1]]
        assert len(members) > 0 and np.all(np.diff(members) > 0)
        assert np.all(np.linalg.norm(pts[members] - b.centres_ned[k], axis=1) <= b.radius_m + 1e-9)
        angle = np.arccos(np.clip(nrm[members] @ b.normals_ned[k], -1, 1))
        assert np.all(angle <= b.normal_spread_rad[k] + 1e-9)


def test_a_tower_seen_from_one_side_skips_its_far_side():
    """Where the time goes: the far side of a tower lies in the view pyramid, but faces away."""
    tower = Frustum("tower", (0.0, 0.0), 2.0, 1.5, 0.0, 60.0)
    surface = frustum_surface("tower", tower, 0.0, 60.0, 0.05)
    cam = get_camera("dji_h20_zoom").model(12.0)
    blocks = point_blocks(surface.points_ned, 8 * surface.spacing_m, surface.normals_ned)
    c, r = np.array([8.0, 0.0, -30.0]), camera_rotation(180.0, 0.0)  # north of the tower, looking south
    cand = blocks.candidates(c, r, *view_half_tangents(cam))
    idx, _ = seen_gsd_m(cam, c, r, surface.points_ned, surface.normals_ned, None, cand)
    assert len(idx) > 0 and np.all(surface.points_ned[cand, 0] > -0.5)  # nothing from the far (south) side
    assert len(cand) < 0.05 * len(surface.points_ned)


def test_cancelling_normals_are_never_skipped():
    """A thin part's two faces in one cube: the mean normal is zero, the cube always kept."""
    pts = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.01]])
    nrm = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]])
    b = point_blocks(pts, 1.0, nrm)
    assert b.count == 1 and b.normal_spread_rad[0] == pytest.approx(math.pi)


@pytest.mark.parametrize("points, cell, normals, match", [
    (np.zeros((4, 2)), 1.0, None, "expected an \\(N, 3\\) array"),
    (np.zeros((4, 3)), 0.0, None, "positive length"),
    (np.zeros((4, 3)), float("nan"), None, "positive length"),
    (np.zeros((4, 3)), 1.0, np.zeros((3, 3)), "like the points"),
])
def test_bad_input_says_what_was_expected(points, cell, normals, match):
    with pytest.raises(InputError, match=match):
        point_blocks(points, cell, normals)


def test_no_points_no_blocks():
    b = point_blocks(np.zeros((0, 3)), 1.0)
    assert b.count == 0
    assert len(b.candidates(np.zeros(3), np.eye(3), 1.0, 1.0)) == 0
