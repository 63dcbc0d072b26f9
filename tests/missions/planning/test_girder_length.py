"""A girder whose start and end are one place (an end copied over the other) is refused by name: with
`inspect: girders: true` it was a bare 'ValueError: cannot convert float NaN to integer' traceback from the
planner (after 'RuntimeWarning: invalid value encountered in divide'), and without it a girder of no length
went into the structure silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from skyinspect.errors import InputError

from missions.planning import load_asset

from .conftest import EXAMPLES


@pytest.mark.parametrize("inspect_girders", ["false", "true"])
def test_a_girder_of_no_length_is_refused(tmp_path: Path, inspect_girders: str) -> None:
    text = (EXAMPLES / "bridge.yaml").read_text()
    text = text.replace("end_lat_lon: [47.3978499, 8.5466537]", "end_lat_lon: [47.3978499, 8.5458589]")
    text = text.replace("girders: false", f"girders: {inspect_girders}")
    asset = tmp_path / "bridge.yaml"
    asset.write_text(text)
    with pytest.raises(InputError, match=r"bridge\.yaml: girders\[0\]: expected start_lat_lon and end_lat_lon at "
                                         r"least 0\.1 m apart"):
        load_asset(asset)
