"""A results folder unpacked from an archive (tar keeps symlinks) or put on a share by someone else may
hold a product name that is a link out of the folder; reads need no token, so the app must not serve it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402


def test_a_product_that_links_out_of_the_results_folder_is_not_served(results: Path, tmp_path: Path) -> None:
    """Before: workorders.csv -> a file outside the folder (here a stand-in for ~/.ssh/id_rsa) was served
    with 200 and its bytes, to anyone who could reach the app; now 404, and the product list leaves it out.
    A link that stays inside the folder is still served."""
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE KEY 1234\n")
    (results / "workorders.csv").unlink(missing_ok=True)
    (results / "workorders.csv").symlink_to(secret)
    (results / "report.html").unlink(missing_ok=True)
    (results / "stages" / "page.html").write_text("<p>inside</p>")
    (results / "report.html").symlink_to(results / "stages" / "page.html")
    c = TestClient(create_app(results))
    r = c.get("/files/workorders.csv")
    assert r.status_code == 404 and b"PRIVATE" not in r.content
    assert "workorders.csv" not in c.get("/api/inspection").json()["products"]
    inside = c.get("/files/report.html")
    assert inside.status_code == 200 and b"inside" in inside.content


@pytest.mark.parametrize("linked", ["review/audit.jsonl", "review"])
def test_a_review_trail_that_links_out_of_the_folder_is_refused_at_start(results: Path, tmp_path: Path,
                                                                          linked: str) -> None:
    """Before: review/audit.jsonl (or review/) as a link to a file outside the folder that does not exist
    yet (a shell's start-up file, say) started the app, and every decision was appended there, its
    comment text included; now the app refuses to start, naming the link, and nothing is written."""
    from skyinspect.errors import InputError

    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(results / "review", ignore_errors=True)
    if linked == "review":
        (results / "review").symlink_to(outside)
    else:
        (results / "review").mkdir()
        (results / "review" / "audit.jsonl").symlink_to(outside / "bash_login")
    with pytest.raises(InputError, match=r"outside the results folder"):
        create_app(results)
    assert list(outside.iterdir()) == []
