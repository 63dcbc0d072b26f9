"""`skyinspect change` writes change.gpkg: one layer ``changes`` of the defects, for an asset engineer in QGIS."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _text(v: object) -> object:
    return "" if v is None or v != v else v  # a NULL text reads back as None or NaN


def test_change_gpkg_layer_matches_the_table(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    import geopandas as gpd
    import pyogrio

    old, new = inspections[0], tmp_path / "new"
    shutil.copytree(inspections[1], new)
    out = tmp_path / "change"
    result = CliRunner().invoke(app, ["change", str(old), str(new), "--out", str(out)])
    assert result.exit_code == 0, result.output
    gpkg = out / "change.gpkg"
    assert gpkg.is_file() and not list(out.glob(".*tmp*"))
    assert [name for name, _ in pyogrio.list_layers(gpkg)] == ["changes"]
    layer = gpd.read_file(gpkg, layer="changes")
    rows = list(csv.DictReader(io.StringIO((out / "change.csv").read_text(encoding="utf-8-sig"))))
    assert layer.crs.to_epsg() == 4326
    assert len(layer) == len(rows) == 4
    assert list(layer["status"]) == [r["status"] for r in rows]
    assert sorted(layer["status"]) == ["grown", "new", "not_re_observed", "stable"]
    assert list(layer["defect_uid"]) == [r["defect_uid"] for r in rows]
    assert layer.geometry.notna().all() and layer.geometry.is_valid.all() and not layer.geometry.is_empty.any()
    assert (layer.geometry.to_crs(layer.estimate_utm_crs()).area > 0).all()
    for r, (_, g) in zip(rows, layer.iterrows()):
        assert _text(g["finding_id"]) == r["finding_id"]
        assert _text(g["previous_finding_id"]) == r["previous_finding_id"]
        assert [str(g[c])[:10] for c in ("previous_date", "current_date")] == [r["previous_date"], r["current_date"]]
        assert (g["previous_results"], g["current_results"]) == (r["previous_results"], r["current_results"])
        for q in ("length_mm", "width_mm", "area_m2", "max_width_mm"):
            for part in ("previous", "current", "delta", "per_year"):
                cell = r[f"{q}_{part}"]
                if cell == "":
                    assert _text(g[f"{q}_{part}"]) == ""  # NULL
                else:
                    assert g[f"{q}_{part}"] == pytest.approx(float(cell), rel=1e-6)
    grown = layer[layer["status"] == "grown"].iloc[0]
    assert grown["length_mm_delta"] == pytest.approx(250, abs=10) and grown["length_mm_significant"] == "yes"
    # a defect not re-observed is drawn where it was last time; the others where they are now
    gone = layer[layer["status"] == "not_re_observed"].iloc[0]
    assert _text(gone["finding_id"]) == "" and gone["previous_finding_id"]
    # the layer's numbers are numbers (QGIS filters and sorts them as such), not text
    info = pyogrio.read_info(gpkg, layer="changes")
    types = dict(zip(info["fields"], info["dtypes"]))
    assert types["length_mm_delta"] == "float64" and types["distance_m"] == "float64"
    assert types["previous_date"] == types["current_date"] == "datetime64[D]"  # GeoPackage DATE, not text
    assert info["crs"] == "EPSG:4326" and info["geometry_type"] == "Polygon Z"


def test_change_gpkg_outlines_are_the_findings(inspections: tuple[Path, Path]) -> None:
    """Each row is drawn at its finding: this time's, or last time's for one not re-observed."""
    from groundstation.change import compare, load_inspection
    from groundstation.change.gis import change_layer

    previous, current = load_inspection(inspections[0]), load_inspection(inspections[1])
    report = compare(previous, current)
    layer = change_layer(report, previous, current)
    now = {f.finding_id: f for f in current.findings}
    before = {f.finding_id: f for f in previous.findings}
    for c, geom in zip(report.changes, layer.geometry):
        f = now[c.finding_id] if c.finding_id else before[c.previous_finding_id]
        lon, lat = f.outline_wgs84[:, 1], f.outline_wgs84[:, 0]
        assert (geom.bounds[0], geom.bounds[1]) == pytest.approx((lon.min(), lat.min()), abs=1e-9)
        assert (geom.bounds[2], geom.bounds[3]) == pytest.approx((lon.max(), lat.max()), abs=1e-9)


def test_change_gpkg_failing_leaves_nothing_written(inspections: tuple[Path, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A GeoPackage that cannot be written (GDAL's error, a full disk) leaves no product half-written."""
    from pyogrio.errors import DataSourceError

    import groundstation.publish.gis as gis

    def full_disk(*args: object, **kwargs: object) -> None:
        raise DataSourceError("No space left on device")

    monkeypatch.setattr(gis, "write_layer", full_disk)
    new = tmp_path / "new"
    shutil.copytree(inspections[1], new)
    before = sorted(p.name for p in new.iterdir())
    result = CliRunner().invoke(app, ["change", str(inspections[0]), str(new), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "change GeoPackage" in result.output and "No space left" in result.output
    assert sorted(p.name for p in new.iterdir()) == before  # no defects.json
    assert list((tmp_path / "out").iterdir()) == []
