"""A bridge laid out for planning: its solids (deck, piers, girders), the ground or water under its deck
(rule ground_clearance) and its patterns (pier faces and orbits, girder lines, underside lanes, deck-top grid),
with the standoffs the girder and underside passes want. ``planner.lay_out`` calls it for a ``Bridge``."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from skyinspect.geodesy import LocalFrame

from missions.planning.assets import Bridge
from missions.planning.cameras import CameraProfile
from missions.planning.design import Design, Requirement, design_for
from missions.planning.geometry import Frustum, Prism, Solid, Surface
from missions.planning.patterns import Pass, PatternResult, box_pier_scan
from missions.planning.planner import outline_en, to_ne, with_keep_outs
from missions.planning.safety import Floor


def bridge_solids(bridge: Bridge, frame: LocalFrame) -> tuple[Solid, ...]:
    """The deck, piers and girders as solids: what the vehicle keeps the standoff from."""
    out: list[Solid] = [Prism("deck", outline_en(frame, bridge.deck_outline_lat_lon), bridge.deck_underside_agl_m,
                              bridge.deck_top_agl_m)]
    for p in bridge.piers:
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
    for g in bridge.girders:
        (n0, e0), (n1, e1) = to_ne(frame, g.start_lat_lon), to_ne(frame, g.end_lat_lon)
        d = np.array([e1 - e0, n1 - n0])
        w = np.array([-d[1], d[0]]) / max(float(np.linalg.norm(d)), 1e-9) * g.width_m / 2
        quad = [np.array([e0, n0]) + w, np.array([e1, n1]) + w, np.array([e1, n1]) - w, np.array([e0, n0]) - w]
        out.append(Prism(f"girder {g.name}", tuple((float(x[0]), float(x[1])) for x in quad),
                         bridge.deck_underside_agl_m - g.depth_m, bridge.deck_underside_agl_m))
    return tuple(out)


def bridge_floors(bridge: Bridge, frame: LocalFrame) -> tuple[Floor, ...]:
    """The ground or water under the deck, for the ground_clearance rule."""
    return (Floor("ground/water under the deck", outline_en(frame, bridge.deck_outline_lat_lon),
                  bridge.ground_below_agl_m, bridge.min_ground_clearance_m, bridge.deck_underside_agl_m),)


def bridge_patterns(bridge: Bridge, frame: LocalFrame, design: Design) -> PatternResult:
    """The wanted piers' faces or orbits (transits between them at the next pier's first lane height), then
    the girder lines, the underside lanes and the deck-top grid where the asset asks for them."""
    from missions.planning.patterns_more import deck_top_grid
    from missions.planning.patterns_tower import tower_scan

    site = bridge.site
    low_under_deck = bridge.lowest_under_deck_agl_m
    deck = Prism("deck", outline_en(frame, bridge.deck_outline_lat_lon), bridge.deck_underside_agl_m,
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
    # keep-outs too: the moves round the girder ends went through abutments given as keep-outs
    avoid = with_keep_outs(bridge_solids(bridge, frame), bridge, frame)
    if bridge.inspect_girders:
        from missions.planning.patterns_girder import girder_patterns

        r = girder_patterns(bridge_girder_faces(bridge, frame), design, avoid, site.min_standoff_m, low_under_deck)
        if not r.passes:
            notes.append("girders: no oblique line planned")
        passes += r.passes
        surfaces += r.surfaces
        notes += r.notes
    if bridge.inspect_underside:
        from missions.planning.patterns_underside import underside_scan
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


def underside_design(bridge: Bridge, design: Design, requirement: Requirement, camera: CameraProfile,
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


def girder_design(bridge: Bridge, frame: LocalFrame, design: Design, requirement: Requirement,
                  camera: CameraProfile, max_standoff_m: float = math.inf) -> Design:
    """Zoom cameras: the standoff (so focal length) that plans the most girder faces, then needs
    about the fewest photos, then is shortest. Footprints, spacing and flat-face photo counts do not
    change with it (same GSD); every pattern of the mission flies it."""
    from missions.planning.patterns_girder import girder_photos

    faces, site = bridge_girder_faces(bridge, frame), bridge.site
    solids = with_keep_outs(bridge_solids(bridge, frame), bridge, frame)
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
