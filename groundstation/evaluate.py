"""Stage 6, evaluate: compare findings with the simulator's truth.geojson.

Matching: a true defect is found when a finding of the same class lies on it: its outline (or, for
a finding without one, its centroid) comes within ``tolerance_m`` (default 5 cm) of the truth
outline *and* is on average within ``tolerance_m`` of it (the placement error below). A finding
that only touches a defect (a formwork joint line across a crack) neither matches it nor counts as
a piece of it: it is a false positive (until session 13 it could match, and a joint line crossing
an L-shaped crack near its centroid won the crack's match from the crack's own finding). Each
finding matches at most one truth defect (greedy by centroid distance). A finding left over that
still lies on a true defect of its class (a second piece of a crack found in two) is a *duplicate*:
a real defect reported twice, which the report should have merged, not a false alarm. There is
deliberately no centroid-radius rule: a radius wide enough for a long crack's partial detections
(the old 25 cm one) also matched a fragment of one crack to a different, small crack beside it.
All distances are in a local metric frame (NED at the first truth centroid), in 3D, so vertical
faces work as well as the ground. ``error_in_gsd`` = mean position error / mean GSD of the matched
findings: how many pixels off the placement is, the fair number to compare across flight heights.

The centroid error mixes two things for a long crack: *where* the found pixels lie and *how much* of
the crack was found (a third of a 0.6 m crack has its centroid 0.2 m from the crack's). Two more
numbers per matched pair keep them apart, reported beside the centroid error, not instead of it:

- placement error: the mean distance of the finding's outline from the true outline (0 inside it),
  sampled every 0.5 GSD along the outline, in the truth's own plane: are the found pixels where the
  defect is? (Sampled, not per vertex: a simplified outline puts few vertices on long straight
  runs and many on ragged ends, and a vertex mean weighed the ends.)
- coverage: the fraction of the true outline's area within 2 GSD of the finding (the 2-pixel
  tolerance of the model's crack F score; 5 mm when the finding's GSD is unknown).

Measurements are scored too, as the median over matched pairs of measured / true: crack length
(``length_mm``) and corrosion area (``area_m2``); 1.0 is exact, NaN when no pair has both values.

A flight shifted as a whole (plain GNSS) matches nothing at 5 cm: ``common_offset`` is that shift and
``offset_removed`` everything scored again without it (groundstation.evaluate_offset).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from skyinspect.errors import InputError, describe
from skyinspect.findings import Finding
from skyinspect.geodesy import LocalFrame
from skyinspect.json_input import read_json

DEFAULT_TOLERANCE_M = 0.05
WGS84_CRS_ENDINGS = ("CRS84", "EPSG:4326", "EPSG:4979", "CRS:84")  # how GDAL and QGIS name it in a "crs" member
COVERAGE_TOLERANCE_M = 0.005


@dataclass(frozen=True)
class ClassComparison:
    true_count: int
    found_count: int
    false_positive_count: int
    mean_position_error_m: float
    duplicate_count: int = 0


@dataclass(frozen=True)
class TruthComparison:
    true_count: int
    found_count: int
    false_positive_count: int
    mean_position_error_m: float  # NaN when nothing matched
    mean_gsd_m: float  # of the matched findings (NaN when unknown)
    error_in_gsd: float
    per_class: dict[str, ClassComparison] = field(default_factory=dict)
    matches: tuple[tuple[str, str], ...] = ()  # (defect_id, finding_id)
    mean_placement_error_m: float = math.nan  # finding outline → true outline (see module doc)
    mean_coverage: float = math.nan  # of the true defects' area by their findings
    duplicate_count: int = 0  # extra findings on an already matched defect (see module doc)
    crack_length_ratio: float = math.nan  # median measured / true length of matched cracks
    corrosion_area_ratio: float = math.nan  # median measured / true area of matched corrosion
    crack_length_ratios: tuple[float, ...] = ()  # each matched crack's measured / true length, truth order
    # crack width and primary grade against the truth's (groundstation.evaluate_grades); None: findings
    # given as objects, which carry no published grade
    width_grade: Any = None
    # the flight's common offset from the truth (groundstation.evaluate_offset.CommonOffset; None: the
    # findings' offsets do not agree), and everything above scored again with it taken out (None: under
    # the matching distance, nothing to take out)
    common_offset: Any = None
    offset_removed: TruthComparison | None = None

    @property
    def placement_error_in_gsd(self) -> float:
        ok = math.isfinite(self.mean_gsd_m) and self.mean_gsd_m > 0
        return self.mean_placement_error_m / self.mean_gsd_m if ok else math.nan

    @property
    def recall(self) -> float:
        return self.found_count / self.true_count if self.true_count else math.nan


@dataclass(frozen=True, eq=False)
class _Item:
    ident: str
    cls: str
    centroid: tuple[float, float, float]  # lat, lon, alt
    ring: np.ndarray  # (N, 3) lat, lon, alt
    gsd_m: float = math.nan
    length_mm: float = math.nan
    area_m2: float = math.nan
    ce90_m: float = math.nan


def _num(value: Any) -> float:
    return float(value) if _is_number(value) else math.nan


def _read_collection(path: Path) -> list[dict[str, Any]]:
    try:
        data = read_json(Path(path))
    except FileNotFoundError as exc:
        raise InputError(describe(path, "file not found")) from exc
    except json.JSONDecodeError as exc:
        raise InputError(describe(path, f"not valid JSON ({exc})")) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError(describe(path, f"expected a GeoJSON FeatureCollection, got {str(data)[:60]!r}"))
    crs = data.get("crs")
    name = str((crs.get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
    if crs is not None and not name.upper().replace("::", ":").endswith(WGS84_CRS_ENDINGS):
        # an old-style GeoJSON "crs" member (QGIS writes one on export) naming a projected CRS: its
        # metres read as degrees had crashed the comparison with a GEOS traceback
        raise InputError(describe(path, f"declares its coordinates in {name or crs!r}; expected WGS84 longitude, "
                                  "latitude (degrees) and height (RFC 7946)",
                                  f"Reproject it: ogr2ogr -f GeoJSON -t_srs EPSG:4326 out.geojson {path}"))
    features = data.get("features", [])
    if not isinstance(features, list):
        raise InputError(describe(path, f"'features' is a {type(features).__name__}, expected a list of Feature "
                                        "objects"))
    for i, feat in enumerate(features):  # each read with .get below: anything else was an AttributeError
        if not isinstance(feat, dict):
            raise InputError(describe(path, f"feature {i} is a {type(feat).__name__}, not a Feature object"))
        if not isinstance(feat.get("properties") or {}, dict):
            raise InputError(describe(path, f"feature {i}: 'properties' is a {type(feat['properties']).__name__}, "
                                            "expected an object"))
    return _to_msl(features, data.get("vertical_reference"), path)


def _to_msl(features: list[dict[str, Any]], reference: Any, path: Path) -> list[dict[str, Any]]:
    """``features`` with MSL heights: findings.geojson's are ellipsoidal (MSL + N) when the flight
    gave its geoid separation N (its ``vertical_reference``); the truth and everything else are MSL."""
    if not isinstance(reference, dict) or reference.get("height") != "ellipsoidal":
        return features
    n = reference.get("geoid_separation_m") or 0.0
    if not _is_number(n) or not math.isfinite(n):
        raise InputError(describe(path, f"vertical_reference's geoid_separation_m is {n!r}, expected a number of "
                                        "metres", "Publish the flight again, or give the separation as a number"))

    def down(c: Any, i: int) -> Any:
        # checked here, not only in _ring_of: a number or a string where a list belongs had been a
        # TypeError or an endless recursion (a string's first item is itself a string)
        if isinstance(c, list) and c and all(not isinstance(x, list) for x in c):
            if len(c) < 2 or not all(_is_number(x) for x in c):
                raise InputError(describe(path, f"feature {i}: malformed coordinates: position {c!r} is not "
                                                "numbers", "Expected [longitude, latitude, height] positions"))
            return [c[0], c[1], c[2] - n, *c[3:]] if len(c) > 2 else c
        if not isinstance(c, list):
            raise InputError(describe(path, f"feature {i}: malformed coordinates: a {type(c).__name__} ({c!r:.40}) "
                                            "where a list of positions belongs",
                                      "Expected [longitude, latitude, height] positions"))
        return [down(x, i) for x in c]

    return [{**f, "geometry": {**f["geometry"], "coordinates": down(f["geometry"]["coordinates"], i)}}
            if isinstance(f.get("geometry"), dict) and f["geometry"].get("coordinates") else f
            for i, f in enumerate(features)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _ring_of(feature: dict[str, Any], path: Path) -> np.ndarray:
    geom = feature.get("geometry") or {}
    geom = geom if isinstance(geom, dict) else {"type": geom}
    coords = geom.get("coordinates")
    if geom.get("type") not in ("Polygon", "MultiPolygon", "Point", "LineString"):
        raise InputError(describe(path, f"unsupported geometry {geom.get('type')!r}; expected Polygon"))
    try:  # coordinates nested otherwise than the type says were tracebacks
        if geom["type"] == "Polygon":
            ring = coords[0]
        elif geom["type"] == "MultiPolygon":
            ring = max((p[0] for p in coords), key=len)
        else:
            ring = [coords] if geom["type"] == "Point" else coords
        pts = np.array([[c[1], c[0], c[2] if len(c) > 2 else math.nan] for c in ring], dtype=np.float64)
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise InputError(describe(path, f"a {geom.get('type')} has malformed coordinates ({exc})",
                                  "Expected [longitude, latitude, height] positions")) from exc
    if len(pts) and not (np.all(np.abs(pts[:, 0]) <= 90) and np.all(np.abs(pts[:, 1]) <= 180)):
        raise InputError(describe(path, f"coordinates such as {ring[0][:2]} are not longitude, latitude in degrees",
                                  "GeoJSON positions are WGS84 (RFC 7946): reproject the file, e.g. "
                                  f"ogr2ogr -f GeoJSON -t_srs EPSG:4326 out.geojson {path}"))
    return pts


def read_truth(path: Path, features: list[dict[str, Any]] | None = None) -> list[_Item]:
    """``path``'s true defects; ``features``: its features when already read (_read_collection)."""
    items = []
    for i, feat in enumerate(_read_collection(path) if features is None else features):
        p = feat.get("properties") or {}
        ring = _ring_of(feat, path)
        if "centroid_lat_deg" in p:
            c = (float(p["centroid_lat_deg"]), float(p["centroid_lon_deg"]),
                 float(p.get("centroid_alt_msl_m", np.nanmean(ring[:, 2]))))
        else:
            c = tuple(float(v) for v in np.nanmean(ring, axis=0))  # type: ignore[assignment]
        if "class" not in p:
            raise InputError(describe(path, f"feature {i} has no 'class' property (expected crack/corrosion)"))
        items.append(_Item(str(p.get("defect_id", f"T{i}")), str(p["class"]), c, ring,  # type: ignore[arg-type]
                           length_mm=_num(p.get("length_mm")), area_m2=_num(p.get("area_m2"))))
    return items


