"""The offset most objects agree on: a robust vote shared by pass alignment and change detection.

Given candidate offsets (one per pair of objects that might be the same thing seen twice) and, for
each, the object it would move, the winner is the candidate with the most distinct objects within
``tol`` of it (KD-tree, any dimension). It is returned (the median of the votes near it) only if at
least ``min_support`` objects back it and no rival candidate more than ``2 * tol`` away has more
than ``1 / min_ratio`` of its support: a pattern of look-alike neighbours (repeated defects at a
regular spacing) splits the vote, and then no offset is better than a wrong one.
"""

from __future__ import annotations

import numpy as np


def vote_offset(d: np.ndarray, src: np.ndarray, tol: float, min_support: int = 2,
                min_ratio: float = 2.0) -> tuple[np.ndarray, np.ndarray] | None:
    """(offset, the objects behind it) or None when the vote is thin or split (module doc).
    ``d``: (K, D) candidate offsets; ``src``: (K,) the object each candidate would move."""
    if len(d) == 0:
        return None
    from scipy.spatial import cKDTree

    tree = cKDTree(d)
    near = tree.query_ball_point(d, tol)
    support = np.array([len(np.unique(src[row])) for row in near])
    best = int(np.argmax(support))
    if support[best] < min_support:
        return None
    rivals = np.linalg.norm(d - d[best], axis=1) > 2 * tol
    if rivals.any() and support[best] < min_ratio * support[rivals].max():
        return None
    return np.median(d[near[best]], axis=0), np.unique(src[near[best]])
