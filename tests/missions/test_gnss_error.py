"""The simulator's time-correlated GNSS error model (missions/simulator/gnss.py, gauss-markov)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from missions.simulator.config import SimConfig
from missions.simulator.flight import plan_flight
from missions.simulator.gnss import EPOCH_S, _series, gnss_error_ned
from missions.simulator.scene import face_frame
from missions.simulator.tlog import read_tlog, write_flight_tlog
from skyinspect.errors import InputError

GM = replace(SimConfig(), gnss_error_m=1.0, gnss_error_model="gauss-markov", rtk=False)


def test_the_drift_has_the_stated_sigma_and_correlation_time() -> None:
    """Stationary sigma per axis (vertical 1.5x) and an autocorrelation of 1/e one correlation time
    apart, over 1,000 correlation times."""
    c = replace(GM, gnss_correlation_s=10.0, gnss_white_m=0.0)
    drift, white = _series(c, 50_000)
    np.testing.assert_allclose(drift.std(axis=0), [1.0, 1.0, 1.5], rtol=0.1)
    lag = int(round(c.gnss_correlation_s / EPOCH_S))
    x = drift - drift.mean(axis=0)
    rho = (x[:-lag] * x[lag:]).mean(axis=0) / x.var(axis=0)
    np.testing.assert_allclose(rho, math.exp(-1.0), atol=0.07)
    assert not white.any()
    _, white = _series(replace(c, gnss_white_m=0.02), 20_000)
    np.testing.assert_allclose(white.std(axis=0), [0.02, 0.02, 0.03], rtol=0.05)


def test_the_error_drifts_within_a_lane_and_moves_smoothly_between_lanes(tmp_path: Path) -> None:
    """CAMERA_FEEDBACK carries the modelled error at each capture; within a lane it is not constant
    (centimetres between captures, as sigma sqrt(2 dt / tau) predicts), and from one lane to the next
    it moves far less than the per-lane model's independent draws jump."""
    plan = plan_flight(GM)
    frame = face_frame()
    poses = [plan.pose_at(c.t_s, frame) for c in plan.captures]
    write_flight_tlog(tmp_path / "g.tlog", plan, frame, poses)
    fb = [m for _, m in read_tlog(tmp_path / "g.tlog") if m.get_type() == "CAMERA_FEEDBACK"]
    lanes: dict[int, list[np.ndarray]] = {}
    for m, cap, pose in zip(fb, plan.captures, poses):
        err = frame.to_ned(m.lat / 1e7, m.lng / 1e7, m.alt_msl).reshape(3) - \
            frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m).reshape(3)
        np.testing.assert_allclose(err, gnss_error_ned(plan, cap.t_s), atol=0.01)
        lanes.setdefault(cap.lane, []).append(err)
    steps = np.concatenate([np.diff(np.array(v)[:, :2], axis=0) for v in lanes.values()])
    dt_s = plan.captures[1].t_s - plan.captures[0].t_s
    expected = math.sqrt(2 * (1 - math.exp(-dt_s / GM.gnss_correlation_s)) * GM.gnss_error_m ** 2
                         + 2 * GM.gnss_white_m ** 2)
    assert 0.5 * expected < float(steps.std()) < 2.0 * expected  # 5-6 cm between captures at 1 m, 300 s
    assert all(np.ptp(np.array(v)[:, :2], axis=0).max() > 0.03 for v in lanes.values())

    def lane_jumps(config: SimConfig) -> float:
        p = plan_flight(config)
        ends = [(max(c.t_s for c in p.captures if c.lane == k), min(c.t_s for c in p.captures if c.lane == k + 1))
                for k in range(1, max(c.lane for c in p.captures))]
        return float(np.mean([np.linalg.norm(gnss_error_ned(p, b) - gnss_error_ned(p, a)) for a, b in ends]))

    for seed in (7, 3, 11):
        assert lane_jumps(replace(GM, seed=seed)) < 0.5 * lane_jumps(replace(GM, seed=seed, gnss_error_model="per-lane"))


def test_deterministic_by_seed_and_per_lane_stays_the_default() -> None:
    def errors(config: SimConfig) -> np.ndarray:
        p = plan_flight(config)
        return np.array([gnss_error_ned(p, c.t_s) for c in p.captures])

    np.testing.assert_array_equal(errors(GM), errors(replace(GM)))
    assert np.abs(errors(GM) - errors(replace(GM, seed=8))).max() > 0.1
    assert SimConfig().gnss_error_model == "per-lane"
    assert not errors(replace(GM, gnss_error_m=0.0)).any()


@pytest.mark.parametrize("field, value", [("gnss_error_model", "gm"), ("gnss_correlation_s", 0.0),
                                          ("gnss_white_m", -0.01)])
def test_bad_model_settings_are_refused(field: str, value: object) -> None:
    with pytest.raises(InputError, match=field):
        replace(GM, **{field: value})


@pytest.mark.parametrize("args", [("--gnss-error-model", "gm"), ("--gnss-correlation-s", "0"),
                                  ("--gnss-correlation-s", "inf"), ("--gnss-white-m", "-1")])
def test_the_cli_refuses_bad_model_settings_before_writing(tmp_path: Path, args: tuple[str, str]) -> None:
    from skyinspect.cli.main import app

    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "sim"), "--small", "--gnss-error-m", "0.5",
                                      *args])
    assert result.exit_code == 2 and args[0] in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "sim").exists()


def test_the_cli_flies_the_gauss_markov_model(tmp_path: Path) -> None:
    import json

    from skyinspect.cli.main import app

    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "sim"), "--small", "--gnss-error-m", "0.5",
                                      "--gnss-error-model", "gauss-markov", "--gnss-correlation-s", "120"])
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "sim" / "scene.json").read_text())["config"]
    assert (config["gnss_error_model"], config["gnss_correlation_s"], config["gnss_white_m"]) == ("gauss-markov", 120.0, 0.02)
