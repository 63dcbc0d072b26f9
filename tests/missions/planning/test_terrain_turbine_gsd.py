"""A wind turbine stands on the DEM's ground at its tower: where that is lower than home's the blades are
lower than planned and the photos of their edges farther from them, coarser than grading needs. Only a
pipeline's photos were checked for it (test_terrain_gsd.py); a turbine's passed with a note.

Synthetic DEMs (a plane falling or rising northwards, written with rasterio, ``test_terrain._synthetic_dem``);
no real DEM of the example site is in shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from missions.planning import Requirement, get_camera, load_asset
from missions.planning.planner import plan_flights
from missions.planning.safety import PlanRefusedError

from .test_terrain import _synthetic_dem

TURBINE = Path(__file__).resolve().parents[3] / "missions" / "examples" / "wind_turbine.yaml"


@pytest.fixture(scope="module")
def plans():
    return plan_flights(load_asset(TURBINE), get_camera("dji_h20_zoom"),
                        Requirement(crack_width_mm=8.0, exposure_s=0.0005))


def _north_slope(tmp_path, plans, rise: float) -> Path:
    site = plans[0].asset.site
    return _synthetic_dem(tmp_path / f"north_{rise:g}.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.0,
                          rise_north=rise)


def test_a_turbine_on_lower_ground_seen_too_coarse_is_refused(tmp_path, plans):
    """Ground falling 1 % north: the tower's base (100 m north) 1.0 m below home's. Blade 2's and 3's edge
    lines (6 photos each, flight 1 of 2) see their blade at 4.19 mm/px where 4.00 is required: it passed, every
    leg clear."""
    from missions.planning.terrain import check_terrain

    with pytest.raises(PlanRefusedError) as err:
        check_terrain(plans, _north_slope(tmp_path, plans, -0.01))
    said = [m for _, _, m in err.value.violations]
    assert len(said) == 1, said
    assert "flight 1: 12 of 226 photos see the turbine coarser than the required GSD 4.00 mm/px" in said[0], said
    assert "4.19 mm/px" in said[0] and "ground -1.00 m from home's" in said[0], said


def test_a_turbine_on_higher_ground_within_the_tolerance_passes_and_says_the_gsd(tmp_path, plans):
    """Rising 1 % north (the base 1.0 m above home's): the worst photo 4.00 -> 4.004 mm/px, within 2 %."""
    from missions.planning.terrain import check_terrain

    notes = check_terrain(plans, _north_slope(tmp_path, plans, 0.01))
    assert any("GSD at the turbine" in n and "to 4.00 mm/px" in n for n in notes), notes
