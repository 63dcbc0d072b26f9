"""groundstation.change.lines: where a crack grew since the last inspection."""

from __future__ import annotations

import numpy as np
import pytest

from groundstation.change.lines import describe_new_line, new_crack_line


def _crack(top_m: float, offset_ned: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> list[np.ndarray]:
    """A wavy crack on a face running north-south (x = north), climbing from 0 to ``top_m`` up."""
    up = np.linspace(0.0, top_m, 400)
    north = 0.02 * np.sin(up / 0.04)
    return [np.stack([north, np.zeros_like(up), -up], axis=1) + np.asarray(offset_ned)]


def test_an_extension_at_the_top_is_found_there() -> None:
    before = _crack(0.30)
    after = _crack(0.35, offset_ned=(0.006, 0.0, -0.004))  # 5 cm longer, flights 7 mm apart
    new = new_crack_line(before, after)
    assert new is not None
    assert new.length_m == pytest.approx(0.05, abs=0.006)
    assert -new.where_ned_m[2] == pytest.approx(0.175, abs=0.02)  # around 0.325 m up, the middle at 0.15
    assert new.moved_m == pytest.approx(np.hypot(0.006, 0.004), abs=0.002)
    assert "up" in describe_new_line(new) and "new crack line" in describe_new_line(new)


def test_the_same_crack_again_has_no_new_line() -> None:
    new = new_crack_line(_crack(0.30), _crack(0.30, offset_ned=(0.003, 0.0, 0.002)))
    assert new is not None and new.length_m == 0.0
    assert describe_new_line(new).startswith("no new crack line")


def test_cracks_that_cannot_be_laid_on_each_other_get_no_answer() -> None:
    assert new_crack_line(_crack(0.30), _crack(0.30, offset_ned=(0.2, 0.0, 0.0))) is None
    assert new_crack_line([], _crack(0.3)) is None
