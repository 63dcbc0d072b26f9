"""Where on its component a finding is, as a crew measures it: work orders gave only latitude, longitude
and height MSL, which nobody on a pier with a tape measure can use. The expected values here are built
independently from the example assets' own numbers (missions/examples), not from the registry code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundstation.registry import Registry, _wgs84, assign_point, build_registry
from groundstation.registry.locate import location_text

EXAMPLES = Path(__file__).resolve().parents[2] / "missions" / "examples"


def _local(reg: Registry, aid: str, lat: float, lon: float) -> np.ndarray:
    frame = reg.assets[aid].frame
    n, e, _ = frame.to_ned(lat, lon, frame.h0_m)
    return np.array([float(e), float(n)])


def at(reg: Registry, aid: str, enu: np.ndarray | list[float]):  # type: ignore[no-untyped-def]
    lat, lon, alt = _wgs84(reg.assets[aid].frame, np.asarray(enu, dtype=np.float64))[0]
    return assign_point(reg, aid, "F", float(lat), float(lon), float(alt))


# bridge.yaml: P1 a box 6 m long north-south (heading 0), 1.5 m wide, 12 m high, on the ground
P1_CENTRE = (47.3978769, 8.5461238)
P1_LENGTH, P1_WIDTH = 6.0, 1.5


def _on_p1(c: np.ndarray, face: str, along: float, up: float) -> list[float]:
    """A point on P1's ``face`` ``along`` m right of the face's left corner as seen facing it, ``up`` m above ground."""
    hl, hw = P1_LENGTH / 2, P1_WIDTH / 2
    x, y = {"west": (c[0] - hw, c[1] + hl - along),  # facing it you look east: its left end is the north one
            "east": (c[0] + hw, c[1] - hl + along),
            "north": (c[0] + hw - along, c[1] + hl),
            "south": (c[0] - hw + along, c[1] - hl)}[face]
    return [x, y, up]


CORNER = {"west": "north-west corner", "east": "south-east corner", "north": "north-east corner",
          "south": "south-west corner"}


@settings(max_examples=40, deadline=None)
@given(face=st.sampled_from(["west", "east", "north", "south"]), frac=st.floats(0.05, 0.95),
       up=st.floats(0.2, 10.0))
def test_a_point_on_a_pier_face_comes_back_as_face_along_and_up(reg: Registry, face: str, frac: float,
                                                                 up: float) -> None:
    c = _local(reg, "bridge", *P1_CENTRE)
    width = P1_LENGTH if face in ("west", "east") else P1_WIDTH
    along = frac * width
    a = at(reg, "bridge", _on_p1(c, face, along, up))
    assert a is not None and a.component_id == "bridge/P1"
    assert a.face == f"{face} face"
    assert CORNER[face] in a.reference
    assert a.along_face_m == pytest.approx(along, abs=0.005)
    assert a.above_base_m == pytest.approx(up, abs=0.005)
    assert a.across_face_m is None and a.from_root_m is None


def test_round_pier_side_and_arc_from_north(reg: Registry) -> None:
    c = _local(reg, "bridge", 47.3978769, 8.5463888)  # P2, a cylinder 2 m across
    b = np.radians(250.0)
    a = at(reg, "bridge", [c[0] + 1.0 * np.sin(b), c[1] + 1.0 * np.cos(b), 4.0])
    assert a.component_id == "bridge/P2"
    assert a.face == "west side (bearing 250 deg)"
    assert a.along_face_m == pytest.approx(np.radians(250.0) * 1.0, abs=0.01)
    assert a.above_base_m == pytest.approx(4.0, abs=0.005)


def test_deck_underside_along_and_across_from_its_south_west_corner(reg: Registry) -> None:
    sw = _local(reg, "bridge", 47.3978319, 8.5458589)  # the deck outline's south-west corner
    a = at(reg, "bridge", [sw[0] + 30.0, sw[1] + 5.0, 12.0])  # on the soffit (underside 12 m), between the piers
    assert a.component_id == "bridge/deck" and a.face == "underside"
    assert a.reference.startswith("south-west corner")
    assert a.along_face_m == pytest.approx(30.0, abs=0.01) and a.across_face_m == pytest.approx(5.0, abs=0.01)


def test_pipeline_chainage_side_and_clock(reg: Registry) -> None:
    from shapely import wkt

    route = wkt.loads(reg.assets["gasline"].params["route_wkt"])
    for chain in (12.0, 130.0):
        on = np.array(route.interpolate(chain).coords[0])
        t = np.array(route.interpolate(chain + 0.5).coords[0]) - on
        t /= np.linalg.norm(t)
        right = np.array([t[1], -t[0]])
        east_side = at(reg, "gasline", [*(on + 0.4 * right), 1.0])  # pipe centre 1.0 m up, 0.8 m across
        assert east_side.chainage_m == pytest.approx(chain, abs=0.01)
        assert (east_side.side, east_side.clock) == ("right", "3 o'clock")
        top = at(reg, "gasline", [*(on - 0.01 * right), 1.4])
        assert (top.side, top.clock) == ("left", "12 o'clock") and top.above_base_m == pytest.approx(1.4, abs=0.005)
        under_left = at(reg, "gasline", [*(on - 0.2 * np.sqrt(3) * right), 1.0 - 0.2])  # 240 deg from the top
        assert under_left.clock == "8 o'clock"


def test_blade_metres_from_root(reg: Registry) -> None:
    par = reg.assets["t1"].params
    hub = np.array(par["hub"])
    axis, rot = np.array(par["blades"]["B"]["axis"]), np.array(par["blades"]["B"]["rotation"])
    a = at(reg, "t1", hub + 17.5 * axis + 1.0 * rot)
    assert a.from_root_m == pytest.approx(17.5, abs=0.005) and a.side == "LE"
    assert "17.50 m from the root" in location_text(a.to_dict())


def test_the_blade_line_names_its_side_once_and_the_pipe_height_is_above_the_ground(reg: Registry) -> None:
    """The blade's label already ends with its side ('blade B, mid zone, LE') and a pipe segment's gives
    the chainage; a pipe's height is measured from the ground it stands on (it has no base in the registry)."""
    par = reg.assets["t1"].params
    hub = np.array(par["hub"])
    axis, rot = np.array(par["blades"]["B"]["axis"]), np.array(par["blades"]["B"]["rotation"])
    blade = location_text(at(reg, "t1", hub + 17.5 * axis + 1.0 * rot).to_dict())
    assert blade.startswith("blade B, ") and blade.count("LE") == 1
    assert ": 17.50 m from the root (from the blade root" in blade

    from shapely import wkt

    route = wkt.loads(reg.assets["gasline"].params["route_wkt"])
    on = np.array(route.interpolate(12.0).coords[0])
    t = np.array(route.interpolate(12.5).coords[0]) - on
    top = location_text(at(reg, "gasline", [*(on - 0.01 * np.array([t[1], -t[0]]) / np.linalg.norm(t)), 1.4]).to_dict())
    # the segment's label gives the chainage already: "segment 0-50 m (chainage 12.0 m): chainage 12.00 m" before
    assert top.startswith("segment 0-50 m (chainage 12.0 m): 1.40 m above the ground, left, 12 o'clock (from the "
                          "route start") and top.count("chainage 1") == 1
    assert "base" not in top


