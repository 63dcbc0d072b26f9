"""findings.gpkg's face view: layers ``face_findings``, ``face_frames`` and ``face_crack_lines`` in
metres on the face.

On a vertical (or steep) face the WGS84 and UTM layers are 2D projections onto the map, where a
finding is seen edge-on: a line with no area (the demo pier face: 1e-19 deg²), so a GIS user saw no
shape (and crack_lines' centre lines all lie on that line). These layers hold the same outlines,
the frames' footprints and the cracks' centre lines in the chart the report's
schematic draws (groundstation.plane): x = u, metres along the face to the right of its reference
point as seen facing it; y = v, metres up the face. Their CRS is an engineering CRS named after the
surface; its description in ``gpkg_spatial_ref_sys`` gives the exact conversion to WGS84 as a PROJ
pipeline (u, v, w → lon, lat, h; w is the distance off the face along its normal, 0 on it), usable
with PROJ's ``cct`` or pyproj. Heights are the flight's telemetry MSL, as in the other layers.
One set of layers per non-horizontal plane or face (of a set: each one a frame looked at, named by it).
Cylinders (unrolled) and DEMs (plan) have no such layer: the WGS84 layers show a DEM's findings.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from groundstation.publish.context import PublishInput
from skyinspect.geodesy import LocalFrame
from skyinspect.surfaces.base import PlaneChart


def _enu(ned: np.ndarray) -> np.ndarray:
    return np.array([ned[1], ned[0], -ned[2]], dtype=np.float64)


def face_pipeline(chart: PlaneChart, frame: LocalFrame) -> str:
    """The PROJ pipeline (u, v, w metres on the face) → (lon, lat degrees, h metres): the chart's
    axes as an affine map into the flight's topocentric ENU frame, then to WGS84."""
    o, u, v, n = (_enu(a) for a in (chart.origin_ned_m, chart.u_ned, chart.v_ned, chart.n_ned))
    # plain floats: a numpy 2 repr ("np.float64(5.0)") is no number to PROJ, which then read it as 0
    affine = (f"+proj=affine +xoff={float(o[0])!r} +yoff={float(o[1])!r} +zoff={float(o[2])!r} "
              + " ".join(f"+s{r + 1}{c + 1}={float(axis[r])!r}" for r in range(3) for c, axis in enumerate((u, v, n))))
    return (f"+proj=pipeline +step {affine} +step +inv +proj=topocentric +ellps=WGS84 "
            f"+lat_0={frame.lat0_deg!r} +lon_0={frame.lon0_deg!r} +h_0={frame.h0_m!r} "
            "+step +inv +proj=cart +ellps=WGS84 +step +proj=unitconvert +xy_in=rad +xy_out=deg")


def _charts(inp: PublishInput) -> list[PlaneChart]:
    """The non-horizontal plane charts of the surfaces this flight looked at."""
    from skyinspect.surface import PlaneSurface

    surface = inp.geo.surface
    if isinstance(surface, PlaneSurface):
        charts: list[Any] = [inp.basis]
    else:
        charts = [s.chart() for s in surface.bind(inp.flight.origin).surfaces()]
    charts = [c for c in charts if isinstance(c, PlaneChart) and not c.is_horizontal]
    if len(charts) > 1:  # a set's faces no frame looked at would be empty layers
        seen = {fr.surface_name for fr in inp.geo.frames}
        charts = [c for c in charts if c.name in seen]
    return charts


def face_layer_names(inp: PublishInput) -> list[tuple[str, str]]:
    """(findings layer, frames layer) per face, as write_face_layers names them."""
    return _layer_names(_charts(inp))


def _layer_names(charts: list[PlaneChart]) -> list[tuple[str, str]]:
    if len(charts) == 1:
        return [("face_findings", "face_frames")]
    names: list[tuple[str, str]] = []
    for i, c in enumerate(charts, start=1):
        slug = re.sub(r"[^a-z0-9]+", "_", c.name.lower()).strip("_") or str(i)
        if any(fl == f"face_findings_{slug}" for fl, _ in names):  # "Pier A" and "pier-a"
            slug = f"{slug}_{i}"
        names.append((f"face_findings_{slug}", f"face_frames_{slug}"))
    return names


def crack_layer(findings_layer: str) -> str:
    """The face's crack lines layer beside its findings layer: face_crack_lines(_<surface>)."""
    return "face_crack_lines" + findings_layer[len("face_findings"):]


