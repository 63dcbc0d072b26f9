"""Onboard runtime: frames + MAVLink telemetry → tagged, segmented, crash-safe flight record."""
