"""A DEM/DSM raster (GeoTIFF, e.g. an OpenDroneMap DSM) as a surface, by ray marching.

Reading: rasterio (imported lazily), band 1, nodata masked. Any CRS pyproj knows is accepted: the
DEM is not resampled; instead the map from the flight's local (north, east) to DEM pixel
(col, row) is fitted once per flight as a quadratic over the part of the DEM within ``max_range_m``
of the flight origin (exact to well under a millimetre over a kilometre; the fit residual is kept
in ``BoundDem.fit_residual_px`` and a poor fit raises). A DEM without a CRS raises InputError.

Heights: the DEM's vertical reference is read from its CRS (compound CRS with a geoid height →
MSL; 3D geographic → ellipsoidal) or given (``vertical="msl" | "ellipsoidal"``). A DEM with only a
horizontal CRS is assumed MSL (ODM writes the photos' altitudes, which are MSL for most drones) —
say ``vertical="ellipsoidal"`` otherwise. Ellipsoidal DEMs are brought to MSL with the geoid
undulation (skyinspect.surfaces.heights; a clear error when none is available offline). Earth
curvature is applied (a point 1 km away lies 7.8 cm below the tangent plane); the tilt of the
local vertical over the DEM (d/R) is neglected: < 2 cm for 100 m of relief 1 km from the origin.

Intersection: each ray is sampled from where it enters the DEM's height band [z_min, z_max] to
where it leaves it (or the DEM's extent), every ``step`` = half a cell (at least ``min_step_m``),
and the first crossing from above to below the surface is refined by bisection to 1e-4 m.
A ray that meets nodata or leaves the DEM before crossing it misses, and the frame says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from skyinspect.errors import InputError, describe
from skyinspect.pixel_cap import refuse_over_cap
from skyinspect.geodesy import LocalFrame
from skyinspect.surfaces.base import BoundSurface, Hits
from skyinspect.surfaces.heights import geoid_undulation_m, vertical_reference_of

EARTH_RADIUS_M = 6371008.8
MAX_SAMPLES_PER_RAY = 20000
BISECTION_STEPS = 30
MAX_FIT_RESIDUAL_PX = 0.02


@dataclass(frozen=True, eq=False)
class DemGrid:
    """Heights (rows × cols, NaN = nodata) with a rasterio-style affine (a, b, c, d, e, f):
    x = a·col' + b·row' + c, y = d·col' + e·row' + f, where (col', row') are corner-based; pixel
    centres are at col' = col + 0.5."""

    z: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs_wkt: str
    source: str = "<array>"


