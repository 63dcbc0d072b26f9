"""report.html (jinja2) and the facts report.pdf shares with it (``report_pdf`` writes the PDF)."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from html import escape as escape_html
from pathlib import Path
from typing import Any

from groundstation.publish.condition import component_condition, component_coverage  # report_pdf imports them here
from groundstation.publish.context import PublishInput, covered_area_m2, flight_date, format_measurement, width_text
from groundstation.workorders.orders import POSITION_LABEL  # the phone and PDF cards had said "position" only

METHODS: tuple[tuple[str, str], ...] = (
    ("Georeferencing", "Every polygon and skeleton vertex of a detection is turned into a camera ray "
     "(lens distortion removed), rotated into the local north-east-down frame with the tagged vehicle "
     "and gimbal attitude, and intersected with the inspected surface from its outer side. The camera "
     "position is the tagged GNSS position. Local GSD is the longest distance one pixel spans on the surface where the detection lies. Position "
     "uncertainty is propagated linearly from the GNSS accuracy (defaults 2.5 m horizontal, 4.0 m "
     "vertical when the log has none) and the attitude uncertainty times the range; CE90/LE90 are "
     "the 90 % horizontal/vertical errors. Frames whose pose is missing or whose view misses the "
     "surface are listed as not georeferenced and contribute nothing."),
    ("Fusion", "Detections of the same class whose outlines overlap or lie within max(2 cm, 3 x GSD) "
     "on the surface are one defect (connected components). Its outline is the union of the views, "
     "its position the centroid of that outline; the best view has the finest GSD, then the most "
     "frontal angle. Finding ids run along the structure."),
    ("Measurement", "Crack length is the crack's centre line with its branches, gathered over every view "
     "within 1.5 x the best GSD: each view adds what the others did not see (its mask's crack pixels "
     "placed on the surface), and gaps between pieces up to 8 cm count (+/- 1.4 GSD per piece). Crack "
     "width is read sub-pixel across the crack in one image, over every piece of the crack it shows (of the "
     "views within 5 % of the finest GSD, the one showing most of the crack); a crack whose interior does "
     "not show (under about 2 px) gets an interval, not a value; without the image it is area / length "
     "(+/- 1 GSD). The width is the mean along the crack (what the grading rules read); beside it, 'widest' is "
     "the widest stretch of crack at least 4 px and 1.5 times its width long (what a comparator card reads; "
     "a pore on the crack's path is not one), with its own +/- or interval. Area is the "
     "largest view's mask area, its pixels on the surface (+/- perimeter x GSD / 2). A value is not "
     "reported when the GSD is coarser than needed: 10 mm for length, 2 mm for width, 20 mm for area."),
    ("Grading", "Each finding is graded by the rules of the grading profile (versioned data files in "
     "groundstation/grading/rules/, each citing its document and section); the grade records the rule id and "
     "version and the clause it matched. A finding whose deciding quantity was not measured is graded "
     "'indeterminate', never guessed. A '+' marks a lower bound (e.g. steel corrosion: section loss cannot be "
     "seen in imagery). Rusted area % is the corroded area over the area covered by the georeferenced frames; "
     "with an asset registry, a finding's over its component's (both listed in the condition per component)."),
)


@dataclass(frozen=True)
class ReportRow:
    finding_id: str
    class_name: str
    position: str
    length: str
    width: str
    area: str
    ce90: str
    views: str
    crop_b64: str | None
    grade: str = "-"  # e.g. "CS2 (aashto-mbei-1130@1)"
    clause: str = "-"  # the clause text, or why the finding is indeterminate
    other_grades: str = "-"
    component: str = "-"
    priority: str = "-"
    # what to check before acting (a joint-like line): a work order's evidence link lands on this row
    check: str = "-"
    review: str = "-"  # what the review app said of it (groundstation.publish.reviewed)


def report_rows(inp: PublishInput, crops: dict[str, bytes | None]) -> list[ReportRow]:
    from groundstation.publish.reviewed import class_text

    rows = []
    for f in inp.findings:
        m = f.measurements
        crop = crops.get(f.finding_id)
        rows.append(ReportRow(
            f.finding_id, class_text(inp, f.finding_id, f.class_name),  # the reviewer's class when relabelled
            f"{f.lat_deg:.7f}, {f.lon_deg:.7f}, {f.alt_msl_m:.2f} m MSL",  # as map, KML
            format_measurement(m.get("length_mm")), width_text(m),
            format_measurement(m.get("area_m2"), 4), f"{f.ce90_m:.2f} m" if math.isfinite(f.ce90_m) else "-",
            f"{f.view_count} (best: frame {f.best_view[0]})",
            base64.b64encode(crop).decode() if crop else None, *_grade_cells(inp, f.finding_id),
            check=inp.checks.get(f.finding_id) or "-", review=inp.review_text(f) or "-"))
    return rows


def _grade_cells(inp: PublishInput, fid: str) -> tuple[str, str, str, str, str]:
    gs = inp.grades.get(fid) or ()
    where = _where(inp, fid)
    if not gs:
        return "-", "-", "-", where, "-"
    g = gs[0]
    clause = g.clause + (f" [{g.note}]" if g.note and g.clause else "") if g.clause else (g.note or "-")
    others = "; ".join(o.short for o in gs[1:]) or "-"
    return g.short, clause, others, where, str(g.priority) if g.priority is not None else "-"


def _where(inp: PublishInput, fid: str) -> str:
    """Where on its component a crew finds it (groundstation.registry.locate), as the work orders say;
    a finding on no component of the asset inspected says so; "-" without a registry."""
    from groundstation.registry.locate import location_text

    comp = inp.assignments.get(fid)
    return location_text(comp) if comp or inp.asset_id else "-"


def action_list(inp: PublishInput) -> list[tuple[str, str, str, str, str]]:
    """(priority, finding, grade, action, due date) sorted most urgent first."""
    from datetime import date, timedelta

    from groundstation.workorders import WorkOrderPolicy

    day = flight_date(inp)
    # a finding with a work order shows that order's priority and due date: the report had put the
    # indeterminate findings last as "P?" with no date while workorders.csv gave them priority 3, due first
    orders = {o.finding_id: o for o in inp.work_orders}
    out = []
    for f in inp.findings:
        g = inp.primary_grade(f.finding_id)
        if g is None:
            continue
        due = ""
        if day and g.interval_days is not None:
            due = (date.fromisoformat(day) + timedelta(days=int(g.interval_days))).isoformat()
        order = orders.get(f.finding_id)
        priority = str(order.priority) if order else str(g.priority) if g.priority is not None else "?"
        due = order.due_date if order else due
        # as the work order's: with what a more urgent grade beside the primary asks for
        action = " ".join(x for x in (g.action, WorkOrderPolicy().terms(inp.grades[f.finding_id])[2]) if x)
        if inp.checks.get(f.finding_id):  # a planner should not send a crew to a formwork joint unchecked
            action = f"First check it is a crack (it runs straight like a formwork or construction joint). Then: {action}"
        where = _where(inp, f.finding_id)  # as its work order says it
        out.append((priority, f.finding_id, g.short, f"{action} Where: {where}." if where != "-" else action, due))
    return sorted(out, key=lambda r: (r[0] == "?", r[0], r[4], r[1]))


def summary_facts(inp: PublishInput) -> list[tuple[str, str]]:
    fl = inp.flight
    georef = sum(1 for f in inp.geo.frames if f.is_georeferenced)
    settings = segmentation_settings(inp)
    passes = passes_text(settings) if settings else "passes not recorded"
    return [("Flight record", fl.folder.name), ("Date (UTC)", flight_date(inp)),
            ("Frames recorded", str(fl.frames_total)), ("Frames tagged with a pose", str(fl.frames_tagged)),
            ("Frames georeferenced", str(georef)), ("Surface", inp.geo.surface.name),
            ("Area covered on the surface", f"{covered_area_m2(inp):.1f} m2"),
            ("Camera", f"{fl.camera.name}: {fl.camera.width_px}x{fl.camera.height_px} px, "
                       f"fx {fl.camera.fx_px:.0f} px"),
            ("Segmentation model", f"{fl.model_id or 'unknown'}: {passes}"),
            ("Findings", str(len(inp.findings))),
            *((("Review", inp.review.said()),) if inp.review is not None else ()),
            ("Imagery vs training set", "OUT OF DISTRIBUTION - see Data quality"
             if fl.drift and fl.drift.get("out_of_distribution") else ("in distribution" if fl.drift else "not checked"))]


# the shipped model's measured accuracy, one file per set of passes it was measured with
# (models/MODEL_CARD.md; `python -m models.evaluate [--flips 1 --upscale 0]`)
ACCURACY_FILES = ("eval_summary.json", "eval_summary_one_pass.json")


def segmentation_settings(inp: PublishInput) -> dict[str, object] | None:
    """The settings that made the flight's detections (flight record meta ``segmentation``, written
    since session 16), or None for an older record."""
    import json

    raw = (getattr(inp.flight, "meta", None) or {}).get("segmentation")
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _passes(settings: dict[str, object]) -> tuple[object, object]:
    """(flips, upscale factor or None) of segmentation settings (a record's, an evaluation's)."""
    return settings.get("flips") or 1, settings.get("upscale") or None


def passes_text(settings: dict[str, object]) -> str:
    """The model passes that made each frame's detections, in words."""
    flips, up = _passes(settings)
    if flips == 1 and not up:
        return "one model pass per frame (as flown onboard)"
    text = "one model pass per frame" if flips == 1 else f"{flips} flipped model passes per frame"
    return text + (f" plus two over the frame enlarged {up}x" if up else "")


