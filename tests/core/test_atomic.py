"""skyinspect.atomic.write_atomic: the file whole or as it was, no temporary file left."""

from __future__ import annotations

from pathlib import Path

import pytest

from skyinspect.atomic import write_atomic


def test_text_and_bytes_are_written_and_nothing_else_is_left(tmp_path: Path) -> None:
    path = tmp_path / "plan.kml"
    write_atomic(path, "héllo")
    assert path.read_bytes() == "héllo".encode("utf-8")
    write_atomic(path, b"\x00\x01", encoding="ascii")
    assert path.read_bytes() == b"\x00\x01"
    write_atomic(path, "ü", encoding="utf-8-sig")
    assert path.read_bytes() == "ü".encode("utf-8-sig")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.kml"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "grades.json"
    path.write_text("old")

    def no_room(self: Path, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", no_room)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.json"]


def test_text_that_the_encoding_cannot_hold_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        write_atomic(tmp_path / "orders.csv", "Łukasz", encoding="cp1252")
    assert list(tmp_path.iterdir()) == []
