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


def test_a_map_page_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    """skyinspect.webpage.save_offline (map.html, the planner's preview) is written through write_atomic: it
    had its own copy (folium's file, read back, written again, renamed) that left '.map.html.tmp.html' beside
    a page it could not put in place."""
    import folium

    from skyinspect.webpage import save_offline

    fmap = folium.Map(location=[47.39, 8.54], zoom_start=18, tiles=None)
    save_offline(fmap, tmp_path / "map.html")
    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "leaflet.js\"></script>" not in page  # Leaflet inlined
    taken = tmp_path / "taken.html"
    taken.mkdir()  # a folder where the page goes
    with pytest.raises(OSError):
        save_offline(fmap, taken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html", "taken.html"]


def test_a_pinned_temporary_name_is_used_and_removed_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """models.batch writes segment's outputs through ``<name>.part`` (its longest name is checked against the
    file system's limit up front): the shared helper takes that name, and leaves it behind on no failure."""
    path = tmp_path / "a_overlay.jpg"
    names: list[str] = []
    real = Path.replace
    monkeypatch.setattr(Path, "replace", lambda src, dst: names.append(src.name) or real(src, dst))
    write_atomic(path, b"jpeg", tmp_name="a_overlay.jpg.part")
    assert names == ["a_overlay.jpg.part"] and path.read_bytes() == b"jpeg"
    monkeypatch.setattr(Path, "replace", lambda src, dst: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, b"new", tmp_name="a_overlay.jpg.part")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_overlay.jpg"] and path.read_bytes() == b"jpeg"
