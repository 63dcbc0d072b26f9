"""findings_utm takes the UTM zone a surveyor there uses: Norway's south-west coast is zone 32V and
Svalbard 31X/33X/35X/37X by the grid's own exceptions; the plain 6-degree rule gave a Bergen bridge
EPSG:32631 where every Norwegian map is in 32632. lon 180 gave 'zone 61', EPSG:32661, UPS North."""

from __future__ import annotations

import pytest

from skyinspect.geodesy import utm_crs_for


@pytest.mark.parametrize(("lat", "lon", "epsg"), [
    (60.39, 5.32, 32632), (58.97, 5.73, 32632), (63.9, 3.5, 32632), (55.9, 5.0, 32631), (64.1, 5.0, 32631),
    (78.22, 15.65, 32633), (78.9, 8.0, 32631), (79.0, 10.0, 32633), (77.0, 25.0, 32635), (80.0, 35.0, 32637),
    (47.4, 8.5, 32632), (-33.9, 151.2, 32756), (10.0, 180.0, 32660), (-10.0, -180.0, 32701)])
def test_zone_exceptions(lat: float, lon: float, epsg: int) -> None:
    assert utm_crs_for(lat, lon).to_epsg() == epsg
