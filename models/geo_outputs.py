"""Georeferenced outputs of ``skyinspect segment`` for a georeferenced photo (a GeoTIFF orthomosaic).

An inspection team segmenting an orthomosaic got pixel coordinates only: a mask PNG and polygons in
pixels, which a GIS cannot place. For a GeoTIFF with a geotransform and a CRS, segment also writes
``<stem>_mask.tif`` (the class ids, with the input's transform and CRS, its palette's transparency in
``<stem>_mask.tif.aux.xml``) and ``<stem>.geojson`` (the
instances' polygons in WGS84 longitude/latitude, RFC 7946, with each one's area in square metres (its
pixels' ground area) and a crack's skeleton length in metres). Areas and lengths are measured on the
ground (the WGS84 ellipsoid), whatever the CRS: Web Mercator (EPSG:3857, web-map and DroneDeploy exports)
has map metres 1/cos(latitude) ground metres long (x1.58 lengths, x2.5 areas at 51 deg), and a lon/lat
ortho (EPSG:4326) has no metres at all. The pixel outputs stay.

Supported: a geotransform (north-up, or rotated: the affine maps each pixel) and a CRS pyproj knows.
Not: georeferencing by ground control points or RPCs only (no geotransform: warp the mosaic first,
``gdalwarp``), a geotransform without a CRS or with a local one (not on the Earth: Metashape's 'Local
Coordinates (m)'), a geotransform that maps the photo to no area or off the Earth (a damaged export), and a TIFF turned by its EXIF orientation (rasterio reads the stored pixels). Such a
photo gets its pixel outputs only, and ``read_georeference`` says why.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skyinspect.segmentation import CLASS_NAMES, Segmentation

TIFF_SUFFIXES = (".tif", ".tiff")


@dataclass(frozen=True)
class Georeference:
    """A photo's pixel → map mapping: ``transform`` (a, b, c, d, e, f) maps the pixel corner (col, row) to
    (x, y) = (a col + b row + c, d col + e row + f) in ``crs_wkt``; ``epsg`` where it has a code."""

    crs_wkt: str
    transform: tuple[float, float, float, float, float, float]
    epsg: int | None

    def to_map(self, xy_px: np.ndarray) -> np.ndarray:
        """(N, 2) pixel coordinates (x, y at pixel centres, skyinspect.segmentation) → (N, 2) map x, y."""
        a, b, c, d, e, f = self.transform
        col, row = xy_px[:, 0] + 0.5, xy_px[:, 1] + 0.5  # the transform maps pixel corners
        return np.column_stack([a * col + b * row + c, d * col + e * row + f])

    def as_json(self) -> dict[str, object]:
        return {"crs": f"EPSG:{self.epsg}" if self.epsg else self.crs_wkt, "transform": list(self.transform)}


def read_georeference(path: Path, shape: tuple[int, ...]) -> tuple[Georeference | None, str | None]:
    """(The photo's georeference, None) for a georeferenced TIFF read as ``shape``; (None, why not) for a TIFF
    whose georeferencing is not supported here (module doc); (None, None) for any other photo."""
    if Path(path).suffix.lower() not in TIFF_SUFFIXES:
        return None, None
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    from skyinspect.photo import exif_orientation

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as ds:
                t, crs, gcps, rpcs = ds.transform, ds.crs, ds.gcps[0], ds.rpcs
                size = (ds.height, ds.width)
    except (RasterioError, OSError):
        return None, None
    has_transform = not t.is_identity
    if not has_transform:
        if gcps or rpcs:
            return None, ("is georeferenced by ground control points or RPCs only, not a geotransform; outputs "
                          "in pixels only (warp it first: gdalwarp -r bilinear IN OUT)")
        return None, None  # a TIFF photo
    if crs is None:
        return None, ("has a geotransform but no CRS; outputs in pixels only (assign one: gdal_edit.py "
                      "-a_srs EPSG:CODE FILE)")
    wkt = crs.to_wkt()
    local = _local_crs_name(wkt)
    if local is not None:  # pyproj cannot take it to WGS84: a traceback after the mask was written
        return None, (f"has a local CRS ({local}), which cannot be placed on the map; outputs in pixels only "
                      "(export the ortho in a map CRS, or assign one: gdal_edit.py -a_srs EPSG:CODE FILE)")
    if exif_orientation(path) != 1 or size != tuple(shape[:2]):
        return None, "is turned by its EXIF orientation tag; outputs in pixels only"
    six = (t.a, t.b, t.c, t.d, t.e, t.f)
    nowhere = _placed_nowhere(wkt, six, size)
    if nowhere is not None:  # a pyproj CRSError after the mask was written, or polygons of one point each
        return None, (f"has a geotransform that {nowhere}; outputs in pixels only (export the ortho again, or "
                      f"fix it: gdal_edit.py -a_ullr ULX ULY LRX LRY FILE)")
    return Georeference(wkt, six, crs.to_epsg()), None


def _placed_nowhere(wkt: str, six: tuple[float, ...], size: tuple[int, int]) -> str | None:
    """What is wrong with a geotransform that maps the photo to no area or off the Earth; None when its
    corners and centre all land on the Earth."""
    from pyproj import CRS, Transformer

    a, b, c, d, e, f = six
    if not all(np.isfinite(six)) or a * e - b * d == 0:
        return f"maps its pixels to no area (pixel size 0 or not a number: {list(six)})"
    h, w = size
    cols, rows = np.array([0, w, w, 0, w / 2]), np.array([0, 0, h, h, h / 2])
    x, y = a * cols + b * rows + c, d * cols + e * rows + f
    with np.errstate(all="ignore"):
        lon, lat = Transformer.from_crs(CRS.from_wkt(wkt), "EPSG:4326", always_xy=True).transform(x, y)
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    off = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if off.any():
        k = int(np.argmax(off))
        return (f"puts it off the Earth (pixel ({cols[k]:g}, {rows[k]:g}) at ({x[k]:.9g}, {y[k]:.9g}) in its CRS "
                f"is longitude/latitude ({lon[k]:.6g}, {lat[k]:.6g}))")
    return None


def _local_crs_name(wkt: str) -> str | None:
    """The name of a CRS that is not on the Earth (an engineering CRS: Metashape's 'Local Coordinates (m)',
    Pix4D's 'Arbitrary'), None for one pyproj can transform to WGS84."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError, ProjError

    try:
        crs = CRS.from_wkt(wkt)
    except CRSError:
        return "one pyproj cannot read"
    try:
        Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    except ProjError:
        return crs.name
    return None


NO_DATA = 255  # <stem>_mask.tif's value (and GDAL nodata tag) where the photo had no data (models/no_data.py)


def mask_geotiff(class_map: np.ndarray, geo: Georeference, no_data: np.ndarray | None = None) -> bytes:
    """The class map as a one-band uint8 GeoTIFF (LZW) with the photo's transform and CRS; the photo's
    ``no_data`` pixels (bool, as the class map) NO_DATA, tagged as GDAL's nodata. As class 0 they read as
    surveyed and sound: QGIS's identify said 'background' and a zonal statistic counted them."""
    import rasterio
    from rasterio.io import MemoryFile
    from rasterio.transform import Affine

    h, w = class_map.shape
    band = class_map if no_data is None else np.where(no_data, np.uint8(NO_DATA), class_map)
    with MemoryFile() as mem:
        with mem.open(driver="GTiff", width=w, height=h, count=1, dtype="uint8", compress="lzw", nodata=NO_DATA,
                      crs=rasterio.crs.CRS.from_wkt(geo.crs_wkt), transform=Affine(*geo.transform)) as ds:
            ds.write(band, 1)
            ds.write_colormap(1, MASK_COLOURS)  # a TIFF palette is RGB: the alpha goes to mask_palette_aux
        return bytes(mem.read())


# class id -> RGBA; background and no data see-through, so the mask lies over the ortho
MASK_COLOURS = {0: (0, 0, 0, 0), 1: (255, 0, 0, 255), 2: (255, 200, 0, 255), NO_DATA: (0, 0, 0, 0)}


def mask_palette_aux() -> bytes:
    """``<stem>_mask.tif.aux.xml``: the mask's palette with its alpha, as GDAL's sidecar (PAM), which GDAL
    readers (QGIS, rasterio) take over the TIFF's own RGB palette. Without it the background read back
    opaque black and covered the ortho in QGIS; viewers that ignore it still get the RGB palette."""
    entries = "".join('      <Entry c1="{}" c2="{}" c3="{}" c4="{}"/>\n'.format(*MASK_COLOURS.get(i, (0, 0, 0, 0)))
                      for i in range(256))
    return ('<PAMDataset>\n  <PAMRasterBand band="1">\n    <ColorInterp>Palette</ColorInterp>\n'
            f'    <ColorTable>\n{entries}    </ColorTable>\n  </PAMRasterBand>\n</PAMDataset>\n').encode()


def instances_geojson(seg: Segmentation, geo: Georeference, source: Path) -> bytes:
    """The instances as an RFC 7946 FeatureCollection (WGS84 lon/lat polygons, rings closed), with
    class, score, area_px, area_m2 (its pixels' ground area) and, for cracks, length_m (module doc)."""
    from pyproj import CRS, Transformer

    crs = CRS.from_wkt(geo.crs_wkt)
    to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    to_ground = _ground_metres(crs, to_wgs84, geo, seg.shape)
    features: list[dict[str, Any]] = []
    for inst in seg.instances:
        area_m2 = float(inst.area_px) * _pixel_ground_m2(inst.polygon_px.mean(axis=0), geo, to_ground)
        length_m = None
        if inst.skeleton_px is not None and len(inst.skeleton_px) > 1:
            line = np.column_stack(to_ground.transform(*geo.to_map(inst.skeleton_px).T))
            length_m = round(float(np.linalg.norm(np.diff(line, axis=0), axis=1).sum()), 3)
        features.append({"type": "Feature", "geometry": _outline_geometry(inst.polygon_px, geo, to_wgs84),
                         "properties": {"class": CLASS_NAMES[inst.class_id], "score": round(float(inst.score), 4),
                                        "area_px": float(inst.area_px),
                                        "area_m2": round(area_m2, 4),
                                        "length_m": length_m}})
    if any(f["geometry"]["type"] == "MultiPolygon" for f in features):
        for f in features:  # one geometry type: GDAL calls a layer of Polygons and MultiPolygons "Unknown"
            if f["geometry"]["type"] == "Polygon":
                f["geometry"] = {"type": "MultiPolygon", "coordinates": [f["geometry"]["coordinates"]]}
    return json.dumps({"type": "FeatureCollection", "name": Path(source).stem, "features": features}).encode()


def _outline_geometry(polygon_px: np.ndarray, geo: Georeference, to_wgs84: object) -> dict[str, object]:
    """An instance's outline as a valid GeoJSON Polygon (or MultiPolygon) in lon/lat, rings closed, exteriors
    counter-clockwise (RFC 7946). extract_instances' outlines follow their pixels' edges
    (models.postprocess._edge_midpoints, b2eaee8) and are valid as they come. The repair below is for an
    Instance built elsewhere whose ring is invalid, e.g. one through the boundary pixels' centres (the
    outline before b2eaee8: where a crack is a pixel or two wide it pinches to a line and crosses itself,
    104 of UAV75's 105 annotated cracks, which QGIS filled in pieces and its processing tools stopped at):
    repaired in pixels, its areas kept, each pinched stretch given its pixel's width, so the crack stays one
    piece (parts touching at corners)."""
    import shapely
    from shapely.geometry import Polygon, mapping
    from shapely.geometry.polygon import orient

    outline: object = Polygon(polygon_px)
    if not outline.is_valid:  # type: ignore[attr-defined]
        valid = shapely.make_valid(outline)
        parts = getattr(valid, "geoms", None) or [valid]
        outline = shapely.unary_union([p if "Polygon" in p.geom_type else
                                       p.buffer(0.5, cap_style="square", join_style="mitre") for p in parts])

    def to_lonlat(xy_px: np.ndarray) -> np.ndarray:
        return np.column_stack(to_wgs84.transform(*geo.to_map(xy_px).T))  # type: ignore[attr-defined]

    lonlat = shapely.transform(outline, to_lonlat)
    # 1e-9 degree (0.1 mm) on the grid, kept valid (a rounded vertex can make a thin crack cross itself again);
    # an outline finer than the grid (a close-up's speck) keeps its own coordinates
    snapped = shapely.set_precision(lonlat, 1e-9)
    lonlat = lonlat if snapped.is_empty else snapped
    polygons = [orient(p, sign=1.0) for p in getattr(lonlat, "geoms", [lonlat]) if not p.is_empty]
    return mapping(polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons))  # tuples: dumped as lists


def _ground_metres(crs: object, to_wgs84: object, geo: Georeference, shape: tuple[int, ...]) -> object:
    """A transformer from ``crs`` to ground metres: a Lambert azimuthal equal-area projection of the WGS84
    ellipsoid centred on the photo: exact for areas, lengths within 1e-6 up to 10 km from its centre."""
    from pyproj import CRS, Transformer

    h, w = shape[:2]
    lon, lat = to_wgs84.transform(*geo.to_map(np.array([[w / 2, h / 2]]))[0])  # type: ignore[attr-defined]
    laea = CRS.from_proj4(f"+proj=laea +lat_0={lat:.9f} +lon_0={lon:.9f} +ellps=WGS84 +units=m +no_defs")
    return Transformer.from_crs(crs, laea, always_xy=True)


_CELL_PX = 8  # a pixel's ground area is measured over a cell of this many pixels a side, centred on it


def _pixel_ground_m2(xy_px: np.ndarray, geo: Georeference, to_ground: object) -> float:
    """The ground area of one pixel at ``xy_px`` (x, y)."""
    from skyinspect.surfaces.base import shoelace_area_m2  # the package imports pyproj: lazily, as here

    half = _CELL_PX / 2
    corners = xy_px + np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
    ground = np.column_stack(to_ground.transform(*geo.to_map(corners).T))  # type: ignore[attr-defined]
    return shoelace_area_m2(ground) / _CELL_PX ** 2


def write_geo_outputs(out: Path, seg: Segmentation, source: Path, write: Callable[[Path, bytes], None],
                      no_data: np.ndarray | None = None) -> dict[str, object] | None:
    """Write ``<stem>_mask.tif`` and ``<stem>.geojson`` into ``out`` with ``write`` for a georeferenced photo
    (``no_data``: its no-data pixels, models/no_data.py); its georeference for the JSON record (None: the
    photo is not georeferenced, nothing written)."""
    geo, _ = read_georeference(source, seg.shape)
    if geo is None:
        return None
    write(Path(out) / f"{Path(source).stem}_mask.tif.aux.xml", mask_palette_aux())  # before the TIFF it colours
    write(Path(out) / f"{Path(source).stem}_mask.tif", mask_geotiff(seg.class_map, geo, no_data))
    write(Path(out) / f"{Path(source).stem}.geojson", instances_geojson(seg, geo, source))
    return {**geo.as_json(), "metres": "ground"}  # area_m2, length_m (module doc): a rerun redoes a record without


def geo_outputs_missing(record: dict[str, object], source: Path, out: Path) -> bool:
    """Whether an earlier run's record of this photo lacks the georeferenced outputs it has now: its record
    names a georeference whose files are not there or whose areas and lengths were measured in the CRS's
    units (before they were ground metres), or it has none and the photo is georeferenced (a record from
    before these outputs were written)."""
    stem = Path(source).stem
    if "georeference" in record:
        georeference = record["georeference"]
        if not isinstance(georeference, dict) or georeference.get("metres") != "ground":
            return True
        return not ((out / f"{stem}_mask.tif").is_file() and (out / f"{stem}.geojson").is_file())
    shape = (record.get("height_px"), record.get("width_px"))
    return read_georeference(source, shape)[0] is not None


def georeference_notes(images: list[Path], sizes: list[tuple[int, int]]) -> list[str]:
    """'NAME: why its outputs are in pixels only' for each TIFF whose georeferencing is not supported."""
    notes = []
    for path, shape in zip(images, sizes):
        why = read_georeference(path, shape)[1]
        if why is not None:
            notes.append(f"{path.name} {why}")
    return notes