def _findings_items(findings: list[Finding] | Path, features: list[dict[str, Any]] | None = None) -> list[_Item]:
    """``features``: findings.geojson's when already read (_read_collection)."""
    if isinstance(findings, (str, Path)):
        items = []
        for i, feat in enumerate(_read_collection(Path(findings)) if features is None else features):
            p = feat.get("properties") or {}
            gsd = p.get("gsd_mm")
            items.append(_Item(str(p.get("finding_id", f"F{i}")), str(p.get("class")),
                               (float(p["lat"]), float(p["lon"]), float(p["alt_msl_m"])), _ring_of(feat, Path(findings)),
                               gsd / 1000 if gsd is not None else math.nan, _num(p.get("length_mm")),
                               _num(p.get("area_m2")), _num(p.get("ce90_m"))))
        return items

    def value(f: Finding, key: str) -> float:
        m = f.measurements.get(key)
        return _num(m.value) if m is not None else math.nan

    return [_Item(f.finding_id, f.class_name, (f.lat_deg, f.lon_deg, f.alt_msl_m), np.asarray(f.outline_wgs84),
                  f.gsd_m, value(f, "length_mm"), value(f, "area_m2"), f.ce90_m) for f in findings]


def compare_with_truth(findings: list[Finding] | Path, truth_geojson: Path,
                       tolerance_m: float = DEFAULT_TOLERANCE_M) -> TruthComparison:
    """Count found, missed and false findings against the truth (see module doc); also the flight's
    common offset and the same numbers with it taken out (groundstation.evaluate_offset)."""
    from groundstation.evaluate_offset import estimate_common_offset

    truth_features = _read_collection(Path(truth_geojson))
    truth = read_truth(Path(truth_geojson), truth_features)
    # each file read once: the width and grade comparison below takes the same features
    found_features = _read_collection(Path(findings)) if isinstance(findings, (str, Path)) else None
    found = _findings_items(findings, found_features)
    anchor = truth[0].centroid if truth else (found[0].centroid if found else (0.0, 0.0, 0.0))
    frame = LocalFrame(*anchor)

    def ned(points: np.ndarray) -> np.ndarray:
        pts = np.atleast_2d(points).copy()
        pts[:, 2] = np.where(np.isfinite(pts[:, 2]), pts[:, 2], anchor[2])
        return frame.to_ned(pts[:, 0], pts[:, 1], pts[:, 2])

    found_ned = [(ned(np.array(f.centroid))[0], ned(f.ring)) for f in found]
    truth_ned = [(ned(np.array(t.centroid))[0], ned(t.ring)) for t in truth]
    scored = _score(truth, found, truth_ned, found_ned, tolerance_m)
    ce90s = [f.ce90_m for f in found if math.isfinite(f.ce90_m)]
    offset = estimate_common_offset([(t.cls, c) for t, (c, _) in zip(truth, truth_ned)],
                                    [(f.cls, c) for f, (c, _) in zip(found, found_ned)],
                                    float(np.median(ce90s)) if ce90s else math.nan)
    removed = None
    if offset is not None and offset.norm_m > tolerance_m:  # under it the strict numbers already tell
        shift = np.array(offset.offset_ned_m)
        removed = _score(truth, found, truth_ned, [(c - shift, r - shift) for c, r in found_ned], tolerance_m)
    if found_features is not None:
        from groundstation.evaluate_grades import compare_widths_and_grades

        profile = _grading_profile(Path(findings).parent / "inspection.json")  # type: ignore[arg-type]

        def graded(c: TruthComparison) -> TruthComparison:
            return replace(c, width_grade=compare_widths_and_grades(truth_features, found_features, c.matches,
                                                                    profile))

        scored = graded(scored)
        removed = graded(removed) if removed is not None else None
    return replace(scored, common_offset=offset, offset_removed=removed)