def _crs(chart: PlaneChart, frame: LocalFrame) -> Any:
    from pyproj import CRS

    lat, lon, h = frame.to_geodetic(chart.origin_ned_m)
    name = f"skyinspect face '{chart.name}'".replace('"', "'")
    datum = f"reference point of '{chart.name}': {lat:.8f} N {lon:.8f} E {h:.3f} m MSL".replace('"', "'")
    return CRS.from_wkt(f'ENGCRS["{name}",EDATUM["{datum}"],CS[Cartesian,2],'
                        'AXIS["along the face, right of its reference point facing it (u)",east,ORDER[1],'
                        'LENGTHUNIT["metre",1]],AXIS["up the face (v)",north,ORDER[2],LENGTHUNIT["metre",1]]]')


def _description(chart: PlaneChart, frame: LocalFrame) -> str:
    return (f"skyinspect face chart of surface '{chart.name}': x = u, metres along the face to the right of its "
            "reference point as seen facing it; y = v, metres up the face (w, off the face along its outward "
            "normal, is 0 on it). To WGS84 (u v w -> lon lat h, h in metres MSL as the flight's telemetry gave "
            f"it), with PROJ's cct or pyproj's Transformer.from_pipeline:\n{face_pipeline(chart, frame)}\n")


def _polygon(uv: np.ndarray) -> Any:
    from shapely.geometry import Polygon

    return Polygon(uv) if len(uv) >= 3 else None


def write_face_layers(inp: PublishInput, path: Path) -> list[str]:
    """Write the face layers into the GeoPackage ``path``; returns their names."""
    import pandas as pd

    from groundstation.publish.gis import (FRAME_COLUMNS, crack_lines_table, finding_columns, finding_properties,
                                           frame_row, table, write_layer)

    charts, written = _charts(inp), []
    for chart, (fl, frl) in zip(charts, _layer_names(charts)):
        crs = _crs(chart, inp.flight.origin)

        def on_face(name: str) -> bool:  # "": results written before findings named their surface
            return name == chart.name or (not name and len(charts) == 1)  # noqa: B023 - this iteration's

        findings = [f for f in inp.findings if on_face(f.surface_name) and f.outline_ned_m is not None
                    and len(f.outline_ned_m) >= 3]
        gdf = table([finding_properties(f, inp) for f in findings], finding_columns(inp),
                    [_polygon(chart.to_2d(f.outline_ned_m)) for f in findings], crs)
        write_layer(gdf, path, fl, "Polygon", {"DESCRIPTION": f"findings on '{chart.name}' in metres along (x) "
                                                             "and up (y) the face"})
        frames = [fr for fr in inp.geo.frames if on_face(fr.surface_name) and fr.footprint_ned_m is not None
                  and len(fr.footprint_ned_m) >= 3]
        fgdf = table([frame_row(fr) for fr in frames], FRAME_COLUMNS,
                     [_polygon(chart.to_2d(fr.footprint_ned_m)) for fr in frames], crs)
        fgdf["capture_time_utc"] = pd.to_datetime(fgdf["capture_time_utc"], unit="ms", utc=True)  # as frames'
        fgdf.to_file(path, layer=frl, driver="GPKG", engine="pyogrio", geometry_type="Polygon",
                     layer_options={"DESCRIPTION": f"frame footprints on '{chart.name}' in metres along and up "
                                                   "the face", "DATETIME_PRECISION": "MILLISECOND"})
        lines = crack_lines_table(findings, chart.to_2d, crs)  # crack_lines is edge-on on a face too
        lines.to_file(path, layer=crack_layer(fl), driver="GPKG", engine="pyogrio", geometry_type="MultiLineString",
                      layer_options={"DESCRIPTION": f"the centre lines each crack's length was measured along, on "
                                                    f"'{chart.name}' in metres along and up the face"})
        _describe_srs(path, fl, _description(chart, inp.flight.origin))
        written += [fl, frl, crack_layer(fl)]
    return written


def _describe_srs(path: Path, layer: str, text: str) -> None:
    """GDAL leaves an engineering CRS's description empty: put the conversion to WGS84 there."""
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute("UPDATE gpkg_spatial_ref_sys SET description = ? WHERE srs_id = (SELECT srs_id FROM "
                        "gpkg_geometry_columns WHERE table_name = ?)", (text, layer))
    finally:
        con.close()
