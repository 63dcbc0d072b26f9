"""Surfaces: plane, bounded face, cylinder, DEM GeoTIFF (ray marching), sets, heights."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyinspect.errors import InputError
from skyinspect.geodesy import LocalFrame
from skyinspect.surface import PlaneSurface
from skyinspect.surfaces import CylinderSurface, DemSurface, FaceSurface, SurfaceSet, load_surface, surface_from_dict
from skyinspect.surfaces.heights import GeoidUnavailable, geoid_grid_available, geoid_undulation_m

FRAME = LocalFrame(47.397742, 8.545594, 488.0)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_plane_hits_from_outside_only() -> None:
    b = PlaneSurface.ground(*FRAME.to_geodetic(np.zeros(3))).bind(FRAME)
    h = b.intersect(np.array([0, 0, -10.0]), np.array([[0, 0, 1.0], [0.6, 0, 0.8], [0, 0, -1.0]]))
    assert h.hit.tolist() == [True, True, False]
    np.testing.assert_allclose(h.range_m[:2], [10.0, 12.5])
    np.testing.assert_allclose(h.normals[0], [0, 0, -1])
    assert "behind" in b.miss_reason(np.array([0, 0, 5.0]), np.array([0, 0, 1.0]))


def _face() -> FaceSurface:
    lat, lon, alt = FRAME.to_geodetic(np.array([0.0, 2.0, 0.0]))
    # faces west; looking east at it, the viewer's right is south: u runs south
    return FaceSurface.vertical(lat, lon, alt, 270.0, (0.0, 10.0), 5.0, "pier west face")


def test_vertical_face_extent_and_chart() -> None:
    b = _face().bind(FRAME)
    o = np.array([-5.0, 0.0, -2.0])  # 5 m south of the face's north end, 2 m up, 2 m west
    h = b.intersect(o, np.array([[0, 1.0, 0], [0, 1.0, -3.0 / 2.0 * 2]]) / np.array([[1.0], [math.sqrt(1 + 9)]]))
    assert h.hit[0] and not h.hit[1]  # the second ray passes above the 5 m top
    np.testing.assert_allclose(h.points[0], [-5.0, 2.0, -2.0], atol=1e-9)
    np.testing.assert_allclose(b.chart().to_2d(h.points[:1])[0], [5.0, 2.0], atol=1e-9)  # u south, v up
    assert "outside its extent" in b.miss_reason(o, _unit(np.array([0, 0.4, -0.9165])))
    past_end = b.intersect(np.array([3.0, 0, -2.0]), np.array([[0, 1.0, 0]]))
    assert not past_end.hit[0]  # north of the face's end: no imaginary extension


def _tower() -> CylinderSurface:
    lat, lon, alt = FRAME.to_geodetic(np.array([10.0, 0.0, 0.0]))
    return CylinderSurface(lat, lon, alt, radius_m=1.5, length_m=30.0, name="tower")


def test_cylinder_frontal_hit_and_chart_round_trip() -> None:
    b = _tower().bind(FRAME)
    o = np.array([0.0, 0.0, -12.0])
    h = b.intersect(o, np.array([[1.0, 0, 0]]))
    assert h.hit[0]
    assert math.isclose(h.range_m[0], 10.0 - 1.5, abs_tol=1e-9)
    np.testing.assert_allclose(h.normals[0], [-1, 0, 0], atol=1e-9)
    uv = b.chart().to_2d(h.points)
    np.testing.assert_allclose(uv[0], [1.5 * math.pi if uv[0, 0] > 0 else -1.5 * math.pi, 12.0], atol=1e-9)
    np.testing.assert_allclose(b.chart().to_3d(uv), h.points, atol=1e-9)
    assert not b.intersect(o, np.array([[0.0, 1.0, 0]])).hit[0]
    assert not b.intersect(np.array([0.0, 0, 5.0]), np.array([[1.0, 0, 0]])).hit[0]  # below its base
    assert "inside" in b.miss_reason(np.array([10.0, 0.5, -3.0]), np.array([1.0, 0, 0]))


@settings(max_examples=150, deadline=None)
@given(az=st.floats(0, 360), el=st.floats(-60, 60), dist=st.floats(2, 40), h=st.floats(1, 25),
       du=st.floats(-0.5, 0.5), dv=st.floats(-0.5, 0.5))
def test_cylinder_hits_lie_on_the_mantle_and_are_the_first(az: float, el: float, dist: float, h: float,
                                                           du: float, dv: float) -> None:
    b = _tower().bind(FRAME)
    a = math.radians(az)
    o = np.array([10.0 + dist * math.cos(a), dist * math.sin(a), -h])
    ray = _unit(np.array([10.0, 0.0, -h]) - o + np.array([du, dv, math.tan(math.radians(el)) * 0.1]))
    hit = b.intersect(o, ray[None])
    if not hit.hit[0]:
        return
    p = hit.points[0]
    assert math.isclose(math.hypot(p[0] - 10.0, p[1]), 1.5, abs_tol=1e-7)
    before = o + ray * hit.range_m[0] * 0.999
    assert math.hypot(before[0] - 10.0, before[1]) > 1.5
    assert float(hit.normals[0] @ ray) < 0  # seen from outside


# --- DEM ---------------------------------------------------------------------------------------
def _write_dem(path: Path, crs: str, slope: float = 0.5, nodata_hole: bool = False) -> tuple[Path, object]:
    import rasterio
    from pyproj import Transformer
    from rasterio.transform import from_origin

    to = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0 = to.transform(FRAME.lon0_deg, FRAME.lat0_deg)
    geographic = crs in ("EPSG:4326", "EPSG:4979")
    cell = 2e-6 if geographic else 0.25
    n = 800
    rows, cols = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5, indexing="ij")
    left, top = x0 - n / 2 * cell, y0 + n / 2 * cell
    ys = top - rows * cell
    metres = (ys - y0) * (111_000.0 if geographic else 1.0)
    z = (488.0 + slope * metres).astype(np.float32)
    if nodata_hole:
        z[n // 2 - 40:n // 2 + 40, n // 2 - 40:n // 2 + 40] = -9999.0
    with rasterio.open(path, "w", driver="GTiff", height=n, width=n, count=1, dtype="float32", crs=crs,
                       transform=from_origin(left, top, cell, cell), nodata=-9999.0) as ds:
        ds.write(z, 1)

    def height_at(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        _, y = to.transform(lon, lat)
        return 488.0 + slope * (np.asarray(y) - y0) * (111_000.0 if geographic else 1.0)

    return path, height_at


@pytest.mark.parametrize("crs", ["EPSG:32632", "EPSG:2056", "EPSG:4326"])
def test_dem_ray_marching_lands_on_the_dem_in_any_crs(tmp_path: Path, crs: str) -> None:
    path, height_at = _write_dem(tmp_path / "dsm.tif", crs)
    b = load_surface(path).bind(FRAME)
    o = np.array([0.0, 0.0, -40.0])
    rays = _unit(np.array([[0, 0, 1.0], [0.4, 0.1, 1.0], [-0.5, 0.3, 1.0], [0.2, -0.6, 0.8]]))
    h = b.intersect(o, rays)
    assert h.hit.all()
    geo = FRAME.to_geodetic(h.points)
    np.testing.assert_allclose(geo[:, 2], height_at(geo[:, 0], geo[:, 1]), atol=0.005)
    # the points lie on the rays, and the normal leans towards the down-slope side (south here)
    np.testing.assert_allclose(np.cross(h.points - o, rays), 0, atol=1e-6)
    assert (h.normals[:, 0] < -0.2).all() and (h.normals[:, 2] < 0).all()


def test_dem_bad_cases_have_clear_reasons(tmp_path: Path) -> None:
    path, _ = _write_dem(tmp_path / "dsm.tif", "EPSG:32632", slope=0.0, nodata_hole=True)
    b = DemSurface(str(path), name="site DSM").bind(FRAME)
    o = np.array([0.0, 0.0, -40.0])
    down = np.array([[0, 0, 1.0]])
    assert not b.intersect(o, down).hit[0]  # onto the nodata hole
    assert "does not cover" in b.miss_reason(o, down[0])
    far = np.array([5000.0, 0.0, -40.0])  # 5 km away, outside the 200 m DEM
    assert not b.intersect(far, down).hit[0] and "does not cover" in b.miss_reason(far, down[0])
    up = np.array([0.3, 0, -1.0]) / math.hypot(0.3, 1)
    assert not b.intersect(np.array([60.0, 0, -40.0]), up[None]).hit[0]
    assert "sky" in b.miss_reason(np.array([60.0, 0, -40.0]), up)


def test_dem_without_crs_or_file_is_an_input_error(tmp_path: Path) -> None:
    import rasterio

    with rasterio.open(tmp_path / "nocrs.tif", "w", driver="GTiff", height=4, width=4, count=1,
                       dtype="float32") as ds:
        ds.write(np.zeros((4, 4), np.float32), 1)
    with pytest.raises(InputError, match="no CRS"):
        DemSurface(str(tmp_path / "nocrs.tif")).bind(FRAME)
    with pytest.raises(InputError, match="not found"):
        DemSurface(str(tmp_path / "missing.tif")).bind(FRAME)


def test_ellipsoidal_dem_needs_a_geoid_and_applies_it(tmp_path: Path) -> None:
    path, height_at = _write_dem(tmp_path / "dsm.tif", "EPSG:4979", slope=0.0)
    if not geoid_grid_available():
        with pytest.raises(GeoidUnavailable, match="us_nga_egm96_15.tif"):
            DemSurface(str(path)).bind(FRAME)
    b = DemSurface(str(path), geoid_undulation_m=48.0).bind(FRAME)  # DEM says 488 m ellipsoidal
    h = b.intersect(np.array([0.0, 0, -40.0]), np.array([[0, 0, 1.0]]))
    assert math.isclose(FRAME.to_geodetic(h.points)[0, 2], 488.0 - 48.0, abs_tol=0.005)  # 440 m MSL


def test_geoid_undulation_is_given_or_refused() -> None:
    assert geoid_undulation_m(47.0, 8.0, 47.6) == 47.6
    if geoid_grid_available():  # a machine with the PROJ grid: Zurich N ≈ 47-48 m (EGM96)
        assert 45 < float(geoid_undulation_m(47.4, 8.5)) < 50
    else:
        with pytest.raises(GeoidUnavailable):
            geoid_undulation_m(47.4, 8.5)


def test_surface_files_round_trip_and_sets_take_the_nearest(tmp_path: Path) -> None:
    ground = PlaneSurface.ground(*FRAME.to_geodetic(np.zeros(3)))
    surfaces = SurfaceSet((ground, _face(), _tower()), "site")
    (tmp_path / "s.json").write_text(json.dumps(surfaces.to_dict()))
    again = load_surface(tmp_path / "s.json")
    assert isinstance(again, SurfaceSet) and [s.name for s in again.surfaces] == ["ground", "pier west face", "tower"]
    assert surface_from_dict({"point": {"lat_deg": 1, "lon_deg": 2, "alt_msl_m": 3}, "normal_enu": [0, 0, 1]})
    b = again.bind(FRAME)
    hits, which = b.intersect_with_index(np.array([-5.0, 0, -2.0]), np.array([[0, 1.0, 0], [0, 0, 1.0], [1.0, 0, 0]]))
    assert which.tolist() == [1, 0, 2]
    with pytest.raises(InputError, match="unknown surface"):
        surface_from_dict({"surface": "sphere"})