def _score(truth: list[_Item], found: list[_Item], truth_ned: list[tuple[np.ndarray, np.ndarray]],
           found_ned: list[tuple[np.ndarray, np.ndarray]], tolerance_m: float) -> TruthComparison:
    """Match and score (module doc); ``*_ned``: (centroid, outline) of each in the local frame."""
    import shapely
    from shapely.geometry import Point, Polygon

    def polygon(uv: np.ndarray) -> Any:
        # a crack's outline traced around a 1-2 px line touches itself: repair, don't drop it
        return shapely.make_valid(Polygon(uv)) if len(uv) >= 3 else Polygon()

    candidates = []
    shapes: dict[tuple[int, int], tuple[float, float]] = {}  # (ti, fi) → (placement m, coverage)
    for ti, t in enumerate(truth):
        tc, t_ring = truth_ned[ti]
        basis, origin = _best_fit_plane(t_ring, tc)
        exact = polygon((t_ring - origin) @ basis.T)
        tpoly = exact.buffer(tolerance_m)
        for fi, f in enumerate(found):
            if f.cls != t.cls:
                continue
            fc, f_ring = found_ned[fi]
            f_uv = (f_ring - origin) @ basis.T
            fpoly = polygon(f_uv)
            near = tpoly.intersects(fpoly if not fpoly.is_empty else Point(((fc - origin) @ basis.T)))
            if near:
                cover_tol = 2 * f.gsd_m if math.isfinite(f.gsd_m) and f.gsd_m > 0 else COVERAGE_TOLERANCE_M
                shapes[(ti, fi)] = _placement_and_coverage(exact, f_uv, fpoly, cover_tol, cover_tol / 4)
                if not shapes[(ti, fi)][0] > tolerance_m:  # lies on the defect (NaN: no outline to tell)
                    candidates.append((float(np.linalg.norm(fc - tc)), ti, fi))
    matched_t: dict[int, tuple[int, float]] = {}
    used_f: set[int] = set()
    for d, ti, fi in sorted(candidates):
        if ti not in matched_t and fi not in used_f:
            matched_t[ti] = (fi, d)
            used_f.add(fi)
    pairs = [shapes[(ti, fi)] for ti, (fi, _) in matched_t.items()]
    on_a_defect = {fi for _, _, fi in candidates}

    def ratios(cls: str, key: str) -> list[float]:
        return [getattr(found[fi], key) / getattr(truth[ti], key) for ti, (fi, _) in sorted(matched_t.items())
                if truth[ti].cls == cls and getattr(truth[ti], key) > 0 and math.isfinite(getattr(found[fi], key))]

    def ratio(cls: str, key: str) -> float:
        r = ratios(cls, key)
        return float(np.median(r)) if r else math.nan

    return replace(_tally(truth, found, matched_t, used_f, on_a_defect),
                   mean_placement_error_m=float(np.nanmean([p for p, _ in pairs])) if pairs else math.nan,
                   mean_coverage=float(np.nanmean([c for _, c in pairs])) if pairs else math.nan,
                   crack_length_ratio=ratio("crack", "length_mm"), corrosion_area_ratio=ratio("corrosion", "area_m2"),
                   crack_length_ratios=tuple(ratios("crack", "length_mm")))


