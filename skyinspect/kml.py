"""KML details shared by the ground station's findings KML and the mission planner's flight KML."""

from __future__ import annotations

import re


def kml_colour(hex_rgb: str, alpha: int = 0xFF) -> str:
    """'#rrggbb' -> KML's aabbggrr."""
    h = hex_rgb.lstrip("#")
    return f"{alpha:02x}{h[4:6]}{h[2:4]}{h[0:2]}"


# What XML 1.0 cannot hold, even as a character reference: C0 controls but tab, LF, CR; half a UTF-16
# surrogate pair; U+FFFE and U+FFFF. ElementTree writes them as they are and the file is not well-formed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with each character XML cannot hold replaced by U+FFFD (a review trail written before the
    app refused them may hold one in a comment: the KML had stopped opening in any XML reader)."""
    return _NOT_XML.sub("\ufffd", text)
