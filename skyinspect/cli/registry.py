"""`skyinspect registry ASSET_FILES... --out REGISTRY.gpkg`: the asset registry `process --registry` reads."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from skyinspect.errors import InputError, describe, refuse_file_in_the_way

console = Console()
_ASSET_SUFFIXES = (".yaml", ".yml", ".json", ".geojson")  # what missions.planning.assets.load_asset reads


def registry_command(
    assets: list[Path] = typer.Argument(..., help="Asset files as the planner reads them (bridge/turbine YAML, "
                                        "pipeline GeoJSON; see missions/examples/)."),
    out: Path = typer.Option(..., "--out", help="Registry GeoPackage to write (replaced atomically)."),
) -> None:
    """Build the asset registry (assets and their components) from asset description files."""
    from groundstation.registry import build_registry

    for path in assets:
        if path.is_dir():  # was 'asset file not found' of a folder that is there
            inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in _ASSET_SUFFIXES)
            raise InputError(describe(path, "expected an asset file, got a folder",
                                      f"Pass the asset files themselves; it holds {' '.join(map(str, inside))}"
                                      if inside else "Pass YAML/GeoJSON asset files as in missions/examples/"))
        if not path.is_file():
            raise InputError(describe(path, "asset file not found", "pass a YAML/GeoJSON as in missions/examples/"))
    if out.suffix.lower() != ".gpkg":
        raise InputError(describe(out, f"expected a .gpkg path, got {out.suffix or 'no suffix'!r}"))
    refuse_file_in_the_way(out.parent, "a folder for the registry GeoPackage", "Give --out a path in a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    try:  # GDAL's own failure there was a DataSourceError traceback naming only the temporary file
        tmp.touch()
    except OSError as exc:
        raise InputError(describe(out, f"cannot be written: no file can be created in {out.parent} "
                                       f"({exc.strerror or exc})", "Give --out a path in a folder you can write")) from exc
    tmp.unlink()
    try:
        reg = build_registry(list(assets), tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    for asset in reg.assets.values():
        console.print(escape(f"{asset.asset_id} ({asset.kind}): {len(reg.components_of(asset.asset_id))} components"))
    console.print(f"wrote [bold]{escape(str(out))}[/]")
