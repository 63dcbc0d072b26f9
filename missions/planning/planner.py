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

from skyinspect.geodesy import LocalFrame

from missions.planning.assets import Asset, Bridge, Pipeline, Site, WindTurbine
from missions.planning.cameras import CameraProfile
from missions.planning.design import STANDOFF_MARGIN_M, Design, Requirement, design_for
from missions.planning.fence import FenceArea, plan_fence
from missions.planning.geometry import Solid, Surface
from missions.planning.mission import (ARDUCOPTER_MIN_SPEED_M_S, MAX_MISSION_ITEMS, MissionItem, build_items,
                                       whole_degree_gimbal)
from missions.planning.patterns import Pass, PatternResult
from missions.planning.routing import route_passes
from missions.planning.safety import Floor, PlanRefusedError, check_items, estimate_flight_s, flight_legs


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


def outline_en(frame: LocalFrame, pts: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    return tuple((e, n) for n, e in (to_ne(frame, p) for p in pts))


def asset_solids(asset: Asset, frame: LocalFrame) -> tuple[Solid, ...]:
    """Everything the vehicle must keep the standoff from."""
    from missions.planning import patterns_more

    if isinstance(asset, Bridge):
        from missions.planning.bridge_layout import bridge_solids

        return bridge_solids(asset, frame)
    return patterns_more.solids_for(asset, frame)


def with_keep_outs(solids: tuple[Solid, ...], asset: Asset, frame: LocalFrame) -> tuple[Solid, ...]:
    """The structure's solids plus the site's keep-out volumes: what flight paths must keep clear of."""
    from missions.planning.safety import _keep_out_prism

    return solids + tuple(_keep_out_prism(ko, frame) for ko in asset.site.keep_out)


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
        try:
            passed = check_items(items, self.frame, self.asset.site, self.solids, self.design.speed_m_s, self.floors,
                                 self.autopilot)
        except PlanRefusedError as exc:
            raise PlanRefusedError(exc.violations, _closer_hint(exc, self.design, self.asset.site)) from exc
        fence, fence_notes = plan_fence(items, self.frame, self.asset.site, self.autopilot)
        return Plan(items, self.asset, self.camera, self.design, self.autopilot,
                    (self.frame.lat0_deg, self.frame.lon0_deg, self.frame.h0_m), routed, self.surfaces, self.solids,
                    passed, self.notes + fence_notes, self._time_s(items), self.floors, fence)


def lay_out(asset: Asset, camera: CameraProfile, requirement: Requirement | None = None,
            autopilot: str = "ardupilot", focal_length_mm: float | None = None) -> Layout:
    """Design standoff/spacing/speed for the requirement and lay out the asset's patterns."""
    from missions.planning import patterns_more
    from missions.planning.bridge_layout import bridge_floors, bridge_patterns, girder_design, underside_design

    requirement = requirement or Requirement()
    frame = site_frame(asset.site)
    design = design_for(requirement, camera, asset.site, focal_length_mm)
    max_standoff = math.inf
    if isinstance(asset, Bridge) and asset.inspect_underside:
        design, max_standoff = underside_design(asset, design, requirement, camera, focal_length_mm)
    if isinstance(asset, Bridge) and asset.inspect_girders and asset.girders and camera.is_zoom \
            and focal_length_mm is None:
        design = girder_design(asset, frame, design, requirement, camera, max_standoff)
    if isinstance(asset, Bridge):
        pattern = bridge_patterns(asset, frame, design)
    else:
        pattern = patterns_more.patterns_for(asset, frame, design)
    if asset.site.keep_out:  # lanes through a keep-out (a power line across a corridor) are cut there
        from missions.planning.keep_out_cuts import cut_at_keep_outs

        keep_outs = with_keep_outs((), asset, frame)
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
                  with_keep_outs(solids, asset, frame), floors)


def _closer_hint(exc: PlanRefusedError, design: Design, site: Site) -> str:
    """The rules' advice is for a mission drawn by hand; where the planner's own passes, flown as far from the
    faces as the GSD allows (beyond the standoff a zoom prefers), reach another structure or a keep-out, say
    how to fly them closer: the range scales with the crack width (the GSD)."""
    if not {r for r, _, _ in exc.violations} & {"min_standoff", "keep_out"}:
        return ""
    preferred_m = site.min_standoff_m + STANDOFF_MARGIN_M
    if design.standoff_m <= preferred_m + 1e-6:
        return ""
    cam, req = design.camera, design.requirement
    lens = ("its widest" if cam.is_zoom and design.focal_length_mm <= cam.focal_length_mm + 1e-6 else "the plan's")
    half_m = design.standoff_m / 2.0
    closer = (f" --crack-width-mm {req.crack_width_mm / 2:g} flies them {half_m:.1f} m out;" if half_m >= preferred_m
              else "")
    return (f"  the planner's passes fly {design.standoff_m:.1f} m from the structure: {cam.name} gives the required "
            f"{design.gsd_m_per_px * 1000:.2f} mm/px there at {lens} focal length ({design.focal_length_mm:.2f} mm), and "
            f"another structure or keep-out is nearer. The range scales with the crack width graded:{closer} or leave "
            f"the structure in the way out of the inspect: section and plan it on its own")


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
