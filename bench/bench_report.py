"""What the benchmark scripts share: each run in a fresh temporary folder, one JSON report per script.

Imported by the scripts beside it (``python bench/<script>.py`` puts this folder on the path)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def runs_in_temp_dirs(run: Callable[[Path, Any], dict[str, object]], params: Iterable[Any],
                      indent: int | None = None) -> list[dict[str, object]]:
    """``run(work, p)`` for each p, each in its own temporary folder (removed after), printed as it ends."""
    runs = []
    for p in params:
        work = Path(tempfile.mkdtemp(prefix="skyinspect-bench-"))
        try:
            runs.append(run(work, p))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(runs[-1], indent=indent))
    return runs


def write_report(name: str, runs: list[dict[str, object]], out: Path) -> None:
    report = {"benchmark": name, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                             "processor": platform.processor() or platform.machine()},
              "runs": runs}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"wrote {out}")