def _grading_profile(inspection_json: Path) -> str | None:
    """The profile the findings were graded by (inspection.json beside them); None: the default."""
    try:
        profile = json.loads(inspection_json.read_text()).get("grading_profile")
    except (OSError, ValueError, AttributeError):
        return None
    return str(profile) if profile else None


def _placement_and_coverage(truth_poly: Any, finding_uv: np.ndarray, finding_poly: Any,
                            tolerance_m: float, step_m: float = 0.0) -> tuple[float, float]:
    """(mean distance of the finding's outline, sampled every ``step_m`` along it (its vertices
    when 0), from the true outline, 0 inside; fraction of the true area within ``tolerance_m`` of
    the finding), both in the truth's plane (valid polygons)."""
    import shapely

    if truth_poly.is_empty or truth_poly.area <= 0:
        return math.nan, math.nan
    if len(finding_uv) >= 2 and step_m > 0:
        ring = shapely.segmentize(shapely.linestrings(np.vstack([finding_uv, finding_uv[:1]])), step_m)
        finding_uv = shapely.get_coordinates(ring)[:-1]
    pts = shapely.points(finding_uv[:, 0], finding_uv[:, 1])
    placement = float(np.mean(shapely.distance(truth_poly, pts)))
    if finding_poly.is_empty:
        return placement, math.nan
    return placement, float(truth_poly.intersection(finding_poly.buffer(tolerance_m)).area / truth_poly.area)


