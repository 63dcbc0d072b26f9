"""Terrain under the flight (``skyinspect plan --dem``): rule ``terrain``.

The planner lays every pass out over flat ground at the site's ``ground_alt_msl_m`` and the vehicle flies
heights relative to home (docs/missions.md, Limits). Where the ground rises away from home (a pipeline
up a hillside, a bridge over a valley side) the passes are flown that much closer to it, or into it,
and nothing said so. A bare-earth DEM (a DTM GeoTIFF, read by ``skyinspect.surfaces.dem``: any CRS, its
heights on any datum) refuses such a flight with the item and the ground's height there, and a flight
that comes within ``site.min_standoff_m`` of a pipe or turbine raised by the ground's rise under it, and a
pipeline or turbine whose photos see it standing on that ground coarser than the required GSD (the ground
lower than home's: the camera farther from the pipe or the blades than planned; ``station_gsd_m``).

Heights are taken relative to the DEM at home, not to ``ground_alt_msl_m``: the vehicle's altitude is
relative to where it armed, and a DEM on another datum (or a site height a few metres off) is still
right about how the ground rises. The offset at home is reported in a note.

Under a bridge deck the DTM's ground (the banks under the deck's ends, above the creek that
``deck.ground_below_agl_m`` states) is kept ``deck.min_ground_clearance_m`` below the flight. Not checked:
the take-off and the final descent (over home, on the ground by definition), points under a deck that the DEM
holds (a DSM; rule ``ground_clearance`` there, noted), and points the DEM does not cover (noted with their
length). Give a DTM: a DSM holds the structure itself and trees, which the flight passes beside by design.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon

from skyinspect.errors import InputError, describe
from skyinspect.surfaces.dem import EARTH_RADIUS_M, BoundDem, DemGrid, DemSurface

from missions.planning.assets import Pipeline, WindTurbine
from missions.planning.geometry import Capsule, Frustum, point_in_polygon_en
from missions.planning.gsd import GSD_TOLERANCE
from missions.planning.mission import NAV_TAKEOFF
from missions.planning.planner import Plan
from missions.planning.safety import Leg, PlanRefusedError, _where, flight_legs

TERRAIN_TOLERANCE_M = 0.01
DSM_DECK_SHARE = 0.25  # of a deck's outline at or above its underside in the DEM: a DSM holding the deck


_STANDING = {True: "The structure was checked standing on that ground; its coverage is still planned over flat "
                   "ground",
             False: "Bridge heights are still taken from the site ground"}
_NO_TOWER_GROUND = "The turbine stands where the DEM has no ground (below); its coverage is planned over flat ground"
_FIX = ("The planner lays the asset out and flies heights above home over flat ground: take off from a home level "
        "with that ground, or plan the part of the asset on the slope on its own")


def _ground(bound: BoundDem, home_down: float, n: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The DEM's ground above home's, as a height relative to home (legs' -down, ``flight_legs``): without
    the tangent plane's rise off the curved Earth that ``down_at`` counts (NaN off the DEM)."""
    n, e = np.asarray(n, dtype=np.float64), np.asarray(e, dtype=np.float64)
    return home_down - bound.down_at(n, e) + (n * n + e * e) / (2 * EARTH_RADIUS_M)


def _pipe_rise(bound: BoundDem, home_down: float, s: Capsule, pts: np.ndarray) -> np.ndarray:
    """The ground's rise from home's under the point of pipe segment ``s`` nearest (horizontally) each of ``pts``
    (NaN off the DEM)."""
    a, b = np.asarray(s.p0_ned)[:2], np.asarray(s.p1_ned)[:2]
    t = np.clip(((pts[:, :2] - a) @ (b - a)) / max(float((b - a) @ (b - a)), 1e-12), 0.0, 1.0)
    q = a + t[:, None] * (b - a)
    return _ground(bound, home_down, q[:, 0], q[:, 1])


