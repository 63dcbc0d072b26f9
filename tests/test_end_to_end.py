"""The foundation's acceptance check: the default demo flight, end to end, scored against truth."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app


@pytest.mark.slow
def test_demo_finds_defects_where_they_are(tmp_path: Path) -> None:
    from groundstation.evaluate import compare_with_truth

    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Findings vs simulator truth" in result.output
    results = out / "results"
    for name in ("findings.gpkg", "findings.geojson", "map.html", "report.html", "report.pdf"):
        assert (results / name).stat().st_size > 0, name
    cmp = compare_with_truth(results / "findings.geojson", out / "simulation" / "truth.geojson")
    assert cmp.true_count >= 5
    assert cmp.found_count / cmp.true_count >= 0.80
    assert cmp.error_in_gsd <= 3.0
