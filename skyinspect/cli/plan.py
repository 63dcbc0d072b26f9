"""`skyinspect plan` and `skyinspect upload`: inspection missions planned back from the grading need."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

console = Console()


def plan_command(
    asset: Path = typer.Argument(..., help="Asset description (.yaml, .json, .geojson); see missions/examples/."),
    out: Path = typer.Option(..., "--out", help=(
        "Folder for mission.plan, mission.waypoints, mission.kml, preview.html; a mission longer than one "
        "battery: flight_01/, flight_02/, ... with those files each, and flights.csv, flights.kml and an "
        "overview preview.html.")),
    camera: str = typer.Option("dji_h20_zoom", "--camera", help="Camera profile name (see docs/missions.md)."),
    camera_file: Path = typer.Option(None, "--camera-file", help="A custom camera profile (JSON); overrides --camera."),
    # missions.planning.design.CRACK_WIDTH_MM (read at import time; the planner is imported on use)
    crack_width_mm: float = typer.Option(0.3048, "--crack-width-mm", help=(
        "Narrowest crack width to grade; default AASHTO MBEI 1130's 0.012 in. (0.3048 mm) boundary.")),
    pixels_across: float = typer.Option(2.0, "--pixels-across", help="Pixels that must span the crack width."),
    front_overlap: float = typer.Option(0.70, "--front-overlap", help="Overlap of consecutive photos in a pass."),
    side_overlap: float = typer.Option(0.60, "--side-overlap", help="Overlap between neighbouring passes."),
    max_blur_px: float = typer.Option(0.5, "--max-blur-px", help="Motion blur allowed during the exposure."),
    exposure_s: float = typer.Option(None, "--exposure-s", help="Shutter time (default: the camera profile's)."),
    focal_mm: float = typer.Option(None, "--focal-mm", help="Fix the (zoom) focal length instead of choosing it."),
    autopilot: str = typer.Option("ardupilot", "--autopilot", help="ardupilot or px4 (command choices differ)."),
    max_mission_items: int = typer.Option(
        None, "--max-mission-items", help="Mission items the vehicle stores (default: ArduCopter on a 16 KB board 650 "
        "with home, PX4 500; 0: no limit); flights are cut to fit."),
    dem: Path = typer.Option(None, "--dem", help=(
        "A bare-earth DEM (DTM GeoTIFF, any CRS) of the site: refuses a flight that comes closer than "
        "site.min_flight_agl_m to the ground in it (the planner flies heights above home over flat ground).")),
) -> None:
    """Plan a checked inspection mission and write it for QGroundControl, Mission Planner and Google Earth
    (cut into flights of one battery each when it needs more)."""
    from skyinspect.errors import InputError, describe, file_in_the_way

    from missions.planning.assets import load_asset
    from missions.planning.cameras import get_camera, load_camera_file
    from missions.planning.coverage import coverage_frame_count, plan_coverage
    from missions.planning.design import Requirement
    from missions.planning.export import write_flights
    from missions.planning.mission import MAX_MISSION_ITEMS
    from missions.planning.planner import plan_flights

    if autopilot not in ("ardupilot", "px4"):
        raise InputError(f"--autopilot: expected 'ardupilot' or 'px4', got {autopilot!r}")
    if max_mission_items not in (None, 0) and max_mission_items < 20:
        raise InputError(f"--max-mission-items: expected 0 (no limit) or at least 20, got {max_mission_items}. "
                         f"Give what the vehicle stores (ArduPilot says 'Only N items are supported' when over it)")
    # before the planning and coverage (minutes on fine cracks), not after them as "File exists"
    clash = file_in_the_way(out)
    if clash is not None:
        got = "a file" if clash == out else f"a file at {clash}"
        raise InputError(describe(f"--out {out}", f"expected a folder, got {got}",
                                  "Give a new or existing folder (plan writes mission.plan etc. into it)"))
    cam = load_camera_file(camera_file) if camera_file else get_camera(camera)
    if dem is not None:  # a DEM that cannot be read is said before the planning, not minutes after it
        from missions.planning.terrain import read_dem

        dem_grid = read_dem(dem)
    req = Requirement(crack_width_mm, pixels_across, front_overlap, side_overlap, max_blur_px, exposure_s)
    with console.status("laying out the patterns and the flights ..."):
        plans = plan_flights(load_asset(asset), cam, req, autopilot, focal_mm, max_mission_items)
    if dem is not None:  # before the coverage and the writing: a refused plan writes nothing
        from missions.planning.terrain import check_terrain

        with console.status("checking the flights against the DEM ..."):
            terrain_notes = check_terrain(plans, dem, dem_grid)
        plans = tuple(replace(p, notes=p.notes + terrain_notes if k == 0 else p.notes,
                              checks_passed=p.checks_passed + ("terrain",)) for k, p in enumerate(plans))
    plan = plans[0]
    every_pass = replace(plan, passes=tuple(ps for p in plans for ps in p.passes))  # coverage of all flights
    with Progress(console=console, transient=True) as progress:
        # checked before anything is written; its time grows with photos x surface points
        task = progress.add_task("coverage at the required GSD", total=coverage_frame_count(every_pass))
        covered = plan_coverage(every_pass, on_frame=lambda: progress.advance(task))
    with console.status(f"writing {len(plans)} flight(s) ..."):
        paths = write_flights(plans, out)
    # names from the asset and camera files and paths are text, not rich markup ('pl [draft]' lost '[draft]')
    console.print(escape(plan.design.describe()))
    for c in covered:
        extra = f", area {c.area_covered_fraction:.4%}" if c.area_covered_fraction is not None else ""
        console.print(f"  {escape(str(c.surface))}: {c.frames} photos, covered {c.covered_fraction:.2%}{extra}")
    for note in flight_notes(plans):
        console.print(f"  [yellow]note:[/] {escape(note)}")
    battery = plan.asset.site.battery
    if len(plans) > 1:
        limit = MAX_MISSION_ITEMS[autopilot] if max_mission_items is None else max_mission_items
        stored = f" and at most {limit} mission items" if limit else ""  # the vehicle's storage cuts flights too
        console.print(f"[bold]{len(plans)} flights[/] (one battery each: {battery.endurance_min:g} min less the "
                      f"{battery.reserve_fraction:.0%} reserve){stored}, ~{sum(p.estimated_flight_s for p in plans) / 60:.1f} "
                      f"min in all; fly them in order (flights.csv):")
    for k, p in enumerate(plans, start=1):
        name = f"  flight {k}: " if len(plans) > 1 else ""
        console.print(f"{name}{len(p.items)} items, {p.photo_count} photos, ~{p.estimated_flight_s / 60:.1f} min; "
                      f"checks passed: {', '.join(p.checks_passed)}")
    more = f" and {len(paths) - 8} more" if len(paths) > 8 else ""
    console.print(escape("wrote " + ", ".join(str(p) for p in paths[:8]) + more))


def flight_notes(plans: tuple) -> list[str]:  # type: ignore[type-arg]
    """The first flight's notes, then those only a later flight has (its geofence), named by flight."""
    first = list(plans[0].notes)
    return first + [f"flight {k}: {n}" for k, p in enumerate(plans[1:], start=2) for n in p.notes if n not in first]


