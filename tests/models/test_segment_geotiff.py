"""`skyinspect segment` on a GeoTIFF orthomosaic: no data marked by the GDAL nodata tag (no alpha band) is
left out, and a georeferenced photo's mask and instances come back in map coordinates too."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from models.model_file import ModelMetadata
from models.runtime import TiledSegmenter
from skyinspect.segmentation import CORROSION, CRACK

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import Affine  # noqa: E402

ORIGIN_E, ORIGIN_N, PIXEL_M = 699_000.0, 5_633_000.0, 0.02  # UTM 30N (EPSG:32630), Brighton
NORTH_UP = Affine(PIXEL_M, 0.0, ORIGIN_E, 0.0, -PIXEL_M, ORIGIN_N)


class _Painter(TiledSegmenter):
    """The tiled runtime with a model that calls every dark pixel corrosion and a bright line a crack:
    what it finds is known from the pixels (no trained model in the loop)."""

    def __init__(self) -> None:
        from models import DEFAULT_MODEL_PATH

        super().__init__(DEFAULT_MODEL_PATH, ModelMetadata(("background", "crack", "corrosion"), 64, "painter", "1"),
                         overlap=16, crack_refine=None, min_area={CRACK: 1, CORROSION: 1})

    def _infer(self, x: np.ndarray) -> np.ndarray:
        grey = x.mean(axis=1)  # (N, H, W) 0..1
        probs = np.zeros((x.shape[0], 3) + x.shape[2:], np.float32)
        probs[:, CORROSION] = grey < 0.1  # black: the no-data collar and the painted rust patch
        probs[:, CRACK] = grey > 0.9  # white: the painted crack
        probs[:, 0] = 1 - probs[:, 1] - probs[:, 2]
        return probs


def _ortho(path: Path, transform: Affine | None = None, crs: str | None = "EPSG:32630", nodata: float | None = 0,
           collar: bool = True) -> np.ndarray:
    """A 3-band GeoTIFF 200x300 px: grey ground, a black triangle of no data at the top left (marked by
    the nodata tag only), a black rust patch and a white crack line inside the survey. Returns its BGR."""
    h, w = 200, 300
    img = np.full((h, w, 3), 128, np.uint8)
    if collar:
        yy, xx = np.mgrid[0:h, 0:w]
        img[xx + yy < 80] = 0
    img[120:150, 200:240] = 2  # rust: dark, not exactly the nodata value
    cv2.line(img, (60, 170), (160, 110), (255, 255, 255), 3)
    kwargs = {} if crs is None else {"crs": crs}
    with warnings.catch_warnings():  # an identity transform: GDAL writes none, as a photo's TIFF
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        _write(path, img, transform or NORTH_UP, nodata, kwargs)
    return img


def _write(path: Path, img: np.ndarray, transform: Affine, nodata: float | None, kwargs: dict) -> None:
    h, w = img.shape[:2]
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=3, dtype="uint8", nodata=nodata,
                       transform=transform, **kwargs) as ds:
        ds.write(img[:, :, ::-1].transpose(2, 0, 1))


def _segment(tmp_path: Path, name: str = "ortho.tif", **ortho: object) -> Path:
    from models.batch import segment_images

    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir(exist_ok=True)
    _ortho(photos / name, **ortho)  # type: ignore[arg-type]
    segment_images([photos / name], out, _Painter())
    return out


def test_no_data_marked_by_the_nodata_tag_is_not_segmented(tmp_path: Path) -> None:
    out = _segment(tmp_path)
    mask = cv2.imread(str(out / "ortho_mask.png"), cv2.IMREAD_UNCHANGED)
    yy, xx = np.mgrid[0:200, 0:300]
    assert not mask[xx + yy < 80].any()  # the collar: no data, nothing found there
    assert (mask[120:150, 200:240] == CORROSION).all() and (mask == CRACK).any()  # the survey's own defects
    record = json.loads((out / "ortho.json").read_text())
    assert record["no_data_px"] == int((xx + yy < 80).sum())
    assert len(record["instances"]) == 2


def _in_utm(coords: list[list[float]]) -> np.ndarray:
    from pyproj import Transformer

    lon, lat = np.array(coords).T
    e, n = Transformer.from_crs("EPSG:4326", "EPSG:32630", always_xy=True).transform(lon, lat)
    return np.column_stack([e, n])


def _features(out: Path) -> dict[str, dict]:
    data = json.loads((out / "ortho.geojson").read_text())
    assert data["type"] == "FeatureCollection"
    return {f["properties"]["class"]: f for f in data["features"]}


def test_a_georeferenced_orthomosaic_gets_its_mask_and_instances_in_map_coordinates(tmp_path: Path) -> None:
    out = _segment(tmp_path)
    png = cv2.imread(str(out / "ortho_mask.png"), cv2.IMREAD_UNCHANGED)
    with rasterio.open(out / "ortho_mask.tif") as ds:  # the same class ids, placed where the photo is
        assert ds.crs.to_epsg() == 32630 and ds.transform == NORTH_UP
        assert (np.where(ds.read_masks(1) > 0, ds.read(1), 0) == png).all()  # the collar: no data (below)
    features = _features(out)
    assert set(features) == {"crack", "corrosion"}
    rust = features["corrosion"]
    ring = rust["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and -0.2 < ring[0][0] < 0 and 50 < ring[0][1] < 51  # lon, lat: Brighton
    e, n = _in_utm(ring).T  # rows 120-149, columns 200-239: the pixels' outer edges, to the millimetre
    assert abs(e.min() - (ORIGIN_E + 200 * PIXEL_M)) < 1e-3 and abs(e.max() - (ORIGIN_E + 240 * PIXEL_M)) < 1e-3
    assert abs(n.max() - (ORIGIN_N - 120 * PIXEL_M)) < 1e-3 and abs(n.min() - (ORIGIN_N - 150 * PIXEL_M)) < 1e-3
    # ground metres: UTM's grid metres are 1.00009 of them here
    assert rust["properties"]["area_m2"] == pytest.approx(30 * 40 * PIXEL_M ** 2, rel=1e-3)
    crack = features["crack"]["properties"]  # the line is 117 px long: 2.3 m, less the skeleton's ends
    assert 2.0 < crack["length_m"] < 2.4 and crack["area_m2"] == pytest.approx(crack["area_px"] * PIXEL_M ** 2, rel=1e-3)
    record = json.loads((out / "ortho.json").read_text())
    assert record["georeference"] == {"crs": "EPSG:32630", "transform": list(NORTH_UP)[:6], "metres": "ground"}
    from models.photo_inputs import is_segment_output

    assert is_segment_output(out / "ortho_mask.tif")  # not taken for a photo if --out is passed as photos


def test_a_rotated_geotransform_places_each_pixel_by_the_affine(tmp_path: Path) -> None:
    rotated = NORTH_UP @ Affine.rotation(30.0)
    out = _segment(tmp_path, transform=rotated)
    with rasterio.open(out / "ortho_mask.tif") as ds:
        assert ds.transform.almost_equals(rotated)
    shapely = pytest.importorskip("shapely")
    ring = shapely.Polygon(_in_utm(_features(out)["corrosion"]["geometry"]["coordinates"][0]))
    corners = shapely.Polygon([rotated @ (c, r) for c, r in [(200, 120), (240, 120), (240, 150), (200, 150)]])
    # on the pixels' edges, simplified by a pixel at most (an edge tilted by a corner cut's half pixel);
    # the ring through the edge pixels' centres lay 0.71 px off at the corners and held 1,131 px^2 of 1,200
    assert shapely.hausdorff_distance(ring, corners) < 0.5 * PIXEL_M + 1e-3
    assert ring.area == pytest.approx(30 * 40 * PIXEL_M ** 2, rel=0.03)


LOCAL_CS = ('LOCAL_CS["Local Coordinates (m)",UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],'
            'AXIS["Northing",NORTH]]')  # as Metashape exports an ortho of a flight without GNSS


@pytest.mark.parametrize("kind", ["no crs", "gcps only", "not georeferenced", "local crs"])
def test_a_tiff_whose_georeferencing_is_not_supported_gets_pixel_outputs_and_says_why(tmp_path: Path,
                                                                                     kind: str) -> None:
    """A local CRS (found: the DJI_0018 crop as a GeoTIFF in 'Local Coordinates (m)') stopped the run with a
    pyproj ProjError traceback after the photo's mask and _mask.tif were written, its JSON not."""
    from rasterio.control import GroundControlPoint
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    photos = tmp_path / "photos"
    photos.mkdir()
    path = photos / "ortho.tif"
    crs = {"gcps only": "EPSG:32630", "local crs": LOCAL_CS}.get(kind)
    _ortho(path, crs=crs, transform=None if kind in ("no crs", "local crs") else Affine.identity(), nodata=None,
           collar=False)
    if kind == "gcps only":
        with rasterio.open(path, "r+") as ds:
            ds.gcps = ([GroundControlPoint(0, 0, ORIGIN_E, ORIGIN_N), GroundControlPoint(200, 0, ORIGIN_E, ORIGIN_N - 4),
                        GroundControlPoint(0, 300, ORIGIN_E + 6, ORIGIN_N)], rasterio.crs.CRS.from_epsg(32630))
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    out = tmp_path / "out"
    assert (out / "ortho_mask.png").is_file() and not (out / "ortho_mask.tif").exists()
    assert not (out / "ortho.geojson").exists() and "georeference" not in json.loads((out / "ortho.json").read_text())
    expected = {"no crs": "has a geotransform but no CRS", "gcps only": "is georeferenced by ground control points",
                "not georeferenced": None,
                "local crs": "has a local CRS (Local Coordinates (m)), which cannot be placed on the map"}[kind]
    assert (f"ortho.tif {expected}" in said) if expected else ("note" not in said), said


