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
    ``d``: (K, D) candidate offsets; ``src``: (K,) the object each candidate would move.

    A candidate's support (distinct objects within ``tol``) is at most its number of neighbours, which
    the tree counts cheaply; supports are counted only where that bound can still win (or, for the
    rivals, still matter), most neighbours first, ties to the first candidate as a plain argmax. Counted
    for every candidate, two inspections of 2,495 findings a side on a regular 0.35 m grid spent 58 s
    of a 65-s comparison here (39,376 candidates in nine dense clusters, ~2,500 neighbours each)."""
    if len(d) == 0:
        return None
    from scipy.spatial import cKDTree

    tree = cKDTree(d)
    bound = np.asarray(tree.query_ball_point(d, tol, return_length=True))
    counted: dict[int, int] = {}

    def support(j: int) -> int:
        if j not in counted:
            counted[j] = len(np.unique(src[tree.query_ball_point(d[j], tol)]))
        return counted[j]

    best, best_s = -1, -1
    for j in (int(x) for x in np.lexsort((np.arange(len(d)), -bound))):  # most neighbours first, then index
        if bound[j] < best_s:
            break
        if bound[j] == best_s and j > best:
            continue  # at best a tie, which the first candidate wins
        s = support(j)
        if s > best_s or (s == best_s and j < best):
            best, best_s = j, s
    if best_s < min_support:
        return None
    rivals = np.flatnonzero(np.linalg.norm(d - d[best], axis=1) > 2 * tol)
    top = 0
    for j in (int(x) for x in rivals[np.argsort(-bound[rivals], kind="stable")]):
        if bound[j] <= top:
            break
        top = max(top, support(j))
        if best_s < min_ratio * top:
            return None
    near = tree.query_ball_point(d[best], tol)
    return np.median(d[near], axis=0), np.unique(src[near])
