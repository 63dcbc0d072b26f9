"""Work order ids are unique across the flights of one day. An inspection longer than one battery is cut
into flights (`skyinspect plan`: flight_01/, flight_02/, ...), each processed on its own, each numbering
its findings from F-0001: the orders were all 'WO-<asset>-<date>-F-0001', ..., so a CMMS importing the
second flight's orders replaced the first's, a different defect on another pier, by id."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from gs_fixtures import FLY_HEIGHT_M, crack_on_face, face_flight, face_surface
from test_workorders import FINDINGS, GRADES  # type: ignore[import-not-found]

from groundstation.pipeline import process
from groundstation.workorders import build_work_orders


def test_two_flights_of_one_day_give_distinct_ids() -> None:
    morning, afternoon = (datetime(2025, 6, 1, h, 30, 5, tzinfo=timezone.utc).timestamp() for h in (9, 14))
    a = build_work_orders(FINDINGS, GRADES, "2025-06-01", "BR-7", flight_start_utc_s=morning)
    b = build_work_orders(FINDINGS, GRADES, "2025-06-01", "BR-7", flight_start_utc_s=afternoon)
    assert [o.finding_id for o in a] == [o.finding_id for o in b]
    assert not {o.work_order_id for o in a} & {o.work_order_id for o in b}
    assert a[0].work_order_id == "WO-BR-7-2025-06-01T093005Z-F-0001"
    # the same flight processed again keeps its ids (a CMMS updates the orders it has)
    again = build_work_orders(FINDINGS, GRADES, "2025-06-01", "BR-7", flight_start_utc_s=morning)
    assert [o.work_order_id for o in again] == [o.work_order_id for o in a]


def test_published_orders_carry_the_flights_start(tmp_path: Path) -> None:
    flight = face_flight(tmp_path / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1, width_m=0.004)])
    process(flight, tmp_path / "out", face_surface(), progress=False)
    start = json.loads((tmp_path / "out" / "inspection.json").read_text())["start_time_utc_s"]
    stamp = datetime.fromtimestamp(start, tz=timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    orders = json.loads((tmp_path / "out" / "workorders.json").read_text())["work_orders"]
    assert orders and all(o["work_order_id"] == f"WO-asset-{stamp}-{o['finding_id']}" for o in orders), orders[0]
