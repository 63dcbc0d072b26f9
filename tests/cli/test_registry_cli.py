"""`skyinspect registry`: builds the GeoPackage `process --registry` reads; bad input leaves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "missions" / "examples"


def test_builds_a_registry_from_the_examples(tmp_path: Path) -> None:
    from groundstation.registry import Registry

    out = tmp_path / "reg" / "assets.gpkg"
    res = CliRunner().invoke(app, ["registry", str(EXAMPLES / "bridge.yaml"), str(EXAMPLES / "wind_turbine.yaml"),
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    reg = Registry.read(out)
    kinds = sorted(a.kind for a in reg.assets.values())
    assert kinds == ["bridge", "wind_turbine"]
    assert all(reg.components_of(a) for a in reg.assets)
    assert not list(out.parent.glob(".*tmp*"))


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "assets.gpkg"
    res = CliRunner().invoke(app, ["registry", str(tmp_path / "missing.yaml"), "--out", str(out)])
    assert res.exit_code == 2 and "missing.yaml" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: bridge\nname: [unclosed\n")
    res = CliRunner().invoke(app, ["registry", str(bad), "--out", str(out)])
    assert res.exit_code == 2 and "bad.yaml" in res.output, res.output
    res = CliRunner().invoke(app, ["registry", str(EXAMPLES / "bridge.yaml"), "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and "x.csv" in res.output
    assert not out.exists() and not list(tmp_path.glob(".*tmp*"))


def test_two_assets_with_one_name_say_how_to_fix_it(tmp_path: Path) -> None:
    """The id comes from the asset's name; the message told CLI users to "Pass another asset_id",
    which the command has no option for."""
    other = tmp_path / "other_bridge.yaml"
    other.write_text((EXAMPLES / "bridge.yaml").read_text())  # a second bridge, its name not changed
    out = tmp_path / "assets.gpkg"
    res = CliRunner().invoke(app, ["registry", str(EXAMPLES / "bridge.yaml"), str(other), "--out", str(out)])
    flat = " ".join(res.output.split())
    assert res.exit_code == 2 and "other_bridge.yaml" in flat and "Pass another asset_id" not in flat, res.output
    assert "(from " in flat and "bridge.yaml)" in flat and "give each asset its own name" in flat
    assert not out.exists()


def test_a_folder_of_asset_files_is_not_called_missing(tmp_path: Path) -> None:
    """`registry assets/` said 'assets: asset file not found' of a folder that is there, full of asset files."""
    folder = tmp_path / "assets"
    folder.mkdir()
    for name in ("bridge.yaml", "pipeline.geojson"):
        (folder / name).write_text((EXAMPLES / name).read_text())
    out = tmp_path / "reg.gpkg"
    res = CliRunner().invoke(app, ["registry", str(folder), "--out", str(out)])
    flat = " ".join(res.output.split())
    assert res.exit_code == 2 and "not found" not in flat and "Traceback" not in flat, flat
    assert f"{folder}: expected an asset file, got a folder" in flat, flat
    assert f"{folder / 'bridge.yaml'} {folder / 'pipeline.geojson'}" in flat, flat  # what to pass instead
    assert not out.exists()


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs: a folder no one may create files in")
def test_an_out_folder_that_cannot_be_written_is_named() -> None:
    """--out in a folder where no file can be created (sysfs here; a read-only mount, a folder of another
    user) was a pyogrio DataSourceError traceback ('sqlite3_open(/sys/.r.gpkg.tmp.gpkg) failed'), exit 1."""
    out = Path("/sys/kernel/assets.gpkg")
    res = CliRunner().invoke(app, ["registry", str(EXAMPLES / "bridge.yaml"), "--out", str(out)])
    flat = " ".join(res.output.split())
    assert res.exit_code == 2 and "Traceback" not in flat and "DataSourceError" not in flat, flat
    assert f"{out}: cannot be written: no file can be created in /sys/kernel" in flat, flat
