"""What the review tests share (imported by name: conftest.py puts tests/review on sys.path)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

W = {"X-Reviewer": "ada", "Content-Type": "application/json"}  # a reviewer's headers, as the review page sends them


def decide(c: Any, fid: str, action: str, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    """Post one review decision (``action`` and its ``fields``) on finding ``fid`` as ``headers`` (ada by
    default), check the app took it (201) and return its answer."""
    answer = c.post(f"/api/findings/{fid}/review", json={"action": action, **fields}, headers=headers or W)
    assert answer.status_code == 201, answer.text
    return answer


def crack_and_rust(results: Path) -> tuple[Any, str, str]:
    """A review app client on ``results`` and the ids of the first crack and the first corrosion it lists."""
    from fastapi.testclient import TestClient

    from groundstation.review.app import create_app

    c = TestClient(create_app(results))
    rows = c.get("/api/findings").json()
    rows = rows["findings"] if isinstance(rows, dict) else rows
    crack = next(r["finding_id"] for r in rows if r["class"] == "crack")
    rust = next(r["finding_id"] for r in rows if r["class"] == "corrosion")
    return c, crack, rust


def free_port() -> int:
    """A loopback port nothing listens on now: `skyinspect serve` checks its port is free before starting."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(results: Path) -> Iterator[str]:
    """The review app on ``results`` served by uvicorn on a free loopback port (a thread): its base URL."""
    import threading
    import time

    import pytest
    import uvicorn

    from groundstation.review.app import create_app

    srv = uvicorn.Server(uvicorn.Config(create_app(results), host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("review server did not start within 10 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{srv.config.port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def publish_rust_relabelled_crack(results: Path) -> tuple[Any, str, dict[str, Any]]:
    """The first rust patch relabelled crack in the review app and published: (the app's client, its id,
    its properties in the published findings.geojson)."""
    import json

    from groundstation.republish import publish_reviewed

    c, _, rust = crack_and_rust(results)
    decide(c, rust, "relabel", label="crack")
    publish_reviewed(results)
    feats = json.loads((results / "findings.geojson").read_text())["features"]
    return c, rust, next(f["properties"] for f in feats if f["properties"]["finding_id"] == rust)