def model_text(inp: PublishInput) -> str:
    """The model id, the passes that made the detections and, when the shipped model was measured with
    those passes, its accuracy (models/data/eval_summary*.json): figures for other passes would
    overstate (or understate) what this flight's detections are worth."""
    import json
    from pathlib import Path

    model_id = inp.flight.model_id or "unknown"
    settings = segmentation_settings(inp)
    # a record from before the settings were written: onboard's default, one pass
    wanted = _passes(settings) if settings else (1, None)
    passes = passes_text(settings) if settings else "passes not recorded (onboard's default: one per frame)"
    files = [Path(__file__).resolve().parents[2] / "models" / "data" / name for name in ACCURACY_FILES]
    summaries = []
    for f in files:
        try:
            summaries.append(json.loads(f.read_text()))
        except (OSError, ValueError):
            continue
    if not any(ev.get("model_id") == model_id for ev in summaries):
        shipped = summaries[0].get("model_id") if summaries else None
        return f"{model_id}, {passes}. No accuracy figures on file for it" + \
            (f" (the shipped figures are for {shipped})." if shipped else ".")
    ev = next((ev for ev in summaries if ev.get("model_id") == model_id
               and _passes(ev) == wanted), None)
    if ev is None:
        return f"{model_id}, {passes}. No accuracy figures on file for these passes (models/MODEL_CARD.md)."

    def num(name: str, key: str) -> str:
        v = (ev.get(name) or {}).get(key)
        return f"{v:.2f}" if isinstance(v, (int, float)) else "n/a"
    return (f"{model_id}, {passes}. Measured with these passes on held-out real imagery (models/MODEL_CARD.md): "
            f"drone-shot concrete cracks (UAV75 val) 2-px tolerance F {num('uav75_val', 'tol_f')}, IoU "
            f"{num('uav75_val', 'iou')}; DeepCrack test crack IoU {num('deepcrack_test_clean', 'iou')}, tolerance F "
            f"{num('deepcrack_test_clean', 'tol_f')}; corrosion IoU {num('corrosion_test', 'iou')}. A screening "
            "model: findings are candidates for an engineer's review, not confirmed defects.")


