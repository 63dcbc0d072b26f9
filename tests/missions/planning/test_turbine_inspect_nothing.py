"""A turbine file whose inspect: section turns off both the tower and the blades is refused for that: it
ended in 'nothing to inspect (photo lanes: 0 photos taken stop-and-shoot ... they need 0.075 m/s (motion
blur) ... A shutter of 0.37 ms or less (--exposure-s) keeps the lanes)', sending the user to the shutter."""

from __future__ import annotations

from pathlib import Path

import pytest

from skyinspect.errors import InputError

from missions.planning import load_asset

from .conftest import EXAMPLES


def test_a_turbine_with_nothing_selected_says_so(tmp_path: Path) -> None:
    text = (EXAMPLES / "wind_turbine.yaml").read_text()
    old = "inspect: {tower: true, blades: true, orbit_pattern: helix}"
    assert old in text
    asset = tmp_path / "turbine.yaml"
    asset.write_text(text.replace(old, "inspect: {tower: false, blades: false}"))
    with pytest.raises(InputError, match=r"turbine\.yaml: inspect: expected tower: true or blades: true \(or both\), "
                                         r"got 'both false'"):
        load_asset(asset)
