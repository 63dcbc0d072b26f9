"""Write a checked plan: .plan, .waypoints, .kml, preview.html (all or nothing)."""

from __future__ import annotations

from pathlib import Path

from skyinspect.errors import RecordError, describe

from missions.planning.formats import write_qgc_plan, write_waypoints
from missions.planning.kml import write_kml, write_preview
from missions.planning.planner import Plan


def write_all(plan: Plan, out_dir: Path, stem: str = "mission") -> list[Path]:
    """Only ever called with a Plan, which exists only once every check has passed."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(describe(out_dir, f"cannot create the output folder ({exc})")) from exc
    paths = [out_dir / f"{stem}.plan", out_dir / f"{stem}.waypoints", out_dir / f"{stem}.kml", out_dir / "preview.html"]
    fence = plan.asset.site.geofence_lat_lon
    write_qgc_plan(paths[0], plan.items, plan.home_lat_lon_alt, plan.autopilot, plan.design.speed_m_s, fence)
    write_waypoints(paths[1], plan.items, plan.home_lat_lon_alt)
    write_kml(paths[2], plan)
    write_preview(paths[3], plan)
    return paths
