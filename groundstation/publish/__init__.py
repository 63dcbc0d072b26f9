"""Stage 5, publish: GIS layers, web map and report from the fused, measured findings.

Every product is written into ``staging`` (a temporary folder inside the output folder) by
``publish``; the pipeline moves them into place only when all succeeded. The heavy libraries
(geopandas, folium, fpdf2) are imported inside the modules that need them.
"""

from __future__ import annotations

from pathlib import Path

from groundstation.publish.context import PublishInput

PRODUCTS = ("findings.gpkg", "findings.geojson", "map.html", "schematic.png", "report.html", "report.pdf")


def publish(inp: PublishInput, staging: Path) -> dict[str, Path]:
    """Write every product into ``staging``; returns {product name: path}."""
    from groundstation.publish.gis import write_geojson, write_gpkg
    from groundstation.publish.images import draw_schematic
    from groundstation.publish.report import write_html, write_pdf
    from groundstation.publish.webmap import crops_for, write_map

    staging.mkdir(parents=True, exist_ok=True)
    paths = {name: staging / name for name in PRODUCTS}
    crops = crops_for(inp)
    write_gpkg(inp, paths["findings.gpkg"])
    write_geojson(inp, paths["findings.geojson"])
    write_map(inp, paths["map.html"], crops)
    draw_schematic(inp, paths["schematic.png"])
    write_html(inp, paths["report.html"], paths["schematic.png"], crops)
    write_pdf(inp, paths["report.pdf"], paths["schematic.png"], crops)
    return paths


__all__ = ["PRODUCTS", "PublishInput", "publish"]
