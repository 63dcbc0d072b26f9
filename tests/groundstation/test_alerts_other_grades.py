"""An alert on a state (alerts.yaml ``states``) fires for a grade beside the primary too.

rc_bridge grades rust by AASHTO 1000 first (CS2+ for any visible rust) and ISO 4628-3 beside it; a pier 10 %
rusted is Ri5 (full recoat). AlertConfig.crosses matched the order's primary grade alone, so ``states: [Ri5]``
never fired under rc_bridge, though the order's action says 'Also Ri5 by iso-4628-3@1'."""

from __future__ import annotations

from pathlib import Path

from test_workorders_other_grades import _rust  # type: ignore[import-not-found]

from groundstation.grading import grade_all
from groundstation.workorders import AlertConfig, build_work_orders, load_work_orders, write_work_orders


def test_a_state_alert_fires_for_the_grade_beside_the_primary(tmp_path: Path) -> None:
    rust = [_rust("F-0001", 0.1)]
    grades = grade_all(rust, profile="rc_bridge", covered_area_m2=1.0)  # CS2+ (AASHTO 1000), Ri5 (ISO 4628-3)
    (order,) = build_work_orders(rust, grades, "2025-06-01", "BR-1")
    assert (order.grade, order.priority) == ("CS2+", 2)
    config = AlertConfig(max_priority=1, states=("Ri5",))
    assert config.crosses(order)
    assert not AlertConfig(max_priority=1, states=("Ri4",)).crosses(order)
    # as `skyinspect workorders --alerts` reads them back from the results folder
    write_work_orders([order], tmp_path / "workorders.csv", tmp_path / "workorders.json", "BR-1", "2025-06-01")
    (back,), _ = load_work_orders(tmp_path)
    assert back == order and config.crosses(back)
