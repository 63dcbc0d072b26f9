"""QGroundControl ``.plan`` (JSON, as QGC writes it) and Mission Planner ``.waypoints`` (QGC WPL 110).

.plan (QGC dev guide, "Plan File Format"): top level ``fileType: "Plan"``, ``version: 1``,
``groundStation``, ``mission`` {``version: 2``, ``firmwareType`` (3 ArduPilot, 12 PX4),
``vehicleType`` (2 quadrotor), ``cruiseSpeed``, ``hoverSpeed``, ``globalPlanAltitudeMode``,
``plannedHomePosition`` [lat, lon, alt AMSL], ``items``}, ``geoFence`` {``circles``, ``polygons``
[{``inclusion``, ``polygon`` [[lat, lon]...], ``version: 1``}], ``version: 2``}, ``rallyPoints``
{``points``, ``version: 2``}. A ``SimpleItem`` has ``autoContinue``, ``command``, ``doJumpId``,
``frame``, ``params`` (7 numbers, NaN written as null) and, for items with a position,
``Altitude``, ``AltitudeMode`` (1 = relative to home) and ``AMSLAltAboveTerrain`` (null). The geoFence holds the site's fence (inclusion) and the keep-outs
that the flight never crosses from above or below (exclusion; ``fence.py``).

.waypoints: first line ``QGC WPL 110``; then one tab-separated line per item: index, current,
frame, command, p1..p4, lat, lon, alt, autocontinue. Line 0 is home (frame 0, AMSL).

All writers write to a temporary file and rename, so a failed write leaves nothing behind.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

from skyinspect.atomic import write_atomic
from skyinspect.errors import InputError, describe

from missions.planning.asset_reader import read_utf8
from missions.planning.fence import FenceArea, fence_to_qgc
from missions.planning.mission import FRAME_GLOBAL, GLOBAL_FRAMES, NAV_WAYPOINT, MissionItem

FIRMWARE_TYPE = {"ardupilot": 3, "px4": 12}
VEHICLE_TYPE_QUADROTOR = 2
ALTITUDE_MODE_RELATIVE = 1


def _num(v: float) -> float | int | None:
    if math.isnan(v):
        return None
    return int(v) if float(v).is_integer() and abs(v) < 2**53 else v


def plan_to_qgc(items: tuple[MissionItem, ...], home_lat_lon_alt: tuple[float, float, float], autopilot: str,
                cruise_speed_m_s: float, fence: tuple[FenceArea, ...] = ()) -> dict[str, Any]:
    qitems = []
    for seq, it in enumerate(items, start=1):
        q: dict[str, Any] = {}
        if it.has_position:
            q.update({"AMSLAltAboveTerrain": None, "Altitude": _num(it.params[6]), "AltitudeMode": ALTITUDE_MODE_RELATIVE})
        q.update({"autoContinue": bool(it.autocontinue), "command": it.command, "doJumpId": seq, "frame": it.frame,
                  "params": [_num(p) for p in it.params], "type": "SimpleItem"})
        qitems.append(q)
    return {
        "fileType": "Plan",
        "geoFence": fence_to_qgc(fence),
        "groundStation": "QGroundControl",
        "mission": {"cruiseSpeed": _num(round(cruise_speed_m_s, 3)), "firmwareType": FIRMWARE_TYPE[autopilot],
                    "globalPlanAltitudeMode": ALTITUDE_MODE_RELATIVE, "hoverSpeed": _num(round(cruise_speed_m_s, 3)),
                    "items": qitems, "plannedHomePosition": list(home_lat_lon_alt), "vehicleType": VEHICLE_TYPE_QUADROTOR,
                    "version": 2},
        "rallyPoints": {"points": [], "version": 2},
        "version": 1,
    }


def write_qgc_plan(path: Path, items: tuple[MissionItem, ...], home_lat_lon_alt: tuple[float, float, float],
                   autopilot: str, cruise_speed_m_s: float, fence: tuple[FenceArea, ...] = ()) -> None:
    doc = plan_to_qgc(items, home_lat_lon_alt, autopilot, cruise_speed_m_s, fence)
    write_atomic(path, json.dumps(doc, indent=4, sort_keys=True) + "\n")


def read_qgc_plan(path: Path) -> tuple[tuple[MissionItem, ...], tuple[float, float, float], str]:
    """Parse a .plan against the documented format: (items, home lat/lon/alt, autopilot).

    Only SimpleItems are accepted (ComplexItems such as QGC's Survey must be converted by QGC first)."""
    return qgc_plan_mission(load_qgc_plan(path), path)


def load_qgc_plan(path: Path) -> Any:
    """A .plan's JSON document, read once (``qgc_plan_mission`` and ``fence_from_qgc`` parse it)."""
    path = Path(path)
    if path.is_dir():  # `upload OUT` on a plan folder was an IsADirectoryError traceback
        plans = sorted(path.glob("mission.plan")) + sorted(path.glob("flight_[0-9]*/mission.plan"))
        fix = (f"Give {plans[0]}" if len(plans) == 1 else "Give the mission.plan that skyinspect plan wrote" if not plans
               else f"Upload one flight's mission.plan at a time, in order: {', '.join(str(p) for p in plans[:3])}"
               + (", ..." if len(plans) > 3 else ""))
        raise InputError(describe(path, "expected a .plan file, got a folder", fix))
    try:
        doc = json.loads(read_utf8(Path(path), "JSON", "Give the mission.plan that skyinspect plan wrote (UTF-8)"))
    except FileNotFoundError as exc:
        raise InputError(describe(path, "plan file not found")) from exc
    except json.JSONDecodeError as exc:
        if path.read_text(encoding="utf-8", errors="replace").startswith("QGC WPL"):  # said only "not valid JSON"
            beside = path.with_suffix(".plan")
            raise InputError(describe(path, "expected a QGroundControl .plan (JSON), got a .waypoints file (QGC WPL)",
                                      f"Upload {beside}" if beside.is_file() else
                                      "Upload the mission.plan that skyinspect plan wrote beside it")) from exc
        raise InputError(describe(path, f"not valid JSON ({exc})")) from exc
    return doc


def qgc_plan_mission(doc: Any, path: Path) -> tuple[tuple[MissionItem, ...], tuple[float, float, float], str]:
    """(items, home lat/lon/alt, autopilot) of a loaded .plan document, checked as ``read_qgc_plan`` says."""

    def need(cond: bool, what: str, got: object) -> None:
        if not cond:
            raise InputError(describe(path, f"{what}, got {got!r}", "Is this a QGroundControl .plan file?"))

    need(isinstance(doc, dict) and doc.get("fileType") == "Plan", "expected fileType 'Plan'",
         doc.get("fileType") if isinstance(doc, dict) else doc)
    need(doc.get("version") == 1, "expected plan version 1", doc.get("version"))
    mission = doc.get("mission")
    need(isinstance(mission, dict) and mission.get("version") == 2, "expected mission.version 2",
         mission.get("version") if isinstance(mission, dict) else mission)
    home = mission.get("plannedHomePosition")
    # ArduPilot's item 0 is home, sent as int32 degrees x 1e7: text, null or 300 degrees was a traceback mid-upload
    need(isinstance(home, list) and len(home) == 3 and all(_finite(v) for v in home)
         and abs(home[0]) <= 90 and abs(home[1]) <= 180,
         "mission.plannedHomePosition: expected [latitude, longitude, altitude] "
         "(degrees, |lat| <= 90, |lon| <= 180; metres)", home)
    fw = {v: k for k, v in FIRMWARE_TYPE.items()}.get(mission.get("firmwareType"), "ardupilot")
    raw = mission.get("items", [])
    need(isinstance(raw, list), "mission.items: expected a list of items", raw)
    items = []
    for k, q in enumerate(raw):
        need(isinstance(q, dict) and q.get("type") == "SimpleItem", f"mission.items[{k}]: expected a SimpleItem",
             q.get("type") if isinstance(q, dict) else q)
        params = q.get("params")
        need(isinstance(params, list) and len(params) == 7, f"mission.items[{k}].params: expected 7 numbers", params)
        try:
            items.append(MissionItem(int(q["command"]), int(q["frame"]),
                                     tuple(float("nan") if p is None else float(p) for p in params),  # type: ignore[arg-type]
                                     bool(q.get("autoContinue", True))))
        except (KeyError, TypeError, ValueError) as exc:  # a hand-edited item: one line, not a traceback
            need(False, f"mission.items[{k}]: expected command, frame and 7 numeric params ({exc!r})", q)
        _check_sendable(q, items[-1], f"mission.items[{k}]", need)
    return tuple(items), (float(home[0]), float(home[1]), float(home[2])), fw


def _finite(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_sendable(q: dict[str, Any], it: MissionItem, where: str, need: Callable[[bool, str, object], None]) -> None:
    """Refuse what MISSION_ITEM_INT cannot carry, before the link is opened: an out-of-range command or frame
    (uint16, uint8) or a position that is not degrees (int32 x 1e7) failed packing after the vehicle had been
    sent MISSION_COUNT and the first items; a fractional command was cut to another command."""
    cmd, frame = q["command"], q["frame"]
    need(_finite(cmd) and float(cmd).is_integer() and 0 <= cmd <= 65535,
         f"{where}.command: expected a MAV_CMD number (a whole number 0..65535)", cmd)
    need(_finite(frame) and float(frame).is_integer() and 0 <= frame <= 255,
         f"{where}.frame: expected a MAV_FRAME number (a whole number 0..255)", frame)
    if it.frame in GLOBAL_FRAMES:
        lat, lon = it.params[4], it.params[5]
        need(math.isfinite(lat) and abs(lat) <= 90, f"{where}.params[4]: expected a latitude in degrees "
             f"(|lat| <= 90) in frame {it.frame}", q["params"][4])
        need(math.isfinite(lon) and abs(lon) <= 180, f"{where}.params[5]: expected a longitude in degrees "
             f"(|lon| <= 180) in frame {it.frame}", q["params"][5])


def _fmt(v: float, digits: int) -> str:
    return "NaN" if math.isnan(v) else f"{v:.{digits}f}"  # only PX4 plans carry NaN (e.g. "keep heading")


def waypoints_text(items: tuple[MissionItem, ...], home_lat_lon_alt: tuple[float, float, float]) -> str:
    home = MissionItem(NAV_WAYPOINT, FRAME_GLOBAL, (0.0, 0.0, 0.0, 0.0) + tuple(home_lat_lon_alt))  # type: ignore[arg-type]
    lines = ["QGC WPL 110"]
    for seq, it in enumerate((home,) + tuple(items)):
        p = it.params
        lines.append("\t".join([str(seq), "1" if seq == 0 else "0", str(it.frame), str(it.command)]
                               + [_fmt(x, 8) for x in p[:6]] + [_fmt(p[6], 6), "1" if it.autocontinue else "0"]))
    return "\n".join(lines) + "\n"


def write_waypoints(path: Path, items: tuple[MissionItem, ...], home_lat_lon_alt: tuple[float, float, float]) -> None:
    write_atomic(path, waypoints_text(items, home_lat_lon_alt))


def read_waypoints(path: Path) -> tuple[tuple[MissionItem, ...], tuple[float, float, float]]:
    """Parse QGC WPL 110: (items after home, home lat/lon/alt)."""
    path = Path(path)
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("QGC WPL 110"):
        raise InputError(describe(path, f"expected first line 'QGC WPL 110', got {lines[0] if lines else ''!r}",
                                  "Save the mission as a Mission Planner .waypoints file"))
    items = []
    for n, ln in enumerate(lines[1:], start=2):
        f = ln.split("\t") if "\t" in ln else ln.split()
        if len(f) != 12:
            raise InputError(describe(path, f"line {n}: expected 12 tab-separated fields, got {len(f)}"))
        items.append(MissionItem(int(f[3]), int(f[2]), tuple(float(x) for x in f[4:11]), f[11].strip() != "0"))  # type: ignore[arg-type]
    home = items[0].params
    return tuple(items[1:]), (home[4], home[5], home[6])
