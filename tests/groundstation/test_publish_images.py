"""Best-view crops: the popup/report picture shows every piece of a finding the frame saw."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from gs_fixtures import FLY_HEIGHT_M, crack_on_face, face_flight, face_surface

from groundstation.fuse import fuse
from groundstation.georef import georeference
from groundstation.load import load_flight
from groundstation.plane import plane_basis
from groundstation.publish.context import PublishInput, colour_bgr
from groundstation.publish.images import best_view_crop_jpeg


def test_crop_holds_every_piece_of_the_finding(tmp_path: Path) -> None:
    # one crack the detector broke in two (linked into one finding by fusion)
    pieces = [crack_on_face(0.0, FLY_HEIGHT_M, length_m=0.12), crack_on_face(0.17, FLY_HEIGHT_M, length_m=0.12)]
    flight = load_flight(face_flight(tmp_path / "f", pieces, n_frames=3))
    geo = georeference(flight, face_surface())
    basis = plane_basis(geo.surface, flight.origin)
    (finding,) = fuse(geo, flight.origin, basis)
    inp = PublishInput(flight, geo, (finding,), basis)
    both = cv2.imdecode(np.frombuffer(best_view_crop_jpeg(inp, finding), np.uint8), cv2.IMREAD_COLOR)
    alone = replace(finding, views=(finding.best_view,))
    one = cv2.imdecode(np.frombuffer(best_view_crop_jpeg(inp, alone), np.uint8), cv2.IMREAD_COLOR)
    # the outlines are drawn in the crack colour: two separate outlines around both pieces, one alone
    assert _outlines(both) == 2 and _outlines(one) == 1


def _outlines(img: np.ndarray) -> int:
    colour = np.array(colour_bgr("crack"), np.int16)
    near = (np.abs(img.astype(np.int16) - colour).max(axis=2) < 60).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(near, np.ones((3, 3), np.uint8)))
    return int((stats[1:, cv2.CC_STAT_AREA] > 20).sum())


def test_labels_at_one_spot_are_stacked_not_overprinted() -> None:
    """A crack and the joint line split off it share a centroid: their ids were printed over each other."""
    from groundstation.publish.images import _free_spot

    placed: list[tuple[int, int, int, int]] = []
    first = _free_spot(placed, "F-0003", 100, 200)
    second = _free_spot(placed, "F-0003-J joint?", 100, 200)
    third = _free_spot(placed, "F-0099", 600, 200)
    assert first == (100, 200) and second[0] == 100 and second[1] > 200 and third == (600, 200)
    a, b = placed[0], placed[1]
    assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_a_label_keeps_off_other_findings_but_may_lie_on_its_own() -> None:
    """A crack beside a joint line: its id went over the line; now to the clear side."""
    import numpy as np

    from groundstation.publish.images import _label_spot

    owner = np.zeros((400, 600), np.int32)
    owner[100:300, 318:322] = 2  # another finding's line just right of the crack's centre
    x, y = _label_spot(owner, [], "F-0009", 300, 200, own=1)
    assert x < 300  # written to the left, clear of finding 2
    owner[:] = 0
    owner[150:250, 290:420] = 1  # its own patch under the usual spot: the usual spot stays
    assert _label_spot(owner, [], "F-0014", 300, 200, own=1) == (308, 192)


def test_a_nadir_flights_footprints_stay_inside_the_drawing(tmp_path: Path) -> None:
    """Four nadir photos from 30 m flown north-east (footprints ~28 m, turned 45 deg, as the Brighton DJI
    photos) and one small rust patch: framing on the 2-98 % percentiles of every corner cut the
    footprints' corners off, and they were drawn over the margins, the axis numbers and the title.
    Now the typical footprints are framed and what runs off is clipped."""
    from gs_fixtures import FRAME, HOME, Defect, instance_for, pose_at, write_record

    from groundstation.publish.images import draw_schematic
    from skyinspect.segmentation import CORROSION
    from skyinspect.surface import PlaneSurface

    ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    rust = Defect("rust", CORROSION, np.stack([2.0 + 0.3 * np.cos(ang), 0.3 * np.sin(ang), np.zeros(16)], axis=1))
    poses = [pose_at(np.array([k * 8.0, k * 8.0, -30.0]), 45.0, -90.0, t=1.7e9 + k) for k in range(4)]
    flight = load_flight(write_record(tmp_path / "f", [(p, [instance_for(p, rust)]) for p in poses]))
    ground = PlaneSurface.ground(*HOME)
    geo = georeference(flight, ground)
    basis = plane_basis(geo.surface, flight.origin)
    findings = tuple(fuse(geo, flight.origin, basis))
    assert len(findings) == 1 and FRAME.lat0_deg == HOME[0]
    draw_schematic(PublishInput(flight, geo, findings, basis), tmp_path / "schematic.png")
    img = cv2.imread(str(tmp_path / "schematic.png"))
    h, w = img.shape[:2]
    footprint_grey = np.all(img == (205, 205, 205), axis=2)
    margin = 80
    # the margins beside the axes, where no text is written (text edges may hold this grey too)
    assert int(footprint_grey[margin:, w - margin:].sum()) == 0
    assert int(footprint_grey[margin:h - margin, 45:margin].sum()) == 0
    assert int(footprint_grey[h - margin + 2:h - margin + 8, margin:w - margin].sum()) == 0


def test_a_label_pushed_away_by_crowding_gets_a_leader_line() -> None:
    """In a dense cluster labels were stacked lines below their markers with nothing tying them back."""
    from groundstation.publish.images import _label_spot, _leader

    img = np.full((300, 400, 3), 255, np.uint8)
    assert not _leader(img, "F-0001", *_label_spot(np.zeros((300, 400), np.int32), [], "F-0001", 100, 100, 1),
                       100, 100)
    assert int((img != 255).sum()) == 0  # a label beside its marker needs none
    assert _leader(img, "F-0002", 100, 190, 100, 100)  # pushed five lines down
    assert int((img[100:175, 98:103] != 255).any(axis=2).sum()) > 40  # the line runs down to the label
