"""One page over a folder of segmented photos: which photos to look at first.

After ``skyinspect segment`` an inspector has a mask, an overlay and a JSON per photo; with hundreds
of photos the question is where the defects are. ``summary.csv`` (one row a photo) and
``summary.html`` (the same rows, most crack first, each with its overlay) answer it from the
photos' JSON records. Sizes are in pixels of the photo: without the camera's pose and distance
there is no millimetre (``skyinspect onboard`` + ``process`` measure findings in mm), and a crack's
length is that of its centre line as the model drew it (the skeleton polyline), not a measurement.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
import urllib.parse
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from models.batch import write_output
from skyinspect.centreline import polyline_length_m
from skyinspect.errors import InputError, describe
from skyinspect.spreadsheet import csv_safe

CSV_NAME, HTML_NAME = "summary.csv", "summary.html"


@dataclass(frozen=True)
class PhotoSummary:
    photo: str  # the photo's file name
    width_px: int
    height_px: int
    cracks: int
    crack_length_px: float  # all crack centre lines together
    longest_crack_px: float
    crack_mean_width_px: float  # crack area / crack length (NaN without cracks): a rough width
    corrosion_patches: int
    corrosion_area_px: int
    corrosion_percent: float  # of the photo's pixels
    top_score: float  # the surest instance's mean confidence (NaN when none)
    overlay: str  # the overlay file beside the record


def polyline_length_px(points: object) -> float:
    """A record's skeleton polyline length (JSON null: no skeleton, 0)."""
    return polyline_length_m(np.asarray(points if points is not None else [], dtype=np.float64).reshape(-1, 2))


def summarise_record(record: dict[str, object], json_path: Path) -> PhotoSummary:
    """One photo's row from the JSON ``skyinspect segment`` wrote for it."""
    try:
        width, height = int(record["width_px"]), int(record["height_px"])  # type: ignore[call-overload]
        instances = list(record["instances"])  # type: ignore[call-overload]
        source = Path(str(record["source"]))
        cracks = [i for i in instances if i["class"] == "crack"]
        rust = [i for i in instances if i["class"] == "corrosion"]
        lengths = [polyline_length_px(i.get("skeleton_px")) for i in cracks]
        crack_area = sum(float(i["area_px"]) for i in cracks)
        rust_area = sum(float(i["area_px"]) for i in rust)
        scores = [float(i["score"]) for i in instances]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(describe(json_path, f"not a record written by `skyinspect segment` ({exc!r})",
                                  "Segment the photo again (--rerun)")) from exc
    total = sum(lengths)
    return PhotoSummary(
        photo=source.name, width_px=width, height_px=height, cracks=len(cracks), crack_length_px=round(total, 1),
        longest_crack_px=round(max(lengths, default=0.0), 1),
        crack_mean_width_px=round(crack_area / total, 2) if total > 0 else math.nan,
        corrosion_patches=len(rust), corrosion_area_px=round(rust_area),
        corrosion_percent=round(100.0 * rust_area / max(width * height, 1), 3),
        top_score=max(scores, default=math.nan), overlay=f"{json_path.stem}_overlay.jpg")


def most_defect_first(rows: list[PhotoSummary]) -> list[PhotoSummary]:
    return sorted(rows, key=lambda r: (-r.crack_length_px, -r.corrosion_area_px, r.photo))


def records_in(out: Path) -> list[str]:
    """Stems of the photo records ``out`` holds (a ``<stem>.json`` with its mask and overlay beside it),
    from this run and earlier ones: the summary is the folder's, as the folder keeps every run's results."""
    return sorted(p.stem for p in Path(out).glob("*.json") if (out / f"{p.stem}_mask.png").is_file()
                  and (out / f"{p.stem}_overlay.jpg").is_file())


