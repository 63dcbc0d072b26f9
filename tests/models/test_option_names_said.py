"""A bad --crack-ridge or --wide-crack-scale is refused naming the option the user typed, not the
library's keyword (crack_ridge_low, wide_crack_scale), which no --help lists."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app


@pytest.mark.parametrize("option,value", [("--crack-ridge", "2"), ("--wide-crack-scale", "3")])
def test_a_bad_value_names_the_option_typed(tmp_path: Path, option: str, value: str) -> None:
    """Found running `skyinspect segment photo.jpg --out out --crack-ridge 2` (a UAV75 photo): 'error:
    crack_ridge_low: expected a crack probability in [0, 0.5), got 2.0'; --wide-crack-scale 3 said
    'wide_crack_scale: ...'."""
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "p.png"), np.full((40, 60, 3), 150, np.uint8))
    cv2.imwrite(str(photos / "p_mask.png"), np.zeros((40, 60), np.uint8))
    for args in (["segment", str(photos / "p.png"), "--out", str(tmp_path / "out")],
                 ["model", "eval", "--images", str(photos), "--out", str(tmp_path / "eval.json")]):
        result = CliRunner().invoke(app, [*args, option, value])
        said = " ".join(result.output.split())
        assert result.exit_code == 2, result.output
        assert f"error: {option} " in said, said
        assert not (tmp_path / "out").exists() and not (tmp_path / "eval.json").exists()
