"""A fast smoke run of the whole path (tiny flight): every product is written and readable."""

from pathlib import Path

from typer.testing import CliRunner

from skyinspect.cli.main import app


def test_small_demo_writes_every_product(tmp_path: Path) -> None:
    import geopandas as gpd

    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--small"])
    assert result.exit_code == 0, result.output
    results = out / "results"
    for name in ("findings.gpkg", "findings.geojson", "map.html", "report.html", "report.pdf"):
        assert (results / name).stat().st_size > 0, name
    frames = gpd.read_file(results / "findings.gpkg", layer="frames", engine="pyogrio")
    assert len(frames) == 6
    # A second run into the same folder is refused without --overwrite, and nothing is touched.
    again = CliRunner().invoke(app, ["demo", "--out", str(out), "--small"])
    assert again.exit_code == 2 and "--overwrite" in again.output