def test_unassigned_says_so() -> None:
    assert location_text(None).startswith("not assigned to a registry component")


def test_a_finding_at_a_pier_foot_is_on_its_face_not_under_it(reg: Registry) -> None:
    """A pier stands on the ground: a defect 3 cm above the footing is on a face, there is no underside."""
    c = _local(reg, "bridge", *P1_CENTRE)
    x, y, _ = _on_p1(c, "west", 2.0, 0.03)
    a = at(reg, "bridge", [x + 0.05, y, 0.03])  # 5 cm inside: a georeferencing error
    p = [a.component_id, a.face, a.along_face_m, a.above_base_m]
    assert p == ["bridge/P1", "west face", pytest.approx(2.0, abs=0.005), pytest.approx(0.03, abs=0.005)]


def test_a_soffit_finding_near_the_deck_edge_is_on_the_underside(reg: Registry) -> None:
    """The deck's registry range reaches 0.5 m below its underside (to assign findings just under it): a
    soffit finding 0.3 m in from the north edge was nearer that padded bottom's side than the bottom."""
    sw = _local(reg, "bridge", 47.3978319, 8.5458589)
    ne = _local(reg, "bridge", 47.3979219, 8.5466537)
    a = at(reg, "bridge", [sw[0] + 30.0, ne[1] - 0.3, 12.0])
    assert (a.component_id, a.face) == ("bridge/deck", "underside")
    assert a.across_face_m == pytest.approx(ne[1] - sw[1] - 0.3, abs=0.01)
    edge = at(reg, "bridge", [sw[0] + 30.0, ne[1] + 0.05, 12.6])  # on the deck's north edge (fascia), mid-depth
    assert edge.face == "north face" and edge.above_base_m == pytest.approx(0.6, abs=0.01)


