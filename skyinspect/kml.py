"""KML details shared by the ground station's findings KML and the mission planner's flight KML."""

from __future__ import annotations


def kml_colour(hex_rgb: str, alpha: int = 0xFF) -> str:
    """'#rrggbb' -> KML's aabbggrr."""
    h = hex_rgb.lstrip("#")
    return f"{alpha:02x}{h[4:6]}{h[2:4]}{h[0:2]}"
