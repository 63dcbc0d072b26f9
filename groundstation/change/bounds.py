"""Growth when a measurement is an interval, not a value: said, not judged.

A crack too narrow for its interior to show has its width as an interval (``Measurement.low`` /
``high``, value None: groundstation/crackwidth.py). Compared as "no value", a crack measured "between
0.88 and 2.31 mm" one year and 5.53 mm the next (face-flight fixture, 0.8 mm then 4 mm wide) was
"stable" with nothing said of its width. The interval's ends are not exact though: the demo scene
flown twice (seeds 7 and 3, nothing changed) measured one crack "between 0.44 and 1.15 mm" and
"between 0.08 and 0.22 mm" (its ends scale with the darkness the profiles integrate, less where a
skeleton runs off the crack). So a value beyond last time's interval (or an interval beyond last time's
value), by more than ``k_sigma`` times the value's sigma, is said with the least change it tells, and
not judged; two intervals tell nothing (they were disjoint on an unchanged crack).
"""

from __future__ import annotations

from skyinspect.findings import Measurement

NOT_JUDGED = "not judged (an interval's ends move from flight to flight): measure it on site"


def bound_growth(q: str, before: Measurement | None, now: Measurement | None,
                 k_sigma: float) -> tuple[float, float, str] | None:
    """(the least change, now minus before; the value's 1-sigma; what to say) when one of the two is
    an interval and the other a value beyond it by more than ``k_sigma`` sigma; None otherwise."""
    if before is None or now is None or before.is_bound == now.is_bound:
        return None
    a, b = _span(before), _span(now)
    if a is None or b is None:
        return None
    sigma = float((now if before.is_bound else before).sigma or 0.0)
    least = b[0] - a[1] if b[0] > a[1] else (b[1] - a[0] if b[1] < a[0] else 0.0)
    if abs(least) <= max(k_sigma * sigma, 0.0) or least == 0.0:
        return None
    way = "wider" if least > 0 else "narrower"
    return least, sigma, (f"{q} last time {_said(before)}, this time {_said(now)}: at least {abs(least):.2f} "
                          f"{now.unit} {way}, {NOT_JUDGED}")


def _span(m: Measurement) -> tuple[float, float] | None:
    if m.value is not None:
        return float(m.value), float(m.value)
    return (float(m.low), float(m.high)) if m.is_bound else None  # type: ignore[arg-type]


def _said(m: Measurement) -> str:
    return f"between {m.low:.2f} and {m.high:.2f} {m.unit}" if m.value is None else f"{m.value:.2f} {m.unit}"
