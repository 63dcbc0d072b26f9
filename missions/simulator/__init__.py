"""Deterministic inspection-flight simulator: a bridge-pier face (geometry of the ArduCopter SITL
facade flight) with real crack/corrosion imagery, a serpentine scan, rendered frames with truth
masks, a MAVLink .tlog and GeoJSON truth. Entry point: ``simulate(out_dir, SimConfig(), progress)``."""

from missions.simulator.config import DefectPlacement, SimConfig
from missions.simulator.simulate import SimResult, simulate

__all__ = ["DefectPlacement", "SimConfig", "SimResult", "simulate"]
