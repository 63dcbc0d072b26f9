"""Growth when one measurement (or both) is an interval, not a value.

A crack too narrow for its interior to show has its width as an interval (``Measurement.low`` /
``high``, value None: groundstation/crackwidth.py). Compared as "no value", a crack measured "between
0.88 and 2.31 mm" one year and 5.53 mm the next was "stable" (face-flight fixture, 0.8 mm then 4 mm
wide). What the two measurements do tell is a range of change: from ``low_now - high_then`` to
``high_now - low_then``; when even the least of it is more than ``k_sigma`` times the values' combined
sigma (an interval carries none) the crack has grown by at least that (and the other way round for
smaller). Otherwise nothing can be told, as before.
"""

from __future__ import annotations

import math

from skyinspect.findings import Measurement


def _span(m: Measurement | None) -> tuple[float, float, float] | None:
    """(low, high, 1-sigma) of a value or an interval; None for neither."""
    if m is None:
        return None
    if m.value is not None:
        return float(m.value), float(m.value), float(m.sigma or 0.0)
    if m.is_bound:
        return float(m.low), float(m.high), 0.0  # type: ignore[arg-type]
    return None


def _said(m: Measurement) -> str:
    return f"between {m.low:.2f} and {m.high:.2f} {m.unit}" if m.value is None else f"{m.value:.2f} {m.unit}"


def bound_growth(q: str, before: Measurement | None, now: Measurement | None,
                 k_sigma: float) -> tuple[float | None, float, str] | None:
    """(the least change the two tell, or None when they tell none; its 1-sigma; what to say) for a
    quantity measured as an interval at least once; None when neither is an interval, or one is
    missing."""
    a, b = _span(before), _span(now)
    if a is None or b is None or not ((before and before.is_bound) or (now and now.is_bound)):
        return None
    sigma = math.hypot(a[2], b[2])
    least, most = b[0] - a[1], b[1] - a[0]
    said = f"{q} last time {_said(before)}, this time {_said(now)}"  # type: ignore[arg-type]
    if least > 0 and least > k_sigma * sigma:
        return least, sigma, f"{said}: grown by at least {least:.2f} {now.unit}"  # type: ignore[union-attr]
    if most < 0 and -most > k_sigma * sigma:
        return most, sigma, f"{said}: smaller by at least {-most:.2f} {now.unit}"  # type: ignore[union-attr]
    return None, sigma, ""
