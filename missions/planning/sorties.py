"""Cut an inspection longer than one battery into flights.

Inspecting for thin cracks means flying close or zoomed in, and a bridge then takes hours of flying:
more than one battery. The passes keep their planned order and are packed greedily into flights,
each one taking off, flying its passes and coming back within the battery less its reserve (the
same estimate the battery rule checks) and holding no more mission items than the autopilot stores
(``MAX_MISSION_ITEMS``, ``--max-mission-items``). A pass too long for one battery on its own is cut between
two of its photos, into halves until each fits. Every flight is then written and checked on its own.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from skyinspect.errors import InputError

from missions.planning.patterns import Pass

FAR_M = 1000.0  # a photo this far out on one battery: the flight there is the problem, not the photos


def split_to_fit(passes: tuple[Pass, ...], fits: Callable[[tuple[Pass, ...]], bool],
                 usable_s: float, time_s: Callable[[tuple[Pass, ...]], float] | None = None) -> list[tuple[Pass, ...]]:
    """Consecutive groups of ``passes`` for which ``fits`` holds, as few as the greedy order allows.
    ``time_s`` (a group's flight time) puts the time one photo's flight needs into the refusal."""
    groups: list[tuple[Pass, ...]] = []
    current: tuple[Pass, ...] = ()
    todo = deque(passes)
    while todo:
        ps = todo.popleft()
        trial = current + (ps,)
        if fits(trial):
            current = trial
        elif current:  # this flight is full: the pass starts the next one
            groups.append(current)
            current = ()
            todo.appendleft(ps)
        else:  # alone it does not fit: fly it in parts
            parts = cut_pass(ps)
            if parts is None:
                # the time and the site speeds say why: a max_speed_m_s of 0.01 read "fly a larger GSD"
                needs = f" (its flight alone takes ~{time_s((ps,)) / 60:.1f} min)" if time_s else ""
                # the patterns are in a frame at home: a far photo on a long route is mostly transit, which a
                # larger GSD does not shorten
                away_m = math.hypot(*ps.stations()[0][0][:2])
                nearer = ("Take off nearer to it (cut a long route into parts, each with its own site.home_lat_lon), "
                          if away_m >= FAR_M else "")
                raise InputError(f"pass {ps.name!r} does not fit one battery ({usable_s / 60:.1f} min usable) even "
                                 f"alone, and holds a single photo station {away_m:,.0f} m from home{needs}. {nearer}"
                                 f"{'f' if nearer else 'F'}ly a larger GSD or a longer battery, or check "
                                 f"site.max_speed_m_s and site.climb_speed_m_s")
            todo.extendleft(reversed(parts))
    if current:
        groups.append(current)
    return groups


def cut_pass(ps: Pass) -> tuple[Pass, Pass] | None:
    """The pass in two, cut between two photo stations (None: a single station). The first part keeps
    the pass's way in, the second its way out; each part's photos are the pass's, none lost or added."""
    if ps.trigger == "each":
        n = len(ps.waypoints_ned)
        if n < 2:
            return None
        k = n // 2
        first = replace(ps, name=f"{ps.name} (part a)", waypoints_ned=ps.waypoints_ned[:k], yaw_deg=ps.yaw_deg[:k],
                        gimbal_pitch_deg=ps.gimbal_pitch_deg[:k], exit_ned=())
        second = replace(ps, name=f"{ps.name} (part b)", waypoints_ned=ps.waypoints_ned[k:], yaw_deg=ps.yaw_deg[k:],
                         gimbal_pitch_deg=ps.gimbal_pitch_deg[k:], via_ned=())
        return first, second
    stations = ps.stations()  # a distance-triggered lane: photos every spacing_m from its start
    n = len(stations)
    if n < 2:
        return None
    k = n // 2
    at = [tuple(float(v) for v in st[0]) for st in stations]
    b = tuple(float(v) for v in ps.waypoints_ned[-1])
    first = _lane(ps, "a", at[0], at[k - 1], k, via_ned=ps.via_ned, exit_ned=())
    second = _lane(ps, "b", at[k], b, n - k, via_ned=(), exit_ned=ps.exit_ned)
    return first, second


def _lane(ps: Pass, part: str, start: tuple[float, float, float], end: tuple[float, float, float], stations: int,
          via_ned: tuple, exit_ned: tuple) -> Pass:  # type: ignore[type-arg]
    """Part of a distance-triggered lane from ``start`` (a photo) to ``end``; a part of one photo is a
    single station, not a lane of length zero."""
    if stations == 1:
        return replace(ps, name=f"{ps.name} (part {part})", trigger="each", waypoints_ned=(start,), spacing_m=0.0,
                       yaw_deg=ps.yaw_deg[:1], gimbal_pitch_deg=ps.gimbal_pitch_deg[:1], via_ned=via_ned,
                       exit_ned=exit_ned)
    return replace(ps, name=f"{ps.name} (part {part})", waypoints_ned=(start, end), yaw_deg=ps.yaw_deg[:1] * 2,
                   gimbal_pitch_deg=ps.gimbal_pitch_deg[:1] * 2, via_ned=via_ned, exit_ned=exit_ned)
