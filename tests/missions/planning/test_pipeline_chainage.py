"""A pipeline pass is named by the chainage it flies ("line 2 ch 202-252 m"): the distance along the route
from its first point, as the ground station's findings count it. The second offset line is flown back from
the far end; its passes were named by the distance from where that line started (the far end), so the
example's "line 2 ch 0-50 m" flew over the pipe's 202-252 m."""

from __future__ import annotations

import re

import numpy as np
from shapely.geometry import LineString, Point

from missions.planning import Requirement, get_camera, load_asset
from missions.planning.planner import lay_out, site_frame

from .conftest import EXAMPLES


def test_every_pass_is_named_by_the_chainage_it_flies():
    pipe = load_asset(EXAMPLES / "pipeline.geojson")
    frame = site_frame(pipe.site)
    route = LineString([(float(e), float(n)) for n, e, _ in
                        (frame.to_ned(lat, lon, frame.h0_m) for lat, lon in pipe.route_lat_lon)])
    layout = lay_out(pipe, get_camera("dji_h20_zoom"), Requirement(crack_width_mm=8.0, exposure_s=0.0005))
    seen = set()
    for ps in layout.passes:
        m = re.fullmatch(r"line (\d) ch (\d+)-(\d+) m", ps.name)
        assert m, ps.name
        named = sorted((float(m.group(2)), float(m.group(3))))
        a, b = (np.asarray(w, dtype=float) for w in (ps.waypoints_ned[0], ps.waypoints_ned[-1]))
        mid = route.project(Point(*((a + b) / 2)[[1, 0]]))
        # the pass runs parallel to its route segment (the 45-deg lines beside it, so its ends may project past
        # a bend): its middle lies in the named stretch, and its length is the stretch's
        assert named[0] - 1.0 < mid < named[1] + 1.0, (ps.name, mid)
        assert abs(float(np.linalg.norm(b - a)) - (named[1] - named[0])) < 1.0, ps.name
        seen.add((m.group(1), m.group(2), m.group(3)))
    assert {line for line, _, _ in seen} == {"1", "2"}
    assert np.isclose(route.length, max(float(b) for _, _, b in seen), atol=1.0)
