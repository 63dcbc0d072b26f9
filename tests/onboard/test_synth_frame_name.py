"""onboard_synth.utc_frame_name names a frame by its time to 0.01 s, as onboard.frames.time_from_name reads it."""

from __future__ import annotations

import pytest
from onboard_synth import BOOT_UTC_S, utc_frame_name

from onboard.frames import time_from_name


@pytest.mark.parametrize("fraction_s", [0.0, 0.25, 0.994, 0.996, 0.9999])
def test_name_reads_back_within_a_hundredth(fraction_s: float) -> None:
    t = BOOT_UTC_S + 101 + fraction_s  # .996 had been named '...100Z' (0.100 s), 0.9 s early
    assert time_from_name(utc_frame_name(t)) == pytest.approx(t, abs=0.006)
