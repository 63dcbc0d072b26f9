"""From an asset, a camera and a requirement to a checked ``Plan`` (the public entry point).

``plan_inspection(asset, camera, requirement, autopilot)`` builds the local frame at home,
turns the asset into solids (for the standoff check) and surfaces (for coverage), designs
standoff/spacing/speed, lays out the patterns, writes the mission items for the autopilot and
runs every safety rule. It returns a ``Plan`` or raises (nothing is written either way).
``plan_flights`` does the same and cuts an inspection longer than one battery into flights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from skyinspect.geodesy import LocalFrame

from missions.planning.assets import Asset, Bridge, Pipeline, Site, WindTurbine
from missions.planning.cameras import CameraProfile
from missions.planning.design import Design, Requirement, design_for
from missions.planning.fence import FenceArea, plan_fence
from missions.planning.geometry import Frustum, Prism, Solid, Surface
from missions.planning.mission import (ARDUCOPTER_MIN_SPEED_M_S, MAX_MISSION_ITEMS, MissionItem, build_items,
                                       whole_degree_gimbal)
from missions.planning.patterns import Pass, PatternResult, box_pier_scan
from missions.planning.routing import route_passes
from missions.planning.safety import Floor, check_items, estimate_flight_s, flight_legs


@dataclass(frozen=True, eq=False)
class Plan:
    """A checked mission: ordered items (item 0 = home is implicit), what it inspects and with what."""

    items: tuple[MissionItem, ...]
    asset: Asset
    camera: CameraProfile
    design: Design
    autopilot: str
    home_lat_lon_alt: tuple[float, float, float]  # alt = ground MSL
    passes: tuple[Pass, ...]
    surfaces: tuple[Surface, ...]
    solids: tuple[Solid, ...]
    checks_passed: tuple[str, ...]
    notes: tuple[str, ...]
    estimated_flight_s: float
    floors: tuple[Floor, ...] = ()  # ground/water under a bridge deck (rule ground_clearance)
    fence: tuple[FenceArea, ...] = ()  # the site's fence and the keep-outs this flight never crosses (fence.py)

    @property
    def frame(self) -> LocalFrame:
        return LocalFrame(*self.home_lat_lon_alt)

    @property
    def photo_count(self) -> int:
        return sum(len(p.stations()) for p in self.passes)


def site_frame(site: Site) -> LocalFrame:
    return LocalFrame(site.home_lat_lon[0], site.home_lat_lon[1], site.ground_alt_msl_m)


def to_ne(frame: LocalFrame, lat_lon: tuple[float, float]) -> tuple[float, float]:
    n, e, _ = frame.to_ned(lat_lon[0], lat_lon[1], frame.h0_m)
    return float(n), float(e)


def _outline_en(frame: LocalFrame, pts: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    return tuple((e, n) for n, e in (to_ne(frame, p) for p in pts))


def asset_solids(asset: Asset, frame: LocalFrame) -> tuple[Solid, ...]:
    """Everything the vehicle must keep the standoff from."""
    from missions.planning import patterns_more

    if isinstance(asset, Bridge):
        out: list[Solid] = [Prism("deck", _outline_en(frame, asset.deck_outline_lat_lon), asset.deck_underside_agl_m,
                                  asset.deck_top_agl_m)]
        for p in asset.piers:
            n, e = to_ne(frame, p.centre_lat_lon)
            if p.shape == "cylinder":
                r = p.diameter_m / 2.0
                out.append(Frustum(f"pier {p.name}", (n, e), r, r, 0.0, p.height_agl_m))
            else:
                a = math.radians(p.heading_deg)
                al, ri = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
                c = np.array([n, e])
                cs = [c + sa * al * p.length_m / 2 + sr * ri * p.width_m / 2
                      for sa, sr in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
                out.append(Prism(f"pier {p.name}", tuple((float(x[1]), float(x[0])) for x in cs), 0.0, p.height_agl_m))
        for g in asset.girders:
            (n0, e0), (n1, e1) = to_ne(frame, g.start_lat_lon), to_ne(frame, g.end_lat_lon)
            d = np.array([e1 - e0, n1 - n0])
            w = np.array([-d[1], d[0]]) / max(float(np.linalg.norm(d)), 1e-9) * g.width_m / 2
            quad = [np.array([e0, n0]) + w, np.array([e1, n1]) + w, np.array([e1, n1]) - w, np.array([e0, n0]) - w]
            out.append(Prism(f"girder {g.name}", tuple((float(x[0]), float(x[1])) for x in quad),
                             asset.deck_underside_agl_m - g.depth_m, asset.deck_underside_agl_m))
        return tuple(out)
    return patterns_more.solids_for(asset, frame)


def bridge_floors(bridge: Bridge, frame: LocalFrame) -> tuple[Floor, ...]:
    """The ground or water under the deck, for the ground_clearance rule."""
    return (Floor("ground/water under the deck", _outline_en(frame, bridge.deck_outline_lat_lon),
                  bridge.ground_below_agl_m, bridge.min_ground_clearance_m, bridge.deck_underside_agl_m),)


def _with_keep_outs(solids: tuple[Solid, ...], asset: Asset, frame: LocalFrame) -> tuple[Solid, ...]:
    """The structure's solids plus the site's keep-out volumes: what flight paths must keep clear of."""
    from missions.planning.safety import _keep_out_prism

    return solids + tuple(_keep_out_prism(ko, frame) for ko in asset.site.keep_out)


def _bridge_patterns(bridge: Bridge, frame: LocalFrame, design: Design) -> PatternResult:
    from missions.planning.patterns_more import deck_top_grid
    from missions.planning.patterns_tower import tower_scan

    site = bridge.site
    low_under_deck = bridge.lowest_under_deck_agl_m
    deck = Prism("deck", _outline_en(frame, bridge.deck_outline_lat_lon), bridge.deck_underside_agl_m,
                 bridge.deck_top_agl_m)
    passes: list[Pass] = []
    surfaces: list[Surface] = []
    notes: list[str] = []
    wanted = bridge.inspect_piers or tuple(p.name for p in bridge.piers)
    for pier in bridge.piers:
        if pier.name not in wanted:
            continue
        n, e = to_ne(frame, pier.centre_lat_lon)
        reach = (pier.length_m + pier.width_m + pier.diameter_m) / 2 + design.standoff_m
        under_deck = deck.polygon().distance(_pt(e, n)) < reach
        lowest_above = bridge.deck_underside_agl_m - max((g.depth_m for g in bridge.girders), default=0.0)
        ceiling = lowest_above - site.min_standoff_m if under_deck else math.inf
        top = min(pier.height_agl_m, bridge.deck_underside_agl_m) if under_deck else pier.height_agl_m
        low = low_under_deck if under_deck else site.min_flight_agl_m
        if pier.shape == "box":
            r = box_pier_scan(f"pier {pier.name}", (n, e), pier.length_m, pier.width_m, pier.heading_deg,
                              bridge.pier_scan_bottom_agl_m, top, design, low, ceiling)
        else:
            r = tower_scan(f"pier {pier.name}", Frustum(f"pier {pier.name}", (n, e), pier.diameter_m / 2,
                                                        pier.diameter_m / 2, 0.0, pier.height_agl_m),
                           bridge.pier_scan_bottom_agl_m, top, design, low, site.min_standoff_m,
                           ceiling, bridge.orbit_pattern)
        if passes and r.passes:  # transit between piers at the standoff height of the next pier's first lane
            first = r.passes[0]
            via = (tuple(passes[-1].end_ned[:2]) + (first.waypoints_ned[0][2],),) + first.via_ned
            r = PatternResult((replace(first, via_ned=via),) + r.passes[1:], r.surfaces, r.notes)
        passes += r.passes
        surfaces += r.surfaces
        notes += r.notes
    if bridge.inspect_girders:
        from missions.planning.patterns_girder import girder_patterns

        # keep-outs too: the moves round the girder ends went through abutments given as keep-outs
        r = girder_patterns(bridge_girder_faces(bridge, frame), design,
                            _with_keep_outs(asset_solids(bridge, frame), bridge, frame),
                            site.min_standoff_m, low_under_deck)
        if not r.passes:
            notes.append("girders: no oblique line planned")
        passes += r.passes
        surfaces += r.surfaces
        notes += r.notes
    if bridge.inspect_underside:
        from missions.planning.patterns_underside import underside_scan
        avoid = _with_keep_outs(asset_solids(bridge, frame), bridge, frame)
        r = underside_scan(deck, underside_girders(bridge, frame), design, avoid, site.min_standoff_m, low_under_deck,
                           bridge.ground_below_agl_m, bridge.name)
        passes += r.passes
        surfaces += r.surfaces
        notes += r.notes
    if bridge.inspect_deck_top:
        r = deck_top_grid(deck, design, site)
        passes += r.passes
        surfaces += r.surfaces
        notes += r.notes
    return PatternResult(tuple(passes), tuple(surfaces), tuple(notes))


def bridge_girder_faces(bridge: Bridge, frame: LocalFrame) -> tuple:  # type: ignore[type-arg]
    """Both side faces of every girder (``patterns_girder.GirderFace``)."""
    from missions.planning.patterns_girder import girder_faces

    return tuple(f for g in bridge.girders for f in girder_faces(
        g.name, to_ne(frame, g.start_lat_lon), to_ne(frame, g.end_lat_lon), g.width_m,
        bridge.deck_underside_agl_m - g.depth_m, bridge.deck_underside_agl_m))


def underside_girders(bridge: Bridge, frame: LocalFrame) -> tuple:  # type: ignore[type-arg]
    """The girders as ``patterns_underside.UndersideGirder`` (local north/east ends)."""
    from missions.planning.patterns_underside import UndersideGirder

    return tuple(UndersideGirder(g.name, to_ne(frame, g.start_lat_lon), to_ne(frame, g.end_lat_lon), g.width_m,
                                 g.depth_m) for g in bridge.girders)


def _underside_design(bridge: Bridge, design: Design, requirement: Requirement, camera: CameraProfile,
                      focal_length_mm: float | None) -> tuple[Design, float]:
    """Refuse early (gimbal, deck height); zoom cameras fly the underside's preferred standoff.
    Returns the design and the longest standoff the underside allows (caps the girder search)."""
    from missions.planning.patterns_underside import check_gimbal, check_heights, underside_standoff_m

    check_gimbal(camera)
    site = bridge.site
    floor = bridge.lowest_under_deck_agl_m
    depth = max((g.depth_m for g in bridge.girders), default=0.0)
    preferred, highest = underside_standoff_m(bridge.deck_underside_agl_m, [depth], floor, site.min_standoff_m)
    if camera.is_zoom and focal_length_mm is None:
        wanted = max(min(preferred, highest), site.min_standoff_m)
        design = design_for(requirement, camera, site, standoff_m=wanted)
    check_heights(bridge.name, bridge.deck_underside_agl_m, depth, design.standoff_m, bridge.ground_below_agl_m, floor)
    return design, highest


GIRDER_STANDOFF_FACTORS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
GIRDER_PHOTO_SLACK = 1.05  # take the shortest standoff within 5 % of the fewest girder photos


def _girder_design(bridge: Bridge, frame: LocalFrame, design: Design, requirement: Requirement,
                   camera: CameraProfile, max_standoff_m: float = math.inf) -> Design:
    """Zoom cameras: the standoff (so focal length) that plans the most girder faces, then needs
    about the fewest photos, then is shortest. Footprints, spacing and flat-face photo counts do not
    change with it (same GSD); every pattern of the mission flies it."""
    from missions.planning.patterns_girder import girder_photos

    faces, site = bridge_girder_faces(bridge, frame), bridge.site
    solids = _with_keep_outs(asset_solids(bridge, frame), bridge, frame)
    tried = []
    for k in GIRDER_STANDOFF_FACTORS:
        s = design.standoff_m * k
        if s * camera.pixel_pitch_mm / requirement.gsd_required_m > camera.focal_length_max_mm + 1e-9:
            break
        if k > 1.0 and s > max_standoff_m + 1e-9:  # the underside lanes need the vehicle higher than this
            break
        d = design_for(requirement, camera, site, standoff_m=s)
        tried.append((*girder_photos(faces, d, solids, site.min_standoff_m, bridge.lowest_under_deck_agl_m), d))
    most = max(t[0] for t in tried)
    fewest = min(t[1] for t in tried if t[0] == most)
    return next(d for planned, photos, d in tried if planned == most and photos <= fewest * GIRDER_PHOTO_SLACK)


def _pt(e: float, n: float):  # type: ignore[no-untyped-def]
    from shapely.geometry import Point

    return Point(e, n)


def plan_inspection(asset: Asset, camera: CameraProfile, requirement: Requirement | None = None,
                    autopilot: str = "ardupilot", focal_length_mm: float | None = None) -> Plan:
    """Design, lay out, write items, check. Raises InputError / PlanRefusedError with the reason."""
    layout = lay_out(asset, camera, requirement, autopilot, focal_length_mm)
    return layout.flight(layout.passes)


def plan_flights(asset: Asset, camera: CameraProfile, requirement: Requirement | None = None,
                 autopilot: str = "ardupilot", focal_length_mm: float | None = None,
                 max_mission_items: int | None = None) -> tuple[Plan, ...]:
    """As ``plan_inspection``, cut into flights (passes in the planned order, a long one cut between its photos)
    that each fit the battery and the autopilot's mission storage (``max_mission_items``, ArduPilot's home
    included; default ``MAX_MISSION_ITEMS``, 0: no limit), each checked on its own (``sorties``)."""
    from missions.planning.sorties import split_to_fit

    layout = lay_out(asset, camera, requirement, autopilot, focal_length_mm)
    usable_s = asset.site.battery.usable_s
    limit = MAX_MISSION_ITEMS[autopilot] if max_mission_items is None else max_mission_items
    home = 1 if autopilot == "ardupilot" else 0  # ArduPilot stores home as item 0

    def fits(group: tuple[Pass, ...]) -> bool:  # one routing and item build, as flight_time_s alone took
        items = layout._items(group)[1]
        return (not limit or len(items) + home <= limit) and layout._time_s(items) <= usable_s

    groups = split_to_fit(layout.passes, fits, usable_s, layout.flight_time_s)
    return tuple(layout.flight(group) for group in groups)


@dataclass(frozen=True, eq=False)
class Layout:
    """The patterns laid out for an asset, before they are cut into flights and written as items."""

    asset: Asset
    camera: CameraProfile
    design: Design
    autopilot: str
    frame: LocalFrame
    passes: tuple[Pass, ...]
    surfaces: tuple[Surface, ...]
    notes: tuple[str, ...]
    solids: tuple[Solid, ...]
    avoid: tuple[Solid, ...]  # solids and keep-outs: transits go round them
    floors: tuple[Floor, ...]

    def _items(self, passes: tuple[Pass, ...]) -> tuple[tuple[Pass, ...], tuple[MissionItem, ...]]:
        first = passes[0].via_ned[0] if passes[0].via_ned else passes[0].waypoints_ned[0]
        routed, back = route_passes(passes, self.avoid, self.asset.site.min_standoff_m + 0.05, -first[2],
                                    self.asset.site.max_alt_agl_m)
        items = build_items(routed, self.frame, self.asset.site.home_lat_lon, self.design.speed_m_s, self.autopilot,
                            back, self.camera.min_trigger_interval_s, self.asset.site.max_speed_m_s)
        return routed, items

    def _time_s(self, items: tuple[MissionItem, ...]) -> float:
        legs = flight_legs(items, self.frame, self.asset.site, self.autopilot)
        return estimate_flight_s(items, legs, self.asset.site,
                                 self.design.speed_m_s, self.autopilot)

    def flight_time_s(self, passes: tuple[Pass, ...]) -> float:
        """Estimated time of one flight over these passes, from take-off to landing."""
        return self._time_s(self._items(passes)[1])

    def flight(self, passes: tuple[Pass, ...]) -> Plan:
        """One checked flight over these passes (raises PlanRefusedError with every violation)."""
        routed, items = self._items(passes)
        passed = check_items(items, self.frame, self.asset.site, self.solids, self.design.speed_m_s, self.floors,
                             self.autopilot)
        fence, fence_notes = plan_fence(items, self.frame, self.asset.site, self.autopilot)
        return Plan(items, self.asset, self.camera, self.design, self.autopilot,
                    (self.frame.lat0_deg, self.frame.lon0_deg, self.frame.h0_m), routed, self.surfaces, self.solids,
                    passed, self.notes + fence_notes, self._time_s(items), self.floors, fence)


def lay_out(asset: Asset, camera: CameraProfile, requirement: Requirement | None = None,
            autopilot: str = "ardupilot", focal_length_mm: float | None = None) -> Layout:
    """Design standoff/spacing/speed for the requirement and lay out the asset's patterns."""
    from missions.planning import patterns_more

    requirement = requirement or Requirement()
    frame = site_frame(asset.site)
    design = design_for(requirement, camera, asset.site, focal_length_mm)
    max_standoff = math.inf
    if isinstance(asset, Bridge) and asset.inspect_underside:
        design, max_standoff = _underside_design(asset, design, requirement, camera, focal_length_mm)
    if isinstance(asset, Bridge) and asset.inspect_girders and asset.girders and camera.is_zoom \
            and focal_length_mm is None:
        design = _girder_design(asset, frame, design, requirement, camera, max_standoff)
    if isinstance(asset, Bridge):
        pattern = _bridge_patterns(asset, frame, design)
    else:
        pattern = patterns_more.patterns_for(asset, frame, design)
    if asset.site.keep_out:  # lanes through a keep-out (a power line across a corridor) are cut there
        from missions.planning.keep_out_cuts import cut_at_keep_outs

        keep_outs = _with_keep_outs((), asset, frame)
        pattern = cut_at_keep_outs(pattern, keep_outs, asset.site.min_standoff_m + 0.05)
    design = _trigger_speed(design, pattern.passes)
    if autopilot == "ardupilot" and design.speed_m_s < ARDUCOPTER_MIN_SPEED_M_S - 1e-9:
        pattern = _stop_and_shoot(pattern, design, asset.site.max_speed_m_s)
    if autopilot == "ardupilot":
        passes, note = whole_degree_gimbal(pattern.passes, camera.gimbal_max_up_deg)
        pattern = PatternResult(passes, pattern.surfaces, pattern.notes + ((note,) if note else ()))
    if not pattern.passes:
        from skyinspect.errors import InputError

        raise InputError(f"asset {asset.name!r}: nothing to inspect ({'; '.join(pattern.notes) or 'no passes'}). "
                         f"Check the inspect: section and the heights")
    solids = asset_solids(asset, frame)
    floors = bridge_floors(asset, frame) if isinstance(asset, Bridge) else ()
    return Layout(asset, camera, design, autopilot, frame, pattern.passes, pattern.surfaces, pattern.notes, solids,
                  _with_keep_outs(solids, asset, frame), floors)


