"""CE90 / LE90 from a position covariance, and a Monte Carlo check of the linearisation.

CE90 is the radius of the horizontal circle that holds the true position with 90 % probability;
LE90 the vertical half-interval. For a horizontal error with covariance C (2x2, eigenvalues
λ1 ≥ λ2) the radius is √λ1 · k(√(λ2/λ1)), where k(q) solves P(X² + q² Y² ≤ k²) = 0.9 for
independent standard normals X, Y: k(1) = 2.1460 (circular), k(0) = 1.6449 (one-dimensional,
e.g. a vertical face, whose horizontal error runs along the face). Using the circular factor with
the RMS σ on an elongated ellipse would under-cover (87 % for a line); using the major axis with
2.146 would pad. LE90 = 1.6449 σ_down.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import erf

LE90_FACTOR = 1.6449
_Q = np.linspace(0.0, 1.0, 41)


def _p_inside(k: float, q: float) -> float:
    """P(X² + q² Y² ≤ k²)."""
    if q < 1e-9:
        return float(erf(k / math.sqrt(2)))
    y = np.linspace(-k / q, k / q, 4001)
    inner = erf(np.sqrt(np.maximum(k * k - (q * y) ** 2, 0.0)) / math.sqrt(2))
    pdf = np.exp(-0.5 * y * y) / math.sqrt(2 * math.pi)
    # trapezoid: NumPy >= 2.0 (trapz is deprecated there); trapz before it
    return float(np.trapezoid(pdf * inner, y)) if hasattr(np, "trapezoid") else float(np.trapz(pdf * inner, y))


@lru_cache(maxsize=1)
def _k_table() -> np.ndarray:
    ks = []
    for q in _Q:
        lo, hi = 1.0, 3.0
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if _p_inside(mid, q) < 0.9 else (lo, mid)
        ks.append(0.5 * (lo + hi))
    return np.array(ks)


def ce90_factor(q: float) -> float:
    """k(q) of the module doc (q = minor/major σ ratio, 0..1)."""
    return float(np.interp(min(max(q, 0.0), 1.0), _Q, _k_table()))


def ce90_m(cov_ned_m2: np.ndarray) -> float:
    """CE90 of the north/east block of a 3x3 (or 2x2) covariance."""
    c = np.asarray(cov_ned_m2, dtype=np.float64)[:2, :2]
    if not np.all(np.isfinite(c)):
        return math.nan
    lam = np.sort(np.maximum(np.linalg.eigvalsh(0.5 * (c + c.T)), 0.0))[::-1]
    if lam[0] <= 0:
        return 0.0
    return math.sqrt(lam[0]) * ce90_factor(math.sqrt(lam[1] / lam[0]))


def le90_m(cov_ned_m2: np.ndarray) -> float:
    c = np.asarray(cov_ned_m2, dtype=np.float64)
    return LE90_FACTOR * math.sqrt(max(float(c[2, 2]), 0.0)) if np.isfinite(c[2, 2]) else math.nan


def monte_carlo_cov(intersect, cam_ned: np.ndarray, ray_ned: np.ndarray, sigma_h_m: float,  # type: ignore[no-untyped-def]
                    sigma_v_m: float, sigma_pointing_rad: float, n: int = 2000,
                    seed: int = 0) -> np.ndarray:
    """Covariance of the hit point when the camera position and the ray are perturbed (the check
    the linearisation is tested against): ``intersect(origins (n, 3), rays (n, 3)) → points``."""
    rng = np.random.default_rng(seed)
    origins = cam_ned + rng.normal(0, 1, (n, 3)) * np.array([sigma_h_m, sigma_h_m, sigma_v_m])
    r = ray_ned / np.linalg.norm(ray_ned)
    a = np.cross(r, [0.0, 0.0, 1.0] if abs(r[2]) < 0.9 else [1.0, 0.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(r, a)
    d = rng.normal(0, sigma_pointing_rad, (n, 2))
    rays = r + d[:, :1] * a + d[:, 1:] * b
    rays /= np.linalg.norm(rays, axis=1, keepdims=True)
    pts = intersect(origins, rays)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    return np.cov(pts.T)
