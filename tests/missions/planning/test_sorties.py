"""An inspection longer than one battery is cut into flights; photo lanes are flown at the design
speed and everything else at the site's limit, which the flight-time estimate follows."""

from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from skyinspect.cli import plan as plan_cli
from skyinspect.cli.main_errors import handle_errors
from skyinspect.errors import InputError

from missions.planning import Requirement, get_camera, load_asset
from missions.planning.mission import DO_CHANGE_SPEED, NAV_RETURN_TO_LAUNCH, NAV_TAKEOFF
from missions.planning.patterns import Pass
from missions.planning.planner import lay_out, plan_flights, plan_inspection
from missions.planning.safety import estimate_flight_s, flight_legs
from missions.planning.sorties import cut_pass, split_to_fit

from .conftest import EXAMPLES, lane_speeds

H20 = get_camera("dji_h20_zoom")
FINE = Requirement(crack_width_mm=0.3)  # 0.15 mm/px: the example pipeline needs hours of flying


def _lane(name: str, length_m: float, spacing_m: float = 1.0) -> Pass:
    return Pass(name, ((0.0, 0.0, -10.0), (length_m, 0.0, -10.0)), (0.0, 0.0), (-30.0, -30.0), "distance", spacing_m)


def _stations(ps: Pass) -> list[tuple[float, ...]]:
    return [tuple(np.round(p, 6)) for p, _, _ in ps.stations()]


def _photos(passes: tuple[Pass, ...]) -> list[tuple[float, ...]]:
    return [s for ps in passes for s in _stations(ps)]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), spacing=st.sampled_from([0.7, 1.0, 2.5]), extra=st.floats(0.0, 0.69))
def test_a_lane_cut_in_two_keeps_every_photo(n: int, spacing: float, extra: float) -> None:
    lane = _lane("L", (n - 1) * spacing + extra, spacing)
    parts = cut_pass(lane)
    if n == 1:
        assert parts is None
        return
    assert parts is not None
    assert _photos(parts) == _stations(lane)
    assert [p.name for p in parts] == ["L (part a)", "L (part b)"]
    stations = Pass("S", tuple((float(k), 0.0, -5.0) for k in range(n)), (90.0,) * n, (0.0,) * n, "each")
    halves = cut_pass(stations)
    assert halves is not None and _photos(halves) == _stations(stations)


def test_passes_are_packed_in_order_and_a_long_one_is_cut() -> None:
    passes = tuple(_lane(f"L{k}", length) for k, length in enumerate([3, 4, 2, 30, 1]))
    budget = 10.0  # photos a "battery" holds, in this stand-in for the flight-time estimate

    def fits(group: tuple[Pass, ...]) -> bool:
        return len(_photos(group)) <= budget

    groups = split_to_fit(passes, fits, 600.0)
    assert all(fits(g) for g in groups)
    assert _photos(tuple(p for g in groups for p in g)) == _photos(passes)  # every photo, in the planned order
    assert [p.name for p in groups[0]] == ["L0", "L1"]  # 4 + 5 photos; the 3 of L2 start the next flight
    assert groups[1][0].name == "L2"
    assert any("(part" in p.name for g in groups for p in g)  # the 31-photo lane went in parts
    with pytest.raises(InputError, match=r"'L0' does not fit one battery \(10.0 min usable\) even alone"):
        split_to_fit((_lane("L0", 0.0),), lambda g: False, 600.0)


def test_a_photo_too_far_from_home_is_refused_with_its_distance() -> None:
    # a 4 km pipeline flown from one home: the photo 2.9 km out needs 22.6 min there and back, and the refusal
    # said 'Fly a larger GSD or a longer battery, ...': a larger GSD changes nothing about the distance
    far = Pass("line 1 ch 2826-2926 m", ((2900.0, 400.0, -6.0),), (0.0,), (-45.0,), "each")
    with pytest.raises(InputError, match=r"single photo station 2,927 m from home .*Take off nearer to it \(cut a "
                                         r"long route into parts, each with its own site.home_lat_lon\)"):
        split_to_fit((far,), lambda g: False, 1350.0, lambda g: 1356.0)


@pytest.fixture(scope="module")
def pipeline_flights():
    # PX4: its lanes fly the design speed (0.075 m/s here); ArduCopter ignores speeds under 0.2 m/s, so on
    # ArduPilot these lanes are stop-and-shoot (test_min_speed.py)
    asset = load_asset(EXAMPLES / "pipeline.geojson")
    return asset, lay_out(asset, H20, FINE, "px4"), plan_flights(asset, H20, FINE, "px4")