def test_a_rerun_adds_the_map_outputs_to_an_orthomosaic_segmented_before_them(tmp_path: Path) -> None:
    from models.batch import segment_images

    out = _segment(tmp_path)
    record = json.loads((out / "ortho.json").read_text())
    del record["georeference"]  # as the code before these outputs wrote it
    (out / "ortho.json").write_text(json.dumps(record))
    for name in ("ortho_mask.tif", "ortho.geojson"):
        (out / name).unlink()
    result = segment_images([tmp_path / "photos" / "ortho.tif"], out, _Painter())
    assert not result[0].skipped and (out / "ortho_mask.tif").is_file() and (out / "ortho.geojson").is_file()
    assert segment_images([tmp_path / "photos" / "ortho.tif"], out, _Painter())[0].skipped  # and kept after


def _same_ground(crs: str) -> Affine:
    """A north-up transform in ``crs`` whose pixels at the UTM ortho's origin are PIXEL_M square on the
    ground, as those of the UTM ortho are (to UTM's grid scale, 1.00009 there): metres per degree and
    Web Mercator's scale measured with pyproj.Geod, not with the code under test."""
    from pyproj import Geod, Transformer

    lon, lat = Transformer.from_crs("EPSG:32630", "EPSG:4326", always_xy=True).transform(ORIGIN_E, ORIGIN_N)
    geod, step = Geod(ellps="WGS84"), 1e-4
    m_lon, m_lat = geod.inv(lon, lat, lon + step, lat)[2] / step, geod.inv(lon, lat, lon, lat + step)[2] / step
    if crs == "EPSG:4326":
        return Affine(PIXEL_M / m_lon, 0.0, lon, 0.0, -PIXEL_M / m_lat, lat)
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform([lon, lon + step, lon],
                                                                           [lat, lat, lat + step])
    # Web Mercator's map metres per ground metre here: 1/cos(lat) nearly, not quite the same east and north
    # (a sphere's Mercator on the ellipsoid's coordinates)
    east, north = (x[1] - x[0]) / (step * m_lon), (y[2] - y[0]) / (step * m_lat)
    return Affine(PIXEL_M * east, 0.0, x[0], 0.0, -PIXEL_M * north, y[0])


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:4326"])
def test_areas_and_lengths_are_ground_metres_in_any_crs(tmp_path: Path, crs: str) -> None:
    """DroneDeploy and web-map exports are in Web Mercator (EPSG:3857), whose 'metres' are 1/cos(lat)
    ground metres: the DJI_0018 crop as a 2-cm EPSG:3857 GeoTIFF gave crack length_m 30.27 and area_m2
    2.95 where the same ground in UTM gave 19.13 and 1.18 (x1.58, x2.50 at Brighton's 50.8 deg). An
    ortho in lon/lat degrees (EPSG:4326) got no area_m2 or length_m at all."""
    for name in ("utm", "other"):
        (tmp_path / name).mkdir()
    utm = _features(_segment(tmp_path / "utm"))
    other = _features(_segment(tmp_path / "other", crs=crs, transform=_same_ground(crs)))
    for cls in ("corrosion", "crack"):
        assert other[cls]["properties"]["area_px"] == utm[cls]["properties"]["area_px"]
        assert other[cls]["properties"]["area_m2"] == pytest.approx(utm[cls]["properties"]["area_m2"], rel=1e-3)
    assert other["corrosion"]["properties"]["area_m2"] == pytest.approx(30 * 40 * PIXEL_M ** 2, rel=1e-3)
    assert other["crack"]["properties"]["length_m"] == pytest.approx(utm["crack"]["properties"]["length_m"], rel=1e-3)


