"""Under a bridge deck a bare-earth DEM (a DTM) is the ground as well: the banks under a deck's ends rise
above the one ``deck.ground_below_agl_m`` (the creek) that rule ground_clearance takes, and the flight under
the deck was never checked against the DTM there. A DSM, which holds the deck itself, is still left to
ground_clearance under it (test_terrain.test_bridge_under_deck_left_to_ground_clearance).

The DEMs are synthetic (a plane, the ground inside the deck outline moved 2 m in raised, written with
rasterio): no real DEM of the example bridge is in shared/data."""

from __future__ import annotations

import dataclasses

import pytest

from missions.planning import get_camera
from missions.planning.planner import plan_inspection
from missions.planning.safety import PlanRefusedError

from .conftest import FAST
from .test_terrain import _synthetic_dem


def _bank_under_deck(tmp_path, bridge, metres: float):
    site = bridge.site
    return _synthetic_dem(tmp_path / f"bank_{metres:g}.tif", *site.home_lat_lon, site.ground_alt_msl_m, 0.0,
                          raised=(bridge.deck_outline_lat_lon, metres, 2.0))


def test_ground_under_the_deck_in_a_dtm_refuses_a_flight_into_it(tmp_path, bridge_plan):
    """The example bridge scans pier P1 under the deck from 3.9 m above home and flies round pier P2 down to
    3.3 m; a DTM whose ground under the deck stands 4 m above home's (below the 12 m underside: ground, not the
    deck) puts both into the bank. It passed, its note saying the ground under the flight was +0.00 to +0.00 m."""
    from missions.planning.terrain import check_terrain

    with pytest.raises(PlanRefusedError) as err:
        check_terrain((bridge_plan,), _bank_under_deck(tmp_path, bridge_plan.asset, 4.0))
    said = [m for _, _, m in err.value.violations]
    assert any("pier P1" in m and "0.06 m below the ground in bank_4.tif" in m for m in said), said
    assert any("pier P2" in m and "0.66 m below the ground in bank_4.tif" in m for m in said), said
    assert "expected at least deck.min_ground_clearance_m 3 m under the deck" in said[0], said[0]


def test_under_the_deck_the_deck_clearance_is_kept_over_a_dtm(tmp_path, bridge_plan):
    """Under the deck the flight keeps deck.min_ground_clearance_m (3 m here) over the DTM's ground, as over
    deck.ground_below_agl_m: 1 m of bank leaves P2's lowest ring 2.34 m above it (refused); 0.3 m of bank
    leaves it 3.04 m (passes, and the note counts the bank)."""
    from missions.planning.terrain import check_terrain

    with pytest.raises(PlanRefusedError, match="2.34 m above the ground in bank_1.tif"):
        check_terrain((bridge_plan,), _bank_under_deck(tmp_path, bridge_plan.asset, 1.0))
    notes = check_terrain((bridge_plan,), _bank_under_deck(tmp_path, bridge_plan.asset, 0.3))
    assert "from +0.00 to +0.30 m" in notes[0] and "under the deck" in notes[0], notes
    assert not any("DSM" in n for n in notes), notes


def test_a_dsm_holding_the_deck_is_said(tmp_path, bridge_plan):
    """A DSM reads the deck (13 m) over its outline: the flight under it stays rule ground_clearance's, and
    the note says why it was not checked there."""
    from missions.planning.terrain import check_terrain

    notes = check_terrain((bridge_plan,), _bank_under_deck(tmp_path, bridge_plan.asset, 13.0))
    assert any("holds the deck (a DSM" in n and "ground_clearance" in n for n in notes), notes


def test_the_refusal_under_the_deck_says_to_give_the_ground_there(tmp_path, bridge_plan):
    """Under the deck the advice was the slope's ('take off from a home level with that ground'); the fix is the
    deck's ground: with deck.ground_below_agl_m 4 the planner flies the passes under the deck above the bank,
    and the same DTM passes."""
    from missions.planning.terrain import check_terrain

    dtm = _bank_under_deck(tmp_path, bridge_plan.asset, 4.0)
    with pytest.raises(PlanRefusedError) as err:
        check_terrain((bridge_plan,), dtm)
    under = [m for _, _, m in err.value.violations if "pier P2 ring 1" in m]
    assert under and all("Set deck.ground_below_agl_m to the ground's height under the deck" in m for m in under), under
    assert not any("take off from a home level" in m for m in under), under
    banked = dataclasses.replace(bridge_plan.asset, ground_below_agl_m=4.0)
    plan = plan_inspection(banked, get_camera("dji_h20_zoom"), FAST, "ardupilot")
    assert "from +0.00 to +4.00 m" in check_terrain((plan,), dtm)[0]


def test_the_ground_named_under_the_deck_is_read_where_the_dem_has_it(tmp_path, bridge_plan):
    """A leg under the deck that crosses the DTM's nodata (a gap in a survey) names the highest ground the DTM
    has on it, not 'nan': pier P2's rings cross a 3 m band of nodata through the pier's centre (17 of its 31
    refused legs said '+nan m' before)."""
    import numpy as np
    import rasterio
    from pyproj import Transformer

    from missions.planning.terrain import check_terrain

    dtm = _bank_under_deck(tmp_path, bridge_plan.asset, 4.0)
    lat, lon = next(p for p in bridge_plan.asset.piers if p.name == "P2").centre_lat_lon
    with rasterio.open(dtm, "r+") as ds:
        x, y = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True).transform(lon, lat)
        z = ds.read(1)
        rows, cols = np.indices(z.shape)
        xs, ys = ds.xy(rows.ravel(), cols.ravel())
        gap = (np.abs(np.reshape(ys, z.shape) - y) < 1.5) & (np.abs(np.reshape(xs, z.shape) - x) < 30.0)
        z[gap] = ds.nodata
        ds.write(z, 1)
    with pytest.raises(PlanRefusedError) as err:
        check_terrain((bridge_plan,), dtm)
    under = [m for _, _, m in err.value.violations if "pier P2 ring" in m]
    highest = [m.split("(the highest there, ")[1].split(" m on this leg")[0] for m in under]
    assert len(highest) > 20 and "+4.00" in highest and not any("nan" in h for h in highest), highest