def drift_line(inp: PublishInput) -> str:
    """The input-drift verdict: is this flight's imagery like the model's training imagery?"""
    drift = inp.flight.drift
    if not drift:
        return ("Input drift: not checked (no frame statistics in the record, or no training reference "
                "shipped for this model).")
    return f"Input drift ({drift.get('n_frames', 0)} frames vs the training set): {drift.get('summary', '')}"


def data_quality(inp: PublishInput) -> list[str]:
    lines = [drift_line(inp)]
    lines.append(f"{len(inp.flight.untagged)} of {inp.flight.frames_total} frames had no pose and were skipped.")
    lines += [f"frame {i}: {status}" for i, status in inp.flight.untagged[:50]]
    bad = [f for f in inp.geo.frames if not f.is_georeferenced]
    lines.append(f"{len(bad)} tagged frames could not be georeferenced.")
    lines += [f"frame {f.frame_index}: {f.status}" for f in bad[:50]]
    lines += [f"frame {f.frame_index}: {n}" for f in inp.geo.frames for n in f.notes][:50]
    lines += list(inp.quality_notes)
    return lines


def no_findings_text(inp: PublishInput) -> str:
    """What an empty findings section says: with no frame georeferenced nothing was looked at, and a
    bare "No findings." read as a clean structure."""
    if inp.geo.frames and not any(f.is_georeferenced for f in inp.geo.frames):
        return (f"No findings: none of the {len(inp.geo.frames)} tagged frames could be georeferenced, so nothing "
                "was inspected (see Data quality).")
    if inp.rejected:  # a bare "No findings." read as nothing found
        return f"No findings: all {len(inp.rejected)} were rejected in review (see Rejected in review)."
    return "No findings."


