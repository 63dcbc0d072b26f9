"""Shared fixtures for the onboard tests (data under tests/data/telemetry, see LICENSES.md there)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The helper modules beside this file (onboard_helpers, onboard_synth) are imported by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onboard_helpers import FACADE_TLOG, DarkPixelSegmenter  # noqa: E402

from onboard.telemetry import TelemetryBuffer  # noqa: E402


@pytest.fixture
def segmenter() -> DarkPixelSegmenter:
    return DarkPixelSegmenter()


@pytest.fixture(scope="session")
def facade_buffer() -> TelemetryBuffer:
    return TelemetryBuffer.from_tlog(FACADE_TLOG)
