"""`skyinspect segment`'s GeoJSON of a georeferenced orthomosaic: every instance's outline is a valid
(OGC simple features) polygon, so QGIS fills a thin crack whole and its processing tools (clip, dissolve,
intersection), which stop at an invalid geometry, take the layer as it is.

The cracks are UAV75's own annotations (Benz et al. 2019, GPL-3.0: missions/simulator/textures/
LICENSES.md) as the class map: no model in the loop. When this test was written (07b72d1) a crack's
outline ran through its boundary pixels' centres and pinched to a line where the crack is one or two
pixels wide, crossing itself: 6 of the 6 cracks of these 5 masks were invalid polygons (104 of 105 over
all 60 UAV75 masks) until _outline_geometry repaired them. Since b2eaee8 extract_instances' outlines
follow the pixels' edges (models.postprocess._edge_midpoints) and all 6 are valid as extracted, so this
test now guards the GeoJSON's own steps: lon/lat, the 1e-9 degree grid, orientation, one geometry type."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from models.geo_outputs import Georeference, instances_geojson
from models.postprocess import extract_instances
from skyinspect.segmentation import CRACK, Segmentation

pytest.importorskip("rasterio")
shapely = pytest.importorskip("shapely")

TEXTURES = Path(__file__).parents[2] / "missions/simulator/textures"
MASKS = ("DSC00551", "DSC00566", "DSC00572", "DSC00674e", "DSC00874")
PIXEL_M = 0.002  # an inspection ortho's 2 mm/px
UTM_30N = ('PROJCS["WGS 84 / UTM zone 30N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
           '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
           'PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-3],PARAMETER["scale_factor",0.9996],'
           'PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","32630"]]')
GEO = Georeference(UTM_30N, (PIXEL_M, 0.0, 699_000.0, 0.0, -PIXEL_M, 5_633_000.0), 32630)


def _features(stem: str) -> tuple[list[dict], list]:
    truth = cv2.imread(str(TEXTURES / f"uav75_{stem}_mask.png"), cv2.IMREAD_GRAYSCALE) > 127
    class_map = (truth * CRACK).astype(np.uint8)
    instances = extract_instances(class_map)
    seg = Segmentation(class_map, tuple(instances), "truth")
    data = json.loads(instances_geojson(seg, GEO, Path(f"{stem}.tif")))
    return data["features"], instances


def _utm(geom: object) -> object:
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32630", always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(to_utm.transform(*xy.T)))


@pytest.mark.parametrize("stem", MASKS)
def test_every_crack_outline_of_a_real_mask_is_a_valid_polygon(stem: str) -> None:
    from shapely.geometry import Polygon, shape
    from shapely.validation import explain_validity

    features, instances = _features(stem)
    assert len(features) == len(instances) >= 1
    assert len({f["geometry"]["type"] for f in features}) == 1  # GDAL: a layer of one type, not "Unknown"
    for feature, inst in zip(features, instances):
        geom = shape(feature["geometry"])
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert geom.is_valid, f"{stem}: {explain_validity(geom)}"
        for part in getattr(geom, "geoms", [geom]):  # RFC 7946: exteriors counter-clockwise, rings closed
            assert part.exterior.is_ccw and all(not r.is_ccw for r in part.interiors)
            assert part.exterior.coords[0] == part.exterior.coords[-1]
        # the extracted outline (on the pixels' edges) kept whole through lon/lat and the grid: its area,
        # nothing beyond 0.75 px of it (room for a repair's half pixel), and one piece, as the crack is
        outline = shapely.make_valid(Polygon(GEO.to_map(inst.polygon_px)))
        assert _utm(geom).area >= outline.area * (1 - 1e-6)
        assert _utm(geom).difference(outline.buffer(PIXEL_M * 0.75)).area < 1e-12
        assert len(getattr(_utm(geom).buffer(PIXEL_M / 20), "geoms", [None])) == 1  # 0.1 mm: the grid


def test_an_outline_finer_than_the_coordinate_grid_is_kept() -> None:
    """A 2x2-px rust speck of a 0.02 mm/px close-up ortho is under the 1e-9 degree grid the outlines are
    snapped to: it keeps its own outline (snapped, it was an empty MultiPolygon)."""
    from shapely.geometry import shape

    from skyinspect.segmentation import CORROSION, Instance

    fine = Georeference(UTM_30N, (0.00002, 0.0, 699_000.0, 0.0, -0.00002, 5_633_000.0), 32630)
    class_map = np.zeros((10, 10), np.uint8)
    class_map[2:4, 2:4] = CORROSION
    speck = Instance(class_id=CORROSION, score=1.0, polygon_px=np.array([[2.0, 2], [3, 2], [3, 3], [2, 3]]),
                     area_px=4.0)
    feature = json.loads(instances_geojson(Segmentation(class_map, (speck,), "m"), fine, Path("x.tif")))["features"][0]
    geom = shape(feature["geometry"])
    assert geom.is_valid and not geom.is_empty
    assert _utm(geom).area == pytest.approx(0.00002 ** 2, rel=0.05)  # pixel centres 1 px apart: 1 px^2
