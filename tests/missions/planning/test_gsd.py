"""Local GSD (gsd.py) against finite differences through CameraModel, and the zoom standoff option."""

from __future__ import annotations

import numpy as np
import pytest

from missions.planning import Requirement, design_for, get_camera
from missions.planning.assets import Site
from missions.planning.gsd import camera_rotation, frame_gsd_m, local_gsd_m, plane_gsd_batch_m

from .conftest import fd_gsd, seen

SITE = Site(ground_alt_msl_m=400.0, home_lat_lon=(47.0, 8.0), min_standoff_m=3.0)


@pytest.mark.parametrize("seed", range(5))
def test_local_gsd_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    cam = get_camera("dji_h20_zoom").model(12.0)
    c = rng.uniform(-2, 2, 3)
    yaw, pitch = rng.uniform(0, 360), rng.uniform(-60, 45)
    r = camera_rotation(yaw, pitch)
    # surface points in front of the camera, random tangent planes facing it
    pts = c + (r @ np.array([0.0, 0.0, 1.0])) * rng.uniform(3, 15, (400, 1)) + rng.normal(0, 0.7, (400, 3))
    normals = (c - pts) / np.linalg.norm(c - pts, axis=1, keepdims=True) + rng.normal(0, 0.4, (400, 3))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    ours = local_gsd_m(cam, c, r, pts, normals)
    ref, uv = fd_gsd(cam, c, r, pts, normals, eps_m=1e-5)
    m = seen(cam, c, pts, normals, uv, r)
    assert m.sum() > 50
    assert np.allclose(ours[m], ref[m], rtol=1e-3)
    assert np.array_equal(np.isfinite(frame_gsd_m(cam, c, r, pts, normals)), m)


def test_square_and_oblique_formulas():
    """Square to a face: depth / fx; tilted by i at the image centre: range / (fx cos i)."""
    cam = get_camera("dji_h20_zoom").model(10.0)
    c = np.zeros(3)
    for tilt in (0.0, 20.0, 45.0):
        r = camera_rotation(0.0, tilt)  # looking north, pitched up by tilt at a vertical face 5 m north
        axis = r[:, 2]
        target = axis * (5.0 / axis[0])
        rng_m = float(np.linalg.norm(target))
        g = local_gsd_m(cam, c, r, target[None, :], np.array([[-1.0, 0.0, 0.0]]))[0]
        assert g == pytest.approx(rng_m / cam.fy_px / np.cos(np.radians(tilt)), rel=1e-6)
        batch = plane_gsd_batch_m(cam, c[None, :], 0.0, np.array([tilt]), target[None, :], np.array([-1.0, 0.0, 0.0]))
        assert batch[0, 0] == pytest.approx(g, rel=1e-9)


def test_zoom_standoff_option():
    req = Requirement(crack_width_mm=1.0)
    near = design_for(req, get_camera("dji_h20_zoom"), SITE)
    far = design_for(req, get_camera("dji_h20_zoom"), SITE, standoff_m=8.0)
    assert far.standoff_m == pytest.approx(8.0) and far.focal_length_mm == pytest.approx(2 * near.focal_length_mm)
    assert far.footprint_w_m == pytest.approx(near.footprint_w_m)  # same GSD, same footprint
    prime = design_for(req, get_camera("dji_p1_35mm"), Site(400.0, (47.0, 8.0), min_standoff_m=3.0), standoff_m=4.0)
    assert prime.focal_length_mm == 35.0  # a prime lens flies the range its GSD needs