def test_a_long_inspection_becomes_checked_flights_that_each_fit_the_battery(pipeline_flights) -> None:
    asset, layout, flights = pipeline_flights
    usable_s = asset.site.battery.endurance_min * 60 * (1 - asset.site.battery.reserve_fraction)
    assert asset.site.battery.usable_s == pytest.approx(usable_s)
    assert len(flights) > 1
    for plan in flights:
        assert plan.estimated_flight_s <= usable_s
        assert "battery" in plan.checks_passed
        assert plan.items[0].command == NAV_TAKEOFF and plan.items[-1].command == NAV_RETURN_TO_LAUNCH
    # the same photos as one long flight would take, in the same order
    assert sum(p.photo_count for p in flights) == sum(len(ps.stations()) for ps in layout.passes)
    assert _photos(tuple(ps for p in flights for ps in p.passes)) == _photos(layout.passes)
    with pytest.raises(InputError, match="rule battery"):
        plan_inspection(asset, H20, FINE)  # one flight of it is refused, as before


def test_lanes_at_the_design_speed_transits_at_the_sites(pipeline_flights) -> None:
    asset, layout, flights = pipeline_flights
    plan = flights[0]
    speeds = lane_speeds(plan.items)
    assert plan.design.speed_m_s < asset.site.max_speed_m_s
    assert speeds and all(s == pytest.approx(plan.design.speed_m_s, rel=1e-6) for s in speeds)
    assert plan.items[1].command == DO_CHANGE_SPEED and plan.items[1].params[1] == asset.site.max_speed_m_s
    # the estimate follows the speed changes: slower than all at the site's limit, faster than all at the lanes'
    legs = flight_legs(plan.items, plan.frame, asset.site)
    no_changes = tuple(it for it in plan.items if it.command != DO_CHANGE_SPEED)
    fast = estimate_flight_s(no_changes, flight_legs(no_changes, plan.frame, asset.site), asset.site,
                             asset.site.max_speed_m_s)
    slow = estimate_flight_s(no_changes, flight_legs(no_changes, plan.frame, asset.site), asset.site,
                             plan.design.speed_m_s)
    assert fast < estimate_flight_s(plan.items, legs, asset.site) < slow


