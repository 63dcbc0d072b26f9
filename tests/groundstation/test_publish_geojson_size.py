"""findings.geojson is written one feature a line, its numbers as they were: with every number on a line
of its own (indent=1) it was 38 % larger (bench/process_scale.py --frames 150 --lanes 3, 132 findings:
526,375 bytes, now 382,750).
Rounding the coordinates was tried and left: even 1e-9 degree (0.1 mm) made both findings here, on a
vertical face, invalid polygons (their footprint is a sliver thinner than that)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Polygon, shape

from groundstation.stages import finding_from_dict


def test_one_feature_a_line(face_processed: tuple[Any, Path]) -> None:
    _, out = face_processed
    text = (out / "findings.geojson").read_text()
    data = json.loads(text)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2
    lines = text.splitlines()
    # {, type, vertical_reference, "features": [, one line each, ], review, rejected, }
    assert len(lines) == 6 + len(data["features"]) + ("review" in data) + ("rejected" in data)
    for f in data["features"]:
        assert sum(f'"id": "{f["id"]}"' in line for line in lines) == 1


def test_the_coordinates_are_the_findings_to_the_bit_and_valid(face_processed: tuple[Any, Path]) -> None:
    _, out = face_processed
    data = json.loads((out / "findings.geojson").read_text())
    dz = data["vertical_reference"]["geoid_separation_m"] or 0.0
    stored = {x["finding_id"]: finding_from_dict(x)
              for x in json.loads((out / "stages" / "findings.json").read_text())["data"]}
    for feat in data["features"]:
        ring = np.asarray(feat["geometry"]["coordinates"][0])
        full = stored[feat["id"]].outline_wgs84  # lat, lon, alt: the fused outline
        for lon, lat, z in ring:
            i = int(np.argmin(np.abs(full[:, 1] - lon) + np.abs(full[:, 0] - lat)))
            assert (full[i, 1], full[i, 0], full[i, 2] + dz) == (lon, lat, z)
        geom = shape(feat["geometry"])
        assert geom.is_valid and Polygon(ring[:, :2]).exterior.is_ccw  # RFC 7946: outer rings anticlockwise