def _tower_rise(plan: Plan, bound: BoundDem, home_down: float) -> float | None:
    """A turbine's ground at its tower, from home's (NaN off the DEM); None for other assets. The turbine (tower,
    nacelle, blades) stands on it."""
    if not isinstance(plan.asset, WindTurbine):
        return None
    tower = next((s for s in plan.solids if isinstance(s, Frustum)), None)
    return None if tower is None else float(_ground(bound, home_down, *tower.centre_ne_m))


def _tower_off_dem(plan: Plan, bound: BoundDem, home_down: float) -> str | None:
    """Where a turbine's tower stands on the DEM's nodata (or off it), as words for a note; else None. Its ground
    is unknown there: the turbine is then checked standing level with home's ground (it was, without a word)."""
    rise = _tower_rise(plan, bound, home_down)
    if rise is None or math.isfinite(rise):
        return None
    tower = next(s for s in plan.solids if isinstance(s, Frustum))
    n, e = (round(float(v)) + 0.0 for v in tower.centre_ne_m)  # no "-0 m east"
    return f"{n:+.0f} m north, {e:+.0f} m east of home"


def _standing_clearance(plan: Plan, bound: BoundDem, home_down: float,
                        pts: np.ndarray) -> tuple[float, str, float, int] | None:
    """A structure standing on the ground (a pipe on its supports, a turbine on its tower base) stands as much
    higher as the DEM's ground under it rises from home's: (the least distance from ``pts`` to it so raised,
    the solid's name, the rise there, the point's index). Each pipe segment is raised by the ground under its
    nearest point, a turbine by the ground at its tower. Bridges: None (deck and pier heights are given from
    the site ground, not from the ground under each pier)."""
    asset = plan.asset
    if not isinstance(asset, (Pipeline, WindTurbine)):
        return None
    best: tuple[float, str, float, int] | None = None
    tower_rise = _tower_rise(plan, bound, home_down)
    for s in plan.solids:
        if tower_rise is not None:
            rise = np.full(len(pts), tower_rise)
        elif isinstance(s, Capsule):
            rise = _pipe_rise(bound, home_down, s, pts)
        else:
            continue
        rise = np.where(np.isfinite(rise), rise, 0.0)  # off the DEM: as laid out (the note counts it)
        d = s.distance_m(pts + rise[:, None] * np.array([0.0, 0.0, 1.0]))  # the point lowered = the solid raised
        j = int(np.argmin(d))
        if best is None or d[j] < best[0]:
            best = (float(d[j]), s.name, float(rise[j]), j)
    return best


def _holds_deck(bound: BoundDem, home_down: float, region: Polygon, ceiling_agl_m: float) -> bool:
    """Whether the DEM holds the deck (a DSM): a quarter or more of the deck outline (1 m grid) reads at or above
    the deck's underside. A DTM's ground under a deck stands below it but where the deck's ends rest on the
    banks; a DSM reads the deck over its whole outline, less its edges' cells blended with the ground."""
    e0, n0, e1, n1 = region.bounds
    ee, nn = np.meshgrid(np.arange(e0, e1, 1.0) + 0.5, np.arange(n0, n1, 1.0) + 0.5)
    pts = np.column_stack([nn.ravel(), ee.ravel(), np.zeros(nn.size)])
    inside = point_in_polygon_en(region, pts)
    ground = _ground(bound, home_down, pts[inside, 0], pts[inside, 1])
    ground = ground[np.isfinite(ground)]
    return bool(ground.size) and float(np.mean(ground >= ceiling_agl_m - TERRAIN_TOLERANCE_M)) >= DSM_DECK_SHARE


def read_dem(dem_path: Path) -> DemGrid:
    """The DEM's raster, read (``InputError``: missing, not a raster, no CRS) before the planning, which takes
    minutes on fine cracks."""
    return DemSurface(str(dem_path), name=Path(dem_path).name).load_grid()