def test_cli_writes_one_folder_per_flight_and_a_table(tmp_path, pipeline_flights) -> None:
    _, _, flights = pipeline_flights
    app = typer.Typer()
    app.command("plan")(handle_errors(plan_cli.plan_command))
    app.command("noop")(lambda: None)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["plan", str(EXAMPLES / "pipeline.geojson"), "--crack-width-mm", "0.3",
                                 "--autopilot", "px4", "--out", str(out)])
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert f"{len(flights)} flights (one battery each: 30 min less the 25% reserve)" in said
    with open(out / "flights.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["folder"] for r in rows] == [f"flight_{k:02d}" for k in range(1, len(flights) + 1)]
    assert sum(int(r["photos"]) for r in rows) == sum(p.photo_count for p in flights)
    for row in rows:
        assert sorted(p.name for p in (out / row["folder"]).iterdir()) == [
            "mission.kml", "mission.plan", "mission.waypoints", "preview.html"]
    # an overview of every flight, one folder (and colour) each
    import xml.dom.minidom

    kml = xml.dom.minidom.parse(str(out / "flights.kml"))
    names = [f.getElementsByTagName("name")[0].firstChild.data for f in kml.getElementsByTagName("Folder")
             if f.getElementsByTagName("name")[0].firstChild.data.startswith("flight ")]
    assert len(names) == len(flights) and names[0].startswith(f"flight 1 of {len(flights)} (")
    assert len({s.getElementsByTagName("color")[0].firstChild.data for s in kml.getElementsByTagName("Style")
                if s.getAttribute("id").startswith("path")}) == min(len(flights), 8)
    assert (out / "preview.html").stat().st_size > 0


def test_a_battery_too_small_for_one_photo_is_refused_and_nothing_written(tmp_path) -> None:
    asset = load_asset(EXAMPLES / "pipeline.geojson")
    tiny = replace(asset, site=replace(asset.site, battery=replace(asset.site.battery, endurance_min=0.2)))
    with pytest.raises(InputError, match="does not fit one battery .* even alone"):
        plan_flights(tiny, H20, FINE)


def test_a_plan_written_over_an_earlier_one_leaves_no_stale_flight(tmp_path, pipeline_flights) -> None:
    """A 0.3-mm plan's flight folders stayed beside the one-flight plan written over it, ready to upload."""
    from missions.planning.export import write_flights

    _, _, flights = pipeline_flights
    out = tmp_path / "out"
    write_flights(flights, out)
    (out / "site notes.txt").write_text("the operator's own file")
    (out / "flight_02" / "checked.txt").write_text("the operator's own file")
    write_flights(flights[:1], out)  # one flight now: its files at the top
    assert sorted(p.name for p in out.iterdir()) == ["flight_02", "mission.kml", "mission.plan",
                                                     "mission.waypoints", "preview.html", "site notes.txt"]
    assert sorted(p.name for p in (out / "flight_02").iterdir()) == ["checked.txt"]  # only our files went
    write_flights(flights[:2], out)  # and back to several: the top-level single flight goes
    assert not (out / "mission.plan").exists() and (out / "flight_01" / "mission.plan").is_file()
    assert (out / "flights.csv").is_file() and (out / "site notes.txt").is_file()


def test_a_failed_write_leaves_the_earlier_plan_as_it_was(tmp_path, pipeline_flights, monkeypatch) -> None:
    """A failure at flight 2 (a full disk) left the new flight 1 beside the earlier plan's other flights
    and its flights.csv: a mixed set ready to upload."""
    from missions.planning import export
    from skyinspect.errors import RecordError

    _, _, flights = pipeline_flights
    out = tmp_path / "out"
    export.write_flights(flights[1:] + flights[:1], out)  # the earlier plan: other flights in other folders
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real, calls = export.write_preview, []

    def full_disk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "write_preview", full_disk)
    with pytest.raises(RecordError, match=r"cannot write the plan .*No space left on device.*nothing was changed"):
        export.write_flights(flights, out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before and [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    calls.clear()
    with pytest.raises(RecordError):
        export.write_flights(flights, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_site_speed_typo_is_named_in_the_battery_refusal() -> None:
    # max_speed_m_s 0.01 (e.g. typed in another unit) read only "... even alone, and holds a single photo
    # station. Fly a larger GSD or a longer battery"
    asset = load_asset(EXAMPLES / "pipeline.geojson")
    crawl = replace(asset, site=replace(asset.site, max_speed_m_s=0.01))
    with pytest.raises(InputError, match=r"even alone, and holds a single photo station 13 m from home \(its flight "
                                         r"alone takes ~\d+\.\d min\)\. Fly a larger GSD .*check site.max_speed_m_s "
                                         r"and site.climb_speed_m_s"):
        plan_flights(crawl, H20, Requirement(crack_width_mm=3.0))


def test_each_flight_fits_the_autopilots_mission_storage() -> None:
    # the example turbine at 8 mm was one ArduPilot flight of 660 items + home: ArduCopter on a 16 KB board
    # keeps (9758 - 4) / 15 = 650 (AP_Mission, StorageManager), so the upload was refused with NO_SPACE on the
    # field, and the fix offered was to shorten the battery. Flights are now cut to fit the storage too
    from missions.planning.mission import MAX_MISSION_ITEMS

    turbine = load_asset(EXAMPLES / "wind_turbine.yaml")
    flights = plan_flights(turbine, H20, Requirement(crack_width_mm=8.0), "ardupilot")
    assert MAX_MISSION_ITEMS["ardupilot"] == 650 and MAX_MISSION_ITEMS["px4"] == 500
    assert len(flights) == 2 and all(len(f.items) + 1 <= 650 for f in flights), [len(f.items) for f in flights]
    assert sum(f.photo_count for f in flights) == 234  # every photo kept
    fewer = plan_flights(turbine, H20, Requirement(crack_width_mm=8.0), "px4", max_mission_items=300)
    assert len(fewer) == 2 and all(len(f.items) <= 300 for f in fewer)  # PX4 has no home item


def test_cli_cuts_flights_at_the_mission_items_given(tmp_path) -> None:
    app = typer.Typer()
    app.command("plan")(handle_errors(plan_cli.plan_command))
    app.command("noop")(lambda: None)
    args = ["plan", str(EXAMPLES / "bridge.yaml"), "--crack-width-mm", "2.0", "--exposure-s", "0.0005"]
    r = CliRunner().invoke(app, args + ["--max-mission-items", "5", "--out", str(tmp_path / "bad")])
    assert r.exit_code == 2 and "--max-mission-items: expected 0 (no limit) or at least 20, got 5" in r.output
    r = CliRunner().invoke(app, args + ["--max-mission-items", "200", "--out", str(tmp_path / "out")])
    said = " ".join(r.output.split())
    assert r.exit_code == 0 and "2 flights (one battery each: 30 min less the 25% reserve) and at most 200 mission " \
        "items" in said, said  # one flight of 322 items + home before
    from missions.planning.formats import read_qgc_plan

    assert all(len(read_qgc_plan(tmp_path / "out" / f"flight_0{k}" / "mission.plan")[0]) + 1 <= 200 for k in (1, 2))
