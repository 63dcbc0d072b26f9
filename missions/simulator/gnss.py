"""The GNSS position error logged with a simulated flight (``SimConfig.gnss_error_m``), two models.

``per-lane`` (sessions 8-20): one independent draw per lane, constant over the lane's captures and
blended linearly between lanes. It is what the ground station's pass alignment (groundstation/
tiepoints.py) was built against: within a lane the baseline between frames is exact.

``gauss-markov``: how a plain (non-RTK) receiver errs over time. A first-order Gauss-Markov process
per axis, stationary with sigma ``gnss_error_m`` (horizontal; vertical 1.5x as in the per-lane
model) and correlation time ``gnss_correlation_s``: e(t + dt) = a e(t) + sigma sqrt(1 - a^2) w,
a = exp(-dt / tau), so the error drifts a little within a lane (its change over dt has the sigma
sigma sqrt(2 (1 - a)), about sigma sqrt(2 dt / tau): 5 cm between two captures 0.37 s apart at
1 m, 300 s) and changes smoothly between lanes. On top of it a white part of ``gnss_white_m`` per
axis (1.5x vertically), one draw per 5 Hz receiver epoch (GPS_RAW_INT's rate), held until the next.

Typical values. MathWorks' UAV Toolbox ``gpsSensor`` models a receiver's position noise as this
first-order Gauss-Markov process (https://www.mathworks.com/help/uav/ref/gpssensor-system-object.html;
tau = dt / (1 - DecayFactor) in its source, MATLAB Answers 1986604). D. L. Wilson's 20-day test of a
Garmin 12XL (http://www.erols.com/dlwilson/gpscorr.htm) shows the horizontal error's autocorrelation
bending near 1 minute and staying correlated for several more; Schumayer et al., Sensors 20(21) 6050
(2020), doi:10.3390/s20216050, find an Ornstein-Uhlenbeck (= first-order Gauss-Markov) process fits
stationary single-frequency GPS positions far better than white noise. Default tau 300 s sits inside
that range of minutes; the 2 cm white part is an assumed epoch-to-epoch jitter (no measured source
here). A first-order process is rougher at short lags than a receiver's smoothed output, so the drift
within a lane is, if anything, overstated.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from missions.simulator.config import SimConfig

if TYPE_CHECKING:
    from missions.simulator.flight import FlightPlan

EPOCH_S = 0.2  # receiver epoch (5 Hz, GPS_RAW_INT's rate in the .tlog)
_AXIS_SCALE = np.array([1.0, 1.0, 1.5])  # north, east, down: vertical errors are larger


def gnss_error_ned(plan: FlightPlan, t_s: float) -> np.ndarray:
    """The logged position's error (3,) north-east-down metres at a flight time (zero without one)."""
    c = plan.config
    if c.gnss_error_m <= 0 or not plan.captures:
        return np.zeros(3)
    if c.gnss_error_model == "gauss-markov":
        return _gauss_markov(plan, t_s)
    return _per_lane(plan, t_s)


def _per_lane(plan: FlightPlan, t_s: float) -> np.ndarray:
    """One draw per lane (seeded by the config), constant over the lane's captures and blended
    linearly between lanes."""
    c = plan.config
    rng = np.random.default_rng([c.seed, 2])
    lanes = sorted({cap.lane for cap in plan.captures})
    bias = {lane: rng.normal(0.0, 1.0, 3) * _AXIS_SCALE * c.gnss_error_m for lane in lanes}
    spans = [(min(cap.t_s for cap in plan.captures if cap.lane == lane),
              max(cap.t_s for cap in plan.captures if cap.lane == lane), lane) for lane in lanes]
    for k, (t0, t1, lane) in enumerate(spans):
        if t_s < t0 and k > 0:  # between the previous lane's last capture and this lane's first
            end_prev, prev = spans[k - 1][1], spans[k - 1][2]
            w = min(max((t_s - end_prev) / max(t0 - end_prev, 1e-9), 0.0), 1.0)
            return (1.0 - w) * bias[prev] + w * bias[lane]
        if t_s <= t1 or k == len(spans) - 1:
            return bias[lane]
    return bias[spans[-1][2]]


def _gauss_markov(plan: FlightPlan, t_s: float) -> np.ndarray:
    """The Gauss-Markov part interpolated linearly between epochs, plus the epoch's white part."""
    drift, white = _series(plan.config, int(math.ceil(plan.duration_s / EPOCH_S)) + 2)
    x = min(max(t_s / EPOCH_S, 0.0), len(drift) - 1.0)
    k = min(int(math.floor(x)), len(drift) - 2)
    a = x - k
    return (1.0 - a) * drift[k] + a * drift[k + 1] + white[min(int(math.floor(x + 1e-9)), len(white) - 1)]


@lru_cache(maxsize=8)
def _series(c: SimConfig, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(Gauss-Markov part, white part) at ``n`` epochs from the flight's start, (n, 3) metres each;
    seeded by the config, so the same config logs the same errors."""
    rng = np.random.default_rng([c.seed, 3])
    sigma = c.gnss_error_m * _AXIS_SCALE
    a = math.exp(-EPOCH_S / c.gnss_correlation_s)
    drift = np.empty((n, 3))
    drift[0] = rng.normal(0.0, 1.0, 3) * sigma  # stationary from the start: the receiver ran before take-off
    steps = rng.normal(0.0, 1.0, (n, 3)) * sigma * math.sqrt(1.0 - a * a)
    for k in range(1, n):
        drift[k] = a * drift[k - 1] + steps[k]
    white = rng.normal(0.0, 1.0, (n, 3)) * c.gnss_white_m * _AXIS_SCALE
    return drift, white