def _flown_legs(plans: tuple[Plan, ...] | list[Plan]) -> list[list[Leg]]:
    """Each flight's legs away from home (not the take-off or the final descent, over home by definition)."""
    return [[leg for leg in flight_legs(p.items, p.frame, p.asset.site, p.autopilot)
             if not leg.landing and leg.seq >= 1 and p.items[leg.seq - 1].command != NAV_TAKEOFF] for p in plans]


def bind_dem(plans: tuple[Plan, ...] | list[Plan], dem_path: Path, grid: DemGrid | None = None,
             legs_of: list[list[Leg]] | None = None) -> tuple[BoundDem, float]:
    """The DEM fitted to the plans' local frame over their reach, and its down at home (``InputError`` if it
    does not cover home). ``legs_of``: the plans' ``_flown_legs`` where the caller has them."""
    dem_path = Path(dem_path)
    site, frame = plans[0].asset.site, plans[0].frame
    legs_of = _flown_legs(plans) if legs_of is None else legs_of
    reach_m = max((float(np.hypot(*pt[:2])) for legs in legs_of for leg in legs
                   for pt in (leg.start_ned, leg.end_ned)), default=0.0)
    # the DEM's CRS is fitted to the local frame over this range (skyinspect.surfaces.dem.DemSurface.bind)
    # vertical "msl": the heights as they are. Only their rise from home counts, so an ellipsoidal DEM needs
    # no geoid (it was refused without the EGM96 grid; the undulation changes by centimetres across a site)
    bound = DemSurface(str(dem_path), vertical="msl", max_range_m=max(100.0, reach_m + 50.0), name=dem_path.name,
                       grid=grid).bind(frame)
    home_down = float(bound.down_at(np.array(0.0), np.array(0.0)))
    if not math.isfinite(home_down):
        raise InputError(describe(dem_path, f"expected the DEM to cover home {site.home_lat_lon}, got no height there "
                                  "(outside the raster or nodata)", "Give a DEM of the site round home"))
    return bound, home_down


def station_gsd_m(plan: Plan, bound: BoundDem, home_down: float) -> list[tuple[float, str, int]]:
    """A pipeline's or a turbine's photos over the DEM's ground: (the GSD at the nearest point of the structure,
    standing on the ground there, pinhole at that range with the plan's focal length; the pass; the photo's
    number in it). The passes were laid out at the planned range on flat ground: where the ground under a pipe
    falls away, or a turbine's tower stands lower than home, the structure is lower and the camera farther
    (a turbine's blade edges, seen from above and below). Each pipe segment stands on the ground under its
    nearest point, a turbine (tower, nacelle, blades) on the ground at its tower. Bridges: none (their heights
    are given from the site ground)."""
    asset = plan.asset
    if isinstance(asset, Pipeline):
        solids = [s for s in plan.solids if isinstance(s, Capsule)]
    elif isinstance(asset, WindTurbine):
        solids = list(plan.solids)  # tower, nacelle and hub, blades: a plan's solids hold no keep-out
    else:
        return []
    tower_rise = _tower_rise(plan, bound, home_down)
    out = []
    for ps in plan.passes:
        pts = np.array([p for p, _, _ in ps.stations()], dtype=np.float64)
        if not solids or len(pts) == 0:
            continue
        ranges = []
        for s in solids:
            rise = np.full(len(pts), tower_rise) if tower_rise is not None else _pipe_rise(bound, home_down, s, pts)
            rise = np.where(np.isfinite(rise), rise, 0.0)  # off the DEM: as laid out (noted as not checked)
            ranges.append(s.distance_m(pts + rise[:, None] * np.array([0.0, 0.0, 1.0])))
        for k, r in enumerate(np.min(np.array(ranges), axis=0), start=1):
            out.append((plan.camera.gsd_m(float(r), plan.design.focal_length_mm), ps.name, k))
    return out


