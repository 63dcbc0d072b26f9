"""Two inspections segmented by different models: what the model draws is not the structure.

Found by comparing the demo scene flown with seed 7 (the shipped model, skyinspect-seg-yolo26n-sem-v5)
against seed 3 segmented with the simulator's own masks (simulator-truth-masks, the demo's geometry
check), nothing changed between them: ``skyinspect change`` called two rust patches "grown" (the
truth masks cover the whole patch, the model less) and one escalated, and said nothing of the models.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from groundstation.change import compare
from skyinspect.findings import Measurement
from test_change_joints import _crack, _results


def _rust(area_m2: float):  # type: ignore[no-untyped-def]
    f = _crack("F-0001", (0.0, 3.0, -1.0), 1.0)
    return replace(f, class_id=2, class_name="corrosion", measurements={"area_m2": Measurement(area_m2, 0.07 * area_m2,
                                                                                                "m2")})


def _model(folder: Path, model_id: str) -> Path:
    meta = json.loads((folder / "inspection.json").read_text())
    (folder / "inspection.json").write_text(json.dumps({**meta, "model_id": model_id}))
    return folder


def test_growth_between_two_models_is_shown_not_judged(tmp_path: Path) -> None:
    prev = _model(_results(tmp_path / "prev", "2025-06-02", [_rust(0.020)], set()), "skyinspect-seg-yolo26n-sem-v5")
    cur = _model(_results(tmp_path / "cur", "2026-06-02", [_rust(0.027)], set()), "simulator-truth-masks")
    report = compare(prev, cur)
    change = report.changes[0]
    area = next(g for g in change.growth if g.quantity == "area_m2")
    assert change.status == "stable" and not area.significant and area.delta is not None
    assert "another model" in area.note
    assert report.model_change == "skyinspect-seg-yolo26n-sem-v5 -> simulator-truth-masks"


def test_one_model_both_times_or_one_unrecorded_is_judged(tmp_path: Path) -> None:
    for name, models in (("same", ("m-1", "m-1")), ("unrecorded", ("", "m-1"))):
        prev = _results(tmp_path / name / "prev", "2025-06-02", [_rust(0.020)], set())
        cur = _results(tmp_path / name / "cur", "2026-06-02", [_rust(0.027)], set())
        if models[0]:
            _model(prev, models[0])
        _model(cur, models[1])
        report = compare(prev, cur)
        assert report.changes[0].status == "grown" and report.model_change == "", name


def test_no_new_crack_line_is_told_between_two_models(tmp_path: Path) -> None:
    """Where a crack grew comes from its drawn centre lines: another model's are not comparable."""
    from test_change_joints import _with_origin
    from test_change_lines import _crack as _lines

    def crack(top_m: float):  # type: ignore[no-untyped-def]
        lines = tuple(_lines(top_m, offset_ned=(0.0, 3.0, -1.0)))
        return replace(_crack("F-0001", tuple(lines[0].mean(axis=0)), 1000.0 * top_m), centrelines_ned_m=lines)

    prev = _model(_with_origin(_results(tmp_path / "prev", "2025-06-02", [crack(0.30)], set())), "m-1")
    cur = _model(_with_origin(_results(tmp_path / "cur", "2026-06-02", [crack(0.60)], set())), "m-2")
    change = compare(prev, cur).changes[0]
    assert change.status == "stable" and "crack line" not in change.note, change.note
