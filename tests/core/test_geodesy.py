import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyinspect.geodesy import LocalFrame, utm_crs_for
from skyinspect.surface import PlaneSurface, intersect_plane


@settings(max_examples=100, deadline=None)
@given(n=st.floats(-2000, 2000), e=st.floats(-2000, 2000), d=st.floats(-300, 50))
def test_ned_round_trip(n: float, e: float, d: float) -> None:
    frame = LocalFrame(47.397742, 8.545594, 488.1)
    lat, lon, h = frame.to_geodetic(np.array([n, e, d]))
    assert frame.to_ned(lat, lon, h) == pytest.approx([n, e, d], abs=1e-6)


def test_known_offset_matches_pier_geometry() -> None:
    # shared/data/telemetry/arducopter_sitl_facade/geometry.json: face centre is 15 m N, 15 m E of home
    frame = LocalFrame(47.397742, 8.545594, 488.1)
    ned = frame.to_ned(47.3978767480743, 8.545793064977508, 488.1)
    assert ned == pytest.approx([15.0, 15.0, 0.0], abs=0.05)


def test_utm_zone() -> None:
    assert utm_crs_for(47.4, 8.5).to_epsg() == 32632
    assert utm_crs_for(-33.9, 151.2).to_epsg() == 32756


def test_intersect_vertical_plane() -> None:
    frame = LocalFrame(47.0, 8.0, 500.0)
    face = PlaneSurface(47.0, 8.0 + 10 / 75_900, 500.0, (-1.0, 0.0, 0.0))  # ~10 m east, facing west
    origin = np.zeros(3)
    pts, rng = intersect_plane(origin, np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]),
                               face.point_ned(frame), face.normal_ned())
    assert rng[0] == pytest.approx(face.point_ned(frame)[1], rel=1e-9)
    assert np.isnan(rng[1]) and np.isnan(rng[2])  # pointing away / parallel
    assert pts[0][1] == pytest.approx(rng[0])


def test_surface_file_round_trip_and_errors(tmp_path) -> None:
    from skyinspect.errors import InputError

    face = PlaneSurface(47.1, 8.2, 498.0, (-2.0, 0.0, 0.0), "pier west face")
    face.save(tmp_path / "s.json")
    assert PlaneSurface.load(tmp_path / "s.json") == face
    (tmp_path / "bad.json").write_text('{"point": {"lat_deg": 1}}')
    with pytest.raises(InputError, match="bad.json"):
        PlaneSurface.load(tmp_path / "bad.json")


def test_arrays_with_one_height_broadcast() -> None:
    frame = LocalFrame(47.0, 8.0, 500.0)
    ned = frame.to_ned(np.array([47.0, 47.0001]), np.array([8.0, 8.0]), 500.0)
    assert ned.shape == (2, 3) and ned[1, 0] == pytest.approx(11.1, abs=0.1)


def test_numpy_scalars_make_the_same_frame() -> None:
    # an origin taken from an array (np.float64) once built a PROJ pipeline from "np.float64(...)"
    # and put every point millions of metres away, silently
    plain = LocalFrame(47.3979, 8.5458, 490.0)
    from_array = LocalFrame(*np.array([47.3979, 8.5458, 490.0]))
    assert from_array == plain and isinstance(from_array.lat0_deg, float)
    assert np.allclose(from_array.to_ned(47.398, 8.546, 491.0), plain.to_ned(47.398, 8.546, 491.0))
    assert np.abs(from_array.to_ned(47.398, 8.546, 491.0)).max() < 20
