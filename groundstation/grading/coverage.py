"""The surface area each registry component was seen over, for ``rusted_area_pct`` per component.

ISO 4628-3 rates the rusted share of the surface or component assessed: over the whole flight's
covered area, a badly rusted pier flown beside clean ones was graded by the clean area too. The
union of the frames' footprints on the surface (as ``groundstation.publish.context.covered_area_m2``
takes it, in the surface chart) is sampled on a grid; each sample, lifted back onto the surface, is
given the component a finding there would get (``groundstation.registry.assign_point``, the same
nearest-component rule and tolerance), and a component's covered area is its samples' share.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SAMPLES = 2000  # grid points over the covered area: ~1 s on a bridge registry, area to ~2 % on a 1 m2 part


def covered_union(footprints_ned_m: list[np.ndarray], chart: Any) -> Any:
    """The union of the frames' footprints (each its convex hull) in the surface ``chart``, or None."""
    import shapely
    from shapely.geometry import Polygon

    polys = [Polygon(chart.to_2d(np.asarray(f))).convex_hull for f in footprints_ned_m if len(f) >= 3]
    return shapely.union_all(polys) if polys else None


def covered_by_component_m2(footprints_ned_m: list[np.ndarray], chart: Any, frame: Any, reg: Any,
                            asset_id: str, tolerance_m: float = 1.0, samples: int = SAMPLES) -> dict[str, float]:
    """{component id: covered m2} of ``asset_id`` in ``reg`` (groundstation.registry.Registry).
    ``footprints_ned_m``: each frame's footprint on the surface, in ``frame``'s (LocalFrame) NED;
    ``chart``: the surface chart (to_2d / to_3d) the covered area is taken in."""
    import shapely

    from groundstation.registry import assign_point

    union = covered_union(footprints_ned_m, chart)
    if union is None or union.area <= 0:
        return {}
    step = math.sqrt(union.area / samples)
    x0, y0, x1, y1 = union.bounds
    gx, gy = np.meshgrid(np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step))
    inside = shapely.contains_xy(union, gx.ravel(), gy.ravel())
    uv = np.stack([gx.ravel()[inside], gy.ravel()[inside]], axis=1)
    if not len(uv):
        return {}
    cell_m2 = union.area / len(uv)  # the samples share the union's area exactly
    out: dict[str, float] = {}
    for lat, lon, alt in frame.to_geodetic(chart.to_3d(uv)):
        a = assign_point(reg, asset_id, "", float(lat), float(lon), float(alt), tolerance_m)
        if a is not None:
            out[a.component_id] = out.get(a.component_id, 0.0) + cell_m2
    return {cid: round(m2, 3) for cid, m2 in sorted(out.items())}
