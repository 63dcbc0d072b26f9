"""`skyinspect workorders` on a folder published with a relabel: publish had graded the finding as the
reviewer's class, yet the listing said 'relabelled in review, still graded as found' and --write-csv (and
the review app's workorders-reviewed.csv) ended the description with '(graded as corrosion: grade it
again as crack)', after its own '... graded as crack (found as corrosion)' (the demo's F-0002)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust, decide  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from skyinspect.cli.main import app  # noqa: E402


def _rows(path: Path) -> dict[str, dict[str, str]]:
    return {r["finding_id"]: r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}


def test_a_published_relabel_is_said_as_graded_by_the_reviewed_class(results: Path, tmp_path: Path) -> None:
    from groundstation.republish import publish_reviewed

    c, _, rust = crack_and_rust(results)
    decide(c, rust, "relabel", label="crack")
    got = CliRunner().invoke(app, ["workorders", str(results), "--write-csv", str(tmp_path / "before.csv")])
    assert "still graded as found" in " ".join(got.output.split())  # not published yet: true
    assert "grade it again as crack" in _rows(tmp_path / "before.csv")[rust]["description"]

    publish_reviewed(results)
    got = CliRunner().invoke(app, ["workorders", str(results), "--write-csv", str(tmp_path / "after.csv")])
    assert got.exit_code == 0, got.output
    flat = " ".join(got.output.split())
    assert "still graded as found" not in flat, got.output
    row = _rows(tmp_path / "after.csv")[rust]
    assert row["rule"].startswith("aashto-mbei-1130")  # graded as a crack by publish
    assert "grade it again" not in row["description"] and "graded as corrosion" not in row["description"]
    assert row["description"].endswith("Review: relabelled crack by ada (graded as crack).")
    served = c.get("/files/workorders-reviewed.csv").content.decode("utf-8-sig")
    assert "grade it again" not in served
