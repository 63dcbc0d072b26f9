"""Terrain under the flight (``skyinspect plan --dem``): the planner flies heights above home over flat
ground; a bare-earth DEM refuses a flight that the ground under it rises into.

The DEMs here are synthetic (a plane written with rasterio), labelled so: no real DEM of the example
sites is in shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app

from missions.planning import Requirement, get_camera, load_asset
from missions.planning.planner import plan_flights
from missions.planning.safety import PlanRefusedError, flight_legs

ROOT = Path(__file__).resolve().parents[3]
PIPELINE = ROOT / "missions" / "examples" / "pipeline.geojson"
COARSE = ["--crack-width-mm", "8.0", "--exposure-s", "0.0005"]


def _synthetic_dem(path: Path, lat0: float, lon0: float, base_m: float, rise_east: float,
                   crs: str = "EPSG:32632", raised: tuple[tuple[tuple[float, float], ...], float, float] | None = None,
                   east_m: float = 500.0, rise_north: float = 0.0) -> Path:
    """A synthetic plane: ``base_m`` at (lat0, lon0), rising ``rise_east`` m per metre eastwards (and
    ``rise_north`` northwards), 1 m cells;
    ``raised``: (outline lat/lon, metres, inset m): that high above it inside the outline moved in by the inset;
    it reaches ``east_m`` east of home."""
    import rasterio
    import shapely
    from pyproj import Transformer
    from rasterio.transform import from_origin

    to = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0 = to.transform(lon0, lat0)
    # 1 m cells (in degrees for a geographic CRS)
    cx, cy = (1.0, 1.0) if to.target_crs.is_projected else (1 / (111_320 * np.cos(np.radians(lat0))), 1 / 111_320)
    n, cols = 700, int(200 + east_m)
    left, top = x0 - 200.0 * cx, y0 + 350.0 * cy
    xs = left + (np.arange(cols) + 0.5) * cx
    ys = top - (np.arange(n) + 0.5) * cy
    z = (base_m + rise_east * (xs[None, :] - x0) / cx + rise_north * (ys[:, None] - y0) / cy).astype(np.float32)
    if raised is not None:
        outline = shapely.Polygon([to.transform(lon, lat) for lat, lon in raised[0]]).buffer(-raised[2])
        xx, yy = np.meshgrid(xs, ys)
        z[shapely.contains_xy(outline, xx, yy)] += raised[1]
    with rasterio.open(path, "w", driver="GTiff", height=n, width=cols, count=1, dtype="float32", crs=crs,
                       transform=from_origin(left, top, cx, cy), nodata=-9999.0) as ds:
        ds.write(z, 1)
    return path


@pytest.fixture(scope="module")
def pipeline_plans():
    asset = load_asset(PIPELINE)
    return plan_flights(asset, get_camera("dji_h20_zoom"), Requirement(crack_width_mm=8.0, exposure_s=0.0005))


def _lowest_agl_east_of(plans, east_m: float) -> float:
    p = plans[0]
    pts = np.concatenate([leg.samples() for leg in flight_legs(p.items, p.frame, p.asset.site)
                          if p.items[leg.seq - 1].command == 16])
    return float(-pts[pts[:, 1] > east_m, 2].min())


def test_slope_under_the_pipeline_refuses_the_flight(tmp_path, pipeline_plans):
    from missions.planning.terrain import check_terrain

    site = pipeline_plans[0].asset.site
    lat0, lon0 = site.home_lat_lon
    # 10 % up to the east (a hillside): 24.8 m higher at the far end (248 m east); the lanes fly 14.5 m above home
    low = _lowest_agl_east_of(pipeline_plans, 200.0)
    assert low < 0.1 * 200.0 + site.min_flight_agl_m
    dem = _synthetic_dem(tmp_path / "slope.tif", lat0, lon0, site.ground_alt_msl_m, 0.1)
    with pytest.raises(PlanRefusedError) as err:
        check_terrain(pipeline_plans, dem)
    text = str(err.value)
    assert "rule terrain" in text and "slope.tif" in text and "NAV_WAYPOINT" in text, text
    assert all(rule == "terrain" for rule, _, _ in err.value.violations)


def test_a_pipe_standing_on_rising_ground_is_kept_the_standoff_from(tmp_path):
    """A pipe stands on the ground: where the ground rises 2 % east (5 m at the far end), the pipe stands that much
    higher than the flat layout put it. The example pipeline with one line over the pipe at 3 mm cracks flies
    8.4 m above home, 7 m over the pipe: every leg still clears the ground by 2 m, but the line comes within
    5 m (the site's standoff) of the raised pipe from about 100 m east of home on."""
    import json

    from missions.planning.terrain import check_terrain

    doc = json.loads(PIPELINE.read_text())
    doc["properties"]["inspect"]["offset_lines"] = 1
    (tmp_path / "pipe.geojson").write_text(json.dumps(doc))
    asset = load_asset(tmp_path / "pipe.geojson")
    plans = plan_flights(asset, get_camera("dji_h20_zoom"), Requirement(crack_width_mm=3.0, exposure_s=0.0005))
    site = asset.site
    assert "terrain: flat.tif" in check_terrain(
        plans, _synthetic_dem(tmp_path / "flat.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.0))[0]
    dem = _synthetic_dem(tmp_path / "slope2.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.02)
    with pytest.raises(PlanRefusedError) as err:
        check_terrain(plans, dem)
    text = str(err.value)
    assert "rule terrain" in text and "from pipe segment" in text and "minimum standoff is 5 m" in text, text
    assert "below the ground" not in text and "above the ground" not in text  # the ground itself is cleared


def test_flat_dem_passes_whatever_its_datum(tmp_path, pipeline_plans):
    """Heights are flown relative to home: a DEM 11.9 m off the site's ground_alt_msl_m (another datum, a
    DSM's offset) but flat passes, and the note says how far the DEM at home is from the site's height."""
    from missions.planning.terrain import check_terrain

    site = pipeline_plans[0].asset.site
    dem = _synthetic_dem(tmp_path / "flat.tif", *site.home_lat_lon, site.ground_alt_msl_m + 11.9, 0.0)
    notes = check_terrain(pipeline_plans, dem)
    text = " ".join(notes)
    assert "11.9" in text and "flat.tif" in text, notes


def test_flight_beyond_the_dem_is_noted(tmp_path, pipeline_plans):
    """A DEM reaching 100 m east of home: the pipeline's far 150 m are not checked, and the note says how much."""
    from missions.planning.terrain import check_terrain

    site = pipeline_plans[0].asset.site
    dem = _synthetic_dem(tmp_path / "part.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.0, east_m=100.0)
    notes = check_terrain(pipeline_plans, dem)
    unchecked = [n for n in notes if "not checked" in n]
    assert len(unchecked) == 1 and "part.tif" in unchecked[0], notes
    assert int(unchecked[0].split("terrain: ")[1].split(" m")[0]) > 300  # both offset lines, there and back


def test_dem_missing_home_is_refused(tmp_path, pipeline_plans):
    from skyinspect.errors import InputError

    from missions.planning.terrain import check_terrain

    site = pipeline_plans[0].asset.site
    lat0, lon0 = site.home_lat_lon
    dem = _synthetic_dem(tmp_path / "far.tif", lat0 + 0.02, lon0, site.ground_alt_msl_m, 0.0)  # 2.2 km north
    with pytest.raises(InputError, match="home"):
        check_terrain(pipeline_plans, dem)


def test_cli_refuses_and_writes_nothing(tmp_path):
    site = load_asset(PIPELINE).site
    dem = _synthetic_dem(tmp_path / "slope.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.1)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["plan", str(PIPELINE), "--out", str(out), "--dem", str(dem)] + COARSE)
    assert r.exit_code == 2, r.output
    assert "rule terrain" in r.output
    assert not out.exists() or not any(out.iterdir())
    flat = _synthetic_dem(tmp_path / "flat.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.0)
    r = CliRunner().invoke(app, ["plan", str(PIPELINE), "--out", str(out), "--dem", str(flat)] + COARSE)
    assert r.exit_code == 0, r.output
    assert "ground_clearance, terrain" in r.output and (out / "mission.plan").is_file()


def test_bridge_under_deck_left_to_ground_clearance(tmp_path, bridge_plan):
    """Under a bridge deck the ground is rule ground_clearance's (deck.ground_below_agl_m), not terrain's: a
    DSM holds the deck there. Synthetic DEM: 12 m up inside the deck outline moved 2 m in (clear of the
    1 m cells' interpolation at its edge); the example bridge flies its round pier P2 under the deck at
    3.3 m AGL and passes. The same block reaching 2 m past the deck's west end refuses the legs there."""
    from missions.planning.terrain import check_terrain

    bridge = bridge_plan.asset
    site = bridge.site
    deck = (bridge.deck_outline_lat_lon, bridge.deck_top_agl_m)
    dsm = _synthetic_dem(tmp_path / "dsm.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.0, raised=deck + (2.0,))
    assert any("terrain: dsm.tif" in n for n in check_terrain((bridge_plan,), dsm))
    past = _synthetic_dem(tmp_path / "past.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.0, raised=deck + (-2.0,))
    with pytest.raises(PlanRefusedError, match="rule terrain"):
        check_terrain((bridge_plan,), past)


@pytest.mark.parametrize("name, content, match", [("missing.tif", None, "DEM file not found"),
                                                  ("notes.tif", "not a raster", "cannot be read as a raster")])
def test_a_bad_dem_is_refused_before_planning(tmp_path, monkeypatch, name, content, match):
    """The planning and its coverage take minutes on fine cracks: a DEM that cannot be read is said first."""
    import missions.planning.planner as planner

    def never(*_a, **_k):  # noqa: ANN202
        raise AssertionError("planned before the DEM was read")

    monkeypatch.setattr(planner, "plan_flights", never)
    dem = tmp_path / name
    if content is not None:
        dem.write_text(content)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["plan", str(PIPELINE), "--out", str(out), "--dem", str(dem)] + COARSE)
    assert r.exit_code == 2 and match in r.output, r.output
    assert not out.exists()


def test_an_ellipsoidal_dem_needs_no_geoid(tmp_path, pipeline_plans):
    """Only the ground's rise from home counts, so a DEM in ellipsoidal heights (a 3D CRS, as photogrammetry
    often writes) is read as it is: it was refused for want of the EGM96 grid (GeoidUnavailable, exit 2)."""
    from missions.planning.terrain import check_terrain

    site = pipeline_plans[0].asset.site
    dem = _synthetic_dem(tmp_path / "ellipsoidal.tif", *site.home_lat_lon, site.ground_alt_msl_m + 47.3, 0.0,
                         crs="EPSG:4979")
    notes = check_terrain(pipeline_plans, dem)
    assert "ellipsoidal.tif" in notes[0] and "+47.3 m from site.ground_alt_msl_m" in notes[0], notes
