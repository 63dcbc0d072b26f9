"""models.skeleton_loss: the crack skeleton recall term (train extra: skipped without torch)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skimage")

from models.skeleton_loss import skeleton_recall, tubed_skeleton  # noqa: E402


def _masks() -> "torch.Tensor":
    m = torch.zeros(2, 64, 64, dtype=torch.long)
    m[0, 30:36, 5:60] = 1  # a 6-px crack
    m[1, 10:50, 20:22] = 1  # a 2-px crack
    m[1, 5:20, 40:60] = 2  # rust
    return m


def test_the_tube_is_the_skeleton_widened_inside_the_crack() -> None:
    tube = tubed_skeleton(_masks())
    rows = torch.nonzero(tube[0].sum(dim=1)).flatten().tolist()
    assert rows and min(rows) >= 31 and max(rows) <= 34  # the middle of the 6-px band, not its edges
    assert torch.nonzero(tube[1].sum(dim=0)).flatten().tolist() == [20, 21]  # a 2-px crack: all of it
    assert float(tube[1, 5:20, 40:60].sum()) == 0.0  # rust is not crack


def test_recall_counts_length_not_width() -> None:
    m = _masks()
    nothing = torch.zeros(2, 3, 64, 64)
    nothing[:, 0] = 1.0
    perfect = nothing.clone()
    perfect[:, 1] = (m == 1).float()
    perfect[:, 0] = 1.0 - perfect[:, 1]
    assert float(skeleton_recall(nothing, m)) == pytest.approx(1.0)
    assert float(skeleton_recall(perfect, m)) == pytest.approx(0.0)
    # only the wide crack found: 330 of the 410 crack pixels (0.80), but 164 of the 244 px of tube (0.67)
    wide_only = nothing.clone()
    wide_only[0, 1] = (m[0] == 1).float()
    wide_only[0, 0] = 1.0 - wide_only[0, 1]
    tube = tubed_skeleton(m)
    share = float(tube[0].sum() / tube.sum())
    assert float(skeleton_recall(wide_only, m)) == pytest.approx(1.0 - share)
    assert share < 0.75


def test_no_crack_in_the_batch_costs_nothing() -> None:
    m = torch.zeros(1, 16, 16, dtype=torch.long)
    probs = torch.full((1, 3, 16, 16), 1.0 / 3, requires_grad=True)
    loss = skeleton_recall(probs, m)
    assert float(loss) == 0.0
    loss.backward()  # still part of the graph
