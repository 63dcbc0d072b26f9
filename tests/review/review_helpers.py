"""What the review tests share (imported by name: conftest.py puts tests/review on sys.path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


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