# On a phone (a work order's link report.html#F-0001 opened on site) the 12-column findings table had
# made the page 1,100 px wide, shrunk to unreadable: under 700 px each row becomes a card of labelled lines.
_CARDS = {"findings": ("id", "", "class", POSITION_LABEL, "length", "width", "area", "CE90", "views", "component", "grade",
                       "clause"), "actions": ("priority", "finding", "grade", "action", "due"),
          "condition": ("component", "worst grade", "findings", "covered", "source")}
_PHONE_CSS = ("@media (max-width:700px){body{margin:.6em}table.stack,table.stack tbody,table.stack tr,table.stack td"
              "{display:block}table.stack tr:first-child{display:none}table.stack tr{border:1px solid #ccc;margin:0 0 .8em}"
              "table.stack td{border:0;border-bottom:1px solid #eee;overflow-wrap:anywhere}table.stack td::before"
              "{font-weight:bold}" + "".join(f'table.{t} td:nth-child({i})::before{{content:"{name}: "}}'
                                            for t, names in _CARDS.items() for i, name in enumerate(names, 1) if name) + "}")

# A squeezed column broke "F-0003-J" into "F-0003-" over "J", a due date into "2025-" over "08-31", a rule id
# into "aashto-" over "mbei-1130@2" (the demo's report at 1280 px): ids and dates are kept whole, and a grade's
# words (``keep_words``), which may still wrap between them (nowrap grades ran the clause column off the page).
_NOWRAP_CSS = "span.w{white-space:nowrap}@media (min-width:701px){" + ",".join(
    f"table.{t} td:nth-child({i})" for t, cols in (("findings", (1,)), ("actions", (2, 5))) for i in cols) + \
    "{white-space:nowrap}}"


def keep_words(text: str) -> Any:
    """``text`` as HTML whose words do not break inside (each a nowrap span), for jinja2."""
    from markupsafe import Markup, escape

    return Markup(" ").join(Markup('<span class="w">{}</span>').format(escape(w)) for w in str(text).split(" "))