@settings(max_examples=60, deadline=None)
@given(heading=st.floats(0.0, 359.9), side=st.integers(0, 3), frac=st.floats(0.02, 0.98), up=st.floats(0.1, 11.0))
def test_any_heading_box_round_trip(heading: float, side: int, frac: float, up: float) -> None:
    """A box pier at any heading (planner: length along heading_deg): a point on one of its faces comes back
    on that face, named by the compass direction it faces, along it from its left end seen facing it."""
    import math

    from shapely.geometry import Polygon

    from groundstation.registry.locate import COMPASS, locate_on_footprint

    h = math.radians(heading)
    along_ax, across_ax = np.array([math.sin(h), math.cos(h)]), np.array([math.cos(h), -math.sin(h)])
    length, width = 6.0, 1.5
    foot = Polygon([sa * along_ax * length / 2 + sb * across_ax * width / 2
                    for sa, sb in ((1, 1), (1, -1), (-1, -1), (-1, 1))])
    # the face's outward normal and its extent; facing it (looking along -n), the right hand is -n x up
    normal = [along_ax, across_ax, -along_ax, -across_ax][side]
    half_out, extent = (length / 2, width) if side % 2 == 0 else (width / 2, length)
    right = np.array([-normal[1], normal[0]])  # (-n x up) in east-north
    left_end = normal * half_out - right * extent / 2
    p = left_end + right * frac * extent
    got = locate_on_footprint(foot, 0.0, 12.0, np.array([p[0], p[1], up]))
    bearing = math.degrees(math.atan2(normal[0], normal[1])) % 360
    if abs((bearing + 22.5) % 45) < 1e-6 or abs((bearing + 22.5) % 45 - 45) < 1e-6:
        return  # on a sector boundary the name may go either way
    assert got["face"] == f"{COMPASS[int((bearing + 22.5) // 45) % 8]} face"
    assert got["along_face_m"] == pytest.approx(frac * extent, abs=0.002)
    assert got["above_base_m"] == pytest.approx(up, abs=0.002)


def test_tower_metres_round_at_the_height_of_the_finding(reg: Registry) -> None:
    """A tower tapers (wind_turbine.yaml: 4.0 m across at the ground, 2.5 m at its top, the planner's
    frustum up to the hub height less the nacelle's 2 m radius): metres round from north were counted on
    the base's circle at every height, 0.91 m too many a quarter round at 60 m."""
    par = reg.assets["t1"].params
    base = np.array(par["base"])
    top = 80.0 - 2.0
    for z in (5.0, 60.0):
        r = 2.0 + (1.25 - 2.0) * z / top
        a = at(reg, "t1", [base[0] + r, base[1], z])  # due east on the tower's surface
        assert a.component_id == "t1/tower" and a.face.startswith("east side")
        assert a.along_face_m == pytest.approx(np.pi / 2 * r, abs=0.01)
        assert a.above_base_m == pytest.approx(z, abs=0.005)


def test_blade_metres_from_the_root_flange_when_the_asset_file_gives_the_hub_radius(tmp_path: Path) -> None:
    """blade_length_m runs from the hub centre (the planner's tip is hub height less it), so from_root_m did
    too; with blade_root_offset_m (the root flange's distance from the hub centre) it counts from the flange."""
    import yaml

    from missions.planning.assets import parse_asset
    from skyinspect.errors import InputError

    spec = yaml.safe_load((EXAMPLES / "wind_turbine.yaml").read_text())
    (tmp_path / "t.yaml").write_text(yaml.safe_dump({**spec, "blade_root_offset_m": 1.8}))
    build_registry([(tmp_path / "t.yaml", "t2")], tmp_path / "r.gpkg")
    r2 = Registry.read(tmp_path / "r.gpkg")
    par = r2.assets["t2"].params
    hub = np.array(par["hub"])
    axis, rot = np.array(par["blades"]["B"]["axis"]), np.array(par["blades"]["B"]["rotation"])
    a = at(r2, "t2", hub + 17.5 * axis + 1.0 * rot)
    assert a.from_root_m == pytest.approx(17.5 - 1.8, abs=0.005) and a.side == "LE"
    assert a.radius_m == pytest.approx(17.5, abs=0.005)  # the zone and radius still from the hub centre
    text = location_text(a.to_dict())
    assert "15.70 m from the root" in text and "root flange, 1.80 m from the hub centre" in text
    for bad in (-0.5, 40.0, "1.8 m"):
        with pytest.raises(InputError, match="blade_root_offset_m"):
            parse_asset({**spec, "blade_root_offset_m": bad}, "t.yaml")
