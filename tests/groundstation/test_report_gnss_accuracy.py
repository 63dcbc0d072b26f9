"""The report's Data quality says how well the camera positions were known and so how well the findings'
positions are: a plain GNSS fix (h_acc of metres, no RTK) gave CE90s of ~5 m in the findings table with no word
that the coordinates, printed to 1e-7 deg, are only good to that; a log without h_acc silently assumed 2.5 m."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from gs_fixtures import (FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_surface, instance_for, pose_at,
                         write_record)

from groundstation.pipeline import process


def _flight(folder: Path, h_acc_m: float, fix_type: int) -> Path:
    defects = [crack_on_face(0.3, 0.5), corrosion_on_face(0.0, 0.2)]
    frames = []
    for k in range(5):
        pose = pose_at(np.array([k * 0.15, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0, t=1.7e9 + k, h_acc=h_acc_m,
                       v_acc=h_acc_m * 1.5)
        pose = replace(pose, fix_type=fix_type)
        frames.append((pose, [instance_for(pose, d) for d in defects]))
    return write_record(folder, frames)


def _quality(out: Path) -> str:
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html[html.index("<h3>Data quality</h3>"):]
    section = section[:section.index("</ul>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


@pytest.mark.parametrize("fix_type", [3, 0])  # 3D fix; 0: the log gave no fix type (pose_at's default)
def test_plain_gnss_fix_says_positions_are_only_good_to_metres(tmp_path: Path, fix_type: int) -> None:
    out = tmp_path / "out"
    process(_flight(tmp_path / "rec", 3.0, fix_type), out, face_surface(), progress=False)
    text = _quality(out)
    assert "GNSS" in text and "3.00 m" in text, text  # the receiver's stated accuracy
    assert "not RTK" in text, text
    # what positions are good to: the findings' CE90 (a vertical face: 1.645 x 3 m along it)
    m = re.search(r"good to CE90 ([\d.]+)", text)
    assert m is not None, text
    assert math.isclose(float(m.group(1)), 1.6449 * 3.0, abs_tol=0.05), text


def test_rtk_says_centimetres_and_no_warning(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process(_flight(tmp_path / "rec", 0.02, 6), out, face_surface(), progress=False)
    text = _quality(out)
    assert "0.02 m" in text and "RTK fixed" in text, text
    assert "not RTK" not in text, text


def test_no_accuracy_logged_says_the_default_was_assumed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process(_flight(tmp_path / "rec", math.nan, 3), out, face_surface(), progress=False)
    text = _quality(out)
    assert "no GNSS accuracy" in text and "2.5 m" in text, text


def test_republished_report_keeps_the_line(tmp_path: Path) -> None:
    """publish_reviewed (the review app's publish) rebuilds report.html from the stages: the line stays."""
    from groundstation.republish import publish_reviewed

    out = tmp_path / "out"
    process(_flight(tmp_path / "rec", 3.0, 3), out, face_surface(), progress=False)
    before = _quality(out)
    (out / "report.html").unlink()
    publish_reviewed(out)
    assert "not RTK" in before and _quality(out) == before
