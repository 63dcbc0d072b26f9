"""Frames flown after more than one take-off, placed on the default ground plane.

Without ``--surface`` the ground is a horizontal plane at the take-off altitude of the first tagged frame
(alt_msl - alt_rel: ``load.LoadedFlight.home_alt_msl_m``). A DJI card folder often holds the photos of
several batteries, and each photo's RelativeAltitude counts from its own take-off: the frames of a
take-off at another height were placed on ground that is not theirs (10 m higher gave frames 30.1 m
above it a 40.1 m range: every size measured in them 33 % large), and nothing said so. Within one flight
alt_msl - alt_rel is one value (a DJI aircraft's take-off, to the centimetre on the Brighton photos) or
drifts slowly (the real ArduPlane 2016 .tlog in shared/data: 592.48-594.37 m over 132 s), so frames are
split into take-offs only where their sorted heights leave a gap of more than ``TAKEOFF_GAP_M``.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

TAKEOFF_GAP_M = 2.0  # a gap this wide between the frames' take-off heights parts two take-offs


def takeoff_notes(flight: Any, default_ground: bool) -> tuple[str, ...]:
    """A note for the report and the command line when ``flight``'s tagged frames (a LoadedFlight) come
    from take-offs at different heights and the surface is the default ground plane; () otherwise."""
    if not default_ground:
        return ()
    homes = [(f.pose.alt_msl_m - f.pose.alt_rel_m, f.frame_index) for f in flight.frames]
    homes = [(h, i) for h, i in homes if math.isfinite(h)]
    groups: list[list[tuple[float, int]]] = []
    for h, i in sorted(homes):
        if groups and h - groups[-1][-1][0] <= TAKEOFF_GAP_M:
            groups[-1].append((h, i))
        else:
            groups.append([(h, i)])
    if len(groups) < 2:
        return ()
    groups.sort(key=lambda g: min(i for _, i in g))  # in the order they were flown
    spread = max(h for h, _ in homes) - min(h for h, _ in homes)
    said = "; ".join(f"frames {_ranges(sorted(i for _, i in g))} above {statistics.median(h for h, _ in g):.2f} m"
                     for g in groups[:6]) + ("; ..." if len(groups) > 6 else "")
    return (f"The frames were flown after {len(groups)} take-offs at different heights (alt_msl - alt_rel: {said}; "
            f"{spread:.1f} m apart), but the default ground plane lies at the first frame's take-off, "
            f"{flight.home_alt_msl_m:.2f} m: the frames of the other take-offs are placed on ground up to "
            f"{spread:.1f} m from their own, and their sizes are off by as much over their height above it. "
            "Process each take-off's photos as a flight of its own (replay them from a folder of their own), "
            "or pass --surface with a DEM GeoTIFF of the ground.",)


def _ranges(indices: list[int]) -> str:
    """1, 2, 3, 5 → '1-3, 5'."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


__all__ = ["TAKEOFF_GAP_M", "takeoff_notes"]
