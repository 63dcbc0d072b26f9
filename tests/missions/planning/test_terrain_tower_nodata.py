"""A wind turbine whose tower stands on the DEM's nodata (a gap in a survey, a DSM's masked building): its ground
is unknown, so the turbine cannot be checked standing on it. It was taken as level with home's ground without a
word, and the note said 'The structure was checked standing on that ground': over ground falling 1 % north,
which refuses the flight where the DEM has the tower's ground (test_terrain_turbine_gsd.py), a 4 m hole at the
tower passed it. Synthetic DEM (rasterio, ``test_terrain._synthetic_dem``); no real DEM of the site is in
shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from missions.planning import Requirement, get_camera, load_asset
from missions.planning.planner import plan_flights

from .test_terrain import _synthetic_dem

TURBINE = Path(__file__).resolve().parents[3] / "missions" / "examples" / "wind_turbine.yaml"


@pytest.fixture(scope="module")
def plans():
    return plan_flights(load_asset(TURBINE), get_camera("dji_h20_zoom"),
                        Requirement(crack_width_mm=8.0, exposure_s=0.0005))


def _hole_at_the_tower(tmp_path: Path, plans, radius_m: float) -> Path:
    import rasterio
    from pyproj import Transformer

    site, asset = plans[0].asset.site, plans[0].asset
    dem = _synthetic_dem(tmp_path / "north.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.0, rise_north=-0.01)
    lat, lon = asset.tower_base_lat_lon
    with rasterio.open(dem, "r+") as ds:
        x, y = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True).transform(lon, lat)
        z = ds.read(1)
        rows, cols = np.indices(z.shape)
        xs, ys = ds.xy(rows.ravel(), cols.ravel())
        z[np.hypot(np.reshape(xs, z.shape) - x, np.reshape(ys, z.shape) - y) < radius_m] = ds.nodata
        ds.write(z, 1)
    return dem


def test_a_tower_on_the_dems_nodata_is_said_not_taken_as_home_level(tmp_path, plans):
    from missions.planning.safety import PlanRefusedError
    from missions.planning.terrain import check_terrain

    dem = _hole_at_the_tower(tmp_path, plans, 4.0)
    try:
        said = list(check_terrain(plans, dem))
    except PlanRefusedError as err:
        said = [m for _, _, m in err.value.violations]
    text = " ".join(said)
    assert "nan" not in text, said
    assert any("no data at the turbine's tower" in m and dem.name in m for m in said), said
    assert "checked standing on that ground" not in text, said