@dataclass(frozen=True, eq=False)
class DemSurface:
    path: str | None = None
    vertical: str = "auto"  # "auto" | "msl" | "ellipsoidal"
    geoid_undulation_m: float | None = None
    max_range_m: float = 1000.0
    min_step_m: float = 0.05
    name: str = "DEM"
    grid: DemGrid | None = field(default=None, repr=False)

    kind = "DEM"

    @classmethod
    def from_array(cls, z: np.ndarray, transform: tuple[float, ...], crs: object, nodata: float | None = None,
                   **kw: object) -> DemSurface:
        from pyproj import CRS

        zz = np.asarray(z, dtype=np.float64).copy()
        if nodata is not None:
            zz[zz == nodata] = np.nan
        return cls(grid=DemGrid(zz, tuple(float(v) for v in transform)[:6], CRS.from_user_input(crs).to_wkt()),  # type: ignore[arg-type]
                   **kw)  # type: ignore[arg-type]

    def load_grid(self) -> DemGrid:
        if self.grid is not None:
            return self.grid
        if self.path is None:
            raise InputError(f"DEM {self.name!r}: neither a path nor an array")
        try:
            import rasterio
        except ImportError as exc:  # pragma: no cover - rasterio is a dependency
            raise InputError("reading a DEM needs rasterio (pip install rasterio)") from exc
        path = Path(self.path)
        if not path.is_file():
            raise InputError(describe(path, "DEM file not found"))
        try:
            with rasterio.open(path) as ds:
                if ds.crs is None:
                    raise InputError(describe(path, "the DEM has no CRS, so it cannot be placed",
                                              "Assign one, e.g. gdal_edit.py -a_srs EPSG:32632 dsm.tif"))
                refuse_over_cap(path, ds.width, ds.height, "the DEM is")  # read whole as float64: 8 B a cell
                z = ds.read(1, masked=True).astype(np.float64).filled(np.nan)
                t = ds.transform
                grid = DemGrid(z, (t.a, t.b, t.c, t.d, t.e, t.f), ds.crs.to_wkt(), str(path))
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(describe(path, f"cannot be read as a raster ({exc})")) from exc
        object.__setattr__(self, "grid", grid)
        return grid

    @property
    def lat_deg(self) -> float:
        return self._centre()[0]

    @property
    def lon_deg(self) -> float:
        return self._centre()[1]

    def _centre(self) -> tuple[float, float]:
        from pyproj import CRS, Transformer

        g = self.load_grid()
        rows, cols = g.z.shape
        a, b, c, d, e, f = g.transform
        x, y = a * cols / 2 + b * rows / 2 + c, d * cols / 2 + e * rows / 2 + f
        lon, lat = Transformer.from_crs(CRS.from_wkt(g.crs_wkt), "EPSG:4326", always_xy=True).transform(x, y)
        return float(lat), float(lon)

    def height_reference(self) -> str:
        from pyproj import CRS

        if self.vertical in ("msl", "ellipsoidal"):
            return self.vertical
        if self.vertical != "auto":
            raise InputError(f"DEM {self.name!r}: vertical must be 'auto', 'msl' or 'ellipsoidal', got {self.vertical!r}")
        ref = vertical_reference_of(CRS.from_wkt(self.load_grid().crs_wkt))
        return "msl" if ref == "unknown" else ref

    def bind(self, frame: LocalFrame) -> BoundDem:
        from pyproj import CRS, Transformer

        g = self.load_grid()
        crs = CRS.from_wkt(g.crs_wkt)
        horizontal = crs.sub_crs_list[0] if crs.is_compound else crs
        a, b, c, d, e, f = g.transform
        det = a * e - b * d
        if det == 0:
            raise InputError(f"DEM {self.name!r}: singular geotransform {g.transform}")
        # Fit (north, east) → (col, row) over the DEM part within max_range of the origin.
        to_dem = Transformer.from_crs("EPSG:4326", horizontal, always_xy=True)
        to_geo = Transformer.from_crs(horizontal, "EPSG:4326", always_xy=True)
        r = self.max_range_m
        nn, ee = np.meshgrid(np.linspace(-r, r, 9), np.linspace(-r, r, 9), indexing="ij")
        ne = np.stack([nn.ravel(), ee.ravel(), np.zeros(nn.size)], axis=1)
        geo = frame.to_geodetic(ne)
        x, y = to_dem.transform(geo[:, 1], geo[:, 0])
        xr, yr = np.asarray(x) - c, np.asarray(y) - f
        col = (e * xr - b * yr) / det - 0.5
        row = (-d * xr + a * yr) / det - 0.5
        design = _quad(ne[:, 0], ne[:, 1])
        coef, *_ = np.linalg.lstsq(design, np.stack([col, row], axis=1), rcond=None)
        resid = float(np.abs(design @ coef - np.stack([col, row], axis=1)).max())
        if not math.isfinite(resid) or resid > MAX_FIT_RESIDUAL_PX:
            raise InputError(f"DEM {self.name!r}: its CRS cannot be mapped to the flight's local frame accurately "
                             f"within {r:.0f} m (fit residual {resid:.3f} px); lower max_range_m or reproject "
                             "the DEM to the flight's UTM zone")
        # Heights → MSL
        z = g.z
        note = "heights MSL"
        if self.height_reference() == "ellipsoidal":
            xg, yg = to_geo.transform(*_grid_xy(g, z.shape))
            und = geoid_undulation_m(np.asarray(yg), np.asarray(xg), self.geoid_undulation_m)
            z = z - np.asarray(und).reshape(z.shape)
            note = "ellipsoidal heights converted to MSL"
        # Cell size in metres (for the marching step)
        jac = coef[1:3].T  # d(col,row)/d(n,e) at the origin
        cell_m = 1.0 / max(float(np.abs(np.linalg.eigvals(jac @ jac.T)).max()) ** 0.5, 1e-12)
        return BoundDem(self.name, z, coef, frame.h0_m, cell_m, max(0.5 * cell_m, self.min_step_m), resid,
                        float(np.nanmin(z)) if np.isfinite(z).any() else math.nan,
                        float(np.nanmax(z)) if np.isfinite(z).any() else math.nan, self.max_range_m, note)

    def to_dict(self) -> dict[str, object]:
        return {"surface": "dem", "name": self.name, "path": self.path, "vertical": self.vertical,
                "geoid_undulation_m": self.geoid_undulation_m, "max_range_m": self.max_range_m}

    @classmethod
    def from_dict(cls, data: dict, name: str = "DEM", base: Path | None = None) -> DemSurface:  # type: ignore[type-arg]
        path = Path(str(data["path"]))
        if base is not None and not path.is_absolute():
            path = base / path
        und = data.get("geoid_undulation_m")
        return cls(str(path), str(data.get("vertical", "auto")), None if und is None else float(und),
                   float(data.get("max_range_m", 1000.0)), name=str(data.get("name", name)))