def trigger_speed_limit_m_s(passes: tuple[Pass, ...], min_interval_s: float) -> float:
    """The fastest mission speed at which the camera's fastest trigger interval fits between every two
    consecutive photos along a distance-triggered lane, at the spacing each lane really uses (deck grid,
    pipeline and girder lines space photos closer than ``Design.spacing_along_m``; underside pieces
    shrink it). Photos taken at a waypoint (a lane's first, stop-and-shoot stations) get a long enough
    hold instead (``mission.ItemBuilder``), which costs seconds there rather than speed everywhere."""
    spacings = [p.spacing_m for p in passes
                if p.trigger == "distance" and p.spacing_m > 0 and len(p.stations()) > 1]  # else one photo
    return min(spacings, default=math.inf) / min_interval_s


def _stop_and_shoot(pattern: PatternResult, design: Design, transit_m_s: float) -> PatternResult:
    """Distance-triggered lanes as stop-and-shoot stations at the same photo places: ArduCopter ignores
    a DO_CHANGE_SPEED below ARDUCOPTER_MIN_SPEED_M_S and would fly the lanes at the transit speed."""
    passes, photos = [], 0
    for ps in pattern.passes:
        if ps.trigger == "distance":
            st = ps.stations()
            photos += len(st)
            ps = replace(ps, waypoints_ned=tuple((float(p[0]), float(p[1]), float(p[2])) for p, _, _ in st),
                         yaw_deg=tuple(y for _, y, _ in st), gimbal_pitch_deg=tuple(g for _, _, g in st),
                         trigger="each", spacing_m=0.0)
        passes.append(ps)
    note = (f"photo lanes: {photos} photos taken stop-and-shoot (a hold and DO_DIGICAM_CONTROL at each) instead of "
            f"by distance: they need {design.speed_m_s:.3f} m/s ({design.speed_limited_by}), and ArduCopter ignores "
            f"a DO_CHANGE_SPEED below {ARDUCOPTER_MIN_SPEED_M_S:g} m/s (AC_WPNav WPNAV_WP_SPEED_MIN), flying on at "
            f"the {transit_m_s:g} m/s transit speed ({transit_m_s * design.exposure_s / design.gsd_m_per_px:.1f} px "
            f"of blur)")
    if design.speed_limited_by == "motion blur":
        shutter_ms = design.requirement.max_blur_px * design.gsd_m_per_px / ARDUCOPTER_MIN_SPEED_M_S * 1000
        note += f". A shutter of {shutter_ms:.2f} ms or less (--exposure-s) keeps the lanes"
    return PatternResult(tuple(passes), pattern.surfaces, pattern.notes + (note,))


def _trigger_speed(design: Design, passes: tuple[Pass, ...]) -> Design:
    """Slow the mission (never speed it up: the blur and site limits stay) so the camera can fire at
    every photo the patterns placed."""
    cap = trigger_speed_limit_m_s(passes, design.camera.min_trigger_interval_s)
    if cap >= design.speed_m_s:
        return design
    return replace(design, speed_m_s=cap, speed_limited_by="trigger interval",
                   blur_px=cap * design.exposure_s / design.gsd_m_per_px)


__all__ = ["Layout", "Plan", "Pipeline", "WindTurbine", "asset_solids", "lay_out", "plan_flights", "plan_inspection",
           "site_frame", "trigger_speed_limit_m_s"]
