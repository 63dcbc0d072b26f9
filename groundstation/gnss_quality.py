"""The report's line on how well the cameras' positions, and so the findings' positions, are known.

Each finding's CE90 is in the findings table, but nothing said why it was metres, or that a
coordinate printed to 1e-7 deg is only good to it: a plain GNSS fix (h_acc 3 m, no RTK) gave CE90s
of 4.9 m on a facade, and a log without h_acc silently took georef.DEFAULT_H_ACC_M. Image tie points
between passes do not remove it: the flight keeps its reference pass's absolute error in the plane.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from statistics import median
from typing import Any

from groundstation.georef import DEFAULT_H_ACC_M, DEFAULT_V_ACC_M

# MAVLink GPS_FIX_TYPE (GPS_RAW_INT.fix_type); 0 is "no GPS" there, and what a log without it reads as
FIX_NAMES = {3: "a 3D fix", 4: "a DGPS fix", 5: "RTK float", 6: "RTK fixed", 7: "a static fix", 8: "a PPP fix"}
RTK_FIX_TYPES = frozenset({5, 6})
# above this 1-sigma horizontal accuracy a receiver is not RTK-fixed (RTK float is ~0.1-0.5 m, a plain fix metres)
PLAIN_H_ACC_M = 0.5


def gnss_notes(frames: Iterable[Any], ce90s_m: Iterable[float]) -> tuple[str, ...]:
    """One Data quality line from the georeferenced frames' poses (FrameRecords) and the findings' CE90s."""
    poses = [r.pose for r in frames]
    if not poses:
        return ()
    accs = [p.h_acc_m for p in poses if math.isfinite(p.h_acc_m) and p.h_acc_m > 0]
    missing = len(poses) - len(accs)
    fixes = Counter(int(p.fix_type) for p in poses)
    fix = fixes.most_common(1)[0][0]
    parts = []
    med = median(accs) if accs else math.nan
    if accs:
        fix_text = f", {FIX_NAMES[fix]}" if fix in FIX_NAMES else ""
        parts.append(f"Camera positions: the GNSS receiver's horizontal accuracy {med:.2f} m (1 sigma, median of "
                     f"{len(accs)} frames; {min(accs):.2f}-{max(accs):.2f} m){fix_text}.")
    if missing:
        parts.append(f"{missing} of {len(poses)} frames' log gives no GNSS accuracy: their position uncertainty "
                     f"assumes a standalone receiver's {DEFAULT_H_ACC_M:g} m horizontal, {DEFAULT_V_ACC_M:g} m "
                     "vertical (1 sigma).")
    typical = med if len(accs) >= missing else DEFAULT_H_ACC_M
    plain = fix not in RTK_FIX_TYPES and typical > PLAIN_H_ACC_M
    ce = [c for c in ce90s_m if math.isfinite(c)]
    if ce:
        spread = f"median; {min(ce):.2f}-{max(ce):.2f} m" if len(ce) > 1 else "one finding"
        parts.append(f"{'A plain GNSS fix, not RTK: the' if plain else 'The'} findings' positions are good to CE90 "
                     f"{median(ce):.2f} m ({spread})" + (", not to the digits their coordinates print (tie points "
                                                          "align passes to one another, not to the ground). For "
                                                          "centimetre positions fly with RTK." if plain else "."))
    elif plain:
        parts.append("A plain GNSS fix, not RTK: positions are good to metres.")
    return (" ".join(parts),)
