"""Stage files (groundstation.stages): what a rerun reads back is what the first run computed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface
from hypothesis import given, settings
from hypothesis import strategies as st

from groundstation.pipeline import process
from groundstation.stages import finding_from_dict, finding_to_dict
from skyinspect.findings import Finding


@settings(max_examples=40, deadline=None)
@given(lat=st.floats(-80, 80), lon=st.floats(-179, 179), dlat=st.floats(-1e-5, 1e-5), dlon=st.floats(-1e-5, 1e-5),
       var=st.floats(1e-9, 1e-3))
def test_a_findings_outline_and_covariance_round_trip_exactly(lat: float, lon: float, dlat: float, dlon: float,
                                                             var: float) -> None:
    """Six decimals of a degree are ~0.1 m: outlines were stored rounded to them (and RTK covariances,
    ~1e-5 m^2, to 1e-6), so a rerun that reused the stage published other outlines than the first run."""
    ring = np.array([[lat, lon, 400.0], [lat + dlat, lon, 400.1], [lat + dlat, lon + dlon, 400.2]])
    f = Finding("F-0001", 1, "crack", lat, lon, 400.0, ring, np.zeros(3), 0.9, ((1, 0),), (1, 0),
                cov_ned_m2=np.diag([var, 2 * var, 3 * var]))
    back = finding_from_dict(json.loads(json.dumps(finding_to_dict(f))))
    assert np.array_equal(back.outline_wgs84, ring)
    assert np.array_equal(back.cov_ned_m2, f.cov_ned_m2)


def test_a_rerun_that_reuses_the_stages_publishes_the_same_findings(tmp_path: Path) -> None:
    flight = face_flight(tmp_path / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1),
                                               corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)])
    first = process(flight, tmp_path / "out", face_surface(), progress=False)
    before = (tmp_path / "out" / "findings.geojson").read_bytes()
    again = process(flight, tmp_path / "out", face_surface(), progress=False)
    assert first.findings == again.findings > 0 and "measure" in again.stages_reused
    assert (tmp_path / "out" / "findings.geojson").read_bytes() == before
