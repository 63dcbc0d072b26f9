"""A report whose findings were all rejected in review: the PDF printed the headings 'Condition per
component' and 'Prioritised actions' with nothing under them (report.html leaves them out), and both said
only 'No findings.', which reads as nothing found; now they say every finding was rejected in review."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust, decide  # noqa: E402


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_all_rejected_says_so_and_prints_no_empty_sections(results: Path) -> None:
    from groundstation.republish import publish_reviewed

    c, crack, rust = crack_and_rust(results)
    for fid in (crack, rust):
        decide(c, fid, "reject")
    publish_reviewed(results)
    pdf = " ".join(subprocess.run(["pdftotext", str(results / "report.pdf"), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    html = " ".join((results / "report.html").read_text().split())
    for text in (pdf, html):
        assert "No findings: all 2 were rejected in review (see Rejected in review)." in text
    for text in (pdf, html):
        assert "Condition per component" not in text and "Prioritised actions" not in text
    assert "Rejected in review" in pdf
