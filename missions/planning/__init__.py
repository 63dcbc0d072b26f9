"""Inspection mission planning: asset → GSD-driven design → patterns → MAVLink items → safety checks
→ .plan / .waypoints / KML / preview → upload. Entry point: ``plan_inspection``; see docs/missions.md."""

from missions.planning.assets import Bridge, Pipeline, WindTurbine, load_asset, parse_asset
from missions.planning.cameras import CameraProfile, builtin_cameras, get_camera, load_camera_file
from missions.planning.design import Design, Requirement, design_for
from missions.planning.mission import MissionItem
from missions.planning.planner import Plan, plan_inspection
from missions.planning.safety import RULES, PlanRefusedError, check_items

__all__ = ["RULES", "Bridge", "CameraProfile", "Design", "MissionItem", "Pipeline", "Plan", "PlanRefusedError",
           "Requirement", "WindTurbine", "builtin_cameras", "check_items", "design_for", "get_camera",
           "load_asset", "load_camera_file", "parse_asset", "plan_inspection"]
