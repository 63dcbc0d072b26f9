"""`skyinspect publish RESULTS`: the publish stage again, from the stage outputs saved in ``RESULTS/stages``,
with the review app's decisions applied (groundstation.publish.reviewed).

The earlier stages are not run: their outputs (detections.json, aligned.json, findings.json, grades.json)
are read as `process` stored them, and the flight record is read again for its frames and images (the
report's crops). Products are written to a staging folder and moved into place only when all succeeded
(as `process` does), so a failure leaves the products as they were; stages/ and review/ are never written.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

from skyinspect.errors import InputError, describe

T = TypeVar("T")


@dataclass(frozen=True)
class PublishSummary:
    out: Path
    findings: int  # published as findings (the rejected ones left out)
    rejected: tuple[str, ...]  # ids rejected in review, in the rejected layer / section
    review_seq: int  # the last audit entry applied (0: none, or a trail failing its hash check)
    review_said: str  # what the report says of the review
    products: dict[str, Path]


FIX = "Run `skyinspect process FLIGHT --out RESULTS` again (its stages are reused where they can be)"


def _stage(path: Path, name: str, parse: Callable[[Any], T]) -> T:
    """The ``name`` stage's output at ``path``, read by ``parse``; a file that is not one is refused by
    name (JSON of another shape had ended in a KeyError traceback, and findings.json's data {} had
    published an empty report over the products)."""
    data = _stored(path, name)
    try:
        return parse(data)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(describe(path, f"not the {name} stage's output ({type(exc).__name__}: {exc})", FIX)) from exc


def _listed(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise TypeError(f"expected a list of findings, got a JSON {type(data).__name__}")
    return data


def _stored(path: Path, name: str) -> Any:
    if not path.is_file():
        raise InputError(describe(path, f"missing: the {name} stage output publish starts from", FIX))
    try:
        stored = json.loads(path.read_text())
        if stored.get("stage") != name:
            raise InputError(describe(path, f"expected the {name} stage's output, got {stored.get('stage')!r}", FIX))
        return stored["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, AttributeError) as exc:
        raise InputError(describe(path, f"unreadable ({type(exc).__name__}: {exc})", FIX)) from exc


def publish_reviewed(results: Path, flight: Path | None = None, progress: bool = False,
                     rules_dir: Path | None = None) -> PublishSummary:
    """Publish ``results`` again from its stage outputs with its review applied. ``flight``: the flight
    record when it moved (default: the one inspection.json names, or the one of that name beside the
    results folder, as `serve` finds it); ``progress``: a bar over the products; ``rules_dir``: the
    grading rules folder `process --rules` had (default: the shipped rules), which grade the review."""
    from groundstation.gnss_quality import gnss_notes
    from groundstation.grading.stage import grade_output_from_json
    from groundstation.load import load_flight
    from groundstation.pipeline import _publish_atomically, alignment_notes, camera_moves_m, record_notes
    from groundstation.plane import chart_for
    from groundstation.publish import PublishInput
    from groundstation.publish.reviewed import with_review
    from groundstation.stages import finding_from_dict, georeferenced_from_dict
    from groundstation.takeoffs import takeoff_notes

    results = Path(results)
    if not (results / "inspection.json").is_file():
        raise InputError(describe(results, "not a skyinspect results folder (inspection.json missing)",
                                  "Give the folder `skyinspect process --out` wrote"))
    meta = _inspection(results / "inspection.json")  # refused by name before anything is read or written
    from groundstation.grading import load_rules
    from groundstation.grading.rules import RULES_DIR

    rules_folder = Path(rules_dir or RULES_DIR)
    rules = load_rules(rules_folder)  # a missing or broken folder is refused before the flight is read
    stages = results / "stages"
    raw = _stage(stages / "detections.json", "georeference", georeferenced_from_dict)
    geo = _stage(stages / "aligned.json", "align", georeferenced_from_dict)
    findings = _stage(stages / "findings.json", "measure", lambda d: [finding_from_dict(x) for x in _listed(d)])
    graded = _stage(stages / "grades.json", "grade", grade_output_from_json)
    _refuse_other_rule_versions(graded.grades, stages / "grades.json", results, meta, rules_folder, rules)
    record, beside = _record_folder(results, flight, meta)
    not_there = ("the flight record these results were processed from is not there (nor beside the results "
                 "folder)")
    if not (record / "record.sqlite").is_file():  # before anything is written
        said = "not a flight record (record.sqlite missing)" if flight is not None else not_there
        raise InputError(describe(record, said, "Pass --flight the folder `skyinspect onboard --out` wrote"))
    loaded = load_flight(record)
    # Another flight's images had been cropped into the report. Checked on the frames just loaded: reading
    # every frame to check first read the record twice. inspection.json's start is the first tagged frame's
    # time, so the tagged frames tell.
    from groundstation.review.data import refuse_another_flight, starts_at

    times = [f.capture_time_utc_s for f in loaded.frames]
    if flight is not None:
        refuse_another_flight(record, meta, results, times, "tagged frames")
    elif beside and not starts_at(times, meta):  # another flight of that name beside the results
        raise InputError(describe(Path(str(meta.get("flight", ""))), not_there,
                                  "Pass --flight the folder `skyinspect onboard --out` wrote"))
    moves = camera_moves_m(raw, geo)
    notes = record_notes(loaded.meta, loaded.frames_total, Path(record)) + takeoff_notes(loaded, geo.from_flight)
    inp = with_review(PublishInput(loaded, geo, tuple(findings), chart_for(geo.surface, loaded.origin), graded.grades,
                                   graded.assignments, graded.asset_id, graded.profile,
                                   alignment_notes(moves) + gnss_notes(loaded.frames, [f.ce90_m for f in findings])
                                   + notes), results, rules_dir, graded.rules,
                      graded.profile_rules)
    products = _publish_atomically(inp, results, progress=progress)
    return PublishSummary(results, len(inp.findings), tuple(f.finding_id for f in inp.rejected), inp.review.seq,
                          inp.review.said(), products)


def _refuse_other_rule_versions(grades: dict[str, Any], stored: Path, results: Path, meta: dict[str, Any],
                                folder: Path, rules: dict[str, Any]) -> None:
    """InputError when ``stored``'s grades are by another version (or the earlier name) of a rule the rules
    ``folder`` holds (``rules``, as load_rules read it): a folder graded by a release shipping
    aashto-mbei-1130@1 was published after an upgrade with its @1 grades, nothing said (and with a review,
    told to pass --rules a folder it never had). The grade stage grades again when the rules change, so
    processing again is the fix."""
    from groundstation.grading.rules import rule_id_of

    now = {r.rule_id: r.ref for r in rules.values()}
    used = Counter(g.rule for gs in grades.values() for g in gs if g.rule)
    other = {ref: now[rule_id_of(ref)] for ref in sorted(used)
             if rule_id_of(ref) in now and now[rule_id_of(ref)] != ref}
    if not other:
        return
    pairs = ", ".join(f"{ref} ({used[ref]} grade{'s' if used[ref] > 1 else ''}), now {new}"
                      for ref, new in other.items())
    flight = meta.get("flight") or "FLIGHT"
    raise InputError(describe(stored, f"graded by another version of its rules than {folder} holds: {pairs}; "
                                      "published as they are, the report and work orders would carry grades by a "
                                      "version since replaced",
                              f"Process the flight again with the options it was processed with: `skyinspect "
                              f"process {flight} --out {results}` (the saved stages are reused, only the grading "
                              f"runs again, and the review is published with it). If it was graded by `skyinspect "
                              f"process --rules FOLDER`, pass that folder: `skyinspect publish --rules FOLDER`"))


def _inspection(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        meta = exc
    if not isinstance(meta, dict):
        got = f"{type(meta).__name__}: {meta}" if isinstance(meta, Exception) else f"a JSON {type(meta).__name__}"
        raise InputError(describe(path, f"unreadable (expected a JSON object, got {got})",
                                  "Run `skyinspect process FLIGHT --out RESULTS` again (its stages are reused)"))
    return meta


def _record_folder(results: Path, flight: Path | None, meta: dict[str, Any]) -> tuple[Path, bool]:
    """(``flight``, else the record inspection.json (``meta``) names, else the one of its name beside
    ``results``; whether it is that one beside, which is this flight only if its frames start at the flight's
    start: review.data.starts_at, as review.data._beside tells it)."""
    if flight is not None:
        return Path(flight), False
    named = Path(str(meta.get("flight", "")))
    if (named / "record.sqlite").is_file():
        return named, False
    from groundstation.review.data import record_beside

    candidate = record_beside(results.resolve(), named, meta)
    return (named, False) if candidate is None else (candidate, True)
