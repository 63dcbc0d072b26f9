"""QGIS layer styles inside findings.gpkg: a ``layer_styles`` table that QGIS applies when a layer opens.

The table and its columns are the ones QGIS itself creates through OGR when a style is saved "in the
database" (QgsOgrProviderMetadata::saveStyle; the same schema as the PostGIS and SpatiaLite
providers), registered in ``gpkg_contents`` as an ``attributes`` table so OGR, and so QGIS, sees it.
QGIS loads, per layer, the row with ``f_table_schema = ''``, its ``f_table_name`` and
``f_geometry_column``, preferring ``useAsDefault``; the other rows are offered in the Style Manager.

Styles (QML, ``styleCategories="Symbology"`` so only the symbology is replaced):
- findings / findings_utm / face_findings: "by grade" (categorised on ``grade``, coloured by the
  state's priority: 1 red ... 5 green, indeterminate grey) and "by class" (crack red, corrosion orange, as map.html);
  the default is "by grade" when any finding has a determinate grade, else "by class";
- frames / face_frames: footprint outlines, no fill;
- flight_path: a line.
Symbol layers carry both the ``<Option type="Map">`` properties (QGIS >= 3.16) and the older ``<prop>``
pairs, as QGIS 3.16-3.22 wrote them, so any QGIS 3 reads them.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from groundstation.publish.context import CLASS_COLOURS_HEX, DEFAULT_COLOUR_HEX, PublishInput
from skyinspect.errors import RecordError, describe

TABLE = "layer_styles"
# As GDAL writes QGIS's field definitions (FID "id"; OFTString widths; useAsDefault OFSTBoolean;
# update_time OFTDateTime with default CURRENT_TIMESTAMP).
CREATE_SQL = (
    'CREATE TABLE "layer_styles" ("id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    "\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
QML_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
QGIS_VERSION = "3.22.0"
PRIORITY_COLOURS_HEX = {1: "#d7191c", 2: "#fdae61", 3: "#ffff33", 4: "#a6d96a", 5: "#1a9641"}
INDETERMINATE_COLOUR_HEX = "#969696"
FRAME_COLOUR_HEX = "#4d4d4d"
PATH_COLOUR_HEX = "#1f78b4"
FILL_ALPHA = 110  # of 255: the fill of a finding; its outline is opaque
UNIT_SCALE = "3x:0,0,0,0,0,0"


@dataclass(frozen=True)
class LayerStyle:
    table_name: str
    style_name: str  # at most 30 characters (the column's width)
    qml: str
    description: str
    use_as_default: bool


def _rgba(hex_rgb: str, alpha: int = 255) -> str:
    h = hex_rgb.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _symbol(parent: ET.Element, name: str, kind: str, layer_class: str, props: dict[str, str]) -> None:
    sym = ET.SubElement(parent, "symbol", {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1",
                                           "force_rhr": "0"})
    layer = ET.SubElement(sym, "layer", {"class": layer_class, "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    for k, v in sorted(props.items()):
        ET.SubElement(options, "Option", {"type": "QString", "name": k, "value": v})
    for k, v in sorted(props.items()):
        ET.SubElement(layer, "prop", {"k": k, "v": v})


def _fill(outline_hex: str, fill_hex: str | None, width_mm: float = 0.6) -> dict[str, str]:
    return {"color": _rgba(fill_hex, FILL_ALPHA) if fill_hex else "0,0,0,0", "style": "solid" if fill_hex else "no",
            "outline_color": _rgba(outline_hex), "outline_style": "solid", "outline_width": f"{width_mm:g}",
            "outline_width_unit": "MM", "joinstyle": "bevel", "offset": "0,0", "offset_unit": "MM",
            "offset_map_unit_scale": UNIT_SCALE, "border_width_map_unit_scale": UNIT_SCALE}


def _line(colour_hex: str, width_mm: float) -> dict[str, str]:
    return {"line_color": _rgba(colour_hex), "line_style": "solid", "line_width": f"{width_mm:g}",
            "line_width_unit": "MM", "capstyle": "round", "joinstyle": "round", "offset": "0", "offset_unit": "MM",
            "offset_map_unit_scale": UNIT_SCALE, "width_map_unit_scale": UNIT_SCALE}


def _document() -> tuple[ET.Element, ET.Element]:
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology"})
    renderer = ET.SubElement(root, "renderer-v2", {"forceraster": "0", "symbollevels": "0", "enableorderby": "0"})
    return root, renderer


def _finish(root: ET.Element, geometry_type: int) -> str:
    ET.SubElement(root, "layerGeometryType").text = str(geometry_type)  # 1 line, 2 polygon
    return QML_DOCTYPE + ET.tostring(root, encoding="unicode")


def categorized_qml(attribute: str, categories: list[tuple[str, str, str]], other_hex: str) -> str:
    """A polygon layer categorised on ``attribute``: (value, label, colour) per category, and one
    catch-all category (value "") for anything else."""
    root, renderer = _document()
    renderer.set("type", "categorizedSymbol")
    renderer.set("attr", attribute)
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, label, colour) in enumerate(categories + [("", "other", other_hex)]):
        ET.SubElement(cats, "category", {"value": value, "type": "string", "symbol": str(i), "label": label,
                                         "render": "true"})
        _symbol(symbols, str(i), "fill", "SimpleFill", _fill(colour, colour))
    _symbol(ET.SubElement(renderer, "source-symbol"), "0", "fill", "SimpleFill", _fill(other_hex, other_hex))
    return _finish(root, 2)


def single_qml(kind: str, props: dict[str, str]) -> str:
    """One symbol for every feature: ``kind`` "fill" (SimpleFill) or "line" (SimpleLine)."""
    root, renderer = _document()
    renderer.set("type", "singleSymbol")
    _symbol(ET.SubElement(renderer, "symbols"), "0", kind, "SimpleFill" if kind == "fill" else "SimpleLine", props)
    return _finish(root, 2 if kind == "fill" else 1)


def class_qml(classes: list[str], attribute: str = "class") -> str:
    names = list(dict.fromkeys(list(CLASS_COLOURS_HEX) + sorted(classes)))
    return categorized_qml(attribute, [(c, c, CLASS_COLOURS_HEX.get(c, DEFAULT_COLOUR_HEX)) for c in names],
                           DEFAULT_COLOUR_HEX)


def grade_categories(grades: list[Any]) -> list[tuple[str, str, str]]:
    """(state, legend label, colour) for the primary grades present, most urgent first; a state that
    two rules give different priorities takes the more urgent one."""
    by_state: dict[str, tuple[int | None, set[str]]] = {}
    for g in grades:
        prio, rules = by_state.get(g.state, (g.priority, set()))
        if g.priority is not None and (prio is None or g.priority < prio):
            prio = g.priority
        by_state[g.state] = (prio, rules | ({g.rule} if g.rule else set()))
    out = []
    for state, (prio, rules) in sorted(by_state.items(), key=lambda kv: (kv[1][0] is None, kv[1][0] or 0, kv[0])):
        where = f" ({', '.join(sorted(rules))})" if rules else ""
        if prio is None:
            out.append((state, f"{state}{where}", INDETERMINATE_COLOUR_HEX))
        else:
            colour = PRIORITY_COLOURS_HEX.get(prio, PRIORITY_COLOURS_HEX[max(PRIORITY_COLOURS_HEX)])
            out.append((state, f"{state}: priority {prio}{where}", colour))
    return out


def styles_for(inp: PublishInput) -> list[LayerStyle]:
    """The styles of the layers write_gpkg writes."""
    primaries = [g for g in (inp.primary_grade(f.finding_id) for f in inp.findings) if g is not None]
    graded = any(not g.is_indeterminate for g in primaries)
    from groundstation.publish.reviewed import shown_class

    # a relabelled finding in the reviewer's class, as map.html and the KML draw it: review_class is the
    # class as found unless relabelled (a column whenever the review was applied, groundstation.publish.gis)
    by_class = class_qml([shown_class(inp, f.finding_id, f.class_name) for f in inp.findings],
                         "review_class" if inp.review is not None else "class")
    styles = []
    from groundstation.publish.face_gis import face_layer_names

    faces = face_layer_names(inp)
    for table in ("findings", "findings_utm", *(fl for fl, _ in faces)):
        styles.append(LayerStyle(table, "by class", by_class, "skyinspect: findings coloured by class "
                                 "(crack red, corrosion orange)", not graded))
        if primaries:
            styles.append(LayerStyle(table, "by grade", categorized_qml("grade", grade_categories(primaries),
                                                                        DEFAULT_COLOUR_HEX),
                                     "skyinspect: findings coloured by the priority of their primary grade "
                                     "(1 red ... 5 green, indeterminate grey)", graded))
    from groundstation.publish.face_gis import crack_layer

    for table in ("crack_lines", *(crack_layer(fl) for fl, _ in faces)):
        styles.append(LayerStyle(table, "centre lines", single_qml("line", _line("#1a1a1a", 0.35)),
                                 "skyinspect: the centre lines each crack's length was measured along", True))
    for table in ("frames", *(fr for _, fr in faces)):
        styles.append(LayerStyle(table, "footprints", single_qml("fill", _fill(FRAME_COLOUR_HEX, None, 0.26)),
                                 "skyinspect: frame footprints on the surface, outline only", True))
    styles.append(LayerStyle("flight_path", "flight path", single_qml("line", _line(PATH_COLOUR_HEX, 0.6)),
                             "skyinspect: camera positions in capture order", True))
    if inp.rejected:  # written only then (groundstation.publish.gis); unstyled, QGIS drew it in a random colour
        styles.append(LayerStyle("rejected", "rejected in review", single_qml("fill", _fill(INDETERMINATE_COLOUR_HEX,
                                                                                              None, 0.4)),
                                 "skyinspect: findings rejected in review, kept for audit: grey outline", True))
    return styles


def write_layer_styles(gpkg: Path, styles: list[LayerStyle]) -> int:
    """Add (or replace) the ``layer_styles`` table of ``gpkg``; each style goes with its layer's
    geometry column as gpkg_geometry_columns names it. Returns the number of rows written."""
    gpkg = Path(gpkg)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    try:
        con = sqlite3.connect(gpkg)
        try:
            with con:
                geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
                missing = sorted({s.table_name for s in styles} - set(geom_cols))
                if missing:
                    raise RecordError(describe(gpkg, f"no layer {', '.join(missing)} to style",
                                               "Write the layers before their styles"))
                con.execute(f'DROP TABLE IF EXISTS "{TABLE}"')
                con.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (TABLE,))
                con.execute(CREATE_SQL)
                con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change)"
                            " VALUES (?, 'attributes', ?, ?, ?)",
                            (TABLE, TABLE, "QGIS layer styles (QML)", now))
                con.executemany(
                    f'INSERT INTO "{TABLE}" (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, '
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner) "
                    "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '')",
                    [(s.table_name, geom_cols[s.table_name], s.style_name[:30], s.qml, int(s.use_as_default),
                      s.description) for s in styles])
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise RecordError(describe(gpkg, f"cannot write the QGIS layer styles ({exc})",
                                   "Check that the output folder is writable and has space")) from exc
    return len(styles)
