"""Typed access to an asset description's mappings, with errors that name the file and key path.

Every key a section holds must be one the reader asked for: a misspelt optional key
(``min_standof_m: 6.0``) was ignored and its default used, so a plan for a 6 m standoff was flown
at 3 m with "checks passed: min_standoff". ``check_unknown`` runs once the whole file is read.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shapely.geometry import Polygon
from shapely.validation import explain_validity

from skyinspect.errors import InputError, describe


def misspelt_key_fix(key: object, known: Iterable[str]) -> str:
    """The fix for an unknown key in an operator's asset or camera file: the key it was probably meant
    to be (a misspelt key was ignored and its default used)."""
    near = difflib.get_close_matches(str(key), list(known), n=1)
    return (f"Did you mean '{near[0]}'? A" if near else "Remove it or fix its spelling: a") + \
        " misspelt key would be ignored and its default used"


def read_utf8(path: Path, what: str, fix: str) -> str:
    """An operator's text file, refused naming the first byte that is not UTF-8 (a Latin-1 'ü' in a
    name was a traceback)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(describe(path, f"expected UTF-8 {what}, got byte {exc.object[exc.start]:#04x} at "
                                  f"{exc.start}", fix)) from exc

LatLon = tuple[float, float]
FREE_TEXT_KEYS = ("description", "notes")  # allowed anywhere, never read


class Reader:
    """Typed access to a mapping with errors that name the file and key path."""

    def __init__(self, source: object, data: Any, path: str = "", parent: Reader | None = None) -> None:
        self.source, self.data, self.path = source, data, path
        self.used: set[str] = set()  # the keys asked for
        self.children: list[Reader] = []
        if parent is not None:
            parent.children.append(self)
        if not isinstance(data, dict):
            self.fail(path or "top level", "a mapping", type(data).__name__, "Write key: value pairs")

    def fail(self, key: str, expected: str, got: object, fix: str) -> None:
        raise InputError(describe(self.source, f"{key}: expected {expected}, got {got!r}", fix))

    def key(self, k: str) -> str:
        return f"{self.path}.{k}" if self.path else k

    def has(self, k: str) -> bool:
        self.used.add(k)
        return k in self.data

    def sub(self, k: str, required: bool = True) -> Reader:
        self.used.add(k)
        if k not in self.data:
            if required:
                self.fail(self.key(k), "a section", "nothing", f"Add '{k}:' (see missions/examples/)")
            return Reader(self.source, {}, self.key(k), self)
        return Reader(self.source, self.data[k], self.key(k), self)

    def each(self, k: str) -> list[Reader]:
        """A reader for every entry of the list under ``k``."""
        return [Reader(self.source, x, f"{self.key(k)}[{i}]", self) for i, x in enumerate(self.items(k))]

    def check_unknown(self, skip_paths: tuple[str, ...] = ()) -> None:
        """Refuse a key no reader of its section asked for (sections read twice count as one)."""
        sections: dict[str, tuple[Any, set[str]]] = {}
        todo = [self]
        while todo:
            r = todo.pop()
            todo += r.children
            data, used = sections.setdefault(r.path, (r.data, set()))
            used |= r.used
        for path, (data, used) in sorted(sections.items()):
            unknown = sorted(k for k in data if k not in used and k not in FREE_TEXT_KEYS) if path not in skip_paths \
                else []
            if unknown:
                k = str(unknown[0])
                raise InputError(describe(self.source, f"{f'{path}.{k}' if path else k}: expected one of the keys "
                                          f"{sorted(used)}, got an unknown key", misspelt_key_fix(k, used)))

    def num(self, k: str, default: float | None = None, positive: bool = False, lo: float | None = None,
            hi: float | None = None) -> float:
        self.used.add(k)
        if k not in self.data:
            if default is None:
                self.fail(self.key(k), "a number", "nothing", f"Add '{k}: <number>'")
            return float(default)  # type: ignore[arg-type]
        v = self.data[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            self.fail(self.key(k), "a finite number", v, f"Write '{k}: 12.5'")
        if positive and v <= 0:
            self.fail(self.key(k), "a positive number", v, "Use a value > 0")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            self.fail(self.key(k), f"a number in [{lo}, {hi}]", v, "Check the units (metres, degrees)")
        return float(v)

    def items(self, k: str) -> list[Any]:
        """A list (missing or empty: none). A single entry without its '- ' was read key by key or letter by letter."""
        self.used.add(k)
        v = self.data.get(k) or []
        if not isinstance(v, list):
            self.fail(self.key(k), "a list", v, f"Write each entry on its own line starting with '- ' under '{k}:'")
        return v

    def text(self, k: str, default: str | None = None) -> str:
        self.used.add(k)
        v = self.data.get(k, default)
        if not isinstance(v, str) or not v:
            self.fail(self.key(k), "a non-empty string", v, f"Add '{k}: <name>'")
        return str(v)

    def flag(self, k: str, default: bool) -> bool:
        self.used.add(k)
        v = self.data.get(k, default)
        if not isinstance(v, bool):
            self.fail(self.key(k), "true or false", v, f"Write '{k}: true'")
        return bool(v)

    def latlon(self, k: str, value: Any = None) -> LatLon:
        if value is None:
            self.used.add(k)
        v = self.data.get(k) if value is None else value
        ok = (isinstance(v, (list, tuple)) and len(v) == 2
              and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v))
        if not ok or not (-90 <= v[0] <= 90 and -180 <= v[1] <= 180) or v[0] == v[1] == 0:  # 0, 0: left unfilled
            self.fail(self.key(k), "a latitude, longitude pair (degrees, |lat| <= 90, |lon| <= 180, not 0, 0)", v,
                      "Write e.g. [47.39774, 8.54559] (latitude first)")
        return float(v[0]), float(v[1])

    def latlons(self, k: str, min_points: int, closed_polygon: bool = False) -> tuple[LatLon, ...]:
        self.used.add(k)
        v = self.data.get(k)
        if not isinstance(v, (list, tuple)) or len(v) < min_points:
            self.fail(self.key(k), f"a list of at least {min_points} latitude, longitude pairs", v,
                      "List the vertices in order")
        pts = tuple(self.latlon(k, p) for p in v)
        if closed_polygon:
            if len(pts) > 3 and pts[0] == pts[-1]:
                pts = pts[:-1]
            poly = Polygon([(lon, lat) for lat, lon in pts])
            if not poly.is_valid:
                self.fail(self.key(k), "a simple (non-self-intersecting) polygon",
                          explain_validity(poly), "Order the vertices around the outline without crossing")
        return pts


