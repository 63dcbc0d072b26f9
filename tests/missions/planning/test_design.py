"""Planning back from grading: crack → GSD → standoff → spacing → speed, against the pinhole formula."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyinspect.errors import InputError

from missions.planning import Requirement, builtin_cameras, design_for, get_camera, load_camera_file
from missions.planning.assets import Site
from missions.planning.coverage import camera_rotation

from .conftest import EXAMPLES

SITE = Site(ground_alt_msl_m=400.0, home_lat_lon=(47.0, 8.0), min_standoff_m=3.0, max_speed_m_s=5.0)


def test_pixels_across_rule():
    assert Requirement(crack_width_mm=0.3, pixels_across_crack=2).gsd_required_m == pytest.approx(0.15e-3)


def test_profiles_match_published_numbers():
    cams = builtin_cameras()
    assert {"dji_h20_zoom", "dji_h20_wide", "dji_m3e_wide", "dji_p1_35mm", "imx477_6mm"} <= set(cams)
    imx = cams["imx477_6mm"]
    assert imx.pixel_pitch_mm == pytest.approx(1.55e-3, rel=0.01)  # 1.55 um pixels
    assert cams["dji_h20_zoom"].is_zoom and not cams["dji_p1_35mm"].is_zoom
    # Skydio X10 (support pages): 0.8 um pixels, HFOV 40 deg, factory-calibrated fx 12668 px
    x10 = cams["skydio_x10_narrow"]
    assert x10.pixel_pitch_mm == pytest.approx(0.8e-3, rel=0.01)
    assert x10.hfov_deg(x10.focal_length_mm) == pytest.approx(40.0, abs=1.5)
    assert x10.fx_px(x10.focal_length_mm) == pytest.approx(12668.3, rel=0.03)
    assert cams["skydio_x10_wide"].pixel_pitch_mm == pytest.approx(1.6e-3, rel=0.01)
    assert cams["skydio_x10_tele"].focal_length_mm == 35.0


@settings(max_examples=40, deadline=None)
@given(crack=st.floats(0.1, 5.0), name=st.sampled_from(sorted(builtin_cameras())))
def test_planned_gsd_within_2pct_of_pinhole(crack, name):
    cam = get_camera(name)
    req = Requirement(crack_width_mm=crack)
    try:
        d = design_for(req, cam, SITE)
    except InputError:
        assert cam.gsd_m(SITE.min_standoff_m, cam.focal_length_max_mm) > req.gsd_required_m
        return
    formula = d.standoff_m * cam.pixel_pitch_mm / d.focal_length_mm  # GSD = H x pitch / f
    model = cam.model(d.focal_length_mm).gsd_m(d.standoff_m)  # the project's CameraModel
    assert abs(model - formula) / formula < 0.02
    assert abs(d.gsd_m_per_px - req.gsd_required_m) / req.gsd_required_m < 0.02
    assert d.standoff_m >= SITE.min_standoff_m - 1e-9


def test_flown_gsd_matches_formula(bridge_plan):
    """GSD from the actual photo positions: the range along the optical axis to the face plane."""
    d = bridge_plan.design
    cam = bridge_plan.camera.model(d.focal_length_mm)
    errs = []
    for s in bridge_plan.surfaces:
        if s.plane is None:
            continue
        origin, normal = s.plane[0], s.normals_ned[0]
        for ps in bridge_plan.passes:
            if not ps.name.startswith(s.name):
                continue
            for c, yaw, pitch in ps.stations():
                axis = camera_rotation(yaw, pitch)[:, 2]
                rng = float((origin - c) @ normal / (axis @ normal))
                errs.append(abs(cam.gsd_m(rng) - d.gsd_m_per_px) / d.gsd_m_per_px)
    assert errs and max(errs) < 0.02


def test_camera_that_cannot_reach_gsd_is_refused():
    with pytest.raises(InputError, match=r"dji_p1_35mm: cannot reach GSD 0.150 mm/px .* minimum standoff 3.0 m"):
        design_for(Requirement(crack_width_mm=0.3), get_camera("dji_p1_35mm"), SITE)


def test_zoom_flies_at_preferred_standoff_and_speed_limits():
    d = design_for(Requirement(crack_width_mm=0.3, exposure_s=0.001, max_blur_px=0.5), get_camera("dji_h20_zoom"), SITE)
    assert d.standoff_m == pytest.approx(4.0)  # minimum 3 m + 1 m margin
    assert d.speed_limited_by == "motion blur"
    assert d.speed_m_s == pytest.approx(0.5 * 0.15e-3 / 0.001)
    assert d.spacing_along_m == pytest.approx(d.footprint_w_m * 0.3)
    assert d.spacing_across_m == pytest.approx(d.footprint_h_m * 0.4)
    assert d.blur_px <= 0.5 + 1e-9 and math.isfinite(d.blur_px)


def test_bad_requirement_named():
    with pytest.raises(InputError, match="front_overlap"):
        Requirement(front_overlap=0.99)
    assert np.isfinite(Requirement().gsd_required_m)


@pytest.mark.parametrize("change, match", [
    # sensor size in metres: a ~7 km standoff planned, refused as "does not fit one battery"
    ({"sensor_width_mm": 0.0076, "sensor_height_mm": 0.0057},
     (r"cam.json: camera 'h20_zoom_upward_gimbal': expected sensor_width_mm / width_px of 0.3-50 um a pixel, "
      r"got 0.00147 um .*Give the sensor size in millimetres")),
    ({"focal_length_mm": 0.00683, "focal_length_max_mm": 0.11994}, r"expected focal_length_mm of at least 0.33"),
    # a misspelt key was ignored: 'exposure' (for exposure_s) planned with the 1 ms default
    ({"exposure": 0.002}, r"got unknown \['exposure'\]. Did you mean 'exposure_s'\?"),
    # was "'<' not supported between instances of 'str' and 'float'"
    ({"focal_length_max_mm": "abc"}, r"expected positive numbers, got \[\('focal_length_max_mm', 'abc'\)\]"),
    ({"gimbal_max_up_deg": 900}, r"expected gimbal_max_up_deg in \[0, 90\]"),  # was planned with it
])
def test_camera_file_units_and_types_checked(tmp_path, change, match):
    d = json.loads((EXAMPLES / "camera_upward_gimbal.json").read_text()) | change
    (tmp_path / "cam.json").write_text(json.dumps(d))
    with pytest.raises(InputError, match=match):
        load_camera_file(tmp_path / "cam.json")


@pytest.mark.parametrize("kwargs, match", [
    ({"pixels_across_crack": 0}, (r"pixels_across_crack: expected a finite number >= 1, got 0. Fix the "
                                  r"--pixels-across option")),  # named --pixels-across-crack, which does not exist
    ({"crack_width_mm": math.inf}, r"crack_width_mm: expected in \(0, 50\] millimetres, got inf"),  # was a traceback
    ({"crack_width_mm": 300.0}, r"crack_width_mm: expected in \(0, 50\] millimetres, got 300.0"),  # micrometres
    ({"exposure_s": math.inf}, r"exposure_s: expected a finite number > 0, got inf. Fix the --exposure-s option"),
])
def test_requirement_options_named_as_the_cli_spells_them(kwargs, match):
    with pytest.raises(InputError, match=match):
        Requirement(**kwargs)
