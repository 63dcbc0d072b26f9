"""Shared fixtures: the example bridge planned once (2 mm cracks keep it small: 138 photos, 13 min; the
round pier alone takes 114 because each photo only counts where the curved surface keeps the GSD)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from missions.planning import Requirement, get_camera, load_asset, plan_inspection
from missions.planning.loopback import LoopbackVehicle, free_port

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "missions" / "examples"
FIXTURES = ROOT / "tests" / "data" / "missions"
FAST = Requirement(crack_width_mm=2.0, exposure_s=0.0005)


@pytest.fixture
def vehicle_defaults() -> dict:
    """LoopbackVehicle options a test module wants by default (a module overrides this fixture)."""
    return {}


@pytest.fixture
def vehicle(request, vehicle_defaults):
    """A loopback vehicle on a free port for one test, with ``vehicle_defaults`` and any indirect
    parametrisation's options; the test fails if the vehicle raised."""
    v = LoopbackVehicle(free_port(), lifetime_s=20.0, **(vehicle_defaults | getattr(request, "param", {})))
    v.start()
    assert v.ready.wait(5)
    yield v
    v.stop()
    v.join(3)
    assert v.error is None


@pytest.fixture(scope="session")
def bridge():
    return load_asset(EXAMPLES / "bridge.yaml")


@pytest.fixture(scope="session")
def bridge_plan(bridge):
    return plan_inspection(bridge, get_camera("dji_h20_zoom"), FAST, "ardupilot")


@pytest.fixture(scope="session")
def bridge_plan_px4(bridge):
    return plan_inspection(bridge, get_camera("dji_h20_zoom"), FAST, "px4")


def fd_gsd(cam, c_ned, r_ned_cam, points_ned, normals_ned, eps_m=1e-4):
    """Worst-direction GSD (m/px) by finite differences of ``CameraModel.project``: the longest
    surface distance one pixel spans, 1 / the smallest singular value of d(pixel)/d(surface).
    Independent of ``missions.planning.gsd`` (its own tangents, no analytic Jacobian)."""
    n = np.atleast_2d(normals_ned)
    helper = np.where(np.abs(n[:, :1]) < 0.8, np.array([[1.0, 0.0, 0.0]]), np.array([[0.0, 1.0, 0.0]]))
    a = helper - (helper * n).sum(1, keepdims=True) * n
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b = np.cross(n, a)
    proj = lambda p: cam.project((p - c_ned) @ r_ned_cam)  # noqa: E731
    uv0 = proj(points_ned)
    jac = np.stack([(proj(points_ned + eps_m * t) - uv0) / eps_m for t in (a, b)], axis=2)
    return 1.0 / np.linalg.svd(jac, compute_uv=False)[:, -1], uv0


def seen(cam, c_ned, points_ned, normals_ned, uv, r_ned_cam, max_incidence_deg=60.0):
    """In front, inside the image, facing the camera at less than ``max_incidence_deg``."""
    z = (points_ned - c_ned) @ r_ned_cam[:, 2]
    to_cam = c_ned - points_ned
    cos_i = (normals_ned * to_cam).sum(1) / np.linalg.norm(to_cam, axis=1)
    return (z > 0) & (uv[:, 0] >= -0.5) & (uv[:, 0] <= cam.width_px - 0.5) & (uv[:, 1] >= -0.5) & \
        (uv[:, 1] <= cam.height_px - 0.5) & (cos_i > np.cos(np.radians(max_incidence_deg)))


def lane_speeds(items) -> list[float | None]:  # type: ignore[no-untyped-def]
    """The ground speed in force (the last DO_CHANGE_SPEED before it) at each photo lane's start."""
    from missions.planning.mission import DO_CHANGE_SPEED, DO_SET_CAM_TRIGG_DIST

    speed, out = None, []
    for it in items:
        if it.command == DO_CHANGE_SPEED:
            speed = it.params[1]
        elif it.command == DO_SET_CAM_TRIGG_DIST and it.params[0] > 0:
            out.append(speed)
    return out
