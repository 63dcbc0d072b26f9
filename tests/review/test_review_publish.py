"""`skyinspect publish RESULTS`: the report, GIS layers, map and work orders with the review app's
decisions applied. Before, only the work orders listed by `skyinspect workorders` followed them: report.pdf,
findings.gpkg/geojson/kml and map.html still showed a rejected finding (a formwork joint) as a defect."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402
from review_helpers import crack_and_rust, decide  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402


def _ids(results: Path) -> list[str]:
    return [x["properties"]["finding_id"] for x in json.loads((results / "findings.geojson").read_text())["features"]]


def _decide(results: Path) -> tuple[str, str]:
    c, crack, rust = crack_and_rust(results)
    decide(c, crack, "reject", comment="formwork joint")
    decide(c, rust, "relabel", label="crack")
    decide(c, rust, "comment", comment="check on site")
    return crack, rust


def test_publish_applies_the_review_to_every_product(results: Path) -> None:
    import pyogrio

    from groundstation.republish import publish_reviewed

    crack, rust = _decide(results)
    stages_before = {p.name: p.read_bytes() for p in (results / "stages").glob("*.json")}
    summary = publish_reviewed(results)
    assert summary.review_seq == 3 and summary.rejected == (crack,)
    assert _ids(results) == [rust]
    gj = json.loads((results / "findings.geojson").read_text())
    assert gj["features"][0]["properties"]["review_class"] == "crack"
    assert "graded as crack" in gj["features"][0]["properties"]["review_note"]  # graded as reviewed
    assert [x["properties"]["finding_id"] for x in gj["rejected"]] == [crack]  # kept for audit
    layers = [name for name, _ in pyogrio.list_layers(results / "findings.gpkg")]
    assert "rejected" in layers
    found = pyogrio.read_dataframe(results / "findings.gpkg", layer="findings")
    assert list(found["finding_id"]) == [rust]
    rej = pyogrio.read_dataframe(results / "findings.gpkg", layer="rejected")
    assert list(rej["finding_id"]) == [crack] and rej["rejected_by"][0] == "ada"
    assert "formwork joint" in rej["rejected_why"][0]
    orders = json.loads((results / "workorders.json").read_text())["work_orders"]
    assert crack not in {o["finding_id"] for o in orders}
    html = (results / "report.html").read_text()
    assert "review decisions up to audit seq 3 by ada" in html
    assert f'id="{crack}"' not in html and "formwork joint" in html  # in the rejected section only
    assert crack not in (results / "findings.kml").read_text() and crack not in (results / "map.html").read_text()
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(results / "report.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "review decisions up to audit seq 3 by ada" in text and "Rejected in review" in text
        assert "Findings 1" in " ".join(text.split())
    # nothing processed is lost, and the app goes on naming the same findings
    assert {p.name: p.read_bytes() for p in (results / "stages").glob("*.json")} == stages_before
    c = TestClient(create_app(results))
    rows = c.get("/api/findings").json()
    rows = rows["findings"] if isinstance(rows, dict) else rows
    assert sorted(r["finding_id"] for r in rows) == sorted([crack, rust])
    assert next(r for r in rows if r["finding_id"] == crack)["check"] is not None


def test_a_trail_failing_verification_is_not_applied_and_said(results: Path) -> None:
    from groundstation.republish import publish_reviewed

    crack, rust = _decide(results)
    trail = results / "review" / "audit.jsonl"
    lines = trail.read_text().splitlines()
    trail.write_text("\n".join(lines[1:]) + "\n")  # the rejection cut out: the chain breaks
    summary = publish_reviewed(results)
    assert summary.review_seq == 0 and summary.rejected == ()
    assert sorted(_ids(results)) == sorted([crack, rust])
    assert "fails its hash check" in (results / "report.html").read_text()


def test_publishing_twice_gives_the_same_orders(results: Path) -> None:
    """The published work orders carry the review; `skyinspect workorders` applies it again on top."""
    from groundstation.workorders import apply_review, load_work_orders

    from groundstation.republish import publish_reviewed

    crack, _ = _decide(results)
    publish_reviewed(results)
    again = publish_reviewed(results)  # idempotent: the notes are not appended twice
    orders = json.loads((results / "workorders.json").read_text())["work_orders"]
    assert all(o["description"].count("Review:") <= 1 for o in orders)
    assert again.rejected == (crack,)
    listed, _ = apply_review(load_work_orders(results)[0], results)
    assert all(o.description.count("Review:") <= 1 for o in listed)


def test_process_into_the_reviewed_folder_publishes_the_review(results: Path) -> None:
    """`process` again into the folder (the same findings: its review is kept) publishes with it applied."""
    from gs_fixtures import face_surface

    from groundstation.pipeline import process

    crack, rust = _decide(results)
    flight = Path(json.loads((results / "inspection.json").read_text())["flight"])
    summary = process(flight, results, face_surface(), progress=False)
    assert summary.superseded is None and "measure" in summary.stages_reused
    assert _ids(results) == [rust]
    assert "review decisions up to audit seq 3 by ada" in (results / "report.html").read_text()


def test_the_map_and_kml_show_the_relabel_and_the_comments(results: Path) -> None:
    """A planner opening map.html or Google Earth sees the reviewer's class and word, not the model's alone."""
    from groundstation.republish import publish_reviewed

    _, rust = _decide(results)
    publish_reviewed(results)
    for name in ("map.html", "findings.kml"):
        text = (results / name).read_text()
        assert "crack (relabelled from corrosion; graded as crack)" in text, name
        assert "check on site" in text, name


def test_missing_stage_output_or_record_is_refused_and_nothing_changes(results: Path, tmp_path: Path) -> None:
    from groundstation.republish import publish_reviewed
    from skyinspect.errors import InputError

    _decide(results)
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    with pytest.raises(InputError, match="record.sqlite missing"):
        publish_reviewed(results, tmp_path / "nowhere")
    (results / "stages" / "grades.json").rename(tmp_path / "grades.json")
    with pytest.raises(InputError, match="grades.json: missing"):
        publish_reviewed(results)
    assert {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()} == before
    assert not list(results.glob(".staging-*"))


def test_a_reviewer_name_outside_latin1_reads_in_the_pdf(results: Path) -> None:
    """The app takes names in any script; report.pdf's core font is Latin-1 and had printed '?ukasz ?ak'."""
    from urllib.parse import quote

    from groundstation.republish import publish_reviewed

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    c = TestClient(create_app(results))
    fid = c.get("/api/findings").json()
    fid = (fid["findings"] if isinstance(fid, dict) else fid)[0]["finding_id"]
    who = {"X-Reviewer": quote("Łukasz Żak"), "Content-Type": "application/json"}
    decide(c, fid, "confirm", who)
    publish_reviewed(results)
    text = subprocess.run(["pdftotext", str(results / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "by Lukasz Zak" in " ".join(text.split()) and "?ukasz" not in text


def test_workorders_after_publish_still_names_the_rejected(results: Path) -> None:
    """`skyinspect workorders` on a published folder: the rejected findings' orders are already out of
    workorders.json, and the listing had stopped saying which were rejected and by whom."""
    import typer
    from typer.testing import CliRunner

    from groundstation.republish import publish_reviewed
    from skyinspect.cli.main_errors import handle_errors
    from skyinspect.cli.workorders import workorders_command

    crack, _ = _decide(results)
    publish_reviewed(results)
    app = typer.Typer()
    app.command("workorders")(handle_errors(workorders_command))
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["workorders", str(results)])
    out = " ".join(r.output.split())
    assert r.exit_code == 0, r.output
    assert f"{crack} (by ada)" in out and "audit seq 3" in out


def test_a_finding_rejected_when_published_then_confirmed_gets_its_order_back(results: Path) -> None:
    """After `publish` left a rejected finding's order out of workorders.json, a reviewer confirming it
    after all must see its order in the app's workorders-reviewed.csv (and in `skyinspect workorders`)."""
    import csv
    import io

    from groundstation.republish import publish_reviewed

    crack, rust = _decide(results)
    publish_reviewed(results)
    c = TestClient(create_app(results))
    decide(c, crack, "confirm")
    rows = list(csv.DictReader(io.StringIO(c.get("/files/workorders-reviewed.csv").text)))
    assert sorted(r["finding_id"] for r in rows) == sorted([crack, rust])
    assert "confirmed by ada" in next(r for r in rows if r["finding_id"] == crack)["description"]


def test_process_says_the_review_it_published(results: Path) -> None:
    """`skyinspect process` into a reviewed folder printed '2 findings' while its products held 1: it now
    says which review decisions it published and which findings they left out."""
    import typer
    from gs_fixtures import face_surface
    from typer.testing import CliRunner

    from skyinspect.cli.main_errors import handle_errors
    from skyinspect.cli.process import process_command
    crack, _ = _decide(results)
    surface = results.parent / "face.json"
    surface.write_text(json.dumps(face_surface().to_dict()))
    flight = json.loads((results / "inspection.json").read_text())["flight"]
    app = typer.Typer()
    app.command("process")(handle_errors(process_command))
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["process", flight, "--out", str(results), "--surface", str(surface)])
    out = " ".join(r.output.split())
    assert r.exit_code == 0, r.output
    assert "audit seq 3" in out and f"{crack} (by ada)" in out


def test_the_app_says_whether_the_products_include_the_decisions(results: Path) -> None:
    """The reviewer sees whether report.pdf and the GIS files are behind the trail (publish needed)."""
    from groundstation.republish import publish_reviewed

    _decide(results)
    c = TestClient(create_app(results))
    assert c.get("/api/inspection").json()["published"] == {"review_seq": 0, "decisions_since": 3, "trail_changed": ""}
    publish_reviewed(results)
    assert c.get("/api/inspection").json()["published"] == {"review_seq": 3, "decisions_since": 0, "trail_changed": ""}
    decide(c, "F-0001", "comment", comment="later")
    assert c.get("/api/inspection").json()["published"] == {"review_seq": 3, "decisions_since": 1, "trail_changed": ""}
    assert "skyinspect publish" in c.get("/static/app.js").text
