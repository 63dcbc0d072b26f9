"""A work order's description in the words a maintenance planner reads: each quantity named in words with its
unit once ('length 414.2 +/- 35.4 mm; width 0.33-2.23 mm; area 5.3 +/- 3.4 cm²'), not the field names a
program reads ('length_mm 414.2 +/- 35.4 mm'). Only the description: the CSV/JSON numbers and the clause
column keep the names."""

from __future__ import annotations

import re
from typing import Any

# quantity (a measurement's or a rule's) -> its words; its unit is printed after its number
QUANTITY_WORDS = {"length_mm": "length", "width_mm": "width", "max_width_mm": "widest", "area_m2": "area",
                  "rusted_area_pct": "rusted area", "crack_spacing_m": "crack spacing"}
# the order a planner reads a crack in: how long, how wide, then how big
_ORDER = ("length_mm", "width_mm", "max_width_mm", "area_m2")
_UNIT_SUFFIX = re.compile(r"_(?:mm|cm|m|m2|cm2|pct|deg|s)$")
# a field name in a grade's note ('width_mm spans CS2 to CS3'): lower-case words ending in a unit
_FIELD_NAME = re.compile(r"\b[a-z]+(?:_[a-z]+)*_(?:mm|cm|m|m2|cm2|pct|deg)\b")
# 'cm2' / 'm2' after a number: the superscript a reader expects
_SQUARE = re.compile(r"(\d) ?(c?m)2\b")


def quantity_words(quantity: str) -> str:
    """'length_mm' -> 'length'; an unlisted name loses its unit suffix and underscores."""
    return QUANTITY_WORDS.get(quantity) or _UNIT_SUFFIX.sub("", quantity).replace("_", " ")


def in_words(text: str) -> str:
    """``text`` (a grade's note) with its field names in words and square units as cm² / m²."""
    return _SQUARE.sub(r"\1 \2²", _FIELD_NAME.sub(lambda m: quantity_words(m.group(0)), text))


def measurements_text(measurements: dict[str, Any]) -> str:
    """The measured quantities as a planner reads them: '; '-joined, each as the report prints it
    (groundstation.publish.context.format_measurement / format_bound), named in words, '(bound)' dropped
    (the grade's note, before them, says why a width is a range)."""
    from groundstation.publish.context import MEASUREMENT_DIGITS, format_bound, format_measurement

    keys = [k for k in _ORDER if k in measurements] + [k for k in measurements if k not in _ORDER]
    widest = measurements.get("max_width_mm")
    # beside the widest stretch, a measured width is the mean (what the rules grade), as the report says
    mean = widest is not None and (widest.value is not None or widest.is_bound)
    parts = []
    for k in keys:
        m = measurements[k]
        digits = MEASUREMENT_DIGITS.get(k, 2)
        name = "mean width" if k == "width_mm" and mean and m.value is not None else quantity_words(k)
        if m.value is not None:
            parts.append(f"{name} {format_measurement(m, digits)}")
        elif m.is_bound:
            parts.append(f"{name} {format_bound(m, digits).removesuffix(' (bound)')}")
    return in_words("; ".join(parts))