def readable_records(out: Path, stems: list[str]) -> tuple[list[PhotoSummary], list[Path]]:
    """(the rows of the records ``out`` holds for these stems that can be read, the records that cannot):
    an earlier run's record cut or edited by hand is left out of the summary and named, not the end of a
    run that did not make it. The rows go to ``write_summary`` as they are: each record is read once."""
    rows, bad = [], []
    for stem in stems:
        try:
            rows.append(_summarised(out, stem))
        except InputError:
            bad.append(out / f"{stem}.json")
    return rows, bad


def _summarised(out: Path, stem: str) -> PhotoSummary:
    path = out / f"{stem}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: not JSON, not UTF-8 text
        raise InputError(describe(path, f"cannot read the photo's record ({exc})",
                                  "Segment the photo again (--rerun)")) from exc
    if not isinstance(record, dict):
        raise InputError(describe(path, "not a record written by `skyinspect segment`",
                                  "Segment the photo again (--rerun)"))
    return summarise_record(record, path)


def write_summary(out: Path, stems: list[str], earlier: list[PhotoSummary] | None = None) -> tuple[Path, Path]:
    """``summary.csv`` and ``summary.html`` in ``out`` for the photos of these stems (their
    ``<stem>.json`` records) and the rows ``earlier`` (``readable_records``), each written whole;
    returns their paths."""
    rows = most_defect_first([_summarised(out, stem) for stem in stems] + list(earlier or []))
    csv_path, html_path = out / CSV_NAME, out / HTML_NAME
    write_output(csv_path, _csv(rows).encode())
    write_output(html_path, _html(rows).encode())
    return csv_path, html_path


def _csv(rows: list[PhotoSummary]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[f.name for f in fields(PhotoSummary)], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else csv_safe(_shown(v)))
                         for k, v in asdict(row).items()})
    return buf.getvalue()


def _shown(v: object) -> object:
    """A name as text: one not in UTF-8 (an old card's Latin-1 'Br\\xfccke.jpg', held with a lone surrogate)
    shows U+FFFD for its odd bytes; encoding it raised UnicodeEncodeError after every photo was segmented."""
    return v.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if isinstance(v, str) else v


def _html(rows: list[PhotoSummary]) -> str:
    with_defects = sum(1 for r in rows if r.cracks or r.corrosion_patches)
    head = ("photo", "cracks", "crack length (px)", "longest (px)", "mean width (px)", "rust patches",
            "rust (% of photo)", "overlay")
    body = []
    for r in rows:
        # the link is a URL: a '#', '?' or '%' in a photo's name ("pier #3.jpg") would cut it short
        # quoted from the name's bytes: those of a name not in UTF-8 are the file's
        name = html.escape(str(_shown(r.photo)))
        overlay = html.escape(urllib.parse.quote(os.fsencode(r.overlay)), quote=True)
        width = "" if math.isnan(r.crack_mean_width_px) else f"{r.crack_mean_width_px:.1f}"
        body.append(f"<tr><td>{name}</td><td>{r.cracks}</td><td>{r.crack_length_px:.0f}</td>"
                    f"<td>{r.longest_crack_px:.0f}</td><td>{width}</td><td>{r.corrosion_patches}</td>"
                    f"<td>{r.corrosion_percent:.2f}</td><td><a href=\"{overlay}\"><img src=\"{overlay}\" "
                    f"loading=\"lazy\" width=\"240\" alt=\"overlay of {name}\"></a></td></tr>")
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>skyinspect segment: summary</title>"
            "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
            "padding:4px 8px;text-align:right}td:first-child{text-align:left}</style></head><body>"
            f"<h1>{len(rows)} photos, {with_defects} with defects</h1>"
            "<p>Most crack first (length of the crack centre lines the model drew, in the photo's pixels), then "
            "most corrosion. Pixels, not millimetres: for measured findings fly the photos' poses through "
            "<code>skyinspect onboard</code> and <code>skyinspect process</code>. Red: crack; orange: corrosion.</p>"
            "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></body></html>\n")
