"""The elevation drawing keeps every finding's label inside its plot, clear of the axis numbers and caption.

Found on report.pdf of bench/process_scale.py's 250-frame record (219 findings on a 30 m face): labels
crowded down out of the plot, over the axis numbers and the caption 'along the face, right of its
reference point (m)', and past the image's edge (F-0054, F-0215 cut off), with the plot's upper half
empty. Here 96 rust patches in a 16 x 6 grid on the test face: 8 labels were written below the plot
(F-0086 under the caption), none above the grid."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, face_flight, face_surface

from groundstation.fuse import fuse
from groundstation.georef import georeference
from groundstation.load import load_flight
from groundstation.plane import plane_basis
from groundstation.publish.context import PublishInput
from groundstation.publish.images import _free_spot, draw_schematic


def test_a_crowded_elevation_keeps_its_labels_in_the_plot(tmp_path: Path) -> None:
    flight = load_flight(face_flight(tmp_path / "f", [corrosion_on_face(0.3, FLY_HEIGHT_M, size_m=0.04)]))
    geo = georeference(flight, face_surface())
    basis = plane_basis(geo.surface, flight.origin)
    (patch,) = fuse(geo, flight.origin, basis)
    findings = []
    for k in range(96):  # 16 columns 0.1 m apart, 6 rows 0.08 m apart, going down
        off = np.array([-0.3 + (k % 16) * 0.1, 0.0, 0.08 * (k // 16)])
        findings.append(replace(patch, finding_id=f"F-{k + 1:04d}", outline_ned_m=patch.outline_ned_m + off,
                                centroid_ned_m=patch.centroid_ned_m + off))
    size, margin = (1400, 900), 80
    labels = draw_schematic(PublishInput(flight, geo, tuple(findings), basis), tmp_path / "s.png", size)
    assert labels is not None and sorted(t for t, _ in labels) == sorted(f.finding_id for f in findings)
    outside = [(t, b) for t, b in labels if b[0] < margin or b[1] < margin or b[2] > size[0] or b[3] > size[1] - margin]
    assert not outside, outside  # below the plot lie the axis numbers and caption


def test_a_stack_that_would_leave_the_area_goes_up() -> None:
    area = (0, 0, 400, 220)
    placed: list[tuple[int, int, int, int]] = []
    spots = [_free_spot(placed, "F-0001", 100, 200, area=area) for _ in range(3)]
    assert spots[0] == (100, 200) and all(y < 200 for _, y in spots[1:]), spots
    assert all(b[3] <= area[3] for b in placed)
    assert _free_spot([], "F-0002", 395, 300, area=area)[0] + 10 < 400  # pulled in from the right edge