def test_a_geotiff_is_segmented_without_opencv_warning_about_its_geokeys(tmp_path: Path,
                                                                        capfd: pytest.CaptureFixture[str]) -> None:
    """OpenCV logs a warning for each TIFF tag it does not know, and a GeoTIFF's are its georeferencing:
    three GDAL-written DJI_0018 crops (JPEG/YCbCr tiled, with a mask band, with alpha) gave 24 lines of
    '[ WARN:0@0.023] global grfmt_tiff.cpp:123 TIFF_Warning TIFFReadDirectory: Unknown field with tag 33550
    (0x830e) encountered' on segment's console, 4 per read, two reads per photo (a folder of ortho tiles:
    hundreds, between its notes)."""
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    photos = tmp_path / "photos"
    photos.mkdir()
    _ortho(photos / "ortho.tif")
    capfd.readouterr()
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 0, result.output
    said = capfd.readouterr().err + result.output
    assert "TIFF_Warning" not in said and "Unknown field" not in said, said
    assert (tmp_path / "out" / "ortho.geojson").is_file()


def test_a_rerun_redoes_an_orthomosaic_whose_areas_were_measured_in_its_crs(tmp_path: Path) -> None:
    """Records written before area_m2 and length_m were ground metres (a Web Mercator ortho's were 2.5x and
    1.58x at 51 deg) were kept by a rerun: the fix reached no ortho segmented before it without --rerun."""
    from models.batch import segment_images

    (tmp_path / "merc").mkdir()
    out = _segment(tmp_path / "merc", crs="EPSG:3857", transform=_same_ground("EPSG:3857"))
    record = json.loads((out / "ortho.json").read_text())
    assert record["georeference"]["metres"] == "ground"
    del record["georeference"]["metres"]  # as the code before wrote it
    (out / "ortho.json").write_text(json.dumps(record))
    rust = {f["properties"]["class"]: f for f in json.loads((out / "ortho.geojson").read_text())["features"]}
    rust["corrosion"]["properties"]["area_m2"] = 1.2  # its old value
    (out / "ortho.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": list(rust.values())}))
    photo = tmp_path / "merc" / "photos" / "ortho.tif"
    assert not segment_images([photo], out, _Painter())[0].skipped
    assert _features(out)["corrosion"]["properties"]["area_m2"] == pytest.approx(30 * 40 * PIXEL_M ** 2, rel=1e-3)
    assert segment_images([photo], out, _Painter())[0].skipped  # and kept after