def _gsd_words(plan: Plan, bound: BoundDem, home_down: float) -> tuple[str, str]:
    """(what the photos see, where it stands) for the GSD refusal."""
    rise = _tower_rise(plan, bound, home_down)
    if rise is None:
        return "pipe", "the pipe standing lower than home's ground"
    return "turbine", f"the turbine standing on ground {rise:+.2f} m from home's at its tower"


def check_terrain(plans: tuple[Plan, ...] | list[Plan], dem_path: Path, grid: DemGrid | None = None) -> tuple[str, ...]:
    """Notes on the terrain under every flight, or ``PlanRefusedError`` (rule ``terrain``) naming each leg
    that flies lower than ``site.min_flight_agl_m`` above the DEM's ground (under a bridge deck over a DEM without
    the deck, ``deck.min_ground_clearance_m`` where more) or too close to a pipe standing on it, and each pipeline or turbine photo whose GSD at the structure standing there is coarser than required
    (+ ``GSD_TOLERANCE``);
    ``InputError`` if the DEM does not cover home. ``grid``: the raster ``read_dem`` read already."""
    dem_path = Path(dem_path)
    plan = plans[0]
    site = plan.asset.site
    legs_of = _flown_legs(plans)
    bound, home_down = bind_dem(plans, dem_path, grid, legs_of)
    # under a deck: the DTM's ground, kept deck.min_ground_clearance_m below the flight; a DSM's deck: none
    floors = [(Polygon(fl.outline_en_m), fl) for fl in plan.floors]
    floors = [(region, fl, _holds_deck(bound, home_down, region, fl.ceiling_agl_m)) for region, fl in floors]
    violations: list[tuple[str, int, str]] = []
    lowest, highest, unchecked_m = math.inf, -math.inf, 0.0
    for k, (p, legs) in enumerate(zip(plans, legs_of), start=1):
        which = f"flight {k}: " if len(plans) > 1 else ""
        for leg in legs:
            pts = leg.samples()
            ground = _ground(bound, home_down, pts[:, 0], pts[:, 1])
            keep = np.isfinite(ground)
            need = np.full(len(pts), site.min_flight_agl_m)
            deck = np.zeros(len(pts), dtype=bool)
            for region, fl, dsm in floors:
                under = point_in_polygon_en(region, pts) & (-pts[:, 2] < fl.ceiling_agl_m)
                if dsm:  # the DEM holds the deck there: rule ground_clearance's (deck.ground_below_agl_m)
                    keep &= ~under
                else:
                    need = np.where(under, np.maximum(need, fl.clearance_m), need)
                    deck |= under
            step = float(np.linalg.norm(leg.end_ned - leg.start_ned)) / max(len(pts) - 1, 1)
            unchecked_m += step * int((~np.isfinite(ground)).sum())
            if not keep.any():
                continue
            lowest, highest = min(lowest, float(ground[keep].min())), max(highest, float(ground[keep].max()))
            above = np.where(keep, -pts[:, 2] - ground, np.inf)
            i = int(np.argmin(above - need))
            if above[i] < need[i] - TERRAIN_TOLERANCE_M:
                level = f"{above[i]:.2f} m above" if above[i] >= 0 else f"{-above[i]:.2f} m below"  # into the hill
                floor = (f"deck.min_ground_clearance_m {need[i]:g} m under the deck" if deck[i]
                         and need[i] > site.min_flight_agl_m else f"site.min_flight_agl_m {site.min_flight_agl_m:g} m")
                fix = (f"Set deck.ground_below_agl_m to the ground's height under the deck (the highest there, "
                       f"{float(ground[deck & keep].max()):+.2f} m on this leg): the passes under the deck are then planned "
                       f"above it" if deck[i] else _FIX)  # the bank under a deck: the deck's ground, not a slope
                violations.append(("terrain", leg.seq, f"{which}{_where(leg, p.items, pts[i])} is {level} "
                                   f"the ground in {dem_path.name} (the ground there is {ground[i]:+.2f} m from "
                                   f"home's); expected at least {floor}. {fix}"))
                continue
            near = _standing_clearance(p, bound, home_down, pts)
            if near is not None and near[0] < site.min_standoff_m - 1e-6:
                d, name, rise, j = near
                violations.append(("terrain", leg.seq, f"{which}{_where(leg, p.items, pts[j])} passes {d:.2f} m from "
                                   f"{name}, which stands on ground {rise:+.2f} m from home's in {dem_path.name}; the "
                                   f"minimum standoff is {site.min_standoff_m:g} m. {_FIX}"))
    required_m = plan.design.requirement.gsd_required_m
    gsd_all: list[float] = []
    for k, p in enumerate(plans, start=1):
        which = f"flight {k}: " if len(plans) > 1 else ""
        gsd = station_gsd_m(p, bound, home_down)
        gsd_all += [g for g, _, _ in gsd]
        coarse = [x for x in gsd if x[0] > required_m * (1 + GSD_TOLERANCE)]
        if coarse:
            g, name, i = max(coarse)
            what, standing = _gsd_words(p, bound, home_down)
            violations.append(("terrain", 0, f"{which}{len(coarse)} of {len(gsd)} photos see the {what} coarser than "
                               f"the required GSD {required_m * 1000:.2f} mm/px (+{GSD_TOLERANCE:.0%}) over the ground "
                               f"in {dem_path.name}, {standing}: worst {name} photo {i}, {g * 1000:.2f} mm/px. "
                               f"{_FIX}"))
    if violations:
        raise PlanRefusedError(violations)
    dsm = [fl.name for _, fl, holds in floors if holds]
    if not math.isfinite(lowest):
        return (f"terrain: {dem_path.name} covers none of the flight away from home: not checked",)
    offset_m = -home_down  # the DEM's ground at home above the site's ground_alt_msl_m
    tower_off = _tower_off_dem(plan, bound, home_down)
    lowest, highest = round(lowest, 2) + 0.0, round(highest, 2) + 0.0  # no "-0.00" for a flat DEM
    notes = [f"terrain: {dem_path.name} under the flight from {lowest:+.2f} to {highest:+.2f} m relative to home's "
             f"ground, every leg at least site.min_flight_agl_m {site.min_flight_agl_m:g} m above it"
             f"{' (deck.min_ground_clearance_m under the deck)' if len(dsm) < len(floors) else ''}; "
             f"at home it reads {offset_m:+.1f} m from site.ground_alt_msl_m {site.ground_alt_msl_m:g} m (heights are "
             f"flown relative to home, so only its rise counts, on whatever datum). "
             f"{_STANDING[isinstance(plan.asset, (Pipeline, WindTurbine))] if tower_off is None else _NO_TOWER_GROUND}"]
    if tower_off is not None:
        notes.append(f"terrain: {dem_path.name} has no data at the turbine's tower ({tower_off}; outside the raster "
                     f"or nodata): the turbine is checked standing level with home's ground, not on the ground there. "
                     f"Fill the DEM's gap there (e.g. gdal_fillnodata.py) to check it standing on that ground")
    if dsm:
        notes.append(f"terrain: {dem_path.name} holds the deck (a DSM: a quarter or more of its outline at or above "
                     f"its underside): the flight under it is left to rule ground_clearance ({', '.join(dsm)})")
    if gsd_all:
        notes.append(f"terrain: GSD at the {_gsd_words(plan, bound, home_down)[0]} over the ground in {dem_path.name} "
                     f"from {min(gsd_all) * 1000:.2f} to {max(gsd_all) * 1000:.2f} mm/px (required {required_m * 1000:.2f} mm/px, "
                     f"+{GSD_TOLERANCE:.0%} allowed)")
    if unchecked_m > 0:
        notes.append(f"terrain: {unchecked_m:.0f} m of the flight lie outside {dem_path.name} or on its nodata: not "
                     f"checked against the ground there")
    return tuple(notes)