def upload_command(
    plan_file: Path = typer.Argument(..., help="A QGroundControl .plan file (e.g. from skyinspect plan)."),
    connect: str = typer.Option(..., "--connect", help="pymavlink URL: udpout:HOST:PORT, tcp:HOST:PORT, /dev/ttyACM0 (57600 baud) or serial:/dev/ttyACM0:115200."),
    timeout_s: float = typer.Option(1.5, "--timeout-s", help="Wait per protocol message before re-sending."),
    connect_timeout_s: float = typer.Option(10.0, "--connect-timeout-s", help="Wait for the link to open (a TCP "
                                            "connect) and the vehicle's HEARTBEAT."),
    system_id: int | None = typer.Option(None, "--system-id", min=1, max=255, help="The vehicle's MAVLink system id "
                                         "on a link shared by vehicles (default: the only one heard)."),
) -> None:
    """Upload a .plan over the MAVLink mission protocol, download it again and compare."""
    from skyinspect.errors import InputError, TelemetryError

    from missions.planning.fence import fence_from_qgc, fence_items
    from missions.planning.formats import load_qgc_plan, qgc_plan_mission
    from missions.planning.upload import upload_and_verify

    if not 0 < timeout_s < 600:  # 0 or less timed out at once and blamed the link
        raise InputError(f"--timeout-s: expected seconds in (0, 600), got {timeout_s:g}. "
                         f"Use e.g. 1.5 (a slow radio: 5)")
    if not 0 < connect_timeout_s < 600:
        raise InputError(f"--connect-timeout-s: expected seconds in (0, 600), got {connect_timeout_s:g}. Use e.g. 10")
    doc = load_qgc_plan(plan_file)  # read once: mission and fence come from the same file contents
    items, home, autopilot = qgc_plan_mission(doc, plan_file)
    # the plan's fence goes up after the mission, as QGroundControl sends it (it was left to the operator)
    areas = fence_from_qgc(doc, plan_file)
    result = upload_and_verify(connect, items, home, autopilot, timeout_s, connect_timeout_s=connect_timeout_s,
                               fence=fence_items(areas), system_id=system_id)
    if not result.same:
        what = "fence" if result.differences[0].startswith("fence") else "mission"
        raise TelemetryError(f"{plan_file}: the vehicle's {what} differs from the file after upload: "
                             + "; ".join(result.differences[:5]) + f". Upload again or check the autopilot's limits; it "
                             f"holds that {what} now: do not fly it in AUTO until one reads back identical")
    to = f"system {result.system_id} at " if result.system_id else ""
    console.print(f"uploaded {result.sent} items to {to}{escape(connect)}; read back {result.received}, identical")
    if result.other_vehicles:  # heard only after the upload began: the mission went to the first vehicle heard
        others = ", ".join(str(s) for s in result.other_vehicles)
        console.print(f"[yellow]warning:[/] the autopilot of system {others} was heard on this link too; the plan went "
                      f"to system {result.system_id}, the first heard. If that is the wrong vehicle, upload to the "
                      f"other with --system-id and check this one's mission")
    if not result.acknowledged:
        console.print("[yellow]note:[/] the vehicle's MISSION_ACK for the upload never arrived (a lossy link); the "
                      "mission read back from it is identical, so it holds this plan")
    if areas:
        inclusion = sum(a.inclusion for a in areas)
        shapes = "areas" if any(a.is_circle for a in areas) else "polygons"
        console.print(f"uploaded a fence of {result.fence_sent} points ({inclusion} inclusion, {len(areas) - inclusion} "
                      f"exclusion {shapes}); read back identical. The vehicle enforces it only when enabled (ArduPilot "
                      f"FENCE_ENABLE 1 with FENCE_TYPE's polygon bit 4; PX4 GF_ACTION not 0)")