def test_the_mask_geotiff_marks_the_orthos_no_data_as_no_data(tmp_path: Path) -> None:
    """The collar the ortho marks as no data is no data in ``<stem>_mask.tif`` too (GDAL's nodata tag), not
    class 0: QGIS's identify said 'background' there and a zonal statistic (the share of a deck panel that
    is cracked) counted the unsurveyed collar as surveyed and sound. Before: no nodata tag, the collar 0."""
    out = _segment(tmp_path)
    yy, xx = np.mgrid[0:200, 0:300]
    collar = xx + yy < 80
    with rasterio.open(out / "ortho_mask.tif") as ds:
        assert ds.nodata is not None
        classes, valid = ds.read(1), ds.read_masks(1) > 0
        assert (~valid == collar).all()  # no data exactly where the ortho had none
        assert (classes[~collar] == cv2.imread(str(out / "ortho_mask.png"), cv2.IMREAD_UNCHANGED)[~collar]).all()
        assert set(np.unique(classes[~collar])) == {0, CRACK, CORROSION}


def test_the_mask_geotiff_background_is_transparent_over_the_ortho(tmp_path: Path) -> None:
    """Class 0 (surveyed, no defect) is see-through in GIS, so the mask lies over the ortho with only the
    defects coloured. A TIFF palette has no alpha: GDAL read the background back opaque black and QGIS
    covered the ortho with it. The palette with its alpha travels in GDAL's sidecar (<stem>_mask.tif.aux.xml)."""
    out = _segment(tmp_path)
    with rasterio.open(out / "ortho_mask.tif") as ds:
        colours = ds.colormap(1)
        assert colours[0][3] == 0 and colours[ds.nodata][3] == 0  # background and no data: transparent
        assert colours[CRACK] == (255, 0, 0, 255) and colours[CORROSION] == (255, 200, 0, 255)
