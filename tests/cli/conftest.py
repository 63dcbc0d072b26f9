"""Fixtures of the CLI tests: two processed inspections of one face a year apart (helpers from
tests/groundstation/gs_fixtures.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "groundstation"))  # gs_fixtures, any import mode
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, dated_face_record

YEAR_S = 365.25 * 86400
BLADE = "wind_turbine_blade"  # EPRI categories by crack length: the planted growth escalates CAT4 -> CAT5


@pytest.fixture(scope="session")
def inspections(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(2024 results, 2025 results): one crack grown 0.30 -> 0.55 m, one corrosion stable, one crack
    repaired (not re-observed), one new crack. Read-only: copy a folder before writing into it."""
    from gs_fixtures import face_surface

    from groundstation.pipeline import process

    tmp = tmp_path_factory.mktemp("inspections")
    up = FLY_HEIGHT_M
    # wandering 4 mm, as cracks do: a straight level line is joint-like, whose growth is not judged
    grows_then = crack_on_face(-0.3, up + 0.4, length_m=0.30, width_m=0.003, wander_m=0.004)
    grows_now = crack_on_face(-0.3, up + 0.4, length_m=0.55, width_m=0.003, wander_m=0.004)
    rust = corrosion_on_face(0.6, up - 0.1)
    repaired = crack_on_face(0.45, up + 0.4, length_m=0.2, width_m=0.001)
    fresh = crack_on_face(0.0, up - 0.6, length_m=0.25, width_m=0.001)
    out = []
    for year, defects, t0 in (("2024", [grows_then, rust, repaired], 1.7e9),
                              ("2025", [grows_now, rust, fresh], 1.7e9 + YEAR_S)):
        rec = dated_face_record(tmp / f"flight-{year}", defects, t0)
        process(rec, tmp / f"results-{year}", face_surface(), progress=False, grading_profile=BLADE)
        out.append(tmp / f"results-{year}")
    return out[0], out[1]