_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>Inspection report {{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}img.crop{max-width:160px}
""" + _PHONE_CSS + _NOWRAP_CSS + """</style>
</head><body><h1>Inspection report: {{ title }}</h1>
<h2>Flight summary</h2><table>{% for k, v in facts %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
<h2>Surface</h2><img src="data:image/png;base64,{{ schematic_b64 }}" style="max-width:100%">
{% if condition %}<h2>Condition per component</h2><table class="stack condition"><tr><th>component</th><th>worst grade</th><th>findings</th>
<th>covered</th><th>source</th></tr>{% for c, g, src, n in condition %}<tr><td>{{ c }}</td><td>{{ g }}</td><td>{{ n }}</td>
<td>{{ coverage.get(c, "-") }}</td><td>{{ src }}</td></tr>{% endfor %}</table>
<h2>Prioritised actions</h2><table class="stack actions"><tr><th>priority</th><th>finding</th><th>grade</th><th>action</th><th>due</th></tr>
{% for p, fid, g, a, due in actions %}<tr><td>{{ p }}</td><td><a href="#{{ fid }}">{{ fid }}</a></td><td>{{ g|keep_words }}</td>
<td>{{ a }}</td><td>{{ due }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Findings</h2><table class="stack findings"><tr><th>id</th><th>view</th><th>class</th><th>""" + escape_html(POSITION_LABEL) + """</th>
<th>length</th><th>width</th><th>area</th><th>CE90</th><th>views</th><th>component</th><th>grade</th><th>clause</th></tr>
{% for r in rows %}<tr id="{{ r.finding_id }}"><td>{{ r.finding_id }}</td><td>{% if r.crop_b64 %}<img class="crop"
src="data:image/jpeg;base64,{{ r.crop_b64 }}">{% else %}no image{% endif %}</td><td>{{ r.class_name }}</td>
<td>{{ r.position }}</td><td>{{ r.length }}</td><td>{{ r.width }}</td><td>{{ r.area }}</td><td>{{ r.ce90 }}</td>
<td>{{ r.views }}</td><td>{{ r.component }}</td><td>{{ r.grade|keep_words }}{% if r.other_grades != "-" %}<br><small>also: {{ r.other_grades|keep_words }}</small>{% endif %}</td>
<td>{{ r.clause }}{% if r.check != "-" %}<br><b>check:</b> {{ r.check }}{% endif %}{% if r.review != "-" %}<br><b>review:</b>
{{ r.review }}{% endif %}</td></tr>{% endfor %}</table>{% if not rows %}<p>{{ no_findings }}</p>{% endif %}
{% if rejected %}<h2>Rejected in review</h2><p>Not defects by the reviewer's decision: left out of the findings, the
condition per component, the actions and the work orders; kept here for the record.</p><table class="stack"><tr><th>id</th>
<th>class</th><th>position</th><th>rejected by</th><th>why</th></tr>{% for fid, c, pos, by, why in rejected %}<tr><td>{{ fid }}</td>
<td>{{ c }}</td><td>{{ pos }}</td><td>{{ by }}</td><td>{{ why }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Appendix</h2>{% for name, text in methods %}<h3>{{ name }}</h3><p>{{ text }}</p>{% endfor %}
<h3>Data quality</h3><ul>{% for line in quality %}<li>{{ line }}</li>{% endfor %}</ul>
<h3>Model</h3><p>{{ model_text }}</p></body></html>"""


def write_html(inp: PublishInput, path: Path, schematic_png: Path, crops: dict[str, bytes | None]) -> None:
    import jinja2

    from groundstation.publish.reviewed import rejected_rows

    env = jinja2.Environment(autoescape=True)
    env.filters["keep_words"] = keep_words
    text = env.from_string(_HTML).render(
        title=inp.flight.folder.name, facts=summary_facts(inp), rows=report_rows(inp, crops),
        schematic_b64=base64.b64encode(schematic_png.read_bytes()).decode(), methods=METHODS,
        quality=data_quality(inp), model_id=inp.flight.model_id or "unknown", model_text=model_text(inp),
        condition=component_condition(inp) if inp.grades else [], actions=action_list(inp),
        coverage=component_coverage(inp) if inp.grades else {},
        no_findings=no_findings_text(inp), rejected=rejected_rows(inp))
    path.write_text(text, encoding="utf-8")
