"""What the report's text says. Without findings: whether anything was inspected (with no frame
georeferenced, the camera looking away from the surface, it said only "No findings.", which reads as a
clean structure). Names with umlauts or accents are printed as written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, face_flight, face_surface

from groundstation.pipeline import process
from skyinspect.surface import PlaneSurface


@pytest.fixture(scope="module")
def flight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return face_flight(tmp_path_factory.mktemp("empty") / "f", [corrosion_on_face(0.3, FLY_HEIGHT_M)])


def _texts(out: Path) -> list[str]:
    texts = [(out / "report.html").read_text()]
    if shutil.which("pdftotext") is not None:
        texts.append(subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                                    check=True).stdout)
    return [" ".join(t.split()) for t in texts]


def test_nothing_georeferenced_is_not_reported_as_nothing_found(flight: Path, tmp_path: Path) -> None:
    good = face_surface()
    behind = PlaneSurface(good.lat_deg, good.lon_deg, good.alt_msl_m, (1.0, 0.0, 0.0), "face, normal flipped")
    summary = process(flight, tmp_path / "out", behind, progress=False)
    assert summary.findings == 0 and summary.frames_georeferenced == 0
    for text in _texts(tmp_path / "out"):
        assert "none of the 5 tagged frames could be georeferenced, so nothing was inspected" in text


def test_a_clean_inspected_surface_says_no_findings(tmp_path: Path) -> None:
    clean = face_flight(tmp_path / "clean", [])
    summary = process(clean, tmp_path / "out", face_surface(), progress=False)
    assert summary.findings == 0 and summary.frames_georeferenced == 5
    for text in _texts(tmp_path / "out"):
        assert "nothing was inspected" not in text
    assert "No findings." in _texts(tmp_path / "out")[-1]
    assert "Surface with findings" not in _texts(tmp_path / "out")[-1]  # a drawing of none had said "with findings"


def test_pdf_text_keeps_latin1_letters() -> None:
    """A flight folder or surface named in German or French (the project's pier is near Zurich) was
    printed 'Br?cke S?d' in the PDF."""
    from groundstation.publish.report_pdf import pdf_text

    assert pdf_text("Brücke Süd – Pfeiler, côté ±2 mm") == "Brücke Süd - Pfeiler, côté +/-2 mm"
    assert pdf_text("北") == "?"


def test_a_pdf_with_umlauts_reads_them(tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    folder = face_flight(tmp_path / "Brücke Süd", [corrosion_on_face(0.3, FLY_HEIGHT_M)])
    process(folder, tmp_path / "out", face_surface(), progress=False)
    assert "Inspection report: Brücke Süd" in _texts(tmp_path / "out")[-1]
