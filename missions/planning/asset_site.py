"""The asset's coordinates against its home: everything within the site radius of take-off.

A pair typed the wrong way round (longitude first in a ``_lat_lon`` key, latitude first in GeoJSON
geometry) lands thousands of kilometres away; this names which pair it is, or the home when every
coordinate fits the home swapped.
"""

from __future__ import annotations

import math

from skyinspect.errors import InputError, describe
from skyinspect.geodesy import SITE_RADIUS_M

from missions.planning.assets import Asset, Bridge, LatLon, WindTurbine
from missions.planning.geometry import lon_near

def near_home(asset: Asset, source: object) -> Asset:
    """Every coordinate within SITE_RADIUS_M of home (catches swapped latitude/longitude). Keep-outs,
    the geofence and girders too: a keep-out typed lon-first lay 5,000 km away, silently left out of the plan."""
    site = asset.site
    pts: list[tuple[str, LatLon]] = [("site.geofence_lat_lon", p) for p in site.geofence_lat_lon]
    pts += [(f"site.keep_out[{i}].outline_lat_lon", p) for i, k in enumerate(site.keep_out) for p in k.outline_lat_lon]
    if isinstance(asset, Bridge):
        pts += [("deck.outline_lat_lon", p) for p in asset.deck_outline_lat_lon]
        pts += [(f"piers[{i}].centre_lat_lon", p.centre_lat_lon) for i, p in enumerate(asset.piers)]
        pts += [(f"girders[{i}].{end}_lat_lon", getattr(g, f"{end}_lat_lon"))
                for i, g in enumerate(asset.girders) for end in ("start", "end")]
    elif isinstance(asset, WindTurbine):
        pts.append(("tower_base_lat_lon", asset.tower_base_lat_lon))
    else:
        pts += [("route", p) for p in asset.route_lat_lon]
    home, r_km = asset.site.home_lat_lon, SITE_RADIUS_M / 1000

    def km(a: LatLon, b: LatLon) -> float:
        dlon = lon_near(b[1], a[1]) - b[1]  # across the 180th meridian: metres apart, not 360 degrees
        return math.hypot(math.radians(a[0] - b[0]), math.radians(dlon) * math.cos(math.radians(b[0]))) * 6371

    far = [(key, p, d) for key, p in pts if (d := km(p, home)) > r_km]
    home_swapped = bool(far) and len(far) == len(pts) and all(km(p, home[::-1]) <= r_km for _, p, _ in far)
    if home_swapped and len({key for key, _, _ in far}) > 1:
        # every coordinate of several keys is off and fits the home swapped: the home is the swapped pair
        # (it was blamed on the first, right, coordinate)
        key, p, d = far[0]
        raise InputError(describe(source, f"site.home_lat_lon: expected within {r_km:g} km of {key}, got {home} "
                                  f"({d:.0f} km away; every coordinate lies within {r_km:g} km of it with its two "
                                  f"numbers swapped)",
                                  "Latitude comes first: write home_lat_lon: [latitude, longitude]"))
    for key, p, d in far[:1]:
        who = f"either {key} or site.home_lat_lon" if home_swapped else key
        swapped = (f"; {km(p[::-1], home):.1f} km with its two numbers swapped: {who} has them the wrong way round"
                   if home_swapped or km(p[::-1], home) <= r_km else "")
        raise InputError(describe(source, f"{key}: expected within {r_km:g} km of site.home_lat_lon, got {p} "
                                  f"({d:.0f} km away{swapped})",
                                  "In keys ending _lat_lon latitude comes first; in GeoJSON geometry, longitude"))
    return asset