def _quad(n: np.ndarray, e: np.ndarray) -> np.ndarray:
    return np.stack([np.ones_like(n), n, e, n * n, n * e, e * e], axis=-1)


def _grid_xy(g: DemGrid, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.meshgrid(np.arange(shape[0]) + 0.5, np.arange(shape[1]) + 0.5, indexing="ij")
    a, b, c, d, e, f = g.transform
    return (a * cols + b * rows + c).ravel(), (d * cols + e * rows + f).ravel()


@dataclass(frozen=True, eq=False)
class DemChart:
    """Plan chart of a DEM: u east, v north (metres, local frame); to_3d puts points on the DEM."""

    dem: BoundDem
    name: str = "DEM"
    is_horizontal: bool = True

    @property
    def axis_labels(self) -> tuple[str, str]:
        return ("east (m)", "north (m)")

    def to_2d(self, points_ned_m: np.ndarray) -> np.ndarray:
        p = np.atleast_2d(points_ned_m)
        return np.stack([p[:, 1], p[:, 0]], axis=1)

    def to_3d(self, uv_m: np.ndarray) -> np.ndarray:
        uv = np.atleast_2d(np.asarray(uv_m, dtype=np.float64))
        n, e = uv[:, 1], uv[:, 0]
        return np.stack([n, e, self.dem.down_at(n, e)], axis=1)


@dataclass(eq=False)
class BoundDem(BoundSurface):
    name: str
    z_msl: np.ndarray
    coef: np.ndarray  # (6, 2) quadratic (n, e) → (col, row)
    h0_m: float  # the local frame's origin height (MSL)
    cell_m: float
    step_m: float
    fit_residual_px: float
    z_min: float
    z_max: float
    max_range_m: float
    height_note: str = ""
    kind: str = "DEM"

    def chart(self) -> DemChart:
        return DemChart(self, self.name)

    def down_at(self, n: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Local 'down' of the DEM surface at local (n, e) (NaN outside or on nodata); bilinear."""
        n = np.asarray(n, dtype=np.float64)
        e = np.asarray(e, dtype=np.float64)
        cr = _quad(n, e) @ self.coef
        col, row = cr[..., 0], cr[..., 1]
        rows, cols = self.z_msl.shape
        ok = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (row >= 0) & (col <= cols - 1) & (row <= rows - 1)
        c0 = np.clip(np.floor(np.where(ok, col, 0)).astype(np.int64), 0, max(cols - 2, 0))
        r0 = np.clip(np.floor(np.where(ok, row, 0)).astype(np.int64), 0, max(rows - 2, 0))
        fc, fr = np.where(ok, col, 0) - c0, np.where(ok, row, 0) - r0
        z = self.z_msl
        c1, r1 = np.minimum(c0 + 1, cols - 1), np.minimum(r0 + 1, rows - 1)
        h = ((1 - fr) * ((1 - fc) * z[r0, c0] + fc * z[r0, c1]) + fr * ((1 - fc) * z[r1, c0] + fc * z[r1, c1]))
        curvature = (n * n + e * e) / (2 * EARTH_RADIUS_M)  # the surface drops below the tangent plane
        return np.where(ok, -(h - self.h0_m) + curvature, np.nan)

    def normal_at(self, points: np.ndarray) -> np.ndarray:
        p = np.atleast_2d(points)
        dd = 0.5 * self.cell_m
        dn = (self.down_at(p[:, 0] + dd, p[:, 1]) - self.down_at(p[:, 0] - dd, p[:, 1])) / (2 * dd)
        de = (self.down_at(p[:, 0], p[:, 1] + dd) - self.down_at(p[:, 0], p[:, 1] - dd)) / (2 * dd)
        nrm = np.stack([dn, de, -np.ones_like(dn)], axis=1)  # down = f(n,e): normal ∝ (∂f/∂n, ∂f/∂e, -1)
        return nrm / np.linalg.norm(nrm, axis=1, keepdims=True)

    def _band(self, origin: np.ndarray, rays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """t range where the ray is inside the DEM's height band and max_range."""
        down_top, down_bot = -(self.z_max - self.h0_m), -(self.z_min - self.h0_m)
        dz = rays[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            t_top = (down_top - 1.0 - origin[2]) / dz  # 1 m of slack for curvature
            t_bot = (down_bot + 1.0 + self.max_range_m ** 2 / (2 * EARTH_RADIUS_M) - origin[2]) / dz
        lo = np.where(dz > 0, t_top, np.where(origin[2] > down_top - 1.0, 0.0, np.inf))
        hi = np.where(dz > 0, t_bot, np.where(origin[2] < down_bot, self.max_range_m, -np.inf))
        lo = np.maximum(lo, 0.0)
        return lo, np.minimum(hi, self.max_range_m)

    def intersect(self, origin_ned: np.ndarray, rays_ned: np.ndarray) -> Hits:
        rays = np.atleast_2d(np.asarray(rays_ned, dtype=np.float64))
        o = np.asarray(origin_ned, dtype=np.float64)
        n_rays = len(rays)
        out = Hits.none(n_rays)
        if not np.isfinite(self.z_min):
            return out
        lo, hi = self._band(o, rays)
        todo = np.flatnonzero(np.isfinite(lo) & np.isfinite(hi) & (hi > lo))
        if len(todo) == 0:
            return out
        t_hit = np.full(n_rays, np.nan)
        span = hi[todo] - lo[todo]
        k = int(min(MAX_SAMPLES_PER_RAY, math.ceil(float(span.max()) / self.step_m) + 2))
        steps = np.minimum(self.step_m, span / max(k - 1, 1))
        chunk = max(1, 2_000_000 // k)
        for s in range(0, len(todo), chunk):
            idx = todo[s:s + chunk]
            t = lo[idx, None] + steps[s:s + chunk, None] * np.arange(k)[None, :]
            t = np.minimum(t, hi[idx, None])
            p = o + rays[idx, None, :] * t[..., None]
            below = p[..., 2] - self.down_at(p[..., 0], p[..., 1])  # > 0: under the surface
            valid = np.isfinite(below)
            # first sample under the surface, provided everything before it was valid and above
            under = valid & (below >= 0)
            first = np.where(under.any(axis=1), under.argmax(axis=1), -1)
            bad_before = np.cumsum(~valid, axis=1)
            rows_ = np.arange(len(idx))
            ok = (first > 0) & (bad_before[rows_, np.maximum(first, 0)] == 0)
            if ok.any():  # (first <= 0: no crossing or the camera under the DEM; bad: nodata/edge first)
                j = rows_[ok]
                t_hit[idx[ok]] = self._bisect(o, rays[idx[ok]], t[j, first[ok] - 1], t[j, first[ok]])
        hit = np.isfinite(t_hit)
        pts = o + rays * t_hit[:, None]
        normals = np.full((n_rays, 3), np.nan)
        if hit.any():
            normals[hit] = self.normal_at(pts[hit])
        return Hits(np.where(hit[:, None], pts, np.nan), t_hit, normals, hit)

    def _bisect(self, o: np.ndarray, rays: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Vectorised bisection of the first crossing in [a, b] (a above, b under the surface)."""
        a, b = a.astype(np.float64).copy(), b.astype(np.float64).copy()
        for _ in range(BISECTION_STEPS):
            m = 0.5 * (a + b)
            p = o + rays * m[:, None]
            below = p[:, 2] - self.down_at(p[:, 0], p[:, 1])
            under = ~(below < 0)  # NaN counts as under: keeps the bracket on the valid side
            b = np.where(under, m, b)
            a = np.where(under, a, m)
            if float(np.max(b - a)) < 1e-5:
                break
        return 0.5 * (a + b)

    def miss_reason(self, origin_ned: np.ndarray, ray_ned: np.ndarray) -> str:
        o = np.asarray(origin_ned, dtype=np.float64)
        ground = float(self.down_at(o[0], o[1]))
        if math.isfinite(ground) and o[2] > ground:
            return f"camera is {o[2] - ground:.1f} m below DEM {self.name!r}"
        if ray_ned[2] <= 0 and (not math.isfinite(ground) or o[2] < ground):
            return f"image centre ray rises: the camera looks at the sky (DEM {self.name!r})"
        return (f"DEM {self.name!r} does not cover the point the image centre ray looks at (the ray meets nodata or "
                f"leaves the DEM, or goes beyond {self.max_range_m:.0f} m)")