def _best_fit_plane(points_ned: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2 in-plane axes of the truth outline (SVD), so overlap is tested on the defect's own face."""
    d = points_ned - centre
    if len(d) >= 3 and np.linalg.matrix_rank(d, tol=1e-6) >= 2:
        _, _, vt = np.linalg.svd(d, full_matrices=False)
        return vt[:2], centre
    return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), centre


def _tally(truth: list[_Item], found: list[_Item], matched_t: dict[int, tuple[int, float]],
           used_f: set[int], on_a_defect: set[int]) -> TruthComparison:
    duplicates = on_a_defect - used_f
    errors = [d for _, d in matched_t.values()]
    gsds = [found[fi].gsd_m for fi, _ in matched_t.values() if math.isfinite(found[fi].gsd_m)]
    mean_err = float(np.mean(errors)) if errors else math.nan
    mean_gsd = float(np.mean(gsds)) if gsds else math.nan
    per_class = {}
    for cls in sorted({t.cls for t in truth} | {f.cls for f in found}):
        t_idx = [i for i, t in enumerate(truth) if t.cls == cls]
        errs = [matched_t[i][1] for i in t_idx if i in matched_t]
        per_class[cls] = ClassComparison(
            len(t_idx), len(errs),
            sum(1 for i, f in enumerate(found) if f.cls == cls and i not in used_f and i not in duplicates),
            float(np.mean(errs)) if errs else math.nan, sum(1 for i in duplicates if found[i].cls == cls))
    return TruthComparison(
        len(truth), len(matched_t), len(found) - len(used_f) - len(duplicates), mean_err, mean_gsd,
        mean_err / mean_gsd if gsds and errors and mean_gsd > 0 else math.nan, per_class,
        tuple((truth[ti].ident, found[fi].ident) for ti, (fi, _) in sorted(matched_t.items())),
        duplicate_count=len(duplicates))
